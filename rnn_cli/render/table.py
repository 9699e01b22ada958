"""Rich tables: the derivation laid out as the handwritten page lays it out."""

import os

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from ..model.safe import visible
from .rows import STAGES, Gap, View, describe, rows, stage_title


def _table(title: str, with_chain: bool = False) -> Table:
    t = Table(title=Text(title), title_justify="left", show_lines=False, expand=False)
    t.add_column("quantity", style="bold", no_wrap=True)
    t.add_column("formula", ratio=2)
    t.add_column("with numbers", ratio=3)
    t.add_column("value", justify="right", style="cyan", no_wrap=True)  # matrices keep rows
    return t


def _fill(table: Table, items) -> None:
    # every cell is a Text, never a markup string: formulas hold [ ] brackets
    for r in items:
        if isinstance(r, Gap):
            table.add_row(Text("..."), Text(str(r), style="dim italic"), Text(""), Text(""))
            continue
        if r.chain:  # a chain-rule term: first the product of derivatives, then its formula
            table.add_row(Text(r.name), Text(r.chain), Text(""), Text(""))
            table.add_row(Text(""), Text("= " + r.formula), Text(r.numbers), Text(r.value))
        else:
            table.add_row(Text(r.name), Text(r.formula), Text(r.numbers), Text(r.value))


def header(problem) -> Text:
    title = f" ({visible(problem.title)})" if problem.title else ""
    return Text(f"{visible(problem.name)}{title}\n{describe(problem)}")


def forward_view(fwd, view: View = View()):
    """The forward pass: one table per stage (hidden state, output, loss, total)."""
    parts = [header(fwd.problem)]
    for stage in STAGES:
        steps = [s for s in fwd.steps if s.stage == stage]
        if not steps:
            continue
        table = _table(stage_title(stage, fwd.problem))
        _fill(table, rows(steps, fwd.problem.T, view))
        parts.append(table)
    return Group(*parts)


def grad_view(d, view: View = View()):
    """A derivation: the shared recursion (delta style), then each gradient's steps."""
    T = d.forward.problem.T
    parts = [header(d.forward.problem),
             Text(f"style: {d.style}" + (" (the delta recursion, linear in T)"
                                          if d.style == "delta" else
                                          " (every path written out, as by hand)"))]
    if d.shared:
        table = _table(f"Backpropagation through time: d{d.of}/d(each quantity), "
                       "from the last step down")
        _fill(table, rows(d.shared, T, view))
        parts.append(table)
    for g in d.gradients:
        table = _table(view.names(f"d{g.of}/d{g.wrt} = {rows_value(g, view.digits)}"))
        _fill(table, rows(g.steps, T, view))
        parts.append(table)
    return Group(*parts)


def rows_value(g, digits: int) -> str:
    from ..model.numbers import fmt, fmt_with_decimal
    return fmt(g.value, digits) if hasattr(g.value, "rows") else fmt_with_decimal(g.value, digits)


def ascii_forms(renderable, to_ascii):
    """The renderable with its text in ASCII forms (streams.to_ascii), before Rich lays it
    out: translated by the stream afterwards, '✓ correct' became 'ok correct', one column
    wider than the table had measured, and every border behind it moved. Tables, groups,
    texts and strings are translated in place; anything else is passed on as it is."""
    if isinstance(renderable, str):
        return to_ascii(renderable)
    if isinstance(renderable, Text):
        out = renderable.copy()
        if not (renderable.plain.isascii() or renderable.spans):  # spans would lose their place
            out.plain = to_ascii(renderable.plain)
        if out.overflow == "ellipsis":      # Rich's … would become ... after the layout
            out.overflow = "fold"
        return out
    if isinstance(renderable, Group):
        renderable._renderables = [ascii_forms(r, to_ascii) for r in renderable._renderables]
    elif isinstance(renderable, Table):
        for attr in ("title", "caption"):
            if getattr(renderable, attr) is not None:
                setattr(renderable, attr, ascii_forms(getattr(renderable, attr), to_ascii))
        for column in renderable.columns:
            column.overflow = "fold"        # no … cut in by Rich, which ASCII widens to ...
            column.header = ascii_forms(column.header, to_ascii)
            column.footer = ascii_forms(column.footer, to_ascii)
            column._cells = [ascii_forms(c, to_ascii) for c in column._cells]
    return renderable


class _Console(Console):
    def print(self, *objects, **kw) -> None:
        """Where the stream writes ASCII forms (streams.AsciiStream), the text is translated
        before it is laid out, so that the columns are measured as they are printed."""
        to_ascii = getattr(self.file, "to_ascii", None)
        if to_ascii is not None:
            objects = tuple(ascii_forms(o, to_ascii) for o in objects)
        super().print(*objects, **kw)

    def on_broken_pipe(self) -> None:
        """A reader that closed the pipe: Rich's own answer is exit 1; the command's guard
        ends the run silently instead (streams.guarded)."""
        raise BrokenPipeError


MIN_WIDTH = 80      # narrower, Rich drops whole columns of a table (a check's values)


def console(file=None, width: int | None = None) -> Console:
    """A console that writes plain text when not on a terminal (and honours NO_COLOR).

    Piped output is 120 columns wide unless COLUMNS says otherwise: formulas are long.
    A narrower terminal or COLUMNS than MIN_WIDTH gets MIN_WIDTH columns, which the terminal
    wraps: nothing of a table is left out.
    """
    c = _Console(file=file, width=width, highlight=False, soft_wrap=False)
    if width is None and not c.is_terminal and "COLUMNS" not in os.environ:
        c.width = 120
    elif width is None and c.width < MIN_WIDTH:
        c.width = MIN_WIDTH
    return c


def plain_text(renderable, width: int = 120) -> str:
    """A Rich renderable as plain text with no colour or style codes (a file, str())."""
    import io
    buf = io.StringIO()
    Console(file=buf, width=width, highlight=False, soft_wrap=False, color_system=None,
            force_terminal=False).print(renderable, crop=False)
    return "\n".join(line.rstrip() for line in buf.getvalue().splitlines()) + "\n"


def plain(renderable, width: int = 120) -> str:
    """plain_text without its final line break: what str() of an API result is."""
    return plain_text(renderable, width).rstrip("\n")
