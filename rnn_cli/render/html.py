"""HTML: one self-contained page (or a <div> for a notebook) per result. Formulas are MathML,
charts inline SVG; no script, no style sheet or font from elsewhere, so a page opens from disk
and prints as it shows. Every string from outside (names, titles, ids, file names, answers)
is escaped here, once.

Formulas are walked by typeset.typeset (as the LaTeX of latex.py is), written in the words
of MATHML here.
"""

import html
import math

from ..model import numbers as num
from ..model.errors import one_line
from .rows import (MAX_SHOWN, STAGES, Gap, View, describe, row, stage_title, typeset_cells,
                   visible)
from .typeset import Dialect, typeset

FUNCTIONS = {"sigmoid": "σ", "sum": "∑"}
STYLE = """
.rnn-solve{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;color:#1a1a1a;
 max-width:72rem;line-height:1.45}
.rnn-solve table{border-collapse:collapse;margin:.5rem 0 1.5rem}
.rnn-solve th,.rnn-solve td{border:1px solid #c8c8c8;padding:.25rem .5rem;vertical-align:top;
 text-align:left}
.rnn-solve th{background:#f0f0f0}
.rnn-solve td.value,.rnn-solve td.num{text-align:right;white-space:nowrap}
.rnn-solve .correct{color:#1a7f37}.rnn-solve .consistent{color:#9a6700}
.rnn-solve .wrong{color:#cf222e}.rnn-solve .invalid{color:#8250df}
.rnn-solve .gap{font-style:italic;color:#555}
.rnn-solve td.correct,.rnn-solve td.consistent,.rnn-solve td.wrong{white-space:nowrap}
.rnn-solve .note{background:#fff8c5;padding:.25rem .5rem}
.rnn-solve figure{margin:.5rem 0 1.5rem}
.rnn-solve svg text{font-family:system-ui,sans-serif;font-size:12px}
@media print{.rnn-solve{max-width:none}}
"""


def esc(s) -> str:
    """Text from anywhere as HTML text: markup escaped, control characters as visible
    escapes (\\x1b), never raw."""
    return html.escape(one_line(str(s)), quote=True)


# -- MathML -------------------------------------------------------------------------------------

def _mi(s: str) -> str:
    return f"<mi>{esc(s)}</mi>"


def _mo(s: str) -> str:
    return f"<mo>{esc(s)}</mo>"


def _fenced(inner: str, left: str = "(", right: str = ")") -> str:
    return f"<mrow>{_mo(left)}{inner}{_mo(right)}</mrow>"


def name(n: str) -> str:
    """A quantity's name in MathML: y_hat_2 as ŷ₂, dL_2/dw_h as a fraction of partials."""
    if "/" in n:
        top, _, bottom = n.partition("/")
        note = ""
        if bottom.endswith(" (direct)"):
            bottom, note = bottom[:-9], "<msub><mo>|</mo><mtext>direct</mtext></msub>"
        if top.startswith("d") and bottom.startswith("d"):
            return (f"<mrow><mfrac><mrow><mo>∂</mo>{name(top[1:])}</mrow>"
                    f"<mrow><mo>∂</mo>{name(bottom[1:])}</mrow></mfrac>{note}</mrow>")
        return f"<mtext>{esc(n)}</mtext>"
    index = ""
    if n.endswith("]") and "[" in n:
        n, _, idx = n.partition("[")
        index = f"{_mo('[')}<mn>{esc(idx[:-1])}</mn>{_mo(']')}"
    base, _, sub = n.rpartition("_")
    if not base or not sub or not sub.replace(" ", "").isalnum():
        return f"<mrow>{_mi(n)}{index}</mrow>"
    if base == "y_hat":
        head = f"<mover accent=\"true\">{_mi('y')}<mo>^</mo></mover>"
    else:
        head = _mi(base)
    return f"<mrow><msub>{head}<mn>{esc(sub)}</mn></msub>{index}</mrow>" if sub.isdigit() \
        else f"<mrow><msub>{head}<mi>{esc(sub)}</mi></msub>{index}</mrow>"


def number(v, digits: int) -> str:
    """A value: 1/3 as a fraction, 1e-5 as a power of ten, a matrix as a bracketed table."""
    if hasattr(v, "rows"):
        rows = [[number(x, digits) for x in r] for r in v.rows]
        if len(rows) > MAX_SHOWN:
            rows = rows[:3] + [["<mo>⋮</mo>"] * len(rows[0])] + rows[-3:]
        if len(rows[0]) > MAX_SHOWN:
            rows = [r[:3] + ["<mo>⋯</mo>"] + r[-3:] for r in rows]
        body = "".join("<mtr>" + "".join(f"<mtd>{c}</mtd>" for c in r) + "</mtr>"
                       for r in rows)
        return _fenced(f"<mtable>{body}</mtable>", "[", "]")
    s = num.fmt(v, digits)
    sign = ""
    if s.startswith("-"):
        sign, s = "<mo>−</mo>", s[1:]
    if "/" in s:
        p, q = s.split("/")
        return f"<mrow>{sign}<mfrac><mn>{p}</mn><mn>{q}</mn></mfrac></mrow>"
    if "e" in s:
        mant, exp = s.split("e")
        return (f"<mrow>{sign}<mn>{mant}</mn><mo>×</mo><msup><mn>10</mn>"
                f"<mn>{int(exp)}</mn></msup></mrow>")
    return f"<mrow>{sign}<mn>{esc(s)}</mn></mrow>" if sign else f"<mn>{esc(s)}</mn>"


class _MathML(Dialect):
    """MathML's words for each kind of node."""
    opens = "<mrow><mo>(</mo>"
    number = staticmethod(number)
    name = staticmethod(name)

    def fence(self, s: str) -> str:
        return _fenced(s)

    def more(self, e) -> str:
        return f"<mrow><munderover><mo>∑</mo><mrow><mi>t</mi><mo>=</mo><mn>{e.first}</mn>" \
               f"</mrow><mn>{e.last}</mn></munderover><mo>⋯</mo></mrow>"

    def gap(self, n: int) -> str:
        return f"<mtext>… ({n} more terms)</mtext>"

    def sum(self, parts: list[str], bracket: bool) -> str:
        body = "<mo>+</mo>".join(parts)
        return _fenced(body, "[", "]") if bracket else f"<mrow>{body}</mrow>"

    def diff(self, left: str, right: str) -> str:
        return f"<mrow>{left}<mo>−</mo>{right}</mrow>"

    def neg(self, arg: str) -> str:
        return f"<mrow><mo>−</mo>{arg}</mrow>"

    def joint(self, chain: bool, numeric: bool) -> str:
        # U+2062 is the invisible times between factors written side by side
        return "<mo>⋅</mo>" if chain else ("<mo>×</mo>" if numeric else "<mo>&#x2062;</mo>")

    def prod(self, body: str) -> str:
        return f"<mrow>{body}</mrow>"

    def quot(self, top: str, bottom: str) -> str:
        return f"<mfrac>{top}{bottom}</mfrac>"

    def power(self, base: str, exp: int) -> str:
        return f"<msup>{base}<mn>{exp}</mn></msup>"

    def call(self, fn: str, arg: str) -> str:
        return f"<mrow>{_mi(FUNCTIONS.get(fn, fn))}{_fenced(arg)}</mrow>"

    def had(self, parts: list[str]) -> str:
        return "<mrow>" + "<mo>⊙</mo>".join(parts) + "</mrow>"

    def trans(self, arg: str) -> str:
        return f"<msup>{arg}<mi mathvariant=\"normal\">T</mi></msup>"

    def diag(self, arg: str) -> str:
        return f"<mrow>{_mi('diag')}{_fenced(arg)}</mrow>"

    def index(self, arg: str, index: tuple) -> str:
        return f"<mrow>{arg}<mo>[</mo><mn>{','.join(map(str, index))}</mn><mo>]</mo></mrow>"


MATHML = _MathML()


def mathml(e, numeric: bool = False, digits: int = 6, rename=lambda n: n,
           all_terms: bool = False) -> str:
    """A formula as the inside of a <math> element, in symbols or with the numbers."""
    return typeset(e, MATHML, numeric, digits, rename, all_terms)


def inline(inner: str) -> str:
    return f'<math display="inline">{inner}</math>'


# -- pages ----------------------------------------------------------------------------------

def page(title: str, body: list[str], fragment: bool = False) -> str:
    """A whole page, or with `fragment` a <div> to place inside another (a notebook's)."""
    div = f'<div class="rnn-solve">\n<style>{STYLE}</style>\n' + "\n".join(body) + "\n</div>"
    if fragment:
        return div
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<meta name=\"generator\" content=\"rnn-solve\">\n"
            f"<title>{esc(title)}</title>\n</head>\n<body>\n{div}\n</body>\n</html>\n")


def _head(p) -> list[str]:
    title = f": {esc(p.title)}" if p.title else ""
    return [f"<h2>{esc(p.name)}{title}</h2>", f"<p>{esc(describe(p))}</p>"]


def _table(title: str, steps, T: int, view: View) -> list[str]:
    out = [f"<h3>{title}</h3>", "<table>",
           "<thead><tr><th>quantity</th><th>formula</th><th>with numbers</th><th>value</th>"
           "</tr></thead><tbody>"]
    for item in visible(steps, T, view.all_steps):
        if isinstance(item, Gap):
            out.append(f'<tr><td class="gap" colspan="4">{esc(item)}</td></tr>')
            continue
        r = row(item, view)
        label = " = ".join(inline(name(view.names(n))) for n in (item.name, *item.same))
        formula, numbers = typeset_cells(item, r, view, lambda e, **o: inline(mathml(e, **o)))
        value = inline(number(item.value, view.digits))
        out.append(f"<tr><td>{label}</td><td>{formula}</td><td>{numbers}</td>"
                   f'<td class="value">{value}</td></tr>')
    return out + ["</tbody></table>"]


def forward_html(fwd, view: View = View(), fragment: bool = False) -> str:
    """The forward pass: one table per stage, formulas in symbols, with numbers, value."""
    p = fwd.problem
    out = _head(p)
    for stage in STAGES:
        steps = [s for s in fwd.steps if s.stage == stage]
        if steps:
            out += _table(esc(stage_title(stage, p)), steps, p.T, view)
    return page(f"rnn-solve forward: {p.name}", out, fragment)


def grad_html(d, view: View = View(), fragment: bool = False) -> str:
    """A gradient: the forward pass it stands on, then every chain-rule step."""
    p = d.forward.problem
    out = _head(p) + [f"<p>Style: {esc(d.style)}</p>"]
    for stage in STAGES:
        steps = [s for s in d.forward.steps if s.stage == stage]
        if steps:
            out += _table(esc(stage_title(stage, p)), steps, p.T, view)
    if d.shared:
        out += _table(f"Backpropagation through time ({inline(name('d' + d.of + '/dq'))} "
                      "for each quantity q)", d.shared, p.T, view)
    for g in d.gradients:
        out += _table("Gradient " + inline(name(view.names(f"d{g.of}/d{g.wrt}"))), g.steps,
                      p.T, view)
    wrt = ", ".join(g.wrt for g in d.gradients)
    return page(f"rnn-solve grad: d{d.of}/d({wrt}) of {p.name}", out, fragment)


# -- charts -----------------------------------------------------------------------------------

def line_chart(chart) -> str:
    """An explain topic's chart: log10 of each series' sizes against the steps back."""
    from .explainout import _log10
    series = [[(x, _log10(y)) for x, y in s.points] for s in chart.series]
    pts = [(x, v) for s in series for x, v in s if v is not None]
    if not pts:
        return ""
    W, H, L, B = 640, 300, 60, 40
    x0, x1 = min(x for x, _ in pts), max(x for x, _ in pts)
    y0, y1 = min(v for _, v in pts), max(v for _, v in pts)
    x1, y1 = (x1 if x1 > x0 else x0 + 1), (y1 if y1 > y0 else y0 + 1)
    sx = lambda x: L + (W - L - 20) * (x - x0) / (x1 - x0)
    sy = lambda v: 20 + (H - B - 20) * (y1 - v) / (y1 - y0)
    colours = ("#0969da", "#cf222e", "#1a7f37", "#8250df")
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
           f'viewBox="0 0 {W} {H}" role="img"><title>{esc(chart.title)}</title>',
           f'<line x1="{L}" y1="{H - B}" x2="{W - 20}" y2="{H - B}" stroke="#444"/>',
           f'<line x1="{L}" y1="20" x2="{L}" y2="{H - B}" stroke="#444"/>']
    for v in sorted({math.floor(y0), math.ceil(y1)}):
        if y0 <= v <= y1:
            out.append(f'<text x="{L - 6}" y="{sy(v) + 4:.1f}" text-anchor="end">1e{v}</text>')
    out.append(f'<text x="{L}" y="{H - 8}">{esc(chart.x_label)}: {x0}</text>')
    out.append(f'<text x="{W - 20}" y="{H - 8}" text-anchor="end">{x1}</text>')
    for i, (s, pts_) in enumerate(zip(chart.series, series)):
        line = " ".join(f"{sx(x):.1f},{sy(v):.1f}" for x, v in pts_ if v is not None)
        c = colours[i % len(colours)]
        out.append(f'<polyline fill="none" stroke="{c}" stroke-width="2" points="{line}"/>')
        out.append(f'<text x="{W - 24}" y="{34 + 16 * i}" text-anchor="end" fill="{c}">'
                   f'{esc(s.label)}</text>')
    return "<figure>" + "".join(out) + f"</svg><figcaption>{esc(chart.title)} (log scale of " \
        f"the {esc(chart.y_label)})</figcaption></figure>"


def explain_html(topic, fragment: bool = False) -> str:
    """An explained topic: its prose, its tables, its chart as SVG, and the answer."""
    out = [f"<h2>{esc(topic.name)}: {esc(topic.title)}</h2>"]
    out += [f"<p>{esc(p)}</p>" for p in topic.prose]
    for t in topic.tables:
        cols = [c for j, c in enumerate(t.columns) if j != t.bars]
        out += [f"<h3>{esc(t.title)}</h3>", "<table><thead><tr>"
                + "".join(f"<th>{esc(c)}</th>" for c in cols) + "</tr></thead><tbody>"]
        out += ["<tr>" + "".join(f'<td class="num">{esc(v)}</td>' for j, v in enumerate(r)
                                 if j != t.bars) + "</tr>" for r in t.rows]
        out.append("</tbody></table>")
    if topic.chart is not None:
        out.append(line_chart(topic.chart))
    out.append(f"<p><strong>Answer.</strong> {esc(topic.answer)}</p>")
    return page(f"rnn-solve explain {topic.name}", out, fragment)


def check_html(report, digits: int = 6, fragment: bool = False) -> str:
    """A checked report: for a class (check --keys) the class's figures first; then each
    file's table."""
    from .classhtml import check_body
    return page("rnn-solve check", check_body(report, digits), fragment)
