"""What every format shows of a step: its name, formula, numbers and value, as text."""

import re
from dataclasses import dataclass

from ..model import numbers as num
from ..derive.expr import Sym, text
from ..derive.forward import EDGE, Step


NOTATIONS = {
    "canonical": {},
    # Goodfellow, Bengio and Courville: a = b + W h + U x, o = c + V h
    "goodfellow": {"w_x": "U", "w_h": "W", "w_y": "V", "b_h": "b", "b_y": "c"},
    # Karpathy's min-char-rnn: Wxh, Whh, Why, bh, by
    "karpathy": {"w_x": "W_xh", "w_h": "W_hh", "w_y": "W_hy", "b_h": "b_h", "b_y": "b_y"},
}
_PARAM = re.compile(r"(^|[^A-Za-z0-9_])(d?)(w_x|w_h|w_y|b_h|b_y)(?![A-Za-z0-9_])")


STAGES = {"hidden": "Hidden state", "output": "Output", "loss": "Loss", "total": "Total loss"}
CELL_TITLES = {"lstm": "LSTM cell: gates, cell state and hidden state",
               "gru": "GRU cell: gates and hidden state"}


def stage_title(stage: str, problem) -> str:
    """A forward table's title: a gated cell's steps are more than the hidden state."""
    if stage == "hidden" and problem.cell in CELL_TITLES:
        return CELL_TITLES[problem.cell]
    return STAGES[stage]


@dataclass(frozen=True)
class View:
    """How to show a derivation: significant digits, every step or not, whose names."""
    digits: int = 6
    all_steps: bool = False
    notation: str = "canonical"

    def names(self, text: str) -> str:
        """`text` with the parameters named in this view's notation."""
        table = NOTATIONS[self.notation]
        if not table:
            return text
        return _PARAM.sub(lambda m: m[1] + m[2] + table[m[3]], text)


@dataclass(frozen=True)
class Row:
    name: str
    formula: str
    numbers: str       # '' where it would only repeat the value
    value: str         # a matrix on several lines
    chain: str = ''    # a chain-rule term in derivative names
    inline: str = ''   # the value on one line: [1 2; 3 4]


@dataclass(frozen=True)
class Gap:
    """Steps left out of a long sequence."""
    first: int
    last: int

    def __str__(self) -> str:
        n = self.last - self.first + 1
        return (f"... {n} step{'s' if n > 1 else ''} ({self.first} to {self.last}) left out; "
                "--all-steps shows them")


MAX_SHOWN = 8      # a vector or matrix side longer than this is shown by its corners


def matrix_text(m, digits: int) -> str:
    """A matrix on several lines, its columns aligned, between brackets: ⎡1 2⎤ / ⎣3 4⎦.
    Beyond MAX_SHOWN rows or columns the middle is left out (--format json has it all)."""
    big = max(m.shape) > MAX_SHOWN
    digits = min(digits, 4) if big else digits   # a matrix of corners, narrow enough to read
    rows = [[num.fmt(v, digits) for v in r] for r in m.rows]
    if len(rows) > MAX_SHOWN:
        rows = rows[:3] + [["⋮"] * len(rows[0])] + rows[-3:]
    if len(rows[0]) > MAX_SHOWN:
        rows = [r[:2] + ["…"] + r[-2:] for r in rows]
    widths = [max(len(r[j]) for r in rows) for j in range(len(rows[0]))]
    lines = [" ".join(v.rjust(w) for v, w in zip(r, widths)) for r in rows]
    if len(lines) == 1:
        return f"[{lines[0]}]"
    edge = [("⎡", "⎤")] + [("⎢", "⎥")] * (len(lines) - 2) + [("⎣", "⎦")]
    return "\n".join(f"{a}{line}{b}" for (a, b), line in zip(edge, lines))


def value_text(x, digits: int) -> str:
    return matrix_text(x, digits) if hasattr(x, "rows") else num.fmt_with_decimal(x, digits)


def is_matrix(name: str) -> bool:
    """Whether `name` (a weight, or a derivative with respect to one) is a matrix, even with
    a single column."""
    last = name.rpartition("/d")[2]
    return last.startswith("w_") and "[" not in last


def row(step: Step, view: View) -> Row:
    digits, all_terms = view.digits, view.all_steps
    e = step.expr
    value = value_text(step.value, digits)
    formula = text(e, digits=digits, all_terms=all_terms)
    numbers = text(e, numeric=True, digits=digits, all_terms=all_terms)
    name = " = ".join((step.name, *step.same))
    if hasattr(step.value, "rows"):
        m, n = step.value.shape
        name += f"  ({m} x {n})" if n > 1 or is_matrix(step.name) else f"  ({m})"
    if numbers == num.fmt(step.value, digits) or isinstance(e, Sym) and formula == numbers:
        numbers = ""
    if formula == num.fmt(step.value, digits):
        formula = ""
    chain = text(step.chain, all_terms=all_terms) if step.chain is not None else ""
    n = view.names
    return Row(n(name), n(formula), numbers, value, n(chain), num.fmt_with_decimal(step.value,
                                                                                     digits))


def typeset_cells(step: Step, r: Row, view: View, typeset) -> tuple[str, str]:
    """A step's formula and numbers cells for a page of typeset maths (HTML, Markdown), each
    formula written by `typeset(expr, **options)` (the options of latex.latex and
    html.mathml). The formula follows its chain-rule term where there is one
    (dL/dh_2 dh_2/dw_h = ...); a cell the text table `r` leaves empty stays empty."""
    formula = typeset(step.expr, digits=view.digits, rename=view.names,
                      all_terms=view.all_steps) if r.formula else ""
    if r.chain:
        formula = typeset(step.chain, rename=view.names, all_terms=view.all_steps) \
            + " = " + formula
    numbers = typeset(step.expr, numeric=True, digits=view.digits,
                      all_terms=view.all_steps) if r.numbers else ""
    return formula, numbers


def visible(steps, T: int, all_steps: bool):
    """The steps to show, with a Gap where the middle of a long sequence is left out (whether
    its steps are in `steps` or were never written out, as in a large problem)."""
    if all_steps or T <= 2 * EDGE + 1:
        yield from steps
        return
    hidden: set[int] = set()
    side = None          # the end of the sequence the last step shown was at
    for step in steps:
        t = step.t
        if t is not None and EDGE < t <= T - EDGE:
            hidden.add(t)
            continue
        here = None if t is None else t > EDGE
        if hidden or here is not None and side is not None and here != side:
            yield Gap(min(hidden), max(hidden)) if hidden else Gap(EDGE + 1, T - EDGE)
            hidden = set()
        side = here if here is not None else side
        yield step
    if hidden:
        yield Gap(min(hidden), max(hidden))


def rows(steps, T: int, view: View):
    """Rows (and Gaps) for a sequence of steps."""
    for item in visible(steps, T, view.all_steps):
        yield item if isinstance(item, Gap) else row(item, view)


def describe(problem) -> str:
    """One line saying what the problem is."""
    p = problem
    where = "every step" if len(p.targets) == p.T else \
        ("step " if len(p.targets) == 1 else "steps ") + ", ".join(map(str, p.targets))
    sizes = ""
    if p.is_vector:
        H, K = p.size("h")[0], p.size("y_hat")[0]
        D = p.x[0].shape[0] if hasattr(p.x[0], "shape") else 1
        row = (" (row layout: w_x, w_h, w_y here are the transposes of the weights written, "
               "and each weight's gradient ends in the shape written, '(row layout)')")
        sizes = f", H = {H}, D = {D}, K = {K}" + (row if p.layout == "row" else "")
    cell = f"{p.cell.upper()} cell" if p.cell != "rnn" else f"{p.activation} activation"
    return (f"{cell}, {p.output} output, {p.loss} loss ({p.reduction}), "
            f"T = {p.T}{sizes}, targets at {where}")
