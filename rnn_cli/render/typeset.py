"""One walk over a formula tree for the two typeset languages, LaTeX and MathML.

The walk decides what the mathematics decides: which sub-formula needs brackets (by the
precedence of expr._prec), where a long sum is shortened, how the factors of a product are
joined. A language (latex.LATEX, html.MATHML) only says how it writes each kind of node from
its parts already written, so the page and the notebook can never bracket a formula apart.
expr.text, the one-line form, brackets differently (a fraction there is a slash, not a bar)
and keeps its own walk.
"""

from ..derive.expr import (MAX_TERMS, Call, Const, Diag, Diff, Had, Index, More, Neg, Power,
                           Prod, Quot, Sum, Sym, Trans, _prec)


class Dialect:
    """How one language writes each kind of node, given its parts already written."""

    opens = "("   # how a part in brackets starts: after a number it needs no sign, 2(y_hat - y)

    def number(self, v, digits: int) -> str:
        raise NotImplementedError

    def name(self, n: str) -> str:
        raise NotImplementedError

    def fence(self, s: str) -> str:
        """s in round brackets."""
        raise NotImplementedError

    def more(self, e: More) -> str:
        """The terms of a long sum not written out, in symbols."""
        raise NotImplementedError

    def gap(self, n: int) -> str:
        """The n middle terms a shortened sum leaves out."""
        raise NotImplementedError

    def sum(self, parts: list[str], bracket: bool) -> str:
        raise NotImplementedError

    def diff(self, left: str, right: str) -> str:
        raise NotImplementedError

    def neg(self, arg: str) -> str:
        raise NotImplementedError

    def joint(self, chain: bool, numeric: bool) -> str:
        """What stands between two factors: a chain-rule product's dot, a times sign between
        numbers, else (in symbols) nothing visible."""
        raise NotImplementedError

    def prod(self, body: str) -> str:
        raise NotImplementedError

    def quot(self, top: str, bottom: str) -> str:
        raise NotImplementedError

    def power(self, base: str, exp: int) -> str:
        raise NotImplementedError

    def call(self, fn: str, arg: str) -> str:
        raise NotImplementedError

    def had(self, parts: list[str]) -> str:
        raise NotImplementedError

    def trans(self, arg: str) -> str:
        raise NotImplementedError

    def diag(self, arg: str) -> str:
        raise NotImplementedError

    def index(self, arg: str, index: tuple) -> str:
        raise NotImplementedError


def typeset(e, d: Dialect, numeric: bool, digits: int, rename, all_terms: bool) -> str:
    """The formula `e` in the language `d`, in symbols (named by `rename`) or with the numbers;
    without `all_terms` a sum longer than MAX_TERMS shows its first and last two terms."""

    def show(e, lead=True) -> str:
        """`lead`: e stands first in its expression, where a minus needs no brackets."""
        if isinstance(e, Const) or (numeric and isinstance(e, (Sym, Index))):
            return d.number(e.value, digits)
        if isinstance(e, Sym):
            return d.name(rename(e.name))
        if isinstance(e, More):
            return d.number(e.value, digits) if numeric else d.more(e)
        if isinstance(e, Sum):
            parts = [wrap(t, 1, lead and i == 0) for i, t in enumerate(e.terms)]
            if len(parts) > MAX_TERMS and not all_terms:
                parts = parts[:2] + [d.gap(len(parts) - 4)] + parts[-2:]
            return d.sum(parts, e.bracket)
        if isinstance(e, Diff):
            return d.diff(wrap(e.left, 1, lead), wrap(e.right, 2))
        if isinstance(e, Neg):
            return d.neg(wrap(e.arg, 3))
        if isinstance(e, Prod):
            out = wrap(e.factors[0], 3, lead)
            for prev, f in zip(e.factors, e.factors[1:]):
                piece = wrap(f, 3)
                # a number before a bracket multiplies it with no sign between: 2(y_hat - y)
                tight = isinstance(prev, Const) and piece.startswith(d.opens) and not e.chain
                out += ("" if tight else d.joint(e.chain, numeric)) + piece
            return d.prod(out)
        if isinstance(e, Quot):
            return d.quot(show(e.top), show(e.bottom))
        if isinstance(e, Power):
            return d.power(wrap(e.base, 6), e.exp)
        if isinstance(e, Call):
            return d.call(e.fn, show(e.arg))
        if isinstance(e, Had):
            return d.had([wrap(f, 3, lead and i == 0) for i, f in enumerate(e.factors)])
        if isinstance(e, Trans):
            return d.trans(wrap(e.arg, 6))
        if isinstance(e, Diag):
            return d.diag(show(e.arg))
        if isinstance(e, Index):
            return d.index(wrap(e.arg, 6), e.index)
        raise TypeError(e)  # pragma: no cover

    def wrap(e, need: int, first: bool = False) -> str:
        """e written where its surroundings bind with strength `need`: in brackets if it
        binds less tightly."""
        s = show(e, first)
        p = _prec(e, numeric)
        if p == 2:   # a minus: bare where it leads, in brackets anywhere else
            return s if first and need <= 3 else d.fence(s)
        if isinstance(e, Sum) and e.bracket or isinstance(e, Quot):
            return s     # set apart already, by its square brackets or its fraction bar
        if isinstance(e, Sym) and "/" in e.name and need >= 6:
            return d.fence(s)    # a derivative raised to a power or transposed: (dL/dh)^T
        return d.fence(s) if p < need else s

    return show(e)
