"""What every explain topic shares: the Topic, Table and Chart it returns, the problem's
sizes and work, the Jacobians of the recurrence and their products, and the verdict on a rate."""

from dataclasses import dataclass, replace
from fractions import Fraction

from ...derive.bptt import grad, recurrence_factors
from ...model.errors import TooLarge
from ...derive.forward import forward
from ...derive.gated import A_CELL
from ...derive.gates import each
from ...model.matrix import Mat
from ...model.names import Quantity
from ...model.numbers import ctx, inexact, settle
from ...model.problem import MAX_GATED_T
from ...model.shapes import MAX_WORK


MAX_STEPS = 10_000
VANISHED, EXPLODED = Fraction(1, 1000), Fraction(1000)
# Singular values of a vector problem's Jacobians: an SVD of an H x H matrix in 50-digit
# arithmetic takes about 0.38 ms + 0.0145 ms H^3 (measured: 0.5 ms at H = 2, 7.8 ms at H = 8,
# 230 ms at H = 32), so (SVDs) (H^3 + 26) is held to this, about 3 s:
MAX_SVD_WORK = 200_000


@dataclass(frozen=True)
class Table:
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple, ...]
    bars: int | None = None      # the column drawn as a log-scale bar, if any


@dataclass(frozen=True)
class Series:
    label: str
    points: tuple[tuple[int, object], ...]     # (T - k, the size of dh_T/dh_k)


@dataclass(frozen=True)
class Chart:
    """A log-scale chart of gradient sizes against the distance back in time."""
    title: str
    x_label: str
    y_label: str
    series: tuple[Series, ...]


@dataclass(frozen=True)
class Topic:
    name: str
    title: str
    prose: tuple[str, ...]
    tables: tuple[Table, ...]
    answer: str
    chart: Chart | None = None
    # whether the text writes quantities in the spec's notation (h_{t-1}, dL/dw_h), which
    # LaTeX typesets as math; the text topics quote the user's texts verbatim instead
    notation: bool = True


TOPICS = {
    "vanishing": "why the gradient of the last output with respect to the first input shrinks",
    "exploding": "the same product of factors, when it grows instead",
    "bptt": "what backpropagation through time is, its advantage and its cost, counted",
    "lstm": "why a gated cell keeps a long memory: forget gates against w_h f'(a_t)",
    "gru": "the same for a GRU: its update gate against w_h f'(a_t), and GRU or LSTM",
    "seq2seq": "a character-level sequence model: one-hot letters, batches, padding, decoding",
    "onehot": "the texts as one-hot vectors, and back (part of seq2seq)",
    "padding": "batches of similar length, padding and the mask (part of seq2seq)",
}
BLOCKS = {"rnn": 1, "gru": 3, "lstm": 4}    # weight blocks of a step: the RNN's, a GRU's, an LSTM's
CHARTED = ("vanishing", "exploding", "lstm", "gru")     # the topics that draw a chart
COST_STEPS = (2, 10, 100, 1000)
SEQ2SEQ_ONE_HOT = 4     # texts whose one-hot tables seq2seq shows (explain onehot: all)


def _hd(problem) -> tuple[int, int]:
    """H and D: the hidden size and the input size (1 and 1 for a scalar problem)."""
    if not problem.is_vector:
        return 1, 1
    w = problem.params[{"rnn": "w_x", "lstm": "w_xi", "gru": "w_xr"}[problem.cell]]
    return w.shape


def _work(problem, T: int) -> int:
    """The multiplications of one pass over T steps, T (B (H^2 + H D) + K H) with one block
    B = 1 for the plain RNN, 3 for a GRU's gates and candidate, 4 for an LSTM's gates
    (shapes.MAX_WORK)."""
    if not problem.is_vector:
        return 0
    (H, D), K = _hd(problem), problem.params["w_y"].shape[0]
    return T * (BLOCKS[problem.cell] * (H * H + H * D) + K * H)


def extend(problem, steps: int | None, always: bool = False):
    """The problem over `steps` steps, its inputs repeated and its last target at the last
    step (`always`: even when it already has that many steps)."""
    if steps is None or steps == problem.T and not always:
        return problem
    most = MAX_STEPS if problem.cell == "rnn" else MAX_GATED_T
    if not 1 <= steps <= most:
        cell = "" if problem.cell == "rnn" else f" for {A_CELL[problem.cell]} problem"
        raise TooLarge(f"expected between 1 and {most:,} steps{cell}, found {steps:,}",
                       where="--steps")
    if _work(problem, steps) > MAX_WORK:
        B = "" if problem.cell == "rnn" else f"{BLOCKS[problem.cell]} "
        raise TooLarge(f"T x ({B}(H^2 + H D) + K H) = {_work(problem, steps):,} "
                       "multiplications per "
                       f"pass at {steps:,} steps is more than the {MAX_WORK:,} that finish in "
                       "seconds; use fewer steps", where="--steps")
    x = tuple(problem.x[i % problem.T] for i in range(steps))
    last = problem.y[problem.targets[-1]]
    return replace(problem, x=x, y={steps: last})


def _abs(v):
    """|v| as an mpmath number, so exact and inexact values compare."""
    return abs(inexact(v))


def size(m):
    """|m| for a number; for a matrix its largest singular value σ_max (the most it stretches
    any vector, the spectral norm), from mpmath's SVD at the working precision."""
    if not isinstance(m, Mat):
        return _abs(m)
    c = ctx()
    s = c.svd_r(c.matrix([[inexact(v) for v in r] for r in m.rows]), compute_uv=False)
    return max(s[i] for i in range(s.rows))


def _check_svd_work(problem, steps, where: str, per_step: int) -> None:
    """Refuse the singular values of a vector problem (`per_step` SVDs a step) beyond
    MAX_SVD_WORK (README, explain)."""
    if not problem.is_vector:
        return
    H = _hd(problem)[0]
    work = per_step * problem.T * (H ** 3 + 26)
    if work > MAX_SVD_WORK:
        flag = "--steps" if steps is not None else where
        raise TooLarge(f"the {per_step * problem.T:,} singular value decompositions of {H} x "
                       f"{H} Jacobians over {problem.T:,} steps take {per_step} T (H^3 + 26) = "
                       f"{work:,} units of work, more than the {MAX_SVD_WORK:,} that finish in "
                       "seconds; use fewer steps or units", where=flag)


def sizes(values: dict) -> dict:
    """size() of every value of a dict."""
    return {k: size(v) for k, v in values.items()}


def jacobians(fwd) -> dict[int, object]:
    """dh_t/dh_{t-1} = diag(f'(a_t)) w_h at each step t (w_h f'(a_t) for numbers)."""
    if not fwd.problem.is_vector:
        return recurrence_factors(fwd)
    from ...derive.bptt import _Local
    from ...model.matrix import diag
    loc, w_h = _Local(fwd), fwd.problem.params["w_h"]
    out = {}
    for t in range(1, fwd.problem.T + 1):
        slope = loc.dact(t)
        out[t] = w_h if slope is None else settle(diag(slope.value) @ w_h)
    return out


def back_products(factors: dict, T: int) -> dict[int, object]:
    """dh_T/dh_k = J_T J_{T-1} ... J_{k+1} for k = 0 .. T - 1, from the factors J_t; a
    vector problem's are matrices, multiplied in that order."""
    product, out = None, {}
    for k in range(T - 1, -1, -1):
        j = factors[k + 1]
        product = j if product is None else settle(product @ j if isinstance(j, Mat)
                                                   else product * j)
        out[k] = product
    return out


def _chart(title: str, vector: bool, T: int, **series) -> Chart:
    """Sizes of dh_T/dh_k (dict k -> size, per series) against T - k."""
    what = "σ_max of the gradient" if vector else "|gradient|"
    return Chart(title, "T - k (steps back in time)", f"{what} from step T back to step k",
                 tuple(Series(label, tuple((T - k, v) for k, v in sorted(by_k.items(),
                                                                           reverse=True)))
                       for label, by_k in series.items()))


def _norm(m):
    """The Frobenius norm of a matrix (|m| for a number): the size of one term of dL/dw_h."""
    if not isinstance(m, Mat):
        return _abs(m)
    return ctx().sqrt(sum(_abs(v) ** 2 for v in m.entries()))


def _own_cell(p):
    """(forward pass, dh_t/dh_{t-1} by t, dh_T/dh_k by k) of the problem's own cell: the plain
    RNN's, or an LSTM's or GRU's (gates.py; an LSTM's products run through c_t as well)."""
    if p.cell == "rnn":
        fwd = forward(p)
        factors = jacobians(fwd)
        return fwd, factors, back_products(factors, p.T)
    from ...derive.gated import forward_gated
    from ...derive.gates import paths
    fwd = forward_gated(p)
    cp = paths(fwd)
    return fwd, cp.step, cp.back


def _terms(fwd, vector: bool) -> dict[int, object]:
    """The size of each step's term of dL/dw_h: dL/da_t h_{t-1} (dL/da_t h_{t-1}^T for vectors,
    by its Frobenius norm). A gated cell's W_h is all its recurrent weights (w_hi, w_hf, w_hg,
    w_ho; w_hr, w_hz, w_hn), whose terms at t are added."""
    p = fwd.problem
    if p.cell == "rnn":
        d = grad(fwd, Quantity("L"), [Quantity("w_h")], "delta")
        reads = lambda t: (f"dL/da_{t}" if f"dL/da_{t}" in adj else f"dL/dh_{t}",)
    else:
        from ...derive.gated import _into_prev_h, grad_gated
        d = grad_gated(fwd, Quantity("L"), [], "delta")
        reads = lambda t: tuple(f"dL/d{q}_{t}" for q, _ in _into_prev_h(p.cell))
    adj = {s.name: s.value for s in d.shared}
    terms = {}
    for t in range(1, p.T + 1):
        h = each(inexact, fwd.value(f"h_{t - 1}"))
        terms[t] = sum((_norm(g @ h.T if vector else g * h)
                        for g in (each(inexact, adj[n]) for n in reads(t) if n in adj)),
                       start=inexact(0))
    return terms




def _rate(product_size, T: int):
    """The average factor per step: |dh_T/dh_0|^(1/T) (the geometric mean of the factors'
    sizes, for numbers)."""
    if product_size == 0:
        return Fraction(0)
    c = ctx()
    return c.exp(c.log(product_size) / T)


def _verdict(rate, activation: str, vector: bool = False) -> str:
    """What the typical size of the factors means for learning."""
    m = _abs(rate)
    if m == 0:
        return (f"A factor is 0 here (f' = 0 at that step: a {activation} that passes no "
                "gradient), so nothing before that step reaches the last output at all: the "
                "gradient has vanished completely, the extreme case of vanishing gradients, "
                "and the network cannot learn from those early inputs.")
    if abs(m - 1) < 1e-12:
        return ("Here the factors have size 1 on average, so the product neither shrinks nor "
                "grows: this network keeps its early inputs in the gradient. With |w_h| < 1, "
                "or a tanh or sigmoid whose derivative is below 1 away from 0, it would shrink "
                "exponentially.")
    if m > 1:
        return ("Because the factors are larger than 1 in size, the product grows exponentially "
                "with the distance in time: gradients explode, and training steps become "
                "unstable (clipping the gradient is the usual remedy).")
    small = ("the Jacobians shrink vectors (σ_max of w_h times a derivative of "
             f"{activation} that is at most 1)" if vector else
             f"the factors are smaller than 1 in size (|w_h| times a derivative of {activation} "
             "that is at most 1)")
    return (f"Because {small}, the product shrinks exponentially with the distance in time: "
            "the first inputs barely affect the last output or the gradient, so the network "
            "cannot learn long-range dependencies (vanishing gradients, a short memory). "
            "Gated cells (LSTM, GRU) are the usual remedy for long sequences.")
