"""A student's checked gradient arrays (teach/arrays.py) as a Rich table, JSON, Markdown,
JUnit XML or LaTeX."""

from xml.etree import ElementTree as ET

from ..teach.arrays import CORRECT, FULL_ARRAY, WRONG

MARK = {CORRECT: "✓ correct", WRONG: "✗ wrong"}


def summary(report) -> str:
    n = len(report.results)
    if not n:
        return "no gradient arrays checked"
    c = report.count(CORRECT)
    return (f"{n} gradient array{'s' if n != 1 else ''}: {c} correct, {n - c} wrong; "
            f"score {c}/{n} ({100 * c / n:.0f}%)")


def _groups(report):
    groups: dict = {}
    for r in report.results:
        groups.setdefault((r.file, r.problem), []).append(r)
    return groups


def _shape(r) -> str:
    return " x ".join(map(str, r.shape)) or "1"


def _entry(r) -> str:
    return f"[{','.join(map(str, r.worst))}]" if r.worst else ""


def _g(v: float, digits: int) -> str:
    return f"{v:.{digits}g}"


def detail(r, digits: int = 6) -> str:
    """The numbers behind a verdict: the largest difference, where, and the rel_error."""
    return (f"max |given - right| = {_g(r.max_error, 3)} at {_entry(r)} (given "
            f"{_g(r.given_worst, digits)}, right {_g(r.right_worst, digits)}); rel_error "
            f"{_g(r.rel_error, 3)}")


def _note(r, sep: str = "\n") -> str:
    return sep.join(f"• {d}" if len(r.diagnosis) > 1 else d for d in r.diagnosis)


def gradcheck_view(report, digits: int = 6):
    """Per problem: a table of the arrays and their verdicts, then each diagnosis on its own
    line (the sentences are long), the precision rule, and the score."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text
    parts = []
    for (file, problem), rs in _groups(report).items():
        t = Table(title=Text(f"{file}: {problem}"), title_justify="left")
        for col in ("gradient", "shape", "verdict", "rel_error", "worst entry", "given",
                    "right"):
            t.add_column(col, no_wrap=True)
        for r in rs:
            style = "green" if r.verdict == CORRECT else "red"
            t.add_row(Text(r.name), Text(_shape(r)), Text(MARK[r.verdict], style=style),
                      Text(_g(r.rel_error, 3)), Text(_entry(r)),
                      Text(_g(r.given_worst, digits)), Text(_g(r.right_worst, digits)))
        parts.append(t)
        parts += [Text(f"• {d}") for r in rs for d in r.diagnosis]
        rules = list(dict.fromkeys(r.rule for r in rs))
        parts.append(Text("rule: correct when " + "; ".join(rules)))
    parts.append(Text(summary(report)))
    return Group(*parts)


def _num(v):
    """A JSON number, or null for NaN and infinity (which JSON has no numbers for)."""
    import math
    return v if isinstance(v, (int, float)) and math.isfinite(v) else None


def _array(arr):
    if arr is None or arr.size > FULL_ARRAY:
        return None
    import numpy as np
    return np.where(np.isfinite(arr), arr, None).tolist()


def gradcheck_json(report) -> dict:
    results = [{"file": r.file, "problem": r.problem, "name": r.name, "gradient": r.param,
                "dtype": r.dtype, "shape": list(r.shape), "given": _array(r.given),
                "expected": _array(r.right), "verdict": r.verdict, "rule": r.rule,
                "tolerance": r.tolerance, "max_error": _num(r.max_error),
                "rel_error": _num(r.rel_error), "worst_entry": list(r.worst),
                "given_at_worst": _num(r.given_worst), "expected_at_worst": r.right_worst,
                "diagnosis": list(r.diagnosis)}
               for r in report.results]
    return {"passed": report.passed, "results": results, "errors": list(report.errors),
            "summary": {v: report.count(v) for v in (CORRECT, WRONG)}}


def gradcheck_junit(report, digits: int = 6) -> str:
    """JUnit XML: one test suite per problem, one test case per array (a course's CI reads
    it)."""
    root = ET.Element("testsuites", name="rnn-solve check --answers")
    for (file, problem), rs in _groups(report).items():
        bad = [r for r in rs if r.verdict != CORRECT]
        suite = ET.SubElement(root, "testsuite", name=f"{file}: {problem}", tests=str(len(rs)),
                              failures=str(len(bad)), errors="0")
        for r in rs:
            case = ET.SubElement(suite, "testcase", classname=f"{file}.{problem}", name=r.name)
            if r.verdict != CORRECT:
                msg = f"wrong: {detail(r, digits)}"
                fail = ET.SubElement(case, "failure", message=msg, type=r.verdict)
                fail.text = "\n".join([msg, f"rule: {r.rule}", *r.diagnosis])
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode")


def gradcheck_md(report, digits: int = 6) -> str:
    cell = lambda c: c.replace("\\", "\\\\").replace("|", "\\|").replace("`", "\\`") \
        .replace("<", "&lt;").replace("*", "\\*").replace("_", "\\_")
    out = ["## rnn-solve check --answers", ""]
    for (file, problem), rs in _groups(report).items():
        out += [f"### {cell(file)}: {cell(problem)}", "",
                "| gradient | shape | verdict | worst entry | rel_error | diagnosis |",
                "|---|---|---|---|---|---|"]
        for r in rs:
            worst = (f"{_entry(r)}: given {_g(r.given_worst, digits)}, right "
                     f"{_g(r.right_worst, digits)}")
            cells = (cell(r.name), _shape(r), MARK[r.verdict], worst, _g(r.rel_error, 3),
                     "<br>".join(cell(d) for d in r.diagnosis))
            out.append("| " + " | ".join(cells) + " |")
        out += ["", "Rule: correct when " +
                "; ".join(cell(x) for x in dict.fromkeys(r.rule for r in rs)), ""]
    out += ["", f"**{summary(report)}**"]
    return "\n".join(out)


def gradcheck_tex(report, digits: int = 6, standalone: bool = False) -> str:
    from .latex import _document, _table, text
    mark = {CORRECT: r"$\checkmark$ correct", WRONG: r"$\times$ wrong"}
    body = [r"\section*{rnn-solve check --answers}"]
    for (file, problem), rs in _groups(report).items():
        rows = [[r"\texttt{" + text(r.name) + "}", text(_shape(r)), mark[r.verdict],
                 text(f"{_entry(r)}: given {_g(r.given_worst, digits)}, right "
                      f"{_g(r.right_worst, digits)}"), text(_g(r.rel_error, 3)),
                 r" \newline ".join(text(d) for d in r.diagnosis)] for r in rs]
        body += [rf"\subsection*{{\texttt{{{text(file)}}}: {text(problem)}}}",
                 _table(r"l l l >{\raggedright\arraybackslash}p{0.2\textwidth} l "
                        r">{\raggedright\arraybackslash}p{0.32\textwidth}",
                        ["gradient", "shape", "verdict", "worst entry", "rel\\_error",
                         "diagnosis"], rows),
                 text("Rule: correct when " +
                      "; ".join(dict.fromkeys(r.rule for r in rs)))]
    body.append(rf"\textbf{{{text(summary(report))}}}")
    return _document(body) if standalone else "\n".join(body)


def render(report, fmt: str, digits: int = 6, standalone: bool = False,
           to_file: bool = False):
    """The report in a format of check's --format: text, or a Rich table for the terminal
    (Markdown in its place when written to a file)."""
    if fmt == "table" and not to_file:
        return gradcheck_view(report, digits)
    if fmt == "json":
        from .jsonout import dumps
        return dumps(gradcheck_json(report))
    return {"junit": lambda: gradcheck_junit(report, digits),
            "latex": lambda: gradcheck_tex(report, digits, standalone)}.get(
        fmt, lambda: gradcheck_md(report, digits))()
