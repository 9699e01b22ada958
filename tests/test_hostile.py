"""Hostile and broken input: nothing in it ever runs, nothing crashes, nothing is lost.

Every case goes through the command line (Typer's CliRunner on rnn_cli.cli.app, in process,
so that a spy on eval/exec/compile sees every call) and must end with exit 2 and one line on
stderr naming the file, the key or flag, and what was expected, with no traceback. Python
payloads try to create a file named PWNED in the working folder; the spy also records any
string containing the payload's marker that reaches eval, exec, compile or SymPy's parsers.

Interrupts are tested for real: `python -m rnn_cli` in a subprocess, sent SIGINT.
"""

import ast
import builtins
import json
import re
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rnn_cli.model import files
from rnn_cli.model import numbers
from rnn_cli.model import problem
from rnn_cli.cli import app
from rnn_cli.model.errors import InputError, MAX_MESSAGE

from conftest import SEED_TABLES  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()

SEED = 'title = "the seed"\n' + SEED_TABLES

MARK = "PWNED"
PAYLOADS = [
    f"__import__('os').system('touch {MARK}')",
    f"(lambda: __import__('os').system('touch {MARK}'))()",
    f"().__class__.__base__.__subclasses__()  # {MARK}",
    f"[c for c in ().__class__.__mro__[1].__subclasses__() if c.__name__ == '{MARK}']",
    f"open('{MARK}', 'w').write('x')",
    f"exec(\"open('{MARK}','w')\")",
    f"eval('1') + 0 * len('{MARK}')",
    "9**9**9**9",
    f"1; import os; os.system('touch {MARK}')",
    f"${{{{7*7}}}} {{{{config}}}} {MARK}",
    f"{{0.__class__.__mro__}} {MARK}",
]


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    """Each test runs in its own folder, where a payload that ran would leave PWNED."""
    monkeypatch.chdir(tmp_path)
    yield
    assert not (tmp_path / MARK).exists(), "a payload ran"


@pytest.fixture(autouse=True)
def spy(monkeypatch):
    """Record every string holding the payload marker that reaches an evaluator."""
    seen = []

    package = str(ROOT / "rnn_cli")

    def watch(name, fn):
        def wrapper(*args, **kw):
            if any(isinstance(a, (str, bytes)) and MARK in str(a) for a in args):
                frame = sys._getframe(1)
                while frame is not None:        # called, at any depth, from rnn_cli
                    if frame.f_code.co_filename.startswith(package):
                        seen.append((name, str(args)[:200]))
                        break
                    frame = frame.f_back
            return fn(*args, **kw)
        return wrapper

    for name in ("eval", "exec", "compile"):
        monkeypatch.setattr(builtins, name, watch(name, getattr(builtins, name)))
    try:
        import sympy
        import sympy.parsing.sympy_parser as sp
        monkeypatch.setattr(sympy, "sympify", watch("sympify", sympy.sympify))
        monkeypatch.setattr(sp, "parse_expr", watch("parse_expr", sp.parse_expr))
    except ImportError:  # pragma: no cover - sympy is not a dependency
        pass
    yield seen
    assert not seen, f"input reached an evaluator: {seen}"


# -- helpers ----------------------------------------------------------------------------------

def run(*args: str):
    return runner.invoke(app, list(args))


def bad(result, *needles: str) -> str:
    """Exit 2, nothing on stdout, one line on stderr naming every needle, no traceback."""
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    assert result.exit_code == 2, (result.exit_code, result.stdout[-500:], result.stderr)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr[:2000]
    line = lines[0]
    assert line.startswith("rnn-solve: error: "), line
    assert "Traceback" not in line
    for needle in needles:
        assert needle in line, (needle, line)
    return line


def ok(result) -> str:
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    assert result.exit_code == 0, (result.exit_code, result.stderr)
    return result.stdout


def write(name: str, text: str | bytes) -> str:
    p = Path(name)
    if isinstance(text, bytes):
        p.write_bytes(text)
    else:
        p.write_text(text, encoding="utf-8")
    return name


def seed_with(old: str, new: str, name: str = "p.toml") -> str:
    assert old in SEED
    return write(name, SEED.replace(old, new, 1))


def toml_str(s: str) -> str:
    return json.dumps(s)   # a JSON string is a valid TOML basic string


# -- nothing is evaluated: the source ----------------------------------------------------------

CALLS = {"eval", "exec", "compile", "sympify", "parse_expr", "literal_eval", "__import__",
         "import_module"}
UNSAFE_LOADERS = {"pickle", "marshal", "yaml", "dill", "shelve", "jsonpickle"}


def test_source_calls_no_evaluator_on_a_variable():
    """No call in rnn_cli of eval, exec, compile, SymPy's sympify/parse_expr, literal_eval or
    an unpickler, and no dynamic import of anything but a literal name."""
    found = []
    for path in sorted((ROOT / "rnn_cli").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                mods = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                    [node.module or ""]
                if any(m.split(".")[0] in UNSAFE_LOADERS or m.startswith("sympy.parsing")
                       for m in mods):
                    found.append(f"{where}: import {mods}")
                continue
            if not isinstance(node, ast.Call):
                continue
            f = node.func
            literal = all(isinstance(a, ast.Constant) for a in node.args)
            if isinstance(f, ast.Name) and f.id in CALLS:
                if not (f.id in ("__import__", "import_module") and literal):
                    found.append(f"{where}: {f.id}")
            elif isinstance(f, ast.Attribute):
                base = f.value.id if isinstance(f.value, ast.Name) else ""
                if f.attr in CALLS - {"compile"} and not (
                        f.attr in ("__import__", "import_module") and literal):
                    found.append(f"{where}: {base}.{f.attr}")
                elif f.attr in ("load", "loads") and base in UNSAFE_LOADERS:
                    found.append(f"{where}: {base}.{f.attr}")
                elif f.attr == "S" and base == "sympy":
                    found.append(f"{where}: sympy.S")
    assert not found, found


# -- Python in a number ------------------------------------------------------------------------

@pytest.mark.parametrize("payload", PAYLOADS)
def test_python_in_a_number_in_a_file(payload):
    f = seed_with("w_h = 1", f"w_h = {toml_str(payload)}")
    line = bad(run("forward", "-f", f), "p.toml", "params.w_h", "expected a number")
    assert len(line) < 400


@pytest.mark.parametrize("payload", PAYLOADS[:4])
@pytest.mark.parametrize("where", ["data.x", "data.y", "answers"])
def test_python_in_a_number_elsewhere(payload, where):
    if where == "answers":
        f = write("p.toml", SEED + f'[answers]\nh_1 = {toml_str(payload)}\n')
        r = run("check", f, "--format", "json")
        # an unreadable answer is scored invalid (spec revision 2), never run: the formula
        # reader names the first character it cannot take
        assert r.exit_code == 1 and r.stderr == "", r.stderr
        res = json.loads(r.stdout)["results"][0]
        assert res["verdict"] == "invalid"
        assert res["diagnosis"][0].startswith("could not be read: unexpected character")
        assert not (Path.cwd() / "PWNED").exists()
        return
    key = where.split(".")[1]
    old = "x = [10, 10]" if key == "x" else "y = [5, 5]"
    f = seed_with(old, f"{key} = [10, {toml_str(payload)}]")
    bad(run("forward", "-f", f), "p.toml", f"data.{key}[2]", "expected a number")


@pytest.mark.parametrize("payload", PAYLOADS[:6])
@pytest.mark.parametrize("flag", ["--w-h", "--b-y", "--h0", "--x", "--y"])
def test_python_in_a_number_flag(payload, flag):
    bad(run("forward", flag, payload), flag)


@pytest.mark.parametrize("text", [
    "nan", "NaN", "inf", "-inf", "+Infinity", "1/0", "0/0", "0x1F", "0b101", "1_000", "1e1001",
    "-1e-1001", "1e99999999999", "１", "٣", "1/２", "1.2.3", "--1", "1e", ".", "", "   ", "1 2",
    "2**3", "2^3", "3j", "1/3/4", "(1)", "+-1", "\u0661/2",
])
def test_not_numbers(text):
    with pytest.raises(InputError):
        numbers.parse_number(text, "k")


@pytest.mark.parametrize("literal", ["nan", "+nan", "-nan", "inf", "+inf", "-inf"])
def test_nan_and_infinity_literals_in_a_file(literal):
    f = seed_with("w_x = 0.1", f"w_x = {literal}")
    bad(run("forward", "-f", f), "p.toml", "params.w_x", "finite")


def test_a_number_of_401_characters_is_not_read():
    f = seed_with("w_x = 0.1", f'w_x = "0.{"1" * 399}"')
    bad(run("forward", "-f", f), "params.w_x", "401 characters")


@pytest.mark.parametrize("digits", [1002, 5000, 100_000])
def test_huge_integer_literals(digits):
    """1002 digits is beyond 1e1000; 5000 beyond Python's int() limit inside tomllib."""
    f = seed_with("w_x = 0.1", f"w_x = {'9' * digits}")
    line = bad(run("forward", "-f", f), "p.toml")
    assert "range" in line or "digits" in line


# -- Python in a name --------------------------------------------------------------------------

@pytest.mark.parametrize("payload", PAYLOADS[:6] + [
    "h_1.__class__", "d__class__/dw_h", "w_h[__import__('os')]", "dL/d(lambda: w_h)",
    "h_1[0]", "h_1[1,2,3]", "__builtins__", "L.__dict__", "∂L/∂__globals__"])
def test_python_in_an_answer_name(payload):
    f = write("p.toml", SEED + f"[answers]\n{toml_str(payload)} = 1\nh_1 = 2\n")
    r = run("check", f, "--format", "json")
    assert r.exception is None or isinstance(r.exception, SystemExit)
    # an unknown name is an invalid answer (spec revision 2): scored, its reason one line
    assert r.exit_code == 1 and r.stderr == "", r.stderr
    results = json.loads(r.stdout)["results"]
    assert [x["verdict"] for x in results] == ["invalid", "correct"]   # the rest is checked
    assert len(results[0]["diagnosis"]) == 1 and "\n" not in results[0]["diagnosis"][0]


@pytest.mark.parametrize("payload", PAYLOADS[:6] + ["h_1.__class__", "lambda: L"])
@pytest.mark.parametrize("flag", ["--wrt", "--of"])
def test_python_in_a_quantity_flag(payload, flag):
    args = ["grad", flag, payload] + (["--wrt", "w_h"] if flag == "--of" else [])
    bad(run(*args), flag)


@pytest.mark.parametrize("key, needles", [
    ("__class__", ["unknown key '__class__'"]),
    ("__init__", ["unknown key '__init__'"]),
    ("titel", ["unknown key 'titel'", "did you mean 'title'"]),
])
def test_dunder_and_misspelt_top_level_keys(key, needles):
    f = write("p.toml", f"{key} = 1\n" + SEED)
    bad(run("forward", "-f", f), "p.toml", *needles)


@pytest.mark.parametrize("key, needles", [
    ("__class__", ["unknown parameter '__class__'"]),
    ("__import__('os')", ["unknown parameter"]),
    ("W_Y", ["'W_Y' repeats w_y"]),
    ("w_z", ["unknown parameter 'w_z'", "did you mean"]),
])
def test_dunder_and_misspelt_parameters(key, needles):
    f = seed_with("h_0 = 1", f"h_0 = 1\n{toml_str(key)} = 2")
    bad(run("forward", "-f", f), "p.toml", "params", *needles)


def test_python_in_a_problem_name():
    """A table named with a payload is a name like any other: printed, never run."""
    name = PAYLOADS[0]
    head = f"[{toml_str(name)}]"
    body = SEED.replace("[params]", f"[{toml_str(name)}.params]").replace(
        "[data]", f"[{toml_str(name)}.data]")
    f = write("p.toml", head + "\n" + body + "\n[other]\ntitle = 'x'\n")
    out = ok(run("forward", "-f", f, "-p", name, "--format", "json"))
    assert json.loads(out)["problem"] == name
    bad(run("forward", "-f", f, "-p", PAYLOADS[1]), "p.toml", "unknown problem")
    bad(run("forward", "--problem", PAYLOADS[1]), "unknown problem")


# -- Python in a title is only text -----------------------------------------------------------

@pytest.mark.parametrize("title", PAYLOADS[:3] + [
    "[bold red]markup[/bold red] {0.__class__} %s %(x)s",
    "line one\\nline two",
])
@pytest.mark.parametrize("fmt", ["table", "json", "markdown"])
def test_python_in_a_title_is_printed_not_run(title, fmt):
    f = seed_with('title = "the seed"', f"title = {toml_str(title)}")
    out = ok(run("forward", "-f", f, "--format", fmt))
    if fmt == "json":
        assert json.loads(out)["title"] == title
    elif fmt == "markdown":      # escaped as Markdown: the same text once rendered
        assert title.split("\\n")[0] in re.sub(r"\\(.)", r"\1", out)
    else:
        assert title.split("\\n")[0] in out


def test_escape_sequences_in_a_title_do_not_reach_the_terminal():
    f = seed_with('title = "the seed"', 'title = "\\u001b]0;owned\\u0007\\u001b[2J\\u202e"')
    r = run("forward", "-f", f)
    assert "\x1b" not in r.stdout and "\u202e" not in r.stdout


def test_control_characters_in_a_key_keep_the_message_on_one_line():
    f = seed_with("h_0 = 1", 'h_0 = 1\n"w\\n\\u001b[31mh\\r" = 2')
    line = bad(run("forward", "-f", f), "p.toml", "unknown parameter")
    assert "\\x1b" in line and "\x1b" not in line


def test_control_characters_in_an_answer_name_keep_the_message_on_one_line():
    f = write("p.toml", SEED + '[answers]\n"h_1\\n" = "abc"\n')
    r = run("check", f, "--format", "json")
    assert r.exit_code == 1 and r.stderr == "", r.stderr
    res = json.loads(r.stdout)["results"][0]
    assert res["verdict"] == "invalid" and "\n" not in res["diagnosis"][0] + res["name"]


@pytest.mark.parametrize("section, value", [("data", "[1, 2]"), ("params", "3"),
                                            ("data", '"x"'), ("params", "true")])
def test_a_flag_over_a_section_that_is_not_a_table(section, value):
    """Found by the fuzz test: a flag laid over `data = [1, 2]` was a TypeError."""
    text = SEED.replace(f"[{section}]", f"[{section}_]") if section == "data" else \
        SEED.replace("[params]", "[p_]")
    f = write("p.toml", f"{section} = {value}\n" + text)
    flag = ["--x", "1"] if section == "data" else ["--w-h", "1"]
    bad(run("forward", "-f", f, *flag), "p.toml", f"{section}: expected a table [{section}]")


# -- deep nesting and the TOML equivalents of billion laughs ------------------------------------

@pytest.mark.parametrize("depth", [11, 300, 5000, 400_000], ids=str)
def test_deeply_nested_arrays(depth):
    f = seed_with("w_h = 1", "w_h = " + "[" * depth + "1" + "]" * depth)
    t = time.perf_counter()
    bad(run("forward", "-f", f), "p.toml", "nested")
    assert time.perf_counter() - t < 3


@pytest.mark.parametrize("text", [
    "a." * 450_000 + "a = 1\n",                        # a dotted key: tomllib is quadratic
    "[" + "a." * 450_000 + "a]\n",                     # a table header
    '"a".' * 200_000 + '"a" = 1\n',                    # quoted parts
    "[[" + "a." * 300_000 + "a]]\n",                   # an array of tables
    "a = " + "{b = " * 150_000 + "1" + "}" * 150_000,  # inline tables
    "a = " + "[{b = " * 100_000 + "1" + "}]" * 100_000,
], ids=["dotted-key", "header", "quoted-key", "array-of-tables", "inline-tables", "mixed"])
def test_deep_keys_and_tables_are_refused_fast(text):
    """TOML has no references, so no billion laughs: the most a 1 MB file can make is deep
    nesting. Refused before tomllib spends minutes on it, with the line."""
    f = write("p.toml", text)
    t = time.perf_counter()
    bad(run("forward", "-f", f), "p.toml", "line 1", "nested")
    assert time.perf_counter() - t < 2


@pytest.mark.parametrize("text", [
    "a: &a [1, 2]\nb: [*a, *a, *a]\n",                            # YAML anchors: not TOML
    '<!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><l>&b;</l>\n',
    "[[a]]\n" * 100_000,                                         # 100,000 tables, 600 kB
    "".join(f"k{i} = [{', '.join(['1'] * 20)}]\n" for i in range(15_000)),
], ids=["yaml-anchors", "xml-entities", "100000-tables", "15000-arrays"])
def test_billion_laughs_equivalents(text):
    f = write("p.toml", text)
    t = time.perf_counter()
    line = bad(run("forward", "-f", f), "p.toml")
    assert time.perf_counter() - t < 4
    assert len(line) <= MAX_MESSAGE + 200


# -- big input ----------------------------------------------------------------------------------

def test_a_100_mb_file_is_not_read(tmp_path):
    with open("big.toml", "wb") as f:
        f.truncate(100_000_000)          # sparse: 100 MB that cost nothing to write
    t = time.perf_counter()
    bad(run("forward", "-f", "big.toml"), "big.toml", "100,000,000 bytes", "1,000,000")
    assert time.perf_counter() - t < 1


def test_a_2_mb_string_in_a_file():
    f = seed_with('title = "the seed"', f'title = "{"9" * 2_000_000}"')
    bad(run("forward", "-f", f), "p.toml", "at most 1,000,000")


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
def test_an_endless_file_is_read_no_further_than_the_limit():
    t = time.perf_counter()
    bad(run("forward", "-f", "/dev/zero"), "/dev/zero", "more than 1,000,000 bytes")
    assert time.perf_counter() - t < 2


@pytest.mark.parametrize("flag", ["--w-h", "--x", "--y", "--outputs", "--wrt", "--problem",
                                  "--activation"])
def test_a_100_mb_flag(flag):
    """Not possible from a shell (the kernel caps one argument at 128 kB), but a program
    calling the app can pass one."""
    value = "1," * 50_000_000
    args = ["grad", "--wrt", "w_h", flag, value] if flag != "--wrt" else ["grad", flag, value]
    t = time.perf_counter()
    line = bad(run(*args), flag if flag not in ("--problem", "--activation") else "")
    assert time.perf_counter() - t < 5
    assert len(line) <= MAX_MESSAGE + 200


@pytest.mark.parametrize("command", [["check"], ["forward", "-f"]])
def test_a_file_with_a_nul_in_its_name(command):
    r = run(*command, "a\0b.toml")        # click refuses it: a usage error
    assert r.exit_code == 2 and isinstance(r.exception, SystemExit)
    assert "null byte" in r.stderr and "Traceback" not in r.stderr
    with pytest.raises(InputError, match="not a valid file name"):
        files.read_toml("a\0b.toml")


def test_not_utf8_names_the_line():
    f = write("p.toml", SEED.encode() + b"title2 = '\xff'\n")
    bad(run("forward", "-f", f), "p.toml", "UTF-8", "line 10")


def test_a_long_unknown_name_is_not_echoed_whole():
    f = write("p.toml", f'"{"A" * 9_000}" = 1\n' + SEED)
    line = bad(run("forward", "-f", f), "p.toml", "unknown key", "9,000 characters")
    assert len(line) < 500


def test_a_string_longer_than_any_problem_holds_is_refused_before_parsing():
    f = write("p.toml", f'"{"A" * 500_000}" = 1\n' + SEED)
    line = bad(run("forward", "-f", f), "p.toml", "line 1: a string of 500,002 characters: "
               "at most 10,000")
    assert len(line) < 500


@pytest.mark.parametrize("text, quote, end", [
    ('title = "abc\\"\n', '"', "line"),        # the last quote is escaped
    ("title = 'abc\n", "'", "line"),
    ('title = """abc\n\\"""', '"""', "file"),
    ("title = '''abc\n''", "'''", "file"),
])
def test_a_string_that_is_never_closed_names_its_line(text, quote, end):
    f = write("p.toml", SEED + text)
    line = bad(run("forward", "-f", f), "p.toml", f"a string that is never closed: expected "
               f"{quote} before the end of the {end}")
    assert f"line {SEED.count(chr(10)) + 1}:" in line


def test_an_unknown_quantity_of_a_long_problem_lists_a_few_names():
    xs = ",".join(["1"] * 5000)
    line = bad(run("grad", "--x", xs, "--y", xs, "--wrt", "h_9999"), "--wrt", "h_9999",
               "more)")
    assert len(line) < 1000


# -- overflow is reported as such ---------------------------------------------------------------

def test_cross_entropy_of_a_saturated_sigmoid_is_an_overflow():
    """y_hat = sigmoid(1000) is 1 at 50 digits, so log(1 - y_hat) cannot be taken."""
    line = bad(run("forward", "--output-function", "sigmoid", "--loss", "cross_entropy",
                   "--w-y", "1000",
                   "--y", "1,0"), "overflow")
    assert "inf" not in line.replace("information", "")


def test_sigmoid_far_below_zero_is_an_overflow():
    t = time.perf_counter()
    bad(run("forward", "--activation", "sigmoid", "--w-h", "-1e1000",
            "--x", "1e1000,-1e1000"), "overflow", "sigmoid")
    assert time.perf_counter() - t < 2


def test_gradient_of_a_saturated_sigmoid_is_an_overflow():
    bad(run("grad", "--wrt", "all", "--output-function", "sigmoid", "--loss", "cross_entropy",
            "--w-y", "1000", "--y", "1,1"), "overflow")


@pytest.mark.parametrize("fmt", ["table", "json", "markdown"])
def test_values_beyond_double_range_are_not_inf_or_nan(fmt):
    out = ok(run("forward", "--w-x", "1e300", "--h0", "0", "--x", "1e300,1", "--format", fmt))
    low = out.lower()
    assert "inf" not in low.replace("information", "") and "nan" not in low
    if fmt == "json":
        d = json.loads(out, parse_constant=lambda c: pytest.fail(f"{c} in JSON"))
        assert d["steps"][0]["h"] is None or abs(d["steps"][0]["h"]) < 1.8e308
        assert d["derivation"][0]["value_exact"] == "1" + "0" * 600


def test_exact_values_beyond_pythons_str_limit():
    """h grows 1000 digits a step; Python's str() stops at 4300 digits."""
    xs = ",".join(["1e1000"] * 6)
    out = ok(run("forward", "--w-h", "1e1000", "--w-x", "1", "--h0", "0", "--x", xs,
                 "--y", ",".join(["0"] * 6), "--format", "json"))
    d = json.loads(out)
    h6 = next(s for s in d["derivation"] if s["name"] == "h_6")
    assert h6["value"] is None           # beyond the double range: null, never inf
    assert "value_exact" not in h6 or len(h6["value_exact"]) > 5000


# -- several files: every file's problems are reported -------------------------------------------

def test_check_reports_every_bad_file_and_checks_the_good_ones():
    good = write("good.toml", SEED + "[answers]\nh_1 = 2\n")
    write("nan.toml", SEED.replace("w_h = 1", "w_h = nan") + "[answers]\nh_1 = 2\n")
    write("deep.toml", "a." * 100_000 + "a = 1\n")
    write("name.toml", SEED + f"[answers]\n{toml_str(PAYLOADS[0])} = 2\n")
    Path("dir.toml").mkdir()
    r = run("check", good, "nan.toml", "deep.toml", "name.toml", "dir.toml", "missing.toml",
            "--format", "json")
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    assert r.exit_code == 2
    lines = r.stderr.splitlines()
    assert [line.split(": ")[2] for line in lines] == [
        "nan.toml", "deep.toml", "dir.toml", "missing.toml"], lines
    assert all(l.startswith("rnn-solve: error: ") for l in lines)
    report = json.loads(r.stdout)
    # a bad answer name is no bad file: that answer is scored invalid
    assert [(x["file"], x["verdict"]) for x in report["results"]] == [
        ("good.toml", "correct"), ("name.toml", "invalid")]


# -- --output is written atomically ------------------------------------------------------------

def test_write_atomic_keeps_the_old_file_when_the_write_fails(monkeypatch):
    Path("out.txt").write_text("OLD")

    def fail(*a, **k):
        raise KeyboardInterrupt
    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(KeyboardInterrupt):
        files.write_atomic("out.txt", "NEW" * 100_000)
    assert Path("out.txt").read_text() == "OLD"
    assert sorted(os.listdir(".")) == ["out.txt"]


def test_write_atomic_keeps_the_old_file_when_the_disk_is_full(monkeypatch):
    Path("out.txt").write_text("OLD")
    real = os.fsync

    def full(fd):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(InputError, match="No space left"):
        files.write_atomic("out.txt", "NEW")
    monkeypatch.setattr(os, "fsync", real)
    assert Path("out.txt").read_text() == "OLD"
    assert sorted(os.listdir(".")) == ["out.txt"]


def test_write_atomic_permissions_and_links():
    Path("old.txt").write_text("OLD")
    os.chmod("old.txt", 0o640)
    files.write_atomic("old.txt", "NEW")
    assert stat.S_IMODE(os.stat("old.txt").st_mode) == 0o640
    umask = os.umask(0o022)
    os.umask(umask)
    files.write_atomic("new.txt", "NEW")
    assert stat.S_IMODE(os.stat("new.txt").st_mode) == 0o666 & ~umask
    os.symlink("old.txt", "link.txt")
    files.write_atomic("link.txt", "VIA LINK")
    assert os.path.islink("link.txt") and Path("old.txt").read_text() == "VIA LINK"
    with pytest.raises(InputError, match="input"):
        files.write_atomic("old.txt", "X", protect=["./link.txt"])


@pytest.mark.parametrize("target, needle", [
    (".", "folder"), ("nosuchdir/out.json", "cannot write there"), ("/", "folder")])
def test_check_output_that_cannot_be_written(target, needle):
    f = write("p.toml", SEED + "[answers]\nh_1 = 2\n")
    bad(run("check", f, "--format", "json", "--output", target), needle)
    assert sorted(os.listdir(".")) == ["p.toml"]


def test_check_never_writes_over_an_input_file():
    f = write("p.toml", SEED + "[answers]\nh_1 = 2\n")
    r = run("check", f, "--output", f)
    assert Path(f).read_text() == SEED + "[answers]\nh_1 = 2\n"
    assert r.exit_code == 2


# -- Ctrl-C: for real, in a subprocess ----------------------------------------------------------

def long_problem(path: Path, T: int, answers: str = "") -> Path:
    xs = ", ".join(["0.5"] * T)
    ys = ", ".join(["0.25"] * T)
    path.write_text('activation = "tanh"\n[params]\nw_x = 0.5\nw_h = 0.9\nw_y = 2\n'
                    f"[data]\nx = [{xs}]\ny = [{ys}]\n{answers}", encoding="utf-8")
    return path


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def interrupt(args, cwd: Path, after_cpu: float = 0.8):
    """Start rnn-solve, wait until it has computed for a while, send SIGINT; return
    (exit code, stdout, stderr, seconds from SIGINT to exit)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(ROOT), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.Popen([sys.executable, "-m", "rnn_cli", *args], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while _cpu_seconds(proc.pid) < after_cpu:
            assert proc.poll() is None, ("finished before it could be interrupted",
                                         proc.communicate())
            assert time.monotonic() < deadline
            time.sleep(0.05)
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
        return proc.returncode, out, err, time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_ctrl_c_is_not_swallowed_by_mpmath(monkeypatch):
    """mpmath converts a Fraction inside a bare `try: ... except: pass`: a Ctrl-C landing
    there vanished (the run went on, or failed later with a TypeError). Our context reads
    Fractions itself."""
    import mpmath.rational
    from fractions import Fraction

    def interrupted(*a, **k):
        raise KeyboardInterrupt
    x = numbers.tanh(Fraction(1))
    monkeypatch.setattr(mpmath.rational, "mpq", interrupted)
    assert x * Fraction(2, 3) == Fraction(2, 3) * x        # no mpq needed, so no interrupt
    c = numbers.ctx()
    monkeypatch.setattr(c, "convert", lambda x, strings=True: interrupted())
    with pytest.raises(KeyboardInterrupt):
        x * Fraction(2, 3)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_ctrl_c_during_a_long_gradient(tmp_path):
    f = long_problem(tmp_path / "long.toml", min(10_000, problem.MAX_T))
    # --of h_T: a gradient of another quantity than L takes the 50-digit path at every step
    # (dL/d(.) of a problem this long is evaluated in float64, too fast to interrupt)
    code, out, err, took = interrupt(["grad", "--of", f"h_{min(10_000, problem.MAX_T)}",
                                      "--style", "delta", "--wrt", "all", "-f", str(f)],
                                     tmp_path)
    assert code == 130, (code, err[-2000:])
    assert err.splitlines() == ["rnn-solve: interrupted"], err[-2000:]


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_ctrl_c_during_check_leaves_the_old_report(tmp_path):
    f = long_problem(tmp_path / "long.toml", min(10_000, problem.MAX_T), '[answers]\n"dL/dw_h" = 1\n'
                     '"dL/dw_x" = 2\n"dL/db_h" = 3\n"dL/dh_0" = 4\n')
    report = tmp_path / "report.json"
    report.write_text("OLD REPORT")
    code, out, err, took = interrupt(["check", str(f), "--format", "json", "--output",
                                      str(report)], tmp_path)
    assert code == 130, (code, err[-2000:])
    assert err.splitlines() == ["rnn-solve: interrupted"]
    assert report.read_text() == "OLD REPORT"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["long.toml", "report.json"]


@pytest.mark.parametrize("payload", PAYLOADS[:2])
def test_a_payload_in_every_string_field_of_one_file(payload):
    """The issue's case: every string a problem file can hold carries Python; the file is
    refused (by the first field read), nothing runs, and check still answers in one line."""
    q = json.dumps(payload)           # a TOML basic string is written like a JSON one
    text = (f"[{q}]\ntitle = {q}\nactivation = {q}\noutput = {q}\nloss = {q}\n"
            f"reduction = {q}\noutputs = {q}\nlayout = {q}\n"
            f"[{q}.params]\nw_x = {q}\nw_h = {q}\nw_y = {q}\nb_h = {q}\n{q} = {q}\n"
            f"[{q}.data]\nx = [{q}, {q}]\ny = [{q}, {q}]\n"
            f"[{q}.answers]\n{q} = {q}\n\"dL/d{payload}\" = {q}\n")
    path = write("all.toml", text)
    for command in (["forward", "-f", path], ["grad", "--wrt", "all", "-f", path]):
        bad(run(*command), "all.toml")
    r = run("check", path)            # check still prints its (empty) report on stdout
    assert r.exit_code == 2 and "Traceback" not in r.stderr
    assert len(r.stderr.splitlines()) == 1 and "all.toml" in r.stderr
