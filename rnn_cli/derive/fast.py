"""The forward pass and backpropagation through time in float64 with numpy, for problems too
large to carry exact or 50-digit numbers through every step.

The formulas are those of forward.py and bptt.py (spec section 1, column vectors); only the
numbers differ. A scalar problem is the 1 x 1 case. The steps a table writes out are built
from these numbers by forward.py and bptt.py; every other step exists here only as an array.
"""

from dataclasses import dataclass

from ..model.errors import Overflow
from ..model.matrix import Mat
from ..model.numbers import ctx, to_float

NUMERIC_FROM = 2_000   # T (H^2 + H D + K H) beyond which an inexact problem is run here
TRANSCENDENTAL = {"activation": ("tanh", "sigmoid"), "output": ("sigmoid", "softmax")}


def work(p) -> int:
    """Multiplications of one pass: T (H^2 + H D + K H)."""
    H, K = p.size("h")[0], p.size("y_hat")[0]
    D = p.x[0].shape[0] if isinstance(p.x[0], Mat) else 1
    return p.T * (H * H + H * D + K * H)


def is_inexact(p) -> bool:
    """Whether the problem's values leave the rationals (tanh, sigmoid, softmax, log)."""
    return p.activation in TRANSCENDENTAL["activation"] or \
        p.output in TRANSCENDENTAL["output"] or p.loss == "cross_entropy"


def wanted(p, exact_limit: int) -> bool:
    """Whether to evaluate in float64: a large inexact problem, or any problem beyond what
    exact arithmetic finishes in seconds."""
    w = work(p)
    return w > exact_limit or is_inexact(p) and w > NUMERIC_FROM


@dataclass(frozen=True)
class Numeric:
    """Every value of the forward pass and of dL/d(.) as arrays; step t is row t - 1
    (h and dh have h_0 and dL/dh_0 in row 0)."""
    x: object          # T x D
    a: object          # T x H
    h: object          # (T + 1) x H
    o: object          # T x K
    y_hat: object      # T x K
    y: object          # T x K (zero rows where there is no target)
    L_t: object        # T (zero where there is no target)
    L: float
    dy_hat: object     # T x K
    do: object         # T x K
    dh: object         # (T + 1) x H
    da: object         # T x H
    grads: dict        # parameter -> its gradient, shaped as the parameter

    def term(self, param: str, ts) -> object:
        """The part of dL/d(param) that steps ts (1-based) contribute."""
        np = _np()
        i = np.asarray(list(ts), dtype=int) - 1
        if param == "w_h":
            return self.da[i].T @ self.h[i]
        if param == "w_x":
            return self.da[i].T @ self.x[i]
        if param == "b_h":
            return self.da[i].sum(axis=0)
        if param == "w_y":
            return self.do[i].T @ self.h[i + 1]
        if param == "b_y":
            return self.do[i].sum(axis=0)
        raise KeyError(param)


def _np():
    import numpy
    return numpy


def _array(v, np):
    """A parameter or input as a float64 array: a matrix as 2-D, a column or a number as 1-D."""
    if isinstance(v, Mat):
        a = np.array([[to_float(e) for e in r] for r in v.rows], dtype=float)
        return a[:, 0] if v.shape[1] == 1 else a
    return np.array([to_float(v)], dtype=float)


def _matrix(v, np):
    """A weight as a 2-D array (a number as 1 x 1, a one-column matrix as it is)."""
    if isinstance(v, Mat):
        return np.array([[to_float(e) for e in r] for r in v.rows], dtype=float)
    return np.array([[to_float(v)]], dtype=float)


def run(p) -> Numeric:
    """The forward pass and dL/d(.) of problem p, in float64."""
    np = _np()
    with np.errstate(all="ignore"):
        return _check(_run(p, np), np)


def _run(p, np) -> Numeric:
    w_h, w_x, w_y = (_matrix(p.params[k], np) for k in ("w_h", "w_x", "w_y"))
    b_h, b_y, h_0 = (_array(p.params[k], np) for k in ("b_h", "b_y", "h_0"))
    T, H, K = p.T, w_h.shape[0], w_y.shape[0]
    x = np.stack([_array(v, np) for v in p.x])
    f = {"identity": lambda a: a, "tanh": np.tanh, "relu": lambda a: np.maximum(a, 0),
         "sigmoid": lambda a: 1 / (1 + np.exp(-a))}[p.activation]

    # forward: a_t = w_h h_{t-1} + w_x x_t + b_h, h_t = f(a_t); the input part for every
    # step at once, the recurrence one step at a time
    a = x @ w_x.T + b_h
    h = np.empty((T + 1, H))
    h[0] = h_0
    for t in range(T):
        a[t] += w_h @ h[t]
        h[t + 1] = f(a[t])
    o = h[1:] @ w_y.T + b_y
    if p.output == "softmax":   # shifted by the largest entry, so that exp cannot overflow
        e = np.exp(o - o.max(axis=1, keepdims=True))
        y_hat = e / e.sum(axis=1, keepdims=True)
    elif p.output == "sigmoid":
        y_hat = 1 / (1 + np.exp(-o))
    else:
        y_hat = o.copy()

    has = np.zeros(T, dtype=bool)
    y = np.zeros((T, K))
    for t, v in p.y.items():
        has[t - 1] = True
        y[t - 1] = _array(v, np)
    if p.loss == "squared":
        L_t = ((y_hat - y) ** 2).sum(axis=1)
    elif p.loss == "half_squared":
        L_t = ((y_hat - y) ** 2).sum(axis=1) / 2
    elif p.output == "softmax":   # -y^T log y_hat, a term only where y has weight
        L_t = -np.where(y != 0, y * np.log(y_hat), 0).sum(axis=1)
    else:                         # binary cross-entropy per component
        L_t = -(np.where(y != 0, y * np.log(y_hat), 0)
                + np.where(y != 1, (1 - y) * np.log(1 - y_hat), 0)).sum(axis=1)
    L_t = np.where(has, L_t, 0)
    n = int(has.sum())
    weight = 1 / n if p.reduction == "mean" and n > 1 else 1
    L = float(L_t.sum() * weight)

    # backward: dL/dy_hat_t, dL/do_t where there is a target, then dL/dh_t from the top down
    if p.loss == "squared":
        dy_hat = 2 * (y_hat - y)
    elif p.loss == "half_squared":
        dy_hat = y_hat - y
    elif p.output == "softmax":
        dy_hat = -y / y_hat
    else:
        dy_hat = (1 - y) / (1 - y_hat) - y / y_hat
    dy_hat = np.where(has[:, None], dy_hat * weight, 0)
    if p.output == "softmax":   # (diag(y_hat) - y_hat y_hat^T) g
        do = y_hat * (dy_hat - (y_hat * dy_hat).sum(axis=1, keepdims=True))
    elif p.output == "sigmoid":
        do = dy_hat * y_hat * (1 - y_hat)
    else:
        do = dy_hat.copy()
    slope = {"identity": lambda: np.ones((T, H)), "tanh": lambda: 1 - h[1:] ** 2,
             "sigmoid": lambda: h[1:] * (1 - h[1:]),
             "relu": lambda: (a > 0).astype(float)}[p.activation]()
    from_o = do @ w_y          # w_y^T dL/do_t, every step at once
    dh = np.zeros((T + 1, H))
    da = np.zeros((T, H))
    carry = np.zeros(H)        # w_h^T dL/da_{t+1}
    for t in range(T - 1, -1, -1):
        dh[t + 1] = from_o[t] + carry
        da[t] = dh[t + 1] * slope[t]
        carry = w_h.T @ da[t]
    dh[0] = carry
    grads = {"w_h": da.T @ h[:-1], "w_x": da.T @ x, "b_h": da.sum(axis=0),
             "w_y": do.T @ h[1:], "b_y": do.sum(axis=0), "h_0": dh[0]}
    return Numeric(x, a, h, o, y_hat, y, L_t, L, dy_hat, do, dh, da, grads)


def _check(n: Numeric, np) -> Numeric:
    """n itself, if every value is finite; else the Overflow the exact path would raise."""
    for what, arr in (("the forward pass", n.h), ("the outputs", n.y_hat), ("the loss", n.L_t),
                      ("the gradients", n.dh), ("the gradients", n.da)):
        if not np.isfinite(arr).all():
            raise Overflow(f"overflow: {what} left the range of float64 (about ±1.8e308), "
                           "where this problem, too large for exact arithmetic, is evaluated; "
                           "the inputs or weights are too large in magnitude")
    return n


def value(arr, vector: bool):
    """A numpy value as the project's number or matrix (mpmath numbers holding the float64
    values): in a scalar problem a number; else a 1-D array as a column, a 2-D one as a
    matrix."""
    mpf = ctx().mpf
    if not vector:
        return mpf(float(arr.reshape(-1)[0]))
    if arr.ndim == 1:
        return Mat.column(mpf(float(v)) for v in arr)
    return Mat([mpf(float(v)) for v in r] for r in arr)
