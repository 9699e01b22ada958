"""`explain`: the assignment's conceptual questions answered with the problem's own numbers.

Each topic returns a Topic: prose, tables of computed numbers, a closing answer, and for the
topics about the gradient's size a chart (sizes against the steps back in time). Nothing here
is canned: every number is computed from the problem (the forward pass and the delta recursion
of bptt.py; the LSTM and GRU of gated.py, differentiated step by step in gates.py). An LSTM
or GRU problem is explained on its own cell. In a vector problem a Jacobian's size is its largest
singular value, from mpmath's SVD.
"""

from dataclasses import dataclass, replace
from fractions import Fraction

from .bptt import grad, recurrence_factors
from .errors import InputError, TooLarge, unknown
from .forward import forward
from .gated import A_CELL
from .gates import each
from .matrix import Mat
from .names import Quantity
from .numbers import approx_text, ctx, fmt, inexact, settle
from .problem import MAX_GATED_T
from .shapes import MAX_WORK

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
    from .bptt import _Local
    from .matrix import diag
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
    from .gated import forward_gated
    from .gates import paths
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
        from .gated import _into_prev_h, grad_gated
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


def vanishing(problem, steps: int | None = None, exploding: bool = False) -> Topic:
    """dh_T/dh_k for every k, the factor dh_t/dh_{t-1} of each step, and where the gradient
    dL/dw_h comes from; for a vector problem the largest singular value of each. An LSTM or
    GRU problem is worked on its own cell's Jacobians (gates.py)."""
    p = extend(problem, steps)
    name = "exploding" if exploding else "vanishing"
    _check_svd_work(p, steps, f"explain {name}", 2)
    T, vector, cell = p.T, p.is_vector, p.cell
    fwd, factors, products = _own_cell(p)
    back = sizes(products)
    terms = _terms(fwd, vector)
    total = sum(terms.values()) or 1
    limit = inexact(EXPLODED if exploding else VANISHED)
    crossed = next((T - k for k in range(T - 1, -1, -1)
                    if (back[k] > limit if exploding else back[k] < limit)), None)
    w_h = "w_h" if cell == "rnn" else "W_h"
    step_q = "∂h_t/∂h_{t-1}" if cell == "lstm" else "dh_t/dh_{t-1}"
    if vector:
        head = ("t", f"σ_max({step_q})", f"σ_max(dh_{T}/dh_{{t-1}})", f"share of dL/d{w_h}",
                "σ_max")
        rows = tuple((t, approx_text(size(factors[t])), approx_text(back[t - 1]),
                      f"{float(100 * terms[t] / total):.1f}%", back[t - 1])
                     for t in range(1, T + 1))
    else:
        head = ("t", "dh_t/dh_{t-1} = w_h f'(a_t)" if cell == "rnn" else step_q,
                f"dh_{T}/dh_{{t-1}}", f"share of dL/d{w_h}", "|dh_T/dh_{t-1}|")
        rows = tuple((t, fmt(factors[t]) if cell == "rnn" else approx_text(factors[t]),
                      approx_text(products[t - 1]), f"{float(100 * terms[t] / total):.1f}%",
                      back[t - 1])
                     for t in range(1, T + 1))
    table = Table(f"dh_{T}/dh_k and where dL/d{w_h} comes from", head, rows, bars=4)
    word = "grows past 1000 times" if exploding else "falls below 1/1000 of"
    # the typical factor: how much the product shrinks or grows per step, on average
    rate = _rate(back[0], T)
    if crossed is None:
        reach = (f"Over these {T} steps the product never {word} its starting value; "
                 f"rnn-solve explain {name} --steps N extends the sequence by repeating its "
                 "inputs.")
    else:
        reach = f"After {crossed} steps back the product {word} its starting value."
    if vector:
        first, last = (f"σ_max(dh_{T}/dh_0) = {approx_text(back[0], 4)}",
                       f"σ_max(dh_{T}/dh_{T - 1}) = {approx_text(back[T - 1], 4)}")
    else:
        first, last = (f"dh_{T}/dh_0 = {approx_text(products[0], 4)}",
                       f"dh_{T}/dh_{T - 1} = {approx_text(products[T - 1], 4)}")
    if cell != "rnn":
        prose, answer = _gated_vanishing_text(p, rate, reach, first, last)
    elif vector:
        H = p.params["w_h"].shape[0]
        prose = (
            "Backpropagation through time multiplies one factor per step: the gradient that "
            f"reaches h_k from h_{T} is dh_{T}/dh_k = J_{T} J_{T - 1} ... J_{{k+1}}, where each "
            f"J_t = dh_t/dh_{{t-1}} = diag(f'(a_t)) w_h is a {H} x {H} Jacobian.",
            "The size of a Jacobian is its largest singular value σ_max: the most it can "
            "stretch any vector. σ_max of a product is at most the product of the σ_max, so "
            "when every factor has σ_max < 1 the product must shrink geometrically.",
            f"Here f is {p.activation}; the product shrinks or grows by a factor of "
            f"{approx_text(rate, 4)} per step on average (σ_max(dh_{T}/dh_0)^(1/{T})). "
            + reach,
        )
    else:
        prose = (
            "Backpropagation through time multiplies one factor per step: the gradient that "
            f"reaches h_k from h_{T} is dh_{T}/dh_k = Π (w_h f'(a_t)) over the steps after k.",
            f"Here w_h = {fmt(p.params['w_h'])} and f is {p.activation}; the factors average "
            f"{approx_text(rate, 4)} in size (geometric mean). " + reach,
        )
    if cell == "rnn":
        answer = (
            f"The start of the sequence reaches the last output y_hat_{T} only through products "
            "of the per-step factors " + ("diag(f'(a_t)) w_h" if vector else "w_h f'(a_t)")
            + f": dh_{T}/dh_0 for the initial state h_0 (and dh_{T}/dh_1 for the first input "
            f"x_1). In this network {first}, against {last} for the most recent step. "
            + _verdict(rate, p.activation, vector)
        )
    chart = _chart(f"{name}: the gradient reaching h_k from h_{T}", vector, T,
                   **{("σ_max(dh_T/dh_k)" if vector else "|dh_T/dh_k|"): back})
    return Topic(name, TOPICS[name], prose, (table,), answer, chart)


def _gated_vanishing_text(p, rate, reach: str, first: str, last: str) -> tuple[tuple, str]:
    """The prose and the answer of vanishing or exploding on an LSTM or GRU problem."""
    T, vector = p.T, p.is_vector
    size_word = "largest singular value σ_max" if vector else "size"
    if p.cell == "lstm":
        how = (
            "This problem is an LSTM, so the gradient is its own cell's. Its state is the pair "
            "(h_t, c_t): the gradient that reaches h_k from h_T runs back through the hidden "
            "state and through the cell state c_t, whose own factor is the forget gate f_t. "
            f"dh_{T}/dh_k is therefore the top-left block of the product of the (h, c) "
            "Jacobians d(h_t, c_t)/d(h_{t-1}, c_{t-1}), not the product of the column "
            "∂h_t/∂h_{t-1} (the one-step derivative with c_{t-1} held fixed).")
        weights = "w_hi, w_hf, w_hg and w_ho"
    else:
        how = (
            "This problem is a GRU, so the gradient is its own cell's: dh_T/dh_k = J_T ... "
            "J_{k+1} with each J_t = dh_t/dh_{t-1} = diag(z_t) + (the terms through n_t, r_t "
            "and z_t, which carry w_hn, w_hr and w_hz); the copy path diag(z_t) lets the "
            "gradient pass without any weight.")
        weights = "w_hr, w_hz and w_hn"
    prose = (
        how,
        f"W_h stands for all the recurrent weights, {weights}: the share of dL/dW_h is the "
        "size of each step's terms dL/d(pre-activation) h_{t-1}^T, added over the gates.",
        f"The product shrinks or grows by a factor of {approx_text(rate, 4)} per step on "
        f"average (the {size_word} of dh_{T}/dh_0 to the power 1/{T}). " + reach,
    )
    m = _abs(rate)
    if m > 1 and abs(m - 1) >= 1e-12:
        verdict = ("The product grows with the distance in time: even a gated cell's gradient "
                   "explodes when its recurrent weights are large (clip the gradient).")
    elif m < 1 and abs(m - 1) >= 1e-12:
        verdict = ("The product still shrinks with the distance in time: gates slow the "
                   "vanishing, they do not abolish it; the memory lasts as long as the "
                   + ("forget gates f_t" if p.cell == "lstm" else "update gates z_t")
                   + " stay near 1 (rnn-solve explain " + p.cell + " shows them).")
    else:
        verdict = "The product keeps its size on average: this cell holds its early inputs."
    answer = (f"The start of the sequence reaches the last output y_hat_{T} only through the "
              f"cell's step Jacobians. In this {p.cell.upper()} {first}, against {last} for "
              "the most recent step. " + verdict)
    return prose, answer


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


def multiplications(e) -> int:
    """The multiplications of numbers that evaluating a formula takes (a matrix product of
    m x k by k x n takes m k n, or m n where the left factor is a diagonal matrix, as
    Mat.__matmul__ computes it; an entry-by-entry product, one per entry)."""
    from .expr import Had, Power, Prod, walk
    from .matrix import Mat
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
    from .matrix import Mat
    from .names import PARAMS
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
    from .bptt import _Local
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


def _gate_text(v) -> str:
    """A gate's value: the number, or the smallest and largest entry of a vector."""
    if not isinstance(v, Mat):
        return approx_text(v)
    entries = sorted(inexact(e) for e in v.entries())
    return f"{approx_text(entries[0], 4)} .. {approx_text(entries[-1], 4)}"


def _gate_path(gates: list) -> dict[int, object]:
    """The size of the gradient along a path multiplied by a gate at each step, for k = 0 ..
    T - 1: the product g_{k+1} ⊙ ... ⊙ g_T; for vectors its Jacobian is diag of that product,
    whose σ_max is its largest entry in size (no SVD needed)."""
    from .matrix import hadamard
    product, out = None, {}
    for k in range(len(gates) - 1, -1, -1):
        product = gates[k] if product is None else hadamard(product, gates[k])
        out[k] = max(map(_abs, product.entries())) if isinstance(product, Mat) \
            else _abs(product)
    return out


def _sized(vector: bool):
    """A column's quantity as its size: σ_max(q) in a vector problem, else `scalar` or q."""
    return lambda q, scalar=None: f"σ_max of {q}" if vector else scalar or q


def _rnn_side(p):
    """The plain RNN's factors and products on the same problem, for the gated topics."""
    factors = jacobians(forward(p))
    return factors, back_products(factors, p.T)


def _cells(p) -> tuple[int, int, int]:
    """Weights and biases of a plain RNN, a GRU and an LSTM layer with the problem's H and D
    (one bias per gate): H (H + D + 1) per block, 1, 3 and 4 blocks."""
    H, D = _hd(p)
    block = H * (H + D + 1)
    return block, 3 * block, 4 * block


def _compared(problem, steps, cell: str, bias, flag: str):
    """(the problem over `steps`, the gated cell, the plain RNN it is compared with, whether
    the cell is the problem's own) for explain lstm and gru (gates.py)."""
    from .gates import candidate_rnn, stand_in
    if problem.cell not in ("rnn", cell):
        raise InputError(f"this problem is {A_CELL[problem.cell]}: explain {problem.cell} "
                         f"works on its own cell; explain {cell} works on {A_CELL[cell]} "
                         "problem or on a plain RNN problem", where=f"explain {cell}")
    own = problem.cell == cell
    if own and bias is not None:
        b, gate = ("b_f", "forget") if cell == "lstm" else ("b_z", "update")
        raise InputError(f"this {cell.upper()} problem has its own {gate}-gate bias {b}; "
                         f"change it with --param {b}=VALUE", where=flag)
    p = extend(problem, steps)
    if own:
        return p, p, candidate_rnn(p), True
    return p, stand_in(p, cell, Fraction(1) if bias is None else bias), p, False



def _beside(rnn_p, cell_p, vector: bool):
    """The RNN and the gated cell side by side, a row per step: (the cell's paths, the
    sizes of the RNN's products, of the gate path, of the cell's dh_T/dh_{t-1}, the rows)."""
    from .gated import forward_gated
    from .gates import paths
    rnn, r_prods = _rnn_side(rnn_p)
    cp = paths(forward_gated(cell_p))
    r_size, gate_size, h_size = sizes(r_prods), _gate_path(cp.gates), sizes(cp.back)
    rows = tuple((t, approx_text(size(rnn[t])) if vector else fmt(rnn[t]),
                  approx_text(r_size[t - 1] if vector else r_prods[t - 1]),
                  _gate_text(cp.gates[t - 1]), approx_text(gate_size[t - 1]),
                  approx_text(size(cp.step[t]) if vector else cp.step[t]),
                  approx_text(h_size[t - 1] if vector else cp.back[t - 1]))
                 for t in range(1, rnn_p.T + 1))
    return cp, r_size, gate_size, h_size, rows


def lstm(problem, steps: int | None = None, forget_bias=None) -> Topic:
    """The cell state's gradient path (a product of forget gates) and the LSTM's whole
    dh_T/dh_k beside the plain RNN's: the problem's own LSTM, or one built from a plain RNN
    problem's weights with the forget-gate bias `forget_bias` (default 1)."""
    p, cell_p, rnn_p, own = _compared(problem, steps, "lstm", forget_bias, "--forget-bias")
    _check_svd_work(p, steps, "explain lstm", 4)
    T, vector = p.T, p.is_vector
    cp, r_size, c_size, h_size, rows = _beside(rnn_p, cell_p, vector)
    sz = _sized(vector)
    table = Table(f"The gradient reaching step t - 1 from step {T}",
                  ("t", "RNN: " + sz("dh_t/dh_{t-1}", "w_hg tanh'(a_t)" if own
                                      else "w_h f'(a_t)"),
                   "RNN: " + sz(f"dh_{T}/dh_{{t-1}}"), "LSTM: f_t",
                   "LSTM cell: " + sz(f"dc_{T}/dc_{{t-1}}"), "LSTM: " + sz("∂h_t/∂h_{t-1}"),
                   "LSTM: " + sz(f"dh_{T}/dh_{{t-1}}")), rows)
    r0, c0, h0 = r_size[0], c_size[0], h_size[0]
    sizes_text = (f"after {T} steps the RNN's product is {approx_text(r0, 4)}, the LSTM "
                  f"cell's {approx_text(c0, 4)} and the LSTM's whole dh_{T}/dh_0 "
                  f"{approx_text(h0, 4)}.")
    whole = ("The LSTM's whole gradient from h_T back to h_k also runs through h_t and the "
             "gates: dh_T/dh_k is the top-left block of the product of the (h, c) Jacobians "
             "d(h_t, c_t)/d(h_{t-1}, c_{t-1}); ∂h_t/∂h_{t-1} is one step's derivative with "
             "c_{t-1} held fixed.")
    if own:
        prose = [
            f"This problem is an LSTM, so every number below is its own cell's, with its own "
            f"gate weights and biases (forget-gate bias b_f = {fmt(p.params['b_f'])}). Along "
            "its cell state c_t = f_t c_{t-1} + i_t g_t the gradient is multiplied only by "
            "the forget gates: dc_T/dc_k = f_{k+1} ⊙ ... ⊙ f_T.",
            whole,
            "The plain RNN beside it is the LSTM's candidate with the gates taken away, "
            "h_t = tanh(w_xg x_t + w_hg h_{t-1} + b_g), on the same inputs from the same h_0: "
            "its factor is w_hg tanh'(a_t). " + sizes_text[0].upper() + sizes_text[1:],
        ]
    else:
        prose = [
            "A plain RNN passes its gradient back through h_t = f(w_h h_{t-1} + ...), one "
            "factor w_h f'(a_t) per step. An LSTM also keeps a cell state c_t = f_t c_{t-1} + "
            "i_t g_t: along it the gradient is multiplied only by the forget gates f_t, which "
            "the network can hold near 1 (a forget-gate bias of 1 is the usual start).",
            whole,
            f"The LSTM here is built from this RNN problem's weights (w_x and w_h in every "
            f"gate, b_h in all but the forget gate) with forget-gate bias "
            f"{fmt(Fraction(1) if forget_bias is None else forget_bias)}; same inputs: "
            + sizes_text,
        ]
    if vector:
        prose.append("With several units each size is a largest singular value σ_max; along "
                     "the cell the Jacobian is diag(f_{k+1} ⊙ ... ⊙ f_T), whose σ_max is its "
                     "largest entry. The forget-gate column gives each step's smallest and "
                     "largest gate.")
    factor = ("diag(f'(a_t)) w_h" if vector else "w_h f'(a_t)")
    if own:
        start = (f"In this LSTM the gradient from step {T} back to the start has size "
                 f"{approx_text(c0, 4)} along the cell state (the product of its forget "
                 f"gates) and {approx_text(h0, 4)} through every path, against "
                 f"{approx_text(r0, 4)} for a plain tanh RNN made of its candidate weights "
                 "(the product of " + ("diag(tanh'(a_t)) w_hg" if vector else
                                       "w_hg tanh'(a_t)") + "). ")
    else:
        start = (f"For this sequence the plain RNN's gradient from step {T} back to the start "
                 f"has size {approx_text(r0, 4)}, the product of the factors {factor}; along "
                 f"an LSTM's cell state it is {approx_text(c0, 4)}, the product of the forget "
                 f"gates, and through every path of the LSTM {approx_text(h0, 4)}. ")
    answer = start + (
        "The gated path keeps more of the signal, so LSTM (or GRU, with one update gate "
        "doing the same job and fewer parameters) is the choice for long sequences, where "
        "a plain RNN's gradient vanishes and its memory is short; for short sequences the "
        "plain RNN suffices."
        if c0 > r0 else
        "Here the plain RNN's product is not the smaller one, so this short sequence does "
        "not need gates; they pay off on long sequences, where the RNN's product vanishes "
        "(try --steps 50) and long-term information would be lost.")
    chart = _chart(f"lstm: the gradient reaching step k from step {T}", vector, T,
                   **{"RNN: dh_T/dh_k": r_size, "LSTM: dc_T/dc_k along the cell": c_size,
                      "LSTM: dh_T/dh_k": h_size})
    return Topic("lstm", TOPICS["lstm"], tuple(prose), (table,), answer, chart)


def gru(problem, steps: int | None = None, update_bias=None) -> Topic:
    """The GRU's gradient path (through its update gate) and its whole dh_T/dh_k beside the
    plain RNN's: the problem's own GRU, or one built from a plain RNN problem's weights with
    the update-gate bias `update_bias` (default 1)."""
    p, cell_p, rnn_p, own = _compared(problem, steps, "gru", update_bias, "--update-bias")
    _check_svd_work(p, steps, "explain gru", 4)
    T, vector = p.T, p.is_vector
    cp, r_size, z_size, g_size, rows = _beside(rnn_p, cell_p, vector)
    sz = _sized(vector)
    table = Table(f"The gradient reaching step t - 1 from step {T}",
                  ("t", "RNN: " + sz("dh_t/dh_{t-1}", "w_hn tanh'(a_t)" if own
                                      else "w_h f'(a_t)"),
                   "RNN: " + sz(f"dh_{T}/dh_{{t-1}}"), "GRU: z_t",
                   "GRU: copy path " + sz(f"z_t...z_{T}"), "GRU: " + sz("dh_t/dh_{t-1}"),
                   "GRU: " + sz(f"dh_{T}/dh_{{t-1}}")), rows)
    r0, z0, g0 = r_size[0], z_size[0], g_size[0]
    rnn_n, gru_n, lstm_n = _cells(p)
    sizes_text = (f"after {T} steps the RNN's product is {approx_text(r0, 4)}, the GRU's copy "
                  f"path {approx_text(z0, 4)} and its whole gradient {approx_text(g0, 4)}.")
    mix = ("h_t = (1 - z_t) n_t + z_t h_{t-1}. The term z_t h_{t-1} copies the old state, so "
           "along that path the gradient is multiplied by z_t alone, and z near 1 keeps the "
           "memory. (Some texts swap the names, h_t = z_t n_t + (1 - z_t) h_{t-1}: there the "
           "copy path's factor is 1 - z_t and z near 0 keeps the memory.)")
    if own:
        prose = [
            f"This problem is a GRU (PyTorch's equations), so every number below is its own "
            f"cell's, with its own gate weights and biases (update-gate bias b_z = "
            f"{fmt(p.params['b_z'])}). It mixes its old state and a candidate n_t with the "
            "update gate z_t: " + mix,
            "Its whole step derivative is dh_t/dh_{t-1} = diag(z_t) + (the terms through "
            "n_t, r_t and z_t, which carry w_hn, w_hr and w_hz).",
            "The plain RNN beside it is the GRU's candidate with the gates taken away (the "
            "reset gate open), h_t = tanh(w_xn x_t + w_hn h_{t-1} + b_xn + b_hn), on the same "
            "inputs from the same h_0: its factor is w_hn tanh'(a_t). "
            + sizes_text[0].upper() + sizes_text[1:],
        ]
    else:
        prose = [
            "A GRU (PyTorch's equations) mixes its old state and a candidate n_t with an "
            "update gate z_t: " + mix,
            "Its whole step derivative is dh_t/dh_{t-1} = diag(z_t) + diag(q_t) w_h: the copy "
            "path plus the terms through n_t, r_t and z_t, which carry the RNN-like factor "
            "w_h.",
            f"Same weights and inputs in every gate (w_x, w_h; bias b_h in the reset gate and "
            f"the candidate), update-gate bias "
            f"{fmt(Fraction(1) if update_bias is None else update_bias)}: " + sizes_text,
        ]
    if vector:
        prose.append("With several units each size is a largest singular value σ_max; the "
                     "update-gate column gives each step's smallest and largest gate.")
    better = g0 > r0
    if own:
        start = (f"In this GRU the gradient from step {T} back to the start has size "
                 f"{approx_text(g0, 4)}, of which the copy path through the update gates "
                 f"alone gives {approx_text(z0, 4)}; a plain tanh RNN made of its candidate "
                 f"weights would carry {approx_text(r0, 4)}. ")
    else:
        start = (
            f"In this network the plain RNN's gradient from step {T} back to the start has "
            f"size {approx_text(r0, 4)} (the product of "
            + ("its Jacobians diag(f'(a_t)) w_h" if vector else "w_h f'(a_t)")
            + f"); a GRU with the same weights carries {approx_text(g0, 4)}, of which the "
            f"copy path through the update gates alone gives {approx_text(z0, 4)}. ")
    answer = start + (
        ("Because z_t can stay near 1, the GRU's gradient does not have to pass through w_h "
         "at every step, so it keeps long-term information where the RNN's gradient "
         "vanishes: gated cells are needed for long sequences. "
         if better else
         "On this short sequence the plain RNN's product is not the smaller one, so gates "
         "are not needed here; they pay off on long sequences, where the RNN's product "
         "vanishes (try --steps 50). ")
        + f"GRU or LSTM: a GRU layer here has {gru_n} weights and biases against the LSTM's "
        f"{lstm_n} (the plain RNN's {rnn_n}): fewer parameters and no separate cell state, so "
        f"it trains faster and suits smaller data; an LSTM's separate cell and output gate "
        f"give finer control of very long memories. Both fix the vanishing gradient; try the "
        f"GRU first when data or compute is scarce."
    )
    chart = _chart(f"gru: the gradient reaching step k from step {T}", vector, T,
                   **{"RNN: dh_T/dh_k": r_size, "GRU: dh_T/dh_k": g_size,
                      "GRU: copy path Π z": z_size})
    return Topic("gru", TOPICS["gru"], tuple(prose), (table,), answer, chart)


def _count(n: int, noun: str) -> str:
    """1 symbol, 2 symbols."""
    return f"{n} {noun}" + ("" if n == 1 else "s")


def seq2seq(texts=(), vocab: str | None = None, batch: int = 2, part: str = "seq2seq"):
    """Question 5: how to set up a character-level sequence model, on the given texts."""
    from . import charseq as cs
    default = not texts
    texts = cs.check_texts(texts)
    if not 1 <= batch <= 100:
        raise InputError(f"expected a batch size between 1 and 100, found {batch}",
                         where="--batch")
    v = cs.vocabulary(texts, vocab, default)
    tables, prose = [], []
    if part in ("seq2seq", "onehot"):
        chars = (f"the {len(v) - 1} characters of --vocab in the order given" if vocab else
                 f"the {len(v) - 1} characters of the texts in sorted order")
        prose.append(f"The vocabulary has {len(v)} symbols: the padding symbol {cs.PAD!r} "
                     f"at index 0, then {chars} (indices 1 to {len(v) - 1}). Each character "
                     f"becomes a vector of {len(v)} numbers with a single 1 at its index.")
        shown = texts if part == "onehot" else texts[:SEQ2SEQ_ONE_HOT]
        if len(shown) < len(texts):
            left = len(texts) - len(shown)
            prose.append(f"One-hot tables are shown for the first {len(shown)} of the "
                         f"{len(texts)} texts ({left} left out here; the decoding table lists "
                         "them all); rnn-solve explain onehot with the same --text flags "
                         "shows every text's table.")
        for t in shown:
            rows = tuple((i + 1, c, v.index(c), "".join(map(str, vec)))
                         for i, (c, vec) in enumerate(zip(t, cs.one_hot(t, v))))
            tables.append(Table(f"{t!r} as one-hot vectors (vocabulary {''.join(v)!r})",
                                ("t", "character", "index", "one-hot"), rows))
        round_trip = [(t, cs.decode(cs.one_hot(t, v), v)) for t in texts]
        tables.append(Table("Decoding: the largest entry of each vector names the character",
                            ("text", "decoded from its one-hot vectors", "same"),
                            tuple((a, b, "yes" if a == b else "NO") for a, b in round_trip)))
    if part in ("seq2seq", "padding"):
        groups = cs.batches(texts, batch)
        prose.append(f"Texts are sorted by length and cut into batches of {batch}, so each "
                     "batch needs little padding; the mask marks real characters (1) and "
                     "padding (0), so the loss ignores the padded steps.")
        rows = []
        for i, b in enumerate(groups, 1):
            padded, mask = cs.pad(b)
            for text, m in zip(padded, mask):
                rows.append((i, text, "".join(map(str, m)), len(m) - sum(m)))
        tables.append(Table("Batches, padded to their longest text",
                            ("batch", "padded text", "mask", "padding"), tuple(rows)))
        unsorted = sum(max(map(len, texts[i:i + batch])) * len(texts[i:i + batch]) -
                       sum(map(len, texts[i:i + batch])) for i in range(0, len(texts), batch))
        prose.append(f"Padding needed: {_count(sum(r[3] for r in rows), 'symbol')} with "
                     f"sorted batches, {_count(unsorted, 'symbol')} with the texts batched in "
                     "the order given.")
    if part == "seq2seq":
        amb = cs.ambiguous(texts)
        if amb:
            c, nxt = amb[0]
            prose.append(f"A feedforward network that sees one letter at a time cannot do this: "
                         f"in these texts {c!r} is followed by {', '.join(map(repr, sorted(nxt)))}"
                         f", so no function of {c!r} alone gives the next letter; the "
                         "network must remember what came before, which a recurrent state does.")
        lengths = sorted({len(t) for t in texts})
        prose.append(f"The texts have lengths {', '.join(map(str, lengths))}: input and output "
                     "sequences need not be as long as each other, so a many-to-many "
                     "encoder-decoder fits: the encoder reads the whole input into its state, "
                     "the decoder then writes the output one character at a time.")
    answer = (
        f"Encode each character as a one-hot vector over the vocabulary ({len(v)} symbols "
        f"here, with padding at index 0); group texts of similar length into batches and pad "
        f"each batch to its longest text, with a mask so padded steps add nothing to the loss; "
        f"use a many-to-many encoder-decoder RNN, because a letter's meaning depends on the "
        f"letters before it and the output length can differ from the input's; and decode the "
        f"output vectors back to characters by taking the largest entry of each and joining "
        f"them.")
    return Topic(part, TOPICS[part], tuple(prose), tuple(tables), answer, notation=False)


def run(topic: str, problem, steps: int | None = None, truncate: int | None = None,
        texts=(), vocab: str | None = None, batch: int = 2, forget_bias=None,
        update_bias=None) -> Topic:
    """The topic worked on the problem (or, for the text topics, on the texts). The bias
    flags (None: not given) shape the cell built from a plain RNN problem; an LSTM or GRU
    problem has its own."""
    if truncate is not None and topic in TOPICS and topic != "bptt":
        raise InputError(f"truncation belongs to explain bptt; explain {topic} has no use "
                         "for it", where="--truncate")
    if topic in ("seq2seq", "onehot", "padding"):
        return seq2seq(texts, vocab, batch, topic)
    if topic == "lstm":
        return lstm(problem, steps, forget_bias)
    if topic == "gru":
        return gru(problem, steps, update_bias)
    if topic == "vanishing":
        return vanishing(problem, steps)
    if topic == "exploding":
        return vanishing(problem, steps, exploding=True)
    if topic == "bptt":
        if problem.cell != "rnn":
            raise InputError(f"bptt counts the plain RNN's delta recursion; this problem is "
                             f"{A_CELL[problem.cell]} (rnn-solve grad --wrt all --style delta "
                             f"shows its recursion; explain {problem.cell} and vanishing work "
                             "on its cell)", where="explain bptt")
        return bptt(problem, steps, truncate)
    raise unknown("topic", topic, TOPICS, where="explain")
