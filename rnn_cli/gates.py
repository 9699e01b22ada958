"""Gated cells (LSTM, GRU) built from a problem's own weights, for `explain lstm` and `gru`.

Both cells follow PyTorch's equations. Every gate uses the problem's w_x and w_h, so the gated
cell sees the same weights and inputs as the plain RNN it is compared with; the biases are:

    LSTM  i, g, o: b_h      f: `forget_bias`
          i = σ(s + b_h)  f = σ(s + b_f)  g = tanh(s + b_h)  o = σ(s + b_h),  s = w_h h + w_x x
          c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t,  h_t = o_t ⊙ tanh(c_t)
    GRU   r: b_h   z: `update_bias`   n: b_h on the input side, none on the state side
          r = σ(s + b_h)  z = σ(s + b_z)  n = tanh(w_x x + b_h + r ⊙ (w_h h))
          h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}        (z near 1 keeps the old state)

Numbers stay numbers and vectors stay column Mats; nothing here formats or prints.
"""

from dataclasses import dataclass

from .matrix import Mat, diag, hadamard, times
from .numbers import inexact, sigmoid, tanh


def each(fn, v):
    """fn applied to a number, or to every entry of a vector."""
    return v.map(fn) if isinstance(v, Mat) else fn(v)


def _plus_diag(d, m):
    """diag(d) + m for a vector d and a square matrix m (d + m for numbers)."""
    if not isinstance(m, Mat):
        return d + m
    return m + diag(d)


@dataclass(frozen=True)
class GruStep:
    z: object          # the update gate z_t
    jacobian: object   # dh_t/dh_{t-1}, the whole derivative through every gate


def lstm_forget_gates(problem, forget_bias) -> list:
    """The forget gate f_t of each step of the LSTM described above (a vector for H > 1)."""
    w_x, w_h, b = (problem.params[k] for k in ("w_x", "w_h", "b_h"))
    h, c, out = problem.params["h_0"], 0, []
    for x in problem.x:
        s = times(w_h, h) + times(w_x, x)
        i, f = each(sigmoid, s + b), each(sigmoid, s + forget_bias)
        g, o = each(tanh, s + b), each(sigmoid, s + b)
        c = hadamard(f, c) + hadamard(i, g)
        h = hadamard(o, each(tanh, c))
        out.append(f)
    return out


def gru_steps(problem, update_bias) -> list[GruStep]:
    """Each step of the GRU described above: its update gate and its Jacobian
    dh_t/dh_{t-1} = diag(z_t) + diag(q_t) w_h, where (differentiating h_t through z, n, r)

        q_t = (h_{t-1} - n_t) z_t (1 - z_t) + (1 - z_t)(1 - n_t^2)(r_t + u_t r_t (1 - r_t)),

    u_t = w_h h_{t-1}, all entry by entry."""
    w_x, w_h, b = (problem.params[k] for k in ("w_x", "w_h", "b_h"))
    h, out = each(inexact, problem.params["h_0"]), []
    for x in problem.x:
        u, v = times(w_h, h), each(inexact, times(w_x, x))    # a Fraction minus an mpf fails
        r, z = each(sigmoid, u + v + b), each(sigmoid, u + v + update_bias)
        n = each(tanh, v + b + hadamard(r, u))
        one_z = 1 - z
        q = hadamard(hadamard(h - n, z), one_z) + hadamard(
            hadamard(one_z, 1 - hadamard(n, n)), r + hadamard(u, hadamard(r, 1 - r)))
        jac = _plus_diag(z, times(diag(q), w_h))
        out.append(GruStep(z, jac))
        h = hadamard(one_z, n) + hadamard(z, h)
    return out
