"""Symbolic mode: closed forms against closed forms derived by hand and against an
unroll-and-diff oracle (tests/sympy_oracle.py); formats; bad input; no SymPy on the numeric
paths."""

import json
import os
import subprocess
import sys

import pytest
import sympy as sp
from sympy.parsing.sympy_parser import parse_expr
from typer.testing import CliRunner

from conftest import ROOT, SEED, problem_of
from rnn_cli.api import symbolic_forward, symbolic_grad
from rnn_cli.cli import app
import sympy_oracle as oracle

w_x, w_h, w_y, b_h, b_y, h_0 = sp.symbols("w_x w_h w_y b_h b_y h_0")
x_1, x_2, x_3, y_1, y_2, y_3 = sp.symbols("x_1 x_2 x_3 y_1 y_2 y_3")
SEED_VALUES = {w_x: sp.Rational(1, 10), w_h: 1, w_y: 2, h_0: 1, x_1: 10, x_2: 10, y_1: 5,
               y_2: 5}


def run(*args):
    return CliRunner().invoke(app, list(args))


def grads(table: dict, wrt="all") -> dict:
    """wrt name -> closed form, from rnn-solve's symbolic derivation."""
    d = symbolic_grad(problem_of(table), wrt)
    return {g.wrt: g.closed for g in d.gradients}


# -- the seed, by hand --------------------------------------------------------------------------

# Derived by hand from h_1 = w_h h_0 + w_x x_1, h_2 = w_h h_1 + w_x x_2, y_hat_t = w_y h_t,
# L = (y_hat_1 - y_1)^2 + (y_hat_2 - y_2)^2:
H1 = w_h * h_0 + w_x * x_1
H2 = w_h * H1 + w_x * x_2
E1, E2 = 2 * (w_y * H1 - y_1), 2 * (w_y * H2 - y_2)   # dL_t/dy_hat_t
BY_HAND = {
    "w_h": E1 * w_y * h_0 + E2 * w_y * (H1 + w_h * h_0),
    "w_x": E1 * w_y * x_1 + E2 * w_y * (x_2 + w_h * x_1),
    "w_y": E1 * H1 + E2 * H2,
    "b_h": E1 * w_y + E2 * w_y * (1 + w_h),
    "b_y": E1 + E2,
    "h_0": E1 * w_y * w_h + E2 * w_y * w_h ** 2,
}


def seed_oracle():
    params = {"w_x": w_x, "w_h": w_h, "w_y": w_y, "b_h": b_h, "b_y": b_y, "h_0": h_0}
    L = oracle.scalar_rnn(params, [x_1, x_2], {1: y_1, 2: y_2})
    return {k: sp.diff(L, v).subs({b_h: 0, b_y: 0}) for k, v in params.items()}


def test_seed_closed_forms_match_the_hand_derivation_and_the_oracle():
    got = grads({**SEED, "symbols": "all"})
    diffs = seed_oracle()
    for name, hand in BY_HAND.items():
        assert sp.expand(got[name] - hand) == 0, name
        assert sp.expand(got[name] - diffs[name]) == 0, name


def test_seed_closed_forms_give_the_reference_values():
    got = grads({**SEED, "symbols": "all"})
    at = {k: got[k].subs(SEED_VALUES) for k in ("w_h", "w_x", "w_y", "h_0")}
    assert at == {"w_h": 8, "w_x": 40, "w_y": 2, "h_0": 0}


def test_symbols_w_h_gives_a_polynomial_in_w_h_alone():
    got = grads({**SEED, "symbols": ["w_h"]}, "w_h")["w_h"]
    assert got.free_symbols == {w_h}
    assert sp.Poly(got, w_h).degree() == 3
    # by hand: L = (2 w_h - 3)^2 + (2 w_h^2 + 2 w_h - 3)^2
    assert sp.expand(got - 8 * (2 * w_h ** 3 + 3 * w_h ** 2 - w_h - 3)) == 0
    assert got.subs(w_h, 1) == 8


def test_forward_closed_forms():
    sf = symbolic_forward(problem_of({**SEED, "symbols": "all"}))
    closed = {s.name: s.closed for s in sf.steps}
    assert sp.expand(closed["h_2"] - H2) == 0
    assert sp.expand(closed["L"] - (w_y * H1 - y_1) ** 2 - (w_y * H2 - y_2) ** 2) == 0
    assert closed["L"].subs(SEED_VALUES) == 2


def test_the_expanded_column_substitutes_the_intermediate_quantities():
    """dL_2/dw_h's factor dh_2/dw_h (direct) is h_1; in the symbols, w_h h_0 + w_x x_1."""
    d = symbolic_grad(problem_of({**SEED, "symbols": "all"}), "w_h")
    steps = {s.name: s for s in d.gradients[0].steps}
    assert steps["dh_2/dw_h (direct)"].step.expr.name == "h_1"
    assert sp.expand(steps["dh_2/dw_h (direct)"].expanded - H1) == 0
    assert sp.expand(steps["dL_2/dw_h"].expanded - BY_HAND["w_h"] + E1 * w_y * h_0) == 0


# -- activations, outputs, losses against the oracle --------------------------------------------

CASES = {
    "tanh with biases": ({"activation": "tanh"}, [1, 2, -1], [1, 0, 1]),
    "sigmoid, half_squared, mean": ({"activation": "sigmoid", "loss": "half_squared",
                                     "reduction": "mean"}, [1, 2], [0, 1]),
    "relu": ({"activation": "relu"}, [1, 2, 3], [1, 2, 3]),
    "sigmoid output, cross-entropy": ({"activation": "tanh", "output": "sigmoid",
                                       "loss": "cross_entropy"}, [1, -1], [1, 0]),
    "last output only": ({"activation": "tanh", "outputs": "last"}, [1, 2, 3], [1]),
}


@pytest.mark.parametrize("case", CASES)
def test_scalar_problems_match_unroll_and_diff_for_every_parameter(case):
    opts, xs, ys = CASES[case]
    table = {**opts, "params": {"w_x": 0.5, "w_h": 0.8, "w_y": 1.5, "b_h": 0.1, "b_y": -0.2,
                                "h_0": 0.3},
             "data": {"x": xs, "y": ys}, "symbols": "all"}
    got = grads(table)
    T = len(xs)
    X = list(sp.symbols(f"x_1:{T + 1}"))
    steps = [T] if opts.get("outputs") == "last" else range(1, T + 1)
    Y = {t: sp.Symbol(f"y_{t}") for t in steps}
    params = {"w_x": w_x, "w_h": w_h, "w_y": w_y, "b_h": b_h, "b_y": b_y, "h_0": h_0}
    L = oracle.scalar_rnn(params, X, Y, opts.get("activation", "identity"),
                          opts.get("output", "identity"), opts.get("loss", "squared"),
                          opts.get("reduction", "sum"))
    for name, v in params.items():
        assert oracle.equal(got[name], sp.diff(L, v)), (case, name)


def test_vector_softmax_problem_matches_the_oracle():
    table = {"activation": "tanh", "output": "softmax", "loss": "cross_entropy",
             "params": {"w_x": [[1], [0.5]], "w_h": [[0.5, -1], [0.25, 0.5]],
                        "w_y": [[1, 0], [0, 1]]},
             "data": {"x": [1, 2], "y": [2]}, "outputs": "last", "symbols": ["w_h"]}
    d = symbolic_grad(problem_of(table), ["w_h[1,2]", "w_y[2,1]"])
    got = {g.wrt: g.closed for g in d.gradients}
    W = sp.Matrix(2, 2, lambda i, j: sp.Symbol(f"w_h[{i + 1},{j + 1}]"))
    wy21 = sp.Symbol("wy21")
    params = {"w_h": W, "w_x": sp.Matrix([1, sp.Rational(1, 2)]), "b_h": sp.zeros(2, 1),
              "w_y": sp.Matrix([[1, 0], [wy21, 1]]), "b_y": sp.zeros(2, 1),
              "h_0": sp.zeros(2, 1)}
    L = oracle.vector_rnn(params, [1, 2], {2: [0, 1]})
    assert oracle.equal(got["w_h[1,2]"], sp.diff(L, W[0, 1]).xreplace({wy21: 0}))
    assert oracle.equal(got["w_y[2,1]"], sp.diff(L, wy21).xreplace({wy21: 0}))


GATED = {"lstm": ["w_xi", "w_hi", "b_i", "w_xf", "w_hf", "b_f", "w_xg", "w_hg", "b_g",
                  "w_xo", "w_ho", "b_o"],
         "gru": ["w_xr", "w_hr", "b_r", "w_xz", "w_hz", "b_z", "w_xn", "w_hn", "b_xn",
                 "b_hn"]}


@pytest.mark.parametrize("cell", GATED)
def test_gated_cells_match_the_oracle(cell):
    names = GATED[cell] + ["w_y", "b_y", "h_0"] + (["c_0"] if cell == "lstm" else [])
    values = {n: round(0.1 * (i % 7) - 0.3, 1) for i, n in enumerate(names)}
    # one step (h_0 and c_0 carry the recurrence): sympy.diff of a two-step LSTM takes minutes
    table = {"cell": cell, "params": values, "data": {"x": [1], "y": [0.5]},
             "symbols": "all"}
    got = grads(table)
    syms = {n: sp.Symbol(n) for n in names}
    L = (oracle.lstm if cell == "lstm" else oracle.gru)(syms, [x_1], {1: y_1})
    for n in ("w_hf" if cell == "lstm" else "w_hz", "w_y", "h_0"):
        assert oracle.equal(got[n], sp.diff(L, syms[n])), n


# -- --general ------------------------------------------------------------------------------------

@pytest.mark.parametrize("activation,T", [("identity", 2), ("identity", 4), ("tanh", 3),
                                          ("sigmoid", 2), ("relu", 3), ("tanh", 5)])
def test_general_formulas_equal_the_unrolled_closed_form(activation, T):
    from rnn_cli.derive.general import general
    p = problem_of({"activation": activation,
                    "params": {"w_x": 0.5, "w_h": 0.8, "w_y": 1.5, "b_h": 0.1, "h_0": 0.3},
                    "data": {"x": list(range(1, T + 1)), "y": [1] * T}})
    r = general(p, ["all"])
    assert [g.name for g in r.formulas] == ["dL/dw_x", "dL/dw_h", "dL/dw_y", "dL/db_h",
                                            "dL/db_y", "dL/dh_0", "dh_t/dh_k"]
    assert all(g.equal for g in r.formulas), [(g.name, g.method) for g in r.formulas]
    # and the unrolled forms are the oracle's
    X, Y = sp.symbols(f"x_1:{T + 1}"), {t: sp.Symbol(f"y_{t}") for t in range(1, T + 1)}
    params = {"w_x": w_x, "w_h": w_h, "w_y": w_y, "b_h": b_h, "b_y": b_y, "h_0": h_0}
    L = oracle.scalar_rnn(params, X, Y, activation)
    wh = next(g for g in r.formulas if g.name == "dL/dw_h")
    assert oracle.equal(wh.at_T, sp.diff(L, w_h).subs(b_y, 0))


def test_general_formula_has_sums_and_products():
    from rnn_cli.derive.general import general
    r = general(problem_of({**SEED, "activation": "tanh"}), ["w_h"])
    f = r.formulas[0].formula
    assert f.has(sp.Sum) and f.has(sp.Product)
    assert r.formulas[0].formula.free_symbols >= {sp.Symbol("T", integer=True, positive=True)}


def test_a_wrong_closed_form_fails_the_check():
    from rnn_cli.derive.general import same
    assert same(w_h * (1 - sp.tanh(x_1) ** 2), w_h / sp.cosh(x_1) ** 2)[0]
    assert not same(w_h * (1 - sp.tanh(x_1) ** 2), w_h * (1 - sp.tanh(x_1)))[0]


# -- the command line and its formats -----------------------------------------------------------

def test_grad_json_reads_back_with_parse_expr():
    r = run("grad", "--wrt", "all", "--symbolic", "--format", "json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["arithmetic"] == "symbolic"
    assert set(out["gradients"]) == {"w_x", "w_h", "w_y", "b_h", "b_y", "h_0"}
    g = out["gradients"]["w_h"]
    assert g["latex"] and "terms" in g
    assert sp.expand(parse_expr(g["value"]) - BY_HAND["w_h"]) == 0
    assert parse_expr(out["gradients"]["w_x"]["value"]).subs(SEED_VALUES) == 40


def test_vector_json_symbols_read_back(tmp_path):
    table = ('activation = "tanh"\nsymbols = ["w_h"]\n[params]\nw_x = [[1], [0.5]]\n'
             'w_h = [[0.5, 0], [0, 0.5]]\nw_y = [[1, 1]]\n[data]\nx = [1, 2]\ny = [1, 0]\n')
    path = tmp_path / "vector.toml"
    path.write_text(table)
    r = run("grad", "-f", str(path), "--wrt", "w_h[1,2]", "--format", "json")
    assert r.exit_code == 0, r.output
    v = parse_expr(json.loads(r.output)["gradients"]["w_h[1,2]"]["value"])
    assert sp.Symbol("w_h[1,2]") in v.free_symbols


def test_forward_json_shape():
    out = json.loads(run("forward", "--symbolic", "--format", "json").output)
    assert out["arithmetic"] == "symbolic"
    assert [s["t"] for s in out["steps"]] == [1, 2]
    assert sp.expand(parse_expr(out["steps"][1]["h"]) - H2) == 0
    assert "h_latex" in out["steps"][1] and out["loss_latex"]


@pytest.mark.parametrize("fmt,marker", [("table", "closed form"), ("markdown", "| quantity"),
                                        ("latex", r"\begin{align*}")])
def test_every_format(fmt, marker):
    r = run("grad", "--wrt", "w_h", "--symbolic", "--format", fmt)
    assert r.exit_code == 0, r.output
    assert marker in r.output
    assert "w_{h}" in r.output or "w_h" in r.output


def test_latex_standalone_is_a_document():
    r = run("forward", "--symbolic", "--format", "latex", "--standalone")
    assert r.output.startswith(r"\documentclass") and r"\end{document}" in r.output


def test_general_every_format():
    for fmt in ("table", "json", "markdown", "latex"):
        r = run("grad", "--wrt", "w_h", "--general", "--activation", "tanh", "--format", fmt)
        assert r.exit_code == 0, (fmt, r.output)
    out = json.loads(run("grad", "--wrt", "w_h", "--general", "--format", "json").output)
    assert out["general"]["dL/dw_h"]["check"]["equal"] is True


@pytest.mark.parametrize("args,words", [
    (["--symbols", "q_7"], "'q_7' is not a symbol"),
    (["--symbols", "x_9"], "x_9: this problem has x_t for t in 1..2"),
    (["--symbols", "w_h[1,2]"], "w_h is a number here"),
    (["--symbols", "w_h,,x"], "names separated by commas"),
    (["--symbolic", "--x", ",".join(["1"] * 21), "--y", ",".join(["1"] * 21)],
     "at most 20 steps"),
])
def test_bad_symbols_are_one_line_and_exit_2(args, words):
    r = run("grad", "--wrt", "w_h", *args)
    assert r.exit_code == 2
    err = r.stderr if hasattr(r, "stderr") else r.output
    assert words in err and err.count("\n") == 1 and "Traceback" not in err


LIMIT = ("T = 21: symbolic mode takes at most 20 steps (the closed forms grow as T^3: a tanh "
         "dL/dw_h took 9 s at T = 20, measured in benchmarks/symbolic.py); use at most 20 "
         "steps, or numbers instead of symbols")
STEPS21 = ",".join(["1"] * 21)
TOML21 = f"[params]\nw_x = 1\nw_h = 1\nw_y = 1\n[data]\nx = [{STEPS21}]\ny = [{STEPS21}]\n"


@pytest.mark.parametrize("file, args, where", [
    # the flag that asks for symbols, not every flag given (--w-h, --x, --y, --activation)
    (None, ["--symbolic", "--w-h", "0.5", "--activation", "tanh"], "--symbolic"),
    (None, ["--symbols", "w_h,x", "--w-h", "0.5"], "--symbols"),
    ("", ["--symbolic"], "--symbolic"),                     # a file without symbols
    ('symbols = "all"\n', [], "p.toml: symbols"),            # the file's own
    ('symbols = "all"\n', ["--symbols", "w_h"], "--symbols"),  # the flag replaces them
])
def test_beyond_the_symbolic_limit_names_what_asked_for_symbols(tmp_path, file, args, where):
    if file is None:
        args = [*args, "--x", STEPS21, "--y", STEPS21]
    else:
        (tmp_path / "p.toml").write_text(file + TOML21, encoding="utf-8")
        args = ["-f", "p.toml", *args]
    r = subprocess.run([sys.executable, "-m", "rnn_cli", "grad", "--wrt", "w_h", *args],
                       capture_output=True, text=True, cwd=tmp_path, timeout=120,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert (r.returncode, r.stdout) == (2, "")
    assert r.stderr == f"rnn-solve: error: {where}: {LIMIT}\n"


def test_a_row_layout_names_the_layout():
    r = run("grad", "--wrt", "w_h", "--symbolic", "--layout", "row", "--w-h", "2")
    assert r.exit_code == 2 and r.stderr == ('rnn-solve: error: --layout: symbolic mode '
                                             'writes the column layout (w_h h + w_x x); drop '
                                             'layout = "row"\n')


def test_a_file_with_symbols(tmp_path):
    f = tmp_path / "p.toml"
    f.write_text('symbols = ["w_h", "x"]\n[params]\nw_x = 0.1\nw_h = 1\nw_y = 2\nh_0 = 1\n'
                 '[data]\nx = [10, 10]\ny = [5, 5]\n')
    out = json.loads(run("grad", "-f", str(f), "--wrt", "w_y", "--format", "json").output)
    assert out["symbols"] == ["w_h", "x_1", "x_2"]
    v = parse_expr(out["gradients"]["w_y"]["value"])
    assert v.free_symbols == {w_h, x_1, x_2}


# -- no SymPy where it is not needed --------------------------------------------------------------

@pytest.mark.parametrize("args", [["--help"], ["forward"], ["grad", "--wrt", "w_h"],
                                  ["grad", "--wrt", "all", "--format", "json"]])
def test_numeric_commands_import_no_sympy(args):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-X", "importtime", "-m", "rnn_cli", *args],
                       capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    imported = [line.rsplit("|", 1)[-1].strip() for line in r.stderr.splitlines()
                if line.startswith("import time:")]
    assert "rnn_cli" in imported            # the measurement saw the program's own imports
    assert not [m for m in imported if m.split(".")[0] == "sympy"]


def test_symbolic_command_does_import_sympy():
    """The counterpart of the test above: it would see SymPy if it were loaded."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-X", "importtime", "-m", "rnn_cli", "forward",
                        "--symbolic"], capture_output=True, text=True, env=env, cwd=ROOT,
                       timeout=120)
    assert r.returncode == 0
    assert any(line.rsplit("|", 1)[-1].strip() == "sympy" for line in r.stderr.splitlines())


@pytest.mark.parametrize("problem", ["gru_2unit"])
def test_a_gated_cell_with_vectors_is_refused_in_symbolic_mode(problem, tmp_path):
    """A 2-unit GRU's closed forms ran for more than 15 minutes: refused at once, naming
    --symbolic and the one-unit rule."""
    import subprocess
    import sys
    from pathlib import Path
    root = Path(__file__).resolve().parents[1]
    r = subprocess.run([sys.executable, "-m", "rnn_cli", "grad", "-p", problem, "--wrt", "all",
                        "--symbolic"], capture_output=True, text=True, cwd=tmp_path, timeout=120,
                       env={**__import__("os").environ, "PYTHONPATH": str(root)})
    assert (r.returncode, r.stdout) == (2, "")
    assert r.stderr.startswith("rnn-solve: error: --symbolic: ")
    assert "symbolic mode takes an LSTM or GRU with one unit and scalars" in r.stderr
