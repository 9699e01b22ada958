"""The float64 path of array problems: the forward pass and backpropagation through time of
the plain RNN, the LSTM and the GRU over a minibatch of N sequences, vectorised with numpy.

The formulas are the spec's (column vectors, README's gate equations); the arrays hold each
sequence's vectors as rows, so w_h h_{t-1} is h[t-1] @ w_h.T for all N at once (inside,
arrays are time-major, T x N x size; the Run holds them N x T x size). The loss
is L = (1/N or 1) Σ_n L^(n), L^(n) = (1/|targets| or 1) Σ_t L_t^(n); the backward pass
carries dL/dh_t (and dL/dc_t) from t = T down to 1, so dL/dW = Σ_n Σ_t (the local gradient at
step t of sequence n) (the input of W there)^T.
"""

from dataclasses import dataclass

from ..model.errors import Overflow

GATES = {"rnn": ("",), "lstm": ("i", "f", "g", "o"), "gru": ("r", "z", "n")}


@dataclass(frozen=True)
class Run:
    """Every value of the forward and backward passes. Per-step arrays are N x T x (size);
    h and c are N x (T + 1) x H with h_0, c_0 at index 0; dh likewise with dL/dh_0."""
    problem: object
    steps: dict          # name -> N x T x size: a, h (T+1), gates, c (T+1), o, y_hat
    L_t: object          # N x T (0 where there is no target)
    L_n: object          # N: each sequence's loss
    L: float
    weight: object       # N x T: how much dL_t^(n) counts in L
    adjoints: dict       # dL/d(.) of the per-step quantities: h (T+1), a or gates' a*, c, o
    grads: dict          # canonical parameter -> dL/d(it), shaped as the parameter


def _np():
    import numpy
    return numpy


def _sig(np, a):
    return 0.5 * (1 + np.tanh(0.5 * a))   # the logistic sigmoid, without overflow


def run(p) -> Run:
    """The forward and backward passes of array problem p."""
    np = _np()
    with np.errstate(all="ignore"):
        out = _run(p, np)
    for k, v in (("the loss", out.L_t), *(("the gradients", g) for g in out.grads.values())):
        if not np.isfinite(v).all():
            raise Overflow(f"overflow: {k} left the range of float64; the inputs or weights "
                           "are too large in magnitude")
    return out


def _stack(p, np, prefix: str):
    """The gates' weights one above another: [w_xi; w_xf; ...] (G H x D or G H x H)."""
    gates = GATES[p.cell]
    return np.concatenate([p.params[f"{prefix}{g}"] for g in gates], axis=0)


def _bias(p, np):
    if p.cell == "rnn":
        return p.params["b_h"]
    names = {"lstm": ("b_i", "b_f", "b_g", "b_o"), "gru": ("b_r", "b_z", "b_xn")}[p.cell]
    return np.concatenate([p.params[b] for b in names])


def _run(p, np) -> Run:
    N, T, H = p.N, p.T, p.H
    Wx, Wh, b = _stack(p, np, "w_x"), _stack(p, np, "w_h"), _bias(p, np)
    x = np.ascontiguousarray(p.x.transpose(1, 0, 2))   # time-major inside: T x N x D
    xin = x @ Wx.T + b                         # the input part of every pre-activation at once
    h = np.empty((T + 1, N, H))
    h[0] = p.params["h_0"]
    steps = {}
    if p.cell == "rnn":
        f = {"identity": lambda a: a, "tanh": np.tanh, "relu": lambda a: np.maximum(a, 0),
             "sigmoid": lambda a: _sig(np, a)}[p.activation]
        a = xin
        for t in range(T):                       # a_t = w_h h_{t-1} + w_x x_t + b_h
            a[t] += h[t] @ Wh.T
            h[t + 1] = f(a[t])
        steps["a"] = a
    elif p.cell == "lstm":
        c = np.empty((T + 1, N, H))
        c[0] = p.params["c_0"]
        z = xin                                  # ai, af, ag, ao side by side: N x T x 4H
        for t in range(T):
            z[t] += h[t] @ Wh.T
            gi, gf, gg, go = (z[t, :, k * H:(k + 1) * H] for k in range(4))
            i, fg, g, o = _sig(np, gi), _sig(np, gf), np.tanh(gg), _sig(np, go)
            c[t + 1] = fg * c[t] + i * g
            h[t + 1] = o * np.tanh(c[t + 1])
        pre = {k: z[:, :, j * H:(j + 1) * H] for j, k in enumerate(("ai", "af", "ag", "ao"))}
        steps.update(pre)
        steps.update(i=_sig(np, pre["ai"]), f=_sig(np, pre["af"]), g=np.tanh(pre["ag"]),
                     og=_sig(np, pre["ao"]), c=c)
    else:
        Whrz, whn, bhn = Wh[:2 * H], Wh[2 * H:], p.params["b_hn"]
        ar, az, an_, hn = (np.empty((T, N, H)) for _ in range(4))
        r, zg, n = (np.empty((T, N, H)) for _ in range(3))
        for t in range(T):
            rz = xin[t, :, :2 * H] + h[t] @ Whrz.T
            ar[t], az[t] = rz[:, :H], rz[:, H:]
            r[t], zg[t] = _sig(np, ar[t]), _sig(np, az[t])
            hn[t] = h[t] @ whn.T + bhn          # hn_t = w_hn h_{t-1} + b_hn
            an_[t] = xin[t, :, 2 * H:] + r[t] * hn[t]
            n[t] = np.tanh(an_[t])
            h[t + 1] = (1 - zg[t]) * n[t] + zg[t] * h[t]
        steps.update(ar=ar, r=r, az=az, z=zg, hn=hn, an=an_, n=n)
    steps["h"] = h

    # the output layer and the loss, every step of every sequence at once
    wy, by = p.params["w_y"], p.params["b_y"]
    o = h[1:] @ wy.T + by
    if p.output == "softmax":
        e = np.exp(o - o.max(axis=2, keepdims=True))
        y_hat = e / e.sum(axis=2, keepdims=True)
    elif p.output == "sigmoid":
        y_hat = _sig(np, o)
    else:
        y_hat = o
    y, has = np.ascontiguousarray(p.y.transpose(1, 0, 2)), p.has
    if p.loss == "squared":
        lt = ((y_hat - y) ** 2).sum(axis=2)
    elif p.loss == "half_squared":
        lt = ((y_hat - y) ** 2).sum(axis=2) / 2
    elif p.output == "softmax":
        lt = -np.where(y != 0, y * np.log(y_hat), 0).sum(axis=2)
    else:
        lt = -(np.where(y != 0, y * np.log(y_hat), 0)
               + np.where(y != 1, (1 - y) * np.log(1 - y_hat), 0)).sum(axis=2)
    lt = np.where(has[:, None], lt, 0)
    per_t = 1 / has.sum() if p.reduction == "mean" else 1.0
    per_n = 1 / N if p.batch == "mean" else 1.0
    L_n = lt.sum(axis=0) * per_t
    L = float(L_n.sum() * per_n)
    weight = np.where(has[:, None], per_t * per_n, 0.0) * np.ones((1, N))
    steps.update(o=o, y_hat=y_hat)

    # backward: dL/dy_hat, dL/do where there is a target (each weighted by its share of L)
    w = weight[:, :, None]
    if p.loss == "squared":
        dy = 2 * (y_hat - y)
    elif p.loss == "half_squared":
        dy = y_hat - y
    elif p.output == "softmax":
        dy = None                                # with softmax: dL/do = y_hat - y at once
    else:
        dy = (1 - y) / (1 - y_hat) - y / y_hat
    if p.output == "softmax" and p.loss == "cross_entropy":
        do = (y_hat * y.sum(axis=2, keepdims=True) - y) * w
    else:
        dy = dy * w
        if p.output == "softmax":
            do = y_hat * (dy - (y_hat * dy).sum(axis=2, keepdims=True))
        elif p.output == "sigmoid":
            do = dy * y_hat * (1 - y_hat)
        else:
            do = dy
    grads = {"w_y": _outer(do, h[1:]), "b_y": do.sum(axis=(0, 1))}
    from_o = do @ wy                             # w_y^T dL/do_t, every step at once
    dh = np.zeros((T + 1, N, H))
    adj = {"o": do, "h": dh}
    if p.cell == "rnn":
        _back_rnn(p, np, steps, from_o, dh, adj, Wh)
    elif p.cell == "lstm":
        _back_lstm(p, np, steps, from_o, dh, adj, Wh, H)
    else:
        _back_gru(p, np, steps, from_o, dh, adj, Wh, H)
    _param_grads(p, np, steps, adj, grads, x, h)
    nt = lambda a: a.transpose(1, 0, *range(2, a.ndim))    # T x N x . -> N x T x .
    return Run(p, {k: nt(v) for k, v in steps.items()}, lt.T, L_n, L, weight.T,
               {k: nt(v) for k, v in adj.items()}, grads)


def _back_rnn(p, np, s, from_o, dh, adj, Wh):
    h, a = s["h"], s["a"]
    slope = {"identity": lambda: np.ones_like(a), "tanh": lambda: 1 - h[1:] ** 2,
             "sigmoid": lambda: h[1:] * (1 - h[1:]),
             "relu": lambda: (a > 0).astype(float)}[p.activation]()
    da = np.empty_like(a)
    carry = np.zeros_like(h[0])               # w_h^T dL/da_{t+1}: dh_next
    for t in range(p.T - 1, -1, -1):
        dh[t + 1] = from_o[t] + carry       # dL/dh_t gathers L_t and the path via h_{t+1}
        da[t] = dh[t + 1] * slope[t]     # dL/da_t = dL/dh_t ⊙ f'(a_t)
        carry = da[t] @ Wh
    dh[0] = carry
    adj["a"] = da


def _back_lstm(p, np, s, from_o, dh, adj, Wh, H):
    c, i, f, g, og = s["c"], s["i"], s["f"], s["g"], s["og"]
    tc = np.tanh(c[1:])
    dz = np.empty((p.T, p.N, 4 * H))
    dc = np.zeros((p.T + 1, p.N, H))
    carry_h = np.zeros((p.N, H))
    carry_c = np.zeros((p.N, H))                  # dL/dc_{t+1} ⊙ f_{t+1}
    for t in range(p.T - 1, -1, -1):
        dh[t + 1] = from_o[t] + carry_h
        dct = dh[t + 1] * og[t] * (1 - tc[t] ** 2) + carry_c
        dc[t + 1] = dct
        di, df, dg = dct * g[t], dct * c[t], dct * i[t]
        do_ = dh[t + 1] * tc[t]
        dz[t, :, :H] = di * i[t] * (1 - i[t])
        dz[t, :, H:2 * H] = df * f[t] * (1 - f[t])
        dz[t, :, 2 * H:3 * H] = dg * (1 - g[t] ** 2)
        dz[t, :, 3 * H:] = do_ * og[t] * (1 - og[t])
        carry_h = dz[t] @ Wh
        carry_c = dct * f[t]
    dh[0] = carry_h
    dc[0] = carry_c
    adj.update(c=dc, z=dz, **{k: dz[:, :, j * H:(j + 1) * H]
                              for j, k in enumerate(("ai", "af", "ag", "ao"))})


def _back_gru(p, np, s, from_o, dh, adj, Wh, H):
    h, r, z, n, hn = s["h"], s["r"], s["z"], s["n"], s["hn"]
    whn = Wh[2 * H:]
    dz_ = np.empty((p.T, p.N, 3 * H))             # dL/dar, dL/daz, dL/dan side by side
    dhn = np.empty((p.T, p.N, H))
    carry = np.zeros((p.N, H))
    for t in range(p.T - 1, -1, -1):
        dht = from_o[t] + carry
        dh[t + 1] = dht
        dn = dht * (1 - z[t])
        dzt = dht * (h[t] - n[t])
        dan = dn * (1 - n[t] ** 2)
        dr = dan * hn[t]
        dhn[t] = dan * r[t]
        dz_[t, :, :H] = dr * r[t] * (1 - r[t])
        dz_[t, :, H:2 * H] = dzt * z[t] * (1 - z[t])
        dz_[t, :, 2 * H:] = dan
        carry = dht * z[t] + dz_[t, :, :2 * H] @ Wh[:2 * H] + dhn[t] @ whn
    dh[0] = carry
    adj.update(z_=dz_, hn=dhn, ar=dz_[:, :, :H], az=dz_[:, :, H:2 * H], an=dz_[:, :, 2 * H:])


def _outer(d, inp):
    """Σ_n Σ_t d_t^(n) (inp_t^(n))^T: one matrix product over every step of every sequence."""
    return d.reshape(-1, d.shape[-1]).T @ inp.reshape(-1, inp.shape[-1])


def _param_grads(p, np, s, adj, grads, x, h):
    """dL/dW = Σ_n Σ_t (gradient at the pre-activation) (W's input)^T; biases Σ_n Σ_t."""
    hp = h[:-1]
    if p.cell == "rnn":
        da = adj["a"]
        grads.update(w_x=_outer(da, x), w_h=_outer(da, hp),
                     b_h=da.sum(axis=(0, 1)))
    elif p.cell == "lstm":
        for g in "ifgo":
            d = adj[f"a{g}"]
            grads[f"w_x{g}"] = _outer(d, x)
            grads[f"w_h{g}"] = _outer(d, hp)
            grads[f"b_{g}"] = d.sum(axis=(0, 1))
    else:
        for g in "rzn":
            d = adj[f"a{g}"]
            grads[f"w_x{g}"] = _outer(d, x)
            grads["b_xn" if g == "n" else f"b_{g}"] = d.sum(axis=(0, 1))
            if g != "n":
                grads[f"w_h{g}"] = _outer(d, hp)
        grads["w_hn"] = _outer(adj["hn"], hp)
        grads["b_hn"] = adj["hn"].sum(axis=(0, 1))
    grads["h_0"] = adj["h"][0]
    if p.cell == "lstm":
        grads["c_0"] = adj["c"][0]
    for k in ("h_0", "c_0"):     # one state shared by every sequence: its gradients add up
        if k in grads and (k in p.shared or not p.batched):
            grads[k] = grads[k].sum(axis=0)
