"""check for symbolic problems (symbols = ... in the file): each answer, a formula or a number,
is compared with the symbolic derivation's value by teach/equivalent.py. A name in a formula
stands for its expression in the problem's symbols, so a form written through h_t, an
expanded one and a factored one are all the same answer.

A wrong formula is diagnosed by value, at a random exact point: the problem is made numeric
with the symbols at that point, and the mistakes engine (mistakes.py) looks for a common
mistake that gives the formula's value there; one found is confirmed at a second point.
"""

import random
from dataclasses import replace
from fractions import Fraction

from ..model.errors import BadAnswer, InputError
from ..model.formula import _DATA, parse
from ..model.formula_values import to_sympy
from ..model.numbers import parse_number
from .answers import Answer
from .equivalent import equivalent
from .formulas import is_formula

DIAGNOSIS_POINTS = 2    # a mistake must give the formula's value at this many random points


def check_symbolic(problem, answers: dict, file: str, fwd):
    """(results, errors) of a symbolic problem's key, as check.check_problem returns them."""
    from ..derive.symbolic import symbolic_forward
    from .check import CORRECT, WRONG, Result, _invalid
    sf = symbolic_forward(fwd)
    where = problem.source
    value_of = _values(problem, fwd, sf, where)
    results, errors = [], []
    for key, raw in answers.items():
        expected = None
        try:
            name = problem.resolve(key, f"{where}: answers")
            expected = value_of(key)
            ans = _answer(key, raw, value_of, str(name), where)
        except InputError as e:        # unreadable: a verdict like any other (invalid)
            results.append(_invalid(file, problem.name, key, raw, e, expected))
            continue
        eq = equivalent(ans.given, expected)
        if eq.equal:
            note = () if eq.proved else (eq.reason,)
            results.append(Result(file, problem.name, key, ans, expected, CORRECT,
                                  "equivalent", note))
            continue
        found = tuple(_diagnose(problem, key, ans.given, sf.symbols)) + (eq.reason,)
        results.append(Result(file, problem.name, key, ans, expected, WRONG, "equivalent",
                              found))
    return results, errors


def _values(problem, fwd, sf, where: str):
    """name -> its SymPy value: data and parameters from the symbolic forward pass, a
    derivative from the symbolic chain rule (kept once computed)."""
    memo: dict = {}

    def value_of(text: str):
        if m := _DATA.fullmatch(text):
            n = f"{m[1].lower()}_{int(m[2])}"
            if n not in sf.env:
                raise BadAnswer(f"{n} is not in the problem")
            return sf.env[n]
        name = problem.resolve(text, f"{where}: answers")
        key = str(name)
        if key not in memo:
            memo[key] = _entry(_value(fwd, sf, name), (name.wrt if name.of is None
                                                      else name.of).index)
        return memo[key]

    return value_of


def _value(fwd, sf, name):
    if name.of is None:
        q = name.wrt
        return sf.env[str(type(q)(q.base, q.t))]
    from ..derive.gated import run_grad
    from ..derive.symbolic import symbolic_grad
    d = run_grad(fwd, name.of, [name.wrt], "delta")
    return symbolic_grad(d, sf).gradients[0].closed


def _entry(v, index: tuple):
    """One entry of a SymPy matrix (1-based), or v itself."""
    if not index or not hasattr(v, "shape"):
        return v
    i = index[0] - 1
    j = index[1] - 1 if len(index) == 2 else 0
    return v[i, j] if v.shape[1] > 1 or len(index) == 2 else v[i, 0]


def _answer(key: str, raw, value_of, answered: str, where: str) -> Answer:
    """The answer as a SymPy expression: a formula over the symbols and names, or a number."""
    import sympy
    at = f"{where}: answers.{key}"
    text = raw.get("value") if isinstance(raw, dict) else raw
    if not is_formula(text):
        q = parse_number(text, at)
        return Answer(key, sympy.Rational(q.numerator, q.denominator), str(text), None,
                      formula=True)
    try:
        f = parse(text)
        if answered in f.names:
            raise BadAnswer(f"the formula uses {answered}, the quantity it answers")
        e = to_sympy(f.tree, value_of)
    except BadAnswer as err:
        raise BadAnswer(err.args[0], where=at) from None
    if hasattr(e, "shape"):
        raise BadAnswer("a formula answer is one number or expression: name one entry, "
                        "such as h_1[1]", where=at)
    return Answer(key, e, f.text, None, formula=True)


# -- the mistakes engine, at random points ------------------------------------------------------

def _point(problem, symbols, rng) -> dict:
    """Each symbol (w_h, x_1, w_h[1,2]) -> an exact rational value."""
    return {s: Fraction(rng.choice([-1, 1]) * rng.randint(1, 9), rng.randint(1, 6))
            for s in symbols}


def _numeric(problem, at: dict):
    """The problem with its symbols replaced by the numbers of `at`."""
    from ..model.matrix import Mat
    params = dict(problem.params)
    x, y = list(problem.x), dict(problem.y)
    for s, v in at.items():
        base, _, rest = s.partition("[")
        if base in params:
            if rest and isinstance(params[base], Mat):
                idx = tuple(int(k) - 1 for k in rest.rstrip("]").split(","))
                rows = [list(r) for r in params[base].rows]
                i, j = idx[0], idx[1] if len(idx) == 2 else 0
                rows[i][j] = v
                params[base] = Mat(rows)
            else:
                params[base] = v
        elif base.startswith("x_"):
            x[int(base[2:]) - 1] = v
        elif base.startswith("y_"):
            y[int(base[2:])] = v
    return replace(problem, params=params, x=tuple(x), y=y, symbols=())


def _diagnose(problem, key: str, given, symbols) -> list[str]:
    """The mistakes that give the formula's value at DIAGNOSIS_POINTS random points."""
    import sympy
    from ..derive.gated import run_forward
    from .check import graphs
    from .mistakes import diagnose
    rng = random.Random(0)
    found = None
    for _ in range(DIAGNOSIS_POINTS):
        at = _point(problem, symbols, rng)
        subs = {sympy.Symbol(s): sympy.Rational(v.numerator, v.denominator)
                for s, v in at.items()}
        v = given.xreplace(subs)
        if not v.is_Rational:
            return []        # by value only where the value is exact
        try:
            p = _numeric(problem, at)
            name = p.resolve(key)
            gs = graphs(run_forward(p), name)
            expected = gs[0].evaluate({})[0]
            ans = Answer(key, Fraction(int(v.p), int(v.q)), str(v), None)
            said = diagnose(gs, ans, expected, p, {}, set())
        except (InputError, ArithmeticError, TypeError, ValueError, KeyError):
            return []
        kinds = {s.split(":")[0] for s in said}
        found = kinds if found is None else found & kinds
        if not found:
            return []
    return sorted(found)
