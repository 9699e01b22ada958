"""Gradients: the seed's values exactly, both styles equal, and finite differences agree."""

from fractions import Fraction

import mpmath
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import problem_of
from oracle import derivative
from rnn_cli.derive.bptt import grad
from rnn_cli.derive.expr import text
from rnn_cli.derive.forward import forward
from rnn_cli.model.names import parse_name, parse_quantity
from strategies import scalar_problems

SEED_GRADIENTS = {"dL/dh_2": 4, "dL/dh_1": 0, "dL/dh_0": 0, "dL/dw_h": 8, "dL/dw_x": 40,
                  "dL/dw_y": 2, "dL_1/dw_h": -4, "dL_2/dw_h": 12, "dL_1/dh_1": -4,
                  "dL_2/dh_1": 4}
PARAMS = ["w_x", "w_h", "w_y", "b_h", "b_y", "h_0"]


def value(problem, name, style):
    n = parse_name(name)
    return grad(forward(problem), n.of, [n.wrt], style).gradients[0].value


@pytest.mark.parametrize("style", ["paths", "delta"])
@pytest.mark.parametrize("name,expected", SEED_GRADIENTS.items())
def test_seed_gradients_exact(seed, name, expected, style):
    v = value(seed, name, style)
    assert isinstance(v, Fraction) and v == expected


def test_seed_paths_reads_like_the_handwritten_page(seed):
    d = grad(forward(seed), parse_quantity("L"), [parse_quantity("w_h")], "paths")
    term = next(s for s in d.gradients[0].steps if s.name == "dL_2/dw_h")
    assert text(term.expr) == "2(y_hat_2 - y_2) * w_y * [h_1 + w_h * h_0]"
    assert text(term.expr, numeric=True) == "2(6 - 5) * 2 * [2 + 1 * 1]"
    assert term.value == 12


def test_vanishing_factor(seed):
    assert value(seed, "dh_2/dh_0", "paths") == 1   # w_h * w_h with w_h = 1


def _mp(v):
    return mpmath.mpf(v.numerator) / v.denominator if isinstance(v, Fraction) else mpmath.mpf(v)


def _close(got, want):
    with mpmath.workdps(60):
        return abs(_mp(got) - want) <= mpmath.mpf("1e-30") * (1 + abs(want))


@settings(max_examples=120, deadline=None)
@given(scalar_problems(), st.sampled_from(["paths", "delta"]))
def test_parameter_gradients_match_finite_differences(d, style):
    p = problem_of(d)
    got = grad(forward(p), parse_quantity("L"), [parse_quantity(n) for n in PARAMS], style)
    for g in got.gradients:
        assert _close(g.value, derivative(d, "L", g.wrt)), g.wrt


@settings(max_examples=120, deadline=None)
@given(scalar_problems(), st.data())
def test_any_quantity_both_styles_equal_and_right(d, data):
    p = problem_of(d)
    names = [n for n in p.quantities()]
    of = data.draw(st.sampled_from([n for n in names if n not in PARAMS]), label="of")
    wrt = data.draw(st.sampled_from(names), label="wrt")
    n = parse_name(f"d{of}/d{wrt}")
    paths = grad(forward(p), n.of, [n.wrt], "paths").gradients[0].value
    delta = grad(forward(p), n.of, [n.wrt], "delta").gradients[0].value
    if isinstance(paths, Fraction) and isinstance(delta, Fraction):
        assert paths == delta                     # exact problems agree exactly
    assert _close(paths, derivative(d, of, wrt)), (of, wrt, paths)
    assert _close(delta, derivative(d, of, wrt)), (of, wrt, delta)


def test_default_style_switches_at_four_steps():
    long = problem_of({"params": {"w_x": 1, "w_h": "1/2", "w_y": 1},
                       "data": {"x": [1] * 5, "y": [0] * 5}})
    short = problem_of({"params": {"w_x": 1, "w_h": "1/2", "w_y": 1},
                        "data": {"x": [1] * 4, "y": [0] * 4}})
    q = parse_quantity
    assert grad(forward(long), q("L"), [q("w_h")]).style == "delta"
    assert grad(forward(short), q("L"), [q("w_h")]).style == "paths"


def test_long_sequence_is_linear_not_unrolled():
    # T = 3000 with tanh: an unrolled symbolic expression would never finish; the recursion
    # gives the same value as a hand-written float loop
    import math
    T, wh, wx, wy = 3000, 0.5, 0.1, 1.0
    p = problem_of({"activation": "tanh", "outputs": "last",
                    "params": {"w_x": "0.1", "w_h": "0.5", "w_y": 1},
                    "data": {"x": [1] * T, "y": [0]}})
    hs = [0.0]
    for _ in range(T):
        hs.append(math.tanh(wh * hs[-1] + wx))
    dh = 2 * (wy * hs[-1]) * wy            # dL/dh_T, L = (y_hat_T - 0)^2
    gw = 0.0
    for t in range(T, 0, -1):
        da = dh * (1 - hs[t] ** 2)
        gw += da * hs[t - 1]
        dh = da * wh
    got = grad(forward(p), parse_quantity("L"), [parse_quantity("w_h")]).gradients[0].value
    assert abs(float(got) - gw) <= 1e-12 * abs(gw)


def test_seed_as_one_by_one_matrices_gives_the_scalar_answers_exactly():
    d = {"params": {"w_x": [[0.1]], "w_h": [[1]], "w_y": [[2]], "h_0": [1]},
         "data": {"x": [[10], [10]], "y": [[5], [5]]}}
    p = problem_of(d)
    got = grad(forward(p), parse_quantity("L"), [parse_quantity(n) for n in PARAMS], "delta")
    want = {"w_x": 40, "w_h": 8, "w_y": 2, "b_h": 4, "b_y": 0, "h_0": 0}
    assert {g.wrt: g.value for g in got.gradients} == want
    assert all(isinstance(g.value, Fraction) for g in got.gradients)
