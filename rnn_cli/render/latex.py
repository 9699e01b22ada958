"""LaTeX: each step as an align* line, symbols = numbers = value, as the handwritten page.

Formulas are walked by typeset.typeset (as the MathML of html.py is), written in the words of
LATEX here. A line too long for the page is broken at its equals signs and, where one side is
still too long, between the terms of a sum or the factors of a chain, so a standalone document
compiles with pdflatex and stays inside its margins. Text that comes from a file (titles,
names, answers, diagnoses) is escaped: TeX never runs anything it was given.
"""

import re
import unicodedata

from ..model import numbers as num
from .rows import MAX_SHOWN, View, describe, visible
from .typeset import Dialect, typeset

FUNCTIONS = {"tanh": r"\tanh", "log": r"\log", "exp": r"\exp", "sigmoid": r"\sigma",
             "softmax": r"\operatorname{softmax}", "relu": r"\operatorname{relu}",
             "relu'": r"\operatorname{relu}'", "sum": r"\textstyle\sum"}
_STEP = re.compile(r"(y_hat|[A-Za-z]+)_(\d+|[a-z]+)(\[[\d,]+\])?")
_NAME = re.compile(r"[A-Za-z0-9_/\[\], ()]+")
BR = "\x00"     # where a long line may break; never in the output
WIDTH = 78      # about how many characters of math one line of the page holds


# -- text -------------------------------------------------------------------------------------

_SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&",
            "#": r"\#", "%": r"\%", "_": r"\_", "^": r"\textasciicircum{}",
            "~": r"\textasciitilde{}", "<": r"\textless{}", ">": r"\textgreater{}",
            "|": r"\textbar{}", "\n": " ", "\t": " "}
_UNICODE = {"≈": r"$\approx$", "→": r"$\to$", "ŷ": r"$\hat{y}$", "∂": r"$\partial$",
            "×": r"$\times$", "·": r"$\cdot$", "⊙": r"$\odot$", "−": "-", "•": r"\textbullet{}",
            "…": r"\dots{}", "⋮": r"$\vdots$", "θ": r"$\theta$", "σ": r"$\sigma$",
            "Σ": r"$\Sigma$", "Π": r"$\Pi$", "±": r"$\pm$", "✓": r"$\checkmark$",
            "✗": r"$\times$", "‘": "`", "’": "'", "“": "``", "”": "''", "–": "--",
            "—": "---", "█": r"\rule{0.5em}{1ex}", " ": "~", "°": r"$^\circ$",
            "≤": r"$\leq$", "≥": r"$\geq$", "≠": r"$\neq$", "∞": r"$\infty$"}
_ACCENTS = {"\u0301": "'", "\u0300": "`", "\u0302": "^", "\u0303": "~", "\u0308": '"',
            "\u0327": "c", "\u030a": "r", "\u030c": "v", "\u0304": "="}


def text(s: str) -> str:
    """Any text as LaTeX text mode: specials escaped, accented letters as accents, a
    character pdflatex has no glyph for as its code point."""
    out = []
    for i, ch in enumerate(s):
        if ch in _SPECIAL:
            out.append(_SPECIAL[ch])
        elif ch == "-" and s[i + 1:i + 2] == "-":
            out.append("-{}")          # -- and --- are dashes in TeX; these are hyphens
        elif ch.isascii() and ch.isprintable():
            out.append(ch)
        elif ch in _UNICODE:
            out.append(_UNICODE[ch])
        else:
            base, *marks = unicodedata.normalize("NFD", ch)
            if base.isascii() and base.isalpha() and marks and all(m in _ACCENTS for m in marks):
                for m in marks:
                    base = rf"\{_ACCENTS[m]}{{{base}}}"
                out.append(base)
            else:
                out.append(rf"\texttt{{[U+{ord(ch):04X}]}}")
    return "".join(out)


# -- math -------------------------------------------------------------------------------------

def name(n: str) -> str:
    """A quantity's name in LaTeX: y_hat_2 -> \\hat{y}_{2}, dL_2/dw_h -> a fraction."""
    if not _NAME.fullmatch(n):
        return rf"\text{{{text(n)}}}"
    if "/" in n:
        top, _, bottom = n.partition("/")
        note = ""
        if bottom.endswith(" (direct)"):
            bottom, note = bottom[:-9], r"\big\vert_{\text{direct}}"
        return rf"\frac{{\partial {name(top[1:])}}}{{\partial {name(bottom[1:])}}}{note}"

    def one(m):
        # a gate's two letters (og_1, ai_1) are one name, not a product
        base = r"\hat{y}" if m[1] == "y_hat" else m[1] if len(m[1]) == 1 \
            else rf"\mathit{{{m[1]}}}"
        idx = f"[{m[3][1:-1]}]" if m[3] else ""
        return f"{base}_{{{m[2]}}}{idx}"
    return _STEP.sub(one, n)


def number(v, digits: int) -> str:
    """A value in LaTeX: 1/3 as a fraction, 1e-5 as a power of ten, a matrix as a bmatrix
    (its corners only beyond MAX_SHOWN rows or columns, as in the tables)."""
    if hasattr(v, "rows"):
        rows = [[number(x, digits) for x in r] for r in v.rows]
        if len(rows) > MAX_SHOWN:
            rows = rows[:3] + [[r"\vdots"] * len(rows[0])] + rows[-3:]
        if len(rows[0]) > MAX_SHOWN:
            rows = [r[:3] + [r"\ddots" if r[0] == r"\vdots" else r"\cdots"] + r[-3:]
                    for r in rows]
        body = r" \\ ".join(" & ".join(r) for r in rows)
        return rf"\begin{{bmatrix}} {body} \end{{bmatrix}}"
    s = num.fmt(v, digits)
    if "/" in s:
        p, q = s.split("/")
        return rf"\frac{{{p}}}{{{q}}}" if not p.startswith("-") else rf"-\frac{{{p[1:]}}}{{{q}}}"
    if "e" in s:
        mant, exp = s.split("e")
        return rf"{mant} \times 10^{{{int(exp)}}}"
    return s


class _LaTeX(Dialect):
    """LaTeX's words for each kind of node; BR marks where a long line may break: before a
    sum's plus, a difference's minus, a chain's dot."""
    opens = r"\left("
    number = staticmethod(number)
    name = staticmethod(name)

    def fence(self, s: str) -> str:
        return rf"\left({s}\right)"

    def more(self, e) -> str:
        return rf"\sum_{{t={e.first}}}^{{{e.last}}} \cdots"

    def gap(self, n: int) -> str:
        return rf"\dots\ \text{{({n} more terms)}}"

    def sum(self, parts: list[str], bracket: bool) -> str:
        body = f" {BR}+ ".join(parts)
        return rf"\left[{body}\right]" if bracket else body

    def diff(self, left: str, right: str) -> str:
        return f"{left} {BR}- {right}"

    def neg(self, arg: str) -> str:
        return f"-{arg}"

    def joint(self, chain: bool, numeric: bool) -> str:
        return f" {BR}\\cdot " if chain else (f" {BR}\\times " if numeric else " ")

    def prod(self, body: str) -> str:
        return body

    def quot(self, top: str, bottom: str) -> str:
        return rf"\frac{{{top}}}{{{bottom}}}"

    def power(self, base: str, exp: int) -> str:
        return f"{base}^{{{exp}}}"

    def call(self, fn: str, arg: str) -> str:
        return FUNCTIONS.get(fn, fn) + self.fence(arg)

    def had(self, parts: list[str]) -> str:
        return f" {BR}\\odot ".join(parts)

    def trans(self, arg: str) -> str:
        return rf"{arg}^{{\top}}"

    def diag(self, arg: str) -> str:
        return r"\operatorname{diag}" + self.fence(arg)

    def index(self, arg: str, index: tuple) -> str:
        # an entry as [i,j] after its vector: h_{1}[2], never the double subscript h_{1}_{2}
        return f"{arg}[{','.join(map(str, index))}]"


LATEX = _LaTeX()


def latex(e, numeric: bool = False, digits: int = 6, rename=lambda n: n,
          all_terms: bool = True) -> str:
    """A formula in LaTeX, in symbols or with the numbers substituted; `rename` maps the
    canonical names to a notation's. Sums and chains carry BR marks where a line may break;
    `all_terms=False` shortens a long sum to its first and last two terms, as the tables do."""
    return typeset(e, LATEX, numeric, digits, rename, all_terms)


# -- fitting lines to the page ----------------------------------------------------------------

_MATRIX = re.compile(r"\\begin\{bmatrix\}(.*?)\\end\{bmatrix\}", re.S)
_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|\s+|.", re.S)
_COMMANDS = {"left": 0, "right": 0, "big": 0, "textstyle": 0, "quad": 2, "dots": 3,
             "tanh": 4, "log": 3, "exp": 3, "cdot": 1.5, "times": 1.5, "odot": 1.5}
_LEFT, _RIGHT = re.compile(r"\\left(?![A-Za-z])"), re.compile(r"\\right(?![A-Za-z])")


def width(tex: str) -> float:
    """Roughly how many characters wide `tex` prints: a fraction as its wider part, a
    subscript at 0.7, a matrix as its widest row."""

    def matrix(m) -> str:
        rows = [[width(c) for c in r.split("&")] for r in m[1].split(r"\\")]
        return "M" * round(max(sum(r) + 2 * (len(r) - 1) for r in rows) + 2)

    toks = _TOKEN.findall(_MATRIX.sub(matrix, tex.replace(BR, "")))
    pos = 0

    def arg() -> float:
        nonlocal pos
        if pos >= len(toks):
            return 0
        pos += 1
        return run() if toks[pos - 1] == "{" else one(toks[pos - 1])

    def one(t: str) -> float:
        if t == "{":
            return run()
        if t in "^_":
            return 0.7 * arg()
        if t == r"\frac":
            return max(arg(), arg()) + 0.5
        if t in (r"\text", r"\operatorname", r"\texttt", r"\hat", r"\rule"):
            return arg()
        if t.isspace():
            return 0.5
        if t.startswith("\\") and t[1:].isalpha():
            return _COMMANDS.get(t[1:], 1)
        return 1

    def run() -> float:
        nonlocal pos
        w = 0.0
        while pos < len(toks) and toks[pos] != "}":
            pos += 1
            w += one(toks[pos - 1])
        pos += 1
        return w

    return run()


def _pieces(tex: str) -> list[str]:
    """`tex` cut at its BR marks, except inside braces (a fraction cannot break)."""
    out, depth, start, i = [], 0, 0, 0
    while i < len(tex):
        ch = tex[i]
        if ch == "\\":
            i += 2
            continue
        depth += (ch == "{") - (ch == "}")
        if ch == BR and depth == 0:
            out.append(tex[start:i].replace(BR, "").strip())
            start = i + 1
        i += 1
    return out + [tex[start:].replace(BR, "").strip()]


def equation(label: str, sides: list[str]) -> list[str]:
    """`label = side = side ...` as align* lines (without the final \\\\), each at most WIDTH
    wide where a break is possible: breaks first at the equals signs, then between terms.
    A break inside \\left( ... \\right) closes it with \\right. and reopens it with \\left."""
    sides = list(dict.fromkeys(sides))
    if width(label) + sum(width(s) + 3 for s in sides) <= WIDTH:
        return [f"{label} &= " + " = ".join(s.replace(BR, "") for s in sides)]
    lines, line, used = [], f"{label} &=", width(label) + 2
    for i, side in enumerate(sides):
        for j, piece in enumerate(_pieces(side)):
            joint = "=" if j == 0 and i > 0 else ""
            w = width(piece) + (2 if joint else 1)
            if used + w > WIDTH and not line.endswith("&="):
                opened = len(_LEFT.findall(line)) - len(_RIGHT.findall(line))
                lines.append(line + r" \right." * opened)
                line = (r"&=" if joint else r"&\quad") + r" \left." * opened
                used = 4 + w
                joint = ""
            else:
                used += w
            line += f" {joint} {piece}" if joint else f" {piece}"
    return lines + [line]


# -- derivations ------------------------------------------------------------------------------

def _lines(steps, T: int, view: View) -> list[str]:
    out = []
    for item in visible(steps, T, view.all_steps):
        if not hasattr(item, "expr"):
            out.append(rf"&\quad\text{{{text(str(item))}}}")
            continue
        symbols = latex(item.expr, digits=view.digits, rename=view.names,
                        all_terms=view.all_steps)
        numbers = latex(item.expr, numeric=True, digits=view.digits, all_terms=view.all_steps)
        # a chain-rule term: first its chain in derivative names, as the table shows it
        chain = [latex(item.chain, rename=view.names, all_terms=view.all_steps)] \
            if getattr(item, "chain", None) is not None else []
        out += equation(name(view.names(item.name)),
                        [*chain, symbols, numbers, number(item.value, view.digits)])
    return out


def _align(lines: list[str]) -> str:
    return "\n".join([r"\begin{align*}", " \\\\\n".join(lines), r"\end{align*}"])


def _head(problem) -> list[str]:
    title = f": {problem.title}" if problem.title else ""
    return [rf"\section*{{{text(problem.name + title)}}}", text(describe(problem)) + "."]


def forward_tex(fwd, view: View = View(), standalone: bool = False,
                math: bool = False) -> str:
    """The forward pass; `math`: the align* environment alone (what MathJax shows in a
    notebook), else with a heading, or a whole document with `standalone`."""
    p = fwd.problem
    body = [rf"\paragraph{{{text(p.name)}: forward pass}}",
            _align(_lines(fwd.steps, p.T, view))]
    if math:
        return body[-1]
    return _document(_head(p) + body) if standalone else "\n".join(body)


def _grad_paragraphs(d, view: View, lines) -> list[str]:
    """Each gradient of `d` as a heading and an align* environment, the shared recursion of
    the delta style first; `lines(steps, T, view)` writes the steps as align* lines (with
    numbers here, in symbols for --symbolic)."""
    T = d.forward.problem.T
    body = []
    if d.shared:
        body += [r"\paragraph{Backpropagation through time}", _align(lines(d.shared, T, view))]
    for g in d.gradients:
        # the heading in a slashed form: a \frac in running text is too small to read
        title = rf"\partial {name(view.names(g.of))}/\partial {name(view.names(g.wrt))}"
        body += [rf"\paragraph{{${title}$}}", _align(lines(g.steps, T, view))]
    return body


def grad_tex(d, view: View = View(), standalone: bool = False, math: bool = False) -> str:
    """The gradients, an align* environment each (the recursion first in the delta style);
    `math` leaves out the headings, `standalone` makes a whole document."""
    p = d.forward.problem
    body = _grad_paragraphs(d, view, _lines)
    if math:
        return "\n".join(b for b in body if not b.startswith(r"\paragraph"))
    if standalone:   # a whole solution, as the handwritten page: the forward pass first
        return _document(_head(p) + [forward_tex(d.forward, view)] + body)
    return "\n".join(body)


# -- check and explain ------------------------------------------------------------------------

def _table(spec: str, head: list[str], rows: list[list[str]]) -> str:
    """A longtable (it breaks across pages) with a header row repeated on each page."""
    return "\n".join([rf"\begin{{longtable}}{{{spec}}}", " & ".join(head) + r" \\ \hline",
                      r"\endhead", *[" & ".join(r) + r" \\" for r in rows],
                      r"\end{longtable}"])


def check_tex(report, digits: int = 6, standalone: bool = False) -> str:
    """A checked answer key: per problem a table of answers and verdicts, then the score."""
    from ..teach.check import CONSISTENT, CORRECT, INVALID, WRONG, expected_text
    from .checkout import COLUMNS, _groups, given_text, summary
    from .mathtext import sentence
    mark = {CORRECT: r"$\checkmark$ correct", CONSISTENT: r"$\sim$ consistent",
            WRONG: r"$\times$ wrong", INVALID: r"? invalid"}
    # a diagnosis is ours: its formulas typeset as maths; an unreadable answer's reason
    # quotes the key, so it stays text
    note = lambda r: r" \newline ".join(text(d) if r.verdict == INVALID else sentence(d)
                                         for d in r.diagnosis)
    body = [r"\section*{rnn-solve check}"]
    for (file, problem), rs in _groups(report).items():
        rows = [[f"${name(r.name)}$", text(given_text(r.answer, digits)),
                 text(expected_text(r, digits)), text(r.rule), mark[r.verdict], note(r)]
                for r in rs]
        body += [rf"\subsection*{{\texttt{{{text(file)}}}: {text(problem)}}}",
                 r"{\small",      # 17-digit numbers of a float key, beside a rule and a note
                 _table(r"l l >{\raggedright\arraybackslash}p{0.14\textwidth} "
                        r">{\raggedright\arraybackslash}p{0.11\textwidth} l "
                        r">{\raggedright\arraybackslash}p{0.28\textwidth}", list(COLUMNS),
                        rows), "}"]
    if report.errors:
        body += [r"\begin{itemize}", *[rf"\item \textbf{{input error}}: {text(e)}"
                                       for e in report.errors], r"\end{itemize}"]
    body.append(rf"\textbf{{{text(summary(report))}}}")
    return _document(body) if standalone else "\n".join(body)


# A name of the notation in explain's text: h_t, h_{t-1}, y_hat_3, σ_max, ∂h_t, h_{t-1}^T,
# and quotients of them, dh_T/dh_{t-1} or dL/dw_h. Subscripts hold only letters, digits, +
# and -, so what becomes math is safe by construction.
_PART = r"(?:[A-Za-z]+|σ|∂[A-Za-z]+)(?:_(?:\{[A-Za-z0-9+-]+\}|[A-Za-z0-9]+))*(?:\^(?:T\b))?"
_NOTATION = re.compile(rf"(?<![\w{{}}\\])(?:[A-Za-z]+/)?{_PART}(?:/{_PART})*")
LONG_WORD, CHUNK = 16, 8        # a word longer than this may break every CHUNK characters


def _math_part(m: str) -> str:
    r"""One name of the notation as math: y_hat_3 -> \hat{y}_{3}, h_{t-1}^T -> h_{t-1}^{\top}."""
    top = m.endswith("^T")
    m = m[:-2] if top else m
    m = m.replace("y_hat", "\x01")
    base, *subs = re.findall(r"\{[^{}]*\}|[^_{}]+", m)
    base = (base.replace("\x01", r"\hat{y}").replace("σ", r"\sigma")
            .replace("∂", r"\partial "))
    subs = [r"\max" if x == "max" else x.strip("{}").replace("\x01", r"\hat{y}") for x in subs]
    out = base + (f"_{{{','.join(subs)}}}" if subs else "")
    return out + (r"^{\top}" if top else "")


def _breakable(s: str) -> str:
    """Text with a possible line break every CHUNK characters of a very long word (a text of
    200 letters in a table cell or a heading)."""
    out = []
    for i, piece in enumerate(re.split(r"(\S{%d,})" % (LONG_WORD + 1), s)):
        if i % 2:           # a long word, as split out
            out.append(r"\allowbreak{}".join(text(piece[k:k + CHUNK])
                                             for k in range(0, len(piece), CHUNK)))
        else:
            out.append(text(piece))
    return "".join(out)


def prose(s: str, notation: bool = True) -> str:
    """explain's text as LaTeX: the names of the notation (`notation`) typeset as inline
    math, h_{t-1} as $h_{t-1}$ and not with its braces printed; the rest as text."""
    if not notation:
        return _breakable(s)
    out, at = [], 0
    for m in _NOTATION.finditer(s):
        if "_" not in m[0]:
            continue
        out += [_breakable(s[at:m.start()]),
                "$" + "/".join(_math_part(p) for p in m[0].split("/")) + "$"]
        at = m.end()
    return "".join(out + [_breakable(s[at:])])


# the explain tables: the page of _document, 8.5 in less 2 x 2 cm (500 pt), with a margin
PAGE_WIDTH = 480
SIZES = ((r"\normalsize", 10), (r"\small", 9), (r"\footnotesize", 8), (r"\scriptsize", 7))
COLUMN_SEP = 4          # pt each side of a column (\tabcolsep)
_EM = {**dict.fromkeys("0123456789", 0.5), **dict.fromkeys("mwMW", 0.85),
       **dict.fromkeys("ijlt.,:;'!|()[] ", 0.3)}


def _em(s: str) -> float:
    """About how wide `s` prints, in em of its font (Computer Modern: digits 0.5 em, capitals
    about 0.75), with a margin; a subscript at 0.7."""
    w, sub = 0.0, False
    for ch in s:
        if ch == "_":
            sub = True
            continue
        if ch in "{}":
            continue
        w += (0.7 if sub else 1) * _EM.get(ch, 0.75 if ch.isupper() else 0.6)
        sub = sub and ch.isalnum()
    return 1.1 * w


def _widths(columns: list[list[str]]) -> tuple[str, list[float]]:
    """The font size and the column widths (em) of a table whose columns hold these strings
    (the header first): the largest size at which each column is as wide as its widest word,
    then each widened towards its whole longest line as the page allows."""
    def words(s):
        return [w[:CHUNK] if len(w) > LONG_WORD else w for w in s.split()] or [""]
    least = [max(_em(w) for c in col for w in words(c)) for col in columns]
    whole = [max(max(_em(c) for c in col), m) for col, m in zip(columns, least)]
    room = PAGE_WIDTH - 2 * COLUMN_SEP * len(columns)
    size, pt = next(((n, pt) for n, pt in SIZES if sum(least) * pt <= room), SIZES[-1])
    spare = room / pt - sum(least)
    want = sum(w - m for w, m in zip(whole, least))
    if want <= spare:
        return size, whole
    return size, [m + spare * (w - m) / want for w, m in zip(whole, least)]


def _topic_table(t, notation: bool) -> str:
    """One of explain's tables, as narrow as the page: wrapping headers and a smaller font
    where its columns need them (the bar column is left out)."""
    cols = [j for j in range(len(t.columns)) if j != t.bars]
    strings = [[t.columns[j], *(str(r[j]) for r in t.rows)] for j in cols]
    size, widths = _widths(strings)
    spec = "".join(rf">{{\raggedleft\arraybackslash}}p{{{w:.2f}em}}" for w in widths)
    return "\n".join([r"\begingroup" + size, rf"\setlength{{\tabcolsep}}{{{COLUMN_SEP}pt}}",
                      _table(spec, [prose(t.columns[j], notation) for j in cols],
                             [[prose(str(r[j]), notation) for j in cols] for r in t.rows]),
                      r"\endgroup"])


def topic_tex(topic, standalone: bool = False) -> str:
    """An explained topic: its prose as paragraphs, its tables, its answer."""
    n = topic.notation
    # a heading or paragraph that quotes a very long text may break only inside it: the
    # emergency stretch (only tried where a paragraph cannot be set otherwise) lets such a
    # line be loose rather than run into the margin
    body = [r"\begingroup\setlength{\emergencystretch}{\linewidth}",
            rf"\section*{{{prose(topic.name + ': ' + topic.title, n)}}}",
            *[prose(p, n) + "\n" for p in topic.prose]]
    for t in topic.tables:
        body += [rf"\subsection*{{{prose(t.title, n)}}}", _topic_table(t, n)]
    body += [rf"\paragraph{{Answer.}} {prose(topic.answer, n)}", "", r"\endgroup"]
    return _document(body) if standalone else "\n".join(body)


def _document(body: list[str]) -> str:
    return "\n".join([r"\documentclass{article}",
                      r"\usepackage{amsmath,amssymb,array,longtable}",
                      r"\usepackage[margin=2cm]{geometry}", r"\allowdisplaybreaks",
                      r"\begin{document}", *body, r"\end{document}"])
