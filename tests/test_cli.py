"""The command line end to end: what a user types and what comes back.

Successful runs go through Typer's CliRunner (in process, fast). Bad input goes through the
real console entry point in a subprocess (`python -m rnn_cli`), because only `main()` turns an
InputError into one line on stderr and exit code 2.

Every expected number here is either one of the seed's published values (the handwritten
reference, /work/shared/reference/assignment3-handwritten.md, corrected), an answer from
examples.toml (computed with the independent oracle), or worked out by hand in the test with
Fractions. None comes from calling rnn_cli's own functions.
"""

import json
import os
import re
import subprocess
import sys
import tomllib
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from rnn_cli.cli import app

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = tomllib.loads((ROOT / "examples.toml").read_text(encoding="utf-8"),
                         parse_float=Decimal)
PARAMS = ("w_x", "w_h", "w_y", "b_h", "b_y", "h_0")
ANSI = "\x1b"
# the paths style and the scalar key comparison are for scalar problems; vector keys are
# checked against PyTorch in test_torch.py (and gated cells in test_gated.py)
SCALAR_EXAMPLES = [n for n, t in EXAMPLES.items()
                   if not any(isinstance(v, list) for v in t["params"].values())
                   and t.get("cell", "rnn") == "rnn" and "symbols" not in t]

# The seed (assignment3): w_x = 0.1, w_h = 1, w_y = 2, h_0 = 1, x = (10, 10), y = (5, 5).
SEED_STEPS = [{"t": 1, "a": 2, "h": 2, "o": 4, "y_hat": 4, "y": 5, "loss": 1},
              {"t": 2, "a": 3, "h": 3, "o": 6, "y_hat": 6, "y": 5, "loss": 1}]
SEED_GRADS = {"w_x": 40, "w_h": 8, "w_y": 2, "b_h": 4, "b_y": 0, "h_0": 0}

from conftest import SEED_TABLES  # noqa: E402

SEED_FILE = 'title = "the seed, as a file"\nactivation = "identity"\n' + SEED_TABLES

runner = CliRunner()


# -- helpers ----------------------------------------------------------------------------------

def invoke(*args: str, env: dict | None = None) -> str:
    """Run the app in process; it must succeed. Returns stdout."""
    result = runner.invoke(app, list(args), env=env)
    assert result.exit_code == 0, (args, result.exit_code, result.exception, result.stdout,
                                   result.stderr)
    return result.stdout


def invoke_json(*args: str) -> dict:
    out = invoke(*args, "--format", "json")
    return json.loads(out)  # one object, nothing else: json.loads rejects trailing text


def grads(d: dict) -> dict:
    return {name: g["value"] for name, g in d["gradients"].items()}


def exact_grads(d: dict) -> dict:
    return {name: Fraction(g["value_exact"]) for name, g in d["gradients"].items()}


def run_cli(args, cwd, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    """The real console entry point, in a subprocess, from `cwd`."""
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "FORCE_COLOR",
                                                             "NO_COLOR")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(
        os.pathsep)
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "rnn_cli", *args], capture_output=True,
                          text=True, cwd=cwd, env=env, timeout=120)


def assert_bad_input(r: subprocess.CompletedProcess, *needles: str) -> str:
    """Exit 2, nothing on stdout, exactly one line on stderr naming every needle."""
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr, r.stderr
    assert r.stdout == "", r.stdout
    lines = r.stderr.strip("\n").splitlines()
    assert len(lines) == 1, r.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def matches(answer, value: float | None, value_exact: str | None) -> bool:
    """Spec section 3: an integer or fraction matches exactly; a decimal at its own precision."""
    if isinstance(answer, int) or isinstance(answer, str):
        return value_exact is not None and Fraction(value_exact) == Fraction(answer)
    assert isinstance(answer, Decimal)
    if value_exact is not None:
        got = Fraction(value_exact)
    else:
        assert value is not None
        got = Fraction(Decimal(repr(value)))
    places = -answer.as_tuple().exponent
    return abs(got - Fraction(answer)) <= Fraction(1, 2 * 10 ** places) + Fraction(1, 10**12)


def split_derivative(name: str) -> tuple[str, str]:
    """'dL_3/dh_1' -> ('L_3', 'h_1')."""
    top, bottom = name.split("/")
    assert top.startswith("d") and bottom.startswith("d"), name
    return top[1:], bottom[1:]


# -- forward ----------------------------------------------------------------------------------

def test_forward_table_shows_seed_values():
    out = invoke("forward")
    assert ANSI not in out
    for row in ("h_1 = a_1", "h_2 = a_2", "y_hat_1 = o_1", "y_hat_2 = o_2", "L_1", "L_2"):
        assert row in out, row
    assert "1 × 1 + 0.1 × 10" in out          # h_1 with the numbers substituted
    assert "1 × 2 + 0.1 × 10" in out          # h_2
    assert "(4 - 5)^2" in out and "(6 - 5)^2" in out
    # the value column: every row ends with its value before the closing border
    values = dict(re.findall(r"│ (\S+(?: = \S+)?)\s+│.*│\s+(\S+) │$", out, re.M))
    assert values["h_1 = a_1"] == "2"
    assert values["h_2 = a_2"] == "3"
    assert values["y_hat_1 = o_1"] == "4"
    assert values["y_hat_2 = o_2"] == "6"
    assert values["L_1"] == "1" and values["L_2"] == "1"
    assert values["L"] == "2"


def test_forward_json_has_spec_keys_and_seed_values():
    d = invoke_json("forward")
    assert d["problem"] == "assignment3"
    assert len(d["steps"]) == 2
    for got, want in zip(d["steps"], SEED_STEPS):
        for key, value in want.items():
            assert got[key] == value, (key, got)
            if key != "t":
                assert isinstance(got[key], (int, float)) and not isinstance(got[key], bool)
    assert d["loss"] == 2
    assert d["loss_exact"] == "2"


def test_forward_json_exact_strings_for_exact_values():
    d = invoke_json("forward")
    by_name = {}
    for step in d["derivation"]:
        for name in (step["name"], *step.get("same_as", [])):
            by_name[name] = step
    want = {"a_1": "2", "h_1": "2", "h_2": "3", "o_1": "4", "y_hat_1": "4", "y_hat_2": "6",
            "L_1": "1", "L_2": "1", "L": "2"}
    for name, exact in want.items():
        assert by_name[name]["value_exact"] == exact, name
        assert by_name[name]["value"] == float(exact), name


def test_forward_json_null_target_and_loss_where_no_target():
    # outputs last: only step 2 has a target; y_hat_2 = 6 so L = (6 - 4)^2 = 4
    d = invoke_json("forward", "--outputs", "last", "--y", "4")
    assert d["steps"][0]["y"] is None and d["steps"][0]["loss"] is None
    assert d["steps"][1]["y"] == 4 and d["steps"][1]["loss"] == 4
    assert d["loss"] == 4


# -- grad -------------------------------------------------------------------------------------

def test_grad_wrt_w_h_table():
    out = invoke("grad", "--wrt", "w_h")
    assert ANSI not in out
    assert "dL/dw_h = 8" in out
    assert "-4 + 12" in out                      # dL_1/dw_h + dL_2/dw_h
    assert "2(6 - 5) * 2 * [2 + 1 * 1]" in out    # the handwritten question 4, done right
    assert re.search(r"│ dL/dw_h\s+│.*│\s+8 │$", out, re.M)


def test_grad_wrt_w_h_json():
    d = invoke_json("grad", "--wrt", "w_h")
    assert d["problem"] == "assignment3"
    assert d["of"] == "L"
    assert list(d["gradients"]) == ["w_h"]
    g = d["gradients"]["w_h"]
    assert g["value"] == 8 and g["value_exact"] == "8"
    terms = {t["name"]: t for t in g["terms"]}
    assert Fraction(terms["dL_1/dw_h"]["value_exact"]) == -4
    assert Fraction(terms["dL_2/dw_h"]["value_exact"]) == 12
    assert terms["dL/dw_h"]["kind"] == "total"


def test_grad_all_json_seed_values():
    d = invoke_json("grad", "--wrt", "all")
    assert d["problem"] == "assignment3" and d["of"] == "L"
    assert set(d["gradients"]) == set(PARAMS)
    assert grads(d) == SEED_GRADS
    assert exact_grads(d) == SEED_GRADS
    for name, g in d["gradients"].items():
        assert isinstance(g["value"], (int, float)), name
        assert isinstance(g["value_exact"], str), name
        assert isinstance(g["terms"], list) and g["terms"], name
        for term in g["terms"]:
            assert {"name", "formula", "substituted", "value"} <= set(term), term
            assert "value_exact" in term, term     # the seed is exact throughout
            assert Fraction(term["value_exact"]) == Fraction(repr(term["value"])), term


@pytest.mark.parametrize("style", ["paths", "delta"])
def test_grad_all_json_seed_values_each_style(style):
    d = invoke_json("grad", "--wrt", "all", "--style", style)
    assert d["style"] == style
    assert exact_grads(d) == SEED_GRADS


def test_grad_exact_fraction_values():
    # w_h = 1/3 by hand: h_1 = 4/3, h_2 = 13/9; y_hat = 8/3, 26/9;
    # L = (8/3 - 5)^2 + (26/9 - 5)^2 = 49/9 + 361/81 = 802/81.
    # dL/dy_hat_1 = -14/3, dL/dy_hat_2 = -38/9; dL/dh_2 = -76/9;
    # dL/dh_1 = -28/3 + (-76/9)(1/3) = -328/27; dL/dh_0 = -328/81;
    # dL/dw_h = dL/dh_1 h_0 + dL/dh_2 h_1 = -328/27 - 304/27 = -632/27.
    f = invoke_json("forward", "--w-h", "1/3")
    assert f["loss_exact"] == "802/81"
    assert f["loss"] == pytest.approx(802 / 81, rel=1e-15)
    d = invoke_json("grad", "--wrt", "w_h", "--wrt", "h_0", "--w-h", "1/3")
    assert d["gradients"]["w_h"]["value_exact"] == "-632/27"
    assert d["gradients"]["h_0"]["value_exact"] == "-328/81"
    assert d["gradients"]["w_h"]["value"] == pytest.approx(-632 / 27, rel=1e-15)


def test_grad_wrt_repeated_keeps_order():
    d = invoke_json("grad", "--wrt", "w_h", "--wrt", "w_x")
    assert list(d["gradients"]) == ["w_h", "w_x"]
    assert grads(d) == {"w_h": 8, "w_x": 40}


def test_grad_wrt_repeated_alias_is_one_gradient():
    d = invoke_json("grad", "--wrt", "w_h", "--wrt", "W_hh", "--wrt", "W")
    assert list(d["gradients"]) == ["w_h"]


def test_grad_wrt_aliases():
    d = invoke_json("grad", "--wrt", "U", "--wrt", "V", "--wrt", "b", "--wrt", "c",
                    "--wrt", "h0")
    assert grads(d) == {"w_x": 40, "w_y": 2, "b_h": 4, "b_y": 0, "h_0": 0}


def test_grad_of_h2_wrt_h0():
    # h_2 = w_h h_1 + ..., h_1 = w_h h_0 + ...: dh_2/dh_0 = w_h^2 = 1
    d = invoke_json("grad", "--of", "h_2", "--wrt", "h_0")
    assert d["of"] == "h_2"
    assert exact_grads(d) == {"h_0": 1}
    # and with w_h = 0.5 it is 1/4: the shrinking factor of the vanishing gradient
    d = invoke_json("grad", "--of", "h_2", "--wrt", "h_0", "--w-h", "0.5")
    assert exact_grads(d) == {"h_0": Fraction(1, 4)}
    out = invoke("grad", "--of", "h_2", "--wrt", "h_0")
    assert "dh_2/dh_0 = 1" in out


@pytest.mark.parametrize("of, wrt, want", [
    ("L_1", "w_h", -4), ("L_2", "w_h", 12),         # the handwritten question 4's terms
    ("L", "h_1", 0), ("L_1", "h_1", -4), ("L_2", "h_1", 4), ("L", "h_2", 4),
    ("L", "y_hat_1", -2), ("L", "o_2", 2), ("L", "L_2", 1),
    ("y_hat_2", "w_h", 6),                          # w_y (h_1 + w_h h_0) = 2 * 3
    ("h_2", "w_h", 3),                              # h_1 + w_h h_0
    ("h_1", "h_2", 0),                              # no path backwards in time
])
def test_grad_of_and_wrt_quantities(of, wrt, want):
    for style in ("paths", "delta"):
        d = invoke_json("grad", "--of", of, "--wrt", wrt, "--style", style)
        assert exact_grads(d) == {wrt: want}, style


@pytest.mark.parametrize("spelling", ["h1", "h_1"])
def test_grad_step_underscore_optional(spelling):
    assert exact_grads(invoke_json("grad", "--wrt", spelling)) == {"h_1": 0}


@pytest.mark.parametrize("spelling", ["yhat_1", "ŷ_1", "y_hat_1"])
def test_grad_y_hat_spellings(spelling):
    assert exact_grads(invoke_json("grad", "--wrt", spelling)) == {"y_hat_1": -2}


@pytest.mark.parametrize("spelling", ["E", "J", "L"])
def test_grad_total_loss_spellings(spelling):
    assert exact_grads(invoke_json("grad", "--of", spelling, "--wrt", "w_h")) == {"w_h": 8}


def test_grad_reduction_and_loss_flags():
    # mean over two targets halves the sum; half_squared halves the squared error
    assert exact_grads(invoke_json("grad", "--wrt", "w_h", "--reduction", "mean")) == \
        {"w_h": 4}
    assert exact_grads(invoke_json("grad", "--wrt", "w_h", "--loss", "half_squared")) == \
        {"w_h": 4}
    # only step 2 has a target: dL/dw_h = dL_2/dw_h = 12
    assert exact_grads(invoke_json("grad", "--wrt", "w_h", "--outputs", "last",
                                   "--y", "5")) == {"w_h": 12}
    assert exact_grads(invoke_json("grad", "--wrt", "w_h", "--outputs", "[2]",
                                   "--y", "5")) == {"w_h": 12}


@pytest.mark.parametrize("name", SCALAR_EXAMPLES)
def test_styles_agree_on_every_example(name):
    paths = invoke_json("grad", "--wrt", "all", "--wrt", "h_1", "--problem", name,
                        "--style", "paths")
    delta = invoke_json("grad", "--wrt", "all", "--wrt", "h_1", "--problem", name,
                        "--style", "delta")
    assert paths["style"] == "paths" and delta["style"] == "delta"
    assert set(paths["gradients"]) == set(delta["gradients"]) == {*PARAMS, "h_1"}
    for wrt in paths["gradients"]:
        p, q = paths["gradients"][wrt], delta["gradients"][wrt]
        assert ("value_exact" in p) == ("value_exact" in q), wrt
        if "value_exact" in p:
            assert Fraction(p["value_exact"]) == Fraction(q["value_exact"]), wrt
        assert p["value"] == pytest.approx(q["value"], rel=1e-12, abs=1e-15), wrt


def test_style_paths_and_delta_tables_same_value():
    for style in ("paths", "delta"):
        out = invoke("grad", "--wrt", "all", "--style", style)
        for name, value in SEED_GRADS.items():
            assert f"dL/d{name} = {value}" in out, (style, name)
        assert f"style: {style}" in out


def test_grad_markdown():
    out = invoke("grad", "--wrt", "w_h", "--format", "markdown")
    assert ANSI not in out
    assert "┃" not in out and "│" not in out
    assert "| quantity | formula | with numbers | value |" in out
    assert "|---|---|---|---|" in out
    assert re.search(r"^\| `dL/dw_h` \| .* \| 8 \|$", out, re.M)
    assert re.search(r"^\| `dL_2/dw_h` \| .* \| 12 \|$", out, re.M)


def test_forward_markdown():
    out = invoke("forward", "--format", "markdown")
    assert "| quantity | formula | with numbers | value |" in out
    assert re.search(r"^\| `h_2 = a_2` \| .* \| 3 \|$", out, re.M)
    assert re.search(r"^\| `L` \| .* \| 2 \|$", out, re.M)


# -- where the problem comes from -------------------------------------------------------------

OTHER_FILE = """\
[params]
W_xh = 0.5
W_hh = 2
w_y = 1

[data]
x = [2, 4]
y = [0, 1]
"""
# by hand, h_0 = 0: h_1 = 0.5 * 2 = 1, h_2 = 2 * 1 + 0.5 * 4 = 4; L = (1 - 0)^2 + (4 - 1)^2 = 10
# with --w-h 1:     h_1 = 1,           h_2 = 1 * 1 + 2 = 3;        L = 1 + (3 - 1)^2 = 5
# with --h0 2 too:  h_1 = 2 + 1 = 3,   h_2 = 3 + 2 = 5;            L = 9 + 16 = 25


def test_file_alone(tmp_path):
    p = write(tmp_path, "other.toml", OTHER_FILE)
    d = invoke_json("forward", "--file", str(p))
    assert d["problem"] == "other"
    assert [s["h"] for s in d["steps"]] == [1, 4]
    assert d["loss_exact"] == "10"


def test_flags_override_file(tmp_path):
    p = write(tmp_path, "other.toml", OTHER_FILE)
    d = invoke_json("forward", "-f", str(p), "--w-h", "1")
    assert [s["h"] for s in d["steps"]] == [1, 3]
    assert d["loss_exact"] == "5"
    d = invoke_json("forward", "-f", str(p), "--w-h", "1", "--h0", "2")
    assert [s["h"] for s in d["steps"]] == [3, 5]
    assert d["loss_exact"] == "25"


def test_flags_override_data_in_file(tmp_path):
    p = write(tmp_path, "other.toml", OTHER_FILE)
    # x = (1, 1), y = (0, 0): h_1 = 0.5, h_2 = 2 * 0.5 + 0.5 = 1.5; L = 0.25 + 2.25 = 2.5
    d = invoke_json("forward", "-f", str(p), "--x", "1,1", "--y", "[0, 0]")
    assert d["loss_exact"] == "2.5"


def test_seed_file_matches_builtin(tmp_path):
    p = write(tmp_path, "seed.toml", SEED_FILE)
    d = invoke_json("grad", "--wrt", "all", "-f", str(p))
    assert exact_grads(d) == SEED_GRADS


def test_flags_without_file_override_builtin():
    # w_h = 2 by hand: h_1 = 2 * 1 + 1 = 3, h_2 = 2 * 3 + 1 = 7; y_hat = 6, 14;
    # L = (6 - 5)^2 + (14 - 5)^2 = 82
    d = invoke_json("forward", "--w-h", "2")
    assert d["problem"] == "assignment3"
    assert [s["h"] for s in d["steps"]] == [3, 7]
    assert [s["y_hat"] for s in d["steps"]] == [6, 14]
    assert d["loss_exact"] == "82"


def test_flags_activation_over_builtin():
    # tanh(2) = 0.9640275800758169 (by hand / a table of tanh)
    d = invoke_json("forward", "--activation", "tanh")
    assert d["activation"] == "tanh"
    assert d["steps"][0]["h"] == pytest.approx(0.9640275800758169, rel=1e-14)


def test_problem_in_file_of_several(tmp_path):
    p = write(tmp_path, "two.toml", "[first]\n" + SEED_FILE.split("\n", 2)[2]
              .replace("[params]", "[first.params]").replace("[data]", "[first.data]")
              + "\n" + OTHER_FILE.replace("[params]", "[second.params]")
              .replace("[data]", "[second.data]"))
    assert invoke_json("forward", "-f", str(p), "-p", "first")["loss_exact"] == "2"
    assert invoke_json("forward", "-f", str(p), "--problem", "second")["loss_exact"] == "10"


def _answer_groups(name: str):
    """The example's answer key split into forward quantities and (of -> {wrt: answer})."""
    answers = EXAMPLES[name].get("answers", {})
    forward_answers, by_of = {}, {}
    for key, answer in answers.items():
        if "/" in key:
            of, wrt = split_derivative(key)
            by_of.setdefault(of, {})[wrt] = answer
        else:
            forward_answers[key] = answer
    return forward_answers, by_of


@pytest.mark.parametrize("name", SCALAR_EXAMPLES)
def test_builtin_problem_matches_its_answer_key(name):
    """--problem NAME runs each built-in example; its printed values match its answer key."""
    forward_answers, by_of = _answer_groups(name)
    assert forward_answers or by_of, name
    f = invoke_json("forward", "--problem", name)
    assert f["problem"] == name
    assert len(f["steps"]) == len(EXAMPLES[name]["data"]["x"])
    values = {}
    for step in f["derivation"]:
        for n in (step["name"], *step.get("same_as", [])):
            values[n] = (step["value"], step.get("value_exact"))
    for key, answer in forward_answers.items():
        assert key in values, (name, key)
        assert matches(answer, *values[key]), (name, key, answer, values[key])
    for of, wanted in by_of.items():
        args = ["grad", "--problem", name, "--of", of]
        for wrt in wanted:
            args += ["--wrt", wrt]
        d = invoke_json(*args)
        for wrt, answer in wanted.items():
            g = d["gradients"][wrt]
            assert matches(answer, g["value"], g.get("value_exact")), \
                (name, f"d{of}/d{wrt}", answer, g)


@pytest.mark.parametrize("name", list(EXAMPLES))
@pytest.mark.parametrize("command", [["forward"], ["grad", "--wrt", "all"]])
def test_builtin_problem_table_runs(name, command):
    out = invoke(*command, "--problem", name)
    assert out.startswith(name)


def test_examples_lists_every_problem():
    out = invoke("examples")
    listed = re.findall(r"^(\S+):", out, re.M)
    assert listed == list(EXAMPLES)
    for name, table in EXAMPLES.items():
        assert table["title"] in out, name


# -- help, imports, colour --------------------------------------------------------------------

COMMANDS = list(get_command(app).commands)


def test_the_commands_of_the_contract_exist():
    assert {"forward", "grad", "examples"} <= set(COMMANDS)


@pytest.mark.parametrize("args", [[]] + [[c] for c in COMMANDS])
def test_help_exits_0_and_shows_an_example(args):
    out = invoke(*args, "--help")
    assert "Example" in out
    assert "Usage" in out


def test_help_through_the_console_script(tmp_path):
    r = run_cli(["--help"], tmp_path)
    assert r.returncode == 0, r.stderr
    assert "Example" in r.stdout and r.stderr == ""


HEAVY = ("sympy", "numpy", "mpmath")


@pytest.mark.parametrize("args", [["--help"]] + [[c, "--help"] for c in COMMANDS])
def test_help_does_not_import_heavy_modules(args):
    code = ("import sys\n"
            f"sys.argv = ['rnn-solve', *{args!r}]\n"
            "from rnn_cli.cli import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            f"print('LOADED', sorted(m for m in {HEAVY!r} if m in sys.modules))\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == "LOADED []"


def test_help_importtime_has_no_heavy_modules(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-X", "importtime", "-m", "rnn_cli", "--help"],
                       capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    assert r.returncode == 0
    imported = {line.rsplit("|", 1)[-1].strip().split(".")[0]
                for line in r.stderr.splitlines() if line.startswith("import time:")}
    assert "rnn_cli" in imported
    assert not imported & set(HEAVY), imported & set(HEAVY)


@pytest.mark.parametrize("env_extra", [{}, {"NO_COLOR": "1"},
                                       {"NO_COLOR": "1", "TERM": "xterm-256color"}])
@pytest.mark.parametrize("args", [["forward"], ["grad", "--wrt", "all"],
                                  ["grad", "--wrt", "w_h", "--format", "markdown"],
                                  ["examples"]])
def test_piped_output_has_no_ansi(tmp_path, args, env_extra):
    r = run_cli(args, tmp_path, env_extra)
    assert r.returncode == 0, r.stderr
    assert ANSI not in r.stdout and ANSI not in r.stderr
    assert r.stdout.strip()


def test_piped_output_is_120_columns_unless_columns_set(tmp_path):
    wide = run_cli(["grad", "--wrt", "w_h"], tmp_path)
    assert max(len(line) for line in wide.stdout.splitlines()) == 120
    narrow = run_cli(["grad", "--wrt", "w_h"], tmp_path, {"COLUMNS": "100"})
    assert max(len(line) for line in narrow.stdout.splitlines()) == 100


def test_json_piped_is_one_object(tmp_path):
    r = run_cli(["grad", "--wrt", "all", "--format", "json"], tmp_path)
    assert r.returncode == 0 and r.stderr == ""
    d = json.loads(r.stdout)
    assert grads(d) == SEED_GRADS
    r = run_cli(["forward", "--format", "json"], tmp_path)
    assert json.loads(r.stdout)["loss"] == 2


# -- long sequences ---------------------------------------------------------------------------

LONG = ["--x", ",".join(["1"] * 50), "--y", "0", "--outputs", "last", "--w-h", "0.5"]


def _long_by_hand():
    """The seed with w_h = 1/2, x = 1 at each of 50 steps, one target 0 at step 50."""
    h = Fraction(1)
    hs = []
    for _ in range(50):
        h = Fraction(1, 2) * h + Fraction(1, 10)
        hs.append(h)
    y_hat = 2 * hs[-1]
    return hs, y_hat ** 2


def test_long_forward_leaves_steps_out():
    out = invoke("forward", *LONG)
    assert "left out" in out
    assert "46 steps (3 to 48)" in out
    assert "--all-steps" in out
    assert "h_1" in out and "h_2 " in out and "h_49" in out and "h_50" in out
    assert "h_25" not in out and "h_3 " not in out


def test_long_forward_all_steps_shows_every_step():
    out = invoke("forward", *LONG, "--all-steps")
    assert "left out" not in out
    assert "h_25 = a_25" in out
    for t in range(1, 51):
        assert re.search(rf"│ h_{t} = a_{t}\s", out), t


def test_long_forward_json_values():
    hs, loss = _long_by_hand()
    d = invoke_json("forward", *LONG)
    assert len(d["steps"]) == 50
    assert all(s["y"] is None and s["loss"] is None for s in d["steps"][:49])
    assert d["steps"][49]["y"] == 0
    assert [s["h"] for s in d["steps"]] == [float(h) for h in hs]
    assert Fraction(d["loss_exact"]) == loss


def test_long_grad_defaults_to_delta_and_leaves_steps_out():
    out = invoke("grad", "--wrt", "w_h", *LONG)
    assert "style: delta" in out
    assert "left out" in out
    assert "dL/dh_25" not in out
    out = invoke("grad", "--wrt", "w_h", *LONG, "--all-steps")
    assert "dL/dh_25" in out and "left out" not in out


def test_long_grad_value_by_hand():
    hs, _ = _long_by_hand()
    # identity: dL/dh_50 = 2 y_hat_50 w_y; dL/dh_t = dL/dh_{t+1} w_h;
    # dL/dw_h = sum_t dL/dh_t h_{t-1}
    adj = 2 * (2 * hs[-1]) * 2
    total = Fraction(0)
    prev = [Fraction(1)] + hs[:-1]
    for t in range(50, 0, -1):
        total += adj * prev[t - 1]
        adj *= Fraction(1, 2)
    d = invoke_json("grad", "--wrt", "w_h", *LONG)
    assert d["style"] == "delta"
    assert Fraction(d["gradients"]["w_h"]["value_exact"]) == total
    # the paths style writes out every path (work growing with T^3): refused beyond T = 40
    r = runner.invoke(app, ["grad", "--wrt", "w_h", *LONG, "--style", "paths"])
    assert r.exit_code == 2 and "--style delta" in r.stderr


def test_long_table_does_not_cut_values():
    out = invoke("forward", *LONG)
    assert "…" not in out


# -- bad input: exit 2, one line on stderr, no traceback --------------------------------------

def test_missing_file(tmp_path):
    assert_bad_input(run_cli(["forward", "-f", "nosuch.toml"], tmp_path), "nosuch.toml")


def test_folder_instead_of_file(tmp_path):
    (tmp_path / "dir.toml").mkdir()
    assert_bad_input(run_cli(["forward", "-f", "dir.toml"], tmp_path), "dir.toml")


def test_empty_file(tmp_path):
    write(tmp_path, "empty.toml", "")
    assert_bad_input(run_cli(["forward", "-f", "empty.toml"], tmp_path), "empty.toml")


def test_not_utf8(tmp_path):
    (tmp_path / "bin.toml").write_bytes(b"\xff\xfe\x00w_h = 1")
    assert_bad_input(run_cli(["forward", "-f", "bin.toml"], tmp_path), "bin.toml")


def test_broken_toml_names_the_line(tmp_path):
    write(tmp_path, "broken.toml", 'activation = "identity"\n[params\nw_x = 1\n')
    line = assert_bad_input(run_cli(["forward", "-f", "broken.toml"], tmp_path),
                            "broken.toml")
    assert "line 2" in line


def test_unknown_top_level_key_suggests(tmp_path):
    write(tmp_path, "typo.toml", SEED_FILE.replace("activation", "actvation"))
    line = assert_bad_input(run_cli(["forward", "-f", "typo.toml"], tmp_path),
                            "typo.toml", "actvation")
    assert "did you mean 'activation'" in line


def test_unknown_activation_in_file(tmp_path):
    write(tmp_path, "act.toml", SEED_FILE.replace('"identity"', '"swish"'))
    assert_bad_input(run_cli(["forward", "-f", "act.toml"], tmp_path),
                     "act.toml", "activation", "swish", "tanh")


def test_unknown_activation_flag(tmp_path):
    assert_bad_input(run_cli(["forward", "--activation", "swish"], tmp_path),
                     "activation", "swish", "tanh")


@pytest.mark.parametrize("args, needles", [
    (["grad", "--wrt", "w_z"], ["--wrt", "w_z", "w_y"]),
    (["grad", "--wrt", "w_h", "--wrt", "w_z"], ["--wrt", "w_z"]),
    (["grad", "--of", "w_z", "--wrt", "w_h"], ["--of", "w_z"]),
    (["grad", "--of", "z_2", "--wrt", "w_h"], ["--of", "z_2"]),
    (["grad", "--wrt", "h_9"], ["--wrt", "h_9", "h_2"]),
    (["grad", "--of", "h_9", "--wrt", "w_h"], ["--of", "h_9", "h_2"]),
    (["grad", "--of", "L_9", "--wrt", "w_h"], ["--of", "L_9"]),
    (["grad", "--wrt", "w_h[1,1]"], ["--wrt", "w_h[1,1]"]),
])
def test_unknown_quantity(tmp_path, args, needles):
    assert_bad_input(run_cli(args, tmp_path), *needles)


def test_x_and_y_lengths_in_file(tmp_path):
    write(tmp_path, "len.toml", SEED_FILE.replace("y = [5, 5]", "y = [5, 5, 5]"))
    assert_bad_input(run_cli(["forward", "-f", "len.toml"], tmp_path), "len.toml", "data.y",
                     "3")


def test_x_and_y_lengths_in_flags(tmp_path):
    assert_bad_input(run_cli(["forward", "--x", "1,2,3", "--y", "5,5"], tmp_path), "targets")


def test_x_and_y_lengths_in_flags_names_the_flag(tmp_path):
    line = assert_bad_input(run_cli(["forward", "--x", "1,2,3", "--y", "5,5"], tmp_path))
    assert "--y" in line and "--x" in line


def test_not_a_number_in_file(tmp_path):
    write(tmp_path, "abc.toml", SEED_FILE.replace("w_h = 1", 'w_h = "abc"'))
    assert_bad_input(run_cli(["forward", "-f", "abc.toml"], tmp_path),
                     "abc.toml", "w_h", "abc")


@pytest.mark.parametrize("flag", ["--w-h", "--w-x", "--w-y", "--b-h", "--b-y", "--h0"])
def test_not_a_number_in_flag(tmp_path, flag):
    assert_bad_input(run_cli(["forward", flag, "abc"], tmp_path), flag, "abc")


@pytest.mark.parametrize("value", ["nan", "1/0", "1e5000", "[1"])
def test_bad_number_in_flag(tmp_path, value):
    assert_bad_input(run_cli(["forward", "--w-h", value], tmp_path), "--w-h")


def test_not_a_number_in_x_flag(tmp_path):
    assert_bad_input(run_cli(["forward", "--x", "1,abc"], tmp_path), "abc")


def test_several_problems_without_problem(tmp_path):
    write(tmp_path, "multi.toml", (ROOT / "examples.toml").read_text(encoding="utf-8"))
    line = assert_bad_input(run_cli(["forward", "-f", "multi.toml"], tmp_path),
                            "multi.toml", "--problem")
    for name in EXAMPLES:
        assert name in line


def test_unknown_problem(tmp_path):
    line = assert_bad_input(run_cli(["forward", "--problem", "nosuch"], tmp_path), "nosuch")
    for name in EXAMPLES:
        assert name in line


def test_unknown_problem_in_file(tmp_path):
    write(tmp_path, "multi.toml", (ROOT / "examples.toml").read_text(encoding="utf-8"))
    assert_bad_input(run_cli(["forward", "-f", "multi.toml", "-p", "nosuch"], tmp_path),
                     "multi.toml", "nosuch", "assignment3")


@pytest.mark.parametrize("literal", ["nan", "inf", "-inf", "+nan"])
def test_nan_or_inf_in_file(tmp_path, literal):
    write(tmp_path, "nan.toml", SEED_FILE.replace("w_h = 1", f"w_h = {literal}"))
    assert_bad_input(run_cli(["forward", "-f", "nan.toml"], tmp_path), "nan.toml", "w_h")


def test_nan_string_in_file(tmp_path):
    write(tmp_path, "nan.toml", SEED_FILE.replace("w_h = 1", 'w_h = "nan"'))
    assert_bad_input(run_cli(["forward", "-f", "nan.toml"], tmp_path), "nan.toml", "w_h")


def test_cross_entropy_without_sigmoid_in_file(tmp_path):
    write(tmp_path, "ce.toml", SEED_FILE.replace('activation = "identity"',
                                                 'loss = "cross_entropy"'))
    assert_bad_input(run_cli(["forward", "-f", "ce.toml"], tmp_path),
                     "ce.toml", "cross_entropy", "sigmoid")


def test_cross_entropy_without_sigmoid_in_flag(tmp_path):
    assert_bad_input(run_cli(["forward", "--loss", "cross_entropy"], tmp_path),
                     "cross_entropy", "sigmoid")


PAYLOAD = "__import__('os').system('touch PWNED')"


def test_python_payload_in_file_is_not_run(tmp_path):
    write(tmp_path, "pwn.toml", SEED_FILE.replace("w_h = 1", f'w_h = "{PAYLOAD}"'))
    assert_bad_input(run_cli(["forward", "-f", "pwn.toml"], tmp_path), "pwn.toml", "w_h")
    assert not (tmp_path / "PWNED").exists()


@pytest.mark.parametrize("flag", ["--w-h", "--x", "--outputs"])
def test_python_payload_in_flag_is_not_run(tmp_path, flag):
    r = run_cli(["forward", flag, PAYLOAD], tmp_path)
    assert_bad_input(r)
    assert not (tmp_path / "PWNED").exists()


def test_python_payload_in_wrt_is_not_run(tmp_path):
    assert_bad_input(run_cli(["grad", "--wrt", PAYLOAD], tmp_path), "--wrt")
    assert not (tmp_path / "PWNED").exists()


@pytest.mark.parametrize("args", [
    ["forward", "--outputs", "[3]"],
    ["forward", "--outputs", "first"],
    ["forward", "--reduction", "avg"],
    ["forward", "--output-function", "softmax"],
    ["forward", "--w-h", "[[1, 2], [3, 4]]"],
])
def test_other_bad_flags(tmp_path, args):
    assert_bad_input(run_cli(args, tmp_path))


# -- usage errors and names that are not quantities ---------------------------------------


@pytest.mark.parametrize("args, needle", [
    pytest.param(["grad"], "--wrt", id="grad-without-wrt"),
    pytest.param(["bogus"], "bogus", id="unknown-command"),
    pytest.param(["forward", "--format", "xml"], "xml", id="bad-format"),
    pytest.param(["forward", "--digits", "0"], "--digits", id="digits-out-of-range"),
    pytest.param(["forward", "--nosuch-flag"], "--nosuch-flag", id="unknown-flag"),
])
def test_usage_errors_exit_2_without_traceback(tmp_path, args, needle):
    r = run_cli(args, tmp_path)
    assert "Traceback" not in r.stderr, r.stderr[-400:]
    assert r.returncode == 2
    assert needle in r.stderr


def test_no_arguments_shows_help_without_traceback(tmp_path):
    r = run_cli([], tmp_path)
    assert "Traceback" not in r.stderr, r.stderr[-400:]
    assert r.returncode in (0, 2)
    assert "Usage" in r.stdout + r.stderr


@pytest.mark.parametrize("style", ["paths", "delta"])
def test_dL_dL_is_one(style):
    d = invoke_json("grad", "--wrt", "L", "--style", style)
    assert exact_grads(d) == {"L": 1}


@pytest.mark.parametrize("of", ["w_h", "b_y"])
def test_parameter_as_of_is_an_input_error(tmp_path, of):
    r = run_cli(["grad", "--of", of, "--wrt", "w_h"], tmp_path)
    assert "Traceback" not in r.stderr, r.stderr[-400:]
    assert r.returncode == 2
    assert "--of" in r.stderr


def test_derivative_in_wrt_is_not_silently_changed(tmp_path):
    r = run_cli(["grad", "--wrt", "dL_2/dw_h", "--format", "json"], tmp_path)
    if r.returncode != 2:
        assert r.returncode == 0, r.stderr
        g = json.loads(r.stdout)["gradients"]["w_h"]
        assert Fraction(g["value_exact"]) == 12


def test_derivative_in_of_is_not_silently_changed(tmp_path):
    r = run_cli(["grad", "--of", "dL/dh_1", "--wrt", "w_h", "--format", "json"], tmp_path)
    assert r.returncode == 2, r.stdout[:200]
    assert "--of" in r.stderr


def test_fractional_output_step_flag(tmp_path):
    r = run_cli(["forward", "--outputs", "[1.5]", "--y", "5"], tmp_path)
    assert_bad_input(r, "--outputs")
