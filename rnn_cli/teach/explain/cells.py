"""explain lstm and gru: the gated cell's path back in time against the plain RNN's."""

from fractions import Fraction

from ...model.errors import InputError
from ...derive.forward import forward
from ...derive.gated import A_CELL
from ...model.matrix import Mat
from ...model.numbers import approx_text, fmt, inexact

from .common import (Table, Topic, TOPICS, _hd, extend, _abs, size, _check_svd_work, sizes, jacobians, back_products, _chart)

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
    from ...model.matrix import hadamard
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
    """What explain lstm and gru both work out: (the problem over `steps`, whether the gated
    cell is the problem's own, then the sizes of the plain RNN's products, of the gate path,
    of the cell's whole dh_T/dh_{t-1}, and the table's rows). The cell is the problem's own
    with its candidate as the plain RNN, or one built from a plain RNN problem's weights with
    the gate bias `bias` (gates.py)."""
    from ...derive.gates import candidate_rnn, stand_in
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
        cell_p, rnn_p = p, candidate_rnn(p)
    else:
        cell_p, rnn_p = stand_in(p, cell, Fraction(1) if bias is None else bias), p
    _check_svd_work(p, steps, f"explain {cell}", 4)
    return (p, own, *_beside(rnn_p, cell_p, p.is_vector))


def _beside(rnn_p, cell_p, vector: bool):
    """The RNN and the gated cell side by side, a row per step: (the sizes of the RNN's
    products, of the gate path, of the cell's dh_T/dh_{t-1}, the rows)."""
    from ...derive.gated import forward_gated
    from ...derive.gates import paths
    rnn, r_prods = _rnn_side(rnn_p)
    cp = paths(forward_gated(cell_p))
    r_size, gate_size, h_size = sizes(r_prods), _gate_path(cp.gates), sizes(cp.back)
    rows = tuple((t, approx_text(size(rnn[t])) if vector else fmt(rnn[t]),
                  approx_text(r_size[t - 1] if vector else r_prods[t - 1]),
                  _gate_text(cp.gates[t - 1]), approx_text(gate_size[t - 1]),
                  approx_text(size(cp.step[t]) if vector else cp.step[t]),
                  approx_text(h_size[t - 1] if vector else cp.back[t - 1]))
                 for t in range(1, rnn_p.T + 1))
    return r_size, gate_size, h_size, rows


def _table(T: int, sz, candidate: str | None, cell_columns: tuple, rows) -> Table:
    """The table of explain lstm and gru, a row per step t: the plain RNN's factor
    dh_t/dh_{t-1} (`candidate` tanh'(a_t) where the RNN is a gated cell's candidate, else
    w_h f'(a_t)) and its product back from step T, then the gated cell's columns."""
    factor = f"{candidate} tanh'(a_t)" if candidate else "w_h f'(a_t)"
    return Table(f"The gradient reaching step t - 1 from step {T}",
                 ("t", "RNN: " + sz("dh_t/dh_{t-1}", factor), "RNN: " + sz(f"dh_{T}/dh_{{t-1}}"),
                  *cell_columns), rows)


def lstm(problem, steps: int | None = None, forget_bias=None) -> Topic:
    """The cell state's gradient path (a product of forget gates) and the LSTM's whole
    dh_T/dh_k beside the plain RNN's: the problem's own LSTM, or one built from a plain RNN
    problem's weights with the forget-gate bias `forget_bias` (default 1)."""
    p, own, r_size, c_size, h_size, rows = _compared(problem, steps, "lstm", forget_bias,
                                                     "--forget-bias")
    T, vector = p.T, p.is_vector
    sz = _sized(vector)
    table = _table(T, sz, "w_hg" if own else None,
                   ("LSTM: f_t", "LSTM cell: " + sz(f"dc_{T}/dc_{{t-1}}"),
                    "LSTM: " + sz("∂h_t/∂h_{t-1}"), "LSTM: " + sz(f"dh_{T}/dh_{{t-1}}")), rows)
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
    p, own, r_size, z_size, g_size, rows = _compared(problem, steps, "gru", update_bias,
                                                     "--update-bias")
    T, vector = p.T, p.is_vector
    sz = _sized(vector)
    table = _table(T, sz, "w_hn" if own else None,
                   ("GRU: z_t", "GRU: copy path " + sz(f"z_t...z_{T}"),
                    "GRU: " + sz("dh_t/dh_{t-1}"), "GRU: " + sz(f"dh_{T}/dh_{{t-1}}")), rows)
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
