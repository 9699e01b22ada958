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

import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..derive import bugs
from ..model.errors import BadFile, BadShape, InputError, TooLarge, quoted, unknown

CORRECT, WRONG = "correct", "wrong"
MAX_BYTES = 256 * 2**20      # a gradients file, on disk and once unpacked
MAX_ARRAYS = 64              # arrays in one file
FACTOR = 16                  # the rule's constant: 16 eps (T + 1)
FULL_ARRAY = 256             # arrays of at most this many entries are written whole in JSON
PAIRS_WORK = 2 * 10**8       # replays of two mistakes together only below this much work
EPS = {"float16": 2.0 ** -10, "float32": 2.0 ** -23, "float64": 2.0 ** -52}


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
    errors: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.errors and all(r.verdict == CORRECT for r in self.results)

    def count(self, verdict: str) -> int:
        return sum(r.verdict == verdict for r in self.results)


def _np():
    import numpy
    return numpy


# -- reading the student's arrays ---------------------------------------------------------

def read_npz(path, where: str | None = None) -> dict:
    """The arrays of an .npz file (numpy, never unpickling): name -> array."""
    np = _np()
    path = Path(path)
    where = where or str(path)
    if path.suffix.lower() != ".npz":
        raise BadFile(f"expected an .npz file of gradient arrays (numpy.savez), found "
                      f"{quoted(path.suffix or path.name)}", where=where)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise TooLarge(f"{size:,} bytes: a gradients file has at most {MAX_BYTES:,}",
                           where=where)
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
            if len(infos) > MAX_ARRAYS:
                raise TooLarge(f"{len(infos)} arrays: at most {MAX_ARRAYS} are read",
                               where=where)
            if sum(i.file_size for i in infos) > MAX_BYTES:
                raise TooLarge(f"its arrays unpack to more than {MAX_BYTES:,} bytes",
                               where=where)
        out = {}
        with np.load(path, allow_pickle=False) as f:
            for key in f.files:
                try:
                    out[key] = f[key]
                except ValueError:
                    raise BadFile(f"array {quoted(key)} holds Python objects (a pickle); "
                                  "expected numbers (save float arrays with numpy.savez)",
                                  where=where) from None
    except InputError:
        raise
    except FileNotFoundError:
        raise BadFile("no such file", where=where) from None
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as e:
        raise BadFile(f"not a readable .npz file ({type(e).__name__}: "
                      f"{str(e)[:80]})", where=where) from None
    for key, arr in out.items():
        if arr.dtype.kind not in "fiu":
            raise BadFile(f"array {quoted(key)} is of dtype {arr.dtype}; expected "
                          "floating-point (or integer) numbers", where=where)
    return out


# -- the problem as arrays, and its gradients ---------------------------------------------

def case_of(problem) -> "bugs.Case":
    """A plain-RNN Problem of the TOML path as float64 arrays (one sequence)."""
    np = _np()
    from ..derive import fast
    if problem.cell != "rnn":
        raise InputError(f"gradient arrays are checked for the plain RNN; this problem's cell "
                         f"is {problem.cell}", where=f"{problem.source}: cell")
    p = {k: fast._matrix(problem.params[k], np) for k in bugs.WEIGHTS}
    p.update({k: fast._array(problem.params[k], np) for k in ("b_h", "b_y", "h_0")})
    H = p["w_h"].shape[0]
    p["h_0"] = np.broadcast_to(p["h_0"], (H,)).reshape(1, H)
    p["b_h"] = np.broadcast_to(p["b_h"], (H,)).copy()
    p["b_y"] = np.broadcast_to(p["b_y"], (p["w_y"].shape[0],)).copy()
    x = np.stack([fast._array(v, np) for v in problem.x])[None]
    K = p["w_y"].shape[0]
    y = np.zeros((1, problem.T, K))
    has = np.zeros(problem.T, dtype=bool)
    for t, v in problem.y.items():
        has[t - 1] = True
        y[0, t - 1] = fast._array(v, np)
    return bugs.Case(p, x, y, has, problem.activation, problem.output, problem.loss,
                     problem.reduction, "sum")


def _canonical_shapes(grads: dict) -> dict:
    """One sequence's gradients as the problem states its parameters (h_0 a vector)."""
    return {k: (v[0] if k == "h_0" and v.ndim == 2 and v.shape[0] == 1 else v)
            for k, v in grads.items()}


# -- names ---------------------------------------------------------------------------------

def _convention(name: str | None, keys, problem):
    """The convention the gradient names are written in: the one asked for, else the one the
    names show (dWhh is karpathy's), else canonical."""
    from ..model import conventions
    if name is not None:
        return conventions.get(name)
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
    raise BadShape(f"{key} is {words(shape)}; expected {words(want)}{hint}", where=where)


# -- judging -------------------------------------------------------------------------------

def eps_of(dtype) -> float:
    return EPS.get(str(dtype), EPS["float32"] if str(dtype) == "float32" else
                   EPS["float64"] if _np().dtype(dtype).kind in "iu" else
                   max(float(_np().finfo(dtype).eps), EPS["float64"]))


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
    return (f"{dtype}: |given - right| <= 16 eps (T + 1) max|right|, eps = {eps_of(dtype):.3g}, "
            f"T = {T}")


def check_arrays(problem, answers: dict, file: str, convention: str | None = None,
                 case=None) -> tuple[list[ArrayResult], list[str]]:
    """Every array of `answers` (name -> numpy array), judged and diagnosed."""
    np = _np()
    case = case if case is not None else case_of(problem)
    cell = getattr(problem, "cell", "rnn")
    layout = getattr(problem, "layout", "column")
    conv = _convention(convention, answers, problem)
    fwd = bugs.forward(case)
    right = _canonical_shapes(bugs.replay(case, fwd=fwd))
    diagnose = Diagnoser(case, conv, cell, right, fwd)
    results, errors = [], []
    for key, given in answers.items():
        where = f"{file}: {key}"
        try:
            a = resolve(key, conv, cell, layout, file, convention is not None)
            want = stored(a, right)
            given = _fit(given, want.shape, key, where)
        except InputError as e:
            errors.append(str(e))
            continue
        tol = tolerance(want, given.dtype, case.T)
        g = np.asarray(given, dtype=float)
        diff = np.abs(g - want)
        finite = bool(np.isfinite(g).all())
        i = np.unravel_index(int(np.argmax(np.where(np.isfinite(diff), diff, np.inf))),
                             diff.shape) if diff.size else ()
        ok = finite and bool(np.all(diff <= tol))
        found = () if ok else tuple(diagnose(key, a, g, tol))
        results.append(ArrayResult(
            file, getattr(problem, "name", ""), key, "dL/d" + "+".join(a.parts),
            str(given.dtype), tuple(given.shape), CORRECT if ok else WRONG,
            rule_text(given.dtype, case.T), tol,
            float(diff.max()) if diff.size else 0.0, rel_error(g, want),
            tuple(int(j) + 1 for j in i), float(g[i]) if diff.size else 0.0,
            float(want[i]) if diff.size else 0.0, g, want,
            found if finite else ("the array holds NaN or infinity",)))
    return results, errors


def check_answers(paths, answers_path, convention: str | None = None,
                  problem_name: str | None = None) -> ArrayReport:
    """`check PROBLEM --answers GRADS.npz`: one problem file, one file of arrays."""
    from ..model.files import load
    paths = list(paths)
    if len(paths) != 1:
        raise InputError(f"expected one problem file with --answers, found {len(paths)}",
                         where="--answers")
    problem = load(str(paths[0]), problem_name)
    arrays = read_npz(answers_path)
    if not arrays:
        raise BadFile("holds no arrays", where=str(answers_path))
    results, errors = check_arrays(problem, arrays, str(answers_path), convention)
    return ArrayReport(tuple(results), tuple(errors))


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

    def __init__(self, case, conv, cell: str, right: dict, fwd):
        self.case, self.conv, self.cell, self.right, self.fwd = case, conv, cell, right, fwd
        self.flags = [f for f in bugs.BUGS if bugs.applies(case, f)]
        self.memo: dict = {}
        slopes = _SLOPES.get(case.activation, ("",) * 4)
        self.words = {"dh": conv.dh_next, "W": conv.name_of("w_h", cell),
                      "f": case.activation, "slope_h": slopes[0], "slope_a": slopes[1],
                      "slope_twice": slopes[2], "slope_prev": slopes[3],
                      "n": case.targets, "N": case.N}

    def sentence(self, flag: str) -> str:
        return bugs.BUGS[flag].sentence.format(**self.words)

    def _replays(self, flags: tuple) -> list:
        if flags not in self.memo:
            if len(flags) == 1:
                got = list(bugs.variants(self.case, flags[0], self.right, self.fwd))
            else:
                got = [("", bugs.replay(self.case, set(flags), self.right["h_0"], self.fwd))]
            self.memo[flags] = [(extra, _canonical_shapes(g)) for extra, g in got]
        return self.memo[flags]

    def _match(self, flags: tuple, a, given, tol: float):
        """The words to add to the mistake's sentence if a replay of `flags` gives `given`."""
        right = stored(a, self.right)
        for extra, g in self._replays(flags):
            replayed = stored(a, g)
            if replayed.shape != right.shape or matches(replayed, right, tol):
                continue        # the mistake changes nothing in this array
            if matches(given, replayed, tol):
                return extra
        return None

    def __call__(self, key: str, a, given, tol: float) -> list[str]:
        touching = [f for f in self.flags if set(a.parts) & set(bugs.BUGS[f].grads)]
        found = []
        for f in touching:
            extra = self._match((f,), a, given, tol)
            if extra is not None:
                found.append(f"{key}: {self.sentence(f)}{extra}")
        if found:
            return found
        c = self.case
        H, D, K = c.params["w_h"].shape[0], c.x.shape[2], c.params["w_y"].shape[0]
        pairs = [(f, g) for i, f in enumerate(self.flags) for g in self.flags[i + 1:]
                 if (f in touching or g in touching) and not {f, g} <= _APART.get(f, set())]
        if c.N * c.T * H * (H + D + K) * len(pairs) > PAIRS_WORK:
            return []
        for pair in pairs:
            if self._match(tuple(sorted(pair)), a, given, tol) is not None:
                found.append(f"{key}: two mistakes together: {self.sentence(pair[0])}; and "
                             f"{self.sentence(pair[1])}")
        return found
