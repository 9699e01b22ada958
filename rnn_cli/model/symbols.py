"""Which quantities of a problem are symbols in symbolic mode: `symbols = "all"` or a list of
names in a file, `--symbolic` or `--symbols w_h,x` on the command line.

Names are checked here, against the problem, and kept canonical: a parameter (w_h, or an
alias such as W_hh), one entry of a matrix parameter (w_h[1,2]), every input or target (x, y)
or one step's (x_2, y_1). Nothing here imports SymPy.
"""

import re

from .errors import InputError
from .names import param_name

ALL = "all"
MAX_NAMES = 64
MAX_SYMBOLIC_SIZE = 3      # H, D and K at most, in a vector problem
MAX_SYMBOLIC_T = 20        # steps at most: dL/dw_h of a tanh RNN at T = 20 took 9 s of CPU
                           # (T = 10: 2 s), its JSON 3.5 MB; both grow as T^3
MAX_SYMBOLIC_GATED_T = 3   # an LSTM's or GRU's closed forms grow much faster
_ENTRY = re.compile(r"(?P<base>[A-Za-z_]+)\[(?P<i>\d{1,2})(?:,(?P<j>\d{1,2}))?\]")
_STEP = re.compile(r"(?P<base>x|y)_?(?P<t>\d{1,6})")


def parse(value, where: str) -> tuple[str, ...]:
    """The raw setting: "all", or a list of names (a comma-separated string on the command
    line). Checked against a problem by `check`."""
    if isinstance(value, str):
        # commas inside an entry's brackets (w_h[1,2]) do not separate names
        parts = [v.strip() for v in re.split(r",(?![^\[\]]*\])", value)] \
            if value.strip().lower() != ALL else [ALL]
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        parts = [v.strip() for v in value]
    else:
        raise InputError('expected "all" or a list of names such as ["w_h", "x"]', where=where)
    if not parts or any(not p for p in parts):
        raise InputError('expected "all" or names separated by commas, such as w_h,x',
                         where=where)
    if len(parts) > MAX_NAMES:
        raise InputError(f"{len(parts)} names: at most {MAX_NAMES}", where=where)
    return tuple(dict.fromkeys(p.lower() if p.lower() == ALL else p for p in parts))


def check(names: tuple[str, ...], params: dict, given: frozenset, T: int, targets,
          cell: str, where: str) -> tuple[tuple[str, ...], frozenset]:
    """The canonical symbol names of a problem, and its `given` parameters widened by those
    named (a bias named as a symbol enters the formulas even where its value is 0)."""
    if not names:
        return (), given
    vector = hasattr(params.get("w_y"), "rows")
    if vector:
        sizes = {n: max(v.shape) for n, v in params.items() if hasattr(v, "rows")}
        big = {n: s for n, s in sizes.items() if s > MAX_SYMBOLIC_SIZE}
        if big:
            n, s = next(iter(big.items()))
            raise InputError(f"{n} has {s} rows or columns: symbolic mode takes vectors and "
                             f"matrices of at most {MAX_SYMBOLIC_SIZE} (beyond that the closed "
                             "forms outgrow what SymPy simplifies in seconds)", where=where)
        wide = {n: s for n, s in sizes.items() if s > 1}
        if cell != "rnn" and wide:
            n, s = next(iter(wide.items()))
            raise InputError(f"{n} has {s} rows or columns: symbolic mode takes an LSTM or GRU "
                             "with one unit and scalars (H = D = K = 1); with vectors its "
                             "closed forms outgrow SymPy (a 2-unit GRU ran for more than 15 "
                             "minutes); use numbers instead of symbols", where=where)
    limit = MAX_SYMBOLIC_T if cell == "rnn" else MAX_SYMBOLIC_GATED_T
    if T > limit:
        raise InputError(f"T = {T}: symbolic mode takes at most {limit} steps"
                         f"{' in a gated cell' if cell != 'rnn' else ''} (the closed forms "
                         "grow as T^3: a tanh dL/dw_h took 9 s at T = 20, measured in "
                         f"benchmarks/symbolic.py); use at most {limit} steps, or numbers "
                         "instead of symbols",
                         where=where)
    if names == (ALL,):
        out = [p for p in params if p in given] + \
              [f"x_{t}" for t in range(1, T + 1)] + [f"y_{t}" for t in targets]
        return tuple(out), given
    out = []
    for raw in names:
        out += _one(raw, params, T, targets, vector, where)
    out = tuple(dict.fromkeys(out))
    named = {n.partition("[")[0] for n in out if n.partition("[")[0] in params}
    return out, given | frozenset(named)


def _one(raw: str, params: dict, T: int, targets, vector: bool, where: str) -> list[str]:
    if raw == ALL:
        raise InputError('"all" stands alone: write symbols = "all" or name the symbols',
                         where=where)
    if raw.lower() in ("x", "y"):
        steps = range(1, T + 1) if raw.lower() == "x" else targets
        return [f"{raw.lower()}_{t}" for t in steps]
    m = _STEP.fullmatch(raw)
    if m:
        t = int(m["t"])
        ok = 1 <= t <= T if m["base"] == "x" else t in targets
        if not ok:
            have = f"1..{T}" if m["base"] == "x" else ", ".join(map(str, targets))
            raise InputError(f"{raw}: this problem has {m['base']}_t for t in {have}",
                             where=where)
        return [f"{m['base']}_{t}"]
    m = _ENTRY.fullmatch(raw.replace(" ", ""))
    base = param_name(m["base"] if m else raw)
    if base is None or base not in params:
        raise InputError(f"{raw!r} is not a symbol this problem can have: expected a "
                         f"parameter ({', '.join(params)}), x, y, x_t, y_t or an entry such "
                         "as w_h[1,2]", where=where)
    if not m:
        return [base]
    value = params[base]
    if not vector or not hasattr(value, "rows"):
        raise InputError(f"{raw}: entries [i,j] name parts of vectors and matrices, and "
                         f"{base} is a number here; write {base}", where=where)
    rows, cols = value.shape
    i, j = int(m["i"]), int(m["j"] or 0)
    matrix = base.startswith("w_")
    if matrix and not (m["j"] and 1 <= i <= rows and 1 <= j <= cols) or \
            not matrix and (m["j"] or not 1 <= i <= rows):
        want = f"{base}[i,j] with i <= {rows}, j <= {cols}" if matrix else \
            f"{base}[i] with i <= {rows}"
        raise InputError(f"{raw}: expected {want}", where=where)
    return [f"{base}[{i},{j}]" if matrix else f"{base}[{i}]"]
