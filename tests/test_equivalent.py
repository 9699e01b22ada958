"""Equivalence of formulas in symbols (teach/equivalent.py), for symbolic answer keys.

The oracles are written here: the seed's dL/dw_h expanded and factored by hand, and SymPy's
own unroll-and-differentiate of the model (L built step by step, then sympy.diff).
"""

import pytest

sympy = pytest.importorskip("sympy")

from rnn_cli.model.errors import BadAnswer  # noqa: E402
from rnn_cli.model.formula import parse  # noqa: E402
from rnn_cli.model.formula_values import MAX_SYMBOLIC_POWER, to_sympy  # noqa: E402
from rnn_cli.teach.equivalent import equivalent  # noqa: E402

w_x, w_h, w_y, h_0, x_1, x_2, y_1, y_2, a = sympy.symbols("w_x w_h w_y h_0 x_1 x_2 y_1 y_2 a")
SYMBOLS = {s.name: s for s in (w_x, w_h, w_y, h_0, x_1, x_2, y_1, y_2)}

# the seed's linear RNN, in symbols, step by step (identity activation and output)
h_1 = w_h * h_0 + w_x * x_1
h_2 = w_h * h_1 + w_x * x_2
VALUES = {**SYMBOLS, "h_1": h_1, "h_2": h_2, "y_hat_1": w_y * h_1, "y_hat_2": w_y * h_2}
L = (w_y * h_1 - y_1) ** 2 + (w_y * h_2 - y_2) ** 2
SEED = {w_x: sympy.Rational(1, 10), w_h: 1, w_y: 2, h_0: 1, x_1: 10, x_2: 10, y_1: 5, y_2: 5}


def sym(text: str):
    """A formula of a key as SymPy, its names replaced by their expressions in the symbols."""
    return to_sympy(parse(text).tree, VALUES.__getitem__)


THROUGH_H = "2(y_hat_1 - y_1) w_y h_0 + 2(y_hat_2 - y_2) w_y (h_1 + w_h h_0)"
# expanded by hand: 2 w_y h_0 (ŷ_1 - y_1) + 2 w_y (2 w_h h_0 + w_x x_1)(ŷ_2 - y_2)
EXPANDED = ("2 w_y^2 w_h h_0^2 + 2 w_y^2 w_x x_1 h_0 - 2 w_y y_1 h_0 + 4 w_y^2 w_h^3 h_0^2 "
            "+ 6 w_y^2 w_h^2 w_x x_1 h_0 + 4 w_y^2 w_h w_x x_2 h_0 + 2 w_y^2 w_h w_x^2 x_1^2 "
            "+ 2 w_y^2 w_x^2 x_1 x_2 - 4 w_y w_h h_0 y_2 - 2 w_y w_x x_1 y_2")
FACTORED = (r"2 w_y \left[h_0 (w_y (w_h h_0 + w_x x_1) - y_1) + (2 w_h h_0 + w_x x_1)"
            r"(w_y (w_h^2 h_0 + w_h w_x x_1 + w_x x_2) - y_2)\right]")
DROPPED = "2(y_hat_1 - y_1) w_y h_0 + 2(y_hat_2 - y_2) w_y h_1"


@pytest.mark.parametrize("text", [THROUGH_H, EXPANDED, FACTORED])
def test_equivalent_forms_of_dL_dw_h(text):
    oracle = sympy.diff(L, w_h)                 # unroll and differentiate
    e = sym(text)
    got = equivalent(e, oracle)
    assert got.equal and got.proved and got.points == 5 and not got.differs_at
    assert e.subs(SEED) == 8                    # the seed: dL/dw_h = 8 by hand


def test_forms_are_equivalent_to_each_other():
    forms = [sym(t) for t in (THROUGH_H, EXPANDED, FACTORED)]
    assert all(equivalent(p, q).equal for p in forms for q in forms)


def test_a_dropped_path_is_refused_with_a_point():
    got = equivalent(sym(DROPPED), sympy.diff(L, w_h))
    assert not got.equal and not got.proved
    assert got.differs_at and {k for k, _ in got.differs_at} <= set(SYMBOLS)
    at = {SYMBOLS[k]: sympy.Rational(v) for k, v in got.differs_at}
    assert sym(DROPPED).subs(at) != sympy.diff(L, w_h).subs(at)   # really differs there
    assert got.reason.startswith("differs from the expected formula at ")
    assert sym(DROPPED).subs(SEED) == -4 + 8   # the seed: dL_1/dw_h + the h_1 path alone


def test_deterministic():
    a1 = equivalent(sym(DROPPED), sympy.diff(L, w_h))
    a2 = equivalent(sym(DROPPED), sympy.diff(L, w_h))
    assert a1 == a2
    assert equivalent(sym(DROPPED), sympy.diff(L, w_h), seed=1).differs_at != a1.differs_at


def test_other_gradients():
    assert equivalent(sym("2(y_hat_1 - y_1) h_1 + 2(y_hat_2 - y_2) h_2"),
                      sympy.diff(L, w_y)).equal
    assert equivalent(sym("2(y_hat_1 - y_1) w_y x_1 + 2(y_hat_2 - y_2) w_y (x_2 + w_h x_1)"),
                      sympy.diff(L, w_x)).equal
    assert not equivalent(sym("2(y_hat_2 - y_2) w_y x_2"), sympy.diff(L, w_x)).equal


def test_tanh_and_sigmoid_identities():
    assert equivalent(to_sympy(parse("1 - tanh(a_1)^2").tree, {"a_1": a}.get),
                      1 / sympy.cosh(a) ** 2).equal
    assert equivalent(to_sympy(parse("tanh'(a_1)").tree, {"a_1": a}.get),
                      1 - sympy.tanh(a) ** 2).equal
    assert equivalent(to_sympy(parse("sigmoid'(a_1)").tree, {"a_1": a}.get),
                      sympy.exp(-a) / (1 + sympy.exp(-a)) ** 2).equal
    assert not equivalent(to_sympy(parse("1 - a_1^2").tree, {"a_1": a}.get),
                          1 - sympy.tanh(a) ** 2).equal


def test_a_tanh_step_through_h():
    # h_1 = tanh(w_h h_0 + w_x x_1): dh_1/dw_h = (1 - h_1^2) h_0
    t1 = sympy.tanh(w_h * h_0 + w_x * x_1)
    e = to_sympy(parse("(1 - h_1^2) h_0").tree, {**SYMBOLS, "h_1": t1}.__getitem__)
    assert equivalent(e, sympy.diff(t1, w_h)).equal
    wrong = to_sympy(parse("(1 - h_1^2) x_1").tree, {**SYMBOLS, "h_1": t1}.__getitem__)
    assert not equivalent(wrong, sympy.diff(t1, w_h)).equal


def test_points_where_a_side_is_undefined_are_skipped():
    w = sympy.Symbol("w")
    got = equivalent((w ** 2 - 1) / (w - 1), w + 1)
    assert got.equal and got.points == 5


def test_numbers_alone():
    assert equivalent(sympy.Rational(12), sym("2*(6-5)*2*(2+1*1)")).equal
    assert not equivalent(sympy.Rational(8), sym("2*(6-5)*2*(2+1*1)")).equal


def test_symbolic_powers_are_bounded():
    with pytest.raises(BadAnswer, match=f"at most {MAX_SYMBOLIC_POWER}"):
        sym("(w_h + w_x + w_y + h_0)^11")
    with pytest.raises(BadAnswer, match="beyond"):
        sym("w_h^5000")
    with pytest.raises(BadAnswer, match="division by zero"):
        sym("w_h / (h_1 - h_1)")
    assert sym("(w_h + w_x)^10").is_Pow
