"""Formulas as small trees. Each node carries its value, computed when it is built, so a
formula printed in symbols, printed with numbers, and its value can never disagree.

>>> h1, w = sym("h_1", 2), sym("w_y", 2)
>>> e = mul(w, h1)
>>> text(e), text(e, numeric=True), e.value
('w_y h_1', '2 × 2', 4)
"""

from dataclasses import dataclass, replace
from fractions import Fraction
from functools import reduce

from ..model import matrix as mx
from ..model import numbers as num


@dataclass(frozen=True)
class Expr:
    value: object

    def __post_init__(self):
        # an exact value past MAX_EXACT_DIGITS digits continues at the working precision, so
        # a long exact problem stays linear in T (numbers.settle)
        object.__setattr__(self, "value", num.settle(self.value))


@dataclass(frozen=True)
class Sym(Expr):
    """A named quantity: h_1, w_h, dL/dh_2."""
    name: str


@dataclass(frozen=True)
class Const(Expr):
    """A number that belongs to the formula itself, like the 2 of 2(y_hat - y)."""


@dataclass(frozen=True)
class Sum(Expr):
    terms: tuple
    bracket: bool = False   # written [ ... ], as the handwritten page writes a sum of paths


@dataclass(frozen=True)
class Diff(Expr):
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Prod(Expr):
    factors: tuple
    chain: bool = False     # a chain-rule product, written with * even in symbols


@dataclass(frozen=True)
class Quot(Expr):
    top: Expr
    bottom: Expr


@dataclass(frozen=True)
class Power(Expr):
    base: Expr
    exp: int


@dataclass(frozen=True)
class Neg(Expr):
    arg: Expr


@dataclass(frozen=True)
class Call(Expr):
    fn: str
    arg: Expr


@dataclass(frozen=True)
class Had(Expr):
    """An entry-by-entry product, a ⊙ b."""
    factors: tuple


@dataclass(frozen=True)
class Trans(Expr):
    arg: Expr


@dataclass(frozen=True)
class Diag(Expr):
    arg: Expr


@dataclass(frozen=True)
class Index(Expr):
    """One entry, v[i] or m[i,j] (1-based)."""
    arg: Expr
    index: tuple


@dataclass(frozen=True)
class More(Expr):
    """The terms of a long sum for steps first..last, not written out: only their total."""
    first: int
    last: int

    @property
    def label(self) -> str:
        return f"[{self.last - self.first + 1} more terms, t = {self.first}..{self.last}]"


ONE = Const(Fraction(1))


def sym(name: str, value) -> Sym:
    return Sym(value, name)


def const(value) -> Const:
    return Const(Fraction(value) if isinstance(value, int) else value)


# -- the arithmetic of each node, shared by the builders below and by `value_in` --------------

def _total(values: list):
    return reduce(lambda a, b: a + b, values)


def _product(values: list):
    return reduce(mx.times, values)


def _hadamard(values: list):
    return reduce(mx.hadamard, values)


def _difference(a, b):
    return num.lift(a, b) - b


def _quotient(a, b):
    return num.lift(a, b) / b


def _entry(v, i: tuple):
    return mx.entry(v, i) if isinstance(v, mx.Mat) else v


def _kept(factors) -> tuple:
    """The factors a product writes: a None factor, or the ONE of an empty product, is left out."""
    return tuple(f for f in factors if f is not None and f is not ONE)


def add(*terms: Expr, bracket: bool = False) -> Expr:
    if len(terms) == 1:
        return terms[0]
    return Sum(_total([t.value for t in terms]), tuple(terms), bracket)


def sub(a: Expr, b: Expr) -> Diff:
    return Diff(_difference(a.value, b.value), a, b)


def mul(*factors: Expr | None, chain: bool = False) -> Expr:
    """The product of the factors; a None factor, or the ONE of an empty product, is left out."""
    fs = _kept(factors)
    if len(fs) < 2:
        return fs[0] if fs else ONE
    return Prod(_product([f.value for f in fs]), fs, chain)


def had(*factors: Expr | None) -> Expr:
    """The entry-by-entry product (for numbers, the product); None factors are left out."""
    fs = _kept(factors)
    if len(fs) < 2:
        return fs[0] if fs else ONE
    value = _hadamard([f.value for f in fs])
    if not any(isinstance(f.value, mx.Mat) for f in fs):
        return Prod(value, fs, True)
    return Had(value, fs)


def trans(a: Expr) -> Expr:
    return Trans(mx.transpose(a.value), a) if isinstance(a.value, mx.Mat) else a


def diag(a: Expr) -> Diag:
    return Diag(mx.diag(a.value), a)


def index(a: Expr, i: tuple) -> Expr:
    return Index(_entry(a.value, i), a, i) if isinstance(a.value, mx.Mat) else a


def div(a: Expr, b: Expr) -> Quot:
    return Quot(_quotient(a.value, b.value), a, b)


def power(base: Expr, n: int) -> Power:
    return Power(base.value ** n, base, n)


def neg(a: Expr) -> Neg:
    return Neg(-a.value, a)


def call(fn: str, arg: Expr) -> Call:
    return Call(_apply(fn, arg.value), fn, arg)


def _apply(fn: str, v):
    """A function of the model on a number, or on every entry of a matrix (softmax and sum
    take the whole vector)."""
    if fn == "softmax":
        es = v.map(num.exp)
        return es / mx.total(es)
    if fn == "sum":
        return mx.total(v)
    f = num.FUNCTIONS[fn]
    return v.map(f) if isinstance(v, mx.Mat) else f(v)


# -- printing ---------------------------------------------------------------------------------

_PREC = {Sum: 1, Diff: 1, Neg: 2, Prod: 3, Quot: 3, Had: 3, Power: 5, Trans: 6}
MAX_TERMS = 6   # a longer sum prints its first and last two terms around "..."


def _prec(e: Expr, numeric: bool) -> int:
    if isinstance(e, Index) and numeric or isinstance(e, (Sym, Const, More)):
        v = e.value
        if isinstance(v, mx.Mat):
            return 9
        if isinstance(e, Const) or numeric:
            text = num.fmt(v)
            if text.startswith("-"):
                return 2
            if "/" in text:
                return 3
    return _PREC.get(type(e), 9)


def text(e: Expr, numeric: bool = False, digits: int = 6, all_terms: bool = False,
         star: bool = False) -> str:
    """The formula in symbols, or with every named quantity replaced by its value.

    `star` writes every product with * (w_h * h_1), as a sentence quoting a formula does.
    """

    in_chain = [False]   # inside a chain-rule product, numbers multiply with * too

    def show(e: Expr, lead: bool = True) -> str:
        """`lead`: e stands first in its expression, where a minus needs no parentheses."""
        if isinstance(e, Const) or (numeric and isinstance(e, Sym)):
            return num.fmt(e.value, digits)
        if isinstance(e, Sym):
            return e.name
        if isinstance(e, More):
            return num.fmt(e.value, digits) if numeric else e.label
        if isinstance(e, Sum):
            parts = [wrap(t, 1, first=lead and i == 0) for i, t in enumerate(e.terms)]
            if len(parts) > MAX_TERMS and not all_terms:
                parts = parts[:2] + [f"... ({len(parts) - 4} more terms)"] + parts[-2:]
            body = " + ".join(parts)
            return f"[{body}]" if e.bracket else body
        if isinstance(e, Diff):
            return f"{wrap(e.left, 1, first=lead)} - {wrap(e.right, 2)}"
        if isinstance(e, Neg):
            return f"-{wrap(e.arg, 3)}"
        if isinstance(e, Prod):
            outer = in_chain[0]
            in_chain[0] = outer or e.chain
            out = wrap(e.factors[0], 3, first=lead)
            for prev, f in zip(e.factors, e.factors[1:]):
                piece = wrap(f, 3)
                if isinstance(prev, Const) and not e.chain and piece.startswith("("):
                    out += piece                       # 2(y_hat - y)
                elif e.chain or star or numeric and in_chain[0]:
                    out += " * " + piece
                else:
                    out += (" × " if numeric else " ") + piece
            in_chain[0] = outer
            return out
        if isinstance(e, Quot):
            return f"{wrap(e.top, 3, first=lead)} / {wrap(e.bottom, 4)}"
        if isinstance(e, Power):
            return f"{wrap(e.base, 6)}^{e.exp}"
        if isinstance(e, Call):
            return f"{e.fn}({show(e.arg)})"
        if isinstance(e, Had):
            return " ⊙ ".join(wrap(f, 3, first=lead and i == 0) for i, f in enumerate(e.factors))
        if isinstance(e, Trans):
            inner = wrap(e.arg, 6)
            return f"({inner})^T" if "/" in inner and not inner.startswith("(") else f"{inner}^T"
        if isinstance(e, Diag):
            return f"diag({show(e.arg)})"
        if isinstance(e, Index):
            if numeric:
                return num.fmt(e.value, digits)
            inner = show(e.arg)
            inner = f"({inner})" if "/" in inner or not isinstance(e.arg, Sym) else inner
            return f"{inner}[{','.join(map(str, e.index))}]"
        raise TypeError(e)  # pragma: no cover

    def wrap(e: Expr, need: int, first: bool = False) -> str:
        s = show(e, lead=first)
        p = _prec(e, numeric)
        if p == 2:   # a minus: bare where it leads, in parentheses anywhere else
            return s if first and need <= 3 else f"({s})"
        if isinstance(e, Sum) and e.bracket:
            return s
        return f"({s})" if p < need else s

    return show(e)


# -- walking and re-evaluating ----------------------------------------------------------------

# the fields of each kind of node that hold its sub-formulas (a tuple field holds several);
# a Sym, Const or More is a leaf
_CHILDREN = {Sum: ("terms",), Prod: ("factors",), Had: ("factors",), Diff: ("left", "right"),
             Quot: ("top", "bottom"), Power: ("base",), Neg: ("arg",), Call: ("arg",),
             Trans: ("arg",), Diag: ("arg",), Index: ("arg",)}


def children(e: Expr) -> tuple:
    out: tuple = ()
    for field in _CHILDREN.get(type(e), ()):
        c = getattr(e, field)
        out += c if isinstance(c, tuple) else (c,)
    return out


def walk(e: Expr):
    """Every node of the tree, parents before children."""
    yield e
    for c in children(e):
        yield from walk(c)


def names(e: Expr) -> set[str]:
    """The names of the quantities a formula reads (a stack, not `walk`'s generators: the
    replays of `check` ask it of every step)."""
    found, todo = set(), [e]
    while todo:
        n = todo.pop()
        if isinstance(n, Sym):
            found.add(n.name)
        else:
            todo += children(n)
    return found


def transform(e: Expr, fn) -> Expr:
    """The tree with each node replaced by fn(node) where that is not None (values are
    recomputed by `revalue`, not here)."""
    new = fn(e)
    if new is not None:
        return new
    fields = _CHILDREN.get(type(e))
    if not fields:
        return e
    changed = {}
    for field in fields:
        c = getattr(e, field)
        changed[field] = tuple(transform(x, fn) for x in c) if isinstance(c, tuple) \
            else transform(c, fn)
    return replace(e, **changed)


def revalue(e: Expr, env: dict) -> Expr:
    """The same formula with every quantity read from `env` (name -> value) and every value
    above it computed again."""
    if isinstance(e, Sym):
        return Sym(env.get(e.name, e.value), e.name)
    if isinstance(e, (Const, More)):
        return e
    if isinstance(e, Sum):
        return add(*(revalue(t, env) for t in e.terms), bracket=e.bracket)
    if isinstance(e, Prod):      # every factor kept, even a 1, so the formula reads the same
        fs = tuple(revalue(f, env) for f in e.factors)
        return Prod(_product([f.value for f in fs]), fs, e.chain)
    if isinstance(e, Had):
        return had(*(revalue(f, env) for f in e.factors))
    if isinstance(e, Trans):
        return trans(revalue(e.arg, env))
    if isinstance(e, Diag):
        return diag(revalue(e.arg, env))
    if isinstance(e, Index):
        return index(revalue(e.arg, env), e.index)
    if isinstance(e, Diff):
        return sub(revalue(e.left, env), revalue(e.right, env))
    if isinstance(e, Quot):
        return div(revalue(e.top, env), revalue(e.bottom, env))
    if isinstance(e, Power):
        return power(revalue(e.base, env), e.exp)
    if isinstance(e, Neg):
        return neg(revalue(e.arg, env))
    if isinstance(e, Call):
        return call(e.fn, revalue(e.arg, env))
    raise TypeError(e)  # pragma: no cover


def _is_one(e: Expr) -> bool:
    """Whether revalue(e, env) is ONE itself, which `had` leaves out of a product (so does
    value_in): ONE, or a ⊙ product, a one-term sum, a transpose or an entry of nothing else."""
    if e is ONE:
        return True
    if isinstance(e, Had):
        return all(_is_one(f) for f in e.factors)
    if isinstance(e, Sum):
        return len(e.terms) == 1 and _is_one(e.terms[0])
    return isinstance(e, (Trans, Index)) and _is_one(e.arg)


def value_in(e: Expr, env: dict):
    """revalue(e, env).value, without building the tree again: the same arithmetic node by
    node (each value settled as a node settles it), only the values kept."""
    kind = type(e)
    if kind is Sym:
        return num.settle(env.get(e.name, e.value))
    if kind is Const or kind is More:
        return e.value
    if kind is Sum:
        v = _total([value_in(t, env) for t in e.terms])
    elif kind is Prod:
        v = _product([value_in(f, env) for f in e.factors])
    elif kind is Had:
        vs = [value_in(f, env) for f in e.factors if not _is_one(f)]
        v = _hadamard(vs) if vs else ONE.value
    elif kind is Trans:
        v = mx.transpose(value_in(e.arg, env))
    elif kind is Diag:
        v = mx.diag(value_in(e.arg, env))
    elif kind is Index:
        v = _entry(value_in(e.arg, env), e.index)
    elif kind is Diff:
        v = _difference(value_in(e.left, env), value_in(e.right, env))
    elif kind is Quot:
        v = _quotient(value_in(e.top, env), value_in(e.bottom, env))
    elif kind is Power:
        v = value_in(e.base, env) ** e.exp
    elif kind is Neg:
        v = -value_in(e.arg, env)
    elif kind is Call:
        v = _apply(e.fn, value_in(e.arg, env))
    else:
        raise TypeError(e)  # pragma: no cover
    return num.settle(v)
