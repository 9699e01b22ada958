"""The forward pass, written step by step: each step a formula over named quantities."""

from dataclasses import dataclass
from fractions import Fraction

from ..model.errors import TooLarge
from .expr import Expr, More, add, call, const, div, had, mul, neg, power, sub, sym, trans
from ..model.problem import Problem


@dataclass(frozen=True)
class Step:
    """One line of a derivation: `name` = expr (in symbols, with numbers) = expr.value."""
    name: str
    expr: Expr
    t: int | None = None
    stage: str = ""                 # hidden | output | loss | total | factor | term | ...
    same: tuple[str, ...] = ()      # other names for the same value (a_t when h_t = a_t)
    chain: Expr | None = None       # for a chain-rule term: the product of derivative names

    @property
    def value(self):
        return self.expr.value


@dataclass(frozen=True)
class Forward:
    problem: Problem
    steps: tuple[Step, ...]
    syms: dict                      # every quantity's name -> its Sym (its value inside)
    numeric: object = None          # fast.Numeric: a large problem's values in float64
    all_steps: bool = False         # with numeric: every step written out, not just the edges

    def value(self, name: str):
        return self.syms[name].value


EDGE = 2   # steps written out at each end of a long sequence


class Lookup(dict):
    """Names -> Syms, where a step not written out reads its value from the float64 arrays."""

    def __init__(self, problem: Problem, n):
        super().__init__()
        self.p, self.n = problem, n

    def __missing__(self, name: str) -> Expr:
        from .fast import value
        base, _, t = name.rpartition("_")
        arrays = {"x": self.n.x, "a": self.n.a, "o": self.n.o, "y_hat": self.n.y_hat,
                  "y": self.n.y, "h": self.n.h[1:], "L": self.n.L_t}
        if not t.isdigit() or base not in arrays or not 1 <= int(t) <= self.p.T:
            raise KeyError(name)
        self[name] = sym(name, value(arrays[base][int(t) - 1], self.p.is_vector and
                                     base != "L"))
        return self[name]


def shown(T: int, all_steps: bool) -> list[int]:
    """The steps a long sequence writes out: the first and last EDGE, or all of them."""
    if all_steps or T <= 2 * EDGE + 1:
        return list(range(1, T + 1))
    return [*range(1, EDGE + 1), *range(T - EDGE + 1, T + 1)]


def forward(problem: Problem, brief: bool = False, all_steps: bool = False) -> Forward:
    """Run the network of spec section 1 over the problem's inputs, keeping every formula.

    `brief`: a problem too large for exact or 50-digit arithmetic at every step (fast.wanted)
    is evaluated in float64, and only the steps a table shows (all with `all_steps`) are
    written out as formulas; the others are values in `Forward.numeric`.
    """
    from . import fast
    from ..model.shapes import MAX_WORK
    p = problem
    numeric = None
    if brief and fast.wanted(p, MAX_WORK):
        numeric = fast.run(p)
    elif fast.work(p) > MAX_WORK:
        raise TooLarge(f"T x (H^2 + H D + K H) = {fast.work(p):,} multiplications per pass "
                       f"is more than the {MAX_WORK:,} that exact or 50-digit arithmetic "
                       "finishes in seconds (forward and grad evaluate a problem this large "
                       "in float64; check and explain do not); use fewer steps or units",
                       where=f"{p.source}: data.x" if p.source else "--x")
    s = Lookup(p, numeric) if numeric is not None else {}
    for name, v in p.params.items():
        s[name] = sym(name, v)
    steps = []

    def define(name: str, expr: Expr, t, stage: str, same=()):
        steps.append(Step(name, expr, t, stage, same))
        s[name] = sym(name, expr.value)
        for other in same:
            s[other] = sym(other, expr.value)

    for t in shown(p.T, all_steps) if numeric is not None else range(1, p.T + 1):
        s[f"x_{t}"] = sym(f"x_{t}", p.x[t - 1])
        # a_t = w_h h_{t-1} + w_x x_t + b_h; a zero bias that was never written is left out
        a = add(mul(s["w_h"], s[f"h_{t - 1}"]), mul(s["w_x"], s[f"x_{t}"]),
                *([s["b_h"]] if "b_h" in p.given else []))
        if p.activation == "identity":
            define(f"h_{t}", a, t, "hidden", same=(f"a_{t}",))
        else:
            define(f"a_{t}", a, t, "hidden")
            define(f"h_{t}", call(p.activation, s[f"a_{t}"]), t, "hidden")
        output_layer(p, s, t, define)
    if numeric is None:
        losses = [s[f"L_{t}"] for t in p.targets]
    else:   # the losses of the steps not written out as one term
        written = set(shown(p.T, all_steps))
        first = [t for t in p.targets if t in written and t <= p.T // 2]
        rest = [t for t in p.targets if t not in written]
        losses = [s[f"L_{t}"] for t in first]
        if rest:
            losses.append(More(fast.value(numeric.L_t[[t - 1 for t in rest]].sum(), False),
                               rest[0], rest[-1]))
        losses += [s[f"L_{t}"] for t in p.targets if t in written and t > p.T // 2]
    total = add(*losses)
    if p.reduction == "mean" and len(p.targets) > 1:
        total = div(total, const(len(p.targets)))
    define("L", total, None, "total")
    return Forward(p, tuple(steps), s, numeric, all_steps)


def output_layer(p: Problem, s: dict, t: int, define) -> None:
    """o_t = w_y h_t + b_y, y_hat_t = g(o_t) and the loss L_t, for any cell."""
    o = add(mul(s["w_y"], s[f"h_{t}"]), *([s["b_y"]] if "b_y" in p.given else []))
    if p.output == "identity":
        define(f"y_hat_{t}", o, t, "output", same=(f"o_{t}",))
    else:
        define(f"o_{t}", o, t, "output")
        define(f"y_hat_{t}", call(p.output, s[f"o_{t}"]), t, "output")
    if t in p.y:
        s[f"y_{t}"] = sym(f"y_{t}", p.y[t])
        yh, y = s[f"y_hat_{t}"], s[f"y_{t}"]
        define(f"L_{t}", vector_loss(p.loss, p.output, yh, y) if p.is_vector
               else loss_formula(p.loss, yh, y), t, "loss")


def loss_formula(loss: str, y_hat: Expr, y: Expr) -> Expr:
    """L_t as a formula in y_hat_t and y_t."""
    if loss == "squared":
        return power(sub(y_hat, y), 2)
    if loss == "half_squared":
        return div(power(sub(y_hat, y), 2), const(2))
    # binary cross-entropy: -(y log y_hat + (1 - y) log(1 - y_hat)); a term is left out only
    # where its log would be of 0 (y_hat rounded to 0 or 1), which its zero weight allows
    one = const(1)
    terms = []
    if y_hat.value > 0 or y.value != 0:
        terms.append(mul(y, call("log", y_hat)))
    if y_hat.value < 1 or y.value != 1:
        terms.append(mul(sub(one, y), call("log", sub(one, y_hat))))
    return neg(add(*terms)) if terms else const(Fraction(0))


def vector_loss(loss: str, output: str, y_hat: Expr, y: Expr) -> Expr:
    """L_t summed over the components of a vector output."""
    if loss == "squared":
        return call("sum", power(sub(y_hat, y), 2))
    if loss == "half_squared":
        return div(call("sum", power(sub(y_hat, y), 2)), const(2))
    if output == "softmax":
        # categorical cross-entropy -y^T log(y_hat): -log y_hat[k] for a class k
        return neg(mul(trans(y), call("log", y_hat)))
    one = const(1)   # binary cross-entropy, one term per component
    return neg(call("sum", add(had(y, call("log", y_hat)),
                               had(sub(one, y), call("log", sub(one, y_hat))))))
