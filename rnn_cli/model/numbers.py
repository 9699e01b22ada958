"""Exact numbers from text, the functions of the model, and how values are written.

A value is a Fraction while it is exact and rational, and an mpmath number at a working
precision of 50 digits once a transcendental function (tanh, sigmoid, exp, log) enters.
"""

import re
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from .errors import BadNumber, Overflow

WORKING_DIGITS = 50

# A sign, digits with an optional point and exponent, or a fraction p/q: nothing else. ASCII
# digits only (a regex \d would also take Arabic-Indic or full-width digits).
_DECIMAL = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")
_FRACTION = re.compile(r"([+-]?[0-9]+)[ \t]*/[ \t]*([+-]?[0-9]+)")
MAX_TEXT = 400          # characters in one number: more is not a number a person typed
MAX_EXPONENT = 1000     # |e| in 1e1000: beyond it a value cannot be meant
_INT_LIMIT = 10 ** (MAX_EXPONENT + 1)   # a TOML integer must be below it, as 1e1000 is

# Exact values stay Fractions while their numerator and denominator have at most this many
# digits (see `settle`); beyond, exact arithmetic costs time and memory quadratic in T for
# nothing a person reads.
MAX_EXACT_DIGITS = 1000
# exp(x) for |x| beyond this is out of any meaningful range (e^1000000 has 434,295 digits)
EXP_LIMIT = 10 ** 6
# An exact value is written out in full up to this many digits (JSON's value_exact); longer
# is an overflow, reported as such rather than spending minutes converting it to decimal.
MAX_PRINT_DIGITS = 100_000


_NUMERIC_SHAPE = re.compile(r"[+\-]?[0-9_]*\.?[0-9_]*(?:[eE][+\-]?[0-9_]*)?(?:/[0-9_]*)?")


def parse_number(value, where: str = "") -> Fraction:
    """The exact value of a TOML number, a Decimal, or a string like '0.1', '-2.5e-3', '1/3'.

    >>> parse_number("0.1") * 10
    Fraction(1, 1)
    """
    if isinstance(value, bool):
        raise BadNumber(f"expected a number, found {str(value).lower()}", where=where)
    if isinstance(value, int):
        if abs(value) >= _INT_LIMIT:
            raise BadNumber(f"an integer of more than {MAX_EXPONENT + 1} digits is out of range "
                            f"(at most {MAX_EXPONENT + 1}, as 1e{MAX_EXPONENT})", where=where)
        return Fraction(value)
    if isinstance(value, float):  # only reached from Python callers: read as its shortest repr
        value = repr(value)
    from_number = isinstance(value, (Decimal, float))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise BadNumber(f"expected a finite number, found {value}", where=where)
        value = str(value)
    if not isinstance(value, str):
        raise BadNumber(f"expected a number, found {_kind(value)}", where=where)
    text = value.strip()
    was_text = not from_number and not _NUMERIC_SHAPE.fullmatch(text[:MAX_TEXT + 1])
    if len(text) > MAX_TEXT:
        found = (f"a string of {len(value):,} characters" if was_text else
                 f"a number written with {len(text):,} characters")
        raise BadNumber(f"expected a number of at most {MAX_TEXT} characters, found {found}",
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
    if text.lower().lstrip("+-") in ("nan", "inf", "infinity", "snan"):
        raise BadNumber(f"expected a finite number, found {text!r}", where=where)
    raise BadNumber(f"expected a number (like 0.1, -2.5e-3 or 1/3), found {_shorten(text)!r}",
                    where=where)


def _digits(n: int) -> int:
    """The number of decimal digits of |n| (at most one too many: no str() of a huge int)."""
    return max(1, int(abs(n).bit_length() * 0.30102999566398120) + 1)


def _kind(value) -> str:
    return {list: "a list", dict: "a table"}.get(type(value), type(value).__name__)


def _shorten(text: str, n: int = 40) -> str:
    return text if len(text) <= n else text[:n] + "..."


# -- the working precision: a private mpmath context, so no global state is touched ----------

_ctx = None
_CONVERSIONS_KEPT = 1024    # exact -> inexact conversions remembered (ctx's `convert`)


def ctx():
    """The mpmath context used for every inexact value."""
    global _ctx
    if _ctx is None:
        import mpmath
        from mpmath.libmp import from_rational
        c = mpmath.MPContext()
        c.dps = WORKING_DIGITS
        general = c.convert

        def convert(x, strings=True):
            """mpmath's own conversion, but a Fraction (an exact value meeting an inexact one,
            as in 2 * tanh(a)) is read here: mpmath reads it inside a bare `except: pass`,
            which swallows a Ctrl-C that lands there (the run goes on, or fails with a
            TypeError). Rounded the same way: p/q to the working precision. The same few
            exact numbers (the weights, the targets) meet inexact ones at every step: their
            conversions are kept (a bounded number of them)."""
            if isinstance(x, Fraction):
                prec, rounding = c._prec_rounding
                key = (x.numerator, x.denominator, prec, rounding)
                got = converted.get(key)
                if got is None:
                    got = c.make_mpf(from_rational(x.numerator, x.denominator, prec, rounding))
                    if len(converted) >= _CONVERSIONS_KEPT:
                        converted.clear()
                    converted[key] = got
                return got
            return general(x, strings)

        converted: dict = {}

        c.convert = convert   # the arithmetic of this context's numbers looks it up here
        _ctx = c
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
    if not hasattr(x, "_mpf_") and isinstance(x, Fraction) and \
            (other is None or hasattr(other, "_mpf_")):
        return inexact(x)
    return x


def settle(x):
    """x itself; or, where an exact value has outgrown MAX_EXACT_DIGITS digits (numerator or
    denominator), the same value at the working precision. Applied to every computed value
    it keeps a long exact problem (w_h = 0.9: denominators 10^t) linear in T."""
    if hasattr(x, "_mpf_"):     # inexact already (asked first: isinstance(x, Fraction) of
        return x                # anything else goes through the ABCs, many times slower)
    if isinstance(x, Fraction):
        if max(x.numerator.bit_length(), x.denominator.bit_length()) > _EXACT_BITS:
            return inexact(x)
        return x
    if hasattr(x, "rows"):
        return x.map(settle)
    return x


_EXACT_BITS = int(MAX_EXACT_DIGITS * 3.321928094887362)


def _out_of_range(what: str, x) -> Overflow:
    return Overflow(f"overflow: {what}({approx_text(x, 6)}) is out of range (the argument is "
                    f"beyond ±{EXP_LIMIT:,}: e to that power has more than 434,000 digits); "
                    "the inputs or weights are too large in magnitude")


def tanh(x):
    return Fraction(0) if x == 0 else ctx().tanh(inexact(x))


def sigmoid(x):
    if x == 0:
        return Fraction(1, 2)
    c = ctx()
    if x > 4 * WORKING_DIGITS:      # 1 / (1 + e^-x) is 1 at the working precision
        return c.one
    if x < -EXP_LIMIT:
        raise _out_of_range("sigmoid", x)
    return 1 / (1 + c.exp(-inexact(x)))


def relu(x):
    return x if x > 0 else Fraction(0) if is_exact(x) else x * 0


def relu_slope(x):
    """relu'(x): 1 where x > 0, else 0 (the subgradient at 0 that PyTorch takes)."""
    return Fraction(1) if x > 0 else Fraction(0)


def exp(x):
    if x == 0:
        return Fraction(1)
    if abs(x) > EXP_LIMIT:
        raise _out_of_range("exp", x)
    return ctx().exp(inexact(x))


def log(x):
    if x <= 0:
        raise Overflow(f"overflow: log of {fmt(x)}: a sigmoid or softmax output is 0 or 1 at "
                       f"the {WORKING_DIGITS}-digit working precision (its pre-activation is "
                       "too large in magnitude), so its cross-entropy cannot be computed")
    return Fraction(0) if x == 1 else ctx().log(inexact(x))


FUNCTIONS = {"tanh": tanh, "sigmoid": sigmoid, "relu": relu, "relu'": relu_slope,
             "exp": exp, "log": log}


# -- writing values --------------------------------------------------------------------------

def _terminates(d: int) -> bool:
    """Whether 1/d has a finite decimal expansion (d = 2^a 5^b)."""
    d >>= (d & -d).bit_length() - 1          # the factors 2, at once
    while d % 5 == 0:
        d //= 5
    return d == 1


def _int_text(n: int) -> str:
    """str(n) for any size up to MAX_PRINT_DIGITS (Python's str() stops at 4300 digits)."""
    if n.bit_length() <= 12_000:                 # about 3,600 digits: str() takes it
        return str(n)
    if n < 0:
        return "-" + _int_text(-n)
    if _digits(n) > MAX_PRINT_DIGITS:
        raise Overflow(f"overflow: an exact value of about {_digits(n):,} digits is too long "
                       f"to write out (at most {MAX_PRINT_DIGITS:,})")
    k = int((n.bit_length() - 1) * 0.30102999566398120) // 2    # 10^k <= sqrt(n), so hi >= 1
    hi, lo = divmod(n, 10 ** k)
    return _int_text(hi) + _int_text(lo).zfill(k)


def exact_text(q: Fraction) -> str:
    """A rational exactly: '3', '-0.25', '7/3'."""
    if q.denominator == 1:
        return _int_text(q.numerator)
    if q.denominator < 10**28 and _digits(q.numerator) <= 24 and _terminates(q.denominator):
        s = format(Decimal(q.numerator) / Decimal(q.denominator), "f")
        if len(s) <= 24:
            return s.rstrip("0").rstrip(".") if "." in s else s
    return f"{_int_text(q.numerator)}/{_int_text(q.denominator)}"


def _short_exact(q: Fraction, limit: int) -> str | None:
    """exact_text(q) where it is at most `limit` characters, else None (decided from the
    sizes, before any long conversion)."""
    if _digits(q.numerator) + _digits(q.denominator) > 2 * limit + 4:
        return None     # even its decimal form (if any) is longer than `limit`
    text = exact_text(q)
    return text if len(text) <= limit else None


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


SHORT_INTEGER = 40   # an exact integer longer than this is written to `digits` digits
SHOWN_INLINE = 8     # a matrix side longer than this is written by its first and last two


def fmt(x, digits: int = 6) -> str:
    """A value as a person writes it: exact when exact and short, else to `digits` digits.

    A matrix is written by rows, [1 2; 3 4]; a column vector [1; 2]. Beyond SHOWN_INLINE
    rows or columns only the first and last two are written, around a … (the JSON values
    have every entry).
    """
    if hasattr(x, "rows"):
        cut = lambda seq, f: [f(v) for v in seq[:2]] + ["…"] + [f(v) for v in seq[-2:]] \
            if len(seq) > SHOWN_INLINE else [f(v) for v in seq]
        return "[" + "; ".join(cut(x.rows, lambda r: " ".join(cut(r, lambda v: fmt(v, digits)))
                                   if r != "…" else r)) + "]"
    if is_exact(x):
        text = _short_exact(x, SHORT_INTEGER if x.denominator == 1 else 24)
        if text is not None and ("/" not in text or len(text) <= 12):
            return text
    return approx_text(x, digits)


def fmt_with_decimal(x, digits: int = 6) -> str:
    """Like fmt, with a fraction's decimal value beside it: '7/3 ≈ 2.33333'."""
    if hasattr(x, "rows"):
        return fmt(x, digits)
    if is_exact(x):
        text = _short_exact(x, SHORT_INTEGER if x.denominator == 1 else 24)
        if text is not None and "/" not in text:
            return text
        if text is not None:
            return f"{text} ≈ {approx_text(x, digits)}"
        return f"≈ {approx_text(x, digits)}"   # exact, but too long to be worth reading
    return fmt(x, digits)


def to_float(x) -> float:
    """The nearest double (JSON numbers)."""
    if is_exact(x):
        return float(x)  # Fraction -> float rounds correctly
    return float(x)
