"""The same gradients with PyTorch autograd in float64, import included in its time.
Prints {"w_h": value or nested list, ...} in rnn-solve's column layout."""

import json
import sys
import tomllib

import torch

torch.set_default_dtype(torch.float64)
ACT = {"identity": lambda a: a, "tanh": torch.tanh, "relu": torch.relu,
       "sigmoid": torch.sigmoid}


def main(path: str) -> None:
    doc = tomllib.loads(open(path).read())
    p = doc["params"]
    vector = isinstance(p["w_h"], list)
    as_t = lambda v: torch.tensor(v, dtype=torch.float64)
    w_h = as_t(p["w_h"]) if vector else as_t([[p["w_h"]]])
    H = w_h.shape[0]
    w_x = as_t(p["w_x"]) if vector else as_t([[p["w_x"]]])
    w_y = as_t(p["w_y"]) if vector else as_t([[p["w_y"]]])
    K = w_y.shape[0]
    vec = lambda k, n: as_t(p[k]).reshape(-1).expand(n).clone() if k in p else torch.zeros(n)
    params = {"w_x": w_x, "w_h": w_h, "w_y": w_y, "b_h": vec("b_h", H), "b_y": vec("b_y", K),
              "h_0": vec("h_0", H)}
    for t in params.values():
        t.requires_grad_(True)
    f = ACT[doc.get("activation", "identity")]
    xs = as_t(doc["data"]["x"]).reshape(len(doc["data"]["x"]), -1)
    softmax = doc.get("output") == "softmax"
    h, L = params["h_0"], 0
    for t, y in enumerate(doc["data"]["y"]):
        h = f(params["w_h"] @ h + params["w_x"] @ xs[t] + params["b_h"])
        o = params["w_y"] @ h + params["b_y"]
        if softmax:   # cross-entropy of a class 1..K
            L = L - torch.log_softmax(o, 0)[y - 1]
        else:
            L = L + ((o - as_t(y).reshape(-1)) ** 2).sum()
    L.backward()
    out = {}
    for k, t in params.items():
        g = t.grad
        out[k] = g.tolist() if vector else g.reshape(-1)[0].item()
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1])
