"""Sizes: how the parameters, inputs and targets of a vector problem fit together.

H (hidden units) comes from w_h, D (input size) from the inputs, K (outputs) from w_y.
A flat list is a column vector, except w_y = [..] which is the one row of a K = 1 output; a
number for b_h, b_y or h_0 stands for that number in every entry. With layout = "row"
(x W_x + h W_h, as course notebooks write it) the weight matrices are read transposed.
"""

from fractions import Fraction

from .errors import BadShape, InputError
from .matrix import Mat, unit

MAX_WORK = 50_000    # T (H^2 + H D + K H): at most about 6 s of exact or 50-digit arithmetic


def _flat(raw) -> bool:
    return isinstance(raw, list) and not any(isinstance(v, list) for v in raw)


def _dims(m) -> str:
    r, c = m.shape if isinstance(m, Mat) else (1, 1)
    return f"{r} x {c}"


def roles(cell: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """The cell's weights on h_{t-1} (H x H), its weights on x_t (H x D), and its vectors of
    H entries (biases and initial states)."""
    from .names import CELL_PARAMS
    ps = CELL_PARAMS[cell]
    hidden = tuple(k for k in ps if k.startswith("w_h"))
    inputs = tuple(k for k in ps if k.startswith("w_x"))
    vectors = tuple(k for k in ps if not k.startswith("w_") and k != "b_y")
    return hidden, inputs, vectors


def fit(params: dict, raw: dict, x: list, y: list, output: str, loss: str, layout: str,
        where: str, cell: str = "rnn"):
    """(params, x, y) as numbers for a scalar problem, or as matrices and column vectors."""
    vector = any(isinstance(v, Mat) for v in (*params.values(), *x, *y))
    if not vector:
        return params, x, y
    hidden, inputs, vectors = roles(cell)
    p = dict(params)
    if layout == "row":       # the course-notebook convention: x W_x + h W_h, h W_y
        for k in (*inputs, *hidden, "w_y"):
            if isinstance(p[k], Mat) and not _flat(raw.get(k)):
                p[k] = p[k].T
    if isinstance(p["w_y"], Mat) and _flat(raw.get("w_y")):
        p["w_y"] = p["w_y"].T                 # [a, b] is the one row of a K = 1 output
    as_mat = lambda v: v if isinstance(v, Mat) else Mat([[v]])
    for k in (*hidden, *inputs, "w_y"):
        p[k] = as_mat(p[k])
    first = hidden[0]
    H = p[first].shape[0]
    for k in hidden:
        if p[k].shape != (H, H):
            raise BadShape(f"{k} must be square (H x H" + (f", H = {H} from {first}"
                                                             if k != first else "")
                           + f"), found {_dims(p[k].T if layout == 'row' else p[k])}",
                           where=f"{where}: params.{k}")
    D = x[0].shape[0] if isinstance(x[0], Mat) else 1
    # K: from the targets where they are vectors; a class index leaves it to w_y
    class_targets = output == "softmax" and loss == "cross_entropy" and y and \
        not isinstance(y[0], Mat)
    K = y[0].shape[0] if y and isinstance(y[0], Mat) else p["w_y"].shape[0] if class_targets \
        or not y else 1
    row = layout == "row"
    for k, want in (*((k, (H, D)) for k in inputs), ("w_y", (K, H))):
        m = p[k]
        if m.shape != want:
            # said in the convention the file is written in
            shape, dims = (want[::-1], "D x H" if k != "w_y" else "H x K") if row else \
                (want, "H x D" if k != "w_y" else "K x H")
            found = m.T if row and not _flat(raw.get(k)) else m
            source = f"D = {D} from x" if k != "w_y" else (
                f"K = {K} from the targets" if y and isinstance(y[0], Mat) else f"K = {K}")
            raise BadShape(f"expected {shape[0]} x {shape[1]} ({dims} with H = {H} from "
                           f"{first}, {source}), found {_dims(found)}",
                           where=f"{where}: params.{k}")
    for k, n in (*((k, H) for k in vectors), ("b_y", K)):
        v = p[k]
        if not isinstance(v, Mat):
            p[k] = Mat.column([v] * n)        # one number stands for every entry
        elif v.shape != (n, 1):
            raise BadShape(f"expected {n} entries, found " + (f"{v.shape[0]}" if v.is_column
                                                              else _dims(v)),
                           where=f"{where}: params.{k}")
    xs = []
    for i, v in enumerate(x):
        v = v if isinstance(v, Mat) else Mat([[v]])
        if v.shape != (D, 1):
            raise BadShape(f"expected {D} numbers (D = {D} from x[1]), found {v.shape[0]}",
                           where=f"{where}: data.x[{i + 1}]")
        xs.append(v)
    ys = [_target(v, K, output, loss, f"{where}: data.y[{i + 1}]") for i, v in enumerate(y)]
    if output == "softmax" and K < 2:
        raise InputError("softmax needs K >= 2 outputs (w_y with K rows)",
                         where=f"{where}: output")
    if (H, D, K) == (1, 1, 1):                # a 1 x 1 problem is the scalar problem
        one = lambda m: m.rows[0][0] if isinstance(m, Mat) else m
        return {k: one(v) for k, v in p.items()}, [one(v) for v in xs], [one(v) for v in ys]
    return p, xs, ys


def _target(v, K: int, output: str, loss: str, where: str):
    """A target: a vector of K numbers; with softmax and cross_entropy also a class 1..K."""
    if output == "softmax" and loss == "cross_entropy" and not isinstance(v, Mat):
        if v.denominator != 1 or not 1 <= v <= K:
            raise InputError(f"expected a class between 1 and {K}, or a vector of {K} "
                             f"probabilities, found {v}", where=where)
        return unit(K, int(v))
    v = v if isinstance(v, Mat) else Mat([[v]])
    if v.shape != (K, 1):
        raise BadShape(f"expected {K} numbers (K = {K} from w_y), found {v.shape[0]}",
                       where=where)
    if loss == "cross_entropy":
        if any(not 0 <= e <= 1 for e in v.entries()):
            raise InputError("cross-entropy needs targets between 0 and 1", where=where)
        if output == "softmax" and sum(v.entries()) != 1:
            raise InputError(f"expected probabilities that add up to 1, found a sum of "
                             f"{sum(v.entries())}", where=where)
    return v


def gated_work(p) -> int:
    """Multiplications of one pass of a gated cell: T (G (H^2 + H D) + K H), G gates."""
    G = {"lstm": 4, "gru": 3}.get(p.cell, 1)
    if not p.is_vector:
        return p.T * (2 * G + 1)
    H, K = p.size("h")[0], p.size("y_hat")[0]
    D = p.x[0].shape[0] if hasattr(p.x[0], "shape") else 1
    return p.T * (G * (H * H + H * D) + K * H)
