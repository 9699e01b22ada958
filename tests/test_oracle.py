"""Tests of the independent oracle (tests/oracle.py) and of the answer keys in examples.toml."""

import decimal
import math
import tomllib
from decimal import Decimal
from pathlib import Path

import mpmath
import pytest
from hypothesis import given, settings

from oracle import DPS, derivative, evaluate, name, number, parse_derivative
from strategies import problem_to_toml, scalar_problems

EXAMPLES = Path(__file__).parent.parent / "examples.toml"

ASSIGNMENT3 = {"activation": "identity", "output": "identity", "loss": "squared",
               "params": {"w_x": 0.1, "w_h": 1, "w_y": 2, "h_0": 1},
               "data": {"x": [10, 10], "y": [5, 5]}}

# The correct values listed in /work/shared/reference/assignment3-handwritten.md.
ASSIGNMENT3_VALUES = {
    "h_1": 2, "h_2": 3, "y_hat_1": 4, "y_hat_2": 6, "L_1": 1, "L_2": 1, "L": 2,
    "dL/dh_2": 4, "dL/dh_1": 0, "dL/dh_0": 0, "dL/dw_h": 8, "dL/dw_x": 40, "dL/dw_y": 2,
    "dL_1/dw_h": -4, "dL_2/dw_h": 12, "dL_1/dh_1": -4, "dL_2/dh_1": 4,
}


def close(a, b, tol=1e-40):
    """|a - b| < tol, with the subtraction done at the oracle's 60 digits (mpmath's default is 15)."""
    with mpmath.workdps(DPS):
        return abs(number(a) - number(b)) < number(tol)


def value(problem, key):
    """A forward quantity or a derivative 'dA/dB', by name."""
    return derivative(problem, key) if "/" in key else evaluate(problem)[name(key)]


# (a) the seed exercise


@pytest.mark.parametrize("key", ASSIGNMENT3_VALUES)
def test_assignment3_reference_values(key):
    assert close(value(ASSIGNMENT3, key), ASSIGNMENT3_VALUES[key])


# (b) spot checks written out by hand


def test_one_tanh_step_by_hand():
    problem = {"activation": "tanh", "loss": "half_squared",
               "params": {"w_x": 0.5, "w_h": -1, "w_y": 3, "b_h": 0.25, "b_y": -1, "h_0": 0.5},
               "data": {"x": [2], "y": [1]}}
    a = -1 * 0.5 + 0.5 * 2 + 0.25
    h = math.tanh(a)
    y_hat = 3 * h - 1
    q = evaluate(problem)
    assert float(q["a_1"]) == a
    assert math.isclose(q["h_1"], h, rel_tol=1e-15)
    assert math.isclose(q["L"], (y_hat - 1) ** 2 / 2, rel_tol=1e-14)
    # dL/dw_h = (y_hat - y) * w_y * tanh'(a) * h_0, with tanh' = 1 - tanh^2
    by_hand = (y_hat - 1) * 3 * (1 - h * h) * 0.5
    assert math.isclose(derivative(problem, "dL/dw_h"), by_hand, rel_tol=1e-13)


def test_sigmoid_cross_entropy_gradient_is_y_hat_minus_y():
    problem = {"output": "sigmoid", "loss": "cross_entropy",
               "params": {"w_x": "3/7", "w_h": 0, "w_y": 1.5}, "data": {"x": [2], "y": [0.25]}}
    o = 1.5 * 6 / 7
    y_hat = 1 / (1 + math.exp(-o))
    q = evaluate(problem)
    assert math.isclose(q["y_hat_1"], y_hat, rel_tol=1e-15)
    assert math.isclose(q["L"], -(0.25 * math.log(y_hat) + 0.75 * math.log(1 - y_hat)), rel_tol=1e-14)
    with mpmath.workdps(DPS):
        assert close(derivative(problem, "dL/do_1"), q["y_hat_1"] - mpmath.mpf(1) / 4)


def test_relu_mean_reduction_and_outputs_list():
    problem = {"activation": "relu", "reduction": "mean", "outputs": [1, 3],
               "params": {"w_x": 1, "w_h": 1, "w_y": 1, "b_h": -1},
               "data": {"x": [2, -3, 4], "y": [0, 0]}}
    q = evaluate(problem)  # a = 1, -3, 3; h = 1, 0, 3
    assert [q[f"h_{t}"] for t in (1, 2, 3)] == [1, 0, 3]
    assert "L_2" not in q and q["L"] == 5  # (1^2 + 3^2) / 2
    assert close(derivative(problem, "dL_3/dh_1"), 0)  # cut off by relu at step 2
    assert close(derivative(problem, "dL/dh_1"), 1)  # only through L_1: 2 * 1 * w_y / 2
    assert close(derivative(problem, "dL/db_h"), 4)  # (2 * 1 + 2 * 3) / 2


def test_total_derivative_semantics():
    q = {"dh_1/dh_2": 0, "dh_2/dh_1": 1, "dh_2/dh_0": 1, "dL/dL_1": 1, "dy_hat_2/dh_2": 2}
    for key, expected in q.items():
        assert close(derivative(ASSIGNMENT3, key), expected), key


def test_overrides_replace_parameters_and_shift_intermediates():
    assert evaluate(ASSIGNMENT3, {"w_y": 3})["y_hat_2"] == 9
    shifted = evaluate(ASSIGNMENT3, {"h_1": 1})  # h_1 = 2 + 1, then a_2 = 3 + 1
    assert (shifted["h_1"], shifted["a_2"], shifted["a_1"]) == (3, 4, 2)
    with pytest.raises(ValueError):
        evaluate(ASSIGNMENT3, {"h_7": 1})


def test_names_and_aliases():
    assert parse_derivative("∂E/∂W_hh") == ("L", "w_h")
    assert parse_derivative("dyhat2/dh0") == ("y_hat_2", "h_0")
    assert [name(n) for n in ("U", "V", "c", "b", "L2", "ŷ_1", "a3")] == [
        "w_x", "w_y", "b_y", "b_h", "L_2", "y_hat_1", "a_3"]
    with pytest.raises(ValueError):
        name("q_1")


# (c) every answer key in examples.toml


def load_examples():
    return tomllib.loads(EXAMPLES.read_text(encoding="utf-8"), parse_float=Decimal)


def is_vector(problem) -> bool:
    """Vector problems are checked by the PyTorch oracle (tests/test_torch.py), and so are
    LSTM and GRU problems (tests/test_gated.py): this oracle knows the plain RNN only."""
    return any(isinstance(v, list) for v in problem["params"].values()) or \
        problem.get("cell", "rnn") != "rnn"


ANSWERS = [(p, key) for p, table in load_examples().items() for key in table.get("answers", {})
           if not is_vector(table)]


def rounded(v, exponent):
    """The oracle value rounded to the precision of a written decimal (exponent -3: 3 decimals)."""
    with mpmath.workdps(60):
        exact = Decimal(mpmath.nstr(v, 55))
    return exact.quantize(Decimal(1).scaleb(exponent), rounding=decimal.ROUND_HALF_EVEN)


@pytest.mark.parametrize("problem_name,key", ANSWERS)
def test_example_answers(problem_name, key):
    problem = load_examples()[problem_name]
    got, written = value(problem, key), problem["answers"][key]
    if isinstance(written, dict):  # { value = ..., abs = ... }
        assert close(got, written["value"], Decimal(written.get("abs", 0)) + Decimal("1e-30"))
    elif isinstance(written, Decimal):  # a float, compared at the decimals it is written with
        assert rounded(got, written.as_tuple().exponent) == written
    else:  # an integer or a fraction string: exact
        assert close(got, written, 1e-30)


def test_examples_are_complete():
    examples = load_examples()
    assert list(examples)[0] == "assignment3" and len(examples) >= 5
    for problem_name, problem in examples.items():
        if is_vector(problem) or "symbols" in problem:   # symbolic: tests/test_symbolic.py
            continue
        assert problem.get("title") and len(problem["answers"]) >= 10, problem_name
        assert any(parse_derivative(k)[1] == "h_0" for k in problem["answers"] if "/" in k)
        if problem.get("activation") == "relu":  # well away from the kink at a_t = 0
            q = evaluate(problem)
            assert all(abs(q[f"a_{t}"]) > 0.1 for t in range(1, len(problem["data"]["x"]) + 1))


# the strategies: their problems round-trip through TOML, and the oracle is self-consistent


@settings(max_examples=40, deadline=None)
@given(scalar_problems())
def test_generated_problems_round_trip_and_gradients_add_up(problem):
    back = tomllib.loads(problem_to_toml("p", problem))["p"]
    assert back == problem
    q = evaluate(problem)
    steps = [int(k[2:]) for k in q if k.startswith("L_")]
    scale = len(steps) if problem["reduction"] == "mean" else 1
    # dL/dw_h is the sum over targets of dL_t/dw_h (divided by their number for "mean")
    total = derivative(problem, "dL/dw_h")
    with mpmath.workdps(DPS):
        parts = mpmath.fsum(derivative(problem, f"dL_{t}/dw_h") for t in steps) / scale
    assert close(total, parts, 1e-30 * (1 + abs(total)))
