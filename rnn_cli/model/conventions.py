"""Courses' conventions: how each names, shapes and reduces the arrays of the spec's model.

A convention lists its arrays. Each array is made of canonical parameters (names.py): one
(karpathy's Whh is w_h), or several stacked (PyTorch's weight_ih_l0 of an LSTM is
[w_xi; w_xf; w_xg; w_xo]), or side by side (the deep-learning specialisation's Wf is
[w_hf, w_xf], acting on [a_prev; x_t]). Row-layout courses store the transpose (CS231n's Wx is
D x H: x W_x). A canonical parameter that appears in several arrays is the sum of its parts
(PyTorch's bias_ih_l0 and bias_hh_l0: b_h = b_ih + b_hh), so each of those arrays has the
same gradient, dL/db_h.

Canonical arrays (numpy, float64) are: every weight 2-D in the column layout (w_h H x H,
w_x H x D, w_y K x H), every bias 1-D, and h_0 / c_0 1-D (one state) or N x H (one row per
sequence of a minibatch). `to_canonical` and `from_canonical` translate between the two;
`gradients` names the gradient arrays. numpy is imported by the functions that use it.
"""

from dataclasses import dataclass, field

from .errors import InputError, unknown

NAMES = ("canonical", "karpathy", "cs231n", "coursera", "d2l", "pytorch")


@dataclass(frozen=True)
class Array:
    """One array of a convention, made of canonical parameters."""
    name: str                       # the convention's name for it (Whh, weight_ih_l0, ...)
    grad: str                       # its gradient's name (dWhh, dWx, weight_ih_l0, ...)
    parts: tuple[str, ...]          # canonical parameters, in the order they are stacked
    stack: str = "rows"             # rows: parts one above another; cols: side by side
    transposed: bool = False        # stored as the transpose of the stacked column-layout array
    column: bool = False            # a vector stored as an n x 1 matrix (karpathy's bh)
    states: bool = False            # h_0 or c_0: one state, or one per sequence


@dataclass(frozen=True)
class Convention:
    """A course's names, layout and default reductions."""
    name: str
    title: str
    layout: str                     # how its weights act: column (W h) or row (h W)
    arrays: dict                    # cell -> tuple[Array, ...]
    reduction: str = "sum"          # over the steps of a sequence
    batch: str = "mean"             # over the sequences of a minibatch
    defaults: dict = field(default_factory=dict)   # problem settings it implies
    dh_next: str = "dh_next"        # the course's name for dL/dh_t carried back from t + 1
    head: str = ""                  # pytorch: the nn.Linear head's prefix ('fc')

    def cells(self) -> tuple[str, ...]:
        return tuple(self.arrays)

    def table(self, cell: str) -> tuple[Array, ...]:
        if cell not in self.arrays:
            raise InputError(f"the {self.name} convention has no {cell} cell; it has "
                             f"{', '.join(self.arrays)}", where="convention")
        return self.arrays[cell]

    def names(self, cell: str) -> dict[str, Array]:
        """Array name -> Array."""
        return {a.name: a for a in self.table(cell)}

    def gradients(self, cell: str) -> dict[str, Array]:
        """Gradient name -> Array (dWhh -> the Array of Whh)."""
        return {a.grad: a for a in self.table(cell)}

    def name_of(self, param: str, cell: str) -> str:
        """The convention's name for the array holding a canonical parameter ('w_h' -> 'Whh');
        where it is one part of several, 'weight_hh_l0[w_hf]'."""
        for a in self.table(cell):
            if param in a.parts:
                return a.name if len(a.parts) == 1 else f"{a.name}[{param}]"
        return param

    def grad_of(self, param: str, cell: str) -> str:
        """The convention's gradient name for dL/d(param) ('w_h' -> 'dWhh')."""
        for a in self.table(cell):
            if param in a.parts:
                return a.grad if len(a.parts) == 1 else f"{a.grad}[{param}]"
        return f"dL/d{param}"


def _a(name, grad, *parts, **kw) -> Array:
    return Array(name, grad, tuple(parts), **kw)


_SOFTMAX = {"activation": "tanh", "output": "softmax", "loss": "cross_entropy"}

def _canonical() -> Convention:
    from .names import CELL_PARAMS
    return Convention(
        "canonical", "the spec's names: w_x, w_h, w_y, b_h, b_y, h_0 (column layout; any "
        "alias of names.py is read too); a gradient is named by its parameter, as grad's JSON "
        "names dL/dw_h \"w_h\"", "column",
        {cell: tuple(_a(p, p, p, states=p in ("h_0", "c_0")) for p in ps)
         for cell, ps in CELL_PARAMS.items()},
        reduction="sum", batch="mean")


CANONICAL = _canonical()

KARPATHY = Convention(
    "karpathy", "min-char-rnn.py (Karpathy): Wxh, Whh, Why, bh, by, hprev", "column",
    {"rnn": (_a("Wxh", "dWxh", "w_x"), _a("Whh", "dWhh", "w_h"), _a("Why", "dWhy", "w_y"),
             _a("bh", "dbh", "b_h", column=True), _a("by", "dby", "b_y", column=True),
             _a("hprev", "dhprev", "h_0", column=True, states=True))},
    reduction="sum", batch="sum", defaults=_SOFTMAX, dh_next="dhnext")

# CS231n assignment 3 (rnn_layers.py, captioning): x W_x + prev_h W_h + b; the LSTM's a =
# x Wx + prev_h Wh + b holds the gates in the order i, f, o, g.
CS231N = Convention(
    "cs231n", "CS231n rnn_layers.py and captioning: Wx, Wh, b, h0, W_vocab, b_vocab", "row",
    {"rnn": (_a("Wx", "dWx", "w_x", transposed=True), _a("Wh", "dWh", "w_h", transposed=True),
             _a("b", "db", "b_h"), _a("h0", "dh0", "h_0", states=True),
             _a("W_vocab", "dW_vocab", "w_y", transposed=True), _a("b_vocab", "db_vocab", "b_y")),
     "lstm": (_a("Wx", "dWx", "w_xi", "w_xf", "w_xo", "w_xg", transposed=True),
              _a("Wh", "dWh", "w_hi", "w_hf", "w_ho", "w_hg", transposed=True),
              _a("b", "db", "b_i", "b_f", "b_o", "b_g"), _a("h0", "dh0", "h_0", states=True),
              _a("c0", "dc0", "c_0", states=True),
              _a("W_vocab", "dW_vocab", "w_y", transposed=True),
              _a("b_vocab", "db_vocab", "b_y"))},
    reduction="sum", batch="mean", defaults=_SOFTMAX, dh_next="dprev_h")

# The deep-learning specialisation (Coursera), course 5 week 1: a = tanh(Waa a_prev + Wax x +
# ba), columns are examples; its LSTM's Wf acts on the concatenation [a_prev; x_t].
COURSERA = Convention(
    "coursera", "Deep Learning Specialization, course 5 (rnn_forward/rnn_backward, LSTM)",
    "column",
    {"rnn": (_a("Wax", "dWax", "w_x"), _a("Waa", "dWaa", "w_h"), _a("Wya", "dWya", "w_y"),
             _a("ba", "dba", "b_h", column=True), _a("by", "dby", "b_y", column=True),
             _a("a0", "da0", "h_0", transposed=True, column=True, states=True)),
     "lstm": (_a("Wf", "dWf", "w_hf", "w_xf", stack="cols"), _a("bf", "dbf", "b_f", column=True),
              _a("Wi", "dWi", "w_hi", "w_xi", stack="cols"), _a("bi", "dbi", "b_i", column=True),
              _a("Wc", "dWc", "w_hg", "w_xg", stack="cols"), _a("bc", "dbc", "b_g", column=True),
              _a("Wo", "dWo", "w_ho", "w_xo", stack="cols"), _a("bo", "dbo", "b_o", column=True),
              _a("Wy", "dWy", "w_y"), _a("by", "dby", "b_y", column=True),
              _a("a0", "da0", "h_0", transposed=True, column=True, states=True),
              _a("c0", "dc0", "c_0", transposed=True, column=True, states=True))},
    reduction="sum", batch="mean", defaults=_SOFTMAX, dh_next="da_next")

# Dive into Deep Learning, RNN and LSTM from scratch: H = tanh(X W_xh + H W_hh + b_h),
# Y = H W_hq + b_q; its loss is the mean over every token (steps and sequences). Its GRU puts
# the reset gate before W_hh ((R * H) W_hh), which is not PyTorch's GRU, so it is not offered.
D2L = Convention(
    "d2l", "Dive into Deep Learning, RNN and LSTM from scratch: W_xh, W_hh, b_h, W_hq, b_q",
    "row",
    {"rnn": (_a("W_xh", "dW_xh", "w_x", transposed=True), _a("W_hh", "dW_hh", "w_h", transposed=True),
             _a("b_h", "db_h", "b_h"), _a("W_hq", "dW_hq", "w_y", transposed=True),
             _a("b_q", "db_q", "b_y"), _a("H_0", "dH_0", "h_0", states=True)),
     "lstm": tuple(a for g, c in (("i", "i"), ("f", "f"), ("o", "o"), ("g", "c"))
                   for a in (_a(f"W_x{c}", f"dW_x{c}", f"w_x{g}", transposed=True),
                             _a(f"W_h{c}", f"dW_h{c}", f"w_h{g}", transposed=True),
                             _a(f"b_{c}", f"db_{c}", f"b_{g}")))
     + (_a("W_hq", "dW_hq", "w_y", transposed=True), _a("b_q", "db_q", "b_y"),
        _a("H_0", "dH_0", "h_0", states=True), _a("C_0", "dC_0", "c_0", states=True))},
    reduction="mean", batch="mean", defaults=_SOFTMAX, dh_next="dH")


def _torch(head: str = "fc", prefix: str = "") -> Convention:
    """nn.RNN / nn.LSTM / nn.GRU (one layer, its keys after `prefix`, such as 'rnn.') and an
    nn.Linear head named `head`. Gradients are named as the parameters are (a state_dict of
    .grad tensors has the same keys); h0 and c0 are the initial states given to forward."""
    def layer(gates, bias_ih, bias_hh):
        return (_a(f"{prefix}weight_ih_l0", f"{prefix}weight_ih_l0", *(f"w_x{g}" for g in gates)),
                _a(f"{prefix}weight_hh_l0", f"{prefix}weight_hh_l0", *(f"w_h{g}" for g in gates)),
                _a(f"{prefix}bias_ih_l0", f"{prefix}bias_ih_l0", *bias_ih),
                _a(f"{prefix}bias_hh_l0", f"{prefix}bias_hh_l0", *bias_hh))
    out = (_a(f"{head}.weight", f"{head}.weight", "w_y"),
           _a(f"{head}.bias", f"{head}.bias", "b_y"),
           _a("h0", "h0", "h_0", states=True))
    lstm_b = ("b_i", "b_f", "b_g", "b_o")
    return Convention(
        "pytorch", "PyTorch state_dict: nn.RNN, nn.LSTM or nn.GRU (one layer) and an "
        "nn.Linear head", "column",
        {"rnn": layer(("",), ("b_h",), ("b_h",)) + out,
         "lstm": layer("ifgo", lstm_b, lstm_b) + out + (_a("c0", "c0", "c_0", states=True),),
         "gru": layer("rzn", ("b_r", "b_z", "b_xn"), ("b_r", "b_z", "b_hn")) + out},
        reduction="mean", batch="mean", defaults=_SOFTMAX, dh_next="h.grad", head=head)


PYTORCH = _torch()
CONVENTIONS = {c.name: c for c in (CANONICAL, KARPATHY, CS231N, COURSERA, D2L, PYTORCH)}


def get(name: str, where: str = "--convention", head: str | None = None,
        prefix: str = "") -> Convention:
    """The convention called `name` (case-insensitive); pytorch's with its layer's key prefix
    ('rnn.') and its head's ('fc')."""
    key = name.lower() if isinstance(name, str) else name
    if key not in CONVENTIONS:
        raise unknown("convention", str(name), CONVENTIONS, where=where)
    if key == "pytorch" and (head or prefix):
        return _torch(head or "fc", prefix)
    return CONVENTIONS[key]


# -- recognising a file's convention ------------------------------------------------------

_MARKS = (("karpathy", {"wxh", "whh", "why"}), ("cs231n", {"wx", "wh", "w_vocab"}),
          ("cs231n", {"wx", "wh"}), ("coursera", {"wax", "waa"}),
          ("coursera", {"wf", "wi", "wc", "wo"}), ("d2l", {"w_hq"}))


def recognise(keys) -> str | None:
    """The convention a file's array names belong to, or None (canonical names, or too few
    to tell). PyTorch's state_dict is known by weight_ih_l0; 'W_xh' alone is ambiguous (a
    spec alias of w_x, and D2L's D x H matrix), so D2L needs its W_hq."""
    keys = list(keys)
    if any(k.rpartition(".")[2] == "weight_ih_l0" for k in keys):
        return "pytorch"
    low = {k.lower() for k in keys}
    for name, mark in _MARKS:
        if mark <= low:
            return name
    return None


def pytorch_layout(keys, head: str | None, where: str) -> tuple[str, str]:
    """(the recurrent layer's key prefix, the head's prefix) of a state_dict (`keys`: its
    names, or the dict of its arrays): 'rnn.' and 'fc' for a module holding self.rnn and
    self.fc. The head is the --head given, else the one nn.Linear whose in-features are H."""
    layers = sorted({k[:-len("weight_ih_l0")] for k in keys if k.endswith("weight_ih_l0")})
    if len(layers) != 1:
        raise InputError(f"expected one recurrent layer (one weight_ih_l0), found "
                         f"{len(layers)}", where=where)
    if any(k.endswith(("weight_ih_l1", "_reverse")) for k in keys):
        raise InputError("a stacked or bidirectional layer: only a single layer (num_layers=1, "
                         "bidirectional=False) is read", where=where)
    prefix = layers[0]
    heads = sorted({k[:-len(".weight")] for k in keys if k.endswith(".weight")
                    and not k.startswith(prefix + "weight_")})
    hh = getattr(keys, "get", lambda k: None)(prefix + "weight_hh_l0")
    if head is None and hh is not None and len(heads) > 1:   # the head reads h_t: H inputs
        fits = [h for h in heads if getattr(keys[f"{h}.weight"], "ndim", 0) == 2
                and keys[f"{h}.weight"].shape[1] == hh.shape[1]]
        heads = fits if len(fits) == 1 else heads
    if head is not None:
        if head not in heads:
            raise unknown("head", head, heads or ["(none in the file)"], where="--head")
        return prefix, head
    if len(heads) > 1:
        raise InputError(f"several nn.Linear heads ({', '.join(heads)}): choose one with "
                         "--head NAME", where=where)
    return prefix, heads[0] if heads else "fc"


# -- translating arrays -------------------------------------------------------------------

def _np():
    import numpy
    return numpy


def _split(arr, a: Array, where: str) -> dict:
    """The canonical parts of one array as the convention stores it."""
    np = _np()
    name = f"{where}: {a.name}"
    if a.column and arr.ndim == 2 and (arr.shape[1] == 1 or a.transposed):
        arr = arr.T if a.transposed else arr[:, 0]
    elif a.transposed and arr.ndim == 2:
        arr = arr.T
    if a.states and arr.ndim == 2 and arr.shape[0] == 1:
        arr = arr[0]
    is_vector = not a.parts[0].startswith("w_")
    if is_vector and not (arr.ndim == 1 or a.states and arr.ndim == 2):
        raise InputError(f"expected a vector, found an array of shape {arr.shape}", where=name)
    if not is_vector and arr.ndim != 2:
        raise InputError(f"expected a matrix, found an array of shape {arr.shape}", where=name)
    n = len(a.parts)
    if n == 1:
        return {a.parts[0]: arr}
    if a.stack == "cols":                  # [w_h, w_x]: the first H columns act on h_{t-1}
        H = arr.shape[0]
        if arr.shape[1] <= H:
            raise InputError(f"expected H x (H + D) = {H} x ({H} + D), found {arr.shape[0]} x "
                             f"{arr.shape[1]}", where=name)
        return {a.parts[0]: arr[:, :H], a.parts[1]: arr[:, H:]}
    if arr.shape[0] % n:
        raise InputError(f"expected {n} stacked blocks ({', '.join(a.parts)}): "
                         f"{arr.shape[0]} rows is not a multiple of {n}", where=name)
    return dict(zip(a.parts, np.split(arr, n, axis=0)))


def _canonical(known: dict, arrays: dict, kind: str, where: str, again) -> dict:
    """The canonical parts (float64) of arrays named as `known` names them (an unknown name,
    a `kind`, is an error); `again(first, part)` is what a parameter found in a second array
    becomes."""
    np = _np()
    out: dict = {}
    for key, arr in arrays.items():
        if key not in known:
            raise unknown(kind, key, known, where=where)
        for p, part in _split(np.asarray(arr, dtype=float), known[key], where).items():
            out[p] = again(out[p], part) if p in out else part
    return out


def to_canonical(conv: Convention, cell: str, arrays: dict, where: str = "") -> dict:
    """The canonical parameters held in a convention's arrays (float64). A parameter found in
    several arrays is their sum (PyTorch's two biases). Unknown names are an error."""
    return _canonical(conv.names(cell), arrays, "array", where, lambda first, part: first + part)


def from_canonical(conv: Convention, cell: str, grads: dict, only=None) -> dict:
    """The convention's gradient arrays, named and shaped as it writes them, from canonical
    gradients (dL/dw_h as an H x H array, ...). `only`: the gradient names wanted (those
    whose parts are all present, by default)."""
    np = _np()
    out = {}
    for a in conv.table(cell):
        if only is not None and a.grad not in only:
            continue
        if not all(p in grads for p in a.parts):
            continue
        parts = [np.asarray(grads[p], dtype=float) for p in a.parts]
        if len(parts) == 1:
            arr = parts[0]
        elif a.stack == "cols":
            arr = np.hstack(parts)
        else:
            arr = np.concatenate(parts, axis=0)
        if a.column and arr.ndim == 1:
            arr = arr.reshape(-1, 1)
        elif a.transposed and arr.ndim == 2:
            arr = arr.T
        out[a.grad] = arr
    return out


def gradient_parts(conv: Convention, cell: str, name: str) -> Array | None:
    """The Array whose gradient is called `name` (dWhh, weight_hh_l0), or None."""
    return conv.gradients(cell).get(name)


def grads_to_canonical(conv: Convention, cell: str, arrays: dict, where: str = "") -> dict:
    """Canonical gradients from gradient arrays named as the convention names them (dWhh,
    PyTorch's weight_hh_l0, ...): the inverse of from_canonical. Unlike to_canonical, a
    parameter held by two arrays (PyTorch's two biases) is not summed: each array holds the
    whole dL/db_h, and the first one read gives it. Unknown names are an error."""
    return _canonical(conv.gradients(cell), arrays, "gradient", where, lambda first, part: first)
