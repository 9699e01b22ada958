"""Symbolic derivations in every format: the table, LaTeX (SymPy's printer inside the
document the numeric path writes), Markdown and JSON (each value a string in SymPy's syntax,
read back by sympy.parse_expr, with its LaTeX beside it).

A row shows a step as the numeric tables do: its formula over named quantities (h_1,
dL/dh_2), then the same formula in the base symbols, then for an answer its closed form.
"""

from dataclasses import dataclass

from ..derive.expr import text
from .rows import STAGES, Gap, View, describe, stage_title, visible


# -- SymPy's printers -------------------------------------------------------------------------

# A long closed form's terms are printed in the order SymPy holds them ('none'): sorting
# every sum of it takes most of the time printing needs (half a minute at T = 10 with tanh).
# A short one is printed in SymPy's usual order, by degree, as a textbook writes it.
SORTED_NODES = 400
_memo: dict = {}


def _order(e) -> str | None:
    """None (SymPy's sorted order) for an expression of at most SORTED_NODES nodes, else
    'none'."""
    import sympy as sp
    for n, _ in enumerate(sp.preorder_traversal(e)):
        if n > SORTED_NODES:
            return "none"
    return None


def _once(kind: str, e, make) -> str:
    """Each expression printed once per kind: a step's value and its expansion are often the
    same object."""
    key = (kind, id(e))
    if key not in _memo or _memo[key][0] is not e:
        _memo[key] = (e, make())
    return _memo[key][1]


def plain(e) -> str:
    """SymPy's one-line form, for tables: w_y*(h_0*w_h + w_x*x_1)."""
    import sympy as sp
    return _once("plain", e, lambda: sp.sstr(e, order=_order(e)))


def source(e) -> str:
    """SymPy syntax that sympy.parse_expr reads back: a name that is no Python identifier
    (w_h[1,2]) is written Symbol('w_h[1,2]')."""
    from sympy.printing.str import StrPrinter

    class Printer(StrPrinter):
        def _print_Symbol(self, s):
            return s.name if s.name.isidentifier() else f"Symbol('{s.name}')"

    return _once("source", e, lambda: Printer({"order": _order(e)}).doprint(e))


def tex(e, br: str = "") -> str:
    """SymPy's LaTeX, the symbols named as the numeric path names them (\\hat{y}_{2},
    w_{h}[1,2]); a sum's terms joined at `br`, where a long line may break."""
    import sympy as sp
    from .latex import name
    def make():
        names = {s: name(s.name) for s in getattr(e, "free_symbols", ())}
        order = _order(e)
        if br and isinstance(e, sp.Add):
            out = ""
            for i, t in enumerate(e.args if order else e.as_ordered_terms()):
                s = sp.latex(t, symbol_names=names, order=order)
                out += s if i == 0 else br + (f" {s}" if s.startswith("-") else f" + {s}")
            return out
        return sp.latex(e, symbol_names=names, order=order)
    return _once(f"tex{br}", e, make)


# -- rows -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SymRow:
    name: str
    formula: str        # over named quantities, as the numeric table writes it
    symbols: str        # the same, expanded into the base symbols ('' where it repeats it)
    closed: str         # an answer's closed form ('' for a chain-rule factor)
    chain: str = ''


def sym_row(s, view: View) -> SymRow:
    st = s.step
    name = " = ".join((st.name, *st.same))
    formula = text(st.expr, all_terms=True)
    expanded = plain(s.expanded)
    closed = plain(s.closed) if s.closed is not None else ""
    if closed == expanded:
        expanded = ""
    if expanded == formula.replace(" ", ""):
        expanded = ""
    chain = text(st.chain, all_terms=True) if st.chain is not None else ""
    n = view.names
    return SymRow(n(name), n(formula), n(expanded), n(closed), n(chain))


def _steps(items, T: int, view: View):
    """The rows to show (a long sequence's middle left out unless --all-steps); a SymStep
    passes through visible() as its numeric step does."""
    by_step = {id(s.step): s for s in items}
    for item in visible([s.step for s in items], T, view.all_steps):
        yield item if isinstance(item, Gap) else by_step[id(item)]


# -- the table --------------------------------------------------------------------------------

def _table(title: str):
    from rich.table import Table
    from rich.text import Text
    t = Table(title=Text(title), title_justify="left", expand=False)
    t.add_column("quantity", style="bold", no_wrap=True)
    t.add_column("formula", ratio=2)
    t.add_column("in the symbols", ratio=3)
    t.add_column("closed form", ratio=3, style="cyan")
    return t


def _fill(table, items, T: int, view: View) -> None:
    from rich.text import Text
    for item in _steps(items, T, view):
        if isinstance(item, Gap):
            table.add_row(Text("..."), Text(str(item), style="dim italic"), Text(""), Text(""))
            continue
        r = sym_row(item, view)
        if r.chain:
            table.add_row(Text(r.name), Text(r.chain), Text(""), Text(""))
            table.add_row(Text(""), Text("= " + r.formula), Text(r.symbols), Text(r.closed))
        else:
            table.add_row(Text(r.name), Text(r.formula), Text(r.symbols), Text(r.closed))


def _header(p):
    from rich.text import Text
    title = f" ({p.title})" if p.title else ""
    return Text(f"{p.name}{title}\n{describe(p)}\nsymbols: {', '.join(p.symbols)}")


def forward_view(sf, view: View = View()):
    from rich.console import Group
    p = sf.problem
    parts = [_header(p)]
    for stage in STAGES:
        steps = [s for s in sf.steps if s.step.stage == stage]
        if steps:
            table = _table(stage_title(stage, p))
            _fill(table, steps, p.T, view)
            parts.append(table)
    return Group(*parts)


def grad_view(sd, view: View = View()):
    from rich.console import Group
    from rich.text import Text
    p = sd.forward.problem
    parts = [_header(p), Text(f"style: {sd.style}")]
    if sd.shared:
        table = _table(f"Backpropagation through time: d{sd.of}/d(each quantity), "
                       "from the last step down")
        _fill(table, sd.shared, p.T, view)
        parts.append(table)
    for g in sd.gradients:
        table = _table(view.names(f"d{g.of}/d{g.wrt} = {plain(g.closed)}"))
        _fill(table, g.steps, p.T, view)
        parts.append(table)
    return Group(*parts)


# -- Markdown ---------------------------------------------------------------------------------

def _md_table(title: str, items, T: int, view: View) -> list[str]:
    from .latex import latex
    out = [f"### {title}", "", "| quantity | formula | in the symbols | closed form |",
           "|---|---|---|---|"]
    cell = lambda s: f"${s}$".replace("|", "\\|") if s else ""
    for item in _steps(items, T, view):
        if isinstance(item, Gap):
            out.append(f"| *{item}* | | | |")
            continue
        r = sym_row(item, view)
        formula = latex(item.step.expr, rename=view.names, all_terms=True) \
            if r.formula else ""
        if r.chain:
            formula = latex(item.step.chain, rename=view.names, all_terms=True) + " = " + formula
        out.append(f"| `{r.name}` | {cell(formula)} | "
                   f"{cell(tex(item.expanded) if r.symbols else '')} | "
                   f"{cell(tex(item.closed) if r.closed else '')} |")
    return out + [""]


def _md_head(p) -> list[str]:
    title = f": {p.title}" if p.title else ""
    return [f"## {p.name}{title}", "", describe(p), "",
            "Symbols: " + ", ".join(f"`{s}`" for s in p.symbols), ""]


def forward_md(sf, view: View = View()) -> str:
    p = sf.problem
    out = _md_head(p)
    for stage in STAGES:
        steps = [s for s in sf.steps if s.step.stage == stage]
        if steps:
            out += _md_table(stage_title(stage, p), steps, p.T, view)
    return "\n".join(out)


def grad_md(sd, view: View = View()) -> str:
    p = sd.forward.problem
    out = _md_head(p) + [f"Style: {sd.style}", ""]
    if sd.shared:
        out += _md_table(f"Backpropagation through time (d{sd.of}/d each quantity)",
                         sd.shared, p.T, view)
    for g in sd.gradients:
        out += _md_table(view.names(f"d{g.of}/d{g.wrt}"), g.steps, p.T, view)
    return "\n".join(out)


# -- LaTeX ------------------------------------------------------------------------------------

def _tex_lines(items, T: int, view: View) -> list[str]:
    from .latex import BR, equation, latex, name, text as ltext
    out = []
    for item in _steps(items, T, view):
        if isinstance(item, Gap):
            out.append(rf"&\quad\text{{{ltext(str(item))}}}")
            continue
        sides = [latex(item.step.expr, rename=view.names, all_terms=True),
                 tex(item.expanded, BR)]
        if item.closed is not None:
            sides.append(tex(item.closed, BR))
        out += equation(name(view.names(item.name)), sides)
    return out


def forward_tex(sf, view: View = View(), standalone: bool = False) -> str:
    from .latex import _align, _document, _head, text as ltext
    p = sf.problem
    body = [rf"\paragraph{{{ltext(p.name)}: forward pass in symbols}}",
            _align(_tex_lines(sf.steps, p.T, view))]
    return _document(_head(p) + body) if standalone else "\n".join(body)


def grad_tex(sd, view: View = View(), standalone: bool = False) -> str:
    from .latex import _document, _grad_paragraphs, _head
    p = sd.forward.problem
    body = _grad_paragraphs(sd, view, _tex_lines)
    if standalone:
        return _document(_head(p) + [forward_tex(sd.forward, view)] + body)
    return "\n".join(body)


# -- JSON -------------------------------------------------------------------------------------

def value_fields(e, key: str = "value") -> dict:
    """{"value": "2*w_y*(...)", "latex": "2 w_{y} ..."}: SymPy syntax and its LaTeX."""
    return {key: source(e), ("latex" if key == "value" else f"{key}_latex"): tex(e)}


def step_json(s) -> dict:
    st = s.step
    out = {"name": st.name, "t": st.t, "kind": st.stage,
           "formula": text(st.expr, all_terms=True),
           **value_fields(s.expanded, "expanded"),
           **value_fields(s.closed if s.closed is not None else s.expanded)}
    if st.same:
        out["same_as"] = list(st.same)
    if st.chain is not None:
        out["chain"] = text(st.chain, all_terms=True)
    return out


def _common(p) -> dict:
    return {"problem": p.name, "title": p.title, "cell": p.cell, "layout": p.layout,
            "activation": p.activation if p.cell == "rnn" else None, "output": p.output,
            "loss_function": p.loss, "reduction": p.reduction, "arithmetic": "symbolic",
            "symbols": list(p.symbols)}


def forward_json(sf) -> dict:
    p, env = sf.problem, sf.env
    closed = {n: s.closed for s in sf.steps if s.closed is not None
              for n in (s.name, *s.step.same)}
    pick = lambda n: closed.get(n, env[n])
    steps = []
    for t in range(1, p.T + 1):
        has = t in p.y
        step = {"t": t, **value_fields(env[f"x_{t}"], "x")}
        for b in p.step_bases:
            step.update(value_fields(pick(f"{b}_{t}"), b))
        step.update(value_fields(env[f"y_{t}"], "y") if has else {"y": None})
        step.update(value_fields(pick(f"L_{t}"), "loss") if has else {"loss": None})
        steps.append(step)
    return {**_common(p), "steps": steps, **value_fields(pick("L"), "loss"),
            "derivation": [step_json(s) for s in sf.steps]}


def grad_json(sd) -> dict:
    out = {**_common(sd.forward.problem), "of": sd.of, "style": sd.style,
           "gradients": {g.wrt: {**value_fields(g.closed),
                                 "terms": [step_json(s) for s in g.steps]}
                         for g in sd.gradients}}
    if sd.shared:
        out["recursion"] = [step_json(s) for s in sd.shared]
    return out



def render(result, command: str, fmt: str, view: View | None, standalone: bool):
    """A symbolic forward pass, derivation or general-T result (command 'forward', 'grad'
    or 'general') as table, json, markdown or latex."""
    import json
    from ..model.errors import InputError
    from . import general
    if command == "general":
        makers = {"json": lambda: general.general_json(result),
                  "markdown": lambda: general.general_md(result),
                  "latex": lambda: general.general_tex(result, standalone),
                  "table": lambda: general.general_view(result)}
    else:
        view = view or View()
        here = globals()
        makers = {"json": lambda: here[f"{command}_json"](result),
                  "markdown": lambda: here[f"{command}_md"](result, view),
                  "latex": lambda: here[f"{command}_tex"](result, view, standalone),
                  "table": lambda: here[f"{command}_view"](result, view)}
    if fmt not in makers:
        raise InputError("symbolic mode writes table, json, markdown or latex",
                         where="--format")
    out = makers[fmt]()
    if fmt != "json":
        return out
    from .jsonout import dumps    # ASCII escapes where standard output needs them
    return dumps(out)
