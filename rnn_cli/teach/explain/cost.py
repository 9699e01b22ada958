"""explain bptt: what backpropagation through time multiplies, counted, and truncated BPTT."""

from fractions import Fraction

from ...derive.bptt import grad, recurrence_factors
from ...model.errors import InputError
from ...derive.forward import forward
from ...model.names import Quantity
from ...model.numbers import approx_text, inexact
from ...model.shapes import MAX_WORK

from .common import (Table, Topic, TOPICS, COST_STEPS, _hd, _work, extend)

def multiplications(e) -> int:
    """The multiplications of numbers that evaluating a formula takes (a matrix product of
    m x k by k x n takes m k n, or m n where the left factor is a diagonal matrix, as
    Mat.__matmul__ computes it; an entry-by-entry product, one per entry)."""
    from ...derive.expr import Had, Power, Prod, walk
    from ...model.matrix import Mat
    shape = lambda v: v.shape if isinstance(v, Mat) else (1, 1)
    count = 0
    for node in walk(e):
        if isinstance(node, Prod):
            first = node.factors[0].value
            left = shape(first)
            diagonal = isinstance(first, Mat) and left[0] == left[1] > 1 and first.is_diagonal()
            for f in node.factors[1:]:
                (m, k), (_, n) = left, shape(f.value)
                if not isinstance(f.value, Mat):
                    count += m * k
                    continue
                count += m * n if diagonal else m * k * n
                left, diagonal = (m, n), False
        elif isinstance(node, Had):
            m, n = shape(node.value)
            count += m * n * (len(node.factors) - 1)
        elif isinstance(node, Power):
            m, n = shape(node.value)
            count += m * n * (node.exp - 1)
    return count


def cost(problem, T: int) -> tuple[int, int, int]:
    """(forward multiplications, backward multiplications, numbers stored for the backward
    pass), counted on the problem run over T steps: the steps really built, then counted."""
    from ...model.matrix import Mat
    from ...model.names import PARAMS
    fwd = forward(extend(problem, T, always=True))
    d = grad(fwd, Quantity("L"), [Quantity(n) for n in PARAMS], "delta")
    back = sum(multiplications(s.expr) for s in (*d.shared, *(x for g in d.gradients
                                                                for x in g.steps)))
    ahead = sum(multiplications(s.expr) for s in fwd.steps)
    count = lambda v: v.shape[0] * v.shape[1] if isinstance(v, Mat) else 1
    stored = sum(count(fwd.value(f"{q}_{t}")) for t in range(1, T + 1)
                 for q in ("a", "h", "o", "y_hat"))
    return ahead, back, stored


def truncated(fwd, K: int):
    """dL/dw_h when each L_t sends its gradient back at most K steps (truncated BPTT)."""
    from ...derive.bptt import _Local
    p, loc = fwd.problem, _Local(fwd)
    factors = recurrence_factors(fwd)
    total = Fraction(0)
    for t in p.targets:
        g = loc.dloss(t).value * (loc.weight.value if loc.weight else 1)
        out = loc.dout(t)
        g = g * (out.value if out is not None else 1) * p.params["w_y"]   # dL_t/dh_t
        for k in range(t, max(0, t - K), -1):                            # h_t back to h_k
            slope = loc.dact(k)
            total = total + g * (slope.value if slope is not None else 1) * fwd.value(f"h_{k - 1}")
            g = g * factors[k]
    return total


def bptt(problem, steps: int | None = None, truncate: int | None = None) -> Topic:
    """Backpropagation through time: what it is, why it pays, what it costs."""
    p = extend(problem, steps)
    if truncate is not None:
        if problem.is_vector:
            raise InputError("truncated BPTT is worked on scalar problems only (one hidden "
                             f"unit); this problem has {_hd(problem)[0]} hidden units",
                             where="--truncate")
        if not 1 <= truncate <= p.T:
            raise InputError(f"expected a number of steps K between 1 and T = {p.T} (the "
                             f"problem's steps), found {truncate}", where="--truncate")
    rows = []
    counted = [T for T in COST_STEPS if _work(problem, T) <= MAX_WORK] or [COST_STEPS[0]]
    for T in counted:
        ahead, back, stored = cost(problem, T)
        rows.append((T, ahead, back, stored, f"{back / T:.1f}"))
    per_step = rows[-1][2] / counted[-1]
    tables = [Table("Cost, counted on this problem run over T steps (inputs repeated)",
                    ("T", "forward multiplications", "backward multiplications",
                     "numbers stored", "backward per step"), tuple(rows))]
    fwd = forward(p)
    full = grad(fwd, Quantity("L"), [Quantity("w_h")], "delta").gradients[0].value
    prose = [
        "Backpropagation through time unrolls the network over its T steps and applies the chain "
        "rule backwards from the last step: one recursion dL/dh_t = dL/do_t w_y + dL/da_{t+1} "
        "w_h carries every later loss back to step t.",
        "Its advantage: the weights are shared by every step, so the error of every step is "
        "accumulated into one gradient per weight, and one update learns from the whole "
        "sequence. Its cost: the forward pass must keep every step's activations for the "
        "backward pass, and the work grows linearly with T for each single update.",
    ]
    if len(counted) < len(COST_STEPS):
        prose.append(f"T = {', '.join(str(T) for T in COST_STEPS if T not in counted)} is left "
                     f"out of the table: beyond the work limit of {MAX_WORK:,} multiplications "
                     "per pass for this network's size.")
    if truncate is not None:
        cut = truncated(fwd, truncate)
        err = abs(inexact(cut) - inexact(full))
        rel = err / abs(inexact(full)) if full else err
        tables.append(Table(f"Truncated BPTT: each loss sends its gradient back {truncate} steps",
                            ("T", "K", "dL/dw_h (full)", "dL/dw_h (truncated)", "relative error"),
                            ((p.T, truncate, approx_text(full), approx_text(cut),
                              approx_text(rel, 3)),)))
        prose.append(f"Truncated to K = {truncate} steps, the backward pass of this {p.T}-step "
                     f"problem gives dL/dw_h = {approx_text(cut)} instead of "
                     f"{approx_text(full)}: a relative error of {approx_text(rel, 3)}, for about "
                     f"K/T of the backward work.")
    answer = (
        f"BPTT computes the exact gradient of a recurrent network by running the chain rule "
        f"backwards through the unrolled steps; because the weights are shared, every step's "
        f"error adds to the same gradient, so one update uses the whole sequence. The price is "
        f"memory and time that grow with the sequence: for this network, "
        f"{rows[-1][3]} stored numbers and {rows[-1][2]} multiplications in the backward pass "
        f"at T = {counted[-1]} (about {per_step:.0f} per step), for a single parameter "
        f"update.")
    return Topic("bptt", TOPICS["bptt"], tuple(prose), tuple(tables), answer)
