"""The files of `variants`: each student's problem (TOML), question sheet (Markdown or LaTeX)
and the class's keys (TOML), written as text with every value exact and in a fixed order, so
that the same seed and roster give the same bytes. Every string and key goes through
safe.toml (a file name or a title cannot add a line, a key or a control character), and the
comments name the source and the seed through safe.visible (one line, no escape sequence)."""

import re
from decimal import Decimal
from fractions import Fraction

from ..model.matrix import Mat
from ..model.numbers import exact_text, fmt, is_exact
from ..model.safe import toml, toml_key, visible
from ..teach.variants import toml_value
from . import latex as tex
from .rows import describe

SETTINGS = ("title", "cell", "activation", "output", "loss", "reduction", "outputs", "layout")
INEXACT_DECIMALS = 6


def key(k: str) -> str:
    """A TOML key: bare where it can be, else a quoted string."""
    return toml_key(k)


def value(v) -> str:
    """A TOML value: numbers exact (a decimal as written, a fraction as "p/q"), strings quoted
    with escapes, lists inline."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (Fraction, Mat)):
        v = toml_value(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, Decimal):
        s = format(v.normalize(), "f")
        return s if "." in s else s + ".0"
    if isinstance(v, str):
        return toml(v)
    if isinstance(v, list):
        return "[" + ", ".join(value(x) for x in v) + "]"
    if isinstance(v, Fraction):  # pragma: no cover - toml_value turned it into the above
        return toml(exact_text(v))
    raise TypeError(type(v))  # pragma: no cover


def answer_value(v) -> str:
    """An answer of a key: exact where it is, else rounded to 6 decimals."""
    if isinstance(v, Mat):
        rows = [[answer_value(x) for x in r] for r in v.rows]
        if v.is_column:
            return "[" + ", ".join(r[0] for r in rows) + "]"
        return "[" + ", ".join("[" + ", ".join(r) + "]" for r in rows) + "]"
    if is_exact(v):
        return value(v)
    s = fmt(v, 12)
    d = Decimal(s).quantize(Decimal(1).scaleb(-INEXACT_DECIMALS))
    return format(d, "f")


def problem_lines(table: dict, prefix: str = "") -> list[str]:
    """The settings, [params] and [data] of a problem table, under `prefix` (a student's table
    in the keys) or at the top level."""
    out = [f"{k} = {value(table[k])}" for k in SETTINGS if k in table]
    for section in ("params", "data"):
        out += ["", f"[{prefix}{section}]"]
        out += [f"{key(k)} = {value(v)}" for k, v in table.get(section, {}).items()]
    return out


def problem_toml(v, seed: str, source: str) -> str:
    """DIR/problems/ID.toml: the student's variant, without answers."""
    head = [f"# {visible(source)}: the variant of {visible(v.student)} (rnn-solve variants, "
            f"seed {visible(seed)}).",
            "# Hand it in with your answers added as an [answers] table, keeping student.",
            f"student = {value(v.student)}"]
    return "\n".join(head + problem_lines(v.table)) + "\n"


def keys_toml(variants, seed: str, source: str) -> str:
    """DIR/keys.toml: every student's variant and its full answer key. Private."""
    out = [f"# The keys of {len(variants)} variants of {visible(source)} (rnn-solve variants, "
           f"seed {visible(seed)}). Private: do not hand out.",
           "# rnn-solve check SUBMISSIONS... --keys keys.toml judges each submission on its "
           "student's table."]
    for v in variants:
        k = key(v.student)
        out += ["", f"[{k}]", f"student = {value(v.student)}"]
        out += problem_lines(v.table, f"{k}.")
        out += ["", f"[{k}.answers]"]
        out += [f"{key(n)} = {answer_value(a)}" for n, a in v.answers.items()]
    return "\n".join(out) + "\n"


# -- question sheets --------------------------------------------------------------------------

_MD = re.compile(r"([\\`*_\[\]#!|<>&~])")


def md(s: str) -> str:
    """Text for Markdown: its markup characters escaped (no HTML, no link reaches the page)."""
    from ..model.errors import one_line
    return _MD.sub(r"\\\1", one_line(s))


def _number(v) -> str:
    return tex.number(v, 6)


def _data_rows(p) -> list[tuple[int, str, str]]:
    return [(t, _number(p.x[t - 1]), _number(p.y[t]) if t in p.y else "")
            for t in range(1, p.T + 1)]


def _questions(v) -> list[str]:
    return [tex.name(n) for n in v.answers]


def sheet_md(v, seed: str) -> str:
    """A student's question sheet in Markdown (GitHub and Jupyter typeset its $...$)."""
    p = v.problem
    out = [f"# {md(p.title or p.name)}", "", f"Student: **{md(v.student)}**", "",
           md(describe(p)) + ".", "", "| parameter | value |", "|---|---|"]
    out += [f"| ${tex.name(k)}$ | ${_number(p.params[k])}$ |" for k in p.param_names
            if k in p.given]
    out += ["", "| $t$ | $x_t$ | $y_t$ |", "|---|---|---|"]
    out += [f"| {t} | ${x}$ | {f'${y}$' if y else ''} |" for t, x, y in _data_rows(p)]
    out += ["", "Compute, exactly where you can:", ""]
    out += [f"{i}. ${q}$" for i, q in enumerate(_questions(v), 1)]
    # an id is letters, digits and . _ @ + - (teach/variants.py): safe in a code span as is
    out += ["", f"Hand in `problems/{v.student}.toml` with your answers added:", "",
            "```toml", f"student = {value(v.student)}", "", "[answers]"]
    out += [f"{key(n)} = ...   # your answer" for n in list(v.answers)[:2]]
    out += ["```", ""]
    return "\n".join(out)


def sheet_tex(v, seed: str) -> str:
    """A student's question sheet as a LaTeX document (pdflatex)."""
    p = v.problem
    params = " \\\\\n".join(f"${tex.name(k)}$ & ${_number(p.params[k])}$"
                            for k in p.param_names if k in p.given)
    data = " \\\\\n".join(f"{t} & ${x}$ & {f'${y}$' if y else ''}" for t, x, y in _data_rows(p))
    items = "\n".join(f"  \\item ${q}$" for q in _questions(v))
    return "\n".join([
        r"\documentclass[11pt]{article}", r"\usepackage[margin=2.5cm]{geometry}",
        r"\usepackage{amsmath,amssymb}", r"\begin{document}",
        rf"\section*{{{tex.text(p.title or p.name)}}}",
        rf"Student: \textbf{{{tex.text(v.student)}}}\par\medskip",
        tex.text(describe(p)) + ".\\par\\medskip",
        r"\begin{tabular}{ll}\hline parameter & value \\ \hline", params, r"\\ \hline",
        r"\end{tabular}\quad",
        r"\begin{tabular}{lll}\hline $t$ & $x_t$ & $y_t$ \\ \hline", data, r"\\ \hline",
        r"\end{tabular}\par\medskip",
        r"Compute, exactly where you can:", r"\begin{enumerate}", items, r"\end{enumerate}",
        rf"Hand in \texttt{{problems/{tex.text(v.student)}.toml}} with your answers added as "
        r"an \texttt{[answers]} table.",
        r"\end{document}", ""])


def write_class(folder, variants, seed: str, source: str, fmt: str = "markdown",
                to_ascii=None) -> list:
    """Write DIR/problems/ID.toml, DIR/sheets/ID.md (or .tex) and DIR/keys.toml; returns the
    paths written. The keys are written last and atomically. `to_ascii` (--ascii): the
    sheets through it, and the TOML files with every character beyond ASCII escaped."""
    from pathlib import Path
    from ..model.errors import BadFile
    from ..model.files import write_atomic
    from ..model.outputs import not_an_input
    from ..model.safe import toml_ascii
    sheet = to_ascii or (lambda text: text)
    toml = toml_ascii if to_ascii else (lambda text: text)
    root = Path(folder)
    for v in variants:      # before anything is written: none of them is an input
        for sub, ext in (("problems", "toml"), ("sheets", "tex" if fmt == "latex" else "md")):
            not_an_input(root / sub / f"{v.student}.{ext}", where=f"--output {folder}")
    not_an_input(root / "keys.toml", where=f"--output {folder}")
    written = []
    try:
        for sub in ("problems", "sheets"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        for v in variants:
            p = root / "problems" / f"{v.student}.toml"
            p.write_text(toml(problem_toml(v, seed, source)), encoding="utf-8")
            s = root / "sheets" / (f"{v.student}.tex" if fmt == "latex" else f"{v.student}.md")
            s.write_text(sheet(sheet_tex(v, seed) if fmt == "latex" else sheet_md(v, seed)),
                         encoding="utf-8")
            written += [p, s]
    except OSError as e:
        raise BadFile(f"cannot write there: {e.strerror or e}", where=str(folder)) from None
    write_atomic(root / "keys.toml", toml(keys_toml(variants, seed, source)))
    return written + [root / "keys.toml"]
