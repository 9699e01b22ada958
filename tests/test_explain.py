"""explain: every number against an independent computation (the oracle's finite
differences), and the closing answer in the problem's own terms."""

import json

import mpmath
import pytest
from typer.testing import CliRunner

from conftest import problem_of
from oracle import derivative
from rnn_cli.cli import app
from rnn_cli.explain import run

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
    from rnn_cli.explain import cost
    p = problem_of(TANH)
    (f10, b10, s10), (f50, b50, s50) = cost(p, 10), cost(p, 50)
    assert f50 - f10 == 3 * 40 and b50 - b10 == 5 * 40 and s50 - s10 == 4 * 40
    assert s10 == 40


def test_truncated_bptt():
    from rnn_cli.bptt import grad
    from rnn_cli.explain import truncated
    from rnn_cli.forward import forward
    from rnn_cli.names import Quantity
    p = problem_of(TANH)
    f = forward(p)
    full = grad(f, Quantity("L"), [Quantity("w_h")], "delta").gradients[0].value
    assert abs(truncated(f, 6) - full) < 1e-40           # K = T is the full gradient
    # K = 1 keeps only the direct term of the last step: 2 y_hat_6 w_y (1 - h_6^2) h_5
    h5, h6 = f.value("h_5"), f.value("h_6")
    assert abs(truncated(f, 1) - 2 * f.value("y_hat_6") * (1 - h6 ** 2) * h5) < 1e-40
    t = run("bptt", p, truncate=2)
    assert "Truncated to K = 2" in t.prose[-1] and "4000 stored numbers" in t.answer


# -- character-level sequences ----------------------------------------------------------------

from hypothesis import given, settings                     # noqa: E402
from hypothesis import strategies as st                    # noqa: E402

from rnn_cli import charseq                                # noqa: E402


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
    assert "3 symbols with sorted batches, 3 with the texts batched in the order given" in \
        " ".join(t.prose)


def test_feedforward_argument_uses_the_texts():
    t = run("seq2seq", None, texts=("hello", "help"))
    assert "'l' is followed by 'l', 'o', 'p'" in " ".join(t.prose)


def test_vocabulary_errors():
    import pytest as _pytest
    from rnn_cli.errors import InputError
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
