"""LSTM and GRU cells (rnn_cli/derive/gated.py) against PyTorch's own nn.LSTMCell and nn.GRUCell in
float64 (tests/torch_cells.py, which maps our per-gate parameters onto PyTorch's stacked
weight_ih/weight_hh). Skipped, with the reason, where torch is not installed
(`pip install '.[torch]'`); .ci/run installs it so that CI never skips these."""

import json
import tomllib
from decimal import Decimal

import pytest

torch = pytest.importorskip("torch", reason="PyTorch is not installed: pip install '.[torch]'")

from hypothesis import HealthCheck, assume, given, settings   # noqa: E402
from hypothesis import strategies as st                      # noqa: E402
from typer.testing import CliRunner                          # noqa: E402

from conftest import ROOT, problem_of                        # noqa: E402
from rnn_cli.teach.check import check_files                        # noqa: E402
from rnn_cli.cli import app                                  # noqa: E402
from rnn_cli.model.errors import InputError                        # noqa: E402
from rnn_cli.derive.gated import forward_gated, grad_gated          # noqa: E402
from rnn_cli.model.matrix import Mat                               # noqa: E402
from rnn_cli.model.names import Quantity, parse_name               # noqa: E402
from torch_cells import run                                  # noqa: E402

RTOL = 1e-10
runner = CliRunner()
tenths = st.integers(-10, 10).map(lambda k: k / 10)


def flat(v) -> list[float]:
    return [float(e) for e in v.entries()] if isinstance(v, Mat) else [float(v)]


def close(ours, theirs) -> bool:
    """Entry by entry to 1e-10, relative to the largest entry (and to 1)."""
    a = torch.tensor(flat(ours))
    b = theirs.detach().reshape(-1)
    scale = max(1.0, float(b.abs().max()))
    return a.shape == b.shape and bool(((a - b).abs() <= RTOL * scale).all())


@st.composite
def gated_problems(draw, cell=None, scalar=False):
    cell = cell or draw(st.sampled_from(["lstm", "gru"]))
    H, D, K = (1, 1, 1) if scalar else \
        (draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 2)))
    T = draw(st.integers(1, 5))
    scalar = (H, D, K) == (1, 1, 1) and (scalar or draw(st.booleans()))   # plain numbers
    output = draw(st.sampled_from(["identity", "sigmoid"] + (["softmax"] if K >= 2 else [])))
    loss = draw(st.sampled_from({"identity": ["squared", "half_squared"],
                                 "sigmoid": ["squared", "cross_entropy"],
                                 "softmax": ["cross_entropy", "squared"]}[output]))
    if scalar:
        mat = vec = lambda *_: draw(tenths)
    else:
        mat = lambda m, n: [[draw(tenths) for _ in range(n)] for _ in range(m)]
        vec = lambda n: [draw(tenths) for _ in range(n)]
    gates = "ifgo" if cell == "lstm" else "rzn"
    params = {}
    for g in gates:
        params[f"w_x{g}"], params[f"w_h{g}"] = mat(H, D), mat(H, H)
        bias = "b_xn" if g == "n" else f"b_{g}"
        if draw(st.booleans()):
            params[bias] = vec(H)
    if cell == "gru" and draw(st.booleans()):
        params["b_hn"] = vec(H)
    params["w_y"] = mat(K, H)
    for k, n in (("b_y", K), ("h_0", H)) + ((("c_0", H),) if cell == "lstm" else ()):
        if draw(st.booleans()):
            params[k] = vec(n)
    outputs = draw(st.sampled_from(["all", "last", "list"]))
    steps = list(range(1, T + 1)) if outputs == "all" else [T] if outputs == "last" else \
        sorted(draw(st.sets(st.integers(1, T), min_size=1)))

    def target():
        if output == "softmax" and loss == "cross_entropy":
            return draw(st.integers(1, K))
        if loss == "cross_entropy":
            v = [draw(st.sampled_from([0, 0.5, 1])) for _ in range(K)]
            return v[0] if scalar else v
        return vec(K)

    return {"cell": cell, "output": output, "loss": loss,
            "reduction": draw(st.sampled_from(["sum", "mean"])),
            "outputs": outputs if outputs != "list" else steps, "params": params,
            "data": {"x": [vec(D) for _ in range(T)], "y": [target() for _ in steps]}}


def _compare(d):
    grads, values = run(d)
    assume(all(torch.isfinite(g).all() for g in grads.values()))
    p = problem_of(d)
    f = forward_gated(p)
    for name, v in values.items():
        assert close(f.value(name), v), name          # every gate, h_t, c_t, y_hat_t, L_t, L
    wrts = [Quantity(n) for n in p.param_names]
    states = [Quantity(b, t) for t in range(1, p.T + 1)
              for b in (("h", "c") if p.cell == "lstm" else ("h",))]
    d_ = grad_gated(f, Quantity("L"), wrts + states)
    for g in d_.gradients:
        theirs = grads[g.wrt] if g.wrt in grads else values[g.wrt].grad
        if theirs is None:         # a state after the last target: off every path to L
            theirs = torch.zeros(p.size(g.wrt.split("_")[0])[0])
        assert close(g.value, theirs), g.wrt


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(gated_problems("lstm"))
def test_lstm_matches_pytorch(d):
    _compare(d)


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(gated_problems("gru"))
def test_gru_matches_pytorch(d):
    _compare(d)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(gated_problems(), st.data())
def test_one_entry_and_one_loss(d, data):
    """dL_t/dθ for one L_t, and one entry w[i,j] of a weight, against autograd on L_t."""
    p = problem_of(d)
    t = data.draw(st.sampled_from(p.targets))
    d1 = dict(d, outputs=[t], data={"x": d["data"]["x"], "y": [d["data"]["y"][p.targets.index(t)]]})
    grads, _ = run(d1)
    name = "w_xf" if p.cell == "lstm" else "w_hn"
    m, n = grads[name].shape
    i, j = data.draw(st.integers(1, m)), data.draw(st.integers(1, n))
    wrt = Quantity(name, None, (i, j)) if p.is_vector else Quantity(name)
    g = grad_gated(forward_gated(p), Quantity("L", t), [wrt]).gradients[0]
    expected = grads[name][i - 1, j - 1] if p.is_vector else grads[name]
    assert abs(float(g.value) - float(expected)) <= RTOL * max(1.0, abs(float(expected)))


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(gated_problems(scalar=True))
def test_paths_style_agrees_with_delta_and_pytorch(d):
    """The paths style (every path, cell-state and hidden-state paths apart) gives the delta
    recursion's values to 40 digits, and PyTorch's."""
    grads, _ = run(d)
    assume(all(torch.isfinite(g).all() for g in grads.values()))
    p = problem_of(d)
    f = forward_gated(p)
    wrts = [Quantity(n) for n in p.param_names]
    paths = grad_gated(f, Quantity("L"), wrts, "paths").gradients
    delta = grad_gated(f, Quantity("L"), wrts, "delta").gradients
    for a, b in zip(paths, delta, strict=True):
        assert abs(float(a.value - b.value)) <= 1e-40 * max(1, abs(float(b.value))), a.wrt
        assert close(a.value, grads[a.wrt]), a.wrt
    t = p.targets[-1]
    one = grad_gated(f, Quantity("L", t), wrts[:3], "paths").gradients
    assert all(abs(float(a.value - b.value)) < 1e-40 for a, b in
               zip(one, grad_gated(f, Quantity("L", t), wrts[:3], "delta").gradients))


def test_paths_style_shows_the_cell_state_path_apart():
    out = invoke("grad", "-p", "lstm_1unit", "--wrt", "c_0", "--style", "paths")
    assert "dh_2/dc_0 (cell-state paths)" in out and "dh_2/dc_0 (hidden-state paths)" in out
    assert "dh_2/dc_2 * dc_2/dc_1 * dc_1/dc_0" in out     # the forget gates' product
    assert "dL/dc_0 = 0.141571" in out                     # PyTorch's, in examples.toml


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(gated_problems(), st.data())
def test_other_quantities_differentiate_like_pytorch(d, data):
    """--of h_t[i], c_t[i] or y_hat_t[i]: the recursion seeded there, against autograd."""
    p = problem_of(d)
    base = data.draw(st.sampled_from(["h", "y_hat"] + (["c"] if p.cell == "lstm" else [])))
    t = data.draw(st.integers(1, p.T))
    i = data.draw(st.integers(1, p.size(base)[0]))
    grads, values = run(d, (f"{base}_{t}", i - 1))
    assume(all(torch.isfinite(g).all() for g in grads.values() if g is not None))
    of = Quantity(base, t, (i,) if p.is_vector else ())
    states = [Quantity(b, k) for k in range(1, t) for b in ("h", "c") if f"{b}_{k}" in values]
    wrts = [Quantity(n) for n in p.param_names] + states
    for g in grad_gated(forward_gated(p), of, wrts).gradients:
        theirs = grads[g.wrt] if g.wrt in grads else values[g.wrt].grad
        if theirs is None:     # off every path to `of` (w_y for h_t, a later state, ...)
            theirs = torch.zeros(len(flat(g.value)))
        assert close(g.value, theirs), (str(of), g.wrt)


def test_dc_by_dc_is_the_forget_gate_plus_the_path_through_h():
    """dc_2/dc_1 over every path: f_2 (the cell-state path) and the path c_1 -> h_1 -> c_2."""
    _, v = run(LSTM_1, ("c_2", 0))
    g = grad_gated(forward_gated(problem_of(LSTM_1)), Quantity("c", 2), [Quantity("c", 1)])
    assert abs(float(g.gradients[0].value) - v["c_1"].grad.item()) < 1e-12
    _, plain = run(LSTM_1)
    assert abs(v["c_1"].grad.item() - plain["f_2"].item()) > 1e-3


# -- the problem model: names and files --------------------------------------------------------

LSTM_1 = {"cell": "lstm", "loss": "half_squared",
          "params": {"w_xi": 0.5, "w_hi": 0.25, "w_xf": 0.5, "w_hf": 0.25, "b_f": 1, "w_xg": 1,
                     "w_hg": -0.5, "w_xo": 0.5, "w_ho": 0.5, "w_y": 2},
          "data": {"x": [1, 2], "y": [0.5, 1]}}


def test_gate_names_parse_without_colliding_with_the_output():
    assert parse_name("og_2").wrt == Quantity("og", 2)       # the LSTM's output gate
    assert parse_name("o_2").wrt == Quantity("o", 2)         # the output pre-activation
    assert parse_name("dL/dc_1").wrt == Quantity("c", 1)
    assert parse_name("c0").wrt == Quantity("c_0")
    assert parse_name("c").wrt == Quantity("b_y")            # the spec's alias stays
    assert parse_name("W_if").wrt == Quantity("w_xf")        # PyTorch's name for it
    assert parse_name("b_in").wrt == Quantity("b_xn")


@pytest.mark.parametrize("change, message", [
    ({"params": {"w_xi": 1}}, "missing w_hi"),
    ({"params": {**LSTM_1["params"], "w_h": 1}}, "not a parameter of the lstm cell"),
    ({"activation": "tanh"}, "own activations"),
    ({"cell": "gru"}, "not a parameter of the gru cell"),
    ({"cell": "lstsm"}, "lstm"),
])
def test_bad_gated_problems_are_input_errors(change, message):
    with pytest.raises(InputError, match=message):
        problem_of({**LSTM_1, **change})


def test_a_gate_parameter_in_an_rnn_problem_says_which_cell_it_needs():
    d = {"params": {"w_x": 1, "w_h": 1, "w_y": 1, "w_xf": 1}, "data": {"x": [1], "y": [1]}}
    with pytest.raises(InputError, match='cell = "lstm" or "gru"'):
        problem_of(d)


def test_quantities_of_an_lstm_problem():
    p = problem_of(LSTM_1)
    assert "og_2" in p.quantities() and "c_0" in p.quantities() and "a_1" not in p.quantities()
    with pytest.raises(InputError, match="og_1"):
        p.resolve("a_1")


def test_vector_shapes_are_checked_per_gate():
    d = {"cell": "gru", "params": {"w_xr": [[1], [2]], "w_hr": [[1, 0], [0, 1]],
                                   "w_xz": [[1], [2]], "w_hz": [[1, 0], [0, 1]],
                                   "w_xn": [[1], [2]], "w_hn": [[1, 0, 0], [0, 1, 0]],
                                   "w_y": [1, 1]}, "data": {"x": [1], "y": [1]}}
    with pytest.raises(InputError, match="w_hn must be square"):
        problem_of(d)


# -- the command line ------------------------------------------------------------------------

def invoke(*args):
    r = runner.invoke(app, list(args))
    assert r.exit_code == 0, (args, r.stdout, r.stderr)
    return r.stdout


def test_forward_json_has_every_gate():
    out = json.loads(invoke("forward", "--problem", "lstm_1unit", "--format", "json"))
    assert out["cell"] == "lstm" and out["activation"] is None
    step = out["steps"][0]
    assert set(step) >= {"i", "f", "g", "og", "c", "h", "ai", "af", "ag", "ao", "o", "y_hat"}
    _, values = run(LSTM_1)
    assert abs(step["og"] - values["og_1"].item()) < 1e-12
    assert abs(out["loss"] - values["L"].item()) < 1e-12


@pytest.mark.parametrize("fmt", ["table", "markdown", "latex", "json"])
def test_every_format_shows_the_gates(fmt):
    out = invoke("grad", "--problem", "gru_2unit", "--wrt", "all", "--format", fmt)
    names = ("z_1", "dL/dhn_1", "dL/dw_xn", "dL/db_hn") if fmt != "latex" else \
        ("z_{1}", r"\partial \mathit{hn}_{1}", r"\partial w_{xn}", r"\partial b_{hn}")
    for name in names:
        assert name in out, (fmt, name)


def test_flags_build_a_gated_problem():
    args = ["--cell", "lstm", "--loss", "half_squared", "--w-y", "2", "--x", "1,2",
            "--y", "0.5,1"]
    for k, v in LSTM_1["params"].items():
        if k != "w_y":
            args += ["--param", f"{k}={v}"]
    out = json.loads(invoke("grad", *args, "--wrt", "w_xf", "--format", "json"))
    grads, _ = run(LSTM_1)
    assert abs(out["gradients"]["w_xf"]["value"] - grads["w_xf"].item()) < 1e-12


def test_bad_flags_are_one_line():
    r = runner.invoke(app, ["forward", "--param", "w_qq=1"])
    assert r.exit_code == 2 and "--param" in r.stderr and "Traceback" not in r.stderr
    r = runner.invoke(app, ["grad", "-p", "lstm_1unit", "--wrt", "w_h"])
    assert r.exit_code == 2 and "og_1" in r.stderr      # lists the names the problem has
    r = runner.invoke(app, ["grad", "-p", "gru_2unit", "--wrt", "all", "--style", "paths"])
    assert r.exit_code == 2 and "delta" in r.stderr


def test_builtin_gated_keys_match_pytorch():
    """The answers of the gated examples in examples.toml, against PyTorch at their decimals
    (they were written by tests/gated_keys.py from the same oracle), and `check` passes them."""
    doc = tomllib.loads((ROOT / "examples.toml").read_text(), parse_float=Decimal)
    checked = 0
    for name, table in doc.items():
        if table.get("cell", "rnn") == "rnn":
            continue
        grads, values = run(table)
        for key, written in table["answers"].items():
            q = key[4:] if key.startswith("dL/d") else key
            ref = (grads[q] if q in grads else values[q].grad) if key.startswith("dL/d") \
                else values[q]
            ws = [v for r in (written if isinstance(written, list) else [written])
                  for v in (r if isinstance(r, list) else [r])]
            for w, r in zip(ws, ref.detach().reshape(-1).tolist(), strict=True):
                places = -w.as_tuple().exponent
                assert abs(float(w) - r) <= 0.5 * 10 ** -places + 1e-12, (name, key)
            checked += 1
    assert checked >= 30
    report = check_files([ROOT / "examples.toml"])
    gated = [r for r in report.results if r.problem in ("lstm_1unit", "gru_2unit")]
    assert len(gated) == checked and all(r.verdict == "correct" for r in gated)


# -- check: the gated cells' typical mistakes ---------------------------------------------------

def _key(tmp_path, answers: dict):
    lines = ['cell = "lstm"', 'loss = "half_squared"', "[params]"]
    lines += [f"{k} = {v}" for k, v in LSTM_1["params"].items()]
    lines += ["[data]", "x = [1, 2]", "y = [0.5, 1]", "[answers]"]
    lines += [f'"{k}" = {v:.6f}' for k, v in answers.items()]
    path = tmp_path / "key.toml"
    path.write_text("\n".join(lines) + "\n")
    return check_files([path]).results


def test_diagnoses_of_lstm_mistakes(tmp_path):
    # the mistaken values, written from PyTorch's numbers by the formulas of each mistake
    grads, v = run(LSTM_1)
    dh1, dc2 = v["h_1"].grad.item(), v["c_2"].grad.item()
    og1, f2, tc1 = v["og_1"].item(), v["f_2"].item(), torch.tanh(v["c_1"]).item()
    no_forget = dh1 * og1 * (1 - tc1 ** 2)                 # dL/dc_2 * f_2 left out
    no_gate = dh1 * (1 - tc1 ** 2) + dc2 * f2             # og_1 left out
    results = _key(tmp_path, {"dL/dc_1": no_forget})
    assert results[0].verdict == "wrong"
    assert any("forget-gate path" in s for s in results[0].diagnosis), results[0].diagnosis
    results = _key(tmp_path, {"dL/dc_1": no_gate})
    assert any("output gate was missed" in s for s in results[0].diagnosis)
    # sigmoid' as tanh' at the forget gate: dL/db_f = Σ_t dL/df_t (1 - f_t^2)
    df = [v["c_2"].grad.item() * v["c_1"].item(), 0.0]     # dL/df_2, and dL/df_1 (c_0 = 0)
    tanh_slope = df[0] * (1 - v["f_2"].item() ** 2)
    results = _key(tmp_path, {"dL/db_f": tanh_slope})
    assert any("taken as tanh's" in s for s in results[0].diagnosis), results[0].diagnosis
    assert abs(grads["b_f"].item() - tanh_slope) > 1e-3   # the mistake changes the value
    # dc_2/dc_1 taken as the forget gate f_2 alone: the path through h_1 left out
    results = _key(tmp_path, {"dc_2/dc_1": v["f_2"].item()})
    assert results[0].verdict == "wrong"
    assert any("only the cell-state path" in s for s in results[0].diagnosis)


# -- limits ------------------------------------------------------------------------------------

def test_gated_T_at_and_past_its_limit(monkeypatch):
    from rnn_cli.model import problem
    monkeypatch.setattr(problem, "MAX_GATED_T", 3)
    d = dict(LSTM_1, data={"x": [1, 2, 3], "y": [0, 0, 0]})
    assert problem_of(d).T == 3
    with pytest.raises(InputError, match="4 steps: a gated cell takes at most 3"):
        problem_of(dict(LSTM_1, data={"x": [1, 2, 3, 4], "y": [0, 0, 0, 0]}))


def test_gated_paths_style_past_its_limit():
    from rnn_cli.derive.gated_paths import PATHS_LIMIT
    T = PATHS_LIMIT + 1
    p = problem_of(dict(LSTM_1, data={"x": [1] * T, "y": [0] * T}))
    with pytest.raises(InputError, match=f"at most T = {PATHS_LIMIT}"):
        grad_gated(forward_gated(p), Quantity("L"), [Quantity("w_xf")], "paths")


def test_docs_document_the_gated_limits():
    from rnn_cli.derive.gated_paths import PATHS_LIMIT
    from rnn_cli.model.problem import MAX_GATED_T
    section = (ROOT / "docs" / "limits.md").read_text(encoding="utf-8")
    assert f"| steps T of an LSTM or GRU | {MAX_GATED_T:,} |" in section
    assert f"| `--style paths` of an LSTM or GRU | T ≤ {PATHS_LIMIT} |" in section


def test_row_layout_reads_every_gate_weight_transposed():
    """layout = "row" (x W + h W, as notebooks write it): the same LSTM as its column form."""
    rng = [0.3, -0.2, 0.5, 0.1, -0.4, 0.2, 0.6, -0.1, 0.25, -0.3, 0.15, 0.05]
    col, row = {}, {}
    for k, g in enumerate("ifgo"):
        wx = [[rng[k], rng[k + 1]], [rng[k + 2], rng[k + 3]], [rng[k + 4], rng[k + 5]]]  # H x D
        wh = [[rng[k + 6], rng[k + 7], rng[k + 1]], [rng[k + 3], rng[k + 8], rng[k]],
              [rng[k + 2], rng[k + 5], rng[k + 4]]]
        col[f"w_x{g}"], col[f"w_h{g}"] = wx, wh
        row[f"w_x{g}"], row[f"w_h{g}"] = [list(r) for r in zip(*wx)], [list(r) for r in zip(*wh)]
    col["w_y"], row["w_y"] = [[1, -1, 0.5]], [[1], [-1], [0.5]]
    data = {"x": [[1, 0], [0.5, -1]], "y": [0.2, -0.3]}
    a = problem_of({"cell": "lstm", "params": col, "data": data})
    b = problem_of({"cell": "lstm", "layout": "row", "params": row, "data": data})
    assert a.params == b.params
    grads, _ = run({"cell": "lstm", "params": col, "data": data})
    g = grad_gated(forward_gated(b), Quantity("L"), [Quantity("w_hg")]).gradients[0]
    assert close(g.value, grads["w_hg"])


@pytest.mark.parametrize("args, where", [
    (["--cell", "__import__('os').system('echo owned')"], "cell"),
    (["--cell", "lstm", "--param", "w_xi=__import__('os')"], "--param"),
    (["--param", "__import__('os')=1"], "--param"),
    (["--cell", "gru", "--c0", "1"], "c_0"),
])
def test_hostile_or_wrong_gated_flags_are_one_line(args, where):
    r = runner.invoke(app, ["forward", *args])
    assert r.exit_code == 2 and where in r.stderr
    assert not any(line.strip() == "owned" for line in (r.stdout + r.stderr).splitlines())
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
