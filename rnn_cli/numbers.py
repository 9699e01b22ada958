"""Exact numbers from text, the functions of the model, and how values are written.

A value is a Fraction while it is exact and rational, and an mpmath number at a working
precision of 50 digits once a transcendental function (tanh, sigmoid, exp, log) enters.
"""

import re
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from .errors import BadNumber

WORKING_DIGITS = 50

# A sign, digits with an optional point and exponent, or a fraction p/q: nothing else.
_DECIMAL = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_FRACTION = re.compile(r"([+-]?\d+)\s*/\s*([+-]?\d+)")
MAX_TEXT = 400          # characters in one number: more is not a number a person typed
MAX_EXPONENT = 1000     # |e| in 1e1000: beyond it a value cannot be meant


def parse_number(value, where: str = "") -> Fraction:
    """The exact value of a TOML number, a Decimal, or a string like '0.1', '-2.5e-3', '1/3'.

    >>> parse_number("0.1") * 10
    Fraction(1, 1)
    """
    if isinstance(value, bool):
        raise BadNumber(f"expected a number, found {str(value).lower()}", where=where)
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):  # only reached from Python callers: read as its shortest repr
        value = repr(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise BadNumber(f"expected a finite number, found {value}", where=where)
        value = str(value)
    if not isinstance(value, str):
        raise BadNumber(f"expected a number, found {_kind(value)}", where=where)
    text = value.strip()
    if len(text) > MAX_TEXT:
        raise BadNumber(f"expected a number, found a string of {len(value)} characters",
                        where=where)
    if m := _FRACTION.fullmatch(text):
        p, q = int(m[1]), int(m[2])
        if q == 0:
            raise BadNumber(f"expected a number, found {text!r} (division by zero)", where=where)
        return Fraction(p, q)
    if _DECIMAL.fullmatch(text):
        try:
            d = Decimal(text)
        except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
            raise BadNumber(where=where) from None
        if abs(d.adjusted()) > MAX_EXPONENT:
            raise BadNumber(f"{text!r} is out of range (exponent beyond ±{MAX_EXPONENT})",
                            where=where)
        return Fraction(d)
    raise BadNumber(f"expected a number (like 0.1, -2.5e-3 or 1/3), found {_shorten(text)!r}",
                    where=where)


def _kind(value) -> str:
    return {list: "a list", dict: "a table"}.get(type(value), type(value).__name__)


def _shorten(text: str, n: int = 40) -> str:
    return text if len(text) <= n else text[:n] + "..."


# -- the working precision: a private mpmath context, so no global state is touched ----------

_ctx = None


def ctx():
    """The mpmath context used for every inexact value."""
    global _ctx
    if _ctx is None:
        import mpmath
        _ctx = mpmath.MPContext()
        _ctx.dps = WORKING_DIGITS
    return _ctx


def is_exact(x) -> bool:
    return isinstance(x, Fraction)


def inexact(x):
    """x as an mpmath number of the working precision."""
    if isinstance(x, Fraction):
        return ctx().mpf(x.numerator) / x.denominator
    return x


def lift(x, other=None):
    """x, made inexact where it is a Fraction and `other` is an mpmath number (Fraction - mpf
    fails), or where no `other` is named."""
    if isinstance(x, Fraction) and (other is None or hasattr(other, "_mpf_")):
        return inexact(x)
    return x


def tanh(x):
    return Fraction(0) if x == 0 else ctx().tanh(inexact(x))


def sigmoid(x):
    if x == 0:
        return Fraction(1, 2)
    c = ctx()
    return 1 / (1 + c.exp(-inexact(x)))


def relu(x):
    return x if x > 0 else Fraction(0) if is_exact(x) else x * 0


def relu_slope(x):
    """relu'(x): 1 where x > 0, else 0 (the subgradient at 0 that PyTorch takes)."""
    return Fraction(1) if x > 0 else Fraction(0)


def exp(x):
    return Fraction(1) if x == 0 else ctx().exp(inexact(x))


def log(x):
    if x <= 0:
        raise ArithmeticError(f"log of {fmt(x)}")
    return Fraction(0) if x == 1 else ctx().log(inexact(x))


FUNCTIONS = {"tanh": tanh, "sigmoid": sigmoid, "relu": relu, "relu'": relu_slope,
             "exp": exp, "log": log}


# -- writing values --------------------------------------------------------------------------

def _terminates(q: Fraction) -> bool:
    d = q.denominator
    for p in (2, 5):
        while d % p == 0:
            d //= p
    return d == 1


def exact_text(q: Fraction) -> str:
    """A rational exactly: '3', '-0.25', '7/3'."""
    if q.denominator == 1:
        return str(q.numerator)
    if _terminates(q):
        s = format(Decimal(q.numerator) / Decimal(q.denominator), "f") if q.denominator < 10**28 \
            else None
        if s is not None and len(s) <= 24:
            return s.rstrip("0").rstrip(".") if "." in s else s
    return f"{q.numerator}/{q.denominator}"


def approx_text(x, digits: int = 6) -> str:
    """x to `digits` significant digits, without trailing zeros: 0.964028, 1.5e-12."""
    if is_exact(x):
        x = inexact(x)
    c = ctx()
    if x == 0:
        return "0"
    s = c.nstr(x, digits, strip_zeros=True, min_fixed=-4, max_fixed=digits + 1)
    s = s.replace(".0e", "e")
    return s[:-2] if s.endswith(".0") else s


def fmt(x, digits: int = 6) -> str:
    """A value as a person writes it: exact when exact and short, else to `digits` digits.

    A matrix is written by rows, [1 2; 3 4]; a column vector [1; 2].
    """
    if hasattr(x, "rows"):
        return "[" + "; ".join(" ".join(fmt(v, digits) for v in r) for r in x.rows) + "]"
    if is_exact(x):
        text = exact_text(x)
        if "/" not in text or len(text) <= 12:
            return text
        return approx_text(x, digits)
    return approx_text(x, digits)


def fmt_with_decimal(x, digits: int = 6) -> str:
    """Like fmt, with a fraction's decimal value beside it: '7/3 ≈ 2.33333'."""
    if hasattr(x, "rows"):
        return fmt(x, digits)
    if is_exact(x):
        text = exact_text(x)
        if "/" not in text:
            return text
        if len(text) <= 24:
            return f"{text} ≈ {approx_text(x, digits)}"
        return f"≈ {approx_text(x, digits)}"   # exact, but too long to be worth reading
    return fmt(x, digits)


def to_float(x) -> float:
    """The nearest double (JSON numbers)."""
    if is_exact(x):
        return float(x)  # Fraction -> float rounds correctly
    return float(x)
