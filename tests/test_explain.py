"""explain: every number against an independent computation (the oracle's finite
differences), and the closing answer in the problem's own terms."""

import json

import mpmath
import pytest
from typer.testing import CliRunner

from conftest import problem_of
from oracle import derivative
from rnn_cli.cli import app
from rnn_cli.teach.explain import run

TANH = {"activation": "tanh", "outputs": "last",
        "params": {"w_x": "0.5", "w_h": "0.8", "w_y": 1, "b_h": "0.1"},
        "data": {"x": [1, -1, 0.5, 2, 0, 1], "y": [0]}}


def test_products_are_the_finite_difference_jacobians():
    t = run("vanishing", problem_of(TANH))
    T = len(TANH["data"]["x"])
    for row in t.tables[0].rows:
        k = row[0] - 1                      # the row of step t holds dh_T/dh_{t-1}
        want = derivative(TANH, f"h_{T}", f"h_{k}")
        with mpmath.workdps(60):
            assert abs(row[4] - abs(want)) <= mpmath.mpf("1e-30"), k


def test_shares_add_up_and_the_answer_uses_the_numbers():
    t = run("vanishing", problem_of(TANH))
    shares = [float(r[3].rstrip("%")) for r in t.tables[0].rows]
    assert sum(shares) == pytest.approx(100, abs=0.3)
    assert "dh_6/dh_0 = " in t.answer and "vanishing" in t.answer


def test_steps_extend_and_find_the_crossing():
    t = run("vanishing", problem_of(TANH), steps=40)
    assert len(t.tables[0].rows) == 40
    assert "After" in t.prose[1] and "steps back" in t.prose[1]


def test_exploding():
    d = {**TANH, "activation": "identity", "params": {**TANH["params"], "w_h": "1.5"}}
    t = run("exploding", problem_of(d), steps=30)
    assert "explode" in t.answer and "After" in t.prose[1]


def test_cli_list_json_and_unknown_topic():
    r = CliRunner().invoke(app, ["explain", "--list"])
    assert r.exit_code == 0 and "vanishing" in r.stdout
    r = CliRunner().invoke(app, ["explain", "vanishing", "--format", "json"])
    doc = json.loads(r.stdout)
    assert doc["topic"] == "vanishing" and doc["tables"][0]["rows"]
    import subprocess
    import sys
    from conftest import ROOT
    p = subprocess.run([sys.executable, "-m", "rnn_cli", "explain", "vanishingg"],
                       capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 2 and "did you mean 'vanishing'" in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1


def test_bptt_costs_grow_linearly_as_the_formula_says():
    # scalar tanh, no biases, one target at the last step: per step the forward pass takes
    # w_h h, w_x x, w_y h (3 multiplications), the backward pass dL/da_{t+1} w_h,
    # dL/dh_t (1 - h_t^2) with its square, and dL/da_t h_{t-1}, dL/da_t x_t (5); 4 numbers
    # (a, h, o, y_hat) are stored per step
    from rnn_cli.teach.explain import cost
    p = problem_of(TANH)
    (f10, b10, s10), (f50, b50, s50) = cost(p, 10), cost(p, 50)
    assert f50 - f10 == 3 * 40 and b50 - b10 == 5 * 40 and s50 - s10 == 4 * 40
    assert s10 == 40


def test_truncated_bptt():
    from rnn_cli.derive.bptt import grad
    from rnn_cli.teach.explain import truncated
    from rnn_cli.derive.forward import forward
    from rnn_cli.model.names import Quantity
    p = problem_of(TANH)
    f = forward(p)
    full = grad(f, Quantity("L"), [Quantity("w_h")], "delta").gradients[0].value
    assert abs(truncated(f, 6) - full) < 1e-40           # K = T is the full gradient
    # K = 1 keeps only the direct term of the last step: 2 y_hat_6 w_y (1 - h_6^2) h_5
    h5, h6 = f.value("h_5"), f.value("h_6")
    assert abs(truncated(f, 1) - 2 * f.value("y_hat_6") * (1 - h6 ** 2) * h5) < 1e-40
    t = run("bptt", p, truncate=2)
    assert "Truncated to K = 2" in t.prose[-1] and "4000 stored numbers" in t.answer



def _explain_fails(*args) -> str:
    """The one error line (exit 2) of `rnn-solve explain ARGS`."""
    import subprocess
    import sys
    from conftest import ROOT
    p = subprocess.run([sys.executable, "-m", "rnn_cli", "explain", *args],
                       capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 2, (args, p.stdout, p.stderr)
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in p.stderr, p.stderr
    return lines[0]


@pytest.mark.parametrize("k", ["0", "-1", "3", "100"])
def test_truncate_outside_1_to_T_is_refused_with_the_value(k):
    # the built-in problem has T = 2 steps: K must be 1 or 2
    line = _explain_fails("bptt", f"--truncate={k}")
    assert "--truncate" in line and "between 1 and" in line and " 2 " in line
    assert line.endswith(f"found {k}")


def test_truncate_on_a_vector_problem_names_the_flag_once():
    line = _explain_fails("bptt", "--truncate", "1", "--problem", "softmax_2unit")
    assert line.count("--truncate") == 1 and "scalar" in line and "2 hidden units" in line


def test_truncate_with_another_topic_is_refused():
    line = _explain_fails("vanishing", "--truncate", "1")
    assert "--truncate" in line and "bptt" in line

# -- character-level sequences ----------------------------------------------------------------

from hypothesis import given, settings                     # noqa: E402
from hypothesis import strategies as st                    # noqa: E402

from rnn_cli.teach import charseq# noqa: E402


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="abcdefgh xyz", min_size=1, max_size=20), min_size=1,
                max_size=6))
def test_one_hot_round_trip(texts):
    v = charseq.vocabulary(texts)
    for t in texts:
        vectors = charseq.one_hot(t, v)
        assert all(sum(x) == 1 and len(x) == len(v) for x in vectors)
        assert charseq.decode(vectors, v) == t


def test_decode_probabilities_takes_the_largest():
    v = ("·", "a", "b")
    assert charseq.decode([[0.1, 0.2, 0.7], [0.0, 0.9, 0.1], [0.8, 0.1, 0.1]], v) == "ba"


def test_batches_and_padding_by_hand():
    # sorted by length: hi(2) held(4) help(4) hello(5); batches of 2: [hi, held] [help, hello]
    groups = charseq.batches(["hello", "hi", "help", "held"], 2)
    assert groups == [["hi", "held"], ["help", "hello"]]
    padded, mask = charseq.pad(groups[0])
    assert padded == ["hi··", "held"] and mask == [[1, 1, 0, 0], [1, 1, 1, 1]]
    t = run("padding", None, texts=("hello", "hi", "help", "held"))
    # 3 padding symbols sorted (2 + 1); in the given order [hello, hi] [help, held]: 3 + 0
    assert "3 symbols with sorted batches, 3 symbols with the texts batched in the order " \
        "given" in " ".join(t.prose)


def test_default_texts_show_what_sorting_saves():
    # the defaults hi(2) hello(5) he(2) help(4): in the order given [hi, hello] [he, help]
    # need 3 + 2 = 5 padding symbols; sorted, [he, hi] [help, hello] need 0 + 1 = 1
    t = run("padding", None)
    assert "1 symbol with sorted batches, 5 symbols with the texts batched in the order " \
        "given" in " ".join(t.prose)
    padded = [r[1] for r in t.tables[0].rows]
    assert padded == ["he", "hi", "help·", "hello"]


def test_vocab_keeps_the_users_order():
    # --vocab cba: '·' is index 0, then c = 1, b = 2, a = 3
    t = run("onehot", None, texts=("abc",), vocab="cba")
    rows = t.tables[0].rows
    assert [(r[1], r[2], r[3]) for r in rows] == [("a", 3, "0001"), ("b", 2, "0010"),
                                                  ("c", 1, "0100")]
    assert "'·cba'" in t.tables[0].title and "order given" in t.prose[0]
    # without --vocab the characters of the texts are sorted: · a b c
    rows = run("onehot", None, texts=("cab",)).tables[0].rows
    assert [(r[1], r[2]) for r in rows] == [("c", 3), ("a", 1), ("b", 2)]


@pytest.mark.parametrize("vocab, words", [("abca", "'a' more than once"),
                                          ("ab·c", "padding symbol"),
                                          ("", "empty")])
def test_bad_vocab_is_refused(vocab, words):
    line = _explain_fails("onehot", "--text", "abc", "--vocab", vocab)
    assert line.startswith("rnn-solve: error: --vocab:") and words in line


def test_vocab_without_texts_names_the_default_texts():
    line = _explain_fails("onehot", "--vocab", "abc")
    assert line.startswith("rnn-solve: error: --vocab:") and "default text 'hi'" in line
    assert "--text" in line


def test_one_hot_tables_left_out_are_counted_and_onehot_shows_them_all():
    texts = ("ab", "ba", "a", "b", "aab", "bba")
    t = run("seq2seq", None, texts=texts)
    hot = [x for x in t.tables if "one-hot vectors" in x.title]
    assert len(hot) == 4
    assert "first 4 of the 6 texts (2 left out here" in " ".join(t.prose)
    assert "explain onehot" in " ".join(t.prose)
    decoded = next(x for x in t.tables if x.title.startswith("Decoding"))
    assert [r[0] for r in decoded.rows] == list(texts)
    t = run("onehot", None, texts=texts)
    hot = [x for x in t.tables if "one-hot vectors" in x.title]
    assert [x.title.split(" as ")[0] for x in hot] == [repr(x) for x in texts]
    assert "left out" not in " ".join(t.prose)


def test_feedforward_argument_uses_the_texts():
    t = run("seq2seq", None, texts=("hello", "help"))
    assert "'l' is followed by 'l', 'o', 'p'" in " ".join(t.prose)


def test_vocabulary_errors():
    import pytest as _pytest
    from rnn_cli.model.errors import InputError
    with _pytest.raises(InputError, match="not in the vocabulary"):
        run("onehot", None, texts=("hello",), vocab="helo!x"[:3])


def test_lstm_forget_gates_against_a_hand_written_step():
    import math
    p = problem_of(TANH)
    t = run("lstm", p, forget_bias=1)
    # the LSTM of the topic, written out by hand in floats: every gate uses w_x = 0.5,
    # w_h = 0.8; b = 0.1 in the input, candidate and output gates, 1 in the forget gate
    sig = lambda z: 1 / (1 + math.exp(-z))
    h, c, gates = 0.0, 0.0, []
    for x in [1, -1, 0.5, 2, 0, 1]:
        a = 0.8 * h + 0.5 * x
        i, f, g, o = sig(a + 0.1), sig(a + 1.0), math.tanh(a + 0.1), sig(a + 0.1)
        c = f * c + i * g
        h = o * math.tanh(c)
        gates.append(f)
    for row, f in zip(t.tables[0].rows, gates):
        assert math.isclose(float(row[3]), f, rel_tol=1e-5)
    assert math.isclose(float(t.tables[0].rows[0][4]), math.prod(gates), rel_tol=1e-5)


# -- vector problems: singular values against numpy -------------------------------------------

np = None


def _numpy():
    return pytest.importorskip("numpy", reason="numpy is not installed (it comes with the plot "
                               "extra: pip install '.[plot]')")


# three units, two inputs, tanh, one target at the last step; written for these tests
VEC = {"activation": "tanh", "outputs": "last",
       "params": {"w_x": [[0.5, -0.2], [0.1, 0.7], [-0.4, 0.3]],
                  "w_h": [[0.6, -0.3, 0.2], [0.1, 0.5, -0.4], [0.3, 0.2, 0.4]],
                  "w_y": [[1, -0.5, 0.25]], "b_h": [0.1, 0, -0.1], "h_0": [0.2, -0.1, 0.3]},
       "data": {"x": [[1, 0], [0.5, -1], [0, 2], [1, 1], [-1, 0.5]], "y": [[0.3]]}}


def _np_tanh_rnn(d):
    """h_0 .. h_T of the vector problem `d`, and the step function h_{t-1} -> h_t, in numpy."""
    n = _numpy()
    P = {k: n.array(v, dtype=float) for k, v in d["params"].items()}
    xs = [n.array(x, dtype=float) for x in d["data"]["x"]]
    step = lambda h, x: n.tanh(P["w_h"] @ h + P["w_x"] @ x + P["b_h"])
    hs = [P["h_0"]]
    for x in xs:
        hs.append(step(hs[-1], x))
    return P, xs, hs, step


def test_vector_singular_values_against_numpy_svd():
    n = _numpy()
    P, xs, hs, step = _np_tanh_rnn(VEC)
    T = len(xs)
    # the Jacobians by hand: dh_t/dh_{t-1} = diag(1 - h_t^2) w_h
    J = {t: n.diag(1 - hs[t] ** 2) @ P["w_h"] for t in range(1, T + 1)}
    prod = {T: n.eye(3)}
    for k in range(T - 1, -1, -1):
        prod[k] = prod[k + 1] @ J[k + 1]          # dh_T/dh_k = J_T ... J_{k+1}
    sv = lambda m: n.linalg.svd(m, compute_uv=False)[0]
    t_ = run("vanishing", problem_of(VEC))
    rows = t_.tables[0].rows
    assert len(rows) == T and "σ_max" in t_.tables[0].columns[1]
    for row in rows:
        t = row[0]
        assert float(row[1]) == pytest.approx(sv(J[t]), rel=1e-5), t
        assert float(row[4]) == pytest.approx(sv(prod[t - 1]), rel=1e-10), t
    # and the product against finite differences of the whole map h_0 -> h_T
    eps, fd = 1e-6, n.zeros((3, 3))
    for j in range(3):
        e = n.zeros(3)
        e[j] = eps
        up, down = hs[0] + e, hs[0] - e
        for x in xs:
            up, down = step(up, x), step(down, x)
        fd[:, j] = (up - down) / (2 * eps)
    assert float(rows[0][4]) == pytest.approx(sv(fd), rel=1e-7)
    assert f"σ_max(dh_{T}/dh_0) = " in t_.answer


def test_vector_shares_against_numpy_backprop():
    # identity output, squared loss at the last step: dL/dh_T = 2 w_y^T (y_hat_T - y);
    # dL/da_t = (1 - h_t^2) dL/dh_t; dL/dh_{t-1} = w_h^T dL/da_t; term_t = dL/da_t h_{t-1}^T
    n = _numpy()
    P, xs, hs, _ = _np_tanh_rnn(VEC)
    T = len(xs)
    g = 2 * P["w_y"].T @ (P["w_y"] @ hs[T] - n.array(VEC["data"]["y"][0], dtype=float))
    sizes = {}
    for t in range(T, 0, -1):
        da = (1 - hs[t] ** 2) * g
        sizes[t] = n.linalg.norm(n.outer(da, hs[t - 1]))
        g = P["w_h"].T @ da
    total = sum(sizes.values())
    rows = run("vanishing", problem_of(VEC)).tables[0].rows
    for row in rows:
        assert float(row[3].rstrip("%")) == pytest.approx(100 * sizes[row[0]] / total,
                                                          abs=0.051), row[0]


def test_vector_builtin_problem_and_its_crossing():
    n = _numpy()
    from rnn_cli.model.files import load
    p = load(None, "softmax_2unit")               # a problem of examples.toml, by its author
    t = run("vanishing", p, steps=12)
    w_h = n.array([[0.5, -0.3], [0.2, 0.4]])
    # |σ_max(dh_T/dh_k)| <= σ_max(w_h)^(T - k), since |tanh'| <= 1
    bound = n.linalg.svd(w_h, compute_uv=False)[0]
    for row in t.tables[0].rows:
        assert float(row[4]) <= bound ** (12 - row[0] + 1) * (1 + 1e-12)
    assert "After" in t.prose[2] and "steps back" in t.prose[2]


def test_vector_lstm_rnn_side_and_cell_against_numpy():
    n = _numpy()
    P, xs, hs, _ = _np_tanh_rnn(VEC)
    T = len(xs)
    sig = lambda v: 1 / (1 + n.exp(-v))
    # the LSTM of the topic (w_x, w_h in every gate, b_h but 1 in the forget gate), by hand
    h, c, gates = P["h_0"], n.zeros(3), []
    for x in xs:
        s = P["w_h"] @ h + P["w_x"] @ x
        i, f, g, o = sig(s + P["b_h"]), sig(s + 1), n.tanh(s + P["b_h"]), sig(s + P["b_h"])
        c = f * c + i * g
        h = o * n.tanh(c)
        gates.append(f)
    t_ = run("lstm", problem_of(VEC))
    J = {t: n.diag(1 - hs[t] ** 2) @ P["w_h"] for t in range(1, T + 1)}
    prod = n.eye(3)
    for row in reversed(t_.tables[0].rows):
        t = row[0]
        prod = prod @ J[t]
        assert float(row[1]) == pytest.approx(n.linalg.svd(J[t], compute_uv=False)[0], rel=1e-5)
        assert float(row[2]) == pytest.approx(n.linalg.svd(prod, compute_uv=False)[0], rel=1e-5)
        lo, hi = (float(v) for v in row[3].split(" .. "))
        assert lo == pytest.approx(gates[t - 1].min(), rel=1e-3)
        assert hi == pytest.approx(gates[t - 1].max(), rel=1e-3)
        cell = n.prod(gates[t - 1:], axis=0).max()      # σ_max of diag(f_t ⊙ ... ⊙ f_T)
        assert float(row[4]) == pytest.approx(cell, rel=1e-5)


# -- gru ---------------------------------------------------------------------------------------

def _np_gru(P, xs, update_bias):
    """The topic's GRU in numpy, PyTorch's equations: every gate uses w_x and w_h; b_h in the
    reset gate and the candidate's input side; `update_bias` in the update gate.
    Returns the states and the step function h_{t-1} -> (h_t, z_t)."""
    n = _numpy()
    sig = lambda v: 1 / (1 + n.exp(-v))

    def step(h, x):
        r = sig(P["w_x"] @ x + P["w_h"] @ h + P["b_h"])
        z = sig(P["w_x"] @ x + P["w_h"] @ h + update_bias)
        cand = n.tanh(P["w_x"] @ x + P["b_h"] + r * (P["w_h"] @ h))
        return (1 - z) * cand + z * h, z

    hs = [P["h_0"]]
    for x in xs:
        hs.append(step(hs[-1], x)[0])
    return hs, step


def _fd_jacobian(step, h, x, eps=1e-6):
    n = _numpy()
    out = n.zeros((len(h), len(h)))
    for j in range(len(h)):
        e = n.zeros(len(h))
        e[j] = eps
        out[:, j] = (step(h + e, x)[0] - step(h - e, x)[0]) / (2 * eps)
    return out


def _as_np(d):
    n = _numpy()
    arr = lambda v: n.atleast_1d(n.array(v, dtype=float))
    P = {k: arr(v) for k, v in d["params"].items()}
    P.setdefault("b_h", n.zeros(1))
    P.setdefault("h_0", n.zeros(1))
    if P["w_h"].ndim == 1:                        # a scalar problem: 1 x 1 matrices
        P = {k: v.reshape(1, 1) if k.startswith("w") else v for k, v in P.items()}
    return P, [arr(x) for x in d["data"]["x"]]


def _stand_in_paths(d, cell: str, bias):
    """gates.paths of the cell explain builds from the RNN problem `d`."""
    from rnn_cli.derive.gated import forward_gated
    from rnn_cli.derive.gates import paths, stand_in
    return paths(forward_gated(stand_in(problem_of(d), cell, bias)))


@pytest.mark.parametrize("d", [TANH, VEC], ids=["scalar", "vector"])
@pytest.mark.parametrize("bias", ["1", "-0.5"])
def test_gru_against_a_hand_written_step(d, bias):
    n = _numpy()
    from rnn_cli.model.numbers import parse_number
    P, xs = _as_np(d)
    hs, step = _np_gru(P, xs, float(bias))
    cp = _stand_in_paths(d, "gru", parse_number(bias))
    to_np = lambda v: n.array([[float(e) for e in r] for r in v.rows]) if hasattr(v, "rows") \
        else n.array([[float(v)]])
    for t in range(1, len(xs) + 1):
        want_z = step(hs[t - 1], xs[t - 1])[1]
        assert n.allclose(to_np(cp.gates[t - 1]).reshape(-1), want_z, rtol=1e-12, atol=0)
        want_j = _fd_jacobian(step, hs[t - 1], xs[t - 1])
        assert n.allclose(to_np(cp.step[t]), want_j, rtol=1e-7, atol=1e-9), t
    # the topic's table: the GRU's product of Jacobians and its copy path of update gates
    topic = run("gru", problem_of(d), update_bias=parse_number(bias))
    T, prod = len(xs), n.eye(len(hs[0]))
    zs = [step(hs[t - 1], xs[t - 1])[1] for t in range(1, T + 1)]
    for row in reversed(topic.tables[0].rows):
        t = row[0]
        prod = prod @ _fd_jacobian(step, hs[t - 1], xs[t - 1])
        size = n.linalg.svd(prod, compute_uv=False)[0]
        assert float(row[6]) == pytest.approx(size if d is VEC else prod[0, 0], rel=1e-5)
        copy = n.prod(zs[t - 1:], axis=0)
        assert float(row[4]) == pytest.approx(copy.max(), rel=1e-5)


def test_gru_against_torch_grucell():
    torch = pytest.importorskip("torch", reason="PyTorch is not installed: pip install "
                                "'.[torch]'")
    P, xs = _as_np(VEC)
    H, D = P["w_x"].shape
    cell = torch.nn.GRUCell(D, H, dtype=torch.float64)
    n = _numpy()
    f64 = lambda a: torch.tensor(n.asarray(a, dtype=float), dtype=torch.float64)
    with torch.no_grad():   # PyTorch stacks the gates as (r, z, n)
        cell.weight_ih.copy_(f64(n.vstack([P["w_x"]] * 3)))
        cell.weight_hh.copy_(f64(n.vstack([P["w_h"]] * 3)))
        cell.bias_ih.copy_(f64(n.concatenate([P["b_h"], [0.75] * H, P["b_h"]])))
        cell.bias_hh.zero_()
    from fractions import Fraction
    ours = _stand_in_paths(VEC, "gru", Fraction(3, 4))
    h = f64(P["h_0"])
    for t, x in enumerate(xs, 1):
        x = f64(x)
        jac = torch.autograd.functional.jacobian(lambda v: cell(x[None], v[None])[0], h)
        got = f64([[float(e) for e in r] for r in ours.step[t].rows])
        assert torch.allclose(got, jac, rtol=1e-10, atol=1e-12)
        h = cell(x[None], h[None])[0].detach()


def test_gru_answer_compares_and_advises():
    t = run("gru", problem_of(TANH), steps=40)
    assert "GRU or LSTM" in t.answer and "long sequences" in t.answer
    # one weight matrix pair and a bias per gate: H (H + D + 1) = 3 for the scalar problem
    assert "9 weights and biases against the LSTM's 12 (the plain RNN's 3)" in t.answer
    rnn0, gru0 = float(t.tables[0].rows[0][2]), float(t.tables[0].rows[0][6])
    assert gru0 > rnn0


# -- --plot ------------------------------------------------------------------------------------

def _png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk (the first, right after the signature)."""
    import struct
    assert data[:8] == b"\x89PNG\r\n\x1a\n", data[:8]
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize("topic", ["vanishing", "gru"])
def test_plot_writes_a_png(tmp_path, topic):
    pytest.importorskip("matplotlib", reason="matplotlib is not installed: pip install "
                        "'.[plot]'")
    out = tmp_path / "chart.png"
    r = CliRunner().invoke(app, ["explain", topic, "--steps", "30", "--activation", "tanh",
                                 "--w-h", "0.8", "--plot", str(out)])
    assert r.exit_code == 0, r.output
    data = out.read_bytes()
    w, h = _png_size(data)
    assert 400 <= w <= 2000 and 300 <= h <= 2000, (w, h)
    assert 5_000 < len(data) < 2_000_000
    assert data.endswith(b"IEND\xaeB`\x82")                  # written whole
    assert [p.name for p in tmp_path.iterdir()] == ["chart.png"]   # no temporary file left


def test_plot_of_values_beyond_a_double(tmp_path):
    pytest.importorskip("matplotlib", reason="matplotlib is not installed: pip install "
                        "'.[plot]'")
    out = tmp_path / "tiny.png"
    # 0.1^2000 = 1e-2000 underflows a double: drawn as log10 on a linear axis
    r = CliRunner().invoke(app, ["explain", "vanishing", "--steps", "2000", "--w-h", "0.1",
                                 "--plot", str(out)])
    assert r.exit_code == 0, r.output
    assert _png_size(out.read_bytes())[0] >= 400


def _one_line_exit_2(args, code=""):
    import subprocess
    import sys
    from conftest import ROOT
    script = code + ("import sys\nfrom rnn_cli.cli import main\n"
                     f"sys.argv = ['rnn-solve', *{args!r}]\nmain()\n")
    p = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                       cwd=ROOT, timeout=120)
    assert p.returncode == 2, (p.returncode, p.stderr)
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("rnn-solve: error: "), p.stderr
    assert "Traceback" not in p.stderr
    return lines[0]


def test_plot_without_matplotlib_is_one_line(tmp_path):
    # None in sys.modules makes `import matplotlib...` raise ImportError, as if not installed
    line = _one_line_exit_2(["explain", "vanishing", "--plot", str(tmp_path / "a.png")],
                            "import sys\nsys.modules['matplotlib'] = None\n")
    assert "--plot" in line and "pip install 'rnn-solve[plot]'" in line
    assert not (tmp_path / "a.png").exists()


@pytest.mark.parametrize("args, words", [
    (["explain", "vanishingg"], "did you mean 'vanishing'"),
    (["explain", "vanishing", "--steps", "20000"], "--steps"),
    (["explain", "vanishing", "--steps", "0"], "--steps"),
    (["explain", "gru", "--steps", "-3"], "--steps"),
    (["explain", "vanishing", "-p", "softmax_2unit", "--steps", "5000"], "--steps"),
    (["explain", "exploding", "-p", "softmax_2unit", "--steps", "3000"],
     "singular value decompositions"),
    (["explain", "onehot", "--text", "hello!", "--vocab", "helo"], "not in the vocabulary"),
    (["explain", "gru", "--update-bias", "big"], "--update-bias"),
    (["explain", "lstm", "--forget-bias", "1/0"], "--forget-bias"),
    (["explain", "bptt", "--plot", "x.png"], "has no chart"),
    (["explain", "lstm", "--plot", "x.svg"], ".png"),
])
def test_bad_input_is_one_line_exit_2(args, words):
    assert words in _one_line_exit_2(args)


# -- problem files written by someone else ------------------------------------------------------

def _examples():
    import tomllib
    from conftest import ROOT
    return tomllib.loads((ROOT / "examples.toml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", ["tanh_bias", "relu_last", "relu_dead", "mean_half_squared"])
def test_vanishing_on_example_files_against_the_oracle(name):
    from rnn_cli.model.files import load
    from conftest import ROOT
    d = _examples()[name]
    t = run("vanishing", load(ROOT / "examples.toml", name))
    T = len(d["data"]["x"])
    for row in t.tables[0].rows:
        want = derivative(d, f"h_{T}", f"h_{row[0] - 1}")
        with mpmath.workdps(60):
            assert abs(row[4] - abs(want)) <= mpmath.mpf("1e-30") * max(1, abs(want))


@pytest.mark.parametrize("topic", ["vanishing", "exploding", "bptt", "lstm", "gru", "seq2seq",
                                   "onehot", "padding"])
@pytest.mark.parametrize("name", ["tanh_bias", "softmax_2unit"])
def test_every_topic_runs_on_example_files(tmp_path, topic, name):
    from conftest import ROOT
    r = CliRunner().invoke(app, ["explain", topic, "-f", str(ROOT / "examples.toml"), "-p",
                                 name, "--format", "json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["topic"] == topic and doc["answer"] and doc["tables"]


def test_exploding_products_by_hand():
    # identity, w_h = 1.5: every factor is 1.5, so dh_T/dh_{t-1} = 1.5^(T - t + 1) exactly
    d = {"params": {"w_x": 1, "w_h": "1.5", "w_y": 1}, "data": {"x": [1, 1, 1], "y": [1, 1, 1]}}
    t = run("exploding", problem_of(d), steps=20)
    for row in t.tables[0].rows:
        assert row[1] == "1.5" and row[4] == mpmath.mpf(1.5) ** (20 - row[0] + 1)
    # 1.5^17 = 985.26 < 1000 < 1.5^18 = 1477.9: the product grows past 1000 after 18 steps
    assert "After 18 steps back the product grows past 1000 times" in t.prose[1]
    assert "explode" in t.answer


def test_a_dead_relu_vanishes_completely():
    from rnn_cli.model.files import load
    from conftest import ROOT
    t = run("vanishing", load(ROOT / "examples.toml", "relu_dead"))
    assert "dh_3/dh_0 = 0," in t.answer and "vanished completely" in t.answer


def test_json_carries_the_chart():
    r = CliRunner().invoke(app, ["explain", "vanishing", "--steps", "5", "--activation", "tanh",
                                 "--w-h", "0.5", "--format", "json"])
    chart = json.loads(r.stdout)["chart"]
    (series,) = chart["series"]
    assert [p[0] for p in series["points"]] == [1, 2, 3, 4, 5]          # T - k
    for x, y, log in series["points"]:
        assert y < 0.5 ** x * 1.0000001 and log == pytest.approx(mpmath.log10(y), abs=1e-9)
    r = CliRunner().invoke(app, ["explain", "bptt", "--format", "json"])
    assert json.loads(r.stdout)["chart"] is None


def test_bptt_costs_of_a_vector_problem_by_hand():
    # H = 3, D = 2, K = 1, tanh, one target at the last step. Forward, per step: w_h h (H^2),
    # w_x x (H D), w_y h (K H). Backward, per step, bptt.py's vector recursion: the Jacobian
    # dh_{t+1}/dh_t = diag(1 - h_{t+1}^2) w_h (H for the square, H^2 for the diagonal
    # matrix times w_h, row by row), dL/dh_t = (dh_{t+1}/dh_t)^T dL/dh_{t+1} (H^2),
    # dL/da_t = dL/dh_t ⊙ (1 - h_t^2) (H + H), dL/da_t h_{t-1}^T (H^2), dL/da_t x_t^T (H D).
    # Stored: a_t, h_t (H each), o_t, y_hat_t (K each).
    from rnn_cli.teach.explain import cost
    p = problem_of(VEC)
    (f10, b10, s10), (f30, b30, s30) = cost(p, 10), cost(p, 30)
    assert f30 - f10 == 20 * (9 + 6 + 3)
    assert b30 - b10 == 20 * ((3 + 9) + 9 + (3 + 3) + 9 + 6)
    assert s10 == 10 * (3 + 3 + 1 + 1) and s30 == 30 * 8


def test_the_core_of_explain_needs_no_numpy_typer_rich_or_matplotlib():
    """Singular values come from mpmath: working a vector problem's topics loads none of
    numpy, matplotlib, typer or rich."""
    import os
    import subprocess
    import sys
    from conftest import ROOT
    code = ("from rnn_cli.model.files import load\n"
            "from rnn_cli.teach.explain import run\n"
            "p = load(None, 'softmax_2unit')\n"
            "for topic in ('vanishing', 'lstm', 'gru', 'bptt'):\n"
            "    run(topic, p)\n"
            "import sys\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} &\n"
            "             {'numpy', 'matplotlib', 'typer', 'rich', 'click'}))\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"


# -- LSTM and GRU problems: the real cell, against PyTorch ---------------------------------------

# a 2-unit LSTM and a 2-unit GRU written for these tests: two inputs, one output, squared loss
# at the last step, nonzero biases and initial states
LSTM2 = {"cell": "lstm", "outputs": "last",
         "params": {"w_xi": [[0.5, -0.2], [0.1, 0.7]], "w_hi": [[0.6, -0.3], [0.1, 0.5]],
                    "b_i": [0.1, 0], "w_xf": [[0.3, 0.2], [-0.4, 0.1]],
                    "w_hf": [[0.2, 0.4], [-0.3, 0.6]], "b_f": [1, 0.5],
                    "w_xg": [[0.8, -0.5], [0.3, 0.9]], "w_hg": [[-0.7, 0.2], [0.5, 0.4]],
                    "b_g": [0, -0.2], "w_xo": [[0.1, 0.3], [0.6, -0.2]],
                    "w_ho": [[0.5, 0.1], [-0.2, 0.3]], "b_o": [0.2, 0.1],
                    "w_y": [[1, -0.5]], "h_0": [0.2, -0.1], "c_0": [0.1, -0.3]},
         "data": {"x": [[1, 0], [0.5, -1], [0, 2], [1, 1]], "y": [[0.3]]}}
GRU2 = {"cell": "gru", "outputs": "last",
        "params": {"w_xr": [[0.5, -0.2], [0.1, 0.3]], "w_hr": [[0.2, -0.1], [0.4, 0.3]],
                   "b_r": [0.1, 0], "w_xz": [[-0.3, 0.2], [0.6, -0.1]],
                   "w_hz": [[0.1, 0.5], [-0.2, 0.2]], "b_z": [-0.5, 0.5],
                   "w_xn": [[0.8, -0.4], [0.2, 0.7]], "w_hn": [[-0.9, 0.6], [0.5, 1.1]],
                   "b_xn": [0, 0.1], "b_hn": [0.2, -0.1], "w_y": [[1, -1.5]],
                   "h_0": [0.3, -0.2]},
        "data": {"x": [[1, 0], [0, 1], [1, 1], [-1, 0.5], [0.5, 0.5]], "y": [[0.2]]}}


def _torch():
    return pytest.importorskip("torch", reason="PyTorch is not installed: pip install "
                               "'.[torch]' (.ci/run installs it)")


def _torch_cell(d):
    """PyTorch's own LSTMCell or GRUCell (float64) with the problem's weights, its inputs and
    initial states, and its step (h, c, x) -> (h, c) (c None for a GRU)."""
    torch = _torch()
    from torch_cells import _mat, _vec
    P, lstm_cell = d["params"], d["cell"] == "lstm"
    gates = "ifgo" if lstm_cell else "rzn"
    w = P["w_hi" if lstm_cell else "w_hr"]
    H = len(w) if isinstance(w, list) else 1
    xs = [torch.tensor([float(e) for e in x] if isinstance(x, list) else [float(x)],
                       dtype=torch.float64) for x in d["data"]["x"]]
    D = xs[0].numel()
    cell = (torch.nn.LSTMCell if lstm_cell else torch.nn.GRUCell)(D, H, dtype=torch.float64)
    with torch.no_grad():   # PyTorch stacks the gates as (i, f, g, o) and (r, z, n)
        cell.weight_ih.copy_(torch.cat([_mat(P[f"w_x{g}"], H, D) for g in gates]))
        cell.weight_hh.copy_(torch.cat([_mat(P[f"w_h{g}"], H, H) for g in gates]))
        cell.bias_ih.copy_(torch.cat([_vec(P, "b_xn" if g == "n" else f"b_{g}", H)
                                      for g in gates]))
        cell.bias_hh.zero_()
        if not lstm_cell:
            cell.bias_hh[2 * H:].copy_(_vec(P, "b_hn", H))
    h0, c0 = _vec(P, "h_0", H), _vec(P, "c_0", H)

    def step(h, c, x, **params):
        call = (lambda *a: torch.func.functional_call(cell, params, a)) if params else cell
        if lstm_cell:
            h, c = call(x[None], (h[None], c[None]))
            return h[0], c[0]
        return call(x[None], h[None])[0], None

    return torch, cell, xs, h0, c0, step


def _torch_paths(d):
    """By autograd, for t = 1 .. T: the gate of the state path (f_t: the diagonal of
    dc_t/dc_{t-1} with h_{t-1} held; z_t: from the gate's weights), dh_t/dh_{t-1} (c_{t-1}
    held) and dh_T/dh_{t-1} (c_{t-1} held); and the same two for the plain tanh RNN made of
    the candidate's weights (nn.RNNCell)."""
    torch, cell, xs, h0, c0, step = _torch_cell(d)
    jac = torch.autograd.functional.jacobian
    T, H = len(xs), h0.numel()
    states = [(h0, c0)]
    for x in xs:
        states.append(step(*states[-1], x))

    def run(h, c, k):       # h_T from (h_k, c_k)
        for x in xs[k:]:
            h, c = step(h, c, x)
        return h

    lstm_cell = d["cell"] == "lstm"
    gates, one, back = [], {}, {}
    for t in range(1, T + 1):
        h, c = states[t - 1]
        x = xs[t - 1]
        if lstm_cell:
            gates.append(torch.diagonal(jac(lambda v: step(h, v, x)[1], c)))
        else:
            W_z, U_z = cell.weight_ih[H:2 * H], cell.weight_hh[H:2 * H]
            gates.append(torch.sigmoid(W_z @ x + U_z @ h + cell.bias_ih[H:2 * H]).detach())
        one[t] = jac(lambda v: step(v, c, x)[0], h)
        back[t - 1] = jac(lambda v: run(v, c, t - 1), h)
    # the candidate as a plain RNN: h_t = tanh(W x + U h + b)
    g = slice(2 * H, 3 * H)
    rnn = torch.nn.RNNCell(xs[0].numel(), H, nonlinearity="tanh", dtype=torch.float64)
    with torch.no_grad():
        rnn.weight_ih.copy_(cell.weight_ih[g])
        rnn.weight_hh.copy_(cell.weight_hh[g])
        rnn.bias_ih.copy_(cell.bias_ih[g])
        rnn.bias_hh.copy_(cell.bias_hh[g])      # a GRU's b_hn (the reset gate open); else 0
    hs = [h0]
    for x in xs:
        hs.append(rnn(x[None], hs[-1][None])[0])
    r_one = {t: jac(lambda v: rnn(xs[t - 1][None], v[None])[0], hs[t - 1])
             for t in range(1, T + 1)}
    r_back, prod = {}, torch.eye(H, dtype=torch.float64)
    for t in range(T, 0, -1):
        prod = prod @ r_one[t]
        r_back[t - 1] = prod
    return torch, gates, one, back, r_one, r_back


def _sv(torch, m) -> float:
    return float(torch.linalg.svdvals(m)[0])


def _lstm_1unit():
    return _examples()["lstm_1unit"]


@pytest.mark.parametrize("name", ["lstm_1unit", "LSTM2", "gru_2unit", "GRU2"])
def test_real_cell_jacobians_against_torch_autograd(name):
    from rnn_cli.derive.gated import forward_gated
    from rnn_cli.derive.gates import paths
    d = {"LSTM2": LSTM2, "GRU2": GRU2}.get(name) or _examples()[name]
    torch, gates, one, back, _, _ = _torch_paths(d)
    cp = paths(forward_gated(problem_of(d)))
    as_t = lambda v: torch.tensor([[float(e) for e in r] for r in v.rows], dtype=torch.float64) \
        if hasattr(v, "rows") else torch.tensor([[float(v)]], dtype=torch.float64)
    T = len(d["data"]["x"])
    for t in range(1, T + 1):
        assert torch.allclose(as_t(cp.gates[t - 1]).reshape(-1), gates[t - 1], rtol=1e-10,
                              atol=1e-14), t
        assert torch.allclose(as_t(cp.step[t]), one[t].reshape(as_t(cp.step[t]).shape),
                              rtol=1e-10, atol=1e-14), t
        assert torch.allclose(as_t(cp.back[t - 1]), back[t - 1].reshape(
            as_t(cp.back[t - 1]).shape), rtol=1e-10, atol=1e-14), t


@pytest.mark.parametrize("topic, name", [("lstm", "lstm_1unit"), ("lstm", "LSTM2"),
                                         ("gru", "gru_2unit"), ("gru", "GRU2")])
def test_lstm_and_gru_topics_on_the_real_cell_against_torch(topic, name):
    d = {"LSTM2": LSTM2, "GRU2": GRU2}.get(name) or _examples()[name]
    torch, gates, one, back, r_one, r_back = _torch_paths(d)
    t_ = run(topic, problem_of(d))
    vector = isinstance(d["data"]["x"][0], list)
    size = (lambda m: _sv(torch, m)) if vector else (lambda m: float(m.reshape(-1)[0]))
    rows = t_.tables[0].rows
    assert len(rows) == len(d["data"]["x"])
    for row in rows:
        t = row[0]
        assert float(row[1]) == pytest.approx(size(r_one[t]), rel=1e-5), t
        assert float(row[2]) == pytest.approx(size(r_back[t - 1]), rel=1e-5), t
        if vector:
            lo, hi = (float(v) for v in row[3].split(" .. "))
            assert (lo, hi) == pytest.approx((float(gates[t - 1].min()),
                                              float(gates[t - 1].max())), rel=1e-3)
        else:
            assert float(row[3]) == pytest.approx(float(gates[t - 1][0]), rel=1e-5)
        path = torch.stack(gates[t - 1:]).prod(dim=0)       # f_t ⊙ ... ⊙ f_T: its σ_max
        assert float(row[4]) == pytest.approx(float(path.abs().max()), rel=1e-5), t
        assert float(row[5]) == pytest.approx(size(one[t]), rel=1e-5), t
        assert float(row[6]) == pytest.approx(size(back[t - 1]), rel=1e-5), t
    cell = topic.upper()
    assert f"This problem is {'an' if topic == 'lstm' else 'a'} {cell}" in t_.prose[0]
    assert f"In this {cell}" in t_.answer and len(t_.chart.series) == 3


@pytest.mark.parametrize("name", ["lstm_1unit", "LSTM2", "GRU2"])
def test_vanishing_on_the_real_cell_against_torch(name):
    d = {"LSTM2": LSTM2, "GRU2": GRU2}.get(name) or _examples()[name]
    torch, _, one, back, _, _ = _torch_paths(d)
    vector = isinstance(d["data"]["x"][0], list)
    size = (lambda m: _sv(torch, m)) if vector else (lambda m: abs(float(m.reshape(-1)[0])))
    t_ = run("vanishing", problem_of(d))
    for row in t_.tables[0].rows:
        t = row[0]
        assert float(row[1]) == pytest.approx(size(one[t]), rel=1e-5), t
        assert float(row[4]) == pytest.approx(size(back[t - 1]), rel=1e-10), t
    assert "W_h stands for all the recurrent weights" in t_.prose[1]


@pytest.mark.parametrize("d", [LSTM2, GRU2], ids=["lstm", "gru"])
def test_vanishing_shares_of_the_recurrent_weights_against_torch(d):
    # each step gets its own copy of PyTorch's weight_hh (all equal), so autograd hands back
    # each step's term of dL/dW_h; a step's share adds the Frobenius norms of its gate blocks
    torch, cell, xs, h0, c0, step = _torch_cell(d)
    H = h0.numel()
    W = cell.weight_hh.detach()
    copies = [W.clone().requires_grad_(True) for _ in xs]
    h, c = h0, c0
    for x, w in zip(xs, copies):
        h, c = step(h, c, x, weight_hh=w)
    w_y = torch.tensor(d["params"]["w_y"], dtype=torch.float64)
    loss = ((w_y @ h - torch.tensor(d["data"]["y"][0], dtype=torch.float64)) ** 2).sum()
    loss.backward()
    terms = [sum(float(torch.linalg.norm(w.grad[g * H:(g + 1) * H]))
                 for g in range(w.grad.shape[0] // H)) for w in copies]
    rows = run("vanishing", problem_of(d)).tables[0].rows
    for row, term in zip(rows, terms):
        assert float(row[3].rstrip("%")) == pytest.approx(100 * term / sum(terms), abs=0.051)


def test_gated_problems_extend_with_steps():
    t_ = run("lstm", problem_of(LSTM2), steps=9)
    assert len(t_.tables[0].rows) == 9 and "after 9 steps" in t_.prose[2].lower()
    t_ = run("exploding", problem_of(GRU2), steps=7)
    assert [r[0] for r in t_.tables[0].rows] == list(range(1, 8))


@pytest.mark.parametrize("args, words", [
    (["explain", "lstm", "-p", "lstm_1unit", "--forget-bias", "2"], "--param b_f=VALUE"),
    (["explain", "gru", "-p", "gru_2unit", "--update-bias", "0"], "--param b_z=VALUE"),
    (["explain", "gru", "-p", "lstm_1unit"], "explain lstm works on its own cell"),
    (["explain", "lstm", "-p", "gru_2unit"], "explain gru works on its own cell"),
    (["explain", "bptt", "-p", "gru_2unit"], "bptt counts the plain RNN's delta recursion"),
    (["explain", "vanishing", "-p", "lstm_1unit", "--steps", "2001"], "2,000 steps"),
    (["explain", "gru", "-p", "gru_2unit", "--steps", "1500"], "singular value"),
])
def test_bad_input_on_gated_problems_is_one_line_exit_2(args, words):
    assert words in _one_line_exit_2(args)


@pytest.mark.parametrize("topic, name", [("lstm", "lstm_1unit"), ("gru", "gru_2unit"),
                                         ("vanishing", "lstm_1unit"),
                                         ("exploding", "gru_2unit")])
def test_gated_topics_from_the_command_line(topic, name):
    from conftest import ROOT
    r = CliRunner().invoke(app, ["explain", topic, "-f", str(ROOT / "examples.toml"), "-p",
                                 name, "--format", "json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["topic"] == topic and doc["chart"]["series"] and doc["tables"][0]["rows"]
    # the problem's own bias can be changed the usual way, and the numbers follow it
    if topic == "lstm":
        r2 = CliRunner().invoke(app, ["explain", "lstm", "-p", name, "--param", "b_f=3",
                                      "--format", "json"])
        assert r2.exit_code == 0, r2.output
        f1 = json.loads(r2.stdout)["tables"][0]["rows"][0][3]
        assert float(f1) > float(doc["tables"][0]["rows"][0][3])
