"""The unrolled network drawn: Graphviz DOT text, an image by Graphviz's `dot`, or a drawing
in the terminal with one box per quantity and step.

The terminal drawing puts each step in a column, its quantities stacked from the input x_t at
the bottom to the loss L_t at the top; the recurrence runs along the a and h rows, h_0 on the
left feeding a_1 and each h_t feeding a_{t+1}; the total L on the left of the L_t, each of
which leaves by its top border into one line that runs into L. The shared weights are listed
above. The DOT text pins its nodes to the same arrangement.
"""

import shutil
import subprocess

from ..model import numbers as num
from ..model import safe
from ..model.errors import InputError
from .rows import matrix_text

LEVELS = ("L", "y_hat", "o", "h", "a", "x")     # top to bottom in the drawing
GAP = 4                                          # columns between two boxes


class NoGraphviz(InputError):
    """Graphviz's `dot` is not installed: install Graphviz (Debian: apt-get install \
graphviz) or use --format dot and render the text elsewhere"""


def _short(v, digits: int) -> str:
    """A value short enough for a box: exact where that is short (1/3, 0.25), else to
    `digits` significant digits; a matrix by rows, [1 2; 3 4]."""
    if hasattr(v, "rows"):
        return "[" + "; ".join(" ".join(_short(x, digits) for x in r) for r in v.rows) + "]"
    s = num.fmt(v, digits)
    return s if len(s) <= digits + 3 else num.approx_text(v, digits)


# -- DOT --------------------------------------------------------------------------------------

def _q(s: str) -> str:
    return '"' + "\\n".join(safe.dot(line) for line in s.split("\n")) + '"'


def _dot_label(n, digits: int) -> str:
    if n.kind == "fold":
        return f"… {n.steps} steps ({n.first} to {n.last}) …"
    lines = [n.id, f"= {_short(n.value, digits)}"]
    if n.grad is not None:
        lines.append(f"dL/d{n.id} = {_short(n.grad, digits)}")
    return "\n".join(lines)


STYLE = {"param": 'style="rounded,filled", fillcolor="#e8e8e8"',
         "x": 'style="rounded"', "loss": 'style="rounded,filled,bold", fillcolor="#f6d6d6"',
         "L": 'style="rounded,filled", fillcolor="#fbeaea"', "fold": 'style="dashed"'}


# where each node sits, as in the terminal drawing: a column per step with x_t at the bottom
# and L_t at the top; to their left L (in the L row) and h_0 (in the a row, which it feeds);
# the weights in a row above everything, left to right as the terminal lists them
ROW = {"x": 0, "a": 1, "h": 2, "o": 3, "y_hat": 4, "L": 5}
WEIGHT_ROW = 6.5
DX, DY = 2.4, 1.1       # inches between columns (at least) and rows
INCH_PER_CHAR = 0.085   # Helvetica at 11 pt: about how wide one character of a label is
SPLINE_STEPS = 12
TIMEOUT = 120            # seconds for Graphviz


def _label_width(n, digits: int) -> float:
    """About how wide a node's box is drawn, in inches."""
    return 0.3 + INCH_PER_CHAR * max(map(len, _dot_label(n, digits).splitlines()))


def _positions(g, digits: int) -> dict[str, tuple[float, float]]:
    weights = [n for n in g.nodes if n.kind == "param" and n.id != "h_0"]
    steps = [n for n in g.nodes if n.kind not in ("param", "loss")]
    dx = max([DX] + [_label_width(n, digits) + 0.4 for n in steps])
    pos = {"L": (0.0, ROW["L"] * DY), "h_0": (0.0, ROW["a"] * DY)}
    col = 1
    for t in g.shown:
        if g.fold is not None and t == g.fold.last + 1:
            pos[g.fold.id] = (col * dx, 2.5 * DY)
            col += 1
        for n in g.nodes:
            if n.t == t:
                pos[n.id] = (col * dx, ROW[n.kind] * DY)
        col += 1
    x, last = 0.0, None
    for n in weights:              # side by side, each as far from the last as both need
        w = _label_width(n, digits)
        if last is not None:
            x += max(DX, (last + w) / 2 + 0.3)
        pos[n.id], last = (x, WEIGHT_ROW * DY), w
    return pos


def graph_dot(g, digits: int = 6) -> str:
    """The graph as DOT: each node labelled `name / = value / dL/dname = gradient`; the
    exact value and gradient also as the attributes `value` and `grad`. Every node is pinned
    (layout=neato) where the terminal drawing puts it, so `dot -Tsvg` draws the same
    arrangement."""
    p = g.problem
    out = [f"// rnn-solve graph: the unrolled network of {_q(p.name)}",
           f"digraph {_q(p.name)} {{", "  layout=neato;",
           # edges routed around the boxes; that routing takes dot 1 s at 12 steps and 15 s
           # at 30, so longer drawings (--all-steps) get straight edges
           f"  splines={'true' if len(g.shown) <= SPLINE_STEPS else 'false'};",
           '  node [shape=box, style="rounded", fontname="Helvetica", fontsize=11];',
           '  edge [arrowsize=0.6, color="#555555"];']
    pos = _positions(g, digits)
    for n in g.nodes:
        x, y = pos[n.id]
        attrs = [f"label={_q(_dot_label(n, digits))}", STYLE.get(n.kind, 'style="rounded"'),
                 f'pos="{x:g},{y:g}!"']
        if n.kind != "fold":
            attrs.append(f"value={_q(num.fmt(n.value, 50))}")
            if n.grad is not None:
                attrs.append(f"grad={_q(num.fmt(n.grad, 50))}")
        out.append(f"  {_q(n.id)} [{', '.join(attrs)}];")
    weights = {n.id for n in g.nodes if n.kind == "param" and n.id != "h_0"}
    for a, b in g.edges:
        # into L over the top of the row, as the terminal's line above the L_t; down out of
        # the weights' row
        ports = (" [tailport=n, headport=n]" if b == "L" else
                 " [tailport=s]" if a in weights else "")
        out.append(f"  {_q(a)} -> {_q(b)}{ports};")
    out.append("}")
    return "\n".join(out)


def render_image(dot: str, fmt: str) -> bytes:
    """The DOT text drawn by Graphviz's `dot` as svg or png."""
    exe = shutil.which("dot")
    if exe is None:
        raise NoGraphviz(where="--format " + fmt)
    try:
        r = subprocess.run([exe, f"-T{fmt}"], input=dot.encode("utf-8"), capture_output=True,
                           timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        raise InputError(f"Graphviz's dot took more than {TIMEOUT} s to draw "
                         f"{dot.count(' -> ')} edges; draw fewer steps (without --all-steps "
                         "the middle of a long sequence is folded)", where="--format " + fmt)
    if r.returncode != 0:
        msg = r.stderr.decode("utf-8", "replace").strip().splitlines()
        raise InputError(f"Graphviz's dot failed: {msg[0] if msg else r.returncode}",
                         where="--format " + fmt)
    return r.stdout


# -- the terminal drawing ---------------------------------------------------------------------

class Canvas:
    """A grid of characters, each with a style."""

    def __init__(self):
        self.cells: dict[tuple[int, int], tuple[str, str]] = {}

    def put(self, row: int, col: int, s: str, style: str = "") -> None:
        for i, ch in enumerate(s):
            self.cells[(row, col + i)] = (ch, style)

    def text(self):
        from rich.text import Text
        by_row: dict[int, dict[int, tuple[str, str]]] = {}
        for (r, c), cell in self.cells.items():
            by_row.setdefault(r, {})[c] = cell
        out = Text(no_wrap=True, overflow="ignore")
        for r in range(max(by_row) + 1):
            row = by_row.get(r, {})
            for c in range(max(row) + 1 if row else 0):
                ch, style = row.get(c, (" ", ""))
                out.append(ch, style or None)
            out.append("\n")
        out.rstrip()
        return out


def _content(n, digits: int) -> list[str]:
    """A box's lines: = value, then ∂ gradient; a matrix on several lines."""
    if n.kind == "fold":
        return ["⋯", f"{n.steps} steps", f"{n.first} to {n.last}", "⋯"]

    def lines(mark: str, v) -> list[str]:
        text = matrix_text(v, digits) if hasattr(v, "rows") else _short(v, digits)
        parts = text.splitlines()
        return [f"{mark} {parts[0]}"] + [f"  {p}" for p in parts[1:]]
    out = lines("=", n.value)
    if n.grad is not None:
        out += lines("∂", n.grad)
    return out


def _box(c: Canvas, row: int, col: int, width: int, height: int, title: str,
         lines: list[str], style: str = "") -> None:
    """A box `width` wide and `height` high with its title in the top border."""
    top = f"┌ {title} " + "─" * (width - len(title) - 4) + "┐"
    c.put(row, col, top, style)
    for i in range(height - 2):
        body = lines[i] if i < len(lines) else ""
        c.put(row + 1 + i, col, "│", style)
        c.put(row + 1 + i, col + 1, f" {body}".ljust(width - 2))
        c.put(row + 1 + i, col + width - 1, "│", style)
    c.put(row + height - 1, col, "└" + "─" * (width - 2) + "┘", style)


def graph_view(g, digits: int = 4, room: int = 100):
    """The unrolled network as a Rich renderable (plain text with styled borders); the
    weights' boxes are laid out in rows of at most `room` columns."""
    from rich.console import Group
    from rich.text import Text
    p = g.problem
    by_id = {n.id: n for n in g.nodes}
    content = {n.id: _content(n, digits) for n in g.nodes}

    def fit(nodes) -> int:
        """The width of a box that holds each of these nodes' names and lines."""
        return max(max(len(n.id) + 5, *(len(s) + 4 for s in content[n.id])) for n in nodes)
    width = fit([n for n in g.nodes if n.kind != "param" or n.id == "h_0"])
    styles = {"param": "cyan", "L": "red", "loss": "bold red", "fold": "dim", "x": "green"}

    # the shared weights: a row of boxes, wrapped to the width of the drawing
    canvas = Canvas()
    params = [n for n in g.nodes if n.kind == "param" and n.id != "h_0"]   # h_0: below
    p_height = max(len(content[n.id]) for n in params) + 2
    columns = (1 + len(g.shown) + (g.fold is not None))
    total = columns * width + (columns - 1) * GAP
    p_width = fit(params)
    per_line = max(1, (max(total, room) + 1) // (p_width + 1))
    for i, n in enumerate(params):
        r, k = divmod(i, per_line)
        _box(canvas, r * p_height, k * (p_width + 1), p_width, p_height, n.id, content[n.id],
             styles["param"])
    top = -(-len(params) // per_line) * p_height
    canvas.put(top, 0, "w_x, w_h, b_h enter every a_t; w_y, b_y every o_t. "
               + ("∂ is dL/d(the box)." if g.grads else "--grad adds dL/d(each box)."), "dim")
    top += 2
    bus = top       # the line that gathers every L_t into L, above the L row

    # rows: each level as high as its tallest box, plus one line for the arrow above it
    heights = {}
    for base in LEVELS:
        ids = [f"{base}_{t}" for t in g.shown if f"{base}_{t}" in by_id]
        if base == "L":
            ids.append("L")
        if base == "a":
            ids.append("h_0")
        heights[base] = max([len(content[i]) + 2 for i in ids] or [0])
    row_at, r = {}, bus + 1
    for base in LEVELS:
        row_at[base] = r
        r += heights[base] + 1
    mid = {b: row_at[b] + heights[b] // 2 for b in LEVELS}

    # columns: the left one holds L (the total) and h_0; then the steps, the fold among them
    order: list = []
    for t in g.shown:
        if g.fold is not None and t == g.fold.last + 1:
            order.append(g.fold)
        order.append(t)
    col_at = {}
    x = width + GAP
    for item in order:
        col_at[item if isinstance(item, int) else "fold"] = x
        x += width + GAP

    _box(canvas, row_at["L"], 0, width, heights["L"], "L", content["L"], styles["loss"])
    _box(canvas, row_at["a"], 0, width, heights["a"], "h_0", content["h_0"], styles["param"])
    for step in g.shown:
        col = col_at[step]
        canvas.put(top - 1, col + width // 2 - 2, f"t = {step}", "bold")
        below = None
        for base in reversed(LEVELS):                  # bottom up: the arrows point up
            nid = f"{base}_{step}"
            if nid not in by_id:
                continue
            _box(canvas, row_at[base], col, width, heights[base], nid, content[nid],
                 styles.get(base, ""))
            if below is not None:
                canvas.put(row_at[below] - 1, col + width // 2, "▲")
                for rr in range(row_at[base] + heights[base], row_at[below] - 1):
                    canvas.put(rr, col + width // 2, "│")
            below = base
    if g.fold is not None:
        col = col_at["fold"]
        h = row_at["x"] + heights["x"] - row_at["L"]
        _box(canvas, row_at["L"], col, width, h, "", [""] * ((h - 6) // 2) + content[g.fold.id],
             styles["fold"])
        canvas.put(top - 1, col + width // 2 - 2, "t = …", "bold")
    # L = the sum of the L_t: each L_t (or the fold that holds one) leaves by its top border
    # into one line above the L row, which runs left and down into L: no L_t feeds another
    joints = [col_at[t] + max(width // 2, len(f"L_{t}") + 4) for t in g.shown if t in p.y]
    if g.fold is not None and (g.fold.id, "L") in g.edges:
        joints.append(col_at["fold"] + width // 2)
    if joints:
        joints.sort()
        into = width // 2
        canvas.put(bus, into, "┌" + "─" * (joints[-1] - into - 1) + "┐")
        for j in joints[:-1]:
            canvas.put(bus, j, "┬")
        canvas.put(row_at["L"], into, "▼")
        for j in joints:
            canvas.put(row_at["L"], j, "┴")
    # the recurrence: h_0 into a_1, each h_t down into the next column's a
    canvas.put(mid["a"], width, "─" * (GAP - 1) + "►")
    cols = [col_at[item if isinstance(item, int) else "fold"] for item in order]
    for a in cols[:-1]:
        canvas.put(mid["h"], a + width, "─┐")
        for rr in range(mid["h"] + 1, mid["a"]):
            canvas.put(rr, a + width + 1, "│")
        canvas.put(mid["a"], a + width + 1, "└─►")
    title = Text(f"{safe.visible(p.name)}: the unrolled network, T = {p.T}"
                 + (f" ({g.fold.steps} steps folded)" if g.fold else ""), style="bold")
    return Group(title, canvas.text())


def graph_text(g, digits: int = 4) -> str:
    """The terminal drawing as plain text, for a file."""
    import io

    from rich.console import Console
    console = Console(file=io.StringIO(), width=100_000, color_system=None)
    console.print(graph_view(g, digits))
    return "\n".join(line.rstrip() for line in console.file.getvalue().splitlines())
