"""A checked answer key as a Rich table, JSON (spec section 5), JUnit XML or Markdown."""

from xml.etree import ElementTree as ET

from ..teach.check import CONSISTENT, CORRECT, WRONG, expected_text
from .jsonout import value_fields

MARK = {CORRECT: "✓ correct", CONSISTENT: "~ consistent", WRONG: "✗ wrong"}


def summary(report) -> str:
    n = len(report.results)
    c, k, w = (report.count(v) for v in (CORRECT, CONSISTENT, WRONG))
    if not n:
        return "no answers checked"
    return (f"{n} answer{'s' if n != 1 else ''}: {c} correct, {k} consistent (error carried "
            f"forward), {w} wrong; "
            f"score {c}/{n} ({100 * c / n:.0f}%), {c + k}/{n} with error carried forward")


def _groups(report):
    groups: dict = {}
    for r in report.results:
        groups.setdefault((r.file, r.problem), []).append(r)
    return groups


def _note(r, sep: str = "\n") -> str:
    return sep.join(f"• {d}" if len(r.diagnosis) > 1 else d for d in r.diagnosis)


def check_view(report, digits: int = 6):
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text
    parts = []
    notes = report.notes() if hasattr(report, "notes") else {}   # check --keys
    for (file, problem), rs in _groups(report).items():
        note = "\n".join(notes.get((file, problem), ()))
        t = Table(title=Text(f"{file}: {problem}"), title_justify="left",
                  caption=Text(note, style="yellow") if note else None, caption_justify="left")
        for col in ("answer", "given", "correct value", "rule", "verdict", "diagnosis"):
            t.add_column(col, no_wrap=col in ("answer", "verdict"))
        for r in rs:
            style = {CORRECT: "green", CONSISTENT: "yellow", WRONG: "red"}[r.verdict]
            t.add_row(Text(r.name), Text(r.answer.text), Text(expected_text(r, digits)),
                      Text(r.rule), Text(MARK[r.verdict], style=style), Text(_note(r)))
        parts.append(t)
    parts.append(Text(summary(report)))
    return Group(*parts)


def check_json(report) -> dict:
    results = []
    for r in report.results:
        results.append({"file": r.file, "problem": r.problem, "name": r.name,
                        **value_fields(r.answer.given, "given"), "given_text": r.answer.text,
                        **value_fields(r.expected, "expected"),
                        "expected_rounded": r.answer.rounded(r.expected) or None,
                        "rule": r.rule, "verdict": r.verdict, "diagnosis": list(r.diagnosis),
                        "follows_from": list(r.follows_from), **_class_fields(r)})
    out = {"passed": report.passed, "results": results, "errors": list(report.errors),
           "summary": {v: report.count(v) for v in (CORRECT, CONSISTENT, WRONG)}}
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
        suite = ET.SubElement(root, "testsuite", name=f"{file}: {problem}", tests=str(len(rs)),
                              failures=str(len(bad)), errors="0")
        for r in rs:
            case = ET.SubElement(suite, "testcase", classname=f"{file}.{problem}", name=r.name)
            if r.verdict != CORRECT:
                msg = (f"{r.verdict}: given {r.answer.text}, correct "
                       f"{expected_text(r, digits)} ({r.rule})")
                fail = ET.SubElement(case, "failure", message=msg, type=r.verdict)
                fail.text = "\n".join(r.diagnosis) or msg
    if report.errors:
        suite = ET.SubElement(root, "testsuite", name="input", tests=str(len(report.errors)),
                              failures="0", errors=str(len(report.errors)))
        for i, e in enumerate(report.errors, 1):
            case = ET.SubElement(suite, "testcase", classname="input", name=f"input error {i}")
            ET.SubElement(case, "error", message=e, type="input").text = e
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode")


def check_md(report, digits: int = 6) -> str:
    out = ["## rnn-solve check", ""]
    for (file, problem), rs in _groups(report).items():
        out += [f"### `{file}`: {problem}", "",
                *[f"*{n}*\n" for n in (report.notes() if hasattr(report, "notes") else {})
                  .get((file, problem), ())],
                "| answer | given | correct value | verdict | diagnosis |", "|---|---|---|---|---|"]
        for r in rs:
            cells = (f"`{r.name}`", r.answer.text, expected_text(r, digits), MARK[r.verdict],
                     _note(r, "<br>"))
            out.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        out.append("")
    for e in report.errors:
        out.append(f"- **input error**: {e}")
    out += ["", f"**{summary(report)}**"]
    return "\n".join(out)
