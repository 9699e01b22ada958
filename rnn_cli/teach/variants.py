"""`variants`: one version of a problem for every student, with numbers pleasant to work by
hand, none degenerate, each depending only on the seed, the problem and the student's id.

What varies, and over what values, is the problem's [vary] table (`w_h = [0.5, 1, 1.5]`,
`x = "integers -3..3"`, `b_h = "-1..1 by 0.5"`); without one, every parameter and input the
problem gives that is not 0 takes values on a grid around its own (default_vary). A draw is
kept only when:
- in a problem whose answers are exact, every answer has at most 2 decimals and at most 4
  significant digits, or is a fraction whose denominator is at most 20;
- the gradients of the weights are not zero, and every chain-rule path of dL/dw_h that is not
  zero in the original is not zero in the variant (the path through h_0 among them);
- a ReLU is active at the same steps and units as in the original (never exactly at 0);
- no output equals its target (squared losses), and no answer is 0 unless the original's
  is; w_x, w_h and w_y differ from one another where the original's do (a swapped weight
  shows).
Each student's draws come from a random generator seeded with SHA-256 of (seed, problem, id),
so adding a student changes no one else's variant.
"""

import hashlib
import random
import re
from dataclasses import dataclass
from fractions import Fraction

from ..derive.expr import Prod, Sum
from ..derive.gated import run_forward as forward
from ..derive.gated import run_grad as grad
from ..model.errors import InputError
from ..model.matrix import Mat, entry
from ..model.names import param_name
from ..model.numbers import is_exact, parse_number
from ..model.problem import Problem, build

MAX_DRAWS = 3000          # per student, before giving up with a message
MAX_DENOMINATOR = 20
MAX_DECIMALS = 2
MAX_SIGNIFICANT = 4
_RANGE = re.compile(r"\s*(integers\s+)?(\S+?)\s*\.\.\s*(\S+?)(?:\s+by\s+(\S+))?\s*")


@dataclass(frozen=True)
class Variant:
    student: str
    table: dict               # the problem table: settings, params, data (TOML values)
    problem: Problem
    answers: dict             # answer name -> exact value (Fraction or Mat) or inexact value
    draws: int                # how many draws it took


# -- what varies --------------------------------------------------------------------------------

def _choices(spec, where: str) -> list[Fraction]:
    """The values of one [vary] entry: a list of numbers, "integers A..B" or "A..B by S"."""
    if isinstance(spec, list):
        if not spec or any(isinstance(v, (list, dict)) for v in spec):
            raise InputError("expected a non-empty list of numbers", where=where)
        return sorted(set(parse_number(v, where) for v in spec))
    m = _RANGE.fullmatch(spec) if isinstance(spec, str) else None
    if not m:
        raise InputError('expected a list of numbers, "integers A..B" or "A..B by S"',
                         where=where)
    lo, hi = parse_number(m[2], where), parse_number(m[3], where)
    step = parse_number(m[4], where) if m[4] else Fraction(1)
    if m[1] and (lo.denominator != 1 or hi.denominator != 1 or m[4]):
        raise InputError("integers A..B takes whole numbers and no step", where=where)
    if step <= 0 or hi < lo or (hi - lo) / step > 10_000:
        raise InputError("expected A <= B and a positive step giving at most 10,000 values",
                         where=where)
    out, v = [], lo
    while v <= hi:
        out.append(v)
        v += step
    return out


def _grid(v: Fraction) -> list[Fraction]:
    """Values near v with its sign, on a grid of half its leading power of ten (0.1 ->
    0.05 .. 0.2; 10 -> 5 .. 20); a fraction like 1/3 moves in steps of 1/3."""
    if v == 0:
        return [v]
    if 10 ** 12 % v.denominator:
        step = Fraction(1, v.denominator) * max(1, abs(v.numerator) // 2 or 1)
    else:
        mag = Fraction(10) ** (len(str(abs(v.numerator) // v.denominator or 1)) - 1) \
            if abs(v) >= 1 else Fraction(1, 10 ** (len(str(v.denominator)) - 1))
        step = mag / 2
    out = [v + k * step for k in range(-2, 3)]
    return [c for c in out if c != 0 and (c > 0) == (v > 0)]


def default_vary(problem: Problem, table: dict) -> dict:
    """Every parameter the problem gives, and every input, on a grid around its own values
    (inputs that are all 0 or 1, one-hot, stay); targets too, where the loss is squared (a
    class index or a 0/1 label stays)."""
    vary = {p: None for p in problem.given if p in problem.params}
    entries = [v for x in problem.x for v in (x.entries() if isinstance(x, Mat) else [x])]
    if not set(entries) <= {0, 1}:      # one-hot (or 0/1) inputs stay as they are
        vary["x"] = None
    if problem.loss != "cross_entropy":
        vary["y"] = None
    return vary


def _vary(problem: Problem, table: dict, where: str) -> dict:
    """name -> (choices or None for the default grid), for params and x, y."""
    spec = table.get("vary")
    if spec is None:
        return default_vary(problem, table)
    if not isinstance(spec, dict) or not spec:
        raise InputError("expected a table such as w_h = [0.5, 1, 1.5]", where=f"{where}: vary")
    out = {}
    for key, value in spec.items():
        name = key if key in ("x", "y") else param_name(key)
        if name is None or name not in ("x", "y") and name not in problem.params:
            raise InputError(f"unknown name {key!r}: [vary] takes the problem's parameters "
                             f"({', '.join(problem.param_names)}) and x, y",
                             where=f"{where}: vary")
        out[name] = _choices(value, f"{where}: vary.{key}")
    return out


def _draw_value(rng: random.Random, original, choices):
    """A new value shaped as the original: each entry from the choices (or its own grid)."""
    if isinstance(original, Mat):
        return Mat([_draw_value(rng, v, choices) for v in r] for r in original.rows)
    pool = choices if choices is not None else _grid(original)
    return pool[rng.randrange(len(pool))]


def toml_value(v):
    """A value as a problem table holds it: an integer, a terminating decimal (a Decimal,
    exact), or the string "p/q"; a vector as a list, a matrix as a list of rows."""
    if isinstance(v, Mat):
        if v.is_column:
            return [toml_value(x[0]) for x in v.rows]
        return [[toml_value(x) for x in r] for r in v.rows]
    if not isinstance(v, Fraction):
        return v
    if v.denominator == 1:
        return v.numerator
    if terminates(v):
        from decimal import Decimal, localcontext
        with localcontext() as ctx:
            ctx.prec = 200
            return Decimal(v.numerator) / Decimal(v.denominator)
    return f"{v.numerator}/{v.denominator}"


def draw(problem: Problem, table: dict, vary: dict, rng: random.Random) -> dict:
    """One candidate problem table: the original's with the varied values drawn anew."""
    out = {k: v for k, v in table.items() if k not in ("answers", "vary", "student")}
    params = dict(table.get("params", {}))
    canon = {param_name(k): k for k in params}
    for name, choices in vary.items():
        if name in ("x", "y"):
            continue
        params[canon.get(name, name)] = toml_value(_draw_value(rng, problem.params[name],
                                                               choices))
    out["params"] = params
    data = dict(table.get("data", {}))
    for key, steps in (("x", problem.x), ("y", [problem.y[t] for t in problem.targets])):
        if key in vary and steps:
            data[key] = [toml_value(_draw_value(rng, v, vary[key])) for v in steps]
    out["data"] = data
    return out


# -- the answers and the checks -----------------------------------------------------------------

def answer_names(problem: Problem, table: dict, where: str = "") -> list[str]:
    """The answers of the original's key (each a quantity of the problem, else an error
    naming the file's answers), or a default set: every h_t and y_hat_t, the losses, and
    the gradient of every weight."""
    given = table.get("answers")
    if isinstance(given, dict) and given:
        for n in given:
            problem.resolve(n, f"{where}: answers" if where else "answers")
        return list(given)
    names = [f"{b}_{t}" for t in range(1, problem.T + 1) for b in ("h", "y_hat")]
    names += [f"L_{t}" for t in problem.targets] + ["L"]
    return names + [f"dL/d{p}" for p in problem.param_names if p in problem.given]


def values(problem: Problem, names: list[str]):
    """(fwd, the value of each named answer, the gradients of the weights in the paths
    style where it applies)."""
    fwd = forward(problem)
    out, by_of = {}, {}
    for n in names:
        name = problem.resolve(n, "answers")
        if name.of is None:
            q = name.wrt
            base = q.base if q.t is None else f"{q.base}_{q.t}"
            v = fwd.value(base)
            out[n] = entry(v, q.index) if q.index else v
        else:
            by_of.setdefault(str(name.of), (name.of, []))[1].append((n, name.wrt))
    for of, wrts in by_of.values():
        d = grad(fwd, of, [w for _, w in wrts], "delta")
        for (n, _), g in zip(wrts, d.gradients):
            out[n] = g.value
    weights = [p for p in problem.param_names if p.startswith("w_")]
    style = "paths" if problem.cell == "rnn" and not problem.is_vector and problem.T <= 4 \
        else "delta"
    L = problem.resolve("L").wrt
    d = grad(fwd, L, [problem.resolve(w).wrt for w in weights], style)
    return fwd, out, d


def _zero(v) -> bool:
    return all(x == 0 for x in v.entries()) if isinstance(v, Mat) else v == 0


def path_values(e) -> list:
    """The value of each chain-rule path in a term: a bracket [a + b] of paths multiplies
    out, so 2(y_hat - y) * w_y * [h_1 + w_h * h_0] has the paths h_1 and w_h h_0."""
    if isinstance(e, Sum) and e.bracket:
        return [v for t in e.terms for v in path_values(t)]
    if isinstance(e, Prod) and not any(isinstance(f.value, Mat) for f in e.factors):
        out = [Fraction(1)]
        for f in e.factors:
            out = [a * b for a in out for b in path_values(f)]
        return out
    return [e.value]


def adjoints_of(fwd, problem: Problem) -> list:
    """dL/dh_t for t = 0 .. T-1: dL/dw_h = Σ_t dL/da_t h_{t-1} takes h_0 through dL/dh_1 (and
    dL/da_1), so a variant whose losses cancel there (dL/dh_1 = 0) hides the h_0 path of the
    whole gradient, though each L_t's own path is not 0."""
    if problem.cell != "rnn" or "w_h" not in problem.param_names:
        return []
    d = grad(fwd, problem.resolve("L").wrt, [problem.resolve("w_h").wrt], "delta")
    return [s.value for s in d.shared if s.name.startswith("dL/dh_")
            and s.name != f"dL/dh_{problem.T}"]


def paths_of(d, wrt: str = "w_h") -> list:
    """The values of every path of dwrt (its terms' paths, in order)."""
    g = next((g for g in d.gradients if g.wrt == wrt), None)
    if g is None:
        return []
    return [v for s in g.steps if s.stage == "term" for v in path_values(s.expr)]


def pleasant(v) -> bool:
    """Exact, with at most 2 decimals and 4 significant digits, or a fraction whose
    denominator is at most 20."""
    if isinstance(v, Mat):
        return all(pleasant(x) for x in v.entries())
    if not is_exact(v):
        return False
    if (v * 10 ** MAX_DECIMALS).denominator == 1:
        digits = str(abs(v.numerator * 10 ** MAX_DECIMALS // v.denominator)).rstrip("0")
        return len(digits) <= MAX_SIGNIFICANT
    # a decimal that ends, but past 2 places, is not pleasant; 1/3 (which never ends) may be
    return not terminates(v) and v.denominator <= MAX_DENOMINATOR and \
        abs(v.numerator) < 10 ** MAX_SIGNIFICANT


def terminates(v: Fraction) -> bool:
    """Whether v is a decimal that ends (its denominator has no prime but 2 and 5)."""
    d = v.denominator
    for f in (2, 5):
        while d % f == 0:
            d //= f
    return d == 1


def _signs(problem: Problem, fwd) -> tuple:
    """Where a ReLU is active: the sign of every a_t (entry by entry)."""
    if problem.activation != "relu" or problem.cell != "rnn":
        return ()
    out = []
    for t in range(1, problem.T + 1):
        a = fwd.value(f"a_{t}")
        out += [(x > 0) - (x < 0) for x in (a.entries() if isinstance(a, Mat) else [a])]
    return tuple(out)


@dataclass(frozen=True)
class Shape:
    """What every variant keeps of the original: where ReLUs are active, which paths of
    dL/dw_h are not zero, and whether its answers are exact."""
    signs: tuple
    live_paths: tuple
    exact: bool
    live_answers: frozenset = frozenset()   # the answers that are not 0 in the original
    distinct: bool = False      # w_x, w_h, w_y pairwise different (a swapped weight shows)
    live_adjoints: tuple = ()   # which dL/dh_t (t < T) are not 0 in the original


def shape_of(problem: Problem, names: list[str]) -> Shape:
    fwd, vals, d = values(problem, names)
    exact = all(is_exact(x) for v in vals.values()
                for x in (v.entries() if isinstance(v, Mat) else [v]))
    return Shape(_signs(problem, fwd), tuple(not _zero(v) for v in paths_of(d)), exact,
                 frozenset(n for n, v in vals.items() if not _zero(v)), _distinct(problem),
                 tuple(not _zero(v) for v in adjoints_of(fwd, problem)))


def _distinct(problem: Problem) -> bool:
    """Whether the scalar weights w_x, w_h, w_y are pairwise different (else a student who
    swapped two of them cannot be told from one who did not)."""
    ws = [problem.params.get(w) for w in ("w_x", "w_h", "w_y")]
    return problem.cell == "rnn" and not problem.is_vector and len(set(ws)) == 3


def degenerate(problem: Problem, names: list[str], shape: Shape):
    """(None, answers) for a variant fit to hand out, else (the reason, None)."""
    try:
        fwd, vals, d = values(problem, names)
    except (ArithmeticError, InputError):
        return "it does not compute", None
    if shape.exact:
        bad = next((n for n, v in vals.items() if not pleasant(v)), None)
        if bad:
            return f"{bad} is not pleasant", None
    if shape.distinct and not _distinct(problem):
        return "two of w_x, w_h, w_y are equal", None
    dead = next((n for n in shape.live_answers if _zero(vals[n])), None)
    if dead:
        return f"{dead} is 0", None
    for g in d.gradients:
        if _zero(g.value):
            return f"dL/d{g.wrt} is 0", None
    paths = paths_of(d)
    if len(paths) != len(shape.live_paths) or any(
            live and _zero(v) for live, v in zip(shape.live_paths, paths)):
        return "a path of dL/dw_h is 0", None
    adjoints = adjoints_of(fwd, problem)
    if len(adjoints) != len(shape.live_adjoints) or any(
            live and _zero(v) for live, v in zip(shape.live_adjoints, adjoints)):
        return "a step's dL/dh_t is 0 (its losses cancel)", None
    signs = _signs(problem, fwd)
    if 0 in signs or signs != shape.signs:
        return "a ReLU is active where the original's is not", None
    if problem.loss in ("squared", "half_squared"):
        for t in problem.targets:
            if fwd.value(f"y_hat_{t}") == problem.y[t]:
                return f"y_hat_{t} equals its target", None
    return None, vals


# -- the class ------------------------------------------------------------------------------------

def rng_for(seed: str, problem: str, student: str) -> random.Random:
    """A student's own generator: SHA-256 of the seed, the problem and the id (never Python's
    hash(), which changes between runs)."""
    digest = hashlib.sha256(f"{seed}\x00{problem}\x00{student}"      # a name's undecodable
                            .encode("utf-8", "surrogatepass")).digest()    # bytes too
    return random.Random(int.from_bytes(digest, "big"))


def make(problem: Problem, table: dict, students: list[str], seed: str,
         where: str = "") -> list[Variant]:
    """A variant for each student (in the order given)."""
    vary = _vary(problem, table, where or problem.source)
    names = answer_names(problem, table, where or problem.source)
    shape = shape_of(problem, names)
    out = []
    for sid in students:
        rng = rng_for(seed, problem.name, sid)
        for n in range(1, MAX_DRAWS + 1):
            t = draw(problem, table, vary, rng)
            try:
                p = build(t, problem.name, f"{where}: variant for {sid}")
            except InputError:
                continue
            why, vals = degenerate(p, names, shape)
            if why is None:
                out.append(Variant(sid, t, p, vals, n))
                break
        else:
            raise InputError(f"no variant for {sid} in {MAX_DRAWS:,} draws is pleasant and not "
                             "degenerate; give [vary] more values", where=where or problem.source)
    return out


def shared(variants: list[Variant]) -> list[tuple[str, ...]]:
    """The groups of students whose variants are the same (by the chance of the draw)."""
    from .check import fingerprint
    groups: dict = {}
    for v in variants:
        groups.setdefault(fingerprint(v.problem), []).append(v.student)
    return [tuple(g) for g in groups.values() if len(g) > 1]


# -- the students ---------------------------------------------------------------------------------

MAX_STUDENTS = 1_000   # keys.toml of 1,000 Assignment 3 variants: about 500 kB (1 MB is read)
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}")


def class_ids(count: int | None, roster: str | None, column: str | None) -> list[str]:
    """The students' ids: s001, s002, ... for a count, or a roster's id column (a CSV file
    with a header row, as course platforms export it; the first column by default)."""
    if (count is None) == (roster is None):
        raise InputError("give either --count N or --roster FILE.csv", where="--count/--roster")
    if count is not None:
        if not 1 <= count <= MAX_STUDENTS:
            raise InputError(f"expected 1 to {MAX_STUDENTS:,}, found {count}", where="--count")
        width = max(3, len(str(count)))
        return [f"s{i:0{width}}" for i in range(1, count + 1)]
    import csv
    where = str(roster)
    try:
        from ..model.outputs import note_input
        note_input(roster)
        with open(roster, encoding="utf-8-sig", newline="") as f:
            rows = list(csv.reader(f.read(2_000_000).splitlines()))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise InputError(f"cannot read it as UTF-8 CSV: {getattr(e, 'strerror', None) or e}",
                         where=where) from None
    except csv.Error as e:
        raise InputError(f"not a CSV file: {e}", where=where) from None
    if not rows or not rows[0]:
        raise InputError("expected a header row naming the columns, then one row per student",
                         where=where)
    header = [h.strip() for h in rows[0]]
    if column is None:
        col = 0
    elif column in header:
        col = header.index(column)
    else:
        from ..model.errors import unknown
        raise unknown("column", column, header, where=f"{where}: --id-column")
    ids, seen = [], {}
    for line, row in enumerate(rows[1:], 2):
        if not any(c.strip() for c in row):
            continue
        sid = row[col].strip() if col < len(row) else ""
        if not _ID.fullmatch(sid):
            from ..model.errors import quoted
            raise InputError(f"line {line}: the id {quoted(sid)} is not one a file can be named "
                             "by: expected letters, digits and . _ @ + - (at most 64, starting "
                             "with a letter or digit)", where=where)
        if sid.lower() in seen:
            raise InputError(f"line {line}: the id {sid!r} repeats line {seen[sid.lower()]}'s",
                             where=where)
        seen[sid.lower()] = line
        ids.append(sid)
    if not ids:
        raise InputError("no student: the roster has a header row and nothing under it",
                         where=where)
    if len(ids) > MAX_STUDENTS:
        raise InputError(f"{len(ids):,} students: at most {MAX_STUDENTS:,}", where=where)
    return ids


def load_table(spec: str, name: str | None = None) -> tuple[str, dict, Problem, str]:
    """The problem to vary: a built-in name, or a problem file (with --problem NAME for one
    of several). Returns its name, table, Problem and where it came from."""
    from pathlib import Path
    from ..model.files import examples, pick, read_toml, tables
    builtin = examples()
    if spec in builtin and not Path(spec).exists():
        found, source = builtin, "built-in examples"
        name = spec
    else:
        found, source = tables(read_toml(spec), spec), spec
    name, table = pick(found, name, source)
    where = f"{source}: [{name}]" if len(found) > 1 else source
    return name, table, build(table, name, where), where
