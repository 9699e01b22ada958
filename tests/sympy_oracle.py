"""An independent oracle for symbolic mode: the model of spec section 1 unrolled in SymPy and
differentiated by sympy.diff. It shares no code with rnn_cli: the network is written here
again from the spec (and the LSTM and GRU from PyTorch's equations), L built whole, then
differentiated by each parameter.

Values are SymPy symbols named as the spec names them (w_h, x_1, w_h[1,2]) or numbers.
"""

import random

import sympy as sp


def S(name):
    return sp.Symbol(name)


def sig(x):
    return 1 / (1 + sp.exp(-x))


ACT = {"identity": lambda a: a, "tanh": sp.tanh, "sigmoid": sig,
       "relu": lambda a: sp.Max(0, a)}


def loss_of(loss, output, yh, y):
    """L_t for a scalar output."""
    if loss == "squared":
        return (yh - y) ** 2
    if loss == "half_squared":
        return (yh - y) ** 2 / 2
    return -(y * sp.log(yh) + (1 - y) * sp.log(1 - yh))


def scalar_rnn(params, xs, ys, activation="identity", output="identity", loss="squared",
               reduction="sum", targets=None):
    """L of a scalar RNN: params maps w_x, w_h, w_y, b_h, b_y, h_0 to SymPy values; ys maps
    a step to its target (steps from 1)."""
    f = ACT[activation]
    g = {"identity": lambda o: o, "sigmoid": sig}[output]
    h = params["h_0"]
    total = 0
    for t, x in enumerate(xs, 1):
        h = f(params["w_h"] * h + params["w_x"] * x + params["b_h"])
        yh = g(params["w_y"] * h + params["b_y"])
        if t in ys:
            total += loss_of(loss, output, yh, ys[t])
    return total / len(ys) if reduction == "mean" else total


def vector_rnn(params, xs, ys, activation="tanh", output="softmax", loss="cross_entropy"):
    """L of a vector RNN (sympy Matrices), softmax cross-entropy against one-hot targets or
    squared error."""
    f = ACT[activation]
    h = params["h_0"]
    total = 0
    for t, x in enumerate(xs, 1):
        h = (params["w_h"] * h + params["w_x"] * x + params["b_h"]).applyfunc(f)
        o = params["w_y"] * h + params["b_y"]
        if t not in ys:
            continue
        y = ys[t]
        if output == "softmax":
            e = o.applyfunc(sp.exp)
            p = e / sum(e)
            total += -sum(y[i] * sp.log(p[i]) for i in range(len(y)))
        else:
            total += sum((o[i] - y[i]) ** 2 for i in range(len(y)))
    return total


def lstm(params, xs, ys):
    """L of a scalar LSTM with identity output and squared loss (PyTorch's gate order)."""
    P = params
    h, c = P["h_0"], P["c_0"]
    total = 0
    for t, x in enumerate(xs, 1):
        i = sig(P["w_xi"] * x + P["w_hi"] * h + P["b_i"])
        fg = sig(P["w_xf"] * x + P["w_hf"] * h + P["b_f"])
        g = sp.tanh(P["w_xg"] * x + P["w_hg"] * h + P["b_g"])
        o = sig(P["w_xo"] * x + P["w_ho"] * h + P["b_o"])
        c = fg * c + i * g
        h = o * sp.tanh(c)
        if t in ys:
            total += (P["w_y"] * h + P["b_y"] - ys[t]) ** 2
    return total


def gru(params, xs, ys):
    """L of a scalar GRU (PyTorch's: r multiplies w_hn h + b_hn), identity output, squared
    loss."""
    P = params
    h = P["h_0"]
    total = 0
    for t, x in enumerate(xs, 1):
        r = sig(P["w_xr"] * x + P["w_hr"] * h + P["b_r"])
        z = sig(P["w_xz"] * x + P["w_hz"] * h + P["b_z"])
        n = sp.tanh(P["w_xn"] * x + P["b_xn"] + r * (P["w_hn"] * h + P["b_hn"]))
        h = (1 - z) * n + z * h
        if t in ys:
            total += (P["w_y"] * h + P["b_y"] - ys[t]) ** 2
    return total


def equal(a, b, points: int = 4, seed: int = 1) -> bool:
    """a == b: their difference expands to 0, or is below 1e-35 at random rational points
    (40-digit evaluation), the way STACK tests algebraic equivalence."""
    d = sp.sympify(a) - sp.sympify(b)
    if not d.has(sp.Function) and sp.expand(d) == 0:
        return True
    rng = random.Random(seed)
    free = sorted(d.free_symbols, key=str)
    for _ in range(points):
        # 50-digit floats put in place: every node evaluates as it is rebuilt (evalf's
        # adaptive precision is far slower on a nest of tanh)
        at = {s: sp.Rational(rng.choice([-1, 1]) * rng.randint(1, 9), rng.randint(7, 13))
              for s in free}
        if not abs(_number(d, at)) < 1e-35:
            return False
    return True


def at_point(e, at: dict):
    """e with the symbols replaced by numbers, each distinct subexpression evaluated once (a
    derivative shares its subexpressions many times over; xreplace and evalf walk every
    path)."""
    memo = {}

    def rec(x):
        if x not in memo:
            memo[x] = at.get(x, x) if x.is_Symbol else x if not x.args else \
                x.func(*(rec(a) for a in x.args))
        return memo[x]
    return rec(e)


def _number(e, at: dict):
    """e at the point, at 50 digits through mpmath (lambdify: one pass over each distinct
    subexpression)."""
    import mpmath
    free = sorted(at, key=str)
    f = sp.lambdify(free, e, modules=["mpmath", {"Heaviside": lambda x, h=0: 1 if x > 0
                                                 else h if x == 0 else 0}], cse=True)
    with mpmath.workdps(50):
        return f(*(mpmath.mpf(sp.Rational(at[s]).p) / sp.Rational(at[s]).q for s in free))
