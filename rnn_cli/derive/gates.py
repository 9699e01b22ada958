"""How a gated cell's gradient travels back in time, for `explain`: the step Jacobians of an
LSTM or GRU read off gated.py's forward pass (the one implementation of the cells), and the
problems `explain` compares.

A plain RNN problem has no gates, so `explain lstm` and `gru` build a stand-in cell from its
weights: every gate takes w_x and w_h; the biases are b_h, except `bias` in the LSTM's forget
gate (b_f) or the GRU's update gate (b_z), and no b_hn. An LSTM or GRU problem is its own cell;
the plain RNN it is compared with is its candidate with the gates taken away:

    LSTM  h_t = tanh(w_xg x_t + w_hg h_{t-1} + b_g)
    GRU   h_t = tanh(w_xn x_t + w_hn h_{t-1} + b_xn + b_hn)     (the reset gate open, r = 1)

The derivatives, entry by entry (σ' = σ(1 - σ), tanh' = 1 - tanh^2, d(v) = diag(v)):

    LSTM  dc_t/dc_{t-1} = d(f_t)                            the cell path
          dc_t/dh_{t-1} = d(c_{t-1} f_t') w_hf + d(g_t i_t') w_hi + d(i_t g_t') w_hg
          dh_t/dh_{t-1} = d(tanh(c_t) og_t') w_ho + d(og_t tanh'(c_t)) dc_t/dh_{t-1}
          dh_t/dc_{t-1} = d(og_t tanh'(c_t) f_t)
    GRU   dh_t/dh_{t-1} = d(z_t) + d((h_{t-1} - n_t) z_t') w_hz
                          + d((1 - z_t) n_t') (d(r_t) w_hn + d(hn_t r_t') w_hr)

where f_t' is the derivative of the gate's sigmoid at its pre-activation, f_t (1 - f_t), and
so on. An LSTM's state is the pair (h_t, c_t), so the gradient reaching h_k from h_T runs
through both: dh_T/dh_k is the top-left block of the product of the 2 x 2 block Jacobians
d(h_t, c_t)/d(h_{t-1}, c_{t-1}), not the product of the dh_t/dh_{t-1} alone.

Numbers stay numbers and vectors stay column Mats; nothing here formats or prints.
"""

from dataclasses import dataclass, replace
from fractions import Fraction

from ..model.matrix import Mat, diag, hadamard, times, unit
from ..model.numbers import inexact, settle, tanh


def each(fn, v):
    """fn applied to a number, or to every entry of a vector."""
    return v.map(fn) if isinstance(v, Mat) else fn(v)


def _num(v):
    """v at the working precision, entry by entry (a Fraction minus an mpf fails)."""
    return each(inexact, v)


def _dm(d, w):
    """diag(d) w: w's rows scaled by d (d w for numbers)."""
    return times(diag(d), w)


def _fill(problem, value):
    """A bias of the problem's hidden size, every entry `value`."""
    if not problem.is_vector:
        return value
    H = problem.params["h_0"].shape[0]
    return Mat.column([value] * H)


def _zero(problem):
    return unit(problem.params["h_0"].shape[0], 0) if problem.is_vector else Fraction(0)


# -- the problems explain compares --------------------------------------------------------------

def stand_in(problem, cell: str, bias):
    """The LSTM or GRU that `explain` builds from a plain RNN problem's weights (above)."""
    P = problem.params
    w_x, w_h, b_h = P["w_x"], P["w_h"], P["b_h"]
    gates = "ifgo" if cell == "lstm" else "rzn"
    params = {f"w_x{k}": w_x for k in gates} | {f"w_h{k}": w_h for k in gates}
    if cell == "lstm":
        params |= {"b_i": b_h, "b_f": _fill(problem, bias), "b_g": b_h, "b_o": b_h,
                   "c_0": _zero(problem)}
        given = {"b_i", "b_g", "b_o"} if "b_h" in problem.given else set()
        given |= {"b_f"}
    else:
        params |= {"b_r": b_h, "b_z": _fill(problem, bias), "b_xn": b_h,
                   "b_hn": _zero(problem)}
        given = {"b_r", "b_xn"} if "b_h" in problem.given else set()
        given |= {"b_z"}
    params |= {k: P[k] for k in ("w_y", "b_y", "h_0")}
    given |= {k for k in params if k.startswith("w_")} | (problem.given & {"b_y", "h_0"})
    return replace(problem, cell=cell, params=params, given=frozenset(given))


def candidate_rnn(problem):
    """The plain tanh RNN made of an LSTM's or GRU's candidate weights (above)."""
    P = problem.params
    if problem.cell == "lstm":
        w_x, w_h, b_h = P["w_xg"], P["w_hg"], P["b_g"]
        given = "b_g" in problem.given
    else:
        w_x, w_h, b_h = P["w_xn"], P["w_hn"], P["b_xn"] + P["b_hn"]
        given = bool({"b_xn", "b_hn"} & problem.given)
    params = {"w_x": w_x, "w_h": w_h, "b_h": b_h, "w_y": P["w_y"], "b_y": P["b_y"],
              "h_0": P["h_0"]}
    keep = problem.given & {"w_y", "b_y", "h_0"}
    return replace(problem, cell="rnn", activation="tanh", params=params,
                   given=frozenset({"w_x", "w_h", *keep, *(("b_h",) if given else ())}))


# -- the Jacobians ------------------------------------------------------------------------------

@dataclass(frozen=True)
class CellPaths:
    """How the gradient travels back through an LSTM's or GRU's steps (t = 1 .. T)."""
    gates: tuple         # f_t (LSTM) or z_t (GRU): the factor of the state path at each step
    step: dict           # t -> dh_t/dh_{t-1} (for an LSTM with c_{t-1} held fixed)
    back: dict           # k -> dh_T/dh_k along every path, k = 0 .. T - 1


def _slope(s):
    """σ' from the gate's value s: s (1 - s)."""
    return hadamard(s, 1 - s)


def _lstm(fwd) -> CellPaths:
    P = {k: _num(v) for k, v in fwd.problem.params.items()}
    v = lambda name: _num(fwd.value(name))
    T, gates, step, blocks = fwd.problem.T, [], {}, {}
    for t in range(1, T + 1):
        i, f, g, og = (v(f"{q}_{t}") for q in ("i", "f", "g", "og"))
        c_prev, tc = v(f"c_{t - 1}"), each(tanh, v(f"c_{t}"))
        out = hadamard(og, 1 - hadamard(tc, tc))          # og_t tanh'(c_t): dh_t/dc_t
        dc_dh = (_dm(hadamard(c_prev, _slope(f)), P["w_hf"])
                 + _dm(hadamard(g, _slope(i)), P["w_hi"])
                 + _dm(hadamard(i, 1 - hadamard(g, g)), P["w_hg"]))
        dh_dh = _dm(hadamard(tc, _slope(og)), P["w_ho"]) + _dm(out, dc_dh)
        gates.append(f)
        step[t] = dh_dh
        blocks[t] = (dh_dh, diag(hadamard(out, f)), dc_dh, diag(f))
    # the top row of blocks of d(h_T, c_T)/d(h_k, c_k) = M_T ... M_{k+1}:
    # [P_h P_c] M_k = [P_h A + P_c C, P_h B + P_c D]
    back, p_h, p_c = {}, None, None
    for k in range(T - 1, -1, -1):
        A, B, C, D = blocks[k + 1]
        if p_h is None:
            p_h, p_c = A, B
        else:
            p_h, p_c = (settle(times(p_h, A) + times(p_c, C)),
                        settle(times(p_h, B) + times(p_c, D)))
        back[k] = p_h
    return CellPaths(tuple(gates), step, back)


def _gru(fwd) -> CellPaths:
    P = {k: _num(v) for k, v in fwd.problem.params.items()}
    v = lambda name: _num(fwd.value(name))
    T, gates, step = fwd.problem.T, [], {}
    for t in range(1, T + 1):
        h, r, z, n, hn = (v(q) for q in (f"h_{t - 1}", f"r_{t}", f"z_{t}", f"n_{t}",
                                          f"hn_{t}"))
        into_n = _dm(r, P["w_hn"]) + _dm(hadamard(hn, _slope(r)), P["w_hr"])
        step[t] = (diag(z) + _dm(hadamard(h - n, _slope(z)), P["w_hz"])
                   + _dm(hadamard(1 - z, 1 - hadamard(n, n)), into_n))
        gates.append(z)
    back, product = {}, None
    for k in range(T - 1, -1, -1):
        j = step[k + 1]
        product = j if product is None else settle(times(product, j))
        back[k] = product
    return CellPaths(tuple(gates), step, back)


def paths(fwd) -> CellPaths:
    """The gate path and the step Jacobians of the LSTM or GRU forward pass `fwd`
    (gated.forward_gated)."""
    return _lstm(fwd) if fwd.problem.cell == "lstm" else _gru(fwd)
