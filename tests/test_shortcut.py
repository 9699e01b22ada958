"""The cross-entropy shortcut dL_t/do_t = y_hat_t - y_t (derive/bptt.py), against PyTorch."""

import pytest

import rnn_cli
from conftest import SOFTMAX
from rnn_cli.derive.expr import Diff, text

torch = pytest.importorskip("torch")

BCE = """
activation = "tanh"
output = "sigmoid"
loss = "cross_entropy"
[params]
w_x = 0.5
w_h = -1.5
w_y = 2
b_h = 0.2
h_0 = 0.5
[data]
x = [1.2, -0.7, 0.4]
y = [1, 0, 1]
"""

def _torch_do(source: str):
    """dL/do_t for each t, and dL/dw_h, by autograd in float64."""
    f64 = torch.float64
    if "softmax" in source:
        w_x = torch.tensor([[0.5], [-0.3]], dtype=f64, requires_grad=True)
        w_h = torch.tensor([[0.1, -0.4], [0.7, 0.2]], dtype=f64, requires_grad=True)
        w_y = torch.tensor([[1, -1], [0.5, 0.3], [-0.2, 0.8]], dtype=f64, requires_grad=True)
        h, os_, loss = torch.zeros(2, 1, dtype=f64), [], 0
        for x, k in ((1.0, 2), (-2.0, 3)):
            h = torch.tanh(w_h @ h + w_x * x)
            o = w_y @ h
            o.retain_grad()
            os_.append(o)
            loss = loss - torch.log_softmax(o, dim=0)[k - 1, 0]
    else:
        w = {k: torch.tensor(v, dtype=f64, requires_grad=True)
             for k, v in dict(w_x=0.5, w_h=-1.5, w_y=2.0, b_h=0.2, h_0=0.5).items()}
        w_h = w["w_h"]
        h, os_, loss = w["h_0"], [], 0
        for x, y in ((1.2, 1.0), (-0.7, 0.0), (0.4, 1.0)):
            h = torch.tanh(w["w_h"] * h + w["w_x"] * x + w["b_h"])
            o = w["w_y"] * h
            o.retain_grad()
            os_.append(o)
            loss = loss + torch.nn.functional.binary_cross_entropy_with_logits(
                o, torch.tensor(y, dtype=f64))
    loss.backward()
    return [o.grad.detach().numpy().ravel() for o in os_], w_h.grad.numpy().ravel()


def _values(v):
    """A step's value (a Mat of the derivation) or a result's (a NumPy array for a vector)."""
    if hasattr(v, "entries"):
        return [float(x) for x in v.entries()]
    if hasattr(v, "ravel"):
        return [float(x) for x in v.ravel()]
    return [float(v)]


# vector problems (softmax) have the delta style only
@pytest.mark.parametrize("source, style", [(BCE, "paths"), (BCE, "delta"), (SOFTMAX, "delta")],
                         ids=["paths-sigmoid-bce", "delta-sigmoid-bce", "delta-softmax-ce"])
def test_the_shortcut_step_and_its_value(source, style):
    d = rnn_cli.grad(rnn_cli.load(source), wrt="w_h", style=style)
    want_do, want_wh = _torch_do(source)
    for t, want in enumerate(want_do, 1):
        name = f"dL_{t}/do_{t}" if style == "paths" else f"dL/do_{t}"
        step = next(s for s in d.steps if s.name == name)
        assert isinstance(step.expr, Diff) and text(step.expr) == f"y_hat_{t} - y_{t}"
        assert step.chain is not None                 # shown first as the product
        assert _values(step.value) == pytest.approx(list(want), abs=1e-12)
    assert _values(d.value) == pytest.approx(list(want_wh), abs=1e-12)


def test_the_shortcut_is_used_downstream():
    d = rnn_cli.grad(rnn_cli.load(BCE), wrt="w_h", style="paths")
    term = next(s for s in d.steps if s.name == "dL_1/dw_h")
    assert text(term.chain).startswith("dL_1/do_1 * do_1/dh_1")
    assert text(term.expr).startswith("(y_hat_1 - y_1) * w_y")
