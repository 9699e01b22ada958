"""Whether two formulas in the problem's symbols are the same function (symbolic answer keys).

The way STACK and Numbas judge a typed formula: both sides are evaluated at several random
exact rational points (seeded, so an answer gets the same verdict on every run), which refutes
a different formula at once and says where; then SymPy simplifies the difference, which proves
the two equal. Expanded, factored and written-through-h_t forms are all equal (names such as
h_1 are replaced by their expressions in the symbols before comparing: formula_values.to_sympy
with a lookup that gives them).
"""

import random
from dataclasses import dataclass

POINTS = 5          # random points at which two formulas must agree
TRIES = 40          # points drawn at most (a point where a side is undefined is skipped)
DIGITS = 50         # a point's values are compared at this precision when not rational
AGREE = 30          # ... and agree when they differ by less than 10^-AGREE (relative)


@dataclass(frozen=True)
class Equivalence:
    equal: bool
    proved: bool = False          # SymPy reduced the difference to 0
    points: int = 0               # random points at which both sides agree
    differs_at: tuple = ()        # ((symbol name, value text), ...) where they differ

    @property
    def reason(self) -> str:
        if self.differs_at:
            at = ", ".join(f"{k} = {v}" for k, v in self.differs_at)
            return f"differs from the expected formula at {at}"
        if self.equal and not self.proved:
            return (f"equal at {self.points} random points; SymPy could not simplify the "
                    "difference to 0")
        return ""


def equivalent(a, b, points: int = POINTS, seed: int = 0) -> Equivalence:
    """Whether SymPy expressions a and b are the same function of their symbols.

    >>> import sympy
    >>> w, h = sympy.symbols("w_h h_0")
    >>> equivalent(2 * w * (h + 1), 2 * w * h + 2 * w).equal
    True
    >>> equivalent(2 * w * (h + 1), 2 * w * h).differs_at
    (('h_0', '7'), ('w_h', '9/4'))
    """
    import sympy
    d = a - b
    symbols = sorted(d.free_symbols, key=lambda s: s.name)
    rng = random.Random(seed)
    agree = 0
    for _ in range(TRIES if symbols else 1):
        at = {s: sympy.Rational(rng.choice([-1, 1]) * rng.randint(1, 9), rng.randint(1, 6))
              for s in symbols}
        same = _same_at(sympy, a, b, at)
        if same is None:
            continue                       # undefined there (a division by 0, a log of 0)
        if not same:
            return Equivalence(False, False, agree,
                               tuple((s.name, str(v)) for s, v in at.items()))
        agree += 1
        if agree >= points or not symbols:
            break
    proved = _proved(sympy, d)
    # proved equal; or, where simplification stops short, equal at every random point
    return Equivalence(proved or agree >= (points if symbols else 1), proved, agree)


def _same_at(sympy, a, b, at: dict):
    """True or False where both sides are defined at the point, else None."""
    va, vb = a.xreplace(at), b.xreplace(at)
    if va.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo) or \
            vb.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        return None
    if va.is_Rational and vb.is_Rational:
        return va == vb
    na, nb = sympy.N(va, DIGITS), sympy.N(vb, DIGITS)
    if not (na.is_number and nb.is_number) or na.has(sympy.nan, sympy.zoo) or \
            nb.has(sympy.nan, sympy.zoo):
        return None
    scale = max(1, abs(na), abs(nb))
    return bool(abs(na - nb) <= scale * sympy.Rational(1, 10 ** AGREE))


def _proved(sympy, d) -> bool:
    """Whether d simplifies to 0: expanding is enough for polynomials and rational functions,
    simplify for the rest, and tanh and sigmoid written through exp where simplify stops."""
    try:
        if sympy.expand(d) == 0 or sympy.cancel(d) == 0:
            return True
        if sympy.simplify(d) == 0:
            return True
        return sympy.simplify(d.rewrite(sympy.exp)) == 0
    except (TypeError, ValueError, RecursionError, ZeroDivisionError):  # pragma: no cover
        return False
