"""explain vanishing and exploding: the product of the recurrence's factors, step by step."""


from ...model.numbers import approx_text, fmt, inexact

from .common import (VANISHED, EXPLODED, Table, Topic, TOPICS, extend, _abs, size, _check_svd_work, sizes, _chart, _own_cell, _terms, _rate, _verdict)

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
