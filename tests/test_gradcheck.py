"""check PROBLEM --answers GRADS.npz: a student's gradient arrays, judged and diagnosed.

The oracle is min-char-rnn's lossFun written out in numpy in tests/minchar.py (no rnn_cli
code), with each mistake planted behind a flag; its arrays are saved to .npz as a student's
script would, and rnn-solve must judge the right ones correct and name each planted bug.
"""

import json
import subprocess
import sys
from xml.etree import ElementTree as ET

import numpy as np
import pytest
from typer.testing import CliRunner

from conftest import cs231n_arrays
from minchar import lossFun, weights
from rnn_cli.cli import app

runner = CliRunner()
KARPATHY = ("dWxh", "dWhh", "dWhy", "dbh", "dby")
CELL = {"dWxh", "dWhh", "dbh"}       # the gradients a mistake in the recurrence reaches


def _mat(m):
    return "[" + ", ".join("[" + ", ".join(repr(float(v)) for v in r) + "]" for r in m) + "]"


def _vec(m):
    return "[" + ", ".join(repr(float(v)) for v in np.ravel(m)) + "]"


class MinChar:
    """One min-char-rnn exercise: weights, a sequence of characters, and its problem file."""

    def __init__(self, tmp_path, H, V, T, seed, scale):
        self.W = weights(H, V, seed, scale)
        rng = np.random.default_rng(seed + 100)
        self.inputs = [int(i) for i in rng.integers(0, V, T)]
        self.targets = [int(i) for i in rng.integers(0, V, T)]
        self.dir = tmp_path
        self.problem = tmp_path / "minchar.toml"
        Wxh, Whh, Why, bh, by, h0 = self.W
        # floats written by repr are read back as the same doubles (spec: a float is the
        # decimal it is written as, and repr's decimal rounds to the same double)
        self.problem.write_text(
            'title = "min-char-rnn"\nactivation = "tanh"\noutput = "softmax"\n'
            'loss = "cross_entropy"\nlayout = "column"\nreduction = "sum"\n[params]\n'
            f"w_x = {_mat(Wxh)}\nw_h = {_mat(Whh)}\nw_y = {_mat(Why)}\n"
            f"b_h = {_vec(bh)}\nb_y = {_vec(by)}\nh_0 = {_vec(h0)}\n[data]\n"
            f"x = [{', '.join(_vec(np.eye(V)[i]) for i in self.inputs)}]\n"
            f"y = [{', '.join(str(j + 1) for j in self.targets)}]\n")

    def grads(self, bug=None, dtype=np.float64, dhnext0=None):
        out = lossFun(self.inputs, self.targets, self.W[5], *self.W[:5], bug=bug,
                      dtype=dtype, dhnext0=dhnext0)
        return dict(zip(KARPATHY, out[1:6])), out[7]

    def save(self, arrays, name="grads.npz"):
        path = self.dir / name
        np.savez(path, **arrays)
        return path

    def check(self, arrays, *flags, weights=None):
        """check --answers on the arrays: with the problem file, or (H > 64, or `weights`)
        with min-char-rnn's own weights and data saved to an .npz, as --weights reads it."""
        path = self.save(arrays)
        use = self.W[1].shape[0] > 64 if weights is None else weights
        problem = ["--weights", str(self.weights_npz())] if use else [str(self.problem)]
        return runner.invoke(app, ["check", *problem, "--answers", str(path),
                                   "--format", "json", *flags])

    def weights_npz(self):
        path = self.dir / "min-char-rnn.npz"
        if not path.exists():
            Wxh, Whh, Why, bh, by, h0 = self.W
            np.savez(path, Wxh=Wxh, Whh=Whh, Why=Why, bh=bh, by=by, hprev=h0,
                     x=np.array(self.inputs), y=np.array(self.targets))
        return path


def _by_name(result):
    return {r["name"]: r for r in json.loads(result.stdout)["results"]}


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    # weights large enough that tanh is far from linear, so that every mistake shows
    return MinChar(tmp_path_factory.mktemp("small"), H=6, V=5, T=7, seed=3, scale=0.5)


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    # min-char-rnn itself: H = 100, a vocabulary of 27, 25 steps, its 0.01 initialisation
    return MinChar(tmp_path_factory.mktemp("big"), H=100, V=27, T=25, seed=5, scale=0.01)


def test_right_arrays_check_correct(small):
    g, _ = small.grads()
    r = small.check(g)
    assert r.exit_code == 0, r.output
    got = _by_name(r)
    assert set(got) == set(KARPATHY)
    assert all(v["verdict"] == "correct" and v["diagnosis"] == [] for v in got.values())
    assert all(v["dtype"] == "float64" for v in got.values())


def test_float32_implementation_checks_correct(small, big):
    for ex in (small, big):
        g, _ = ex.grads(dtype=np.float32)
        r = ex.check(g)
        assert r.exit_code == 0, r.output
        assert {v["dtype"] for v in _by_name(r).values()} == {"float32"}


def test_a_slightly_wrong_array_is_wrong_at_its_entry(small):
    g, _ = small.grads()
    g["dWhh"] = g["dWhh"].copy()
    g["dWhh"][2, 4] += 1e-6 * np.abs(g["dWhh"]).max()     # far above float64's rounding
    r = small.check(g)
    assert r.exit_code == 1
    got = _by_name(r)["dWhh"]
    assert got["verdict"] == "wrong" and got["worst_entry"] == [3, 5]
    # the same change is within float32's rule
    g32 = {k: v.astype(np.float32) for k, v in g.items()}
    assert _by_name(small.check(g32))["dWhh"]["verdict"] == "correct"


def test_dhnext_never_updated_min_char_rnn(big):
    """The issue's Done-when: with dhnext never updated exactly dWxh, dWhh and dbh are wrong,
    and the diagnosis names the gradient not carried back through time."""
    right, _ = big.grads()
    g, _ = big.grads("no_carry")
    r = big.check(g)
    assert r.exit_code == 1
    got = _by_name(r)
    assert {k for k, v in got.items() if v["verdict"] == "wrong"} == CELL
    for k in CELL:
        assert any(d.startswith(f"{k}: the gradient is not carried back through time: "
                                "dhnext is never updated") for d in got[k]["diagnosis"]), got[k]
        # rel_error is CS231n's, computed here from the arrays
        want = np.max(np.abs(g[k] - right[k]) / np.maximum(1e-8, np.abs(g[k]) + np.abs(right[k])))
        assert got[k]["rel_error"] == pytest.approx(want, rel=1e-9)
    for k in ("dWhy", "dby"):
        assert got[k]["verdict"] == "correct" and got[k]["diagnosis"] == []


def test_min_char_rnn_right_arrays_h100(big):
    g, _ = big.grads()
    r = big.check(g)
    assert r.exit_code == 0, r.output
    # the float64 path's values equal the oracle's to far better than 1e-9 relative
    for v in _by_name(r).values():
        assert v["max_error"] <= 1e-12 * max(abs(v["expected_at_worst"]), 1e-300) + 1e-15


PLANTED = {
    "no_carry": "the gradient is not carried back through time: dhnext is never updated",
    "carry_no_transpose": "a missing transpose: dhnext = Whh da_t instead of Whh^T da_t",
    "slope_pre": "the derivative of tanh is taken at the pre-activation a_t (1 - a_t²)",
    "tanh_linear": "tanh' is taken as 1 - h_t instead of 1 - h_t²",
    "slope_twice": "(1 - tanh(h_t)²) instead of 1 - h_t²",
    "slope_prev": "off by one step: the derivative of tanh uses h_{t-1}",
    "h_next": "off by one step: da_t h_t^T instead of da_t h_{t-1}^T",
    "h_prev_out": "off by one step: do_t h_{t-1}^T instead of do_t h_t^T",
    "first_step_only": "not summed over time: only step 1's term is left",
    "no_onehot": "the softmax gradient without subtracting the one-hot target",
    "steps_mean": "the loss is averaged over the 7 steps where it is summed",
    "transposed": "a missing transpose: the gradient is the transpose of the right one",
    "double_last": "the last step's dhnext is not zeroed: it starts at the last step's own",
}


@pytest.mark.parametrize("bug", sorted(PLANTED))
def test_each_planted_bug_is_named(small, bug):
    right, _ = small.grads()
    g, _ = small.grads(bug)
    wrong = {k for k in KARPATHY if not np.allclose(g[k], right[k], rtol=1e-9, atol=1e-12)}
    assert wrong, f"{bug} changed nothing"
    r = small.check(g)
    assert r.exit_code == 1
    got = _by_name(r)
    assert {k for k, v in got.items() if v["verdict"] == "wrong"} == wrong
    for k in wrong:
        assert any(PLANTED[bug] in d and d.startswith(f"{k}: ")
                   for d in got[k]["diagnosis"]), (k, got[k]["diagnosis"])


def test_dhnext_carried_from_a_previous_call_is_named(small):
    _, carried = small.grads()              # dL/dh_0 left in dhnext by a first call
    g, _ = small.grads(dhnext0=carried)
    got = _by_name(small.check(g))
    assert {k for k, v in got.items() if v["verdict"] == "wrong"} == CELL
    for k in CELL:
        assert any("dhnext is not zeroed: it still holds dL/dh_0 of a previous call" in d
                   for d in got[k]["diagnosis"]), got[k]["diagnosis"]


def test_two_bugs_together_are_named(small):
    # slope_pre's loop with dhnext never updated: the oracle's flags one at a time do not
    # reproduce it, the pair does
    Wxh, Whh, Why, bh, by, h0 = small.W
    g1, _ = small.grads("no_carry")
    g2, _ = small.grads("slope_pre")
    right, _ = small.grads()
    # both mistakes touch only the recurrence: planting them together by hand
    xs = [np.eye(Wxh.shape[1])[i][:, None] for i in small.inputs]
    hs, hraw = {-1: h0}, {}
    for t, x in enumerate(xs):
        hraw[t] = Wxh @ x + Whh @ hs[t - 1] + bh
        hs[t] = np.tanh(hraw[t])
    dbh = np.zeros_like(bh)
    for t in reversed(range(len(xs))):
        y = Why @ hs[t] + by
        p = np.exp(y) / np.exp(y).sum()
        p[small.targets[t]] -= 1
        dbh += (1 - hraw[t] ** 2) * (Why.T @ p)
    got = _by_name(small.check({"dbh": dbh}))["dbh"]
    assert got["verdict"] == "wrong"
    assert len(got["diagnosis"]) == 1 and "two mistakes together" in got["diagnosis"][0]
    assert "not carried back" in got["diagnosis"][0] and "pre-activation" in \
        got["diagnosis"][0]
    assert not np.allclose(dbh, g1["dbh"]) and not np.allclose(dbh, g2["dbh"])


def test_canonical_names_and_other_conventions(small):
    g, _ = small.grads()
    canonical = {"dL/dw_x": g["dWxh"], "dL/dw_h": g["dWhh"], "dw_y": g["dWhy"],
                 "dL/db_h": g["dbh"].ravel(), "dL/dW_hy": g["dWhy"]}
    r = small.check(canonical)
    assert r.exit_code == 0, r.output
    # CS231n's names and row layout: dWx is D x H, the transpose of min-char-rnn's dWxh
    cs = {"dWx": g["dWxh"].T, "dWh": g["dWhh"].T, "db": g["dbh"].ravel(),
          "dW_vocab": g["dWhy"].T, "db_vocab": g["dby"].ravel()}
    r = small.check(cs, "--convention", "cs231n")
    assert r.exit_code == 0, r.output
    bad, _ = small.grads("no_carry")
    r = small.check({"dWh": bad["dWhh"].T}, "--convention", "cs231n")
    d = _by_name(r)["dWh"]["diagnosis"]
    assert any(x.startswith("dWh: the gradient is not carried back through time: dprev_h is "
                            "never updated") for x in d), d
    # Coursera's names: dWaa, and its da_next
    r = small.check({"dWaa": bad["dWhh"], "dba": bad["dbh"]}, "--convention", "coursera")
    d = _by_name(r)["dWaa"]["diagnosis"]
    assert any("da_next is never updated" in x for x in d), d


def test_input_errors_are_one_line_exit_2(small, tmp_path):
    g, _ = small.grads()
    r = small.check({"dWxyz": g["dWhh"]})
    assert r.exit_code == 2 and "unknown gradient name 'dWxyz'" in r.stderr
    assert "karpathy: dWxh dWhh" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    r = small.check({"dWhh": g["dWhh"]}, "--convention", "cs231n")    # asked for: its names
    assert r.exit_code == 2 and "unknown gradient name 'dWhh'" in r.stderr
    assert "dWh, db" in r.stderr
    r = small.check({"dWxh": g["dWxh"].T})
    assert r.exit_code == 2 and "grads.npz: dWxh: 5 x 6; expected 6 x 5: the transpose" in r.stderr
    r = small.check({"dWhy": np.zeros((3, 3))})
    assert r.exit_code == 2 and "expected 5 x 6" in r.stderr
    obj = tmp_path / "obj.npz"
    np.savez(obj, dWhh=np.array([{"a": 1}, None], dtype=object))
    r = runner.invoke(app, ["check", str(small.problem), "--answers", str(obj)])
    assert r.exit_code == 2 and "object array (a pickle)" in r.stderr and "Traceback" not in r.output
    r = runner.invoke(app, ["check", str(small.problem), "--answers", str(small.problem)])
    assert r.exit_code == 2 and "expected a file ending in .npz, .pt or .pth" in r.stderr
    notzip = tmp_path / "bad.npz"
    notzip.write_bytes(b"not a zip")
    r = runner.invoke(app, ["check", str(small.problem), "--answers", str(notzip)])
    assert r.exit_code == 2 and "not a zip archive" in r.stderr
    strs = tmp_path / "str.npz"
    np.savez(strs, dWhh=np.array(["1", "2"]))
    r = runner.invoke(app, ["check", str(small.problem), "--answers", str(strs)])
    assert r.exit_code == 2 and "dtype <U1, expected numbers" in r.stderr
    r = small.check({"dWhh": g["dWhh"]}, "--convention", "nosuch")
    assert r.exit_code == 2 and "unknown convention 'nosuch'" in r.stderr


@pytest.mark.parametrize("fmt", ["table", "json", "junit", "markdown", "latex"])
def test_a_misnamed_array_among_right_ones_prints_nothing(small, fmt, tmp_path):
    """An input error is one line on stderr and exit 2, with nothing on stdout: the right
    arrays beside the misnamed one are not reported (nor written to -o)."""
    g, _ = small.grads()
    g["dWxx"] = g.pop("dWxh")
    r = small.check(g, "--format", fmt)
    assert (r.exit_code, r.stdout) == (2, ""), r.stdout
    (line,) = r.stderr.splitlines()
    assert line.startswith(f"rnn-solve: error: {small.dir / 'grads.npz'}: unknown gradient "
                           "name 'dWxx'; expected one of: w_x, w_h, w_y, b_h, b_y, h_0, "), line
    out = tmp_path / "report.txt"
    r = small.check(g, "--format", fmt, "-o", str(out))
    assert (r.exit_code, r.stdout) == (2, "") and not out.exists()
    # a wrong shape after right arrays: the same
    g["dWxh"] = g.pop("dWxx").T
    r = small.check(g, "--format", fmt)
    assert (r.exit_code, r.stdout) == (2, "")
    assert r.stderr.splitlines() == [
        f"rnn-solve: error: {small.dir / 'grads.npz'}: dWxh: 5 x 6; expected 6 x 5: the "
        "transpose of the right shape (a missing transpose?)"]


def test_junit_for_a_course_ci(small):
    g, _ = small.grads("no_carry")
    path = small.save(g)
    r = runner.invoke(app, ["check", str(small.problem), "--answers", str(path),
                            "--format", "junit"])
    assert r.exit_code == 1
    root = ET.fromstring(r.stdout.split("\n", 1)[1])
    cases = {c.get("name"): c for c in root.iter("testcase")}
    assert set(cases) == set(KARPATHY)
    failed = {n for n, c in cases.items() if c.find("failure") is not None}
    assert failed == CELL
    assert "not carried back through time" in cases["dWhh"].find("failure").text
    suite = root.find("testsuite")
    assert suite.get("tests") == "5" and suite.get("failures") == "3"


@pytest.mark.parametrize("fmt", ["table", "markdown", "latex"])
def test_every_format(small, fmt):
    g, _ = small.grads("slope_pre")
    path = small.save(g)
    r = runner.invoke(app, ["check", str(small.problem), "--answers", str(path),
                            "--format", fmt])
    assert r.exit_code == 1
    out = r.stdout.replace("\n", " ").replace("│", " ")
    assert "dWhh" in out and "pre" in out and "wrong" in out
    assert "16 eps (T + 1)" in out or "16 eps (T + 1)" in out.replace("\\", "")


def test_output_file_and_subprocess(small, tmp_path):
    g, _ = small.grads()
    path = small.save(g)
    out = tmp_path / "r.json"
    r = subprocess.run([sys.executable, "-m", "rnn_cli", "check", str(small.problem),
                        "--answers", str(path), "--format", "json", "-o", str(out)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert json.loads(out.read_text())["passed"] is True


# -- CS231n: a minibatch in the row layout, its loss summed over time and averaged over N ----

def cs231n_grads(a, x, y, bug=None):
    """rnn_forward, temporal_softmax_loss and rnn_backward as CS231n's assignment writes them
    (row layout: x Wx + prev_h Wh + b), with a bug behind a flag."""
    N, T, _ = x.shape
    h, prev, cache = [], a["h0"], []
    for t in range(T):
        nxt = np.tanh(x[:, t] @ a["Wx"] + prev @ a["Wh"] + a["b"])
        cache.append((x[:, t], prev, nxt))
        h.append(nxt)
        prev = nxt
    h = np.stack(h, 1)
    scores = h @ a["W_vocab"] + a["b_vocab"]
    p = np.exp(scores - scores.max(axis=2, keepdims=True))
    p /= p.sum(axis=2, keepdims=True)
    dscores = p.copy()
    dscores[np.arange(N)[:, None], np.arange(T)[None], y] -= 1
    dscores /= 1 if bug == "batch_sum" else N       # the loss's mean over the minibatch
    g = {"dW_vocab": np.einsum("nth,ntv->hv", h, dscores), "db_vocab": dscores.sum(axis=(0, 1))}
    dh = dscores @ a["W_vocab"].T
    g.update(dWx=np.zeros_like(a["Wx"]), dWh=np.zeros_like(a["Wh"]), db=np.zeros_like(a["b"]))
    dprev = np.zeros_like(a["h0"])
    for t in reversed(range(T)):
        xt, prev, nxt = cache[t]
        dtanh = (dh[:, t] + dprev) * (1 - nxt ** 2)
        g["dWx"] += xt.T @ dtanh
        g["dWh"] += prev.T @ dtanh
        g["db"] += dtanh[0] if bug == "first_sequence_only" else dtanh.sum(axis=0)
        if bug != "no_carry":
            dprev = dtanh @ a["Wh"].T
    g["dh0"] = dprev
    return g


@pytest.fixture(scope="module")
def cs231n(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cs231n")
    a, x, y = cs231n_arrays()
    np.savez(tmp / "rnn.npz", **a, x=x, y=y)

    def check(grads):
        np.savez(tmp / "grads.npz", **grads)
        r = runner.invoke(app, ["check", "--weights", str(tmp / "rnn.npz"), "--convention",
                                "cs231n", "--answers", str(tmp / "grads.npz"),
                                "--format", "json"])
        return r
    return a, x, y, check


def test_cs231n_minibatch_right_and_bugs(cs231n):
    a, x, y, check = cs231n
    right = cs231n_grads(a, x, y)
    r = check(right)
    assert r.exit_code == 0, r.output
    assert set(_by_name(r)) == {"dWx", "dWh", "db", "dW_vocab", "db_vocab", "dh0"}
    want = {
        "batch_sum": ("the loss is summed over the 3 sequences where it is averaged",
                      set(right)),
        "first_sequence_only": ("not summed over the batch: only the first sequence's", {"db"}),
        "no_carry": ("not carried back through time: dprev_h is never updated",
                     {"dWx", "dWh", "db", "dh0"}),
    }
    for bug, (sentence, wrong) in want.items():
        got = _by_name(check(cs231n_grads(a, x, y, bug)))
        assert {k for k, v in got.items() if v["verdict"] == "wrong"} == wrong, bug
        for k in wrong:
            assert any(d.startswith(f"{k}: ") and sentence in d for d in got[k]["diagnosis"]), \
                (bug, k, got[k]["diagnosis"])


def test_a_bias_not_summed_over_the_batch_has_the_wrong_shape(cs231n):
    a, x, y, check = cs231n
    g = cs231n_grads(a, x, y)
    g["db"] = np.tile(g["db"] / 3, (3, 1))          # db += dtanh: one row per sequence
    r = check(g)
    assert r.exit_code == 2
    assert "db: 3 x 6; expected 6: one row per sequence or step, not summed" in r.stderr


def test_nan_is_a_wrong_answer(small):
    g, _ = small.grads()
    g["dWhh"] = g["dWhh"].copy()
    g["dWhh"][0, 0] = np.nan
    r = small.check(g)
    assert r.exit_code == 1
    got = _by_name(r)["dWhh"]
    assert got["verdict"] == "wrong" and got["worst_entry"] == [1, 1]
    assert got["diagnosis"] == ["dWhh: holds NaN or infinity"]
    assert got["given_at_worst"] is None and got["given"][0][0] is None   # JSON has no NaN
    json.loads(r.stdout, parse_constant=lambda c: pytest.fail(f"{c} in the JSON"))


def test_same_checks_through_weights_file(small):
    bad, _ = small.grads("no_carry")
    for weights in (False, True):
        got = _by_name(small.check(bad, weights=weights))
        assert {k for k, v in got.items() if v["verdict"] == "wrong"} == CELL
        assert "dhnext is never updated" in got["dWhh"]["diagnosis"][0]


def test_pytorch_gradients_from_a_pt_file(tmp_path):
    """nn.RNN + nn.Linear: a student's float32 .grad tensors saved with torch.save are
    correct at float32's precision; one left out of the recurrence is wrong."""
    torch = pytest.importorskip("torch", reason="PyTorch is not installed: pip install '.[torch]'")
    torch.manual_seed(0)
    H, D, V, T = 6, 4, 5, 7
    # float32 as a student's model is, whatever default dtype another test left behind
    f32 = torch.float32
    rnn = torch.nn.RNN(D, H, batch_first=True, dtype=f32)
    fc = torch.nn.Linear(H, V, dtype=f32)
    state = {**rnn.state_dict(), **{f"fc.{k}": v for k, v in fc.state_dict().items()}}
    torch.save(state, tmp_path / "model.pt")
    rng = np.random.default_rng(1)
    x, y = rng.integers(0, D, T), rng.integers(0, V, T)
    np.savez(tmp_path / "data.npz", x=x, y=y)
    (tmp_path / "p.toml").write_text(
        'weights = "model.pt"\nreduction = "sum"\n[data]\nx = '
        + json.dumps(np.eye(D)[x].tolist()) + "\ny = " + json.dumps((y + 1).tolist()) + "\n")
    out, _ = rnn(torch.tensor(np.eye(D)[x][None], dtype=torch.float32))
    loss = torch.nn.functional.cross_entropy(fc(out[0]), torch.tensor(y), reduction="sum")
    loss.backward()
    grads = {k: p.grad for k, p in rnn.named_parameters()}
    grads.update({f"fc.{k}": p.grad for k, p in fc.named_parameters()})
    torch.save(grads, tmp_path / "grads.pt")
    r = runner.invoke(app, ["check", str(tmp_path / "p.toml"), "--answers",
                            str(tmp_path / "grads.pt"), "--format", "json"])
    assert r.exit_code == 0, r.output
    got = _by_name(r)
    assert set(got) == set(grads) and {v["dtype"] for v in got.values()} == {"float32"}
    grads["weight_hh_l0"] = grads["weight_hh_l0"] * 1.01
    torch.save(grads, tmp_path / "grads.pt")
    r = runner.invoke(app, ["check", str(tmp_path / "p.toml"), "--answers",
                            str(tmp_path / "grads.pt"), "--format", "json"])
    assert r.exit_code == 1
    assert [k for k, v in _by_name(r).items() if v["verdict"] == "wrong"] == ["weight_hh_l0"]


def test_latex_compiles(small, tmp_path):
    from test_latex import compile_pdf
    g, _ = small.grads("no_carry")
    path = small.save(g)
    r = runner.invoke(app, ["check", str(small.problem), "--answers", str(path),
                            "--format", "latex", "--standalone"])
    assert r.exit_code == 1
    pdf, log = compile_pdf(r.stdout, tmp_path)
    assert "dWhh: the gradient is not carried back through time: dhnext is never updated" \
        in pdf, pdf
    assert "|given - right| <= 16 eps (T + 1) max|right|" in pdf, pdf
    assert "Overfull" not in log


# -- a plain numpy RNN of other settings: sigmoid, squared loss, means, a summed minibatch ---

def plain_grads(w, x, y, reduction, batch, bug=None):
    """Column layout, h_t = sigmoid(w_h h_{t-1} + w_x x_t + b_h), y_hat_t = w_y h_t + b_y,
    L = Σ_n (mean or sum over t of Σ (y_hat - y)²), the sequences summed or averaged."""
    N, T, _ = x.shape
    sig = lambda a: 1 / (1 + np.exp(-a))
    h, a = [w["h_0"]], []
    for t in range(T):
        a.append(h[-1] @ w["w_h"].T + x[:, t] @ w["w_x"].T + w["b_h"])
        h.append(sig(a[-1]))
    scale = (1 / T if reduction == "mean" else 1) * (1 / N if batch == "mean" else 1)
    if bug == "steps_sum":
        scale *= T
    if bug == "batch_mean":
        scale /= N
    g = {k: np.zeros_like(w[k]) for k in ("w_x", "w_h", "w_y", "b_h", "b_y")}
    dnext = np.zeros_like(w["h_0"])
    for t in reversed(range(T)):
        do = (1 if bug == "half_squared" else 2) * (h[t + 1] @ w["w_y"].T + w["b_y"] - y[:, t])
        do = do * scale
        if bug != "last_step_only" or t == T - 1:
            g["w_y"] += do.T @ h[t + 1]
            g["b_y"] += do.sum(axis=0)
        of = a[t] if bug == "slope_pre" else h[t + 1]
        da = (do @ w["w_y"] + dnext) * of * (1 - of)
        if bug != "last_step_only" or t == T - 1:
            g["w_h"] += da.T @ h[t]
            g["w_x"] += da.T @ x[:, t]
            g["b_h"] += da.sum(axis=0)
        dnext = da @ w["w_h"]
    return g


@pytest.mark.parametrize("bug,sentence", [
    ("slope_pre", "the derivative of sigmoid is taken at the pre-activation a_t (a_t (1 - a_t))"),
    ("half_squared", "the factor 2 of the squared loss is left out"),
    ("steps_sum", "the loss is summed over the 5 steps where it is averaged"),
    ("batch_mean", "the loss is averaged over the 2 sequences where it is summed"),
    ("last_step_only", "not summed over time: only the last step's term is left"),
])
def test_other_settings_bugs_named(tmp_path, bug, sentence):
    rng = np.random.default_rng(7)
    N, T, D, H, K = 2, 5, 3, 4, 2
    w = {"w_x": rng.standard_normal((H, D)), "w_h": rng.standard_normal((H, H)),
         "w_y": rng.standard_normal((K, H)), "b_h": rng.standard_normal(H),
         "b_y": rng.standard_normal(K), "h_0": rng.standard_normal((N, H))}
    x, y = rng.standard_normal((N, T, D)), rng.standard_normal((N, T, K))
    np.savez(tmp_path / "w.npz", **w, x=x, y=y)
    (tmp_path / "p.toml").write_text(
        'weights = "w.npz"\nactivation = "sigmoid"\noutput = "identity"\nloss = "squared"\n'
        'reduction = "mean"\nbatch = "sum"\nlayout = "column"\n[params]\n')
    right = plain_grads(w, x, y, "mean", "sum")
    names = {k: f"dL/d{k}" for k in right}

    def check(g):
        np.savez(tmp_path / "g.npz", **{names[k]: v for k, v in g.items()})
        r = runner.invoke(app, ["check", str(tmp_path / "p.toml"), "--answers",
                                str(tmp_path / "g.npz"), "--format", "json"])
        return r
    r = check(right)
    assert r.exit_code == 0, r.output
    g = plain_grads(w, x, y, "mean", "sum", bug)
    wrong = {names[k] for k in g if not np.allclose(g[k], right[k], rtol=1e-9, atol=1e-12)}
    got = _by_name(check(g))
    assert wrong and {k for k, v in got.items() if v["verdict"] == "wrong"} == wrong
    for k in wrong:
        assert any(d.startswith(f"{k}: ") and sentence in d for d in got[k]["diagnosis"]), \
            (k, got[k]["diagnosis"])


def test_dhnext_carried_from_two_calls_before(small):
    _, once = small.grads()
    _, twice = small.grads(dhnext0=once)
    g, _ = small.grads(dhnext0=twice)
    d = _by_name(small.check(g))["dWhh"]["diagnosis"]
    assert any("previous call on the same sequence (2 calls before)" in x for x in d), d


def test_a_name_with_control_characters_is_shown_escaped(small):
    g, _ = small.grads()
    r = small.check({"dWhh\x1b[31m": g["dWhh"]})
    assert r.exit_code == 2 and "\x1b" not in r.stderr and "\\x1b" in r.stderr


def test_beyond_the_replay_budget_arrays_are_judged_not_diagnosed(small, monkeypatch):
    import rnn_cli.teach.arrays as arrays
    monkeypatch.setattr(arrays, "DIAGNOSE_WORK", 1000)
    g, _ = small.grads("no_carry")
    got = _by_name(small.check(g))
    assert got["dWhh"]["verdict"] == "wrong" and got["dWhy"]["verdict"] == "correct"
    assert got["dWhh"]["diagnosis"][0].startswith("dWhh: not diagnosed: replaying each")


def test_canonical_names_in_a_row_layout_problem(small, tmp_path):
    """layout = "row": w_x is written D x H (x W_xh), so dL/dw_x is D x H too."""
    Wxh, Whh, Why, bh, by, h0 = small.W
    V = Why.shape[0]
    text = small.problem.read_text().replace('layout = "column"', 'layout = "row"')
    for name, m in (("w_x", Wxh), ("w_h", Whh), ("w_y", Why)):
        text = text.replace(f"{name} = {_mat(m)}", f"{name} = {_mat(m.T)}")
    (tmp_path / "row.toml").write_text(text)
    g, _ = small.grads()
    np.savez(tmp_path / "g.npz", **{"dL/dw_x": g["dWxh"].T, "dL/dw_h": g["dWhh"].T,
                                    "dL/dw_y": g["dWhy"].T, "dL/db_h": g["dbh"]})
    r = runner.invoke(app, ["check", str(tmp_path / "row.toml"), "--answers",
                            str(tmp_path / "g.npz"), "--format", "json"])
    assert r.exit_code == 0, r.output
    assert _by_name(r)["dL/dw_y"]["shape"] == [6, V]


def test_lstm_gradients_are_judged(tmp_path):
    """nn.LSTM + nn.Linear in float64: autograd's .grad tensors check correct; a gate's block
    of weight_hh_l0 changed is wrong (gated cells are judged, not diagnosed)."""
    torch = pytest.importorskip("torch", reason="PyTorch is not installed: pip install '.[torch]'")
    torch.manual_seed(1)
    H, D, V, T = 3, 2, 4, 5
    f64 = torch.float64
    lstm = torch.nn.LSTM(D, H, batch_first=True, dtype=f64)
    fc = torch.nn.Linear(H, V, dtype=f64)
    state = {**lstm.state_dict(), **{f"fc.{k}": v for k, v in fc.state_dict().items()}}
    torch.save(state, tmp_path / "model.pt")
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((T, D)), rng.integers(0, V, T)
    (tmp_path / "p.toml").write_text(
        'weights = "model.pt"\nreduction = "sum"\n[data]\nx = ' + json.dumps(x.tolist())
        + "\ny = " + json.dumps((y + 1).tolist()) + "\n")
    out, _ = lstm(torch.tensor(x[None], dtype=f64))
    loss = torch.nn.functional.cross_entropy(fc(out[0]), torch.tensor(y), reduction="sum")
    loss.backward()
    grads = {k: p.grad for k, p in lstm.named_parameters()}
    grads.update({f"fc.{k}": p.grad for k, p in fc.named_parameters()})
    torch.save(grads, tmp_path / "grads.pt")
    args = ["check", str(tmp_path / "p.toml"), "--answers", str(tmp_path / "grads.pt"),
            "--format", "json"]
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    assert set(_by_name(r)) == set(grads)
    grads["weight_hh_l0"] = grads["weight_hh_l0"].clone()
    grads["weight_hh_l0"][H:2 * H] *= 1.001          # the forget gate's block
    torch.save(grads, tmp_path / "grads.pt")
    got = _by_name(runner.invoke(app, args))
    assert [k for k, v in got.items() if v["verdict"] == "wrong"] == ["weight_hh_l0"]
    assert got["weight_hh_l0"]["worst_entry"][0] in range(H + 1, 2 * H + 1)
    assert got["weight_hh_l0"]["diagnosis"] == []
