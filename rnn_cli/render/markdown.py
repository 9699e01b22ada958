"""GitHub-flavoured Markdown: one table per stage, each formula as $...$ math (the LaTeX of
render/latex.py), which GitHub and Jupyter typeset."""

from ..model.safe import markdown as md
from .latex import BR, latex
from .rows import STAGES, Gap, View, describe, row, stage_title, typeset_cells, visible


def _esc(s: str) -> str:
    return s.replace("|", "\\|")


def _math(tex: str) -> str:
    """Inline math for a table cell: a | escaped, so the table keeps its columns."""
    return f"${_esc(tex.replace(BR, ''))}$"


def _table(title: str, steps, T: int, view: View) -> list[str]:
    out = [f"### {title}", "", "| quantity | formula | with numbers | value |",
           "|---|---|---|---|"]
    for item in visible(steps, T, view.all_steps):
        if isinstance(item, Gap):
            out.append(f"| *{item}* | | | |")
            continue
        r = row(item, view)     # which cells the tables show, and the value as text
        formula, numbers = typeset_cells(item, r, view, lambda e, **o: _math(latex(e, **o)))
        out.append(f"| `{r.name}` | {formula} | {numbers} | {_esc(r.inline or r.value)} |")
    return out + [""]


def _head(p) -> list[str]:
    title = f": {md(p.title)}" if p.title else ""
    return [f"## {md(p.name)}{title}", "", describe(p), ""]


def forward_md(fwd, view: View = View()) -> str:
    out = _head(fwd.problem)
    for stage in STAGES:
        steps = [s for s in fwd.steps if s.stage == stage]
        if steps:
            out += _table(stage_title(stage, fwd.problem), steps, fwd.problem.T, view)
    return "\n".join(out)


def grad_md(d, view: View = View()) -> str:
    T = d.forward.problem.T
    out = _head(d.forward.problem) + [f"Style: {d.style}", ""]
    if d.shared:
        out += _table(f"Backpropagation through time (d{d.of}/d each quantity)",
                      d.shared, T, view)
    for g in d.gradients:
        out += _table(view.names(f"d{g.of}/d{g.wrt}"), g.steps, T, view)
    return "\n".join(out)
