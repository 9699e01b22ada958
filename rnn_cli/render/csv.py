"""`check --format csv`: a gradebook that course platforms import. One row per submission:
student, score (answers correct), score_ecf (correct or consistent), out_of, then one column
per answer holding its verdict. Every cell's text is made visible (control characters written
as escapes, safe.visible), and a cell that a spreadsheet would run as a formula (it starts
with = + - @, a tab or a carriage return) is prefixed with ' so that it stays text."""

import csv
import io

from ..model.safe import visible
from ..teach.check import CONSISTENT, CORRECT

_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def cell(value) -> str:
    """A cell's text, defused: no control character (shown as an escape such as \\x1b) and
    never read as a formula by a spreadsheet."""
    s = str(value)
    return ("'" if s.startswith(_FORMULA) else "") + visible(s)


def gradebook(report) -> str:
    """The gradebook of a checked class (check --keys); of plain keys, one row per file."""
    rows: dict = {}
    names: dict = {}
    for r in report.results:
        who = getattr(r, "student", "") or r.file
        row = rows.setdefault(r.file, {"student": who, "verdicts": {}})
        row["verdicts"][r.name] = r.verdict
        names.setdefault(r.name, None)
    for s in getattr(report, "submissions", ()):
        rows.setdefault(s.file, {"student": s.student, "verdicts": {}})
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["student", "score", "score_ecf", "out_of", *map(cell, names)])
    for row in rows.values():
        v = row["verdicts"]
        correct = sum(x == CORRECT for x in v.values())
        ecf = correct + sum(x == CONSISTENT for x in v.values())
        w.writerow([cell(row["student"]), correct, ecf, len(v),
                    *(cell(v.get(n, "")) for n in names)])
    return buf.getvalue()
