"""The problem of spec section 1: its options, parameters, inputs and targets, validated."""

from dataclasses import dataclass, field
from fractions import Fraction

from .errors import BadShape, InputError, unknown
from .names import ALIASES, PARAMS, Name, Quantity, parse_name
from .numbers import parse_number

ACTIVATIONS = ("identity", "tanh", "sigmoid", "relu")
OUTPUTS = ("identity", "sigmoid", "softmax")
LOSSES = ("squared", "half_squared", "cross_entropy")
REDUCTIONS = ("sum", "mean")
KEYS = ("title", "activation", "output", "loss", "reduction", "outputs", "params", "data",
        "answers", "tolerance")
MAX_T = 100_000


@dataclass(frozen=True)
class Problem:
    """One RNN exercise. Scalar problems hold numbers; every value is an exact Fraction."""
    name: str
    params: dict[str, Fraction]
    x: tuple[Fraction, ...]
    y: dict[int, Fraction]               # step -> target, for the steps that have one
    activation: str = "identity"
    output: str = "identity"
    loss: str = "squared"
    reduction: str = "sum"
    title: str = ""
    given: frozenset[str] = frozenset()  # parameters written in the input (the rest are 0)
    answers: dict = field(default_factory=dict, compare=False)
    tolerance: dict = field(default_factory=dict, compare=False)
    source: str = ""                     # the file it came from, for messages

    @property
    def T(self) -> int:
        return len(self.x)

    @property
    def targets(self) -> tuple[int, ...]:
        return tuple(sorted(self.y))

    def quantities(self) -> list[str]:
        """Every quantity name valid for this problem, for messages."""
        names = list(PARAMS)
        for t in range(1, self.T + 1):
            names += [f"a_{t}", f"h_{t}", f"o_{t}", f"y_hat_{t}"]
            if t in self.y:
                names.append(f"L_{t}")
        return names + ["L"]

    def check_quantity(self, q: Quantity, where: str = "") -> Quantity:
        """q itself, if this problem has it; else an error listing the names it has."""
        if q.index:
            raise InputError(f"{q}: entries [i,j] name parts of vectors and matrices, and "
                             "this problem is scalar", where=where)
        ok = q.is_param or q.base == "L" and (q.t is None or q.t in self.y) \
            or q.t is not None and 1 <= q.t <= self.T and q.base != "L"
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
        if differentiable and (name.wrt.is_param or name.wrt.index):
            raise InputError(f"expected L or a per-step quantity (L_t, y_hat_t, o_t, h_t, a_t), "
                             f"found the parameter {name.wrt}", where=where)
        return name.wrt

    def resolve(self, text: str, where: str = "") -> Name:
        """Parse a quantity or derivative name and check that this problem has it."""
        name = parse_name(text, where)
        if name.of is not None:
            self.check_quantity(name.of, where)
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
        raise InputError("vector and matrix problems are not supported yet (scalar problems "
                         "only: every parameter one number)", where=where)
    return parse_number(value, where)


def _sequence(value, key: str, where: str) -> list:
    if not isinstance(value, list):
        raise InputError(f"expected a list of numbers such as [10, 10], found "
                         f"{type(value).__name__}", where=f"{where}: {key}")
    if len(value) > MAX_T:
        raise InputError(f"{len(value)} steps: at most {MAX_T} are allowed",
                         where=f"{where}: {key}")
    return [_scalar(v, f"{where}: {key}[{i + 1}]") for i, v in enumerate(value)]


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


def _params(table, where: str) -> tuple[dict[str, Fraction], frozenset[str]]:
    if not isinstance(table, dict):
        raise InputError("expected a table of parameters", where=f"{where}: params")
    values: dict[str, Fraction] = {}
    for key, value in table.items():
        canonical = next((p for p, names in ALIASES.items()
                          if key.lower() in (p, *names)), None)
        if canonical is None:
            raise unknown("parameter", key, PARAMS, where=f"{where}: params")
        if canonical in values:
            raise InputError(f"{key!r} repeats {canonical}", where=f"{where}: params")
        values[canonical] = _scalar(value, f"{where}: params.{key}")
    missing = [p for p in ("w_x", "w_h", "w_y") if p not in values]
    if missing:
        raise InputError(f"missing {', '.join(missing)} (w_x, w_h and w_y are required; b_h, "
                         "b_y and h_0 default to 0)", where=f"{where}: params")
    given = frozenset(values)
    for p in ("b_h", "b_y", "h_0"):
        values.setdefault(p, Fraction(0))
    return values, given


def build(table: dict, name: str, where: str) -> Problem:
    """A Problem from one TOML problem table (already parsed), validated key by key.

    `where` names the file and table for messages ("key.toml: [assignment3]").
    """
    if not isinstance(table, dict):
        raise InputError("expected a table", where=where)
    for key in table:
        if key not in KEYS:
            raise unknown("key", key, KEYS, where=where)
    activation = _choice(table, "activation", ACTIVATIONS, "identity", where)
    output = _choice(table, "output", OUTPUTS, "identity", where)
    loss = _choice(table, "loss", LOSSES, "squared", where)
    reduction = _choice(table, "reduction", REDUCTIONS, "sum", where)
    if output == "softmax":
        raise InputError("softmax needs a vector output (K > 1); scalar problems take "
                         "identity or sigmoid", where=f"{where}: output")
    if loss == "cross_entropy" and output != "sigmoid":
        raise InputError("cross_entropy on a scalar output needs output = \"sigmoid\" (binary "
                         "cross-entropy)", where=f"{where}: loss")
    params, given = _params(table.get("params", {}), where)
    data = table.get("data")
    if not isinstance(data, dict) or "x" not in data:
        raise InputError("missing the inputs: expected [data] with x = [...] and y = [...]",
                         where=where)
    for key in data:
        if key not in ("x", "y"):
            raise unknown("key", key, ("x", "y"), where=f"{where}: data")
    x = _sequence(data["x"], "data.x", where)
    if not x:
        raise BadShape("x is empty: expected one input per step", where=f"{where}: data.x")
    steps = _target_steps(table.get("outputs", "all"), len(x), where)
    y = _sequence(data.get("y", []), "data.y", where)
    if len(y) != len(steps):
        which = {"all": "every step", "last": "the last step"}.get(
            table.get("outputs", "all"), f"steps {steps}") if not isinstance(
            table.get("outputs", "all"), list) else f"steps {steps}"
        raise BadShape(f"{len(y)} targets for {len(x)} inputs: expected {len(steps)} "
                       f"(one for {which})", where=f"{where}: data.y")
    if loss == "cross_entropy":
        for i, v in enumerate(y):
            if not 0 <= v <= 1:
                raise InputError(f"binary cross-entropy needs targets between 0 and 1, found "
                                 f"{v}", where=f"{where}: data.y[{i + 1}]")
    title = table.get("title", "")
    if not isinstance(title, str):
        raise InputError("expected a string", where=f"{where}: title")
    return Problem(name=name, params=params, x=tuple(x), y=dict(zip(steps, y)),
                   activation=activation, output=output, loss=loss, reduction=reduction,
                   title=title, given=given, answers=table.get("answers", {}),
                   tolerance=table.get("tolerance", {}), source=where)
