"""The PyTorch side of the weights benchmark: an nn.RNN and nn.Linear head from a state_dict
(.pt), data from an .npz, cross-entropy (mean over sequences and steps, PyTorch's default),
backward, every gradient printed as JSON. Import included in its time.

    python benchmarks/torch_batch.py model.pt data.npz
"""

import json
import sys

import numpy as np
import torch

sd = torch.load(sys.argv[1], weights_only=True)
data = np.load(sys.argv[2])
D, H = sd["weight_ih_l0"].shape[1], sd["weight_hh_l0"].shape[1]
K = sd["fc.weight"].shape[0]
rnn, fc = torch.nn.RNN(D, H, batch_first=True).double(), torch.nn.Linear(H, K).double()
rnn.load_state_dict({k: v for k, v in sd.items() if not k.startswith("fc.")})
fc.load_state_dict({k[3:]: v for k, v in sd.items() if k.startswith("fc.")})
x, y = torch.tensor(data["x"]), torch.tensor(data["y"])
if x.dim() == 2:
    x, y = x[None], y[None]
out, _ = rnn(x)
loss = torch.nn.functional.cross_entropy(fc(out).reshape(-1, K), y.reshape(-1))
loss.backward()
grads = {**{k: p.grad.tolist() for k, p in rnn.named_parameters()},
         **{f"fc.{k}": p.grad.tolist() for k, p in fc.named_parameters()}}
print(json.dumps({"loss": loss.item(), **grads}))
