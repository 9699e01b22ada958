"""The floor of the min-char-rnn benchmark: a plain numpy script that loads the .npz and
runs Karpathy's lossFun (min-char-rnn.py, without its sampling and training loop).

    python benchmarks/min_char_rnn.py min-char-rnn.npz      # prints the gradients as JSON
"""

import json
import sys

import numpy as np


def lossFun(inputs, targets, hprev, Wxh, Whh, Why, bh, by):
    vocab_size = Wxh.shape[1]
    xs, hs, ys, ps = {}, {}, {}, {}
    hs[-1] = np.copy(hprev)
    loss = 0
    for t in range(len(inputs)):
        xs[t] = np.zeros((vocab_size, 1))
        xs[t][inputs[t]] = 1
        hs[t] = np.tanh(np.dot(Wxh, xs[t]) + np.dot(Whh, hs[t - 1]) + bh)
        ys[t] = np.dot(Why, hs[t]) + by
        ps[t] = np.exp(ys[t]) / np.sum(np.exp(ys[t]))
        loss += -np.log(ps[t][targets[t], 0])
    dWxh, dWhh, dWhy = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(Why)
    dbh, dby = np.zeros_like(bh), np.zeros_like(by)
    dhnext = np.zeros_like(hs[0])
    for t in reversed(range(len(inputs))):
        dy = np.copy(ps[t])
        dy[targets[t]] -= 1
        dWhy += np.dot(dy, hs[t].T)
        dby += dy
        dh = np.dot(Why.T, dy) + dhnext
        dhraw = (1 - hs[t] * hs[t]) * dh
        dbh += dhraw
        dWxh += np.dot(dhraw, xs[t].T)
        dWhh += np.dot(dhraw, hs[t - 1].T)
        dhnext = np.dot(Whh.T, dhraw)
    return loss, dWxh, dWhh, dWhy, dbh, dby


if __name__ == "__main__":
    f = np.load(sys.argv[1])
    loss, *grads = lossFun(f["x"], f["y"], f["hprev"], f["Wxh"], f["Whh"], f["Why"], f["bh"],
                           f["by"])
    names = ("dWxh", "dWhh", "dWhy", "dbh", "dby")
    print(json.dumps({"loss": loss, **{k: g.tolist() for k, g in zip(names, grads)}}))
