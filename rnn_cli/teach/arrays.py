"""`check PROBLEM --answers GRADS.npz`: a student's gradient arrays judged against the
float64 derivation, entry by entry at the precision of their dtype, and each wrong array
diagnosed by replaying the backward pass with the mistakes of derive/bugs.py.

The precision rule (docs/gradcheck.md): with eps the machine epsilon of the array's dtype
(float16 2^-10, float32 2^-23, float64 and integers 2^-52), T the number of steps and m the
largest |entry| of the right array, an entry is correct when

    |given - right| <= 16 eps (T + 1) m

(m and not |right|: an entry whose terms cancel carries the rounding of its terms, not of its
own size). The rel_error reported beside it is CS231n's: max |a - b| / max(1e-8, |a| + |b|).
A mistake is named when its replay matches the given array by the same rule.
"""

from dataclasses import dataclass
from pathlib import Path

from ..derive import bugs
from ..model.errors import BadShape, InputError, unknown

CORRECT, WRONG = "correct", "wrong"
FACTOR = 16                  # the rule's constant: 16 eps (T + 1)
FULL_ARRAY = 256             # arrays of at most this many entries are written whole in JSON
DIAGNOSE_WORK = 4 * 10**9    # N T H (H + D + K) summed over the replays of single mistakes
PAIRS_WORK = 2 * 10**8       # the same for pairs of mistakes: tried only below this
EPS64 = 2.0 ** -52


@dataclass(frozen=True)
class ArrayResult:
    """One gradient array, judged."""
    file: str
    problem: str
    name: str                  # the student's name for it (dWhh, dL/dw_h, weight_hh_l0)
    param: str                 # what it is, canonically (dL/dw_h)
    dtype: str
    shape: tuple
    verdict: str
    rule: str                  # the precision rule, with its numbers
    tolerance: float           # 16 eps (T + 1) m
    max_error: float           # max |given - right|
    rel_error: float           # CS231n's rel_error
    worst: tuple               # the 1-based entry where |given - right| is largest
    given_worst: float
    right_worst: float
    given: object = None       # the arrays (numpy), for the JSON of small ones
    right: object = None
    diagnosis: tuple[str, ...] = ()


@dataclass(frozen=True)
class ArrayReport:
    results: tuple[ArrayResult, ...]

    @property
    def errors(self) -> tuple[str, ...]:
        """None: an array that cannot be read stops the run before there is a report."""
        return ()

    @property
    def passed(self) -> bool:
        return all(r.verdict == CORRECT for r in self.results)

    def count(self, verdict: str) -> int:
        return sum(r.verdict == verdict for r in self.results)


def _np():
    import numpy
    return numpy


# -- the problem as arrays, and its gradients ---------------------------------------------

def is_arrays(problem) -> bool:
    """Whether the problem is an ArrayProblem (model/arrays.py), not a TOML Problem."""
    return hasattr(problem, "has") and hasattr(problem, "convention")


def case_of(problem):
    """The problem as float64 arrays for the replays (bugs.Case), or None for a gated cell
    (judged, not diagnosed)."""
    np = _np()
    if problem.cell != "rnn":
        return None
    if is_arrays(problem):
        p = {k: np.asarray(problem.params[k], dtype=float) for k in bugs.GRADS}
        return bugs.Case(p, problem.x, problem.y, problem.has, problem.activation,
                         problem.output, problem.loss, problem.reduction, problem.batch)
    from ..derive import fast
    p = {k: fast._matrix(problem.params[k], np) for k in bugs.WEIGHTS}
    p.update({k: fast._array(problem.params[k], np) for k in ("b_h", "b_y", "h_0")})
    H, K = p["w_h"].shape[0], p["w_y"].shape[0]
    p["h_0"] = np.broadcast_to(p["h_0"], (H,)).reshape(1, H)
    p["b_h"] = np.broadcast_to(p["b_h"], (H,)).copy()
    p["b_y"] = np.broadcast_to(p["b_y"], (K,)).copy()
    x = np.stack([fast._array(v, np) for v in problem.x])[None]
    y = np.zeros((1, problem.T, K))
    has = np.zeros(problem.T, dtype=bool)
    for t, v in problem.y.items():
        has[t - 1] = True
        y[0, t - 1] = fast._array(v, np)
    return bugs.Case(p, x, y, has, problem.activation, problem.output, problem.loss,
                     problem.reduction, "sum")


def right_gradients(problem) -> dict:
    """Every dL/d(parameter) by the float64 path: derive/numeric.py for an array problem,
    derive/fast.py for a TOML one (canonical names and shapes; h_0's a vector where one
    state serves every sequence)."""
    if is_arrays(problem):
        from ..derive import numeric
        return dict(numeric.run(problem).grads)
    if problem.cell != "rnn":
        raise InputError(f"gradient arrays of a {problem.cell} cell are checked on the problem "
                         "as arrays: give --weights FILE or --convention NAME",
                         where=f"{problem.source}: cell")
    from ..derive import fast
    np = _np()
    g = fast.run(problem).grads
    H, K = problem.size("h")[0], problem.size("y_hat")[0]
    return {"w_x": np.atleast_2d(g["w_x"]).reshape(H, -1), "w_h": g["w_h"].reshape(H, H),
            "w_y": g["w_y"].reshape(K, H), "b_h": g["b_h"].reshape(H),
            "b_y": g["b_y"].reshape(K), "h_0": g["h_0"].reshape(H)}


def _like(grads: dict, right: dict) -> dict:
    """A replay's gradients shaped as the right ones: h_0's N x H summed over the sequences
    where the problem has one state for all."""
    return {k: (v.sum(axis=0) if k == "h_0" and v.ndim == 2 and right[k].ndim == 1 else v)
            for k, v in grads.items()}


# -- names ---------------------------------------------------------------------------------

def _convention(name: str | None, keys, problem):
    """The convention the gradient names are written in: the one asked for, else the
    problem's (its weights file's), else the one the names show (dWhh is karpathy's), else
    canonical."""
    from ..model import conventions
    if name is not None:
        return conventions.get(name)
    own = getattr(problem, "convention", None)
    if own is not None and own.name != "canonical":
        return own
    bare = [k[1:] if k.lower().startswith("d") and not k.startswith("dL/") else k
            for k in keys]
    found = conventions.recognise(bare) or conventions.recognise(keys)
    return conventions.get(found or "canonical")


def resolve(key: str, conv, cell: str, layout: str, where: str, strict: bool = False):
    """The convention's Array for the gradient called `key`. Canonical names (dL/dw_h, dw_h,
    dL/dW_hh) are read in every convention, in the problem's layout; another course's names
    too unless the convention was asked for (`strict`)."""
    from ..model.conventions import Array
    from ..model.names import CELL_PARAMS, param_name
    table = conv.gradients(cell)
    if key in table:
        return table[key]
    low = key.strip()
    for prefix in ("dL/d", "∂L/∂", "dl/d", "d"):
        if low.startswith(prefix):
            p = param_name(low[len(prefix):])
            if p is not None and p in CELL_PARAMS[cell]:
                return Array(p, key, (p,), transposed=layout == "row" and p.startswith("w_"),
                             states=p == "h_0")
    from ..model.conventions import CONVENTIONS
    for other in () if strict else CONVENTIONS.values():   # another course's name
        if cell in other.arrays and key in other.gradients(cell):
            return other.gradients(cell)[key]
    valid = list(table) + [f"dL/d{p}" for p in CELL_PARAMS[cell] if f"dL/d{p}" not in table]
    e = unknown("gradient name", key, valid, where=where)
    if conv.name == "canonical" and not strict:      # say what each course calls them
        courses = "; ".join(f"{c.name}: {' '.join(c.gradients(cell))}"
                            for c in CONVENTIONS.values() if c.name != "canonical"
                            and cell in c.arrays)
        e.args = (f"{e.args[0]}; or a course's names (--convention NAME), {courses}",)
    raise e


def stored(a, grads: dict):
    """The gradient of the convention's Array a as the convention stores it: its canonical
    parts stacked (rows, or side by side), as a column or transposed where it says so."""
    np = _np()
    parts = [np.asarray(grads[p], dtype=float) for p in a.parts]
    arr = parts[0] if len(parts) == 1 else np.hstack(parts) if a.stack == "cols" \
        else np.concatenate(parts, axis=0)
    if a.column and arr.ndim == 1:
        return arr.reshape(-1, 1)
    return arr.T if a.transposed and arr.ndim == 2 else arr


def _fit(given, want_shape, key: str, where: str):
    """The given array in the expected shape: a vector may be written H, H x 1 or 1 x H; a
    matrix must have its shape (a transposed one is named as such)."""
    shape = tuple(given.shape)
    want = tuple(want_shape)
    if shape == want:
        return given
    vec = lambda s: sum(d > 1 for d in s) <= 1
    size = lambda s: int(_np().prod(s)) if s else 1
    if vec(shape) and vec(want) and size(shape) == size(want):
        return given.reshape(want)
    words = lambda s: " x ".join(map(str, s)) if s else "a number"
    hint = ""
    if len(want) == 2 and shape == want[::-1]:
        hint = ": the transpose of the right shape (a missing transpose?)"
    elif len(shape) == len(want) + 1 and tuple(shape[1:]) == want:
        hint = f": one row per sequence or step, not summed over its first axis ({shape[0]})?"
    raise BadShape(f"{words(shape)}; expected {words(want)}{hint}", where=where)


# -- judging -------------------------------------------------------------------------------

def eps_of(dtype) -> float:
    """The machine epsilon the rule uses: the dtype's own (float16 2^-10, float32 2^-23),
    float64's for integers and for types finer than the float64 derivation."""
    np = _np()
    dt = np.dtype(dtype)
    return EPS64 if dt.kind in "iu" else max(float(np.finfo(dt).eps), EPS64)


def tolerance(right, dtype, T: int) -> float:
    """16 eps (T + 1) m, m the largest |entry| of the right array (the smallest normal
    number where every entry is 0)."""
    np = _np()
    m = float(np.abs(right).max()) if right.size else 0.0
    return FACTOR * eps_of(dtype) * (T + 1) * max(m, float(np.finfo(float).tiny))


def matches(given, right, tol: float) -> bool:
    np = _np()
    return bool(np.all(np.abs(np.asarray(given, dtype=float) - right) <= tol))


def rel_error(a, b) -> float:
    """CS231n's: max |a - b| / max(1e-8, |a| + |b|)."""
    np = _np()
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)))) \
        if a.size else 0.0


def rule_text(dtype, T: int) -> str:
    """The precision rule for arrays of this dtype, with its numbers."""
    return (f"|given - right| <= 16 eps (T + 1) max|right|, {dtype} eps = "
            f"{eps_of(dtype):.3g}, T = {T}")


def check_arrays(problem, answers: dict, file: str,
                 convention: str | None = None) -> list[ArrayResult]:
    """Every array of `answers` (name -> numpy array), judged and diagnosed. An array that
    cannot be read (an unknown name, a wrong dtype or shape) is an input error for the whole
    file, raised before any array is judged."""
    np = _np()
    cell, layout = problem.cell, problem.layout
    conv = _convention(convention, answers, problem)
    right = right_gradients(problem)
    read = []
    for key, given in answers.items():
        where = f"{file}: {key}"
        a = resolve(key, conv, cell, layout, file, convention is not None)
        if given.dtype.kind not in "fiu":
            raise BadShape(f"dtype {given.dtype}; expected numbers", where=where)
        want = stored(a, right)
        read.append((key, a, _fit(given, want.shape, key, where), want))
    case = case_of(problem)
    diagnose = Diagnoser(case, conv, cell, right) if case is not None else None
    results = []
    for key, a, given, want in read:
        tol = tolerance(want, given.dtype, problem.T)
        g = np.asarray(given, dtype=float)
        with np.errstate(invalid="ignore"):
            diff = np.abs(g - want)
        finite = bool(np.isfinite(g).all())
        i = np.unravel_index(int(np.argmax(np.where(np.isfinite(diff), diff, np.inf))),
                             diff.shape)
        ok = finite and bool(np.all(diff <= tol))
        if ok:
            found = ()
        elif not finite:
            found = (f"{key}: holds NaN or infinity",)
        else:
            found = tuple(diagnose(key, a, g, given.dtype)) if diagnose else ()
        results.append(ArrayResult(
            file, problem.name, key, "dL/d" + "+".join(a.parts), str(given.dtype),
            tuple(given.shape), CORRECT if ok else WRONG, rule_text(given.dtype, problem.T),
            tol, float(np.nanmax(np.where(np.isfinite(diff), diff, np.inf))),
            rel_error(g, want), tuple(int(j) + 1 for j in i), float(g[i]), float(want[i]),
            g, want, found))
    return results


def check_answers(paths, answers_path, convention: str | None = None,
                  problem_name: str | None = None, weights=None) -> ArrayReport:
    """`check [PROBLEM] --answers GRADS.npz [--weights FILE] [--convention NAME]`: one
    problem (a file, a weights file, or both), one file of gradient arrays."""
    from ..model.files import load
    from ..model.weights import read_arrays
    paths = list(paths)
    if len(paths) > 1 or not paths and weights is None:
        raise InputError(f"expected one problem file (or --weights FILE) with --answers, found "
                         f"{len(paths)} files", where="--answers")
    flags = {"weights": weights, "convention": convention, "batch": None, "head": None}
    problem = load(str(paths[0]) if paths else None, problem_name, {}, flags)
    if not paths:                   # named after its weights file, not "flags"
        from dataclasses import replace
        problem = replace(problem, name=Path(weights).name)
    arrays = read_arrays(answers_path, str(answers_path), answers=True)
    if not arrays:
        raise InputError("holds no arrays", where=str(answers_path))
    return ArrayReport(tuple(check_arrays(problem, arrays, str(answers_path), convention)))


# -- the diagnosis -------------------------------------------------------------------------

_SLOPES = {"tanh": ("1 - h_t²", "1 - a_t²", "1 - tanh(h_t)²", "1 - h_{t-1}²"),
           "sigmoid": ("h_t (1 - h_t)", "a_t (1 - a_t)", "σ(h_t) (1 - σ(h_t))",
                       "h_{t-1} (1 - h_{t-1})")}


# mistakes that are two ways of writing one line: never replayed together
_SLOPE_LINE = {"slope_pre", "slope_twice", "slope_prev"}
_APART = {**{f: _SLOPE_LINE for f in _SLOPE_LINE},
          "first_step_only": {"first_step_only", "last_step_only"},
          "steps_mean": {"steps_mean", "steps_sum"}, "batch_mean": {"batch_mean", "batch_sum"},
          "batch_sum": {"batch_mean", "batch_sum"}, "steps_sum": {"steps_mean", "steps_sum"},
          "last_step_only": {"first_step_only", "last_step_only"}}


class Diagnoser:
    """Replays each mistake once (and, for small problems, each pair of them) and names those
    whose replay of an array matches the given one."""

    def __init__(self, case, conv, cell: str, right: dict):
        self.case, self.conv, self.cell, self.right = case, conv, cell, right
        self.fwd = bugs.forward(case)
        self.flags = [f for f in bugs.BUGS if bugs.applies(case, f)]
        self.memo: dict = {}
        slopes = _SLOPES.get(case.activation, ("",) * 4)
        self.words = {"dh": conv.dh_next, "W": conv.name_of("w_h", cell),
                      "f": case.activation, "slope_h": slopes[0], "slope_a": slopes[1],
                      "slope_twice": slopes[2], "slope_prev": slopes[3],
                      "n": case.targets, "N": case.N}

    def _carried(self):
        """dL/dh_0 of each sequence, the value a stale dh_next holds after one call."""
        return bugs.replay(self.case, fwd=self.fwd)["h_0"]

    def sentence(self, flag: str) -> str:
        return bugs.BUGS[flag].sentence.format(**self.words)

    def _replays(self, flags: tuple) -> list:
        if flags not in self.memo:
            if len(flags) == 1:
                got = list(bugs.variants(self.case, flags[0], self.fwd))
            else:
                got = [("", bugs.replay(self.case, set(flags), self._carried(), self.fwd))]
            self.memo[flags] = [(extra, _like(g, self.right)) for extra, g in got]
        return self.memo[flags]

    def _match(self, flags: tuple, a, given, dtype):
        """The words to add to the mistake's sentence if a replay of `flags` gives `given`
        (by the precision rule, with the replayed array as the right one)."""
        right = stored(a, self.right)
        tol = tolerance(right, dtype, self.case.T)
        for extra, g in self._replays(flags):
            replayed = stored(a, g)
            if replayed.shape != right.shape or matches(replayed, right, tol):
                continue        # the mistake changes nothing in this array
            if matches(given, replayed, tolerance(replayed, dtype, self.case.T)):
                return extra
        return None

    def work(self) -> int:
        """Multiply-adds of one replay: N T H (H + D + K)."""
        c = self.case
        H, D, K = c.params["w_h"].shape[0], c.x.shape[2], c.params["w_y"].shape[0]
        return c.N * c.T * H * (H + D + K)

    def __call__(self, key: str, a, given, dtype) -> list[str]:
        touching = [f for f in self.flags if set(a.parts) & set(bugs.BUGS[f].grads)]
        if self.work() * (len(self.flags) + 2) > DIAGNOSE_WORK:
            return [f"{key}: not diagnosed: replaying each mistake would take "
                    f"{self.work() * (len(self.flags) + 2):.2g} multiply-adds (at most "
                    f"{DIAGNOSE_WORK:.0e})"]
        found = []
        for f in touching:
            extra = self._match((f,), a, given, dtype)
            if extra is not None:
                found.append(f"{key}: {self.sentence(f)}{extra}")
        if found:
            return found
        pairs = [(f, g) for i, f in enumerate(self.flags) for g in self.flags[i + 1:]
                 if (f in touching or g in touching) and not {f, g} <= _APART.get(f, set())]
        if self.work() * len(pairs) > PAIRS_WORK:
            return []
        for pair in pairs:
            if self._match(tuple(sorted(pair)), a, given, dtype) is not None:
                found.append(f"{key}: two mistakes together: {self.sentence(pair[0])}; and "
                             f"{self.sentence(pair[1])}")
        return found
