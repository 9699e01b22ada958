"""Keys printed by code: judged at float32 or float64 precision (teach/precision.py).

The oracles are PyTorch in float32 (what a course's key script prints with `.item()`) and
numpy float64 for a hand derivation with a slip, each written out here.
"""

from fractions import Fraction

import numpy as np
import pytest

from rnn_cli.teach.check import check_files
from rnn_cli.teach.precision import Produced, produced_by, significant

PARAMS = dict(w_x=0.5, w_h=-1.5, w_y=3.0, b_h=0.2, h_0=0.5)
X, Y = [1.2, -0.7], [0.3, -0.4]


def _problem(answers: str) -> str:
    p = "\n".join(f"{k} = {v}" for k, v in PARAMS.items())
    return (f'activation = "tanh"\n[params]\n{p}\n[data]\nx = {X}\ny = {Y}\n'
            f"[answers]\n{answers}\n")


def _check(tmp_path, answers: str):
    f = tmp_path / "key.toml"
    f.write_text(_problem(answers))
    return {r.name: r for r in check_files([f]).results}


def _torch_grads(dtype):
    torch = pytest.importorskip("torch")
    t = {k: torch.tensor(v, dtype=dtype, requires_grad=True) for k, v in PARAMS.items()}
    h, loss, outs = t["h_0"], 0, []
    for x, y in zip(X, Y):
        h = torch.tanh(t["w_h"] * h + t["w_x"] * torch.tensor(x, dtype=dtype) + t["b_h"])
        o = t["w_y"] * h
        outs.append(o)
        loss = loss + (o - torch.tensor(y, dtype=dtype)) ** 2
    dy2, = torch.autograd.grad(outs[1], t["w_h"], retain_graph=True)
    dl, = torch.autograd.grad(loss, t["w_h"])
    return dy2.item(), dl.item()


def test_a_float32_key_is_judged_at_float32_precision(tmp_path):
    dy2, dl = _torch_grads(__import__("torch").float32 if _has_torch() else None)
    assert float(np.float32(dy2)) == dy2          # what .item() prints: a float32 value
    rs = _check(tmp_path, f'"dy_hat_2/dw_h" = {dy2!r}\n"dL/dw_h" = {dl!r}')
    for name in ("dy_hat_2/dw_h", "dL/dw_h"):
        assert rs[name].verdict == "correct", rs[name]
        assert rs[name].rule.startswith("float32 precision"), rs[name].rule
        assert "depth" in rs[name].rule


def test_a_float32_key_off_by_1e_5_stays_wrong(tmp_path):
    dy2, _ = _torch_grads(__import__("torch").float32 if _has_torch() else None)
    off = float(np.float32(dy2 + 1e-5))
    rs = _check(tmp_path, f'"dy_hat_2/dw_h" = {off!r}')
    assert rs["dy_hat_2/dw_h"].verdict == "wrong"


def test_a_float64_key_is_judged_at_float64_precision(tmp_path):
    torch = pytest.importorskip("torch")
    dy2, dl = _torch_grads(torch.float64)
    rs = _check(tmp_path, f'"dy_hat_2/dw_h" = {dy2!r}\n"dL/dw_h" = {dl!r}')
    assert rs["dL/dw_h"].verdict == "correct" and "float64" in rs["dL/dw_h"].rule
    # one part in 1e9 off is far beyond what float64 arithmetic accumulates here
    rs = _check(tmp_path, f'"dL/dw_h" = {dl * (1 + 1e-9)!r}')
    assert rs["dL/dw_h"].verdict == "wrong"


def test_a_16_digit_hand_answer_with_tanh_prime_at_a_is_diagnosed(tmp_path):
    # the derivation by hand, in float64, with tanh'(a_t) written as 1 - a_t^2
    p = PARAMS
    h, a, dh_dw = [p["h_0"]], [], [0.0]
    for x in X:
        a.append(p["w_h"] * h[-1] + p["w_x"] * x + p["b_h"])
        h.append(np.tanh(a[-1]))
    grad = 0.0
    for t in (1, 2):
        slope = 1 - a[t - 1] ** 2                  # the slip: 1 - a^2, not 1 - h^2
        dh_dw.append(slope * (h[t - 1] + p["w_h"] * dh_dw[t - 1]))
        grad += 2 * (p["w_y"] * h[t] - Y[t - 1]) * p["w_y"] * dh_dw[t]
    written = repr(float(grad))
    assert significant(written) >= 15
    rs = _check(tmp_path, f'"dL/dw_h" = {written}')
    r = rs["dL/dw_h"]
    assert r.verdict == "wrong"
    assert any("pre-activation" in d for d in r.diagnosis), r.diagnosis


def test_written_precision_and_explicit_tolerance_work_as_before(tmp_path):
    rs = _check(tmp_path, 'h_1 = 0.4621\n"dL/dw_h" = { value = 3, abs = 100 }')
    # h_1 = tanh(-1.5 * 0.5 + 0.5 * 1.2 + 0.2) = tanh(0.05)
    want = np.tanh(0.05)
    assert rs["h_1"].verdict == ("correct" if abs(want - 0.4621) <= 5e-5 else "wrong")
    assert rs["h_1"].rule == "rounded to 4 decimals"
    assert rs["dL/dw_h"].verdict == "correct" and rs["dL/dw_h"].rule == "within abs 100"


def test_how_a_number_was_produced():
    assert produced_by("8.188806533813477", Fraction("8.188806533813477")) == "float32"
    assert produced_by("8.18880816832867", Fraction("8.18880816832867")) == "float64"
    assert produced_by("0.4621", Fraction("0.4621")) is None
    fifty = "0.12345678901234567890123456789012345678901234567890"
    assert produced_by(fifty, Fraction(fifty)) is None       # from mpmath: as written
    assert significant("8.188806533813477") == 16 and significant("0.004621") == 4


def test_the_issue_s_float32_value_against_its_exact_value():
    """The key of the issue: the exact value 8.18880816832867..., a float32 computation
    printing 8.188806533813477 (1.7 units in the last place of float32 away), and the value
    1e-5 off. A derivation a dozen steps deep allows the first, never the second."""
    exact = Fraction("8.18880816832867")
    assert float(np.float32(8.188806533813477)) == 8.188806533813477
    for depth in (2, 12, 40):
        bound = Produced("float32", depth)
        assert bound.matches(Fraction("8.188806533813477"), exact)
        assert not bound.matches(Fraction("8.188906533813477"), exact)
    assert not Produced("float64", 12).matches(Fraction("8.188806533813477"), exact)


def _has_torch() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        pytest.skip("PyTorch is not installed")
    return True
