"""expr.value_in, the value-only replay of a formula, against revalue (which builds the tree
again): the same value of the same type, exact where exact, at every step of real
derivations and of the mistakes `check` replays them with."""

from fractions import Fraction

import pytest

from rnn_cli.derive.expr import ONE, Had, Sym, had, revalue, sym, transform, value_in
from rnn_cli.derive.gated import run_forward, run_grad
from rnn_cli.model.files import load
from rnn_cli.model.matrix import Mat
from rnn_cli.model.numbers import MAX_EXACT_DIGITS
from rnn_cli.teach.check import formula_of, graphs
from rnn_cli.teach.mistakes import _candidates

from conftest import problem_of

BUILT_IN = ["assignment3", "tanh_bias", "mean_half_squared", "relu_last", "relu_dead",
            "sigmoid_bce", "softmax_2unit", "lstm_1unit", "gru_2unit"]


def _long_exact():
    """Exact values whose denominators outgrow MAX_EXACT_DIGITS within a few steps (each x_t
    has its own 100-digit denominator), so that `settle` moves them to 50 digits midway."""
    xs = [f"1/{10 ** 99 + 2 * k + 1}" for k in range(14)]
    return problem_of({"params": {"w_x": 1, "w_h": "1/3", "w_y": 2, "h_0": 1},
                       "data": {"x": xs, "y": [1] * len(xs)}}, "long_exact")


def _problems():
    return [load(None, n) for n in BUILT_IN] + [_long_exact()]


def _same(a, b) -> bool:
    """Equal values of the same types, entry by entry."""
    if isinstance(a, Mat) or isinstance(b, Mat):
        return isinstance(a, Mat) and isinstance(b, Mat) and a.shape == b.shape and \
            all(_same(x, y) for x, y in zip(a.entries(), b.entries()))
    return type(a) is type(b) and a == b


def _outcome(f, *args):
    try:
        return "value", f(*args)
    except Exception as e:          # noqa: BLE001 - the same failure is part of the contract
        return "raises", type(e)


def _agree(e, env):
    want = _outcome(lambda: revalue(e, env).value)
    got = _outcome(value_in, e, env)
    assert want[0] == got[0] and (_same(want[1], got[1]) if want[0] == "value"
                                  else want[1] is got[1]), (e, want, got)


def _shifted(v):
    """Another value of the same kind: a replay's env with every step answered wrongly."""
    if isinstance(v, Mat):
        return v.map(_shifted)
    return v * Fraction(11, 10) + Fraction(1, 20)


def _derivations(p):
    """(steps, given values) of the forward pass and of the gradient of L with respect to
    every parameter, in each BPTT style the problem allows."""
    fwd = run_forward(p)
    wrts = [p.resolve(n).wrt for n in p.params]
    styles = ("paths", "delta") if p.cell == "rnn" and p.T <= 5 and not p.is_vector \
        else ("delta",)
    computed = {n for s in fwd.steps for n in (s.name, *s.same)}
    given = {n: s.value for n, s in fwd.syms.items() if n not in computed}
    out = []
    for style in styles:
        d = run_grad(fwd, p.resolve("L").wrt, wrts, style if p.cell == "rnn" else None)
        out.append((list(fwd.steps) + list(d.shared) + [s for g in d.gradients
                                                         for s in g.steps], given))
    return out


@pytest.mark.parametrize("p", _problems(), ids=lambda p: p.name)
def test_value_in_is_revalue_at_every_step(p):
    for steps, given in _derivations(p):
        env = dict(given)
        for s in steps:
            for n in (s.name, *s.same):
                env[n] = s.value
        wrong = {n: _shifted(v) for n, v in env.items()}
        for s in steps:
            for e in {id(x): x for x in (s.expr, formula_of(s))}.values():
                _agree(e, env)
                _agree(e, wrong)


@pytest.mark.parametrize("name", ["assignment3", "tanh_bias", "sigmoid_bce", "softmax_2unit",
                                  "lstm_1unit", "gru_2unit"])
def test_value_in_is_revalue_in_the_mistakes_check_replays(name):
    """The formulas the diagnosis swaps in (a factor taken as 1, a term left out, ...)."""
    p = load(None, name)
    fwd = run_forward(p)
    tried = 0
    for q in [f"dL/d{w}" for w in list(p.params)[:2]] + ["h_2", "L"]:
        for g in graphs(fwd, p.resolve(q)):
            _, env, _ = g.evaluate({})
            for _, swap, _ in _candidates(g, p, True):
                for e in swap.values():
                    _agree(e, env)
                    tried += 1
    assert tried >= 5, (name, tried)


def test_value_in_leaves_out_what_had_leaves_out():
    """A ⊙ product of ONE and of what revalues to ONE (a mistake's factor taken as 1) is
    left out by `had`; value_in leaves it out too (it may change the value's type)."""
    v = Mat([[Fraction(1, 2)], [Fraction(3)]])
    a = sym("a", v)
    ones = [ONE, Had(ONE.value, (ONE, ONE)), transform(a, lambda n: ONE)]
    for one in ones:
        e = Had(v, (a, one))
        _agree(e, {"a": v})
        assert _same(value_in(e, {}), had(a).value)
    assert value_in(Had(ONE.value, (ONE, ONE)), {}) is ONE.value


def test_settled_as_revalue_settles():
    """Past MAX_EXACT_DIGITS an exact value continues at 50 digits, in both."""
    big = Fraction(1, 3 ** 2200)
    assert len(str(big.denominator)) > MAX_EXACT_DIGITS
    e = sym("h_1", Fraction(1))
    got = value_in(e, {"h_1": big})
    assert not isinstance(got, Fraction)
    _agree(e, {"h_1": big})
    assert isinstance(value_in(Sym(Fraction(1), "h_1"), {"h_1": Fraction(1, 3)}), Fraction)
