"""Weights files, conventions and minibatches (model/weights.py, conventions.py, arrays.py,
derive/numeric.py), each against an oracle written here: Karpathy's min-char-rnn loss
function in numpy, and PyTorch autograd on CS231n-style code and on nn.RNN, nn.LSTM and
nn.GRU modules saved with torch.save. Nothing here derives an expected value with rnn_cli."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from conftest import cs231n_arrays
from rnn_cli.cli import app

runner = CliRunner()


def cli(*args) -> dict:
    r = runner.invoke(app, [*map(str, args), "--format", "json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def err(*args) -> str:
    r = runner.invoke(app, list(map(str, args)))
    assert r.exit_code == 2, (r.exit_code, r.output)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    return lines[0]


def rel(ours, theirs) -> float:
    """The largest difference relative to the largest entry of the oracle's array."""
    ours, theirs = np.asarray(ours, dtype=float), np.asarray(theirs, dtype=float)
    assert ours.shape == theirs.shape, (ours.shape, theirs.shape)
    return float(np.abs(ours - theirs).max() / max(np.abs(theirs).max(), 1e-300))


# -- min-char-rnn: Karpathy's lossFun, written out as in min-char-rnn.py ---------------------

def karpathy_loss(inputs, targets, hprev, Wxh, Whh, Why, bh, by, vocab_size):
    """min-char-rnn.py's lossFun (its np.clip left in: nothing here reaches 5)."""
    xs, hs, ys, ps = {}, {}, {}, {}
    hs[-1] = np.copy(hprev)
    loss = 0
    for t in range(len(inputs)):
        xs[t] = np.zeros((vocab_size, 1))
        xs[t][inputs[t]] = 1
        hs[t] = np.tanh(np.dot(Wxh, xs[t]) + np.dot(Whh, hs[t - 1]) + bh)
        ys[t] = np.dot(Why, hs[t]) + by
        ps[t] = np.exp(ys[t]) / np.sum(np.exp(ys[t]))
        loss += -np.log(ps[t][targets[t], 0])
    dWxh, dWhh, dWhy = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(Why)
    dbh, dby = np.zeros_like(bh), np.zeros_like(by)
    dhnext = np.zeros_like(hs[0])
    for t in reversed(range(len(inputs))):
        dy = np.copy(ps[t])
        dy[targets[t]] -= 1
        dWhy += np.dot(dy, hs[t].T)
        dby += dy
        dh = np.dot(Why.T, dy) + dhnext
        dhraw = (1 - hs[t] * hs[t]) * dh
        dbh += dhraw
        dWxh += np.dot(dhraw, xs[t].T)
        dWhh += np.dot(dhraw, hs[t - 1].T)
        dhnext = np.dot(Whh.T, dhraw)
    for dparam in [dWxh, dWhh, dWhy, dbh, dby]:
        np.clip(dparam, -5, 5, out=dparam)
    return loss, dWxh, dWhh, dWhy, dbh, dby, hs[len(inputs) - 1]


@pytest.fixture
def min_char_rnn(tmp_path):
    """H = 100, V = 27, T = 25, weights as min-char-rnn initialises them (randn * 0.01),
    a nonzero hprev and biases, inputs and targets as character indices."""
    rng = np.random.default_rng(14)
    H, V, T = 100, 27, 25
    w = {"Wxh": rng.standard_normal((H, V)) * 0.01, "Whh": rng.standard_normal((H, H)) * 0.01,
         "Why": rng.standard_normal((V, H)) * 0.01, "bh": rng.standard_normal((H, 1)) * 0.1,
         "by": rng.standard_normal((V, 1)) * 0.1, "hprev": np.tanh(rng.standard_normal((H, 1)))}
    inputs, targets = rng.integers(0, V, T), rng.integers(0, V, T)
    path = tmp_path / "min-char-rnn.npz"
    np.savez(path, **w, x=inputs, y=targets)
    return path, w, inputs, targets, V


def test_min_char_rnn_gradients_equal_its_loss_function(min_char_rnn):
    path, w, inputs, targets, V = min_char_rnn
    loss, *grads, _ = karpathy_loss(inputs, targets, w["hprev"], w["Wxh"], w["Whh"], w["Why"],
                                    w["bh"], w["by"], V)
    out = cli("grad", "--weights", path, "--wrt", "all")
    assert out["convention"] == "karpathy"           # recognised from Wxh, Whh, Why
    assert abs(out["loss"] - loss) <= 1e-12 * loss
    for name, theirs in zip(("dWxh", "dWhh", "dWhy", "dbh", "dby"), grads):
        g = out["gradients"][name]
        assert g["shape"] == list(theirs.shape)      # dbh is H x 1, as Karpathy's
        assert rel(g["value"], theirs) <= 1e-9, name


def test_min_char_rnn_in_every_format(min_char_rnn):
    path = min_char_rnn[0]
    for fmt in ("table", "markdown", "latex"):
        r = runner.invoke(app, ["grad", "--weights", str(path), "--wrt", "all", "--format", fmt])
        assert r.exit_code == 0, r.output
        assert "dWhh" in r.stdout and "dhnext" in r.stdout.replace("\\", "")
        assert "…" in r.stdout or "dots" in r.stdout   # 100 x 100: only the corners


def test_wrt_picks_by_gradient_array_or_canonical_name(min_char_rnn):
    path = min_char_rnn[0]
    for name in ("dWhh", "Whh", "w_h", "W_hh"):
        assert list(cli("grad", "--weights", path, "--wrt", name)["gradients"]) == ["dWhh"]
    assert "did you mean" in err("grad", "--weights", path, "--wrt", "dWhx")


# -- CS231n: a minibatch, row layout, h0 per sequence, sum over time and mean over N ---------

def test_cs231n_minibatch_against_autograd(tmp_path):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed: pip install '.[torch]'")
    a, x, y = cs231n_arrays()
    (N, T, D), (H, V) = x.shape, a["W_vocab"].shape
    np.savez(tmp_path / "rnn.npz", **a, x=x, y=y)
    # the oracle: rnn_forward + temporal_softmax_loss as CS231n writes them, in torch
    t = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in a.items()}
    h, scores = t["h0"], []
    for s in range(T):
        h = torch.tanh(torch.tensor(x[:, s]) @ t["Wx"] + h @ t["Wh"] + t["b"])
        scores.append(h @ t["W_vocab"] + t["b_vocab"])
    scores = torch.stack(scores, 1)                          # N x T x V
    logp = torch.log_softmax(scores, dim=2)
    loss = -logp.gather(2, torch.tensor(y)[..., None]).sum() / N
    loss.backward()
    out = cli("grad", "--weights", tmp_path / "rnn.npz", "--convention", "cs231n",
              "--wrt", "all")
    assert out["batch"] == "mean" and out["reduction"] == "sum" and out["sizes"]["N"] == N
    assert abs(out["loss"] - loss.item()) <= 1e-12 * loss.item()
    want = {"dWx": (D, H), "dWh": (H, H), "db": (H,), "dh0": (N, H), "dW_vocab": (H, V),
            "db_vocab": (V,)}
    assert set(out["gradients"]) == set(want)
    for name, shape in want.items():
        g = out["gradients"][name]
        assert tuple(g["shape"]) == shape, name
        assert rel(g["value"], t[name[1:]].grad.numpy()) <= 1e-10, name
    # each sequence's loss is there, and their mean is L
    per = [s["loss"] for s in out["sequences"]]
    assert len(per) == N and abs(sum(per) / N - out["loss"]) <= 1e-12 * out["loss"]


def test_batch_sum_and_a_shared_h0_from_toml(tmp_path):
    """batch = "sum" and one h_0 for every sequence, written in TOML: L is the sum of the
    sequences' losses and dL/dh_0 the sum of theirs (oracle: autograd)."""
    torch = pytest.importorskip("torch", reason="PyTorch is not installed: pip install '.[torch]'")
    (tmp_path / "p.toml").write_text(
        'batch = "sum"\nactivation = "tanh"\nloss = "half_squared"\n'
        "[params]\nw_x = [[0.5], [-0.25]]\nw_h = [[0.5, 0.1], [-0.3, 0.2]]\nw_y = [1, -1]\n"
        "h_0 = [0.1, -0.2]\n"
        "[data]\nx = [[1, 2, 3], [0.5, -1, 0]]\ny = [[0.1, 0.2, 0.3], [0, 0, 1]]\n")
    out = cli("grad", "-f", tmp_path / "p.toml", "--wrt", "all")
    wx = torch.tensor([[0.5], [-0.25]], dtype=torch.float64, requires_grad=True)
    wh = torch.tensor([[0.5, 0.1], [-0.3, 0.2]], dtype=torch.float64, requires_grad=True)
    wy = torch.tensor([[1.0, -1.0]], dtype=torch.float64, requires_grad=True)
    h0 = torch.tensor([0.1, -0.2], dtype=torch.float64, requires_grad=True)
    total = 0
    for xs, ys in (([1, 2, 3], [0.1, 0.2, 0.3]), ([0.5, -1, 0], [0, 0, 1])):
        h = h0
        for xt, yt in zip(xs, ys):
            h = torch.tanh(wx[:, 0] * xt + wh @ h)
            total = total + 0.5 * ((wy @ h)[0] - yt) ** 2
    total.backward()
    assert abs(out["loss"] - total.item()) <= 1e-12
    assert rel(out["gradients"]["w_h"]["value"], wh.grad.numpy()) <= 1e-12
    assert rel(out["gradients"]["h_0"]["value"], h0.grad.numpy()) <= 1e-12


# -- PyTorch modules: state_dicts saved with torch.save, gradients gate by gate -------------

@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_state_dict_against_autograd_gate_by_gate(tmp_path, kind):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed: pip install '.[torch]'")
    torch.manual_seed(7)
    N, T, D, H, K = 2, 6, 3, 4, 5

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = getattr(torch.nn, kind)(D, H, batch_first=True).double()
            self.fc = torch.nn.Linear(H, K).double()

    net = Net()
    torch.save(net.state_dict(), tmp_path / "model.pt")
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((N, T, D)), rng.integers(0, K, (N, T))
    np.savez(tmp_path / "data.npz", x=x, y=y)
    out_seq, _ = net.rnn(torch.tensor(x))
    loss = torch.nn.functional.cross_entropy(net.fc(out_seq).reshape(-1, K),
                                             torch.tensor(y).reshape(-1))
    loss.backward()
    toml = tmp_path / "p.toml"
    toml.write_text('weights = "model.pt"\n[data]\nx = ' + json.dumps(x.tolist())
                    + "\ny = " + json.dumps((y + 1).tolist()) + "\n")   # TOML classes: 1..K
    out = cli("grad", "-f", toml, "--wrt", "all")
    assert out["convention"] == "pytorch" and out["cell"] == kind.lower()
    assert abs(out["loss"] - loss.item()) <= 1e-12 * loss.item()
    grads = dict(net.named_parameters())
    gates = {"RNN": ("",), "LSTM": ("i", "f", "g", "o"), "GRU": ("r", "z", "n")}[kind]
    for key, p in grads.items():
        g = out["gradients"][key]
        assert tuple(g["shape"]) == tuple(p.shape), key
        ours, theirs = np.asarray(g["value"]), p.grad.numpy()
        if key.startswith("rnn."):   # gate by gate: PyTorch's stacked rows, in its order
            assert g["parameters"][0].endswith(gates[0]) or kind == "RNN"
            for k in range(len(gates)):
                block = slice(k * H, (k + 1) * H)
                assert rel(ours[block], theirs[block]) <= 1e-10, (key, gates[k])
        else:
            assert rel(ours, theirs) <= 1e-10, key


def test_gru_keeps_b_hn_apart(tmp_path):
    """The GRU's two n-gate biases are different parameters: b_in outside the reset gate,
    b_hn inside it; moving the sum from one to the other changes the loss."""
    torch = pytest.importorskip("torch", reason="PyTorch is not installed: pip install '.[torch]'")
    torch.manual_seed(1)
    gru, fc = torch.nn.GRU(2, 3).double(), torch.nn.Linear(3, 2).double()
    sd = {**gru.state_dict(), **{f"fc.{k}": v for k, v in fc.state_dict().items()}}
    torch.save(sd, tmp_path / "a.pt")
    sd2 = {k: v.clone() for k, v in sd.items()}
    sd2["bias_ih_l0"][6:] += 0.5
    sd2["bias_hh_l0"][6:] -= 0.5
    torch.save(sd2, tmp_path / "b.pt")
    args = ["--x", "[[1, 0], [0, 1], [1, 1]]", "--y", "1,2,1"]
    la = cli("forward", "--weights", tmp_path / "a.pt", *args)["loss"]
    lb = cli("forward", "--weights", tmp_path / "b.pt", *args)["loss"]
    assert abs(la - lb) > 1e-6


def test_float64_path_h256_t200_equals_pytorch(tmp_path):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed: pip install '.[torch]'")
    torch.manual_seed(256)
    T, D, H, K = 200, 32, 256, 40
    rnn, fc = torch.nn.RNN(D, H).double(), torch.nn.Linear(H, K).double()
    torch.save({**rnn.state_dict(), **{f"out.{k}": v for k, v in fc.state_dict().items()}},
               tmp_path / "big.pt")
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((T, D)), rng.integers(0, K, T)
    np.savez(tmp_path / "data.npz", x=x, y=y)
    seq, _ = rnn(torch.tensor(x))
    loss = torch.nn.functional.cross_entropy(fc(seq), torch.tensor(y), reduction="sum")
    loss.backward()
    (tmp_path / "p.toml").write_text('weights = "big.pt"\nreduction = "sum"\n[data]\nx = '
                                     + json.dumps(x.tolist()) + "\ny = "
                                     + json.dumps((y + 1).tolist()) + "\n")
    out = cli("grad", "-f", tmp_path / "p.toml", "--wrt", "all")
    assert out["arithmetic"] == "float64" and out["sizes"]["H"] == H and out["sizes"]["T"] == T
    assert abs(out["loss"] - loss.item()) <= 1e-12 * loss.item()
    for key, p in [*rnn.named_parameters(), *(("out." + k, v) for k, v in fc.named_parameters())]:
        assert rel(out["gradients"][key]["value"], p.grad.numpy()) <= 1e-10, key


# -- what the file and the problem say, and bad input ------------------------------------------

def test_toml_and_flags_override_the_file(tmp_path, min_char_rnn):
    path, w, inputs, targets, V = min_char_rnn
    h0 = [0.0] * 100
    (tmp_path / "p.toml").write_text(f'weights = "{path.name}"\n[params]\nh_0 = {h0}\n'
                                     "[data]\n")
    zero = karpathy_loss(inputs, targets, np.zeros((100, 1)), w["Wxh"], w["Whh"], w["Why"],
                         w["bh"], w["by"], V)[0]
    assert abs(cli("forward", "-f", tmp_path / "p.toml")["loss"] - zero) <= 1e-12 * zero
    by = "[" + ", ".join(["0"] * 27) + "]"
    again = karpathy_loss(inputs, targets, np.zeros((100, 1)), w["Wxh"], w["Whh"], w["Why"],
                          w["bh"], np.zeros((27, 1)), V)[0]
    out = cli("forward", "-f", tmp_path / "p.toml", "--b-y", by)
    assert abs(out["loss"] - again) <= 1e-12 * again


def test_object_arrays_pickles_and_unknown_names_are_refused(tmp_path):
    np.savez(tmp_path / "obj.npz", Wxh=np.array([{"a": 1}], dtype=object))
    assert "object array" in err("forward", "--weights", tmp_path / "obj.npz")
    (tmp_path / "pickle.pt").write_bytes(b"\x80\x04K\x01.")
    assert "not a zip archive" in err("forward", "--weights", tmp_path / "pickle.pt")
    np.savez(tmp_path / "odd.npz", Wxh=np.ones((2, 2)), Whh=np.ones((2, 2)),
             Why=np.ones((2, 2)), Wzz=np.ones(2), x=np.array([0, 1]), y=np.array([1, 0]))
    assert "unknown array 'Wzz'" in err("forward", "--weights", tmp_path / "odd.npz")
    (tmp_path / "w.txt").write_text("1")
    assert ".npz, .pt or .pth" in err("forward", "--weights", tmp_path / "w.txt")
    assert "no such file" in err("forward", "--weights", tmp_path / "none.npz")


def test_a_pickled_object_in_a_pt_file_is_refused(tmp_path):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed: pip install '.[torch]'")
    import fractions     # any class outside PyTorch's allow-list: its code would run on load
    torch.save({"weight_ih_l0": fractions.Fraction(1, 3)}, tmp_path / "evil.pt")
    assert "weights_only" in err("forward", "--weights", tmp_path / "evil.pt")


def test_a_file_over_the_limit_is_refused(tmp_path, monkeypatch):
    import rnn_cli.model.weights as weights
    np.savez(tmp_path / "w.npz", Wxh=np.ones((50, 50)))
    monkeypatch.setattr(weights, "MAX_WEIGHTS_BYTES", 1000)
    assert "at most 1,000" in err("forward", "--weights", tmp_path / "w.npz")


def test_pt_without_torch_says_which_extra(tmp_path, monkeypatch):
    import builtins
    real = builtins.__import__

    def no_torch(name, *a, **k):
        if name == "torch":
            raise ImportError("no torch")
        return real(name, *a, **k)
    import zipfile
    with zipfile.ZipFile(tmp_path / "m.pt", "w") as z:
        z.writestr("m/data.pkl", b"")
    monkeypatch.setattr(builtins, "__import__", no_torch)
    assert "pip install 'rnn-solve[torch]'" in err("forward", "--weights", tmp_path / "m.pt")


def test_unknown_convention_and_head(tmp_path):
    np.savez(tmp_path / "w.npz", Wxh=np.ones((2, 2)))
    assert "unknown convention 'cs321n'" in err("forward", "--weights", tmp_path / "w.npz",
                                                "--convention", "cs321n")
    torch = pytest.importorskip("torch", reason="PyTorch is not installed: pip install '.[torch]'")
    rnn = torch.nn.RNN(2, 3)
    sd = {**rnn.state_dict(), "fc.weight": torch.ones(2, 3), "fc.bias": torch.zeros(2),
          "dec.weight": torch.ones(4, 3), "dec.bias": torch.zeros(4)}
    torch.save(sd, tmp_path / "two.pt")
    assert "--head" in err("forward", "--weights", tmp_path / "two.pt", "--x", "[[1, 0]]",
                           "--y", "1")
    out = cli("forward", "--weights", tmp_path / "two.pt", "--head", "dec", "--x", "[[1, 0]]",
              "--y", "1")
    assert out["sizes"]["K"] == 4


# -- gated TOML problems beyond exact arithmetic's work limit take the float64 path ----------

@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_large_gated_toml_problem_runs_in_float64(tmp_path, cell):
    pytest.importorskip("torch", reason="PyTorch is not installed: pip install '.[torch]'")
    from torch_cells import run as cells_oracle
    rng = np.random.default_rng(5)
    H, D, K, T = 6, 3, 2, 300     # 300 (G (36 + 18) + 12) is beyond 50,000 for both cells
    gates = "ifgo" if cell == "lstm" else "rzn"
    r = lambda *s: np.round(rng.standard_normal(s) * 0.4, 3).tolist()
    params = {**{f"w_x{g}": r(H, D) for g in gates}, **{f"w_h{g}": r(H, H) for g in gates},
              **{("b_xn" if g == "n" and cell == "gru" else f"b_{g}"): r(H) for g in gates},
              "w_y": r(K, H), "b_y": r(K), "h_0": r(H)}
    if cell == "gru":
        params["b_hn"] = r(H)
    problem = {"cell": cell, "output": "sigmoid", "loss": "cross_entropy",
               "params": params, "data": {"x": r(T, D), "y": np.round(
                   rng.uniform(0, 1, (T, K)), 2).tolist()}}
    lines = [f'cell = "{cell}"', 'output = "sigmoid"', 'loss = "cross_entropy"', "[params]"]
    lines += [f"{k} = {json.dumps(v)}" for k, v in params.items()]
    lines += ["[data]", f"x = {json.dumps(problem['data']['x'])}",
              f"y = {json.dumps(problem['data']['y'])}"]
    (tmp_path / "p.toml").write_text("\n".join(lines) + "\n")
    out = cli("grad", "-f", tmp_path / "p.toml", "--wrt", "all")
    assert out["arithmetic"] == "float64"
    grads, values = cells_oracle(problem)
    assert abs(out["loss"] - values["L"].item()) <= 1e-12 * values["L"].item()
    for k, g in grads.items():
        assert rel(out["gradients"][k]["value"], g.detach().numpy()) <= 1e-10, k


# -- the docs: every name of every convention in the table, and the console examples -------

def test_conventions_doc_lists_every_name():
    from conftest import ROOT
    from rnn_cli.model.conventions import CONVENTIONS
    doc = (ROOT / "docs" / "conventions.md").read_text(encoding="utf-8")
    rows = {tuple(c.strip(" `") for c in line.split("|")[1:4])
            for line in doc.splitlines() if line.startswith("| ")}
    for conv in CONVENTIONS.values():
        if conv.name == "canonical":
            continue
        assert f"## {conv.name}" in doc
        for cell in conv.cells():
            for a in conv.table(cell):
                assert (cell, a.name, a.grad) in rows, (conv.name, cell, a.name)


def test_weights_doc_console_examples_are_what_the_commands_print():
    import shlex
    from conftest import ROOT
    doc = (ROOT / "docs" / "weights.md").read_text(encoding="utf-8")
    blocks = [b.split("```")[0] for b in doc.split("```console\n")[1:]]
    assert blocks
    for block in blocks:
        lines = block.rstrip("\n").split("\n")
        assert lines[0].startswith("$ rnn-solve ")
        import os
        cwd = os.getcwd()
        os.chdir(ROOT)
        try:
            r = runner.invoke(app, shlex.split(lines[0][len("$ rnn-solve "):]))
        finally:
            os.chdir(cwd)
        assert r.exit_code == 0, r.output
        assert r.stdout.rstrip("\n") == "\n".join(lines[1:]), lines[0]


def test_python_api_minibatch_by_hand():
    """Two sequences of a linear 1-unit RNN, squared loss, batch = "sum": by hand, sequence 1
    has h = (1, 2.5), sequence 2 h = (3, 5.5); L = (0 + 1.5²) + (1² + 3.5²) = 15.5 and
    dL/dw_y = Σ_n Σ_t 2 (h_t - y_t) h_t = 2·1.5·2.5 + 2·1·3 + 2·3.5·5.5 = 52."""
    import rnn_cli
    p = rnn_cli.load({"batch": "sum", "params": {"w_x": [[1.0]], "w_h": [[0.5]], "w_y": [[1.0]]},
                      "data": {"x": [[1, 2], [3, 4]], "y": [[1, 1], [2, 2]]}})
    assert (p.N, p.T) == (2, 2)
    assert rnn_cli.forward(p).L == 15.5
    grads = {g.name: g.value for g in rnn_cli.grad(p, wrt="all").gradients}
    assert grads["w_y"].tolist() == [[52.0]]
    # dL/dh_2 = 2 (h_2 - y_2): 3 and 7; dL/dh_1 = 2 (h_1 - y_1) + 0.5 dL/dh_2: 1.5 and 5.5;
    # h_0 is one state shared by both: dL/dh_0 = 0.5 (1.5 + 5.5) = 3.5
    assert grads["h_0"].tolist() == [3.5]


def test_convention_layouts_by_hand():
    """Where each gate lands, written out by hand: CS231n's LSTM Wx is D x 4H with the gates
    in the order i, f, o, g; the specialisation's Wf is [w_hf, w_xf] (H x (H + D));
    PyTorch's GRU bias_hh_l0 is [b_r; b_z; b_hn]; Karpathy's bh is H x 1."""
    from rnn_cli.model.conventions import get, from_canonical, grads_to_canonical
    H, D = 2, 3
    lstm = {f"w_x{g}": np.full((H, D), k) for k, g in enumerate("ifgo", 1)}
    lstm.update({f"w_h{g}": np.full((H, H), 10 + k) for k, g in enumerate("ifgo", 1)})
    cs = from_canonical(get("cs231n"), "lstm", lstm)
    assert cs["dWx"].shape == (D, 4 * H)
    assert cs["dWx"][0].tolist() == [1, 1, 2, 2, 4, 4, 3, 3]           # i, f, o, g
    co = from_canonical(get("coursera"), "lstm", lstm)
    assert co["dWf"].shape == (H, H + D) and co["dWf"][0].tolist() == [12, 12, 2, 2, 2]
    gru = {"b_r": np.full(H, 1.0), "b_z": np.full(H, 2.0), "b_xn": np.full(H, 3.0),
           "b_hn": np.full(H, 4.0)}
    pt = from_canonical(get("pytorch"), "gru", gru)
    assert pt["bias_ih_l0"].tolist() == [1, 1, 2, 2, 3, 3]
    assert pt["bias_hh_l0"].tolist() == [1, 1, 2, 2, 4, 4]
    back = grads_to_canonical(get("pytorch"), "gru", pt)
    assert back["b_r"].tolist() == [1, 1] and back["b_hn"].tolist() == [4, 4]   # not summed
    assert from_canonical(get("karpathy"), "rnn", {"b_h": np.ones(H)})["dbh"].shape == (H, 1)


def test_explain_and_graph_take_one_small_sequence_from_a_weights_file():
    from conftest import ROOT
    tiny = str(ROOT / "docs" / "examples" / "min-char-rnn-tiny.npz")
    r = runner.invoke(app, ["graph", "--weights", tiny, "--format", "dot"])
    assert r.exit_code == 0, r.output
    assert "w_h" in r.stdout and "0.125" in r.stdout      # Whh's entry [2,1], read as decimal
    assert "minibatch of 2" in err("explain", "vanishing", "-f",
                                   str(ROOT / "docs" / "examples" / "cs231n-batch.toml"))


def test_latex_of_an_array_problem_compiles(tmp_path):
    import shutil
    import subprocess
    from conftest import ROOT
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex is not installed (Debian: texlive-latex-base)")
    r = runner.invoke(app, ["grad", "-f", str(ROOT / "docs" / "examples" / "cs231n-batch.toml"),
                            "--wrt", "all", "--format", "latex", "--standalone"])
    assert r.exit_code == 0, r.output
    (tmp_path / "g.tex").write_text(r.stdout)
    p = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "g.tex"],
                       cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stdout[-2000:]
    assert "Overfull" not in (tmp_path / "g.log").read_text(errors="replace")


def test_a_pipe_or_a_device_is_refused_without_waiting(tmp_path):
    import os
    os.mkfifo(tmp_path / "fifo.npz")
    (tmp_path / "zero.npz").symlink_to("/dev/zero")
    for name in ("fifo.npz", "zero.npz"):
        assert "not a regular file" in err("forward", "--weights", tmp_path / name)


def test_batch_reduction_flag_and_key_are_checked(tmp_path):
    from conftest import ROOT
    batch = str(ROOT / "docs" / "examples" / "cs231n-batch.toml")
    assert "unknown batch reduction 'avg'" in err("forward", "-f", batch, "--batch-reduction",
                                                   "avg")
    mean = cli("forward", "-f", batch)["loss"]
    total = cli("forward", "-f", batch, "--batch-reduction", "sum")["loss"]
    assert abs(total - 2 * mean) <= 1e-12 * total        # N = 2 sequences
    (tmp_path / "p.toml").write_text('batch = "avg"\n[data]\nx = [[1]]\ny = [[1]]\n')
    assert "batch" in err("forward", "-f", tmp_path / "p.toml")
