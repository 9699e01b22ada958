"""`explain`: the assignment's conceptual questions answered with the problem's own numbers.

Each topic returns a Topic: prose, tables of computed numbers, and a closing answer. Nothing
here is canned: every number is computed from the problem (the forward pass and the delta
recursion of bptt.py).
"""

from dataclasses import dataclass, replace
from fractions import Fraction

from .bptt import grad, recurrence_factors
from .errors import InputError, unknown
from .forward import forward
from .names import Quantity
from .numbers import approx_text, fmt, inexact

MAX_STEPS = 10_000
VANISHED, EXPLODED = Fraction(1, 1000), Fraction(1000)


@dataclass(frozen=True)
class Table:
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple, ...]
    bars: int | None = None      # the column drawn as a log-scale bar, if any


@dataclass(frozen=True)
class Topic:
    name: str
    title: str
    prose: tuple[str, ...]
    tables: tuple[Table, ...]
    answer: str


TOPICS = {
    "vanishing": "why the gradient of the last output with respect to the first input shrinks",
    "exploding": "the same product of factors, when it grows instead",
}


def extend(problem, steps: int | None):
    """The problem over `steps` steps, its inputs repeated (and its targets, at the last)."""
    if steps is None or steps == problem.T:
        return problem
    if not 1 <= steps <= MAX_STEPS:
        raise InputError(f"expected between 1 and {MAX_STEPS} steps, found {steps}",
                         where="--steps")
    x = tuple(problem.x[i % problem.T] for i in range(steps))
    last = problem.y[problem.targets[-1]]
    return replace(problem, x=x, y={steps: last})


def _abs(v):
    """|v| as an mpmath number, so exact and inexact values compare."""
    return abs(inexact(v))


def vanishing(problem, steps: int | None = None, exploding: bool = False) -> Topic:
    """dh_T/dh_k for every k, the factor w_h f'(a_t) of each step, and where the gradient
    of dL/dw_h comes from."""
    if problem.is_vector:
        raise InputError("this topic works on scalar problems so far; give a scalar problem",
                         where="explain")
    p = extend(problem, steps)
    fwd = forward(p)
    T = p.T
    d = grad(fwd, Quantity("L"), [Quantity("w_h")], "delta")
    factors = recurrence_factors(fwd)
    # dh_T/dh_k: the product of the factors of the steps after k
    product, products = Fraction(1), {T: Fraction(1)}
    for k in range(T - 1, -1, -1):
        product = product * factors[k + 1]
        products[k] = product
    # the share of dL/dw_h that each step contributes: dL/da_t h_{t-1}
    adj = {s.name: s.value for s in d.shared}
    terms = {t: adj.get(f"dL/da_{t}", adj.get(f"dL/dh_{t}")) * fwd.value(f"h_{t - 1}")
             for t in range(1, T + 1)}
    total = sum(_abs(v) for v in terms.values()) or 1
    limit = EXPLODED if exploding else VANISHED
    crossed = next((T - k for k in range(T - 1, -1, -1)
                    if (_abs(products[k]) > _abs(limit) if exploding
                        else _abs(products[k]) < _abs(limit))),
                   None)
    rows = tuple((t, fmt(factors[t]), approx_text(products[t - 1]),
                  f"{float(100 * _abs(terms[t]) / total):.1f}%", _abs(products[t - 1]))
                 for t in range(1, T + 1))
    table = Table(f"dh_{T}/dh_k and where dL/dw_h comes from",
                  ("t", "dh_t/dh_{t-1} = w_h f'(a_t)", f"dh_{T}/dh_{{t-1}}",
                   "share of dL/dw_h", "|dh_T/dh_{t-1}|"), rows, bars=4)
    word = "grows past 1000 times" if exploding else "falls below 1/1000 of"
    mean = _geo_mean([factors[t] for t in range(1, T + 1)])
    if crossed is None:
        reach = (f"Over these {T} steps the product never {word} its starting value; "
                 f"rnn-solve explain {'exploding' if exploding else 'vanishing'} --steps N "
                 "extends the sequence by repeating its inputs.")
    else:
        reach = f"After {crossed} steps back the product {word} its starting value."
    prose = (
        "Backpropagation through time multiplies one factor per step: the gradient that reaches "
        f"h_k from h_{T} is dh_{T}/dh_k = Π (w_h f'(a_t)) over the steps after k.",
        f"Here w_h = {fmt(p.params['w_h'])} and f is {p.activation}; the factors average "
        f"{approx_text(mean, 4)} in size (geometric mean). " + reach,
    )
    first, last = products[0], products[T - 1]
    answer = (
        f"In this network the gradient of the last output with respect to an early state is the "
        f"product of the per-step factors w_h f'(a_t): dh_{T}/dh_0 = {approx_text(first, 4)}, "
        f"against dh_{T}/dh_{T - 1} = {approx_text(last, 4)} for the most recent step. "
        + _verdict(mean, p.activation)
    )
    name = "exploding" if exploding else "vanishing"
    return Topic(name, TOPICS[name], prose, (table,), answer)


def _verdict(mean, activation: str) -> str:
    """What the typical size of the factors means for learning."""
    m = _abs(mean)
    if abs(m - 1) < 1e-12:
        return ("Here every factor has size 1, so the product neither shrinks nor grows: this "
                "network keeps its early inputs in the gradient. With |w_h| < 1, or a tanh or "
                "sigmoid whose derivative is below 1 away from 0, it would shrink exponentially.")
    if m > 1:
        return ("Because the factors are larger than 1 in size, the product grows exponentially "
                "with the distance in time: gradients explode, and training steps become "
                "unstable (clipping the gradient is the usual remedy).")
    return ("Because the factors are smaller than 1 in size (|w_h| times a derivative of "
            f"{activation} that is at most 1), the product shrinks exponentially with the "
            "distance in time: the first inputs barely affect the gradient, so the network "
            "cannot learn long-range dependencies (vanishing gradients, a short memory). "
            "Gated cells (LSTM, GRU) are the usual remedy for long sequences.")


def _geo_mean(values):
    from .numbers import ctx
    c = ctx()
    logs = [c.log(abs(inexact(v))) for v in values if v != 0]
    if not logs:
        return Fraction(0)
    return c.exp(sum(logs) / len(logs))


def run(topic: str, problem, steps: int | None = None) -> Topic:
    """The topic worked on the problem."""
    if topic == "vanishing":
        return vanishing(problem, steps)
    if topic == "exploding":
        return vanishing(problem, steps, exploding=True)
    raise unknown("topic", topic, TOPICS, where="explain")
