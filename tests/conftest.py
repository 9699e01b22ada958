"""Shared fixtures: the seed problem and a loader for problem dicts."""

import os
import sys
from pathlib import Path

import pytest
from hypothesis import settings

# CI runs the same examples every time (a red build must be reproducible); locally, new ones
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

sys.path.insert(0, str(Path(__file__).parent))   # tests/oracle.py and tests/strategies.py

from rnn_cli.model.files import load            # noqa: E402
from rnn_cli.model.problem import build         # noqa: E402

ROOT = Path(__file__).parent.parent
# the seed problem's tables as TOML text, for tests that write problem files
SEED_TABLES = """\
[params]
w_x = 0.1
w_h = 1
w_y = 2
h_0 = 1
[data]
x = [10, 10]
y = [5, 5]
"""
SEED = {"params": {"w_x": 0.1, "w_h": 1, "w_y": 2, "h_0": 1},
        "data": {"x": [10, 10], "y": [5, 5]}}
# two tanh units, a softmax over three classes, two steps: for the cross-entropy shortcut and
# the ranking of its mistakes
SOFTMAX = """
activation = "tanh"
output = "softmax"
loss = "cross_entropy"
[params]
w_x = [[0.5], [-0.3]]
w_h = [[0.1, -0.4], [0.7, 0.2]]
w_y = [[1, -1], [0.5, 0.3], [-0.2, 0.8]]
[data]
x = [1, -2]
y = [2, 3]
"""


def cs231n_arrays():
    """A CS231n minibatch (N, T, D, H, V = 3, 4, 5, 6, 7) drawn from seed 231, in CS231n's
    names and row layout: (the arrays Wx, Wh, b, h0, W_vocab, b_vocab; x N x T x D; the
    labels y N x T)."""
    import numpy as np
    rng = np.random.default_rng(231)
    N, T, D, H, V = 3, 4, 5, 6, 7
    a = {"Wx": rng.standard_normal((D, H)) * 0.5, "Wh": rng.standard_normal((H, H)) * 0.5,
         "b": rng.standard_normal(H) * 0.1, "h0": rng.standard_normal((N, H)),
         "W_vocab": rng.standard_normal((H, V)) * 0.5, "b_vocab": rng.standard_normal(V) * 0.1}
    x, y = rng.standard_normal((N, T, D)), rng.integers(0, V, (N, T))
    return a, x, y


def problem_of(d: dict, name: str = "p"):
    """A Problem from a dict shaped like a TOML problem table."""
    return build(d, name, name)


@pytest.fixture
def seed():
    return load(None, "assignment3")
