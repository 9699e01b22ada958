"""The body of `check --format html`: for a class (check --keys) the score distribution, each
question's share correct, consistent and wrong (inline SVG), the class's most common
mistakes, the answers that match another student's variant; then every file's table."""

from ..teach import classroom as cls
from ..teach.check import CONSISTENT, CORRECT, WRONG, expected_text
from .checkout import MARK, summary
from .html import esc, inline, name

COLOURS = {CORRECT: "#1a7f37", CONSISTENT: "#d4a72c", WRONG: "#cf222e", "invalid": "#8250df"}


def _svg(width: int, height: int, title: str, body: list[str]) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img"><title>{esc(title)}</title>'
            + "".join(body) + "</svg>")


def score_chart(scores: list[tuple[int, int]]) -> str:
    """A histogram of the scores: one bar per number of answers correct."""
    out_of = max((n for _, n in scores), default=0)
    counts = [0] * (out_of + 1)
    for c, _ in scores:
        counts[min(c, out_of)] += 1
    top = max(counts, default=0) or 1
    bar, gap, H, B, L = 28, 6, 220, 36, 40
    W = max(320, L + (bar + gap) * len(counts) + 10)
    body = [f'<line x1="{L}" y1="{H - B}" x2="{W - 5}" y2="{H - B}" stroke="#444"/>']
    for i, n in enumerate(counts):
        h = (H - B - 20) * n / top
        x = L + i * (bar + gap)
        body.append(f'<rect x="{x}" y="{H - B - h:.1f}" width="{bar}" height="{h:.1f}" '
                    f'fill="#0969da"><title>{n} scored {i}/{out_of}</title></rect>')
        body.append(f'<text x="{x + bar / 2}" y="{H - B + 14}" text-anchor="middle">{i}</text>')
        if n:
            body.append(f'<text x="{x + bar / 2}" y="{H - B - h - 4:.1f}" '
                        f'text-anchor="middle">{n}</text>')
    body.append(f'<text x="{L}" y="{H - 6}">answers correct (out of {out_of})</text>')
    return "<figure>" + _svg(W, H, "score distribution", body) + \
        "<figcaption>Score distribution: submissions by answers correct</figcaption></figure>"


def question_chart(questions: list[tuple[str, dict]]) -> str:
    """One horizontal bar per question, split into correct, consistent and wrong."""
    row, L, W = 22, 150, 620
    H = row * len(questions) + 40
    body = []
    for i, (q, counts) in enumerate(questions):
        total = sum(counts.values()) or 1
        y, x = 10 + i * row, L
        body.append(f'<text x="{L - 6}" y="{y + 14}" text-anchor="end">{esc(q)}</text>')
        for verdict in (CORRECT, CONSISTENT, WRONG, "invalid"):
            n = counts.get(verdict, 0)
            if not n:
                continue
            w = (W - L - 10) * n / total
            body.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{row - 6}" '
                        f'fill="{COLOURS[verdict]}"><title>{esc(q)}: {n} {verdict}'
                        f'</title></rect>')
            x += w
    y = H - 12
    for i, verdict in enumerate((CORRECT, CONSISTENT, WRONG)):
        body.append(f'<rect x="{L + 120 * i}" y="{y - 10}" width="10" height="10" '
                    f'fill="{COLOURS[verdict]}"/><text x="{L + 14 + 120 * i}" y="{y}">'
                    f'{verdict}</text>')
    return "<figure>" + _svg(W, H, "answers by question", body) + \
        "<figcaption>Each question: share correct, consistent (error carried forward) and " \
        "wrong</figcaption></figure>"


def _class_part(report) -> list[str]:
    subs = report.submissions
    scores = cls.scores(report)
    out = ["<h2>Class report</h2>",
           f"<p>{len(subs)} submission{'s' if len(subs) != 1 else ''} checked against their "
           "own variants.</p>"]
    if scores:
        mean = sum(s.correct for s in scores) / len(scores)
        out.append(f"<p>Mean score {mean:.1f} of {max(s.out_of for s in scores)}.</p>")
        out.append(score_chart([(s.correct, s.out_of) for s in scores]))
    questions = cls.questions(report)
    if questions:
        out += ["<h3>Questions</h3>", question_chart(questions), "<table><thead><tr>"
                "<th>answer</th><th>correct</th><th>consistent</th><th>wrong</th>"
                "</tr></thead><tbody>"]
        for q, counts in questions:
            total = sum(counts.values()) or 1
            cells = "".join(f'<td class="num">{counts.get(v, 0)} '
                            f'({100 * counts.get(v, 0) / total:.0f}%)</td>'
                            for v in (CORRECT, CONSISTENT, WRONG))
            out.append(f"<tr><td>{inline(name(q))}</td>{cells}</tr>")
        out.append("</tbody></table>")
    mistakes = cls.common_mistakes(report)
    out.append("<h3>Most common mistakes</h3>")
    if mistakes:
        out.append('<ol class="mistakes">')
        out += [f"<li>{esc(m.mistake)} in {esc(m.answer)}: <strong>{m.count} of "
                f"{len(subs)}</strong></li>" for m in mistakes[:10]]
        out.append("</ol>")
    else:
        out.append("<p>No mistake was diagnosed.</p>")
    matches = cls.matches(report)
    out.append("<h3>Answers that match another student's variant</h3>")
    if matches:
        out.append("<table><thead><tr><th>submission</th><th>student</th><th>answers</th>"
                   "<th>match the variant of</th></tr></thead><tbody>")
        for m in matches:
            out.append(f"<tr><td>{esc(m.file)}</td><td>{esc(m.student)}</td>"
                       f"<td>{esc(', '.join(m.answers))}</td><td>{esc(m.other)}</td></tr>")
        out.append("</tbody></table>")
    else:
        out.append("<p>None.</p>")
    differ = [s for s in subs if s.differs]
    if differ:
        out.append("<h3>Submissions whose weights or data differ from their variant</h3><ul>")
        out += [f"<li>{esc(s.file)} ({esc(s.student)}): {esc('; '.join(s.differs))}</li>"
                for s in differ]
        out.append("</ul>")
    return out


def check_body(report, digits: int = 6) -> list[str]:
    out = _class_part(report) if isinstance(report, cls.ClassReport) else \
        ["<h2>rnn-solve check</h2>"]
    out.append(f"<p><strong>{esc(summary(report))}</strong></p>")
    notes = report.notes() if isinstance(report, cls.ClassReport) else {}
    groups: dict = {}
    for r in report.results:
        groups.setdefault((r.file, r.problem), []).append(r)
    for key in dict.fromkeys([*groups, *notes]):
        file, problem = key
        rs = groups.get(key, [])
        out.append(f"<h3>{esc(file)}: {esc(problem)}</h3>")
        out += [f'<p class="note">{esc(n)}</p>' for n in notes.get(key, ())]
        if not rs:
            continue
        out.append("<table><thead><tr><th>answer</th><th>given</th><th>correct value</th>"
                   "<th>rule</th><th>verdict</th><th>diagnosis</th></tr></thead><tbody>")
        for r in rs:
            diag = "".join(f"<div>{esc(d)}</div>" for d in r.diagnosis)
            out.append(f"<tr><td>{esc(r.name)}</td><td>{esc(r.answer.text)}</td>"
                       f"<td>{esc(expected_text(r, digits))}</td><td>{esc(r.rule)}</td>"
                       f'<td class="{esc(r.verdict)}">{esc(MARK.get(r.verdict, r.verdict))}'
                       f"</td><td>{diag}</td></tr>")
        out.append("</tbody></table>")
    if report.errors:
        out.append("<h3>Input errors</h3><ul>")
        out += [f"<li>{esc(e)}</li>" for e in report.errors]
        out.append("</ul>")
    return out
