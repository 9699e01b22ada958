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
    "bptt": "what backpropagation through time is, its advantage and its cost, counted",
    "lstm": "why a gated cell keeps a long memory: forget gates against w_h f'(a_t)",
    "seq2seq": "a character-level sequence model: one-hot letters, batches, padding, decoding",
    "onehot": "the texts as one-hot vectors, and back (part of seq2seq)",
    "padding": "batches of similar length, padding and the mask (part of seq2seq)",
}
COST_STEPS = (2, 10, 100, 1000)


def extend(problem, steps: int | None, always: bool = False):
    """The problem over `steps` steps, its inputs repeated and its last target at the last
    step (`always`: even when it already has that many steps)."""
    if steps is None or steps == problem.T and not always:
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


def multiplications(e) -> int:
    """The multiplications of numbers that evaluating a formula takes (a matrix product of
    m x k by k x n takes m k n; an entry-by-entry product, one per entry)."""
    from .expr import Had, Power, Prod, walk
    from .matrix import Mat
    shape = lambda v: v.shape if isinstance(v, Mat) else (1, 1)
    count = 0
    for node in walk(e):
        if isinstance(node, Prod):
            left = shape(node.factors[0].value)
            for f in node.factors[1:]:
                (m, k), (_, n) = left, shape(f.value)
                count += m * k * n if isinstance(f.value, Mat) else m * k
                left = (m, n) if isinstance(f.value, Mat) else left
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
    size = lambda v: v.shape[0] * v.shape[1] if isinstance(v, Mat) else 1
    stored = sum(size(fwd.value(f"{q}_{t}")) for t in range(1, T + 1)
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
    if problem.is_vector and truncate:
        raise InputError("--truncate works on scalar problems so far", where="--truncate")
    rows = []
    for T in COST_STEPS:
        ahead, back, stored = cost(problem, T)
        rows.append((T, ahead, back, stored, f"{back / T:.1f}"))
    per_step = rows[-1][2] / COST_STEPS[-1]
    tables = [Table("Cost, counted on this problem run over T steps (inputs repeated)",
                    ("T", "forward multiplications", "backward multiplications",
                     "numbers stored", "backward per step"), tuple(rows))]
    p = extend(problem, steps)
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
    if truncate:
        if not 1 <= truncate <= p.T:
            raise InputError(f"expected a number of steps between 1 and {p.T}",
                             where="--truncate")
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
        f"at T = {COST_STEPS[-1]} (about {per_step:.0f} per step), for a single parameter "
        f"update.")
    return Topic("bptt", TOPICS["bptt"], tuple(prose), tuple(tables), answer)


def lstm_gates(problem, forget_bias):
    """An LSTM with the problem's w_x and w_h in every gate (b_h in the input, candidate and
    output gates, `forget_bias` in the forget gate): the forget gate f_t of each step.

    i = σ(a), f = σ(w_h h + w_x x + b_f), g = tanh(a), o = σ(a), a = w_h h + w_x x + b_h;
    c_t = f_t c_{t-1} + i_t g_t and h_t = o_t tanh(c_t), PyTorch's equations.
    """
    from .numbers import sigmoid, tanh
    w_x, w_h, b = (problem.params[k] for k in ("w_x", "w_h", "b_h"))
    h, c, out = problem.params["h_0"], 0, []
    for x in problem.x:
        a = w_h * h + w_x * x
        i, f = sigmoid(a + b), sigmoid(a + forget_bias)
        g, o = tanh(a + b), sigmoid(a + b)
        c = f * c + i * g
        h = o * tanh(c)
        out.append(f)
    return out


def lstm(problem, steps: int | None = None, forget_bias=Fraction(1)) -> Topic:
    """The cell state's gradient path (a product of forget gates) beside the plain RNN's."""
    if problem.is_vector:
        raise InputError("this topic works on scalar problems so far", where="explain")
    p = extend(problem, steps)
    T = p.T
    rnn = recurrence_factors(forward(p))
    gates = lstm_gates(p, forget_bias)
    rows, r_prod, c_prod = [], Fraction(1), Fraction(1)
    products = {}
    for t in range(T, 0, -1):
        r_prod, c_prod = r_prod * rnn[t], c_prod * gates[t - 1]
        products[t] = (r_prod, c_prod)
    for t in range(1, T + 1):
        rows.append((t, fmt(rnn[t]), approx_text(products[t][0]), approx_text(gates[t - 1]),
                     approx_text(products[t][1])))
    table = Table(f"The gradient reaching step t - 1 from step {T}",
                  ("t", "RNN: w_h f'(a_t)", f"RNN: dh_{T}/dh_{{t-1}}", "LSTM: forget gate f_t",
                   f"LSTM: dc_{T}/dc_{{t-1}} along the cell"), tuple(rows))
    r0, c0 = products[1]
    prose = (
        "A plain RNN passes its gradient back through h_t = f(w_h h_{t-1} + ...), one factor "
        "w_h f'(a_t) per step. An LSTM also keeps a cell state c_t = f_t c_{t-1} + i_t g_t: "
        "along it the gradient is multiplied only by the forget gates f_t, which the network "
        "can hold near 1 (a forget-gate bias of 1 is the usual start).",
        f"Same weights, same inputs, forget-gate bias {fmt(forget_bias)}: after {T} steps the "
        f"RNN's product is {approx_text(r0, 4)} and the LSTM cell's is {approx_text(c0, 4)}.",
    )
    answer = (
        f"For this sequence the plain RNN's gradient from step {T} back to the start is "
        f"{approx_text(r0, 4)}, the product of the factors w_h f'(a_t); along an LSTM's cell "
        f"state it is {approx_text(c0, 4)}, the product of the forget gates. "
        + ("The gated path keeps more of the signal, so LSTM (or GRU, with one update gate "
           "doing the same job and fewer parameters) is the choice for long sequences, where "
           "a plain RNN's gradient vanishes; for short sequences the plain RNN suffices."
           if abs(inexact(c0)) > abs(inexact(r0)) else
           "Here the plain RNN's product is not the smaller one, so this short sequence does "
           "not need gates; they pay off on long sequences, where the RNN's product vanishes "
           "(try --steps 50).")
    )
    return Topic("lstm", TOPICS["lstm"], prose, (table,), answer)


def seq2seq(texts=(), vocab: str | None = None, batch: int = 2, part: str = "seq2seq"):
    """Question 5: how to set up a character-level sequence model, on the given texts."""
    from . import charseq as cs
    texts = cs.check_texts(texts)
    if not 1 <= batch <= 100:
        raise InputError(f"expected a batch size between 1 and 100, found {batch}",
                         where="--batch")
    v = cs.vocabulary(texts, vocab)
    tables, prose = [], []
    if part in ("seq2seq", "onehot"):
        prose.append(f"The vocabulary has {len(v)} symbols: the padding symbol {cs.PAD!r} "
                     f"(index 0) and the {len(v) - 1} characters of the texts. Each character "
                     f"becomes a vector of {len(v)} numbers with a single 1 at its index.")
        for t in texts[:4]:
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
        prose.append(f"Padding needed: {sum(r[3] for r in rows)} symbols with sorted batches, "
                     f"{unsorted} with the texts batched in the order given.")
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
    return Topic(part, TOPICS[part], tuple(prose), tuple(tables), answer)


def run(topic: str, problem, steps: int | None = None, truncate: int | None = None,
        texts=(), vocab: str | None = None, batch: int = 2, forget_bias=Fraction(1)) -> Topic:
    """The topic worked on the problem (or, for the text topics, on the texts)."""
    if topic in ("seq2seq", "onehot", "padding"):
        return seq2seq(texts, vocab, batch, topic)
    if topic == "lstm":
        return lstm(problem, steps, forget_bias)
    if topic == "vanishing":
        return vanishing(problem, steps)
    if topic == "exploding":
        return vanishing(problem, steps, exploding=True)
    if topic == "bptt":
        return bptt(problem, steps, truncate)
    raise unknown("topic", topic, TOPICS, where="explain")
