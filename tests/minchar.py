"""min-char-rnn's lossFun (Karpathy), written out in numpy as the course gives it, with each
mistake of `check --answers` planted behind a flag: the oracle of tests/test_gradcheck.py.

It shares no code with rnn_cli. Column vectors, one-hot inputs, softmax and cross-entropy
summed over the steps; `dtype` runs the whole pass in float32 as a student's code might.
"""

import numpy as np


def lossFun(inputs, targets, hprev, Wxh, Whh, Why, bh, by, bug=None, dtype=np.float64,
            dhnext0=None):
    """inputs, targets: lists of integers (0-based); hprev: H x 1. Returns loss, dWxh, dWhh,
    dWhy, dbh, dby, hs[last] and the dhnext left at the end (dL/dh_0)."""
    Wxh, Whh, Why, bh, by, hprev = (np.asarray(m, dtype=dtype)
                                    for m in (Wxh, Whh, Why, bh, by, hprev))
    vocab = Why.shape[0]
    xs, hs, hraw, ys, ps = {}, {}, {}, {}, {}
    hs[-1] = np.copy(hprev)
    loss = 0
    for t in range(len(inputs)):
        xs[t] = np.zeros((Wxh.shape[1], 1), dtype=dtype)
        xs[t][inputs[t]] = 1
        hraw[t] = np.dot(Wxh, xs[t]) + np.dot(Whh, hs[t - 1]) + bh
        hs[t] = np.tanh(hraw[t])
        ys[t] = np.dot(Why, hs[t]) + by
        ps[t] = np.exp(ys[t]) / np.sum(np.exp(ys[t]))
        loss += -np.log(ps[t][targets[t], 0])
    T = len(inputs)
    dWxh, dWhh, dWhy = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(Why)
    dbh, dby = np.zeros_like(bh), np.zeros_like(by)
    dhnext = np.zeros_like(hs[0]) if dhnext0 is None else np.asarray(dhnext0, dtype=dtype)
    if bug == "double_last":
        t = T - 1
        dy = np.copy(ps[t]); dy[targets[t]] -= 1
        dhnext = np.dot(Why.T, dy)
    for t in reversed(range(T)):
        dy = np.copy(ps[t])
        if bug != "no_onehot":
            dy[targets[t]] -= 1          # backprop into y
        if bug == "steps_mean":
            dy = dy / T
        if bug == "first_step_only":     # = instead of +=: step 0 is written last
            dWhy = np.dot(dy, hs[t].T)
            dby = np.copy(dy)
        elif bug == "h_prev_out":
            dWhy += np.dot(dy, hs[t - 1].T)
            dby += dy
        else:
            dWhy += np.dot(dy, hs[t].T)
            dby += dy
        dh = np.dot(Why.T, dy) + dhnext  # backprop into h
        if bug == "slope_pre":
            dhraw = (1 - hraw[t] * hraw[t]) * dh
        elif bug == "tanh_linear":
            dhraw = (1 - hs[t]) * dh
        elif bug == "slope_twice":
            dhraw = (1 - np.tanh(hs[t]) ** 2) * dh
        elif bug == "slope_prev":
            dhraw = (1 - hs[t - 1] * hs[t - 1]) * dh
        else:
            dhraw = (1 - hs[t] * hs[t]) * dh  # backprop through tanh
        if bug == "first_step_only":
            dbh = np.copy(dhraw)
            dWxh = np.dot(dhraw, xs[t].T)
            dWhh = np.dot(dhraw, hs[t - 1].T)
        else:
            dbh += dhraw
            dWxh += np.dot(dhraw, xs[t].T)
            if bug == "h_next":
                dWhh += np.dot(dhraw, hs[t].T)
            elif bug == "transposed":
                dWhh += np.dot(hs[t - 1], dhraw.T)
            else:
                dWhh += np.dot(dhraw, hs[t - 1].T)
        if bug == "no_carry":
            pass                         # dhnext is never updated
        elif bug == "carry_no_transpose":
            dhnext = np.dot(Whh, dhraw)
        else:
            dhnext = np.dot(Whh.T, dhraw)
    # min-char-rnn clips every gradient to [-5, 5]; the tests' weights keep them far inside
    return loss, dWxh, dWhh, dWhy, dbh, dby, hs[T - 1], dhnext


def weights(H, V, seed, scale=0.01):
    """min-char-rnn's initialisation (randn * 0.01, zero biases), or a larger scale so that
    tanh is not linear."""
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((H, V)) * scale, rng.standard_normal((H, H)) * scale,
            rng.standard_normal((V, H)) * scale, rng.standard_normal((H, 1)) * scale,
            rng.standard_normal((V, 1)) * scale, np.tanh(rng.standard_normal((H, 1))))
