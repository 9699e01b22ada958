"""The forward pass, written step by step: each step a formula over named quantities."""

from dataclasses import dataclass
from fractions import Fraction

from .expr import Expr, add, call, const, div, had, mul, neg, power, sub, sym, trans
from .problem import Problem


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

    def value(self, name: str):
        return self.syms[name].value


def forward(problem: Problem) -> Forward:
    """Run the network of spec section 1 over the problem's inputs, keeping every formula."""
    p, s = problem, {}
    for name, v in p.params.items():
        s[name] = sym(name, v)
    steps = []

    def define(name: str, expr: Expr, t, stage: str, same=()):
        steps.append(Step(name, expr, t, stage, same))
        s[name] = sym(name, expr.value)
        for other in same:
            s[other] = sym(other, expr.value)

    for t in range(1, p.T + 1):
        s[f"x_{t}"] = sym(f"x_{t}", p.x[t - 1])
        # a_t = w_h h_{t-1} + w_x x_t + b_h; a zero bias that was never written is left out
        a = add(mul(s["w_h"], s[f"h_{t - 1}"]), mul(s["w_x"], s[f"x_{t}"]),
                *([s["b_h"]] if "b_h" in p.given else []))
        if p.activation == "identity":
            define(f"h_{t}", a, t, "hidden", same=(f"a_{t}",))
        else:
            define(f"a_{t}", a, t, "hidden")
            define(f"h_{t}", call(p.activation, s[f"a_{t}"]), t, "hidden")
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
    losses = [s[f"L_{t}"] for t in p.targets]
    total = add(*losses)
    if p.reduction == "mean" and len(losses) > 1:
        total = div(total, const(len(losses)))
    define("L", total, None, "total")
    return Forward(p, tuple(steps), s)


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
