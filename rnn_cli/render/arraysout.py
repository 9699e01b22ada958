"""Array problems in every format: JSON with every value, and tables, Markdown and LaTeX
that show the corners of big matrices (the first and last two rows and columns)."""

import json

from ..derive.batchsteps import Derivation
from ..model.errors import one_line
from .jsonout import dumps as json_text

SHOWN = 8            # a side longer than this is shown by its first and last two entries


# -- JSON ---------------------------------------------------------------------------------

def _placeholders(obj, arrays: list):
    """obj with every numpy array replaced by a marker, the arrays collected in order."""
    if isinstance(obj, dict):
        return {k: _placeholders(v, arrays) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_placeholders(v, arrays) for v in obj]
    if hasattr(obj, "tolist") and hasattr(obj, "ndim"):
        arrays.append(obj)
        return f"\x00{len(arrays) - 1}\x00"
    return obj


def dumps(obj) -> str:
    """JSON, indented, with each array written on one line (a million numbers stay fast)."""
    arrays: list = []
    text = json_text(_placeholders(obj, arrays))     # ASCII where standard output needs it
    for i, arr in enumerate(arrays):
        text = text.replace(f'"\\u0000{i}\\u0000"', json.dumps(arr.tolist()), 1)
    return text


def _head(p) -> dict:
    return {"problem": p.name, "title": p.title, "cell": p.cell,
            "convention": p.convention.name, "layout": p.layout,
            "activation": p.activation if p.cell == "rnn" else None, "output": p.output,
            "loss_function": p.loss, "reduction": p.reduction,
            "batch": p.batch if p.batched or p.N > 1 else None,
            "sizes": {"N": p.N, "T": p.T, "D": p.D, "H": p.H, "K": p.K},
            "arithmetic": "float64"}


def forward_json(r) -> dict:
    """Every per-step value of every sequence (N x T x size arrays), each sequence's loss."""
    p = r.problem
    steps = {k: v for k, v in r.steps.items() if k not in ("h", "c")}
    steps["h"] = r.steps["h"][:, 1:]
    if "c" in r.steps:
        steps["c"] = r.steps["c"][:, 1:]
    return {**_head(p), "loss": r.L,
            "sequences": [{"n": n + 1, "loss": float(r.L_n[n]), "losses": r.L_t[n]}
                          for n in range(p.N)],
            "targets": list(p.targets),
            "values": {k: v for k, v in steps.items()}}


def grad_json(d: Derivation) -> dict:
    r, p = d.run, d.run.problem
    return {**_head(p), "of": "L", "style": "delta", "loss": r.L,
            "sequences": [{"n": n + 1, "loss": float(r.L_n[n]),
                           "weight": float(r.weight[n][p.has][0]) if p.has.any() else 0.0}
                          for n in range(p.N)],
            "gradients": {g.name: {"value": g.value, "shape": list(g.shape),
                                   "parameters": list(g.canonical), "formula": g.formula}
                          for g in d.gradients},
            "recursion": [{"name": s.name, "formula": s.formula} for s in d.recursion],
            "adjoints": {"h": r.adjoints["h"][:, 1:]}}


# -- text ---------------------------------------------------------------------------------

def _num(v, digits: int) -> str:
    return f"{float(v):.{digits}g}"


def corners(v, digits: int = 6) -> str:
    """A value as text: a number, a vector [a; b; …] or a matrix by rows, corners only."""
    import numpy as np
    a = np.asarray(v)
    if a.ndim == 0:
        return _num(a, digits)
    cut = lambda seq: list(seq[:2]) + [None] + list(seq[-2:]) if len(seq) > SHOWN else list(seq)
    if a.ndim == 1:
        return "[" + "; ".join("…" if e is None else _num(e, digits) for e in cut(a)) + "]"
    rows = []
    for row in cut(list(a)):
        rows.append("…" if row is None else " ".join("…" if e is None else _num(e, digits)
                                                     for e in cut(row)))
    return "[" + "; ".join(rows) + "]"


def _shape(v) -> str:
    import numpy as np
    s = np.asarray(v).shape
    return " x ".join(map(str, s)) if s else "1"


def describe(p) -> str:
    batch = f", N = {p.N} sequences (L: {p.batch} over them)" if p.batched or p.N > 1 else ""
    return (f"{p.cell.upper() if p.cell != 'rnn' else 'RNN'}, {p.convention.name} convention "
            f"({p.layout} layout), T = {p.T}, D = {p.D}, H = {p.H}, K = {p.K}{batch}; "
            f"{p.activation + ', ' if p.cell == 'rnn' else ''}{p.output} output, {p.loss} "
            f"loss ({p.reduction} over steps); float64")


def _seqs(N: int) -> list:
    return list(range(N)) if N <= 4 else [0, 1, None, N - 1]


def _steps(T: int) -> list:
    return list(range(T)) if T <= 5 else [0, 1, None, T - 2, T - 1]


def forward_rows(r, digits: int) -> list[tuple[str, str, str]]:
    """(quantity, formula, value) rows: the first and last steps of the first and last
    sequences, each sequence's loss and L."""
    p = r.problem
    n_of = lambda n: f"^({n + 1})" if p.N > 1 or p.batched else ""
    out = []
    for n in _seqs(p.N):
        if n is None:
            out.append(("…", f"sequences 3..{p.N - 1} left out", ""))
            continue
        for t in _steps(p.T):
            if t is None:
                out.append(("…", f"steps 3..{p.T - 2} left out", ""))
                continue
            h = r.steps["h"][n, t + 1]
            out.append((f"h_{t + 1}{n_of(n)}", "the cell at step t", corners(h, digits)))
            out.append((f"y_hat_{t + 1}{n_of(n)}", f"{p.output}(w_y h_t + b_y)",
                        corners(r.steps["y_hat"][n, t], digits)))
            if p.has[t]:
                out.append((f"L_{t + 1}{n_of(n)}", p.loss, _num(r.L_t[n, t], digits)))
    return out


def _loss_rows(d: Derivation, digits: int):
    lines = d.losses if len(d.losses) <= 6 else (*d.losses[:2], None, *d.losses[-3:])
    return [("…", "", "") if s is None else (s.name, s.formula, _num(s.value, digits))
            for s in lines]


def grad_rows(d: Derivation, digits: int) -> list[tuple[str, str, str, str]]:
    """(quantity, formula, shape, value) rows: the losses, the recursion (its value at the
    last step of the first sequence), then each gradient."""
    rows = [(a, b, "1", c) for a, b, c in _loss_rows(d, digits)]
    rows += [(s.name, s.formula, _shape(s.value), corners(s.value, digits) + "  (t = T, n = 1)")
             for s in d.recursion]
    canonical = d.run.problem.convention.name == "canonical"
    rows += [(f"dL/d{g.name}" if canonical else g.name, g.formula, _shape(g.value),
              corners(g.value, digits)) for g in d.gradients]
    return rows


def forward_view(r, digits: int = 6):
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text
    p = r.problem
    t = Table(title=Text("Forward pass (float64)"), title_justify="left")
    for c in ("quantity", "formula", "value"):
        t.add_column(c)
    for row in forward_rows(r, digits):
        t.add_row(*(Text(one_line(c)) for c in row))
    loss = Table(title=Text("Loss"), title_justify="left")
    for c in ("quantity", "formula", "value"):
        loss.add_column(c)
    from ..derive.batchsteps import losses
    for row in _loss_rows(Derivation(r, losses(r), (), ()), digits):
        loss.add_row(*(Text(c) for c in row))
    return Group(Text(f"{one_line(p.name)}\n{describe(p)}"), t, loss)


def grad_view(d: Derivation, digits: int = 6):
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text
    p = d.run.problem
    t = Table(title=Text("Backpropagation through time (float64)"), title_justify="left")
    for c in ("quantity", "formula", "shape", "value"):
        t.add_column(c, no_wrap=c == "shape")
    for row in grad_rows(d, digits):
        t.add_row(*(Text(one_line(c)) for c in row))
    return Group(Text(f"{one_line(p.name)}\n{describe(p)}"), t)


def _md_cell(s: str) -> str:
    return one_line(s).replace("|", "\\|").replace("*", "\\*").replace("_", "\\_")


def md(p, title: str, header: tuple, rows) -> str:
    out = [f"## {_md_cell(p.name)}", "", _md_cell(describe(p)), "", f"### {title}", "",
           "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(_md_cell(c) for c in r) + " |" for r in rows]
    return "\n".join(out) + "\n"


_TEX = (("\\", r"\textbackslash{}"), ("&", r"\&"), ("%", r"\%"), ("$", r"\$"), ("#", r"\#"),
        ("_", r"\_"), ("{", r"\{"), ("}", r"\}"), ("~", r"\textasciitilde{}"),
        ("^", r"\textasciicircum{}"), ("Σ", r"$\Sigma$"), ("⊙", r"$\odot$"), ("²", r"$^2$"),
        ("…", r"\dots{}"))


def tex_text(s: str) -> str:
    """Text for LaTeX: special characters escaped, Σ ⊙ ² … as math."""
    s = one_line(s)
    out = []
    for ch in s:
        for a, b in _TEX:
            if ch == a:
                out.append(b)
                break
        else:
            out.append(ch if ord(ch) < 128 else "?")
    return "".join(out)


def tex(p, title: str, header: tuple, rows, standalone: bool) -> str:
    # the value column wraps: a matrix's corners are wider than the page otherwise
    cols = "lp{6cm}p{6.5cm}" if len(header) == 3 else "lp{5cm}lp{5cm}"
    body = [rf"\subsection*{{{tex_text(p.name)}: {tex_text(title)}}}", tex_text(describe(p)),
            "", rf"\begin{{longtable}}{{{cols}}}",
            " & ".join(rf"\textbf{{{h}}}" for h in header) + r" \\ \hline"]
    body += [" & ".join(tex_text(c) for c in r) + r" \\" for r in rows]
    body.append(r"\end{longtable}")
    text = "\n".join(body)
    if standalone:
        text = ("\\documentclass{article}\n\\usepackage[margin=2cm]{geometry}\n"
                "\\usepackage{longtable}\n\\begin{document}\n" + text + "\n\\end{document}")
    return text + "\n"


def render(result, fmt: str, digits: int = 6, standalone: bool = False):
    """A forward pass (a numeric.Run) or a derivation (batchsteps.Derivation) in a format:
    json, markdown, latex (text) or table (a Rich renderable)."""
    if isinstance(result, Derivation):
        d = result
        p = d.run.problem
        rows, header, title = grad_rows(d, digits), ("quantity", "formula", "shape", "value"), \
            "Backpropagation through time"
        view, data = lambda: grad_view(d, digits), lambda: grad_json(d)
    else:
        r = result
        p = r.problem
        rows, header, title = forward_rows(r, digits), ("quantity", "formula", "value"), \
            "Forward pass (float64)"
        view, data = lambda: forward_view(r, digits), lambda: forward_json(r)
    if fmt == "json":
        return dumps(data())
    if fmt == "markdown":
        return md(p, title, header, rows)
    if fmt == "latex":
        return tex(p, title, header, rows, standalone)
    return view()


def solved(problem, grad_of, fmt: str, digits: int, standalone: bool, output, problem_file):
    """(what to print, the output path, the files never to write over) for forward (grad_of
    None) or grad (grad_of = (wrt, of)) of a problem on the float64 path of array problems."""
    from ..derive.batchsteps import solve
    from ..model.arrays import from_problem
    problem = from_problem(problem)
    result = solve(problem, *(grad_of or ((), None)))
    return render(result, fmt, digits, standalone), output, [problem_file, problem.weights]
