"""Precision from how a number was produced: a key printed by code in float32 or float64.

A value written with more significant digits than float32 holds (FLOAT_DIGITS or more) was
not rounded by hand: it is what `w.grad.item()` or `print(x)` printed. It is judged at the
precision of the arithmetic that made it:

- float32 when the number is a float32 value (its double is exactly a float32, as a
  PyTorch `.item()` of a float32 tensor prints it, or it is the shortest text of a float32);
- float64 otherwise, where it has at most 17 significant digits (a double's text has no
  more; a longer number was computed in higher precision and is judged as written).

It matches when it equals the exact value rounded to that format, or lies within the error
such a computation can accumulate. Each step of a derivation (a_t, h_t, a chain-rule factor,
...) is a handful of roundings, each off by at most a unit in the last place relative to the
numbers it combines; the first-order bound for `depth` steps is

    |given - exact| <= depth * eps * max(|exact|, scale)

with eps = 2^-23 (float32) or 2^-52 (float64), depth the number of steps the answer depends
on, and scale the largest magnitude among those steps' values (a sum's rounding is relative
to its terms, not to a result that cancels).
"""

import math
import struct
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

FLOAT_DIGITS = 9                   # significant digits beyond what float32 holds
DOUBLE_DIGITS = 17                 # the most a double's shortest text has
EPS = {"float32": Fraction(1, 2 ** 23), "float64": Fraction(1, 2 ** 52)}


@dataclass(frozen=True)
class Produced:
    """How a key's number was made: `kind` float32 or float64; `depth` steps; `scale`."""
    kind: str
    depth: int = 1
    scale: Fraction = Fraction(0)

    def room(self, exact: Fraction) -> Fraction:
        return self.depth * EPS[self.kind] * max(abs(exact), self.scale)

    def rule(self) -> str:
        eps = "1.2e-7" if self.kind == "float32" else "2.2e-16"
        return f"{self.kind} precision: rel {eps} x depth {self.depth}"

    def matches(self, given: Fraction, exact) -> bool:
        """Whether a number computed in this arithmetic could print as `given`."""
        try:
            q = _fraction(exact)
        except (ValueError, OverflowError, TypeError):
            return False
        if to_float(q, self.kind) == to_float(given, self.kind):
            return True
        return abs(given - q) <= self.room(q)


def significant(text: str) -> int:
    """Significant digits of a decimal as written: 8.188806533813477 has 16."""
    try:
        d = Decimal(text.strip())
    except ArithmeticError:
        return 0
    if not d.is_finite():
        return 0
    return len("".join(map(str, d.as_tuple().digits)).lstrip("0"))


def produced_by(text: str, value: Fraction) -> str | None:
    """'float32' or 'float64' for a number printed by code, None for one rounded by hand."""
    if significant(text) < FLOAT_DIGITS:
        return None
    try:
        f = float(value)
    except OverflowError:
        return None
    if not math.isfinite(f):
        return None
    single = to_float(value, "float32")
    if math.isfinite(single) and (f == single or Fraction(_shortest32(single)) == value):
        return "float32"
    # a double prints in at most 17 digits: more were computed in higher precision, and
    # are judged as written
    return "float64" if significant(text) <= DOUBLE_DIGITS else None


def to_float(q: Fraction, kind: str) -> float:
    """q rounded to the nearest double, then (float32) to the nearest single."""
    try:
        f = float(q)
    except OverflowError:
        return math.inf if q > 0 else -math.inf
    if kind == "float32":
        try:
            return struct.unpack("f", struct.pack("f", f))[0]
        except OverflowError:
            return math.inf if f > 0 else -math.inf
    return f


def _shortest32(f: float) -> str:
    """The shortest decimal that reads back as this float32 (as numpy prints it)."""
    for digits in range(1, 10):
        s = f"{f:.{digits}g}"
        if to_float(Fraction(s), "float32") == f:
            return s
    return repr(f)


def _fraction(x) -> Fraction:
    if isinstance(x, Fraction):
        return x
    if hasattr(x, "_mpf_"):            # (sign, mantissa, exponent, bits): exactly its value
        sign, man, exp, _ = x._mpf_
        if not man and exp:
            raise ValueError("not a finite number")
        q = Fraction(int(man)) * (Fraction(2) ** int(exp))
        return -q if sign else q
    return Fraction(x)


def depth_and_scale(graph) -> tuple[int, Fraction]:
    """The number of steps an answer depends on, and the largest magnitude among them."""
    _, env, _ = graph.evaluate({})
    graph.reads(())                     # fills memo["upstream"]
    upstream = graph.memo.get("upstream", set())
    names = {s.name for s in graph.steps if s.name in upstream or set(s.same) & upstream}
    scale = Fraction(0)
    for n in names | (upstream & set(graph.given)):
        v = env.get(n)
        if hasattr(v, "entries"):
            vs = list(v.entries())
        else:
            vs = [v]
        for x in vs:
            try:
                scale = max(scale, abs(_fraction(x)))
            except (ValueError, OverflowError, TypeError):
                continue
    return max(1, len(names)), scale
