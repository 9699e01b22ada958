"""Array problems: the spec's model with its numbers held as float64 arrays, for
implementation homework. Weights come from an .npz or a PyTorch state_dict (weights.py) in a
course's convention (conventions.py), and from the TOML and flags, which override them; the
data may be a minibatch of N sequences (`batch = "mean"|"sum"`).

Canonical arrays throughout (column layout): w_h H x H, w_x H x D, w_y K x H, biases of H or
K entries, h_0 and c_0 N x H (one row per sequence), x N x T x D, targets N x T x K with
`has` marking the steps that have one. numpy is imported by the functions that use it.
"""

from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from .conventions import Convention, get, pytorch_layout, recognise, to_canonical
from .errors import BadShape, InputError, TooLarge, unknown
from .names import CELL_PARAMS, CELLS, param_name
from .numbers import parse_number

MAX_H = 512          # hidden units; also D (inputs) and K (outputs)
MAX_N = 256          # sequences in a minibatch
MAX_T = 1_000        # steps of an array problem
MAX_WORK = 25 * 10**8   # N T (G (H^2 + H D) + K H) multiply-adds of one forward pass: an LSTM
                        # at H = D = K = 512, T = 1,000 (2.4e9) takes 3.3-4 s (docs/weights.md)
MAX_FLOATS = 60 * 10**6  # N T (M H + 2 D + 5 K) numbers kept for the backward pass (M = 5 for
                         # the RNN, 14 for a GRU, 16 for an LSTM): 480 MB
BATCHES = ("mean", "sum")
KEYS = ("weights", "convention", "batch", "head")


class Minibatch:
    """The sizes of a minibatch, read off its inputs x (N x T x D): N sequences of T steps."""
    x: object

    @property
    def N(self) -> int:
        return self.x.shape[0]

    @property
    def T(self) -> int:
        return self.x.shape[1]


@dataclass(frozen=True)
class ArrayProblem(Minibatch):
    """One problem in float64 arrays (see the module's docstring for the shapes)."""
    name: str
    cell: str
    activation: str
    output: str
    loss: str
    reduction: str                   # over the steps of one sequence
    batch: str                       # over the sequences: mean | sum
    convention: Convention
    params: dict                     # canonical name -> array
    x: object                        # N x T x D
    y: object                        # N x T x K (zeros where a step has no target)
    has: object                      # T booleans: the steps with a target
    batched: bool = False            # the data held N sequences (even N = 1)
    shared: frozenset = frozenset()  # h_0, c_0 given as one state for every sequence
    title: str = ""
    source: str = ""
    layout: str = "column"
    answers: dict = field(default_factory=dict, compare=False)
    weights: str | None = None       # the weights file read, if any (never written over)

    @property
    def D(self) -> int:
        return self.x.shape[2]

    @property
    def H(self) -> int:
        return self.params["h_0"].shape[1]

    @property
    def K(self) -> int:
        return self.params["w_y"].shape[0]

    @property
    def param_names(self) -> tuple[str, ...]:
        return CELL_PARAMS[self.cell]

    @property
    def targets(self) -> tuple[int, ...]:
        return tuple(int(t) + 1 for t in self.has.nonzero()[0])


def _np():
    import numpy
    return numpy


def _float_array(value, where: str):
    """A TOML number or nested list as a float64 array (numbers read exactly, then rounded
    once to the nearest double)."""
    np = _np()

    def walk(v, at):
        if isinstance(v, list):
            return [walk(e, f"{at}[{i + 1}]") for i, e in enumerate(v)]
        return float(parse_number(v, at))
    out = walk(value, where)
    try:
        return np.array(out, dtype=float)
    except ValueError:
        raise BadShape("rows of different lengths", where=where) from None


def _weights_path(table: dict, flag: str | None, base: Path | None, where: str):
    if flag is not None:
        return Path(flag), "--weights"
    value = table.get("weights")
    if value is None:
        return None, ""
    if not isinstance(value, str) or not value:
        raise InputError("expected a file name such as \"min-char-rnn.npz\"",
                         where=f"{where}: weights")
    path = Path(value)
    return (path if path.is_absolute() or base is None else base / path), f"{where}: weights"


def _convention(table, flag, arrays, head, where) -> tuple[Convention, dict]:
    """The convention (flag, table, else recognised from the file's names) and the file's
    arrays renamed to it (a state_dict's layer prefix kept as the convention's names)."""
    name = flag or table.get("convention")
    if name is not None and not isinstance(name, str):
        raise InputError("expected a convention's name", where=f"{where}: convention")
    name = name or recognise(arrays) or "canonical"
    head = head or table.get("head")
    conv = get(name, "--convention" if flag else f"{where}: convention")
    if conv.name == "pytorch":
        data = {k: v for k, v in arrays.items() if k in ("x", "y", "h0", "c0")}
        layer = {k: v for k, v in arrays.items() if k not in data}
        chosen = head is not None
        prefix, head = pytorch_layout(layer, head, where)
        conv = get("pytorch", head=head, prefix=prefix)
        if chosen:      # --head named the one to use: the file's other heads are left aside
            others = {k.rpartition(".")[0] for k in layer if k.endswith((".weight", ".bias"))
                      and not k.startswith((prefix + "weight_", prefix + "bias_"))} - {head}
            arrays = {k: v for k, v in arrays.items() if k.rpartition(".")[0] not in others}
    elif head is not None:
        raise InputError("--head picks the nn.Linear head of a PyTorch state_dict; this "
                         f"problem's convention is {conv.name}", where="--head")
    return conv, arrays


def _cell(table, conv, arrays, where) -> str:
    cell = table.get("cell")
    if cell is not None:
        if not isinstance(cell, str) or cell.lower() not in CELLS:
            raise unknown("cell", str(cell), CELLS, where=f"{where}: cell")
        return cell.lower()
    if conv.name == "pytorch":      # G H rows of weight_hh for G gates
        w = next((v for k, v in arrays.items() if k.endswith("weight_hh_l0")), None)
        if w is not None and w.ndim == 2 and w.shape[1]:
            return {1: "rnn", 4: "lstm", 3: "gru"}.get(w.shape[0] // w.shape[1], "rnn")
    if conv.name in ("cs231n",):
        w = arrays.get("Wh")
        if w is not None and w.ndim == 2 and w.shape[1] == 4 * w.shape[0]:
            return "lstm"
    if conv.name == "coursera" and "Wf" in arrays or conv.name == "d2l" and "W_xi" in arrays:
        return "lstm"
    return "rnn"


def _canonical_names(arrays: dict, cell: str, layout: str, where: str) -> dict:
    """A file in the spec's names (any alias): each array under its canonical name, weights
    transposed where the problem's layout is row."""
    out = {}
    for k, v in arrays.items():
        p = param_name(k)
        if p is None or p not in CELL_PARAMS[cell]:
            raise unknown("array", k, (*CELL_PARAMS[cell], "x", "y"), where=where)
        out[p] = v.T if layout == "row" and p.startswith("w_") and v.ndim == 2 else v
    return out


def build_arrays(table: dict, name: str, where: str, *, weights: str | None = None,
                 convention: str | None = None, head: str | None = None,
                 batch: str | None = None, base: Path | None = None) -> ArrayProblem:
    """An ArrayProblem from a problem table (already overlaid with the flags) and the
    weights file it or --weights names. Values in the table override the file's."""
    from .problem import ACTIVATIONS, LOSSES, OUTPUTS, REDUCTIONS, LAYOUTS, _choice, \
        _target_steps
    from .problem import ARRAY_KEYS, KEYS
    from .weights import read_arrays
    TABLE_KEYS = KEYS + ARRAY_KEYS
    for key in table:
        if key not in TABLE_KEYS:
            raise unknown("key", key, TABLE_KEYS, where=where)
    path, pwhere = _weights_path(table, weights, base, where)
    arrays = read_arrays(path, str(path)) if path is not None else {}
    fwhere = str(path) if path is not None else where
    conv, arrays = _convention(table, convention, arrays, head, fwhere)
    data_arrays = {k: arrays.pop(k) for k in ("x", "y") if k in arrays}
    cell = _cell(table, conv, arrays, where)
    defaults = conv.defaults
    if cell != "rnn" and "activation" in table:
        raise InputError(f"the {cell} cell has its own activations (sigmoid gates, tanh); "
                         "activation applies to cell = \"rnn\"", where=f"{where}: activation")
    pick = lambda key, options, default: _choice(table, key, options,
                                                 defaults.get(key, default), where)
    activation = pick("activation", ACTIVATIONS, "identity")
    output = pick("output", OUTPUTS, "identity")
    loss = pick("loss", LOSSES, "squared")
    reduction = _choice(table, "reduction", REDUCTIONS, conv.reduction, where)
    layout = _choice(table, "layout", LAYOUTS, conv.layout, where)
    if loss == "cross_entropy" and output == "identity":
        raise InputError("cross_entropy needs output = \"sigmoid\" or \"softmax\"",
                         where=f"{where}: loss")
    if batch is not None and batch.lower() not in BATCHES:
        raise unknown("batch reduction", batch, BATCHES, where="--batch-reduction")
    b = batch.lower() if batch else table.get("batch")
    if b is not None and (not isinstance(b, str) or b.lower() not in BATCHES):
        raise unknown("batch", str(b), BATCHES, where=f"{where}: batch")

    # parameters: the file's (in its convention), then the table's, which win
    if conv.name == "canonical":
        params = _canonical_names(arrays, cell, layout, fwhere)
    else:
        params = to_canonical(conv, cell, arrays, fwhere)
    raw = table.get("params", {})
    if not isinstance(raw, dict):
        raise InputError("expected a table of parameters", where=f"{where}: params")
    own = conv.names(cell) if conv.name != "canonical" else {}
    for key, value in raw.items():
        if key in own:      # the convention's own name (CS231n's Wx, D x H), as it stores it
            params.update(to_canonical(conv, cell, {key: _float_array(
                value, f"{where}: params.{key}")}, f"{where}: params"))
            continue
        p = param_name(key)
        if p is None or p not in CELL_PARAMS[cell]:
            raise unknown("parameter", key, CELL_PARAMS[cell], where=f"{where}: params")
        v = _float_array(value, f"{where}: params.{key}")
        flat = v.ndim == 1 and p.startswith("w_")
        if p.startswith("w_") and v.ndim == 0:
            v = v.reshape(1, 1)            # a number: a 1 x 1 matrix
        elif p == "w_y" and flat:
            v = v[None, :]                 # [a, b]: the one row of a K = 1 output
        elif flat:
            v = v[:, None]                 # [a, b]: a column (D = 1, or H = 1)
        elif layout == "row" and p.startswith("w_") and v.ndim == 2:
            v = v.T
        params[p] = v

    # data: the table's, else the file's x and y
    data = table.get("data", {})
    if not isinstance(data, dict):
        raise InputError("expected a table [data] with x and y", where=f"{where}: data")
    for key in data:
        if key not in ("x", "y"):
            raise unknown("key", key, ("x", "y"), where=f"{where}: data")
    x = _data(data, data_arrays, "x", where, fwhere)
    if x is None:
        raise InputError("missing the inputs: expected data.x in the problem or an array x "
                         "in the weights file", where=where)
    batched = b is not None or x.ndim == 3 or (x.ndim == 2 and x.dtype.kind in "iub"
                                                and "x" not in data)
    bat = (b or conv.batch).lower()
    from dataclasses import replace
    return replace(_assemble(name, where, fwhere, table, conv, cell, activation, output, loss,
                             reduction, bat, layout, params, x,
                             _data(data, data_arrays, "y", where, fwhere), batched,
                             _target_steps, "y" in data),
                   weights=str(path) if path is not None else None)


def _data(data: dict, arrays: dict, key: str, where: str, fwhere: str):
    np = _np()
    if key in data:
        v = data[key]
        if not isinstance(v, list):
            raise InputError("expected a list, one entry per step (or per sequence)",
                             where=f"{where}: data.{key}")
        return _float_array(v, f"{where}: data.{key}")
    if key in arrays:
        return np.asarray(arrays[key])
    return None


def _assemble(name, where, fwhere, table, conv, cell, activation, output, loss, reduction,
              bat, layout, params, x, y, batched, target_steps, y_from_table):
    np = _np()
    ps = CELL_PARAMS[cell]
    weights = [p for p in ps if p.startswith("w_")]
    missing = [p for p in weights if p not in params]
    if missing:
        raise InputError(f"missing {', '.join(missing)} (in {conv.name}'s names: "
                         f"{', '.join(conv.name_of(p, cell) for p in missing)}); the file "
                         f"and the problem give {', '.join(sorted(params)) or 'none'}",
                         where=fwhere)
    hw = weights[[i for i, p in enumerate(weights) if p.startswith("w_h")][0]]
    H = params[hw].shape[0] if params[hw].ndim == 2 else 1
    for p in weights:
        v = params[p]
        if v.ndim != 2:
            raise BadShape(f"expected a matrix, found shape {v.shape}", where=f"{fwhere}: "
                           f"{conv.name_of(p, cell)}")
    if H > MAX_H:
        raise TooLarge(f"H = {H}: at most {MAX_H} hidden units", where=fwhere)
    # inputs: N x T x D floats, or N x T class indices (0-based in a file, 1-based in TOML)
    wx = params[next(p for p in weights if p.startswith("w_x"))]
    D = wx.shape[1]
    from_file = x.dtype.kind in "iub"
    if from_file:
        x = _one_hot(x if batched or x.ndim == 2 else x[None], D, 0, f"{fwhere}: x")
    else:
        if not batched:
            x = x[None]
        if x.ndim == 2:
            x = x[:, :, None]               # one number per step: D = 1
        if x.ndim != 3:
            raise BadShape(f"expected N x T x D inputs, found shape {x.shape}",
                           where=f"{where}: data.x")
    N, T, Dx = x.shape
    if N > MAX_N:
        raise TooLarge(f"N = {N} sequences: at most {MAX_N}", where=f"{where}: data.x")
    if T > MAX_T:
        raise TooLarge(f"T = {T} steps: at most {MAX_T:,} in an array problem",
                       where=f"{where}: data.x")
    if Dx > MAX_H:
        raise TooLarge(f"D = {Dx}: at most {MAX_H} inputs", where=f"{where}: data.x")
    for p in weights:
        v, want = params[p], (H, H) if p.startswith("w_h") else (H, Dx) if \
            p.startswith("w_x") else None
        if want is not None and v.shape != want:
            shown = v.shape if layout == "column" else v.shape[::-1]
            need = want if layout == "column" else want[::-1]
            raise BadShape(f"expected {need[0]} x {need[1]} (H = {H}, D = {Dx} from x), found "
                           f"{shown[0]} x {shown[1]}", where=f"{fwhere}: "
                           f"{conv.name_of(p, cell)}")
    K = params["w_y"].shape[0]
    if params["w_y"].shape[1] != H:
        raise BadShape(f"expected K x H with H = {H}, found {params['w_y'].shape}",
                       where=f"{fwhere}: {conv.name_of('w_y', cell)}")
    if K > MAX_H:
        raise TooLarge(f"K = {K}: at most {MAX_H} outputs", where=fwhere)
    G = {"rnn": 1, "gru": 3, "lstm": 4}[cell]
    work = N * T * (G * (H * H + H * Dx) + K * H)
    if work > MAX_WORK:
        raise TooLarge(f"N T (G (H^2 + H D) + K H) = {work:,} multiply-adds per pass: at "
                       f"most {MAX_WORK:,}", where=where)
    floats = N * T * ({"rnn": 5, "gru": 14, "lstm": 16}[cell] * H + 2 * Dx + 5 * K)
    if floats > MAX_FLOATS:
        raise TooLarge(f"N T (M H + 2 D + 5 K) = {floats:,} numbers kept for the backward pass "
                       f"(M = 5, 14, 16 for the RNN, GRU, LSTM): at most {MAX_FLOATS:,} "
                       "(480 MB); use fewer sequences or steps", where=where)
    # vectors: biases of H (or K), states N x H (one shared state, or one per sequence)
    shared = set()
    for p in ps:
        if p.startswith("w_"):
            continue
        n = K if p == "b_y" else H
        v = params.get(p)
        if v is None or v.ndim == 0:
            v = np.full(n, 0.0 if v is None else float(v))
        if v.ndim == 2 and v.shape[1] == 1 and p not in ("h_0", "c_0"):
            v = v[:, 0]
        if p in ("h_0", "c_0"):
            if v.ndim == 1:
                shared.add(p)
                v = np.broadcast_to(v, (N, v.shape[0])).copy() if v.shape[0] == n else v
            if v.ndim != 2 or v.shape != (N, n):
                raise BadShape(f"expected {n} entries, or N x H = {N} x {n} (one state per "
                               f"sequence), found shape {v.shape}",
                               where=f"{fwhere}: {conv.name_of(p, cell)}")
        elif v.shape != (n,):
            raise BadShape(f"expected {n} entries, found shape {v.shape}",
                           where=f"{fwhere}: {conv.name_of(p, cell)}")
        params[p] = v
    steps = target_steps(table.get("outputs", "all"), T, where)
    has = np.zeros(T, dtype=bool)
    has[[s - 1 for s in steps]] = True
    Y = _targets(y, N, T, K, steps, output, loss, batched, not y_from_table, where, fwhere)
    return ArrayProblem(name=name, cell=cell, activation=activation, output=output, loss=loss,
                        reduction=reduction, batch=bat, convention=conv, params=params,
                        x=np.ascontiguousarray(x, dtype=float), y=Y, has=has,
                        batched=batched, shared=frozenset(shared),
                        title=str(table.get("title", ""))[:200], source=where, layout=layout,
                        answers=table.get("answers", {}))


def _one_hot(idx, D: int, first: int, where: str):
    """Class indices (first = 0 in a file, 1 in TOML) as one-hot vectors of D entries."""
    np = _np()
    idx = np.asarray(idx).astype(np.int64) - first
    if idx.min() < 0 or idx.max() >= D:
        raise BadShape(f"class indices from {first} to {D - 1 + first} expected (D = {D}), "
                       f"found {idx.min() + first} to {idx.max() + first}", where=where)
    out = np.zeros((*idx.shape, D))
    np.put_along_axis(out, idx[..., None], 1.0, axis=-1)
    return out


def _targets(y, N, T, K, steps, output, loss, batched, from_file, where, fwhere):
    """Targets as N x T x K, zero rows at the steps without one."""
    np = _np()
    n = len(steps)
    at = f"{fwhere}: y" if from_file else f"{where}: data.y"
    if y is None:
        raise InputError("missing the targets: expected data.y or an array y in the file",
                         where=where)
    classes = output == "softmax" and loss == "cross_entropy"
    if classes and (y.ndim == (2 if batched else 1)):
        first = 0 if from_file else 1
        if not from_file and np.any(y != np.round(y)):
            raise BadShape("expected class indices 1..K", where=at)
        y = _one_hot(y if batched else y[None], K, first, at)
    else:
        if not batched:
            y = y[None]
        if y.ndim == 2 and K == 1:
            y = y[:, :, None]
    if y.ndim != 3 or y.shape != (N, n, K):
        raise BadShape(f"expected {'N x ' if batched else ''}{n} targets of K = {K} "
                       f"({'class indices, or ' if classes else ''}vectors), found shape "
                       f"{y.shape if batched else y.shape[1:]}", where=at)
    if loss == "cross_entropy" and (y.min() < 0 or y.max() > 1):
        raise InputError("cross-entropy needs targets between 0 and 1", where=at)
    out = np.zeros((N, T, K))
    out[:, [s - 1 for s in steps]] = y
    return out


def is_array_problem(table: dict, flags: dict) -> bool:
    """Whether a problem is read as arrays: a weights file, a convention or a batch."""
    return any(k in table for k in KEYS) or any(v is not None for v in flags.values())


def to_problem(ap: ArrayProblem, why: str):
    """The same problem as an ordinary Problem (step-by-step derivations in exact or 50-digit
    arithmetic), each float64 value read as the decimal of its shortest repr: for the
    commands that work on one small sequence (explain, graph). Any other problem: itself."""
    from .problem import MAX_SIZE, build
    if not isinstance(ap, ArrayProblem):
        return ap
    if ap.N > 1 or ap.batched:
        raise InputError(f"{why} works on one sequence; this problem holds a minibatch of "
                         f"{ap.N} (use forward or grad)", where=ap.source)
    if max(ap.H, ap.D, ap.K) > MAX_SIZE:
        raise TooLarge(f"{why} works on H, D and K up to {MAX_SIZE}; this problem has H = "
                       f"{ap.H}, D = {ap.D}, K = {ap.K} (forward and grad take it)",
                       where=ap.source)
    text = lambda a: [text(v) for v in a] if getattr(a, "ndim", 0) else repr(float(a))
    params = {k: text(v[0] if k in ("h_0", "c_0") else v) for k, v in ap.params.items()}
    ys = [text(ap.y[0, t]) for t in range(ap.T) if ap.has[t]]
    table = {"cell": ap.cell, "output": ap.output, "loss": ap.loss, "reduction": ap.reduction,
             "outputs": list(ap.targets), "params": params,
             "data": {"x": [text(v) for v in ap.x[0]], "y": ys}}
    if ap.cell == "rnn":
        table["activation"] = ap.activation
    return build(table, ap.name, ap.source)


def wanted(ap: ArrayProblem, names) -> set | None:
    """The convention's gradient names that --wrt asks for: 'all' (None: every one), a
    gradient name (dWhh), an array name (Whh) or a canonical parameter (w_h, W_hh)."""
    names = [names] if isinstance(names, str) else list(names or ["all"])
    table = ap.convention.table(ap.cell)
    out = set()
    for name in names:
        key = name.strip()
        if key.lower() == "all":
            return None
        key = key.removeprefix("dL/d").removeprefix("∂L/∂")
        hits = [a.grad for a in table if key in (a.grad, a.name)]
        if not hits:
            p = param_name(key)
            hits = [a.grad for a in table if p in a.parts]
        if not hits:
            valid = [a.grad for a in table] + [a.name for a in table] + ["all"]
            raise unknown("gradient", name, valid, where="--wrt")
        out.update(hits)
    return out


def from_problem(p) -> ArrayProblem:
    """An ordinary Problem's numbers as float64 arrays (itself if it is an ArrayProblem): a
    gated problem beyond exact arithmetic's work limit runs on the float64 path."""
    if isinstance(p, ArrayProblem):
        return p
    np = _np()
    arr = lambda v: np.array([[float(e) for e in r] for r in v.rows]) if hasattr(v, "rows") \
        else np.array([[float(v)]])
    params = {}
    for k, v in p.params.items():
        a = arr(v)
        params[k] = a if k.startswith("w_") else a[:, 0]
    for k in ("h_0", "c_0"):
        if k in params:
            params[k] = params[k][None, :]
    x = np.stack([arr(v)[:, 0] for v in p.x])[None]
    K = params["w_y"].shape[0]
    has = np.zeros(p.T, dtype=bool)
    y = np.zeros((1, p.T, K))
    for t, v in p.y.items():
        has[t - 1] = True
        y[0, t - 1] = arr(v)[:, 0]
    return ArrayProblem(name=p.name, cell=p.cell, activation=p.activation, output=p.output,
                        loss=p.loss, reduction=p.reduction, batch="mean",
                        convention=get("canonical"), params=params, x=x, y=y, has=has,
                        title=p.title, source=p.source, layout=p.layout)


def runs_in_float64(p, of: str = "L") -> bool:
    """Whether forward and grad (of L) evaluate p on the float64 path of array problems: an
    ArrayProblem, or a gated problem beyond exact arithmetic's work limit."""
    if isinstance(p, ArrayProblem):
        return True
    from .shapes import MAX_WORK, gated_work
    return p.cell != "rnn" and of.strip() in ("L", "E", "J") and gated_work(p) > MAX_WORK
