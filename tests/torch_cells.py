"""The oracle for gated cells: PyTorch's own nn.LSTMCell and nn.GRUCell (float64), with
gradients by autograd. It shares no code with rnn_cli.

Problems are dicts shaped like a TOML problem table (column layout). Our per-gate parameters
are laid into PyTorch's stacked ones; the mapping is the point of this file:

    LSTMCell  weight_ih = [w_xi; w_xf; w_xg; w_xo]   (4H x D, gate order i, f, g, o)
              weight_hh = [w_hi; w_hf; w_hg; w_ho]   (4H x H)
              bias_ih   = [b_i;  b_f;  b_g;  b_o ]   bias_hh = 0 (we have one bias per gate)
    GRUCell   weight_ih = [w_xr; w_xz; w_xn]         (3H x D, gate order r, z, n)
              weight_hh = [w_hr; w_hz; w_hn]         (3H x H)
              bias_ih   = [b_r;  b_z;  b_xn]         bias_hh = [0; 0; b_hn]
              (PyTorch: n = tanh(W_in x + b_in + r * (W_hn h + b_hn)))

so that dL/dw_xf is weight_ih.grad[H:2H], dL/db_hn is bias_hh.grad[2H:3H], and so on.
"""

import torch

from torch_oracle import num, step_loss   # the output layer and losses of the plain RNN

torch.set_default_dtype(torch.float64)
LSTM = ("i", "f", "g", "o")
GRU = ("r", "z", "n")


def _mat(v, m: int, n: int):
    """A parameter as an m x n tensor (a number is a 1 x 1 matrix)."""
    if not isinstance(v, list):
        return torch.full((m, n), num(v))
    rows = [r if isinstance(r, list) else [r] for r in v]
    t = torch.tensor([[num(e) for e in r] for r in rows])
    return t.reshape(m, n)


def _vec(params: dict, key: str, n: int):
    v = params.get(key, 0)
    return torch.tensor([num(e) for e in v]) if isinstance(v, list) else torch.full((n,), num(v))


def run(problem: dict, of: tuple[str, int] | None = None):
    """(grads, values): grads maps each of our parameter names to dL/d(it) as a tensor in our
    layout; values maps h_t, c_t, the gates and L to their tensors. `of` = (name, i): the
    gradients of entry i (0-based) of h_t, c_t or y_hat_t instead of L's."""
    cell_kind = problem["cell"]
    P = problem["params"]
    xs = [torch.tensor([num(e) for e in x]) if isinstance(x, list) else torch.tensor([num(x)])
          for x in problem["data"]["x"]]
    D = xs[0].numel()
    hw = "w_hi" if cell_kind == "lstm" else "w_hr"
    H = len(P[hw]) if isinstance(P[hw], list) else 1
    w_y_raw = P["w_y"]
    K = len(w_y_raw) if isinstance(w_y_raw, list) and isinstance(w_y_raw[0], list) else 1
    gates = LSTM if cell_kind == "lstm" else GRU
    cell = (torch.nn.LSTMCell if cell_kind == "lstm" else torch.nn.GRUCell)(D, H)
    xkey = lambda g: f"w_x{g}"
    bkey = lambda g: "b_xn" if (cell_kind, g) == ("gru", "n") else f"b_{g}"
    with torch.no_grad():
        cell.weight_ih.copy_(torch.cat([_mat(P[xkey(g)], H, D) for g in gates]))
        cell.weight_hh.copy_(torch.cat([_mat(P[f"w_h{g}"], H, H) for g in gates]))
        cell.bias_ih.copy_(torch.cat([_vec(P, bkey(g), H) for g in gates]))
        cell.bias_hh.zero_()
        if cell_kind == "gru":
            cell.bias_hh[2 * H:].copy_(_vec(P, "b_hn", H))
    w_y = _mat(w_y_raw, K, H).requires_grad_(True)
    b_y = _vec(P, "b_y", K).requires_grad_(True)
    h0 = _vec(P, "h_0", H).requires_grad_(True)
    c0 = _vec(P, "c_0", H).requires_grad_(True)
    T = len(xs)
    outputs = problem.get("outputs", "all")
    steps = list(range(1, T + 1)) if outputs == "all" else [T] if outputs == "last" \
        else sorted(outputs)
    ys = dict(zip(steps, problem["data"]["y"]))
    out, loss = problem.get("output", "identity"), problem.get("loss", "squared")
    h, c, total, values = h0.unsqueeze(0), c0.unsqueeze(0), 0, {}
    for t in range(1, T + 1):
        values.update(_gates(cell, cell_kind, xs[t - 1], h[0], t))
        if cell_kind == "lstm":
            h, c = cell(xs[t - 1].unsqueeze(0), (h, c))
            c.retain_grad()
            values[f"c_{t}"] = c
        else:
            h = cell(xs[t - 1].unsqueeze(0), h)
        h.retain_grad()                  # h.grad is then dL/dh_t over every path
        values[f"h_{t}"] = h
        o = w_y @ h[0] + b_y
        y_hat = {"identity": o, "sigmoid": torch.sigmoid(o), "softmax": torch.softmax(o, 0)}[out]
        values[f"y_hat_{t}"] = y_hat
        if t in ys:
            L = values[f"L_{t}"] = step_loss(out, loss, y_hat, ys[t], K)
            total = total + L
    if problem.get("reduction", "sum") == "mean":
        total = total / len(ys)
    values["L"] = total
    (total if of is None else values[of[0]].reshape(-1)[of[1]]).backward()
    block = lambda t, k: t[k * H:(k + 1) * H]
    grads = {"w_y": w_y.grad, "b_y": b_y.grad, "h_0": h0.grad}
    if cell_kind == "lstm":
        grads["c_0"] = c0.grad
    for k, g in enumerate(gates):
        grads[xkey(g)] = block(cell.weight_ih.grad, k)
        grads[f"w_h{g}"] = block(cell.weight_hh.grad, k)
        grads[bkey(g)] = block(cell.bias_ih.grad, k)
    if cell_kind == "gru":
        grads["b_hn"] = block(cell.bias_hh.grad, 2)
    return grads, values


def _gates(cell, kind: str, x, h, t: int) -> dict:
    """The gate values of step t, from PyTorch's documented equations on its own stacked
    weights (LSTMCell: i, f, g, o; GRUCell: r, z, n with r inside the n gate)."""
    with torch.no_grad():
        gi = cell.weight_ih @ x + cell.bias_ih
        gh = cell.weight_hh @ h + cell.bias_hh
        if kind == "lstm":
            i, f, g, o = (gi + gh).chunk(4)
            return {f"i_{t}": torch.sigmoid(i), f"f_{t}": torch.sigmoid(f),
                    f"g_{t}": torch.tanh(g), f"og_{t}": torch.sigmoid(o)}
        (ir, iz, in_), (hr, hz, hn) = gi.chunk(3), gh.chunk(3)
        r = torch.sigmoid(ir + hr)
        return {f"r_{t}": r, f"z_{t}": torch.sigmoid(iz + hz), f"n_{t}": torch.tanh(in_ + r * hn)}
