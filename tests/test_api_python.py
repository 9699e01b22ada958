"""The Python API as a notebook user meets it: problems from NumPy and PyTorch, keyword
arguments over a problem, discoverable and typed names, results that display themselves, and
errors that are the project's one-line messages and the built-in exceptions they stand for."""

import doctest
import importlib
import json
import os
import re
import shutil
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

import rnn_cli
from conftest import ROOT
from rnn_cli.model.errors import InputError

torch = pytest.importorskip("torch")


# -- the oracle: the model of spec section 1 in PyTorch, written here, float64 autograd -------

def torch_grads(params: dict, x, y, activation: str = "identity") -> dict:
    """dL/d(each parameter) for L = sum_t (w_y h_t + b_y - y_t)^2, h_t = f(w_h h_{t-1} +
    w_x x_t + b_h), every array a float64 tensor (w_h H x H, w_x H x D, w_y K x H)."""
    f = {"identity": lambda a: a, "tanh": torch.tanh}[activation]
    p = {k: torch.tensor(np.asarray(v, dtype=np.float64), requires_grad=True)
         for k, v in params.items()}
    h = p["h_0"]
    loss = torch.zeros(())
    for x_t, y_t in zip(x, y):
        h = f(p["w_h"] @ h + p["w_x"] @ torch.as_tensor(np.atleast_1d(x_t), dtype=torch.float64)
              + p["b_h"])
        loss = loss + ((p["w_y"] @ h + p["b_y"] - torch.as_tensor(
            np.atleast_1d(y_t), dtype=torch.float64)) ** 2).sum()
    loss.backward()
    return {k: v.grad.numpy() for k, v in p.items()}


VECTOR = {"w_x": np.array([[0.5], [-0.3]]), "w_h": np.array([[0.1, 0.2], [-0.4, 0.3]]),
          "w_y": np.array([[1.0, -1.0]]), "b_h": np.array([0.05, -0.1]),
          "b_y": np.array([0.2]), "h_0": np.array([0.3, -0.7])}
X, Y = np.array([1.0, 2.0, -0.5]), np.array([0.5, -0.5, 0.25])


def test_the_seed_by_name():
    """dL/dw_h = dL/dh_1 h_0 + dL/dh_2 h_1 = 0*1 + 4*2 = 8 (reference/assignment3)."""
    assert rnn_cli.grad("assignment3", wrt="w_h").value == 8
    assert rnn_cli.grad(wrt="w_h").value == 8            # no problem: assignment3
    assert isinstance(rnn_cli.grad("assignment3", wrt="w_h").value, Fraction)


def test_keyword_arguments_override_like_flags():
    """w_h = 2: h = 3, 7; y_hat = 6, 14; dL/dh_2 = 2*9*2 = 36, dL/dh_1 = 2*1*2 + 36*2 = 76;
    dL/dw_h = 76*h_0 + 36*h_1 = 184, and PyTorch agrees."""
    g = rnn_cli.grad("assignment3", wrt="w_h", w_h=2)
    assert g.value == 184
    oracle = torch_grads({"w_x": [[0.1]], "w_h": [[2.0]], "w_y": [[2.0]], "b_h": [0.0],
                          "b_y": [0.0], "h_0": [1.0]}, [10, 10], [5, 5])
    assert float(g.value) == pytest.approx(oracle["w_h"].item(), rel=1e-12)
    # the flags' behaviour: the file's answers are dropped once a parameter changes, an alias
    # names its parameter, `output` is the output function g
    assert rnn_cli.load("assignment3", W_hh=2).params["w_h"] == 2
    assert rnn_cli.load("assignment3", output="sigmoid").output == "sigmoid"
    assert rnn_cli.load("assignment3", w_h=2).answers == {}
    assert rnn_cli.load("assignment3", params={"U": "1/3"}).params["w_x"] == Fraction(1, 3)


@pytest.mark.parametrize("activation", ["identity", "tanh"])
def test_a_dict_of_numpy_arrays_gives_pytorchs_gradients(activation):
    g = rnn_cli.grad({"params": VECTOR, "data": {"x": X, "y": Y}}, wrt="all",
                     activation=activation)
    oracle = torch_grads(VECTOR, X, Y, activation)
    for name, want in oracle.items():
        got = g.gradients[name]
        assert isinstance(got, np.ndarray) and got.dtype == np.float64
        assert got.shape == want.shape, name
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14, err_msg=name)


def test_pytorch_tensors_give_pytorchs_gradients():
    """float32 tensors keep their float64 values: the oracle runs on the same widened values."""
    params = {k: torch.tensor(v, dtype=torch.float32) for k, v in VECTOR.items()}
    data = {"x": torch.tensor(X), "y": torch.tensor(Y, dtype=torch.float32)}
    g = rnn_cli.grad({"params": params, "data": data}, wrt="w_h", activation="tanh")
    widened = {k: v.double().numpy() for k, v in params.items()}
    oracle = torch_grads(widened, X, data["y"].double().numpy(), "tanh")
    np.testing.assert_allclose(g.value, oracle["w_h"], rtol=1e-12)
    np.testing.assert_allclose(g.to_numpy(), oracle["w_h"], rtol=1e-12)
    # and as keyword arguments over the built-in problem: a 0-d tensor is a number
    g = rnn_cli.grad(wrt="w_h", w_h=torch.tensor(2.0), x=np.array([10, 10]))
    assert g.value == 184


def test_exact_numbers_stay_exact():
    p = rnn_cli.load({"params": {"w_x": Fraction(1, 3), "w_h": np.int64(1), "w_y": 2},
                      "data": {"x": [3, 3], "y": np.array([1, 2])}})
    assert p.params["w_x"] == Fraction(1, 3) and p.params["w_h"] == 1
    # h_1 = 1, h_2 = 2, y_hat = 2, 4: L = 1 + 4 = 5 exactly
    assert rnn_cli.forward(p).value == 5 and isinstance(rnn_cli.forward(p).value, Fraction)


def test_values_are_python_and_numpy_values():
    f = rnn_cli.forward("assignment3", activation="tanh")
    # tanh(2) = 0.964..., tanh(1 * tanh(2) + 1) = tanh(1.964...)
    h1 = np.tanh(1 + 0.1 * 10)
    assert isinstance(f["h_1"], float) and f["h_1"] == pytest.approx(h1, rel=1e-15)
    arrays = f.to_numpy()
    np.testing.assert_allclose(arrays["h"], [h1, np.tanh(h1 + 1)], rtol=1e-15)


# -- discoverable and typed -------------------------------------------------------------------

API = ["load", "forward", "grad", "graph", "explain", "check"]


def test_dir_and_all_list_the_api():
    assert set(API) <= set(dir(rnn_cli)) and set(API) <= set(rnn_cli.__all__)
    for name in rnn_cli.__all__:
        assert getattr(rnn_cli, name) is not None


@pytest.mark.parametrize("name", API)
def test_signatures_show_only_public_parameters(name):
    import inspect
    params = inspect.signature(getattr(rnn_cli, name)).parameters
    assert not {"progress", "called"} & set(params)
    assert not [p for p in params if p.startswith("_")]
    assert getattr(rnn_cli, name).__doc__ and ">>> " in getattr(rnn_cli, name).__doc__


@pytest.mark.parametrize("module", ["rnn_cli", "rnn_cli.api", "rnn_cli.results"])
def test_the_docstring_examples_run(module, monkeypatch):
    monkeypatch.chdir(ROOT)
    result = doctest.testmod(importlib.import_module(module),
                             optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0, result


def test_api_page_examples_run(monkeypatch):
    """docs/api.md's ```python blocks, as doctests."""
    monkeypatch.chdir(ROOT)
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert blocks
    parser, runner = doctest.DocTestParser(), doctest.DocTestRunner(
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    globs: dict = {}
    for i, block in enumerate(blocks):
        runner.run(parser.get_doctest(block, globs, f"api.md[{i}]", "docs/api.md", 0),
                   clear_globs=False)
    assert runner.summarize(verbose=False).failed == 0


def test_py_typed_ships():
    assert (ROOT / "rnn_cli" / "py.typed").is_file()


USER_SCRIPT = '''\
from fractions import Fraction
from pathlib import Path

import numpy as np

import rnn_cli
from rnn_cli import CheckResult, ForwardResult, GradResult

g: GradResult = rnn_cli.grad("assignment3", wrt="w_h", w_h=2, activation="tanh")
value = g.value
grads = g.to_numpy() * 2.0
f: ForwardResult = rnn_cli.forward(rnn_cli.load(Path("examples.toml"), name="tanh_bias"))
text: str = str(f) + repr(f) + f.to_json() + f._repr_html_()
d: dict[str, object] = g.to_dict()
e = rnn_cli.explain("vanishing", steps=10, w_h=Fraction(1, 2))
answer: str = e.answer
dot: str = rnn_cli.graph({"params": {"w_x": 1, "w_h": 1, "w_y": 1},
                          "data": {"x": [1], "y": [1]}}, grad=True).to_dot()
lstm: float | Fraction | object = rnn_cli.grad("lstm_1unit", wrt="w_xf", w_xf=0.5).value
r: CheckResult = rnn_cli.check(["keys/assignment3-handwritten.toml"], digits=4)
passed: bool = r.passed
try:
    rnn_cli.grad("assignment3", wrt="w_q")
except rnn_cli.InputError as err:
    message: str = str(err)
'''


@pytest.mark.skipif(importlib.util.find_spec("mypy") is None, reason="needs mypy (the test "
                    "extra)")
def test_a_users_script_type_checks_under_mypy_strict(tmp_path):
    """mypy sees the real signatures (not the lazy module's Any): the script passes, and
    the same script with `wrt=5` fails."""
    def mypy(code: str) -> subprocess.CompletedProcess:
        (tmp_path / "script.py").write_text(code, encoding="utf-8")
        return subprocess.run([sys.executable, "-m", "mypy", "--strict", "--cache-dir",
                               str(tmp_path / "cache"), "script.py"], cwd=tmp_path,
                              capture_output=True, text=True, timeout=600)
    r = mypy(USER_SCRIPT)
    assert r.returncode == 0, r.stdout + r.stderr
    r = mypy(USER_SCRIPT + 'rnn_cli.grad("assignment3", wrt=5)\n')
    assert r.returncode == 1 and 'Argument "wrt" to "grad"' in r.stdout, r.stdout


# -- errors -----------------------------------------------------------------------------------

@pytest.mark.parametrize("call, kind, words", [
    (lambda: rnn_cli.grad("assignment3", wrt=5), TypeError, "wrt: expected a name"),
    (lambda: rnn_cli.grad(42, wrt="w_h"), TypeError, "problem: expected a problem"),
    (lambda: rnn_cli.grad(wrt="w_h", style="weird"), ValueError,
     "style: unknown value 'weird'; expected one of: paths, delta"),
    (lambda: rnn_cli.forward(notation="weird"), ValueError,
     "notation: unknown value 'weird'; expected one of: canonical, goodfellow, karpathy"),
    (lambda: rnn_cli.forward("no-such-file.toml"), FileNotFoundError,
     "no-such-file.toml: no such file"),
    (lambda: rnn_cli.forward(Path("no/such.toml")), FileNotFoundError, "no such file"),
    (lambda: rnn_cli.check("no-such-key.toml"), FileNotFoundError, "no such file"),
    (lambda: rnn_cli.load(None), None, None),
    (lambda: rnn_cli.forward(w_q=1), TypeError, "w_q: unexpected keyword argument 'w_q'"),
    (lambda: rnn_cli.forward(activation=3), TypeError, "activation: expected a string"),
    (lambda: rnn_cli.forward(activation="weird"), ValueError, "unknown activation 'weird'"),
    (lambda: rnn_cli.forward(w_h=[1, 2]), ValueError, "w_h"),
    (lambda: rnn_cli.forward(w_h=float("nan")), ValueError, "finite number"),
    (lambda: rnn_cli.forward(w_h=True), TypeError, "w_h: expected a number"),
    (lambda: rnn_cli.forward(w_h=object()), TypeError, "w_h: expected a number"),
    (lambda: rnn_cli.forward(w_h=np.array([1 + 2j])), TypeError, "complex"),
    (lambda: rnn_cli.forward(digits="6"), TypeError, "digits: expected a whole number"),
    (lambda: rnn_cli.forward(digits=0), ValueError, "digits: expected a number from 1"),
    (lambda: rnn_cli.forward({1: 2}), TypeError, "expected string keys"),
    (lambda: rnn_cli.forward({"params": 3, "data": {}}), ValueError, "params"),
    (lambda: rnn_cli.grad(wrt=["w_h", 3]), TypeError, "wrt:"),
    (lambda: rnn_cli.grad(wrt="w_h", of=None), TypeError, "of:"),
    (lambda: rnn_cli.grad(wrt="w_h", of="w_h"), ValueError, "of:"),
    (lambda: rnn_cli.grad(wrt=["w_h", "w_x"]).value, ValueError, "2 gradients"),
    (lambda: rnn_cli.explain("weird"), ValueError, "topic: unknown value 'weird'"),
    (lambda: rnn_cli.explain(5), TypeError, "topic:"),
    (lambda: rnn_cli.explain("bptt").chart(), ValueError, "has no chart"),
    (lambda: rnn_cli.explain("vanishing", steps="3"), TypeError, "steps:"),
    (lambda: rnn_cli.check(5), TypeError, "files:"),
    (lambda: rnn_cli.forward()["zz"], ValueError, "unknown quantity 'zz'"),
    (lambda: rnn_cli.graph(grad="yes"), TypeError, "grad: expected True or False"),
    (lambda: rnn_cli.graph().node("q"), ValueError, "unknown node 'q'"),
    (lambda: rnn_cli.explain("seq2seq", text=5), TypeError, "text: expected a text"),
    (lambda: rnn_cli.forward(params={"zz": 1}), ValueError, "params: unknown parameter 'zz'"),
    (lambda: rnn_cli.forward(params={1: 1}), TypeError, "params: expected names as keys"),
])



def test_errors_are_the_projects_with_one_line(call, kind, words):
    if kind is None:
        call()
        return
    with pytest.raises(InputError) as e:
        call()
    assert isinstance(e.value, kind), type(e.value).__mro__
    assert words in str(e.value) and "\n" not in str(e.value), str(e.value)


ODD = [5, 1.5, -1, 0, "", "zz", b"x", [], ["zz"], {}, {"a": 1}, (1,), object(), True,
       np.array([1.0]), float("nan")]
CALLS = {
    "load": (rnn_cli.load, {"problem": None, "name": None, "w_h": 1, "activation": "tanh"}),
    "forward": (rnn_cli.forward, {"problem": None, "digits": 6, "all_steps": False,
                                  "notation": "canonical", "x": [1, 2]}),
    "grad": (rnn_cli.grad, {"problem": None, "wrt": "w_h", "of": "L", "style": None,
                            "symbolic": False, "symbols": None, "output": "identity"}),
    "graph": (rnn_cli.graph, {"problem": None, "grad": False, "digits": 4}),
    "explain": (rnn_cli.explain, {"topic": "vanishing", "steps": 4, "truncate": None,
                                  "text": None, "vocab": None, "batch_size": 2,
                                  "forget_bias": None, "y": [5, 5]}),
    "check": (rnn_cli.check, {"files": str(ROOT / "keys" / "assignment3-handwritten.toml"),
                              "digits": 6}),
}


@pytest.mark.parametrize("function", list(CALLS))
def test_odd_arguments_raise_only_the_projects_errors(function):
    """Each argument in turn given an odd value: the call works or raises an InputError (a
    ValueError, TypeError or FileNotFoundError with one line), never an error from inside."""
    fn, good = CALLS[function]
    for arg in good:
        for odd in ODD:
            try:
                fn(**{**good, arg: odd})
            except InputError as e:
                assert "\n" not in str(e) and str(e), (arg, odd)
                assert isinstance(e, (ValueError, TypeError)), (arg, odd)


# -- what a notebook shows --------------------------------------------------------------------

def test_str_is_the_table_and_repr_one_line():
    g = rnn_cli.grad("assignment3", wrt="w_h")
    assert repr(g) == f"<GradResult dL/dw_h = 8, {len(g.steps)} steps>"
    assert "\n" not in repr(g) and "dL/dw_h = 8" in str(g) and "│" in str(g)
    assert "\x1b" not in str(g)
    f = rnn_cli.forward()
    assert repr(f) == f"<ForwardResult assignment3: L = 2, {len(f.steps)} steps>"
    assert "h_1 = a_1" in str(f)
    c = rnn_cli.check(ROOT / "keys" / "assignment3-handwritten.toml")
    assert repr(c).startswith("<CheckResult 11 answers: 4 correct") and "✗ wrong" in str(c)


def test_rich_print_shows_the_table():
    import io

    from rich.console import Console
    buf = io.StringIO()
    Console(file=buf, width=120, color_system=None).print(rnn_cli.grad(wrt="w_h"))
    assert "dL/dw_h = 8" in buf.getvalue() and "GradResult(" not in buf.getvalue()


def test_every_result_has_html_markdown_latex_and_json():
    results = [rnn_cli.forward(), rnn_cli.grad(wrt="w_h"),
               rnn_cli.explain("vanishing", steps=8, activation="tanh", w_h=0.8),
               rnn_cli.check(ROOT / "keys" / "assignment3-handwritten.toml")]
    for r in results:
        html = r._repr_html_()
        assert html.lstrip().startswith("<") and "<html" not in html.lower()   # a fragment
        assert r._repr_markdown_().strip() and r._repr_latex_().strip()
        assert json.loads(r.to_json()) == json.loads(json.dumps(r.to_dict()))


def test_html_is_the_typeset_page():
    """forward and grad as MathML (render/html.py, as --format html), with the numbers."""
    html = rnn_cli.grad(wrt="w_h")._repr_html_()
    assert "<math" in html and "<mn>8</mn>" in html and "<script" not in html
    assert "<math" in rnn_cli.forward()._repr_html_()


def test_the_chart_is_a_png():
    pytest.importorskip("matplotlib")
    chart = rnn_cli.explain("vanishing", steps=8, activation="tanh", w_h=0.8).chart()
    assert chart._repr_png_().startswith(b"\x89PNG\r\n\x1a\n")


def test_graph_result():
    g = rnn_cli.graph(grad=True)
    assert g.node("L").value == 2 and g.node("w_h").grad == 8
    assert "digraph" in g.to_dot() and "h_1" in str(g)
    if shutil.which("dot"):
        assert "<svg" in g._repr_svg_()


def test_the_api_writes_no_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rnn_cli.explain("vanishing", steps=8, activation="tanh", w_h=0.8).chart()._repr_png_()
    str(rnn_cli.graph(grad=True))
    assert list(tmp_path.iterdir()) == []


# -- the same as the command line, options and all ----------------------------------------------

@pytest.mark.parametrize("call, args", [
    (lambda: rnn_cli.grad(wrt="w_h", w_h=2, activation="tanh"),
     ["grad", "--wrt", "w_h", "--w-h", "2", "--activation", "tanh"]),
    (lambda: rnn_cli.forward(x=[1, 2, 3], y=[0, 1, 0], output="sigmoid"),
     ["forward", "--x", "1,2,3", "--y", "0,1,0", "--output-function", "sigmoid"]),
    (lambda: rnn_cli.explain("vanishing", steps=6, activation="tanh", w_h=0.8),
     ["explain", "vanishing", "--steps", "6", "--activation", "tanh", "--w-h", "0.8"]),
])
def test_keyword_arguments_give_what_the_flags_give(call, args):
    r = subprocess.run([sys.executable, "-m", "rnn_cli", *args, "--format", "json"],
                       capture_output=True, text=True, cwd=ROOT, timeout=300,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert r.returncode == 0, r.stderr
    got = json.loads(call().to_json())
    want = json.loads(r.stdout)
    if "title" in want:           # the title says which flags changed it, by their names
        got.pop("title"), want.pop("title")
    assert got == want
