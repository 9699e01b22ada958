"""The Python API: rnn_cli.load / forward / grad / check give what the command line gives,
and each result shows its derivation in a notebook."""

import json
import os
import subprocess
import sys
from fractions import Fraction

import pytest

import rnn_cli
from conftest import ROOT, SEED, SEED_TABLES
from rnn_cli.model.errors import InputError

KEY = ROOT / "keys" / "assignment3-handwritten.toml"


def cli_text(*args, code: int = 0) -> str:
    r = subprocess.run([sys.executable, "-m", "rnn_cli", *args, "--format", "json"],
                       capture_output=True, text=True, cwd=ROOT,
                       env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300)
    assert r.returncode == code, r.stderr
    return r.stdout


def cli_json(*args, code: int = 0) -> dict:
    return json.loads(cli_text(*args, code=code))


def as_json(obj: dict) -> dict:
    """What the command line would print for `obj`."""
    return json.loads(json.dumps(obj))


# -- the same answers as the command line -----------------------------------------------------

def test_forward_equals_the_cli_json():
    f = rnn_cli.forward(rnn_cli.load())
    assert as_json(f.to_dict()) == cli_json("forward")
    assert f.to_json() + "\n" == cli_text("forward")      # the very text it prints


@pytest.mark.parametrize("args", [["--wrt", "all"], ["--wrt", "w_h", "--style", "delta"],
                                  ["--of", "h_2", "--wrt", "h_0"]])
def test_grad_equals_the_cli_json(args):
    wrt = args[args.index("--wrt") + 1]
    of = args[args.index("--of") + 1] if "--of" in args else "L"
    style = args[args.index("--style") + 1] if "--style" in args else None
    got = rnn_cli.grad(rnn_cli.load(), wrt=wrt, of=of, style=style).to_dict()
    assert as_json(got) == cli_json("grad", *args)


def test_check_equals_the_cli_json():
    result = rnn_cli.check(KEY)
    assert not result.passed
    assert as_json(result.to_dict()) == cli_json("check", str(KEY), code=1)


# -- loading, and the numbers by hand ---------------------------------------------------------

def seed_sources(tmp_path):
    f = tmp_path / "seed.toml"
    f.write_text(SEED_TABLES, encoding="utf-8")
    return {"dict": SEED, "toml": SEED_TABLES, "path": f, "path string": str(f),
            "built-in": None, "named table": {"hw": SEED}}


@pytest.mark.parametrize("kind", ["dict", "toml", "path", "path string", "built-in",
                                  "named table"])
def test_load_every_source(kind, tmp_path):
    """h_1 = 1*1 + 0.1*10 = 2, h_2 = 3, y_hat = 4, 6, L = 1 + 1; dL/dw_h = -4 + 12 = 8,
    dL/dw_x = -40 + 80 = 40 (0.1 read exactly: no 0.1000000000000000055)."""
    p = rnn_cli.load(seed_sources(tmp_path)[kind])
    f = rnn_cli.forward(p)
    assert (f["h_1"], f["h2"], f["y_hat_1"], f["yhat_2"]) == (2, 3, 4, 6)
    assert f.loss == 2 and isinstance(f.loss, Fraction)
    g = rnn_cli.grad(p, wrt=["w_h", "w_x"])
    assert g.gradients == {"w_h": 8, "w_x": 40}
    assert rnn_cli.grad(p, wrt="w_h").value == 8


def test_load_picks_a_named_problem():
    p = rnn_cli.load({"a": SEED, "b": {**SEED, "params": {**SEED["params"], "w_h": 2}}},
                     name="b")
    # h_1 = 2*1 + 1 = 3, h_2 = 2*3 + 1 = 7
    assert rnn_cli.forward(p)["h_2"] == 7
    p = rnn_cli.load("tanh_bias")
    assert p.activation == "tanh"


@pytest.mark.parametrize("source, words", [
    (42, "expected a problem: a Problem from rnn_cli.load, a dict, a TOML string, a path"),
    ("no-such-file.toml", "no such file"),
    ("w_h = = 1", "not valid TOML"),
    ({"params": {"w_h": "abc"}, "data": {"x": [1], "y": [1]}}, "w_h"),
])
def test_bad_input_is_one_clear_error(source, words):
    with pytest.raises(InputError) as e:
        rnn_cli.load(source)
    assert words in str(e.value) and "\n" not in str(e.value)


def test_bad_names_say_which_argument():
    with pytest.raises(InputError, match="^wrt: "):
        rnn_cli.grad(rnn_cli.load(), wrt="w_q")
    with pytest.raises(InputError, match="^of: "):
        rnn_cli.grad(rnn_cli.load(), wrt="w_h", of="zz")


# -- what a notebook shows --------------------------------------------------------------------

def test_notebook_reprs_hold_the_derivation():
    g = rnn_cli.grad(rnn_cli.load(), wrt="w_h")
    md, tex = g._repr_markdown_(), g._repr_latex_()
    assert "| `dL/dw_h` |" in md and "| $-4 + 12$ | 8 |" in md
    assert r"| $2\left(6 - 5\right) \cdot 2 \cdot \left[2 + 1 \cdot 1\right]$ | 12 |" in md
    # MathJax shows align* environments, not \paragraph headings
    assert tex.startswith(r"\begin{align*}") and r"\paragraph" not in tex
    assert r"= -4 + 12 = 8" in tex
    assert r"2\left(6 - 5\right) \cdot 2 \cdot \left[2 + 1 \cdot 1\right] = 12" in tex
    f = rnn_cli.forward(rnn_cli.load())
    assert "| `L` | $L_{1} + L_{2}$ | $1 + 1$ | 2 |" in f._repr_markdown_()
    assert r"h_{1} &= w_{h} h_{0} + w_{x} x_{1} = 1 \times 1 + 0.1 \times 10 = 2" in \
        f._repr_latex_()
    c = rnn_cli.check(KEY)
    assert "✗ wrong" in c._repr_markdown_() and r"$\times$ wrong" in c._repr_latex_()


# -- a light import ---------------------------------------------------------------------------

def _modules_after(code: str) -> set[str]:
    script = code + "\nimport sys\nprint(' '.join(sorted(sys.modules)))"
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                       cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert r.returncode == 0, r.stderr
    return set(r.stdout.split())


def test_import_rnn_cli_is_light():
    loaded = _modules_after("import rnn_cli")
    assert not {"typer", "rich", "mpmath", "rnn_cli.api", "rnn_cli.derive.forward"} & loaded


def test_api_computes_without_typer_or_rich():
    loaded = _modules_after("import rnn_cli\n"
                            "assert rnn_cli.grad(rnn_cli.load(), wrt='all').gradients['w_x'] "
                            "== 40\n"
                            "assert rnn_cli.check(['keys/assignment3-handwritten.toml'])"
                            ".results")
    assert "rnn_cli.api" in loaded and not {"typer", "rich", "click"} & loaded


def test_api_functions_are_not_hidden_by_the_modules():
    import rnn_cli.teach.check            # noqa: F401 - modules named like the API's functions
    import rnn_cli.derive.forward          # noqa: F401
    from rnn_cli.derive.forward import Forward
    assert callable(rnn_cli.forward) and callable(rnn_cli.check)
    assert isinstance(rnn_cli.forward(rnn_cli.load()).derivation, Forward)


def test_steps_are_a_tuple_of_steps_with_the_seed_values():
    """The README's `.steps`: the seed by hand, h_1 = 1*1 + 0.1*10 = 2, h_2 = 3, y_hat_t =
    2 h_t = 4, 6, L = 1 + 1 = 2; dL/dw_h by the delta recursion (identity: a_t = h_t):
    dL/dh_2 = 2(6 - 5)*2 = 4, dL/dh_1 = 2(4 - 5)*2 + 4*1 = 0, dL/dw_h = 0*h_0 + 4*h_1 = 8."""
    f = rnn_cli.forward(rnn_cli.load())
    by_name = {s.name: s.value for s in f.steps}
    assert isinstance(f.steps, tuple)
    assert by_name["h_1"] == 2 and by_name["h_2"] == 3 and by_name["y_hat_2"] == 6
    assert by_name["L"] == 2
    assert [s.name for s in f.steps] == [s.name for s in f.derivation.steps]
    g = rnn_cli.grad(rnn_cli.load(), wrt="w_h", style="delta")
    values = {s.name: s.value for s in g.steps}
    assert values["dL/dh_2"] == 4 and values["dL/dh_1"] == 0 and values["dL/dw_h"] == 8
    names = [s.name for s in g.steps]
    assert names.index("dL/dh_2") < names.index("dL/dw_h")   # the recursion first
    assert all(hasattr(s, "expr") for s in g.steps)


# -- grad in symbols: symbolic= and symbols= (docs/symbolic.md) ----------------------------------

# a tanh RNN with both biases over three steps: every parameter given, so that symbolic=True
# makes each of them a symbol
TANH3 = {"activation": "tanh",
         "params": {"w_x": "1/2", "w_h": "-3/4", "w_y": 2, "b_h": "1/10", "b_y": "-1/5",
                    "h_0": "1/3"},
         "data": {"x": [1, -2, "1/2"], "y": ["1/2", -1, 2]}}


def _by_hand():
    """L of TANH3 unrolled by hand in SymPy, every parameter, x_t and y_t a symbol (spec
    section 1: a_t = w_h h_{t-1} + w_x x_t + b_h, h_t = tanh(a_t), y_hat_t = w_y h_t + b_y,
    L = sum_t (y_hat_t - y_t)^2)."""
    import sympy as sp
    w_x, w_h, w_y, b_h, b_y, h_0 = sp.symbols("w_x w_h w_y b_h b_y h_0")
    x_1, x_2, x_3, y_1, y_2, y_3 = sp.symbols("x_1 x_2 x_3 y_1 y_2 y_3")
    h_1 = sp.tanh(w_h * h_0 + w_x * x_1 + b_h)
    h_2 = sp.tanh(w_h * h_1 + w_x * x_2 + b_h)
    h_3 = sp.tanh(w_h * h_2 + w_x * x_3 + b_h)
    L = (w_y * h_1 + b_y - y_1) ** 2 + (w_y * h_2 + b_y - y_2) ** 2 + \
        (w_y * h_3 + b_y - y_3) ** 2
    numbers = {w_x: sp.Rational(1, 2), w_h: sp.Rational(-3, 4), w_y: 2,
               b_h: sp.Rational(1, 10), b_y: sp.Rational(-1, 5), h_0: sp.Rational(1, 3),
               x_1: 1, x_2: -2, x_3: sp.Rational(1, 2), y_1: sp.Rational(1, 2), y_2: -1,
               y_3: 2}
    return L, numbers


def _same(a, b) -> None:
    """a == b exactly: the difference expands to 0 (the tanh arguments are the same sums)."""
    import sympy as sp
    assert sp.expand(a - b) == 0, (a, b)


def test_symbolic_grad_is_sympy_diff_of_the_unrolled_loss():
    import sympy as sp
    L, numbers = _by_hand()
    g = rnn_cli.grad(TANH3, wrt="all", symbolic=True)
    assert g.symbolic and list(g.gradients) == ["w_x", "w_h", "w_y", "b_h", "b_y", "h_0"]
    for wrt, value in g.gradients.items():
        assert isinstance(value, sp.Expr), wrt
        assert value.free_symbols == set(numbers), wrt        # every one a symbol
        _same(value, sp.diff(L, sp.Symbol(wrt)))
    # and at the problem's own numbers, the numeric derivation's value
    want = rnn_cli.grad(TANH3, wrt="w_h").value
    assert abs(float(g.gradients["w_h"].subs(numbers)) - want) < 1e-12


@pytest.mark.parametrize("symbols", ["w_h,x", ["w_h", "x"], ("W_hh", "x")])
def test_only_the_symbols_named(symbols):
    import sympy as sp
    L, numbers = _by_hand()
    kept = {s: v for s, v in numbers.items() if s.name not in ("w_h", "x_1", "x_2", "x_3")}
    g = rnn_cli.grad(TANH3, wrt="w_h", symbols=symbols)
    assert g.value.free_symbols == set(sp.symbols("w_h x_1 x_2 x_3"))
    _same(g.value, sp.diff(L, sp.Symbol("w_h")).subs(kept))
    # symbols wins over symbolic, as --symbols over --symbolic
    assert rnn_cli.grad(TANH3, wrt="w_h", symbols=symbols, symbolic=True).value == g.value


def test_symbolic_grad_is_the_cli_json():
    g = rnn_cli.grad(rnn_cli.load(), wrt="all", symbolic=True)
    assert g.to_json() + "\n" == cli_text("grad", "--wrt", "all", "--symbolic")
    g = rnn_cli.grad("tanh_bias", wrt=["w_h", "b_h"], symbols="w_h,x")
    assert as_json(g.to_dict()) == cli_json("grad", "-p", "tanh_bias", "--wrt", "w_h",
                                            "--wrt", "b_h", "--symbols", "w_h,x")


def test_a_symbolic_result_shows_itself():
    import sympy as sp
    g = rnn_cli.grad(rnn_cli.load(), wrt="w_h", symbols="w_h")
    assert repr(g) == f"<GradResult dL/dw_h = 16*w_h**3 + 24*w_h**2 - 8*w_h - 24, " \
        f"{len(g.steps)} steps>"
    assert "closed form" in str(g) and "16*w_h**3" in str(g)
    assert {s.name: s.value for s in g.steps}["dL_1/dw_h"] == 2 * (4 * sp.Symbol("w_h") - 6)
    assert g._repr_html_() is None and g._repr_latex_() is None      # Jupyter: the Markdown
    assert "| quantity | formula | in the symbols | closed form |" in g._repr_markdown_()
    with pytest.raises(InputError, match=r"^to_numpy: a gradient in symbols has no numbers"):
        g.to_numpy()
    # a problem whose file names symbols is derived in them, as on the command line
    assert rnn_cli.grad("assignment3_symbolic", wrt="w_h").symbolic


@pytest.mark.parametrize("kwargs, kind, message", [
    ({"symbolic": 1}, TypeError, "symbolic: expected True or False, found int"),
    ({"symbols": 5}, TypeError, 'symbols: expected "all", names such as "w_h,x", or a list'),
    ({"symbols": ["w_h", 3]}, TypeError, "symbols: expected"),
    ({"symbols": ""}, ValueError, "symbols: expected \"all\" or names separated by commas"),
    ({"symbols": "q_7"}, ValueError, "symbols: 'q_7' is not a symbol this problem can have"),
    ({"symbolic": True, "x": [1] * 21, "y": [1] * 21}, ValueError,
     "symbolic: T = 21: symbolic mode takes at most 20 steps"),
    ({"symbols": "w_h", "x": [1] * 21, "y": [1] * 21}, ValueError,
     "symbols: T = 21: symbolic mode takes at most 20 steps"),
])
def test_symbolic_arguments_say_which(kwargs, kind, message):
    with pytest.raises(kind) as e:
        rnn_cli.grad(wrt="w_h", **kwargs)
    assert str(e.value).startswith(message) and "\n" not in str(e.value), str(e.value)


def test_arrays_have_no_symbols():
    with pytest.raises(ValueError, match="^symbolic: a problem of float64 arrays"):
        rnn_cli.grad(ROOT / "docs" / "examples" / "cs231n-batch.toml", wrt="w_h", symbolic=True)


def test_numeric_grad_imports_no_sympy():
    loaded = _modules_after("import rnn_cli\n"
                            "g = rnn_cli.grad(wrt='all', symbolic=False, symbols=None)\n"
                            "repr(g), str(g), g.to_dict(), g.to_numpy, g.steps, g.symbolic")
    assert "rnn_cli.api" in loaded and "rich" in loaded        # it did run and print
    assert not {m for m in loaded if m.split(".")[0] == "sympy"}
