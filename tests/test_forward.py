"""The forward pass: the seed's values exactly, formulas as written, and the oracle."""

from fractions import Fraction

import mpmath
from hypothesis import given, settings

from conftest import problem_of
from oracle import evaluate
from rnn_cli.derive.expr import text
from rnn_cli.derive.forward import forward
from strategies import scalar_problems


def test_seed_values_exact(seed):
    f = forward(seed)
    expected = {"h_1": 2, "h_2": 3, "y_hat_1": 4, "y_hat_2": 6, "L_1": 1, "L_2": 1, "L": 2}
    for name, value in expected.items():
        assert f.value(name) == Fraction(value), name
        assert isinstance(f.value(name), Fraction)


def test_seed_formulas_as_written(seed):
    steps = {s.name: s for s in forward(seed).steps}
    h2 = steps["h_2"].expr
    assert text(h2) == "w_h h_1 + w_x x_2"
    assert text(h2, numeric=True) == "1 × 2 + 0.1 × 10"
    assert text(steps["L_2"].expr, numeric=True) == "(6 - 5)^2"


def test_point_one_times_ten_is_one():
    p = problem_of({"params": {"w_x": "0.1", "w_h": 0, "w_y": 1}, "data": {"x": [10], "y": [0]}})
    assert forward(p).value("h_1") == 1


@settings(max_examples=150, deadline=None)
@given(scalar_problems())
def test_forward_matches_oracle(d):
    f = forward(problem_of(d))
    ref = evaluate(d)
    with mpmath.workdps(60):
        for name, want in ref.items():
            if name in f.syms:
                got = f.value(name)
                got = mpmath.mpf(got.numerator) / got.denominator if isinstance(got, Fraction) \
                    else mpmath.mpf(got)
                assert abs(got - want) <= mpmath.mpf("1e-40") * (1 + abs(want)), name
