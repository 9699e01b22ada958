"""The documented limits (docs/limits.md): each holds at its value, and one past it is a
clear input error naming the key or flag, the value found and the limit.

Also the number helpers that keep huge values from crashing or stalling the output, and (in
the slow tests) the budget the limits are chosen for: anything within them finishes in a few
seconds and under 1 GiB.
"""

import json
import os
import resource
import subprocess
import sys
import time
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rnn_cli.model import errors
from rnn_cli.model import files
from rnn_cli.model import names
from rnn_cli.model import numbers
from rnn_cli.model import problem
from rnn_cli.cli import app
from rnn_cli.model.errors import InputError, Overflow

from conftest import SEED_TABLES  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()

SEED = SEED_TABLES


def bad(result, *needles) -> str:
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    assert result.exit_code == 2, (result.exit_code, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


def ok(result) -> str:
    assert result.exit_code == 0, (result.exit_code, result.stderr, result.exception)
    return result.stdout


# -- T ------------------------------------------------------------------------------------

def steps(n: int) -> str:
    return ",".join(["1"] * n)


def test_T_at_and_past_the_limit(monkeypatch):
    monkeypatch.setattr(problem, "MAX_T", 50)
    ok(runner.invoke(app, ["forward", "--x", steps(50), "--y", steps(50)]))
    bad(runner.invoke(app, ["forward", "--x", steps(51), "--y", steps(51)]),
        "--x", "data.x", "51 steps", "at most 50")


def test_T_past_the_limit_in_a_file(tmp_path):
    T = problem.MAX_T + 1
    f = tmp_path / "long.toml"
    f.write_text(SEED.replace("x = [10, 10]", f"x = [{steps(T)}]").replace(
        "y = [5, 5]", f"y = [{steps(T)}]"))
    if f.stat().st_size > files.MAX_FILE_BYTES:
        pytest.skip("the file limit comes first")
    bad(runner.invoke(app, ["forward", "-f", str(f)]), "long.toml", "data.x",
        f"{T} steps", f"at most {problem.MAX_T}")


# -- H, D and K -------------------------------------------------------------------------------

@pytest.mark.skipif(not hasattr(problem, "MAX_SIZE"), reason="no vector problems yet")
def test_H_past_the_limit():
    n = problem.MAX_SIZE + 1
    row = "[" + ",".join(["0"] * n) + "]"
    bad(runner.invoke(app, ["forward", "--w-h", "[" + ",".join([row] * n) + "]"]),
        "--w-h", f"{n} entries", f"at most {problem.MAX_SIZE}")


# -- --digits ----------------------------------------------------------------------------------

@pytest.mark.parametrize("digits", [1, 50])
def test_digits_within_the_limit(digits):
    out = ok(runner.invoke(app, ["forward", "--activation", "tanh", "--digits", str(digits),
                                 "--format", "markdown"]))
    assert ("0.96402758007581688394641372410092315025502997624093" in out) == (digits == 50)


@pytest.mark.parametrize("digits", [0, 51, -3])
def test_digits_past_the_limit(digits):
    r = runner.invoke(app, ["forward", "--digits", str(digits)])
    assert r.exit_code == 2 and "--digits" in r.stderr and "Traceback" not in r.stderr


# -- the file, its nesting, a flag -------------------------------------------------------------

def test_file_size_at_and_past_the_limit(tmp_path):
    f = tmp_path / "p.toml"
    pad = files.MAX_FILE_BYTES - len(SEED.encode()) - 1
    f.write_text(SEED + "#" * pad + "\n")
    assert f.stat().st_size == files.MAX_FILE_BYTES
    ok(runner.invoke(app, ["forward", "-f", str(f)]))
    f.write_text(SEED + "#" * (pad + 1) + "\n")
    bad(runner.invoke(app, ["forward", "-f", str(f)]), "p.toml",
        f"{files.MAX_FILE_BYTES + 1:,} bytes", f"at most {files.MAX_FILE_BYTES:,}")


def test_nesting_at_and_past_the_limit():
    n = files.MAX_DEPTH
    files.parse_toml("a = " + "[" * (n - 1) + "]" * (n - 1), "f")      # the document is 1
    with pytest.raises(InputError, match=f"nested {n + 1} levels deep: at most {n}"):
        files.parse_toml("a = " + "[" * n + "]" * n, "f")
    # a dotted key of n parts makes n - 1 tables: n levels with the document
    files.parse_toml(".".join("k" * i for i in range(1, n + 1)) + " = 1", "f")
    with pytest.raises(InputError, match="nested"):
        files.parse_toml(".".join("k" * i for i in range(1, n + 2)) + " = 1", "f")


def test_a_problem_needs_fewer_levels_than_the_limit():
    deepest = """[p.answers]\n"dL/dw_h" = { value = [[1, 2], [3, 4]], abs = 0.1 }\n"""
    doc = files.parse_toml(deepest, "f")
    assert doc["p"]["answers"]["dL/dw_h"]["value"][1][0] == 3


def test_flag_length_past_the_limit():
    r = runner.invoke(app, ["forward", "--x", "1" * (files.MAX_FILE_BYTES + 1)])
    bad(r, "--x", f"at most {files.MAX_FILE_BYTES:,}")


# -- numbers and names ------------------------------------------------------------------------

def test_number_text_at_and_past_the_limit():
    n = numbers.MAX_TEXT
    assert numbers.parse_number("0." + "1" * (n - 2)) > 0
    with pytest.raises(InputError, match=f"{n + 1} characters"):
        numbers.parse_number("0." + "1" * (n - 1))


def test_exponent_at_and_past_the_limit():
    e = numbers.MAX_EXPONENT
    assert numbers.parse_number(f"1e{e}") == 10**e
    assert numbers.parse_number(f"-1e-{e}") == -Fraction(1, 10**e)
    assert numbers.parse_number(Decimal(f"9.99e{e}")) > 0
    for text in (f"1e{e + 1}", f"1e-{e + 1}", f"99e{e}"):
        with pytest.raises(InputError, match="out of range"):
            numbers.parse_number(text)


def test_integer_at_and_past_the_limit():
    e = numbers.MAX_EXPONENT
    assert numbers.parse_number(10 ** (e + 1) - 1) == 10 ** (e + 1) - 1
    for n in (10 ** (e + 1), -(10 ** (e + 1))):
        with pytest.raises(InputError, match="out of range"):
            numbers.parse_number(n)


def test_name_length_at_and_past_the_limit():
    n = names.MAX_NAME
    with pytest.raises(InputError, match="unknown quantity"):
        names.parse_name("h" * n)
    with pytest.raises(InputError, match=f"at most {n} characters"):
        names.parse_name("h" * (n + 1))


def test_messages_are_capped():
    e = InputError("x" * 100_000, where="f.toml")
    assert len(str(e)) < errors.MAX_MESSAGE + 100
    e = errors.unknown("quantity", "q" * 10_000, [f"h_{t}" for t in range(10_000)])
    assert len(str(e)) < 1000 and "more)" in str(e) and "10,000 characters" in str(e)


# -- huge values: printed fast and exactly, or reported as an overflow ----------------------------

def test_int_text_matches_str_beyond_pythons_limit():
    old = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        for n in (10**5000, 7**9000 + 1, -(3**20000), 10**4299, 10**12000 - 1):
            assert numbers._int_text(n) == str(n)
    finally:
        sys.set_int_max_str_digits(old)


def test_exact_text_of_a_huge_fraction():
    q = Fraction(10**5000 + 1, 3**4000)
    p, d = numbers.exact_text(q).split("/")
    old = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        assert Fraction(int(p), int(d)) == q
    finally:
        sys.set_int_max_str_digits(old)


def test_too_long_to_write_is_an_overflow():
    with pytest.raises(Overflow, match="too long"):
        numbers.exact_text(Fraction(10 ** (numbers.MAX_PRINT_DIGITS + 10)))


@pytest.mark.parametrize("q", [Fraction(10**5000 + 1, 3**4000), Fraction(9, 10) ** 20_000,
                               Fraction(10**20000)])
def test_fmt_of_huge_values_is_short_and_fast(q):
    t = time.perf_counter()
    for fn in (numbers.fmt, numbers.fmt_with_decimal):
        text = fn(q, 6)
        assert len(text) < 40, text
        assert "e" in text
    assert time.perf_counter() - t < 0.5


def test_fmt_keeps_short_exact_values():
    assert numbers.fmt(Fraction(7, 3)) == "7/3"
    assert numbers.fmt(Fraction(-1, 4)) == "-0.25"
    assert numbers.fmt(Fraction(10**39)) == "1" + "0" * 39
    assert numbers.fmt_with_decimal(Fraction(7, 3)) == "7/3 ≈ 2.33333"
    assert numbers.fmt(Fraction(10**41)) == "1e+41"


@pytest.mark.parametrize("d", [1, 2, 5, 10, 2**30, 5**40, 2**7 * 5**9, 3, 6, 15, 2**10 * 3,
                               5**40 * 7])
def test_terminates(d):
    n = d
    for p in (2, 5):
        while n % p == 0:
            n //= p
    assert numbers._terminates(d) == (n == 1)


def test_settle_keeps_short_values_and_rounds_long_ones():
    small = Fraction(1, 3)
    assert numbers.settle(small) is small
    big = Fraction(9, 10) ** 2000                     # a 2000-digit denominator
    s = numbers.settle(big)
    assert not numbers.is_exact(s)
    assert abs(s - numbers.inexact(big)) == 0
    mpf = numbers.inexact(small)
    assert numbers.settle(mpf) is mpf


def test_exp_limit():
    e = numbers.EXP_LIMIT
    assert numbers.exp(Fraction(-e)) > 0
    for fn, x in ((numbers.exp, e + 1), (numbers.exp, -e - 1), (numbers.sigmoid, -e - 1)):
        with pytest.raises(Overflow, match="overflow"):
            fn(Fraction(x))
    assert numbers.sigmoid(Fraction(10**1000)) == 1
    assert numbers.tanh(Fraction(-10**1000)) == -1


def test_log_of_zero_is_an_overflow_and_an_arithmetic_error():
    with pytest.raises(Overflow, match="overflow"):
        numbers.log(Fraction(0))
    with pytest.raises(ArithmeticError):          # check.py skips it while re-evaluating
        numbers.log(numbers.inexact(Fraction(0)))


# -- the budget: everything within the limits in seconds and under 1 GiB (slow) ----------------

def long_file(path: Path, T: int, exact: bool) -> Path:
    head = 'activation = "identity"\n[params]\nw_x = 1\nw_h = 0.9\nw_y = 2\n' if exact else \
        'activation = "tanh"\n[params]\nw_x = 0.5\nw_h = 0.9\nw_y = 2\nb_h = 0.1\n'
    path.write_text(head + f"[data]\nx = [{', '.join(['1'] * T)}]\n"
                    f"y = [{', '.join(['0.5'] * T)}]\n")
    return path


def run_limited(args, cwd: Path, seconds: float, memory: int = 1 << 30):
    """rnn-solve in a subprocess limited to `memory` bytes of address space and a timeout;
    returns (exit code, stderr, wall seconds)."""
    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(ROOT), os.environ.get("PYTHONPATH", "")]))
    t = time.perf_counter()
    try:
        r = subprocess.run([sys.executable, "-m", "rnn_cli", *args], cwd=cwd, env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                           timeout=seconds, preexec_fn=limit)
    except subprocess.TimeoutExpired:
        return None, "timeout", seconds
    return r.returncode, r.stderr, time.perf_counter() - t


BUDGET = 20      # seconds: a few on the machine the limits were measured on, with room


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["table", "json"])
@pytest.mark.parametrize("exact", [False, True], ids=["tanh", "exact"])
def test_problem_at_the_T_limit_within_budget(tmp_path, fmt, exact):
    f = long_file(tmp_path / "p.toml", problem.MAX_T, exact=exact)
    if f.stat().st_size > files.MAX_FILE_BYTES:
        pytest.skip("beyond the file limit")
    code, err, took = run_limited(["grad", "--style", "delta", "--wrt", "all", "-f", str(f),
                                   "--format", fmt], tmp_path, BUDGET)
    assert code == 0, (code, err[-1000:], took)


# -- the docs document them ------------------------------------------------------------------

def test_docs_document_every_limit():
    section = (ROOT / "docs" / "limits.md").read_text(encoding="utf-8")
    for value in (f"{problem.MAX_T:,}", f"{files.MAX_FILE_BYTES:,}", str(files.MAX_DEPTH),
                  str(numbers.MAX_TEXT), str(numbers.MAX_EXPONENT), str(names.MAX_NAME), "50"):
        assert value in section, value
    assert problem.MAX_T <= 10_000
