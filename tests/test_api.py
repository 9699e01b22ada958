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
