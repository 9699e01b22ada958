"""Answers in a key: the number as written, and the rule that compares it (spec section 3).

An integer or a fraction must match exactly; a decimal matches every value that rounds to it
at the decimals it is written with (0.462: |v - 0.462| <= 0.0005); `abs`/`rel` tolerances, for
the problem or for one answer, replace that rule.
"""

from dataclasses import dataclass, replace
from decimal import Decimal, localcontext
from fractions import Fraction

from ..model.errors import InputError
from ..model.matrix import Mat
from ..model.numbers import approx_text, exact_text, is_exact, lift, parse_number
from ..model.numbers import _DECIMAL  # the same grammar of decimals as everywhere else
from .precision import Produced, produced_by

TOLERANCE_KEYS = ("abs", "rel")
FORMULA_DIGITS = 40   # an inexact formula's value matches to this many significant digits


@dataclass(frozen=True)
class Answer:
    name: str                 # as written in the key
    given: object             # a Fraction, or a Mat for a vector or matrix answer
    text: str                 # the number as written
    decimals: int | None      # None: exact (an integer or a fraction)
    abs: Fraction | None = None
    rel: Fraction | None = None
    parts: tuple = ()         # a vector or matrix answer: one Answer per entry, by rows
    produced: Produced | None = None   # printed by code in float32/float64 (precision.py)
    formula: bool = False     # `text` is a formula and `given` its value (teach/formulas.py)
    flat: bool = False        # written as a flat list [a, b]: a column, or a row (as_row)

    @property
    def rule(self) -> str:  # noqa: D401 - the rule, in words
        if self.parts:
            rules = list(dict.fromkeys(p.rule for p in self.parts))
            return rules[0] if len(rules) == 1 else "entry by entry: " + ", ".join(rules)
        return self._rule()

    def _rule(self) -> str:
        if self.abs is not None or self.rel is not None:
            parts = [f"{k} {exact_text(v)}" for k, v in (("abs", self.abs), ("rel", self.rel))
                     if v is not None]
            return "within " + " or ".join(parts)
        if self.decimals is None:
            if self.formula and not is_exact(self.given):
                return f"to {FORMULA_DIGITS} digits"
            return "exact"
        if self.produced is not None:
            return self.produced.rule()
        return f"rounded to {self.decimals} decimal{'s' if self.decimals != 1 else ''}"

    def matches(self, value) -> bool:
        """Whether `value` (exact or not) is this answer under its rule."""
        value = scalar_of(value, self)
        if self.parts or isinstance(value, Mat):
            if not (self.parts and isinstance(value, Mat) and value.shape == self.given.shape):
                return False
            return all(p.matches(v) for p, v in zip(self.parts, value.entries()))
        try:
            diff = abs(lift(value, self.given) - self.given)
        except (ArithmeticError, TypeError):
            return False
        if self.abs is not None or self.rel is not None:
            room = max(lift(self.abs or Fraction(0)),
                       lift(self.rel or Fraction(0)) * abs(lift(value)))
            return lift(diff) <= room
        if self.decimals is None:
            if self.formula and not is_exact(self.given):   # both valued at 50 digits
                return lift(diff) <= lift(Fraction(1, 10 ** FORMULA_DIGITS)) * \
                    max(1, abs(lift(value)))
            return is_exact(value) and diff == 0
        half_unit = Fraction(5, 10 ** (self.decimals + 1))
        if diff <= lift(half_unit, diff):      # Fraction and mpf do not compare directly
            return True
        return self.produced is not None and self.produced.matches(self.given, value)

    def rounded(self, value) -> str:
        """`value` written the way this answer is written (its decimals), for the report."""
        value = scalar_of(value, self)
        if self.parts and isinstance(value, Mat):
            cols, entries = value.shape[1], list(value.entries())
            rounded = [p.rounded(v) for p, v in zip(self.parts, entries)]
            if not any(rounded):        # every entry written exactly: nothing to round to
                return ""
            texts = [r or (exact_text(v) if is_exact(v) else approx_text(v, 6))
                     for r, v in zip(rounded, entries)]
            return "[" + "; ".join(" ".join(texts[i:i + cols])
                                   for i in range(0, len(texts), cols)) + "]"
        if self.decimals is None or isinstance(value, Mat):
            return ""
        if self.produced is not None:       # the right value as that arithmetic prints it
            from .precision import to_float, _fraction
            try:
                return repr(to_float(_fraction(value), self.produced.kind))
            except (ValueError, OverflowError, TypeError):
                return approx_text(value, 17)
        with localcontext() as ctx:
            ctx.prec = 60
            d = Decimal(value.numerator) / Decimal(value.denominator) if is_exact(value) \
                else Decimal(approx_text(value, 40))
            if not d.is_finite() or d.adjusted() + self.decimals + 2 > ctx.prec:
                return approx_text(value, 12)   # too long to write out to the answer's decimals
            return str(d.quantize(Decimal(1).scaleb(-self.decimals)))


def _decimals(text: str) -> int:
    exp = Decimal(text).as_tuple().exponent
    return max(0, -exp) if isinstance(exp, int) else 0


def _tolerance(table, where: str) -> tuple[Fraction | None, Fraction | None]:
    if not isinstance(table, dict):
        raise InputError("expected a table with abs and/or rel", where=where)
    for key in table:
        if key not in TOLERANCE_KEYS and key != "value":
            raise InputError(f"unknown key {key!r}; expected abs, rel (and value in an answer)",
                             where=where)
    out = []
    for key in TOLERANCE_KEYS:
        v = table.get(key)
        if v is None:
            out.append(None)
            continue
        q = parse_number(v, f"{where}.{key}")
        if q < 0:
            raise InputError(f"{key} must not be negative", where=f"{where}.{key}")
        out.append(q)
    return out[0], out[1]


def parse_answer(name: str, raw, tolerance: dict, where: str) -> Answer:
    """One answer of a key: a number, or {value = ..., abs = ..., rel = ...}."""
    tol_abs, tol_rel = _tolerance(tolerance, f"{where}.tolerance") if tolerance else (None, None)
    if isinstance(raw, dict):
        if "value" not in raw:
            raise InputError("expected { value = ..., abs = ... }", where=f"{where}: {name}")
        a, r = _tolerance(raw, f"{where}: {name}")
        if a is not None or r is not None:
            tol_abs, tol_rel = a, r
        raw = raw["value"]
    if isinstance(raw, list):
        return _array_answer(name, raw, tol_abs, tol_rel, where)
    given = parse_number(raw, f"{where}: answers.{name}")
    if isinstance(raw, bool) or isinstance(raw, int):
        text, decimals = str(raw), None
    elif isinstance(raw, Decimal):
        text, decimals = str(raw), _decimals(str(raw))
    else:
        text = raw.strip() if isinstance(raw, str) else repr(raw)
        decimals = None if "/" in text or not _DECIMAL.fullmatch(text) or \
            ("." not in text and "e" not in text.lower()) else _decimals(text)
    kind = produced_by(text, given) if decimals is not None else None
    return Answer(name, given, text, decimals, tol_abs, tol_rel,
                  produced=Produced(kind) if kind else None)


def at_depth(ans: Answer, depth: int, scale) -> Answer:
    """The answer with the error bound of a derivation `depth` steps deep (precision.py)."""
    if ans.parts:
        return replace(ans, parts=tuple(at_depth(p, depth, scale) for p in ans.parts))
    if ans.produced is None:
        return ans
    return replace(ans, produced=replace(ans.produced, depth=depth, scale=scale))


def _array_answer(name: str, raw: list, tol_abs, tol_rel, where: str) -> Answer:
    """A vector [1, 2] or a matrix [[1, 2], [3, 4]] answer, each entry with its own rule."""
    nested = all(isinstance(r, list) for r in raw)
    rows = raw if nested else [[v] for v in raw]
    if not rows or any(isinstance(v, list) for r in rows for v in r) or \
            len({len(r) for r in rows}) != 1:
        raise InputError("expected a number, a vector [a, b] or a matrix [[a, b], [c, d]]",
                         where=f"{where}: answers.{name}")
    parts = tuple(parse_answer(f"{name}[{i + 1}{f',{j + 1}' if nested else ''}]", v,
                               {}, where) for i, r in enumerate(rows) for j, v in enumerate(r))
    if tol_abs is not None or tol_rel is not None:
        parts = tuple(replace(p, abs=tol_abs, rel=tol_rel) for p in parts)
    n = len(rows[0])
    given = Mat([p.given for p in parts[i * n:(i + 1) * n]] for i in range(len(rows)))
    text = "[" + "; ".join(" ".join(p.text for p in parts[i * n:(i + 1) * n])
                           for i in range(len(rows))) + "]"
    return Answer(name, given, text, None, tol_abs, tol_rel, parts, flat=not nested)


def as_row(ans: Answer, value) -> Answer:
    """A flat list [a, b] answers a 1 x n matrix too (dL/dw_y with K = 1 is 1 x H): it says
    nothing of which way it stands. Any other answer is returned as it is."""
    if not (ans.flat and isinstance(value, Mat) and value.shape[0] == 1 < value.shape[1]
            and ans.given.shape == (value.shape[1], 1)):
        return ans
    parts = tuple(replace(p, name=f"{ans.name}[1,{j + 1}]") for j, p in enumerate(ans.parts))
    return replace(ans, given=ans.given.T, parts=parts, flat=False,
                   text="[" + " ".join(p.text for p in parts) + "]")


def as_number(ans: Answer, value) -> Answer:
    """A one-element list [a] or [[a]] answers a quantity that is one number (h_1 of a scalar
    problem) as that number: it is scored, and replayed, as `a`. Any other answer is returned
    as it is."""
    if isinstance(value, Mat) or len(ans.parts) != 1:
        return ans
    return replace(ans.parts[0], name=ans.name)


def as_written(raw) -> str:
    """A value of the key as TOML writes it: [[0.5370]], not [[Decimal('0.5370')]]."""
    if isinstance(raw, list):
        return "[" + ", ".join(as_written(v) for v in raw) + "]"
    if isinstance(raw, dict):
        return "{" + ", ".join(f"{k} = {as_written(v)}" for k, v in raw.items()) + "}"
    if isinstance(raw, bool):
        return str(raw).lower()
    return f'"{raw}"' if isinstance(raw, str) else str(raw)


def wrong_entries(ans: Answer, value) -> list[str]:
    """The entries of a vector or matrix answer that do not match, by name."""
    if not ans.parts or not isinstance(value, Mat):
        return []
    return [p.name for p, v in zip(ans.parts, value.entries()) if not p.matches(v)]


def scalar_of(value, answer):
    """A one-element vector or matrix as its number, where the answer is written as one
    number (y_hat_1 = 0.9 for a problem with K = 1)."""
    if isinstance(value, Mat) and value.shape == (1, 1) and not answer.parts:
        return value.rows[0][0]
    return value
