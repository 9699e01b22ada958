"""The backward pass of the plain RNN in float64 numpy, with the mistakes students write in
their own implementations, one flag each, so that `check --answers` can replay them.

The model is spec section 1 over a minibatch: N sequences of T steps, canonical arrays in
the column layout (w_h H x H, w_x H x D, w_y K x H, b_h H, b_y K, h_0 N x H), x N x T x D,
targets N x T x K, `has` marking the T steps that have a target. L is the sum (or mean) over
the steps of each sequence, then the sum (or mean) over the sequences.

A bug is a small change to one line of the usual loop (min-char-rnn's lossFun, CS231n's
rnn_backward); `replay` runs the loop with a set of them. numpy is imported when needed.
"""

from dataclasses import dataclass

from ..model.arrays import Minibatch

WEIGHTS = ("w_x", "w_h", "w_y")
GRADS = ("w_x", "w_h", "w_y", "b_h", "b_y", "h_0")


@dataclass(frozen=True)
class Case(Minibatch):
    """A plain-RNN problem as float64 arrays (see the module's docstring for the shapes)."""
    params: dict
    x: object
    y: object
    has: object
    activation: str = "tanh"
    output: str = "softmax"
    loss: str = "cross_entropy"
    reduction: str = "sum"         # over the steps of a sequence
    batch: str = "sum"             # over the sequences

    @property
    def targets(self) -> int:
        return int(self.has.sum())


@dataclass(frozen=True)
class Bug:
    """One mistake: its flag, which gradients it can change, and when it applies."""
    flag: str
    grads: tuple[str, ...]           # the gradients it changes (where it applies)
    sentence: str                    # {dh} the convention's dh_next, {W} of w_h, {Wy} of w_y ...


_CELL = ("w_x", "w_h", "b_h", "h_0")
BUGS = {b.flag: b for b in (
    Bug("no_carry", _CELL, "the gradient is not carried back through time: {dh} is never "
        "updated"),
    Bug("stale_carry", _CELL, "the last step's {dh} is not zeroed: it still holds dL/dh_0 of "
        "a previous call on the same sequence"),
    Bug("double_last", _CELL, "the last step's {dh} is not zeroed: it starts at the last "
        "step's own dL/dh_T, which is then counted twice"),
    Bug("slope_pre", _CELL, "the derivative of {f} is taken at the pre-activation a_t "
        "({slope_a}) instead of at h_t ({slope_h})"),
    Bug("slope_twice", _CELL, "the derivative of {f} is applied to h_t as if it were the "
        "pre-activation ({slope_twice}) instead of {slope_h}"),
    Bug("tanh_linear", _CELL, "tanh' is taken as 1 - h_t instead of 1 - h_t²"),
    Bug("slope_prev", _CELL, "off by one step: the derivative of {f} uses h_{{t-1}} "
        "({slope_prev}) instead of h_t"),
    Bug("carry_no_transpose", _CELL, "a missing transpose: {dh} = {W} da_t instead of "
        "{W}^T da_t"),
    Bug("h_next", ("w_h",), "off by one step: da_t h_t^T instead of da_t h_{{t-1}}^T (h_t "
        "where h_{{t-1}} belongs)"),
    Bug("h_prev_out", ("w_y",), "off by one step: do_t h_{{t-1}}^T instead of do_t h_t^T "
        "(h_{{t-1}} where h_t belongs)"),
    Bug("first_step_only", GRADS[:5], "not summed over time: only step 1's term is left "
        "(overwritten at every step of the backward loop, = instead of +=)"),
    Bug("last_step_only", GRADS[:5], "not summed over time: only the last step's term is "
        "left (= instead of +=)"),
    Bug("first_sequence_only", GRADS[:5], "not summed over the batch: only the first "
        "sequence's term is left"),
    Bug("no_onehot", GRADS, "the softmax gradient without subtracting the one-hot target: "
        "do_t = y_hat_t instead of y_hat_t - y_t"),
    Bug("half_squared", GRADS, "the factor 2 of the squared loss is left out (the gradient "
        "of 1/2 (y_hat - y)²)"),
    Bug("steps_mean", GRADS, "the loss is averaged over the {n} steps where it is summed "
        "(every gradient divided by {n})"),
    Bug("steps_sum", GRADS, "the loss is summed over the {n} steps where it is averaged "
        "(every gradient {n} times too large)"),
    Bug("batch_mean", GRADS, "the loss is averaged over the {N} sequences where it is summed "
        "(every gradient divided by {N})"),
    Bug("batch_sum", GRADS, "the loss is summed over the {N} sequences where it is averaged "
        "(every gradient {N} times too large)"),
    Bug("transposed", ("w_x", "w_h", "w_y"), "a missing transpose: the gradient is the "
        "transpose of the right one"),
)}


def applies(case: Case, flag: str) -> bool:
    """Whether a bug can happen in this problem at all (and change something)."""
    n = case.targets
    return {
        "slope_pre": case.activation in ("tanh", "sigmoid"),
        "slope_twice": case.activation in ("tanh", "sigmoid"),
        "tanh_linear": case.activation == "tanh",
        "slope_prev": case.activation in ("tanh", "sigmoid"),
        "no_onehot": case.loss == "cross_entropy",
        "half_squared": case.loss == "squared",
        "steps_mean": case.reduction == "sum" and n > 1,
        "steps_sum": case.reduction == "mean" and n > 1,
        "batch_mean": case.batch == "sum" and case.N > 1,
        "batch_sum": case.batch == "mean" and case.N > 1,
        "first_sequence_only": case.N > 1,
        "first_step_only": case.T > 1, "last_step_only": case.T > 1,
    }.get(flag, True)


def _np():
    import numpy
    return numpy


def _f(name, np):
    return {"identity": lambda a: a, "tanh": np.tanh, "relu": lambda a: np.maximum(a, 0),
            "sigmoid": lambda a: 1 / (1 + np.exp(-a))}[name]


def _slope(case, a, h, h_prev, flags, np):
    """f'(a_t) as the loop computes it: from h_t, or as a bug writes it."""
    act = case.activation
    if act == "identity":
        return np.ones_like(a)
    if act == "relu":
        return (a > 0).astype(float)
    of = h_prev if "slope_prev" in flags else a if "slope_pre" in flags else \
        _f(act, np)(h) if "slope_twice" in flags else h
    if act == "tanh":
        return 1 - of if "tanh_linear" in flags else 1 - of ** 2
    return of * (1 - of)


def forward(case: Case):
    """(a, h, y_hat): a and y_hat N x T x ., h N x (T + 1) x H with h_0 first."""
    np = _np()
    p = case.params
    N, T = case.N, case.T
    H = p["w_h"].shape[0]
    f = _f(case.activation, np)
    a = case.x @ p["w_x"].T + p["b_h"]
    h = np.empty((N, T + 1, H))
    h[:, 0] = p["h_0"]
    for t in range(T):
        a[:, t] += h[:, t] @ p["w_h"].T
        h[:, t + 1] = f(a[:, t])
    o = h[:, 1:] @ p["w_y"].T + p["b_y"]
    if case.output == "softmax":
        e = np.exp(o - o.max(axis=2, keepdims=True))
        y_hat = e / e.sum(axis=2, keepdims=True)
    elif case.output == "sigmoid":
        y_hat = 1 / (1 + np.exp(-o))
    else:
        y_hat = o
    return a, h, y_hat


def _do(case: Case, y_hat, flags, np):
    """dL/do_t for every sequence and step, with the loss's and reductions' weights."""
    y = case.y
    if case.loss == "cross_entropy":
        # softmax (or sigmoid) with cross-entropy: dL_t/do_t = y_hat sum(y) - y (y_hat - y
        # for a one-hot or probability target); the bug leaves the target out
        total = y.sum(axis=2, keepdims=True) if case.output == "softmax" else 1
        do = y_hat * total - (0 if "no_onehot" in flags else y)
    else:
        dy_hat = (y_hat - y) * (1 if case.loss == "half_squared" or "half_squared" in flags
                                else 2)
        do = dy_hat * y_hat * (1 - y_hat) if case.output == "sigmoid" else dy_hat
    n, N = case.targets, case.N
    steps = 1 / n if case.reduction == "mean" and n > 1 else 1
    steps = 1 / n if "steps_mean" in flags else 1 if "steps_sum" in flags else steps
    seqs = 1 / N if case.batch == "mean" else 1
    seqs = 1 / N if "batch_mean" in flags else 1 if "batch_sum" in flags else seqs
    return do * case.has[None, :, None] * (steps * seqs)


def replay(case: Case, flags=frozenset(), carried=None, fwd=None) -> dict:
    """Every gradient (canonical names; h_0's N x H) of the backward loop with these bugs.

    `carried`: the N x H value {dh} starts the loop with (stale_carry); `fwd`: forward()'s
    result, when already computed."""
    np = _np()
    flags = frozenset(flags)
    p = case.params
    a, h, y_hat = fwd if fwd is not None else forward(case)
    N, T = case.N, case.T
    do = _do(case, y_hat, flags, np)
    x = case.x
    seqs = slice(0, 1) if "first_sequence_only" in flags else slice(None)
    only = 0 if "first_step_only" in flags else T - 1 if "last_step_only" in flags else None
    steps = range(T) if only is None else (only,)
    g = {k: np.zeros_like(p[k], dtype=float) for k in GRADS[:5]}
    # the output layer: dL/dw_y = sum_t do_t h_t^T, dL/db_y = sum_t do_t
    for t in steps:
        hy = h[seqs, t if "h_prev_out" in flags else t + 1]
        g["w_y"] += do[seqs, t].T @ hy
        g["b_y"] += do[seqs, t].sum(axis=0)
    # the recurrence, from the last step down: dL/dh_t = w_y^T do_t + w_h^T dL/da_{t+1}
    dnext = np.zeros((N, p["w_h"].shape[0]))
    if "stale_carry" in flags and carried is not None:
        dnext = np.array(carried, dtype=float)
    if "double_last" in flags:
        dnext = do[:, T - 1] @ p["w_y"]
    for t in range(T - 1, -1, -1):
        dh = do[:, t] @ p["w_y"] + dnext
        da = dh * _slope(case, a[:, t], h[:, t + 1], h[:, t], flags, np)
        if only is None or t == only:
            hw = h[seqs, t + 1 if "h_next" in flags else t]
            g["w_h"] += da[seqs].T @ hw
            g["w_x"] += da[seqs].T @ x[seqs, t]
            g["b_h"] += da[seqs].sum(axis=0)
        if "no_carry" not in flags:
            # dL/dh_{t-1} = w_h^T da_t (row-wise: da_t w_h); the bug forgets the transpose
            dnext = da @ (p["w_h"].T if "carry_no_transpose" in flags else p["w_h"])
    g["h_0"] = dnext
    if "transposed" in flags:
        g.update({k: g[k].T for k in WEIGHTS if g[k].shape[0] == g[k].shape[1]})
    return g


def variants(case: Case, flag: str, fwd=None):
    """Each replay of one bug: (its sentence's extra words, its gradients). A stale carry
    comes from one, two or three previous calls on the same sequences."""
    if flag != "stale_carry":
        yield "", replay(case, {flag}, fwd=fwd)
        return
    carried = replay(case, fwd=fwd)["h_0"]
    for calls in range(1, 4):
        g = replay(case, {flag}, carried, fwd)
        yield ("" if calls == 1 else f" ({calls} calls before)"), g
        carried = g["h_0"]
