"""A second, independent oracle: the model of the spec written in PyTorch (float64), with
gradients by autograd. It shares no code with rnn_cli. Problems are dicts shaped like a TOML
problem table; vectors are lists, matrices lists of rows (column layout unless
layout = "row")."""

from fractions import Fraction

import torch

torch.set_default_dtype(torch.float64)
PARAMS = ("w_x", "w_h", "w_y", "b_h", "b_y", "h_0")
F = {"identity": lambda v: v, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu}


def num(v) -> float:
    return float(Fraction(str(v)))


def tensor(v):
    if isinstance(v, list):
        return torch.tensor([[num(e) for e in r] if isinstance(r, list) else num(r) for r in v])
    return torch.tensor(num(v))


def run(problem: dict):
    """Every quantity (name -> tensor) after backward(): params carry .grad."""
    p = {k: tensor(v) for k, v in problem["params"].items()}
    w_h = p["w_h"].reshape(p["w_h"].shape[0] if p["w_h"].dim() else 1, -1)
    H = w_h.shape[0]
    xs = [tensor(x).reshape(-1) for x in problem["data"]["x"]]
    D = xs[0].numel()
    w_x = p["w_x"].reshape(H, D)
    w_y = p["w_y"].reshape(-1, H)
    if problem.get("layout") == "row":
        w_x, w_h, w_y = (tensor(problem["params"][k]).T for k in ("w_x", "w_h", "w_y"))
    K = w_y.shape[0]
    vec = lambda k, n: p[k].reshape(-1).expand(n).clone() if k in p else torch.zeros(n)
    params = {"w_x": w_x, "w_h": w_h, "w_y": w_y, "b_h": vec("b_h", H), "b_y": vec("b_y", K),
              "h_0": vec("h_0", H)}
    for t in params.values():
        t.requires_grad_(True)
    T = len(xs)
    outputs = problem.get("outputs", "all")
    steps = list(range(1, T + 1)) if outputs == "all" else [T] if outputs == "last" \
        else sorted(outputs)
    ys = dict(zip(steps, problem["data"]["y"]))
    f = F[problem.get("activation", "identity")]
    out = problem.get("output", "identity")
    loss = problem.get("loss", "squared")
    h, total, q = params["h_0"], 0, {}
    for t in range(1, T + 1):
        a = params["w_h"] @ h + params["w_x"] @ xs[t - 1] + params["b_h"]
        h = f(a)
        o = params["w_y"] @ h + params["b_y"]
        y_hat = {"identity": o, "sigmoid": torch.sigmoid(o),
                 "softmax": torch.softmax(o, 0)}[out]
        q.update({f"a_{t}": a, f"h_{t}": h, f"o_{t}": o, f"y_hat_{t}": y_hat})
        if t in ys:
            y = ys[t]
            L = q[f"L_{t}"] = step_loss(out, loss, y_hat, y, K)
            total = total + L
    if problem.get("reduction", "sum") == "mean":
        total = total / len(ys)
    total.backward()
    q["L"] = total
    return params, q


def step_loss(out: str, loss: str, y_hat, y, K: int):
    """L_t of spec section 1 for one target y (a number, a list, or a class 1..K)."""
    if out == "softmax" and loss == "cross_entropy" and not isinstance(y, list):
        y = [1.0 if k == int(y) else 0.0 for k in range(1, K + 1)]
    y = tensor(y).reshape(-1)
    if loss == "squared":
        return ((y_hat - y) ** 2).sum()
    if loss == "half_squared":
        return ((y_hat - y) ** 2).sum() / 2
    if out == "softmax":
        return -(y * torch.log(y_hat)).sum()
    return -(y * torch.log(y_hat) + (1 - y) * torch.log(1 - y_hat)).sum()
