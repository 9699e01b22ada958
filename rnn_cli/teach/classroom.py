"""A class's submissions checked against their own variants (`check ... --keys KEYS.toml`),
and the figures of the class report: scores, each question's verdicts, the most common
mistakes, the answers that match another student's variant.

A submission is a problem file as `variants` writes it (DIR/problems/ID.toml) with an
[answers] table. Its top-level `student` picks its variant in the keys; its answers are judged
on that variant only. Weights or data written in the submission are compared with the
variant (and said to differ where they do), never used. Tolerances written in a submission
are ignored: a student does not choose how close is close enough.
"""

import bisect
import copy
from collections import Counter
from dataclasses import dataclass, fields, replace

from ..model.errors import InputError, closest, quoted
from ..model.files import read_toml, tables
from ..model.matrix import Mat
from ..model.problem import build
from .answers import parse_answer
from .check import CORRECT, WRONG, Report, Result, check_problem

MIN_MATCHES = 2    # wrong answers matching one other student's variant before they are flagged
SETTINGS = ("cell", "activation", "output", "loss", "reduction", "layout")


@dataclass(frozen=True)
class ClassResult(Result):
    """A checked answer of a submission: whose it is, and whose variant it matches if it is
    wrong for its own but right for another student's."""
    student: str = ""
    matches_student: str | None = None
    differs_from_variant: bool = False


@dataclass(frozen=True)
class Submission:
    file: str
    student: str
    differs: tuple[str, ...] = ()      # how its weights or data differ from its variant

    @property
    def differs_from_variant(self) -> bool:
        return bool(self.differs)


@dataclass(frozen=True)
class ClassReport(Report):
    submissions: tuple[Submission, ...] = ()

    def notes(self) -> dict:
        """(file, problem) -> lines to show with that submission's table."""
        out: dict = {}
        for s in self.submissions:
            if s.differs:
                out.setdefault((s.file, s.student), []).append(
                    f"its weights or data differ from {s.student}'s variant ("
                    + "; ".join(s.differs) + "): every answer is judged on the variant")
        return out


# -- the keys -----------------------------------------------------------------------------------

class Keys:
    """The variants of a class (KEYS.toml as `variants` writes it), built when first asked."""

    def __init__(self, path):
        self.path = str(path)
        self.tables = tables(read_toml(path), self.path)
        self._built: dict = {}
        self._index: dict = {}
        self._names: dict = {}
        self._exact: dict = {}

    def variant(self, student: str):
        if student not in self._built:
            table = {k: v for k, v in self.tables[student].items() if k != "answers"}
            self._built[student] = build(table, student, f"{self.path}: [{student}]")
        return self._built[student]

    def resolve(self, problem, key: str) -> str:
        """The canonical name of an answer's key (h1 -> h_1), kept per key: every variant of
        a class has the same quantities."""
        k = (key, problem.T, problem.cell, problem.layout)
        if k not in self._names:
            self._names[k] = str(problem.resolve(key, f"{problem.source}: answers"))
        return self._names[k]

    def exact(self, student: str, problem) -> dict:
        """The student's key answers that are exact (an integer, a decimal of an exact problem,
        a fraction), by canonical name; {} where the keys are rounded (tanh, sigmoid)."""
        if student not in self._exact:
            out = {}
            answers = self.tables[student].get("answers")
            if isinstance(answers, dict) and problem.activation in ("identity", "relu") and \
                    problem.output == "identity" and problem.cell == "rnn" and \
                    problem.loss in ("squared", "half_squared"):
                for key, raw in answers.items():
                    try:
                        out[self.resolve(problem, key)] = parse_answer(key, raw, {},
                                                                       self.path).given
                    except InputError:
                        continue
            self._exact[student] = out
        return self._exact[student]

    def unknown(self, student: str, where: str) -> InputError:
        ids = list(self.tables)
        return InputError(f"student {quoted(student)} has no variant in {self.path}"
                          f"{closest(student, ids)} ({len(ids)} students, "
                          f"{ids[0] if ids else '-'} to {ids[-1] if ids else '-'})",
                          where=f"{where}: student")

    def values(self, name: str, problem) -> tuple[list, list]:
        """The keys' answers for one quantity, every student's: sorted (float, student,
        value) for scalars, and (student, value) for vectors."""
        if not self._index:      # every student's answers, indexed in one pass
            index: dict = {}
            for sid, table in self.tables.items():
                answers = table.get("answers")
                if not isinstance(answers, dict):
                    continue
                for key, raw in answers.items():
                    try:
                        n = self.resolve(problem, key)
                        v = parse_answer(key, raw, {}, self.path).given
                    except InputError:
                        continue
                    scalars, arrays = index.setdefault(n, ([], []))
                    if isinstance(v, Mat):
                        arrays.append((sid, v))
                    else:
                        scalars.append((float(v), sid, v))
            for scalars, _ in index.values():
                scalars.sort(key=lambda e: (e[0], e[1]))
            self._index = index or {"": ([], [])}
        return self._index.get(name, ([], []))


def _answers(doc, where: str) -> dict:
    answers = doc.get("answers")
    if not isinstance(answers, dict) or not answers:
        raise InputError("expected a table of answers such as h_1 = 2", where=f"{where}: answers")
    # a submission's own tolerance is not the teacher's: only the value is kept
    return {k: v["value"] if isinstance(v, dict) and "value" in v else v
            for k, v in answers.items()}


def differences(doc: dict, variant, table: dict, where: str) -> tuple[str, ...]:
    """How the weights, data and settings written in a submission differ from its variant
    ('' for the ones it leaves out)."""
    given = {k: v for k, v in doc.items() if k in ("params", "data", *SETTINGS, "outputs")}
    if not given:
        return ()
    merged = copy.deepcopy({k: v for k, v in table.items() if k != "answers"})
    merged.update(given)
    try:
        mine = build(merged, variant.name, where)
    except InputError as e:
        return (f"they cannot be read ({e})",)
    out = []
    for k in SETTINGS:
        if getattr(mine, k) != getattr(variant, k):
            out.append(f"{k} = {getattr(mine, k)} in the file, {getattr(variant, k)} in the "
                       "variant")
    from ..model.numbers import fmt
    show = lambda v: "[" + "; ".join(" ".join(map(fmt, r)) for r in v.rows) + "]" \
        if isinstance(v, Mat) else fmt(v)
    for p in variant.param_names:
        a, b = mine.params.get(p), variant.params.get(p)
        if _key(a) != _key(b):
            out.append(f"{p} = {show(a)} in the file, {show(b)} in the variant")
    if tuple(map(_key, mine.x)) != tuple(map(_key, variant.x)):
        out.append("x differs")
    if {t: _key(v) for t, v in mine.y.items()} != {t: _key(v) for t, v in variant.y.items()}:
        out.append("y differs")
    return tuple(out)


def _key(v):
    return v.rows if isinstance(v, Mat) else v


def _matching(ans, name: str, student: str, keys: Keys, problem) -> set[str]:
    """The other students whose keys give this (wrong) answer."""
    scalars, arrays = keys.values(name, problem)
    if isinstance(ans.given, Mat):
        return {s for s, v in arrays if s != student and ans.matches(v)}
    g = float(ans.given)
    room = 0.5 * 10.0 ** -ans.decimals if ans.decimals is not None else 0.0
    if ans.abs is not None or ans.rel is not None:
        room = max(float(ans.abs or 0), float(ans.rel or 0) * abs(g) * 2)
    room += 1e-9 * max(1.0, abs(g))
    lo = bisect.bisect_left(scalars, (g - room, ""))
    out = set()
    for f, s, v in scalars[lo:]:
        if f > g + room:
            break
        if s != student and ans.matches(v):
            out.add(s)
    return out


def _parsed(answers: dict, problem, keys: Keys, where: str) -> dict:
    """key -> (canonical name, Answer) for the answers that can be read (check_problem says
    why the others cannot)."""
    out = {}
    for key, raw in answers.items():
        try:
            out[key] = (keys.resolve(problem, key), parse_answer(key, raw, problem.tolerance,
                                                                   where))
        except InputError:
            continue
    return out


def _judge(path, doc, keys: Keys, memo: dict) -> tuple[list, list, Submission]:
    """One submission's results on its own variant (InputError: the file cannot be judged).

    The keys' exact answers decide at once the answers that match them; an answer that is
    wrong and matches another student's variant (MIN_MATCHES of them, one student) is a
    copy, reported as such and not diagnosed; every other answer goes through check_problem
    (error carried forward, diagnoses), which derives only those."""
    where = str(path)
    student = doc.get("student")
    if not isinstance(student, str) or not student.strip():
        raise InputError('expected student = "ID" at the top (the id of the variant it '
                         "answers)", where=f"{where}: student")
    if student not in keys.tables:
        raise keys.unknown(student, where)
    answers = _answers(doc, where)
    variant = keys.variant(student)
    from .budget import too_much
    work = len(answers) * variant.T     # the run's work so far is kept in its memo
    if (why := too_much(len(answers), work, memo.get("work", 0))):
        from ..model.errors import TooLarge
        raise TooLarge(f"{why} (docs/limits.md)", where=f"{where}: answers")
    memo["work"] = memo.get("work", 0) + work
    differs = differences(doc, variant, keys.tables[student], where)
    problem = replace(variant, source=where)
    own = keys.exact(student, problem)
    known, wrong = {}, {}
    for key, (name, ans) in _parsed(answers, problem, keys, where).items():
        if name in own and ans.matches(own[name]):
            known[name] = own[name]
        elif name in own:
            wrong[key] = (name, ans, _matching(ans, name, student, keys, problem))
    votes = Counter(s for _, _, ss in wrong.values() for s in ss)
    copied = {}
    for key, (name, ans, ss) in wrong.items():
        ss = {s for s in ss if votes[s] >= MIN_MATCHES}
        if ss:   # several wrong answers from one other student's variant: a copy
            copied[key] = (name, ans, max(ss, key=lambda s: (votes[s], [-ord(c) for c in s])))
    rest = {k: v for k, v in answers.items() if k not in copied}
    if rest and len(known) == len(answers):     # every answer right by the keys
        rs, es = [Result(where, problem.name, key, ans, known[name], CORRECT, ans.rule)
                  for key, (name, ans) in _parsed(rest, problem, keys, where).items()], []
    else:
        rs, es = check_problem(problem, rest, where, memo, known) if rest else ([], [])
    flags = dict(differs_from_variant=bool(differs), student=student)
    out = [ClassResult(**{f.name: getattr(r, f.name) for f in fields(r)}, **flags)
           for r in rs]
    for key, (name, ans, other) in copied.items():
        out.append(ClassResult(where, problem.name, ans.name, ans, own[name], WRONG, ans.rule,
                               (f"matches {other}'s variant",), **flags,
                               matches_student=other))
    order = {k: i for i, k in enumerate(answers)}
    out.sort(key=lambda r: order.get(r.name, len(order)))
    return out, es, Submission(where, student, differs)


def check_submissions(paths, keys_path) -> ClassReport:
    """Every submission judged on its own variant in the keys; bad input is reported per file
    (a submission naming no student of the keys too), never fatal. The keys themselves must
    be readable (else an InputError)."""
    keys = Keys(keys_path)
    results, errors, subs, memo = [], [], [], {}
    for path in paths:
        try:
            rs, es, sub = _judge(path, read_toml(path), keys, memo)
        except InputError as e:
            e.where = e.where or str(path)      # an overflow found while judging
            errors.append(str(e))
            continue
        except (ZeroDivisionError, OverflowError) as e:
            errors.append(f"{path}: overflow: {str(e) or 'a division by zero'}")
            continue
        results += rs
        errors += es
        subs.append(sub)
    return ClassReport(tuple(results), tuple(errors), tuple(subs))


# -- the class's figures ------------------------------------------------------------------------

@dataclass(frozen=True)
class Score:
    file: str
    student: str
    correct: int
    ecf: int
    out_of: int
    verdicts: dict


def scores(report: ClassReport) -> list[Score]:
    """Each submission's score: answers correct, correct or consistent, and out of how many."""
    by_file: dict = {}
    for r in report.results:
        by_file.setdefault(r.file, []).append(r)
    out = []
    for s in report.submissions:
        rs = by_file.get(s.file, [])
        c = sum(r.verdict == CORRECT for r in rs)
        k = sum(r.verdict == "consistent" for r in rs)
        out.append(Score(s.file, s.student, c, c + k, len(rs), {r.name: r.verdict for r in rs}))
    return out


def questions(report: ClassReport) -> list[tuple[str, dict]]:
    """Each answer name (in the order first met) with its count of each verdict."""
    out: dict = {}
    for r in report.results:
        out.setdefault(r.name, Counter())[r.verdict] += 1
    return list(out.items())


@dataclass(frozen=True)
class Mistake:
    answer: str
    mistake: str
    count: int        # submissions that made it


def common_mistakes(report: ClassReport) -> list[Mistake]:
    """The diagnosed mistakes (each wrong answer's likeliest), by how many submissions made
    them, most first."""
    seen: dict = {}
    for r in report.results:
        if r.verdict != WRONG or getattr(r, "matches_student", None):
            continue
        first = next((d for d in r.diagnosis if not d.startswith(("matches ", "the entr"))),
                     None)
        if first is None:
            continue
        what = first.split(":")[0].removesuffix(" (with the key's earlier answers)").strip()
        seen.setdefault((r.name, what), set()).add(r.file)
    found = [Mistake(a, m, len(files)) for (a, m), files in seen.items()]
    return sorted(found, key=lambda m: (-m.count, m.answer, m.mistake))


@dataclass(frozen=True)
class Match:
    file: str
    student: str
    other: str
    answers: tuple[str, ...]


def matches(report: ClassReport) -> list[Match]:
    """For each submission, the other students whose variants its wrong answers match."""
    found: dict = {}
    for r in report.results:
        other = getattr(r, "matches_student", None)
        if other:
            found.setdefault((r.file, r.student, other), []).append(r.name)
    return [Match(f, s, o, tuple(a)) for (f, s, o), a in found.items()]
