"""Writes the files of docs/gradcheck.md's examples: a tiny min-char-rnn (H = 4, a vocabulary
of 3, T = 4) as minchar.npz, and a student's gradients from Karpathy's lossFun, right
(grads-right.npz) and with dhnext never updated (grads-dhnext.npz).

    python docs/examples/minchar_grads.py
"""

from pathlib import Path

import numpy as np

HERE = Path(__file__).parent


def loss_fun(inputs, targets, hprev, Wxh, Whh, Why, bh, by, carry=True):
    """min-char-rnn's lossFun (without its clipping); carry=False forgets dhnext."""
    xs, hs, ps = {}, {-1: hprev}, {}
    for t, i in enumerate(inputs):
        xs[t] = np.zeros((Wxh.shape[1], 1))
        xs[t][i] = 1
        hs[t] = np.tanh(Wxh @ xs[t] + Whh @ hs[t - 1] + bh)
        y = Why @ hs[t] + by
        ps[t] = np.exp(y) / np.exp(y).sum()
    dWxh, dWhh, dWhy = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(Why)
    dbh, dby, dhnext = np.zeros_like(bh), np.zeros_like(by), np.zeros_like(hprev)
    for t in reversed(range(len(inputs))):
        dy = ps[t].copy()
        dy[targets[t]] -= 1
        dWhy += dy @ hs[t].T
        dby += dy
        dh = Why.T @ dy + dhnext
        dhraw = (1 - hs[t] ** 2) * dh
        dbh += dhraw
        dWxh += dhraw @ xs[t].T
        dWhh += dhraw @ hs[t - 1].T
        if carry:
            dhnext = Whh.T @ dhraw
    return {"dWxh": dWxh, "dWhh": dWhh, "dWhy": dWhy, "dbh": dbh, "dby": dby}


if __name__ == "__main__":
    rng = np.random.default_rng(2026)
    H, V = 4, 3
    w = {"Wxh": rng.standard_normal((H, V)) * 0.5, "Whh": rng.standard_normal((H, H)) * 0.5,
         "Why": rng.standard_normal((V, H)) * 0.5, "bh": np.zeros((H, 1)),
         "by": np.zeros((V, 1)), "hprev": np.zeros((H, 1))}
    inputs, targets = [0, 1, 2, 1], [1, 2, 1, 0]
    np.savez(HERE / "minchar.npz", **w, x=np.array(inputs), y=np.array(targets))
    args = (inputs, targets, w["hprev"], w["Wxh"], w["Whh"], w["Why"], w["bh"], w["by"])
    np.savez(HERE / "grads-right.npz", **loss_fun(*args))
    np.savez(HERE / "grads-dhnext.npz", **loss_fun(*args, carry=False))
    f32 = loss_fun(*(a if isinstance(a, list) else a.astype(np.float32) for a in args))
    np.savez(HERE / "grads-float32.npz", **f32)
