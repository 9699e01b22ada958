"""A checked answer key as a Rich table, JSON (spec section 5), JUnit XML or Markdown."""

from xml.etree import ElementTree as ET

from ..teach.check import CONSISTENT, CORRECT, INVALID, WRONG, expected_text
from ..model.numbers import fmt_with_decimal
from ..model.safe import markdown as md, markdown_code, visible
from .jsonout import value_fields

MARK = {CORRECT: "✓ correct", CONSISTENT: "~ consistent", WRONG: "✗ wrong",
        INVALID: "? invalid"}
VERDICTS = (CORRECT, CONSISTENT, WRONG, INVALID)
COLUMNS = ("answer", "given", "correct value", "rule", "verdict", "diagnosis")


def summary(report) -> str:
    n = len(report.results)
    c, k, w, i = (report.count(v) for v in VERDICTS)
    if not n:
        return "no answers checked"
    unread = f", {i} invalid (could not be read)" if i else ""
    return (f"{n} answer{'s' if n != 1 else ''}: {c} correct, {k} consistent (error carried "
            f"forward), {w} wrong{unread}; "
            f"score {c}/{n} ({100 * c / n:.0f}%), {c + k}/{n} with error carried forward")


def given_text(answer, digits: int = 6, quote: str = "") -> str:
    """The answer as written; a formula with its value: '2*(6-5)*2*(2+1*1) = 12' (the formula
    between `quote`s: Markdown's backticks keep its * and _ from being read as emphasis; a
    formula that was read holds neither a backtick nor a |)."""
    if not answer.formula:
        return answer.text
    if hasattr(answer.given, "free_symbols"):    # in symbols (a symbolic problem): as written
        return f"{quote}{answer.text}{quote}"
    return f"{quote}{answer.text}{quote} = {fmt_with_decimal(answer.given, digits)}"


def _given_md(answer, digits: int) -> str:
    """given_text for Markdown: a formula as inline code, anything else escaped."""
    if not answer.formula:
        return md(answer.text)
    shown = markdown_code(answer.text)
    if hasattr(answer.given, "free_symbols"):
        return shown
    return f"{shown} = {fmt_with_decimal(answer.given, digits)}"


def _fields(x, key: str) -> dict:
    """A value's JSON fields: a number's (value_fields), or SymPy's one-line form."""
    return {key: str(x)} if hasattr(x, "free_symbols") else value_fields(x, key)


def _groups(report):
    groups: dict = {}
    for r in report.results:
        groups.setdefault((r.file, r.problem), []).append(r)
    return groups


def _note(r, sep: str = "\n") -> str:
    return sep.join(f"• {d}" if len(r.diagnosis) > 1 else d for d in map(visible, r.diagnosis))


def check_view(report, digits: int = 6):
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text
    parts = []
    notes = report.notes() if hasattr(report, "notes") else {}   # check --keys
    for (file, problem), rs in _groups(report).items():
        note = "\n".join(notes.get((file, problem), ()))
        t = Table(title=Text(visible(f"{file}: {problem}")), title_justify="left",
                  caption=Text(visible(note, lines=True), style="yellow") if note else None,
                  caption_justify="left")
        for col in COLUMNS:
            t.add_column(col, no_wrap=col in ("answer", "verdict"))
        for r in rs:
            style = {CORRECT: "green", CONSISTENT: "yellow", WRONG: "red",
                     INVALID: "magenta"}[r.verdict]
            t.add_row(Text(visible(r.name)), Text(visible(given_text(r.answer, digits))),
                      Text(expected_text(r, digits)),
                      Text(r.rule), Text(MARK[r.verdict], style=style), Text(_note(r)))
        parts.append(t)
    parts.append(Text(summary(report)))
    return Group(*parts)


def check_json(report) -> dict:
    results = []
    for r in report.results:
        given = _fields(r.answer.given, "given") if r.answer.given is not None \
            else {"given": None}
        expected = _fields(r.expected, "expected") if r.expected is not None \
            else {"expected": None}
        results.append({"file": r.file, "problem": r.problem, "name": r.name,
                        **given, "given_text": r.answer.text, **expected,
                        "expected_rounded": r.answer.rounded(r.expected) or None,
                        **({"given_formula": r.answer.text} if r.answer.formula else {}),
                        "rule": r.rule, "verdict": r.verdict, "diagnosis": list(r.diagnosis),
                        "follows_from": list(r.follows_from), **_class_fields(r),
                        **({} if r.diagnosed else {"diagnosed": False})})
    out = {"passed": report.passed, "results": results, "errors": list(report.errors),
           "summary": {v: report.count(v) for v in VERDICTS}}
    if hasattr(report, "submissions"):     # check --keys (teach/classroom.py)
        out["submissions"] = [{"file": s.file, "student": s.student,
                               "differs_from_variant": s.differs_from_variant,
                               "differences": list(s.differs)} for s in report.submissions]
    return out


def _class_fields(r) -> dict:
    """A submission's answer (check --keys): its student, whether its file's weights differ
    from the variant, and whose variant a wrong answer matches."""
    if not hasattr(r, "student"):
        return {}
    out = {"student": r.student, "differs_from_variant": r.differs_from_variant}
    if r.matches_student:
        out["matches_student"] = r.matches_student
    return out


def check_junit(report, digits: int = 6) -> str:
    """JUnit XML: one test suite per problem, one test case per answer, one error per bad
    input."""
    root = ET.Element("testsuites", name="rnn-solve check")
    for (file, problem), rs in _groups(report).items():
        bad = [r for r in rs if r.verdict != CORRECT]
        suite = ET.SubElement(root, "testsuite", name=visible(f"{file}: {problem}"), tests=str(len(rs)),
                              failures=str(len(bad)), errors="0")
        for r in rs:
            case = ET.SubElement(suite, "testcase", classname=visible(f"{file}.{problem}"),
                                 name=visible(r.name))
            if r.verdict != CORRECT:
                msg = visible(f"{r.verdict}: given {given_text(r.answer, digits)}, correct "
                              f"{expected_text(r, digits)} ({r.rule})")
                fail = ET.SubElement(case, "failure", message=msg, type=r.verdict)
                fail.text = "\n".join(map(visible, r.diagnosis)) or msg
    if report.errors:
        suite = ET.SubElement(root, "testsuite", name="input", tests=str(len(report.errors)),
                              failures="0", errors=str(len(report.errors)))
        for i, e in enumerate(report.errors, 1):
            case = ET.SubElement(suite, "testcase", classname="input", name=f"input error {i}")
            e = visible(e)
            ET.SubElement(case, "error", message=e, type="input").text = e
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode")


def check_md(report, digits: int = 6) -> str:
    out = ["## rnn-solve check", ""]
    for (file, problem), rs in _groups(report).items():
        out += [f"### {markdown_code(file)}: {md(problem)}", "",
                *[f"*{md(n)}*\n" for n in (report.notes() if hasattr(report, "notes") else {})
                  .get((file, problem), ())],
                "| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
        for r in rs:
            right = expected_text(r, digits)
            right = markdown_code(right) if hasattr(r.expected, "free_symbols") else md(right)
            cells = (markdown_code(r.name), _given_md(r.answer, digits), right,
                     md(r.rule), MARK[r.verdict], "<br>".join(map(md, _note(r).split("\n"))))
            out.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        out.append("")
    for e in report.errors:
        out.append(f"- **input error**: {md(e)}")
    out += ["", f"**{summary(report)}**"]
    return "\n".join(out)
