"""The formulas of grad --general (derive/general.py) in every format, each with its check."""

from .symbolic import plain, source, tex


def _check(g, T: int) -> str:
    verdict = "equal" if g.equal else "NOT equal"
    return f"T = {T}, sums done: {verdict} to the chain rule's closed form ({g.method})"


def general_view(r):
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text
    p = r.problem
    t = Table(title=Text(f"{p.name}: BPTT for any T (checked at T = {r.T})"),
              title_justify="left")
    t.add_column("quantity", style="bold", no_wrap=True)
    t.add_column("for any T", ratio=3)
    t.add_column("check", ratio=2)
    for g in r.formulas:
        t.add_row(Text(g.name), Text(plain(g.formula)), Text(_check(g, r.T)))
    note = Text("h[k], a[k], y_hat[t], x[t], y[t]: step k's (t's) quantities; h[0] is h_0.")
    return Group(t, note)


def general_md(r) -> str:
    out = [f"## {r.problem.name}: BPTT for any T", "",
           "| quantity | for any T | check |", "|---|---|---|"]
    for g in r.formulas:
        formula = f"${tex(g.formula)}$".replace("|", "\\|")
        out.append(f"| `{g.name}` | {formula} | {_check(g, r.T)} |")
    return "\n".join(out + [""])


def general_tex(r, standalone: bool = False) -> str:
    from .latex import _align, _document, _head, name, text
    lines = [rf"{name(g.name) if g.name != 'dh_t/dh_k' else name('dh_t/dh_k')} &= "
             f"{tex(g.formula)}" for g in r.formulas]
    body = [rf"\paragraph{{BPTT for any $T$}} {text(f'Checked at T = {r.T}.')}",
            _align(lines)]
    return _document(_head(r.problem) + body) if standalone else "\n".join(body)


def general_json(r) -> dict:
    return {"problem": r.problem.name, "arithmetic": "symbolic", "of": "L",
            "symbols": list(r.problem.symbols),
            "general": {g.name: {"value": source(g.formula), "latex": tex(g.formula),
                                 "check": {"T": r.T, "equal": g.equal, "method": g.method,
                                           "unrolled": source(g.unrolled)}}
                        for g in r.formulas}}
