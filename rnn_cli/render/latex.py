"""LaTeX: each step as an align* line, symbols = numbers = value, as the handwritten page.

The printer walks the same formula trees as expr.text, in LaTeX's own words.
"""

import re

from .. import numbers as num
from ..expr import (Call, Const, Diag, Diff, Had, Index, More, Neg, Power, Prod, Quot, Sum, Sym,
                    Trans, _prec)
from .rows import View, visible

FUNCTIONS = {"tanh": r"\tanh", "log": r"\log", "exp": r"\exp", "sigmoid": r"\sigma",
             "softmax": r"\operatorname{softmax}", "relu": r"\operatorname{relu}",
             "relu'": r"\operatorname{relu}'", "sum": r"\textstyle\sum"}
_STEP = re.compile(r"(y_hat|[A-Za-z]+)_(\d+|[a-z]+)(\[[\d,]+\])?")


def name(n: str) -> str:
    """A quantity's name in LaTeX: y_hat_2 -> \\hat{y}_{2}, dL_2/dw_h -> a fraction."""
    if "/" in n:
        top, _, bottom = n.partition("/")
        note = ""
        if bottom.endswith(" (direct)"):
            bottom, note = bottom[:-9], r"\big|_{\text{direct}}"
        return rf"\frac{{\partial {name(top[1:])}}}{{\partial {name(bottom[1:])}}}{note}"

    def one(m):
        # a gate's two letters (og_1, ai_1) are one name, not a product
        base = r"\hat{y}" if m[1] == "y_hat" else m[1] if len(m[1]) == 1 \
            else rf"\mathit{{{m[1]}}}"
        idx = f"[{m[3][1:-1]}]" if m[3] else ""
        return f"{base}_{{{m[2]}}}{idx}"
    return _STEP.sub(one, n)


def number(v, digits: int) -> str:
    if hasattr(v, "rows"):
        body = r" \\ ".join(" & ".join(number(x, digits) for x in r) for r in v.rows)
        return rf"\begin{{bmatrix}} {body} \end{{bmatrix}}"
    text = num.fmt(v, digits)
    if "/" in text:
        p, q = text.split("/")
        return rf"\frac{{{p}}}{{{q}}}" if not p.startswith("-") else rf"-\frac{{{p[1:]}}}{{{q}}}"
    if "e" in text:
        mant, exp = text.split("e")
        return rf"{mant} \times 10^{{{int(exp)}}}"
    return text


def latex(e, numeric: bool = False, digits: int = 6, rename=lambda n: n) -> str:
    """A formula in LaTeX, in symbols or with the numbers substituted; `rename` maps the
    canonical names to a notation's."""

    def show(e, lead=True) -> str:
        if isinstance(e, Const) or (numeric and isinstance(e, (Sym, Index))):
            return number(e.value, digits)
        if isinstance(e, Sym):
            return name(rename(e.name))
        if isinstance(e, More):
            return number(e.value, digits) if numeric else \
                rf"\sum_{{t={e.first}}}^{{{e.last}}} \cdots"
        if isinstance(e, Sum):
            body = " + ".join(wrap(t, 1, lead and i == 0) for i, t in enumerate(e.terms))
            return rf"\left[{body}\right]" if e.bracket else body
        if isinstance(e, Diff):
            return f"{wrap(e.left, 1, lead)} - {wrap(e.right, 2)}"
        if isinstance(e, Neg):
            return f"-{wrap(e.arg, 3)}"
        if isinstance(e, Prod):
            out = wrap(e.factors[0], 3, lead)
            for prev, f in zip(e.factors, e.factors[1:]):
                piece = wrap(f, 3)
                joint = r" \cdot " if e.chain else (r" \times " if numeric else " ")
                out += ("" if isinstance(prev, Const) and piece.startswith(r"\left(") and
                        not e.chain else joint) + piece
            return out
        if isinstance(e, Quot):
            return rf"\frac{{{show(e.top)}}}{{{show(e.bottom)}}}"
        if isinstance(e, Power):
            return f"{wrap(e.base, 6)}^{{{e.exp}}}"
        if isinstance(e, Call):
            return rf"{FUNCTIONS.get(e.fn, e.fn)}\left({show(e.arg)}\right)"
        if isinstance(e, Had):
            return r" \odot ".join(wrap(f, 3, lead and i == 0) for i, f in enumerate(e.factors))
        if isinstance(e, Trans):
            return rf"{wrap(e.arg, 6)}^{{\top}}"
        if isinstance(e, Diag):
            return rf"\operatorname{{diag}}\left({show(e.arg)}\right)"
        if isinstance(e, Index):
            return f"{wrap(e.arg, 6)}_{{{','.join(map(str, e.index))}}}"
        raise TypeError(e)  # pragma: no cover

    def wrap(e, need: int, first: bool = False) -> str:
        s = show(e, first)
        p = _prec(e, numeric)
        if p == 2:
            return s if first and need <= 3 else rf"\left({s}\right)"
        if isinstance(e, Sum) and e.bracket or isinstance(e, Quot):
            return s
        if isinstance(e, Sym) and "/" in e.name and need >= 6:
            return rf"\left({s}\right)"
        return rf"\left({s}\right)" if p < need else s

    return show(e)


def _lines(steps, T: int, view: View) -> list[str]:
    out = []
    for item in visible(steps, T, view.all_steps):
        if not hasattr(item, "expr"):
            out.append(rf"&\quad\text{{{item}}} \\")
            continue
        symbols = latex(item.expr, digits=view.digits, rename=view.names)
        numbers = latex(item.expr, numeric=True, digits=view.digits)
        value = number(item.value, view.digits)
        parts = [p for p in dict.fromkeys((symbols, numbers, value))]
        out.append(rf"{name(view.names(item.name))} &= " + " = ".join(parts) + r" \\")
    return out


def _align(lines: list[str]) -> str:
    if lines:
        lines[-1] = lines[-1].removesuffix(r" \\")
    return "\n".join([r"\begin{align*}", *lines, r"\end{align*}"])


def forward_tex(fwd, view: View = View(), standalone: bool = False) -> str:
    body = [rf"\paragraph{{{fwd.problem.name}: forward pass}}", _align(
        _lines(fwd.steps, fwd.problem.T, view))]
    return _document(body) if standalone else "\n".join(body)


def grad_tex(d, view: View = View(), standalone: bool = False) -> str:
    T = d.forward.problem.T
    body = []
    if d.shared:
        body += [r"\paragraph{Backpropagation through time}", _align(_lines(d.shared, T, view))]
    for g in d.gradients:
        title = name(view.names(f"d{g.of}/d{g.wrt}"))
        body += [rf"\paragraph{{${title}$}}",
                 _align(_lines(g.steps, T, view))]
    return _document(body) if standalone else "\n".join(body)


def _document(body: list[str]) -> str:
    return "\n".join([r"\documentclass{article}", r"\usepackage{amsmath,amssymb}",
                      r"\usepackage[margin=2cm]{geometry}", r"\begin{document}", *body,
                      r"\end{document}"])
