"""An explained topic as Rich text and tables (with log-scale bars), JSON or Markdown."""

import math

from ..numbers import inexact

BAR = 30


def _bars(values) -> list[str]:
    """Bars whose length is log10 of each value, scaled to the range of the values."""
    logs = [math.log10(float(inexact(v))) if v else None for v in values]
    real = [x for x in logs if x is not None]
    if not real:
        return ["" for _ in values]
    lo, hi = min(real), max(real)
    span = (hi - lo) or 1
    return ["" if x is None else "█" * max(1, round(1 + (BAR - 1) * (x - lo) / span))
            for x in logs]


def topic_view(topic):
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text
    parts = [Text(f"{topic.name}: {topic.title}", style="bold")]
    parts += [Text(p) for p in topic.prose]
    for t in topic.tables:
        table = Table(title=Text(t.title), title_justify="left")
        shown = [c for i, c in enumerate(t.columns) if i != t.bars]
        for c in shown:
            table.add_column(c, justify="right")
        if t.bars is not None:
            table.add_column(f"{t.columns[t.bars]} (log scale)")
        bars = _bars([r[t.bars] for r in t.rows]) if t.bars is not None else []
        for i, r in enumerate(t.rows):
            cells = [Text(str(v)) for j, v in enumerate(r) if j != t.bars]
            table.add_row(*cells, *([Text(bars[i])] if bars else []))
        parts.append(table)
    parts.append(Text("Answer: " + topic.answer))
    return Group(*parts)


def topic_json(topic) -> dict:
    return {"topic": topic.name, "title": topic.title, "prose": list(topic.prose),
            "tables": [{"title": t.title, "columns": list(t.columns),
                        "rows": [[float(inexact(v)) if j == t.bars else v
                                  for j, v in enumerate(r)] for r in t.rows]}
                       for t in topic.tables],
            "answer": topic.answer}


def topic_md(topic) -> str:
    out = [f"## {topic.name}: {topic.title}", "", *[p + "\n" for p in topic.prose]]
    for t in topic.tables:
        cols = [c for j, c in enumerate(t.columns) if j != t.bars]
        out += [f"### {t.title}", "", "| " + " | ".join(cols) + " |",
                "|" + "---|" * len(cols)]
        out += ["| " + " | ".join(str(v) for j, v in enumerate(r) if j != t.bars) + " |"
                for r in t.rows]
        out.append("")
    return "\n".join(out + [f"**Answer.** {topic.answer}"])
