"""GitHub-flavoured Markdown: one table per stage, formulas as inline code."""

from .rows import Gap, View, describe, rows
from .table import STAGES, stage_title


def _esc(s: str) -> str:
    return s.replace("|", "\\|")


def _table(title: str, items) -> list[str]:
    out = [f"### {title}", "", "| quantity | formula | with numbers | value |",
           "|---|---|---|---|"]
    for r in items:
        if isinstance(r, Gap):
            out.append(f"| *{r}* | | | |")
            continue
        formula = f"`{_esc(r.chain)}` = `{_esc(r.formula)}`" if r.chain else \
            (f"`{_esc(r.formula)}`" if r.formula else "")
        numbers = f"`{_esc(r.numbers)}`" if r.numbers else ""
        out.append(f"| `{r.name}` | {formula} | {numbers} | {_esc(r.inline or r.value)} |")
    return out + [""]


def _head(p) -> list[str]:
    title = f": {p.title}" if p.title else ""
    return [f"## {p.name}{title}", "", describe(p), ""]


def forward_md(fwd, view: View = View()) -> str:
    out = _head(fwd.problem)
    for stage in STAGES:
        steps = [s for s in fwd.steps if s.stage == stage]
        if steps:
            out += _table(stage_title(stage, fwd.problem), rows(steps, fwd.problem.T, view))
    return "\n".join(out)


def grad_md(d, view: View = View()) -> str:
    T = d.forward.problem.T
    out = _head(d.forward.problem) + [f"Style: {d.style}", ""]
    if d.shared:
        out += _table(f"Backpropagation through time (d{d.of}/d each quantity)",
                      rows(d.shared, T, view))
    for g in d.gradients:
        out += _table(view.names(f"d{g.of}/d{g.wrt}"), rows(g.steps, T, view))
    return "\n".join(out)
