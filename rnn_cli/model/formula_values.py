"""What a formula tree (formula.py) stands for: its value with the problem's numbers (exact
Fractions while exact, else the 50-digit working precision), or its SymPy expression.

Both walk the tree with an explicit stack (a sum of 500 terms is a tree 500 deep), and check
every power before computing it: the exponent is at most MAX_POWER, and a power whose exact
value would outgrow the exact-digit limit continues at the working precision.
"""

from fractions import Fraction
from math import isqrt

from . import numbers as num
from .errors import InputError
from .formula import MAX_POWER, Bin, Fn, Neg, Num, Pow, Ref, bad

MAX_SYMBOLIC_POWER = 10   # (w_h + w_x + ...)^n expanded has too many terms beyond this
_EXACT_BITS = int(num.MAX_EXACT_DIGITS * 3.321928094887362)


def _fold(tree, leaf, combine):
    """Post-order over the tree without recursion: leaf(node) for Num and Ref,
    combine(node, values of its children) for the others."""
    out: list = []
    todo = [(tree, False)]
    while todo:
        node, ready = todo.pop()
        if isinstance(node, (Num, Ref)):
            out.append(leaf(node))
            continue
        kids = (node.left, node.right) if isinstance(node, Bin) else \
            (node.base, node.exp) if isinstance(node, Pow) else (node.arg,)
        if ready:
            args = out[len(out) - len(kids):]
            del out[len(out) - len(kids):]
            out.append(combine(node, args))
        else:
            todo.append((node, True))
            todo += [(k, False) for k in reversed(kids)]
    return out[0]


# -- numbers ------------------------------------------------------------------------------------

def value(tree, lookup):
    """The formula's value; lookup(name) gives each quantity's (a Fraction or an mpf).

    >>> from rnn_cli.model.formula import parse
    >>> value(parse("2*(y_hat_2 - y_2)*w_y*(h_1 + w_h*h_0)").tree,
    ...       {"y_hat_2": 6, "y_2": 5, "w_y": 2, "h_1": 2, "w_h": 1, "h_0": 1}.get)
    Fraction(12, 1)
    """
    def leaf(n):
        if isinstance(n, Num):
            return n.value
        v = lookup(n.name)
        if hasattr(v, "rows"):
            raise bad(f"{n.name} is a vector or a matrix; a formula answer is one number: "
                      f"name one entry, such as {n.name}[1]")
        return Fraction(v) if isinstance(v, int) else v

    try:
        return _fold(tree, leaf, _combine)
    except ZeroDivisionError:
        raise bad("division by zero") from None
    except InputError as e:
        raise bad(e.args[0]) from None
    except (OverflowError, ValueError) as e:   # mpmath's own range errors
        raise bad(f"cannot be evaluated: {e}") from None


def _combine(node, args):
    if isinstance(node, Neg):
        return -args[0]
    if isinstance(node, Bin):
        a, b = num.lift(args[0], args[1]), num.lift(args[1], args[0])
        if node.op == "/" and b == 0:
            raise bad("division by zero")
        return num.settle({"+": a + b, "-": a - b, "*": a * b}[node.op] if node.op != "/"
                          else a / b)
    if isinstance(node, Pow):
        return num.settle(_power(*args))
    return _function(node.fn, args[0])


def _power(a, n):
    if abs(n) > MAX_POWER:
        raise bad(f"an exponent of {num.fmt(n)} is beyond ±{MAX_POWER}")
    if num.is_exact(n) and n.denominator == 1:
        k = int(n)
        if a == 0 and k < 0:
            raise bad("division by zero (0 to a negative power)")
        if num.is_exact(a) and max(a.numerator.bit_length(), a.denominator.bit_length()) \
                * abs(k) > _EXACT_BITS:
            return num.inexact(a) ** k      # too long to keep exact: 50 digits, as elsewhere
        return a ** k
    if a < 0:
        raise bad("a negative number to a fractional power")
    if a == 0:
        if n > 0:
            return Fraction(0)
        raise bad("division by zero (0 to a negative power)")
    if num.is_exact(a) and num.is_exact(n) and n.denominator == 2:   # exact square roots
        p, q = isqrt(a.numerator), isqrt(a.denominator)
        if p * p == a.numerator and q * q == a.denominator and abs(n.numerator) <= MAX_POWER:
            return Fraction(p, q) ** n.numerator
    return num.ctx().power(num.inexact(a), num.inexact(n))


def _function(fn: str, x):
    if fn == "sqrt":
        return _power(x, Fraction(1, 2))
    if fn == "log" and x <= 0:
        raise bad(f"log of {num.fmt(x)}: log is defined for positive numbers only")
    if fn == "tanh'":
        t = num.tanh(x)
        return 1 - t * t
    if fn == "sigmoid'":
        s = num.sigmoid(x)
        return s * (1 - s)
    return num.FUNCTIONS[fn](x)


# -- SymPy -------------------------------------------------------------------------------------

def to_sympy(tree, lookup):
    """The formula as a SymPy expression; lookup(name) gives each quantity's (a symbol, or its
    expression in the problem's symbols).

    >>> from rnn_cli.model.formula import parse
    >>> import sympy
    >>> w = sympy.Symbol("w_h")
    >>> to_sympy(parse("w_h² + 2·w_h").tree, {"w_h": w}.get)
    w_h**2 + 2*w_h
    """
    import sympy

    def leaf(n):
        if isinstance(n, Num):
            return sympy.Rational(n.value.numerator, n.value.denominator)
        return lookup(n.name)

    def combine(node, args):
        if isinstance(node, Neg):
            return -args[0]
        if isinstance(node, Bin):
            a, b = args
            if node.op == "/":
                if b.is_zero:
                    raise bad("division by zero")
                return a / b
            return {"+": a + b, "-": a - b, "*": a * b}[node.op]
        if isinstance(node, Pow):
            return _sympy_power(sympy, *args)
        x = args[0]
        sig = lambda v: 1 / (1 + sympy.exp(-v))
        return {"tanh": sympy.tanh, "exp": sympy.exp, "log": sympy.log, "sqrt": sympy.sqrt,
                "sigmoid": sig, "tanh'": lambda v: 1 - sympy.tanh(v) ** 2,
                "sigmoid'": lambda v: sig(v) * (1 - sig(v))}[node.fn](x)

    return _fold(tree, leaf, combine)


def _sympy_power(sympy, a, n):
    if n.is_Number:
        if abs(n) > MAX_POWER:
            raise bad(f"an exponent of {n} is beyond ±{MAX_POWER}")
        if a.free_symbols and abs(n) > MAX_SYMBOLIC_POWER:
            raise bad(f"a power of an expression in symbols is at most {MAX_SYMBOLIC_POWER}: "
                      f"found {n}")
        if a.is_Rational and n.is_Integer:
            if a == 0 and n < 0:
                raise bad("division by zero (0 to a negative power)")
            bits = max(int(a.p).bit_length(), int(a.q).bit_length()) * abs(int(n))
            if bits > _EXACT_BITS:
                raise bad(f"a power of about {int(bits * 0.30103):,} digits is too large "
                          "(at most {num.MAX_EXACT_DIGITS:,} exact digits)")
    return a ** n
