"""An explained topic as Rich text and tables (with log-scale bars), JSON, Markdown or a
PNG chart (matplotlib, imported only for --plot)."""

import math

from ..model.errors import InputError
from ..model.safe import markdown, visible
from ..model.numbers import ctx, inexact

BAR = 24
FLOAT_LOG10 = 300       # |log10 y| beyond this is out of a double's range: plotted as log10 y


def _float(v) -> float | None:
    """The nearest double, or None where the value is beyond a double's range (JSON has no
    infinity)."""
    f = float(inexact(v))
    return f if math.isfinite(f) else None


def _log10(v) -> float | None:
    """log10 |v| (in mpmath, so 1e-5000 is -5000 and not the log of 0.0), None for 0."""
    return float(ctx().log10(abs(inexact(v)))) if v else None


def _bars(values) -> list[str]:
    """Bars whose length is log10 of each value, scaled to the range of the values."""
    logs = [_log10(v) for v in values]
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
    parts += [Text(visible(p, lines=True)) for p in topic.prose]
    for t in topic.tables:
        # the text topics quote the user's texts: every cell and title shown through visible
        table = Table(title=Text(visible(t.title)), title_justify="left")
        shown = [c for i, c in enumerate(t.columns) if i != t.bars]
        for c in shown:
            table.add_column(c, justify="right")
        if t.bars is not None:
            table.add_column(f"{t.columns[t.bars]} (log scale)")
        bars = _bars([r[t.bars] for r in t.rows]) if t.bars is not None else []
        for i, r in enumerate(t.rows):
            cells = [Text(visible(v)) for j, v in enumerate(r) if j != t.bars]
            table.add_row(*cells, *([Text(bars[i])] if bars else []))
        parts.append(table)
    parts.append(Text("Answer: " + topic.answer))
    return Group(*parts)


def topic_json(topic) -> dict:
    return {"topic": topic.name, "title": topic.title, "prose": list(topic.prose),
            "tables": [{"title": t.title, "columns": list(t.columns),
                        "rows": [[_float(v) if j == t.bars else v
                                  for j, v in enumerate(r)] for r in t.rows]}
                       for t in topic.tables],
            "chart": _chart_json(topic.chart),
            "answer": topic.answer}


def _chart_json(chart) -> dict | None:
    """The chart's series as [T - k, value, log10 value] (the log keeps values that are out
    of a double's range, 1e-5000, readable)."""
    if chart is None:
        return None
    return {"title": chart.title, "x": chart.x_label, "y": chart.y_label,
            "series": [{"label": s.label,
                        "points": [[x, _float(y), _log10(y)] for x, y in s.points]}
                       for s in chart.series]}


def topic_plot(topic, path, topics_with_charts=()) -> None:
    """Save the topic's chart as a PNG at `path`, written atomically (matplotlib's Agg
    canvas, no pyplot and no display)."""
    from pathlib import Path
    if Path(path).suffix.lower() != ".png":
        _no_chart(topic, topics_with_charts, "--plot")
        raise InputError(f"expected a file name ending in .png, found {str(path)!r}",
                         where="--plot")
    from ..model.outputs import write_output
    write_output(path, topic_png(topic, topics_with_charts, "--plot"), flag="--plot")


def _no_chart(topic, topics_with_charts, where: str) -> None:
    if topic.chart is None:
        raise InputError(f"the topic {topic.name!r} has no chart; charts come with: "
                         + ", ".join(topics_with_charts), where=where)


def topic_png(topic, topics_with_charts=(), where: str = "--plot") -> bytes:
    """The topic's chart as PNG bytes."""
    import io
    buf = io.BytesIO()
    topic_figure(topic, topics_with_charts, where).savefig(buf, format="png")
    return buf.getvalue()


def topic_figure(topic, topics_with_charts=(), where: str = "--plot"):
    """The topic's chart as a matplotlib Figure on an Agg canvas (no pyplot, no display)."""
    _no_chart(topic, topics_with_charts, where)
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise InputError("matplotlib is not installed; install the plot extra: "
                         "pip install 'rnn-solve[plot]'", where=where) from None
    chart = topic.chart
    logs = [[(x, _log10(y)) for x, y in s.points] for s in chart.series]
    in_range = all(abs(v) <= FLOAT_LOG10 for pts in logs for _, v in pts if v is not None)
    fig = Figure(figsize=(8, 4.5), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for s, pts in zip(chart.series, logs):
        pts = [(x, v) for x, v in pts if v is not None]      # 0 has no place on a log axis
        xs = [x for x, _ in pts]
        ys = [10.0 ** v for _, v in pts] if in_range else [v for _, v in pts]
        ax.plot(xs, ys, marker="o" if len(xs) <= 40 else None, markersize=3, label=s.label)
    if in_range:
        ax.set_yscale("log")
        ax.set_ylabel(chart.y_label + " (log scale)")
    else:
        ax.set_ylabel("log10 of the " + chart.y_label)
    ax.set_xlabel(chart.x_label)
    ax.set_title(chart.title)
    ax.grid(True, which="major", alpha=0.4)
    if len(chart.series) > 1:
        ax.legend()
    return fig


def topic_md(topic) -> str:
    # the text topics (notation False) quote the user's texts in prose, titles and cells:
    # those are Markdown-escaped (safe.markdown); the other topics' text is the program's own
    # notation, only made visible
    esc = visible if topic.notation else markdown
    out = [f"## {topic.name}: {topic.title}", "",
           *[(visible(p, lines=True) if topic.notation else markdown(p)) + "\n"
             for p in topic.prose]]
    for t in topic.tables:
        cols = [c for j, c in enumerate(t.columns) if j != t.bars]
        out += [f"### {esc(t.title)}", "", "| " + " | ".join(cols) + " |",
                "|" + "---|" * len(cols)]
        out += ["| " + " | ".join(esc(v) for j, v in enumerate(r) if j != t.bars) + " |"
                for r in t.rows]
        out.append("")
    return "\n".join(out + [f"**Answer.** {topic.answer}"])
