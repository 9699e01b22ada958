"""The problem of spec section 1: its options, parameters, inputs and targets, validated."""

import unicodedata
from dataclasses import dataclass, field, replace
from fractions import Fraction

from .errors import BadShape, InputError, unknown
from .matrix import Mat
from .names import CELL_PARAMS, CELL_STEPS, CELLS, PARAMS, Name, Quantity, param_name, \
    parse_name
from .numbers import parse_number
from .shapes import fit
from .safe import HIDDEN

ACTIVATIONS = ("identity", "tanh", "sigmoid", "relu")
OUTPUTS = ("identity", "sigmoid", "softmax")
LOSSES = ("squared", "half_squared", "cross_entropy")
REDUCTIONS = ("sum", "mean")
KEYS = ("title", "cell", "activation", "output", "loss", "reduction", "outputs", "layout", "params",
        "data", "answers", "tolerance", "vary", "student",   # vary, student: teach/variants.py
        "symbols")                                           # symbols: model/symbols.py
ARRAY_KEYS = ("weights", "convention", "batch", "head")   # an array problem's (arrays.py)
LAYOUTS = ("column", "row")
MAX_T = 10_000         # grad --wrt all at T = 10,000: 4-6 s, under 200 MB
MAX_GATED_T = 2_000    # an LSTM's grad --wrt all at T = 2,000: 5.5 s, 150 MB
MAX_SIZE = 64          # H, D and K at most
MAX_TITLE = 200


@dataclass(frozen=True)
class Problem:
    """One RNN exercise. Scalar problems hold numbers (exact Fractions); vector problems hold
    matrices (w_h H x H, w_x H x D, w_y K x H) and column vectors."""
    name: str
    params: dict[str, Fraction | Mat]
    x: tuple[Fraction | Mat, ...]
    y: dict[int, Fraction | Mat]         # step -> target, for the steps that have one
    activation: str = "identity"
    output: str = "identity"
    loss: str = "squared"
    reduction: str = "sum"
    title: str = ""
    given: frozenset[str] = frozenset()  # parameters written in the input (the rest are 0)
    answers: dict = field(default_factory=dict, compare=False)
    tolerance: dict = field(default_factory=dict, compare=False)
    source: str = ""                     # the file it came from, for messages
    layout: str = "column"
    cell: str = "rnn"                    # rnn | lstm | gru
    table: dict = field(default_factory=dict, compare=False, repr=False)  # as read, for
    #                                    the Python API's keyword arguments laid over it
    symbols: tuple[str, ...] = ()        # symbolic mode: the quantities that are symbols

    @property
    def param_names(self) -> tuple[str, ...]:
        """The parameters of this problem's cell and output layer, in the spec's order."""
        return CELL_PARAMS[self.cell]

    @property
    def step_bases(self) -> tuple[str, ...]:
        """The per-step quantities: the cell's, then the output layer's."""
        return (*CELL_STEPS[self.cell], "o", "y_hat")

    @property
    def T(self) -> int:
        return len(self.x)

    @property
    def is_vector(self) -> bool:
        return isinstance(self.params["w_y"], Mat)

    def size(self, name: str) -> tuple[int, int]:
        """The shape of a parameter or of the per-step quantity `name` (a, h, o, y_hat)."""
        if not self.is_vector:
            return (1, 1)
        H, K = self.params["h_0"].shape[0], self.params["w_y"].shape[0]
        if name in self.params:
            return self.params[name].shape
        if name in ("o", "y_hat"):
            return (K, 1)
        return (H, 1) if name in CELL_STEPS[self.cell] else (1, 1)

    @property
    def targets(self) -> tuple[int, ...]:
        return tuple(sorted(self.y))

    def quantities(self) -> list[str]:
        """Every quantity name valid for this problem, for messages."""
        names = list(self.param_names)
        for t in range(1, self.T + 1):
            names += [f"{b}_{t}" for b in self.step_bases]
            if t in self.y:
                names.append(f"L_{t}")
        return names + ["L"]

    def check_quantity(self, q: Quantity, where: str = "") -> Quantity:
        """q itself, if this problem has it; else an error listing the names it has."""
        if q.index:
            if not self.is_vector:
                raise InputError(f"{q}: entries [i,j] name parts of vectors and matrices, and "
                                 "this problem is scalar", where=where)
            m, n = self.size(q.base)
            want = 2 if n > 1 or q.base.startswith("w_") else 1
            plain = q.base if q.t is None else f"{q.base}_{q.t}"
            if len(q.index) != want or q.index[0] > m or want == 2 and q.index[1] > n:
                raise InputError(f"{q}: {plain} is " + (f"{m} x {n}" if want == 2 else
                                                        f"a vector of {m}") + "; expected "
                                 + (f"{plain}[i,j] with i <= {m}, j <= {n}" if want == 2
                                    else f"{plain}[i] with i <= {m}"), where=where)
        ok = q.base in self.param_names or q.base == "L" and (q.t is None or q.t in self.y) \
            or q.t is not None and 1 <= q.t <= self.T and q.base in self.step_bases
        if not ok:
            raise unknown("quantity", str(q), self.quantities(), where=where)
        return q

    def quantity(self, text: str, where: str, differentiable: bool = False) -> Quantity:
        """One quantity (not a derivative) of this problem; `differentiable`: one that --of
        can take (a per-step quantity or L, not a parameter)."""
        name = self.resolve(text, where)
        if name.of is not None:
            raise InputError(f"expected a quantity, found the derivative {text!r}; write "
                             f"--of {name.of} --wrt {name.wrt}", where=where)
        q = name.wrt
        if differentiable and q.is_param:
            raise InputError(f"expected L or a per-step quantity (L_t, y_hat_t, o_t, h_t, a_t), "
                             f"found the parameter {q}", where=where)
        if differentiable and self.is_vector and q.base != "L" and not q.index:
            raise InputError(f"{q} is a vector: differentiate one entry, such as {q}[1]",
                             where=where)
        return q

    def resolve(self, text: str, where: str = "") -> Name:
        """Parse a quantity or derivative name and check that this problem has it.

        In the row layout an entry of a weight, w_h[i,j], is the notebook's: entry [j,i] of
        the column layout's matrix, which the derivation uses."""
        name = parse_name(text, where)
        if self.layout == "row":
            flip = lambda q: replace(q, index=q.index[::-1]) if q is not None and \
                q.base.startswith("w_") and len(q.index) == 2 else q
            name = Name(flip(name.of), flip(name.wrt))
        if name.of is not None:
            self.check_quantity(name.of, where)
            if self.is_vector and name.of.base in self.step_bases and \
                    not name.of.index:
                raise InputError(f"{text}: {name.of} is a vector, so this is a Jacobian; name "
                                 f"one row, such as d{name.of}[1]/d{name.wrt}", where=where)
            if name.of.is_param:
                raise InputError(f"{text}: a parameter has no derivative; differentiate L or "
                                 "a per-step quantity", where=where)
        self.check_quantity(name.wrt, where)
        return name


def _choice(table: dict, key: str, options, default: str, where: str) -> str:
    value = table.get(key, default)
    if not isinstance(value, str) or value.lower() not in options:
        raise unknown(key, str(value), options, where=f"{where}: {key}")
    return value.lower()


def _scalar(value, where: str) -> Fraction:
    if isinstance(value, list):
        raise InputError("expected a number here, found a list", where=where)
    return parse_number(value, where)


def _array(value, where: str) -> Fraction | Mat:
    """A number, a vector [1, 2] (a column) or a matrix [[1, 2], [3, 4]] (by rows)."""
    if not isinstance(value, list):
        return parse_number(value, where)
    if not value:
        raise BadShape("expected numbers, found an empty list", where=where)
    if len(value) > MAX_SIZE:
        raise BadShape(f"{len(value)} entries: at most {MAX_SIZE} are allowed", where=where)
    if all(not isinstance(v, list) for v in value):
        return Mat.column(parse_number(v, f"{where}[{i + 1}]") for i, v in enumerate(value))
    if not all(isinstance(v, list) for v in value):
        raise BadShape("expected a vector of numbers or a matrix (a list of rows)", where=where)
    rows = []
    for i, row in enumerate(value):
        if not row:
            raise BadShape(f"row {i + 1} is empty: expected numbers in every row",
                           where=where)
        if len(row) != len(value[0]):
            raise BadShape(f"rows of different lengths: row {i + 1} has {len(row)}, row 1 "
                           f"has {len(value[0])}",
                           where=where)
        if len(row) > MAX_SIZE:
            raise BadShape(f"{len(row)} entries: at most {MAX_SIZE} are allowed", where=where)
        if any(isinstance(v, list) for v in row):
            raise BadShape("expected at most a matrix (lists nested two deep)", where=where)
        rows.append([parse_number(v, f"{where}[{i + 1}][{j + 1}]") for j, v in enumerate(row)])
    return Mat(rows)


def _sequence(value, key: str, where: str) -> list:
    """One entry per step: a number, or a list of numbers (a vector)."""
    if not isinstance(value, list):
        raise InputError(f"expected a list such as [10, 10] (one entry per step), found "
                         f"{type(value).__name__}", where=f"{where}: {key}")
    if len(value) > MAX_T:
        raise InputError(f"{len(value)} steps: at most {MAX_T} are allowed",
                         where=f"{where}: {key}")
    out = []
    for i, v in enumerate(value):
        e = _array(v, f"{where}: {key}[{i + 1}]")
        if isinstance(e, Mat) and not e.is_column:
            raise BadShape("expected a number or a vector for one step, found a matrix",
                           where=f"{where}: {key}[{i + 1}]")
        out.append(e)
    return out


def _target_steps(outputs, T: int, where: str) -> list[int]:
    if outputs == "all":
        return list(range(1, T + 1))
    if outputs == "last":
        return [T]
    if isinstance(outputs, list) and outputs and all(
            isinstance(s, int) and not isinstance(s, bool) for s in outputs):
        bad = [s for s in outputs if not 1 <= s <= T]
        if bad or len(set(outputs)) != len(outputs):
            raise InputError(f"expected distinct steps between 1 and {T}, found {outputs}",
                             where=f"{where}: outputs")
        return sorted(outputs)
    raise InputError(f'expected "all", "last" or a list of steps such as [2], found {outputs!r}',
                     where=f"{where}: outputs")


def _params(table, where: str, cell: str = "rnn") -> tuple[dict[str, Fraction], frozenset[str]]:
    if not isinstance(table, dict):
        raise InputError("expected a table of parameters", where=f"{where}: params")
    if cell != "rnn":
        return _cell_params(table, where, cell)
    values: dict[str, Fraction] = {}
    for key, value in table.items():
        canonical = param_name(key)
        if canonical is not None and canonical not in PARAMS:
            raise InputError(f"{key!r} is a parameter of a gated cell; write cell = "
                             "\"lstm\" or \"gru\" to use one", where=f"{where}: params")
        if canonical is None:
            raise unknown("parameter", key, PARAMS, where=f"{where}: params")
        if canonical in values:
            raise InputError(f"{key!r} repeats {canonical}", where=f"{where}: params")
        values[canonical] = _array(value, f"{where}: params.{key}")
    missing = [p for p in ("w_x", "w_h", "w_y") if p not in values]
    if missing:
        raise InputError(f"missing {', '.join(missing)} (w_x, w_h and w_y are required; b_h, "
                         "b_y and h_0 default to 0)", where=f"{where}: params")
    given = frozenset(values)
    for p in ("b_h", "b_y", "h_0"):
        values.setdefault(p, Fraction(0))
    return values, given


def _cell_params(table: dict, where: str, cell: str):
    """The parameters of an LSTM or GRU cell: every weight required, biases and initial
    states 0 by default."""
    names = CELL_PARAMS[cell]
    values: dict = {}
    for key, value in table.items():
        canonical = param_name(key)
        if canonical is None or canonical not in names:
            if canonical is not None:
                raise InputError(f"{key!r} is not a parameter of the {cell} cell; its "
                                 f"parameters are {', '.join(names)}", where=f"{where}: params")
            raise unknown("parameter", key, names, where=f"{where}: params")
        if canonical in values:
            raise InputError(f"{key!r} repeats {canonical}", where=f"{where}: params")
        values[canonical] = _array(value, f"{where}: params.{key}")
    weights = [p for p in names if p.startswith("w_")]
    missing = [p for p in weights if p not in values]
    if missing:
        states = "h_0 and c_0" if cell == "lstm" else "h_0"
        raise InputError(f"missing {', '.join(missing)} (a {cell} cell needs every weight: "
                         f"{', '.join(weights)}; biases and {states} default to 0)",
                         where=f"{where}: params")
    given = frozenset(values)
    for p in names:
        values.setdefault(p, Fraction(0))
    return values, given


def build(table: dict, name: str, where: str) -> Problem:
    """A Problem from one TOML problem table (already parsed), validated key by key.

    `where` names the file and table for messages ("key.toml: [assignment3]").
    """
    if not isinstance(table, dict):
        raise InputError("expected a table", where=where)
    for key in table:
        if key in ARRAY_KEYS:
            raise InputError(f"{key!r} makes this an array problem, evaluated in float64 by "
                             "forward and grad (docs/weights.md); here a problem of exact "
                             "values is expected", where=f"{where}: {key}")
        if key not in KEYS:
            raise unknown("key", key, KEYS, where=where)
    cell = _choice(table, "cell", CELLS, "rnn", where)
    if cell != "rnn" and "activation" in table:
        raise InputError(f"the {cell} cell has its own activations (sigmoid gates, tanh); "
                         "activation applies to cell = \"rnn\"", where=f"{where}: activation")
    activation = _choice(table, "activation", ACTIVATIONS, "identity", where)
    output = _choice(table, "output", OUTPUTS, "identity", where)
    loss = _choice(table, "loss", LOSSES, "squared", where)
    reduction = _choice(table, "reduction", REDUCTIONS, "sum", where)
    layout = _choice(table, "layout", LAYOUTS, "column", where)
    if loss == "cross_entropy" and output == "identity":
        raise InputError("cross_entropy needs output = \"sigmoid\" (binary cross-entropy) or "
                         "\"softmax\"", where=f"{where}: loss")
    params, given = _params(table.get("params", {}), where, cell)
    data = table.get("data")
    if not isinstance(data, dict) or "x" not in data:
        raise InputError("missing the inputs: expected [data] with x = [...] and y = [...]",
                         where=where)
    for key in data:
        if key not in ("x", "y"):
            raise unknown("key", key, ("x", "y"), where=f"{where}: data")
    x = _sequence(data["x"], "data.x", where)
    if cell != "rnn" and len(x) > MAX_GATED_T:
        raise InputError(f"{len(x):,} steps: a gated cell takes at most {MAX_GATED_T:,} (each "
                         "step is several times the plain RNN's work)", where=f"{where}: data.x")
    if not x:
        raise BadShape("x is empty: expected one input per step", where=f"{where}: data.x")
    steps = _target_steps(table.get("outputs", "all"), len(x), where)
    y = _sequence(data.get("y", []), "data.y", where)
    if len(y) != len(steps):
        which = {"all": "every step", "last": "the last step"}.get(
            table.get("outputs", "all"), f"steps {steps}") if not isinstance(
            table.get("outputs", "all"), list) else f"steps {steps}"
        plural = lambda n, w: f"{n} {w}{'s' if n != 1 else ''}"
        raise BadShape(f"{plural(len(y), 'target')} for {plural(len(x), 'input')}: "
                       f"expected {len(steps)}, one for {which}", where=f"{where}: data.y")
    raw = {param_name(k): v for k, v in table.get("params", {}).items()}
    params, x, y = fit(params, raw, x, y, output, loss, layout, where, cell)
    if not isinstance(params["w_y"], Mat):
        if output == "softmax":
            raise InputError("softmax needs a vector output (K >= 2); scalar problems take "
                             "identity or sigmoid", where=f"{where}: output")
        if loss == "cross_entropy":
            for i, v in enumerate(y):
                if not 0 <= v <= 1:
                    raise InputError(f"binary cross-entropy needs targets between 0 and 1, "
                                     f"found {v}", where=f"{where}: data.y[{i + 1}]")
    symbols = ()
    if table.get("symbols") not in (None, [], ""):
        from .symbols import check, parse
        if layout == "row":
            raise InputError("symbolic mode writes the column layout (w_h h + w_x x); drop "
                             "layout = \"row\"", where=f"{where}: layout")
        symbols, given = check(parse(table["symbols"], f"{where}: symbols"), params, given,
                               len(x), steps, cell, f"{where}: symbols")
    title = table.get("title", "")
    if not isinstance(title, str):
        raise InputError("expected a string", where=f"{where}: title")
    if len(title) > MAX_TITLE:
        raise InputError(f"{len(title):,} characters: a title has at most {MAX_TITLE}",
                         where=f"{where}: title")
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in title) or \
            HIDDEN.search(title):
        raise InputError("control or formatting characters (an escape sequence, a direction "
                         "override) are not allowed in a title", where=f"{where}: title")
    return Problem(name=name, params=params, x=tuple(x), y=dict(zip(steps, y)),
                   activation=activation, output=output, loss=loss, reduction=reduction,
                   title=title, given=given, answers=table.get("answers", {}), layout=layout,
                   tolerance=table.get("tolerance", {}), source=where, cell=cell,
                   table=table, symbols=symbols)
