"""Vector problems against PyTorch autograd (float64), an oracle that shares no code with
rnn_cli. Skipped, with the reason, where torch is not installed (`pip install '.[torch]'`);
.ci/run installs it so that CI never skips these."""

import pytest

torch = pytest.importorskip("torch", reason="PyTorch is not installed: pip install '.[torch]'")

from hypothesis import HealthCheck, assume, given, settings          # noqa: E402
from hypothesis import strategies as st                      # noqa: E402

from conftest import problem_of                              # noqa: E402
from rnn_cli.derive.bptt import grad                                # noqa: E402
from rnn_cli.derive.forward import forward                          # noqa: E402
from rnn_cli.model.matrix import Mat                               # noqa: E402
from rnn_cli.model.names import Quantity                           # noqa: E402
from torch_oracle import PARAMS, run                         # noqa: E402

RTOL = 1e-10


def as_list(v):
    if isinstance(v, Mat):
        return [[float(e) for e in r] for r in v.rows]
    return [[float(v)]]


def close(ours, theirs) -> bool:
    """Entry by entry to 1e-10, relative to the gradient's largest entry (and to 1)."""
    a = torch.tensor(as_list(ours)).reshape(-1)
    b = theirs.detach().reshape(-1)
    scale = max(1.0, float(b.abs().max()))
    return bool(((a - b).abs() <= RTOL * scale).all())


tenths = st.integers(-10, 10).map(lambda k: k / 10)


@st.composite
def vector_problems(draw):
    H, D, K = (draw(st.integers(1, 5)) for _ in range(3))
    T = draw(st.integers(1, 10))
    output = draw(st.sampled_from(["identity", "sigmoid"] + (["softmax"] if K >= 2 else [])))
    loss = draw(st.sampled_from({"identity": ["squared", "half_squared"],
                                 "sigmoid": ["squared", "half_squared", "cross_entropy"],
                                 "softmax": ["cross_entropy", "squared"]}[output]))
    mat = lambda m, n: [[draw(tenths) for _ in range(n)] for _ in range(m)]
    vec = lambda n: [draw(tenths) for _ in range(n)]
    outputs = draw(st.sampled_from(["all", "last", "list"]))
    steps = list(range(1, T + 1)) if outputs == "all" else [T] if outputs == "last" else \
        sorted(draw(st.sets(st.integers(1, T), min_size=1)))

    def target():
        if output == "softmax" and loss == "cross_entropy":
            return draw(st.integers(1, K))
        if loss == "cross_entropy":
            return [draw(st.sampled_from([0, 0.5, 1])) for _ in range(K)]
        return vec(K)

    return {"activation": draw(st.sampled_from(["identity", "tanh", "sigmoid", "relu"])),
            "output": output, "loss": loss,
            "reduction": draw(st.sampled_from(["sum", "mean"])),
            "outputs": outputs if outputs != "list" else steps,
            "params": {"w_h": mat(H, H), "w_x": mat(H, D), "w_y": mat(K, H), "b_h": vec(H),
                       "b_y": vec(K), "h_0": vec(H)},
            "data": {"x": [vec(D) for _ in range(T)], "y": [target() for _ in steps]}}


def assume_sound(d, params, q) -> None:
    """Leave out the problems where float64 itself, the oracle's arithmetic, breaks down."""
    # float64 saturates where a sigmoid output reaches 0 or 1 (log 0 = -inf): the oracle's
    # limit there, not ours, so such problems are not a test
    assume(all(torch.isfinite(p.grad).all() for p in params.values()))
    assume(all(((v > 1e-9) & (v < 1 - 1e-9)).all() for k, v in q.items()
               if k.startswith("y_hat_") and d["output"] != "identity"))
    # at relu's kink a float64 rounding error of 1e-17 picks the other slope
    assume(d["activation"] != "relu" or all((v.abs() > 1e-9).all() for k, v in q.items()
                                            if k.startswith("a_")))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(vector_problems())
def test_gradients_match_autograd(d):
    params, q = run(d)
    assume_sound(d, params, q)
    p = problem_of(d)
    f = forward(p)
    assert close(f.value("L"), q["L"])
    d_ = grad(f, Quantity("L"), [Quantity(n) for n in PARAMS], "delta")
    for g in d_.gradients:
        assert close(g.value, params[g.wrt].grad), g.wrt


def test_one_entry_matches_the_matrix():
    d = {"activation": "tanh", "output": "softmax", "loss": "cross_entropy",
         "params": {"w_h": [[0.5, -0.3], [0.2, 0.4]], "w_x": [[1.0], [0.3]],
                    "w_y": [[1.2, -0.7], [0.4, 0.9]]},
         "data": {"x": [1, -1, 0.5], "y": [1, 2, 2]}}
    params, _ = run(d)
    p = problem_of(d)
    g = grad(forward(p), Quantity("L"), [Quantity("w_h", None, (2, 1))]).gradients[0]
    assert abs(float(g.value) - float(params["w_h"].grad[1, 0])) <= 1e-12


def test_row_layout_gives_the_notebook_numbers():
    # a course notebook writes h_t = tanh(x_t W_xh + h_{t-1} W_hh + b): W_xh is D x H
    W_xh = [[0.1, -0.2, 0.3]]                  # D = 1, H = 3
    W_hh = [[0.5, 0.1, 0.0], [-0.2, 0.3, 0.1], [0.0, 0.2, -0.4]]
    W_hy = [[1.0, -1.0], [0.5, 0.2], [-0.3, 0.8]]   # H x K
    d = {"layout": "row", "activation": "tanh",
         "params": {"W_xh": W_xh, "W_hh": W_hh, "W_hy": W_hy},
         "data": {"x": [1, 2], "y": [[0, 1], [1, 0]]}}
    # the notebook's own computation, in its own convention
    x = [torch.tensor([[1.0]]), torch.tensor([[2.0]])]
    wxh, whh, why = (torch.tensor(m, requires_grad=True) for m in (W_xh, W_hh, W_hy))
    h, L = torch.zeros(1, 3), 0
    for t, y in zip(x, ([0.0, 1.0], [1.0, 0.0])):
        h = torch.tanh(t @ wxh + h @ whh)
        L = L + ((h @ why - torch.tensor([y])) ** 2).sum()
    L.backward()
    p = problem_of(d)
    f = forward(p)
    assert abs(float(f.value("L")) - L.item()) < 1e-12
    g = grad(f, Quantity("L"), [Quantity("w_h"), Quantity("w_x")]).gradients
    # our w_h is the notebook's W_hh transposed, so its gradient is too
    assert close(g[0].value, whh.grad.T) and close(g[1].value, wxh.grad.T)


def test_vector_examples_keys_match_autograd():
    """Every answer of a vector problem in examples.toml, against PyTorch at its decimals."""
    import tomllib
    from decimal import Decimal

    from conftest import ROOT
    doc = tomllib.loads((ROOT / "examples.toml").read_text(), parse_float=Decimal)
    checked = 0
    for name, table in doc.items():
        if not any(isinstance(v, list) for v in table["params"].values()) or \
                table.get("cell", "rnn") != "rnn":   # gated cells: tests/test_gated.py
            continue
        params, q = run(table)
        for key, written in table["answers"].items():
            ref = _reference(key, params, q)
            flat_written = [v for r in written for v in (r if isinstance(r, list) else [r])] \
                if isinstance(written, list) else [written]
            flat_ref = ref.detach().reshape(-1).tolist()
            assert len(flat_written) == len(flat_ref), key
            for w, r in zip(flat_written, flat_ref):
                places = -w.as_tuple().exponent
                assert abs(float(w) - r) <= 0.5 * 10 ** -places + 1e-12, (name, key)
            checked += 1
    assert checked >= 8


def _reference(key, params, q):
    """The torch value an answer names: h_1, L, dL/dw_h, dL/dw_y[2,1], h_1[2]."""
    import re
    m = re.fullmatch(r"(?:dL/d)?(\w+?)(?:\[(\d+)(?:,(\d+))?\])?", key)
    base, i, j = m[1], m[2], m[3]
    v = params[base].grad if key.startswith("dL/d") else q[base]
    if i is not None:
        v = v[int(i) - 1] if j is None else v[int(i) - 1, int(j) - 1]
    return v


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(vector_problems())
def test_float64_engine_matches_autograd(d):
    """fast.run, which large problems take, on the same problems as the exact path above."""
    from rnn_cli.derive.fast import run as numeric
    params, q = run(d)
    assume_sound(d, params, q)
    n = numeric(problem_of(d))
    assert abs(n.L - q["L"].item()) <= RTOL * max(1.0, abs(q["L"].item()))
    for name in PARAMS:
        ours = torch.tensor(n.grads[name]).reshape(-1)
        theirs = params[name].grad.reshape(-1)
        assert float((ours - theirs).abs().max()) <= RTOL * max(1.0, float(theirs.abs().max())), name
