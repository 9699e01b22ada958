"""The row layout (x W_x + h W_h, as course notebooks write it): gradients come out as the
notebook holds them, entries are the notebook's, and a notebook's answer key checks correct.
The oracle is the notebook's own computation, written here in numpy."""

import json

import numpy as np
from typer.testing import CliRunner

from rnn_cli.cli import app

runner = CliRunner()
W_xh = [[0.1, -0.2, 0.3], [0.4, 0.0, -0.1]]                     # D x H = 2 x 3
W_hh = [[0.5, 0.1, 0.0], [-0.2, 0.3, 0.1], [0.0, 0.2, -0.4]]    # H x H
W_hy = [[1.0, -1.0], [0.5, 0.2], [-0.3, 0.8]]                   # H x K = 3 x 2
X = [[1, 0], [0, 2]]
Y = [[0, 1], [1, 0]]
PROBLEM = (f'layout = "row"\nactivation = "tanh"\n[params]\nW_xh = {W_xh}\nW_hh = {W_hh}\n'
           f"W_hy = {W_hy}\n[data]\nx = {X}\ny = {Y}\n")


def notebook():
    """Forward and backward as a CS231n-style notebook writes them (row vectors)."""
    Wx, Wh, Wy = map(np.array, (W_xh, W_hh, W_hy))
    xs, ys = np.array(X, float), np.array(Y, float)
    hs = [np.zeros(3)]
    for x in xs:
        hs.append(np.tanh(x @ Wx + hs[-1] @ Wh))
    dWx, dWh, dWy, carry = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(Wy), np.zeros(3)
    for t in (1, 0):
        do = 2 * (hs[t + 1] @ Wy - ys[t])
        dWy += np.outer(hs[t + 1], do)
        da = (Wy @ do + carry) * (1 - hs[t + 1] ** 2)
        dWx += np.outer(xs[t], da)
        dWh += np.outer(hs[t], da)
        carry = Wh @ da
    return {"w_x": dWx, "w_h": dWh, "w_y": dWy}


def test_gradients_are_the_notebooks(tmp_path):
    f = tmp_path / "row.toml"
    f.write_text(PROBLEM)
    r = runner.invoke(app, ["grad", "--wrt", "all", "--format", "json", "-f", str(f)])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["layout"] == "row"
    for name, want in notebook().items():
        got = np.array(out["gradients"][name]["value"])
        assert got.shape == want.shape and np.abs(got - want).max() < 1e-14, name


def test_an_entry_is_the_notebooks_entry(tmp_path):
    f = tmp_path / "row.toml"
    f.write_text(PROBLEM)
    want = notebook()["w_x"][1, 2]          # W_xh[2,3] of the notebook: D x H
    r = runner.invoke(app, ["grad", "--wrt", "W_xh[2,3]", "--format", "json", "-f", str(f)])
    assert r.exit_code == 0, r.output
    (g,) = json.loads(r.stdout)["gradients"].values()
    assert abs(g["value"] - want) < 1e-15


def test_a_notebooks_key_checks_correct(tmp_path):
    g = notebook()
    text = lambda m: "[" + ", ".join("[" + ", ".join(f"{v:.6f}" for v in r) + "]" for r in m) + "]"
    f = tmp_path / "key.toml"
    f.write_text(PROBLEM + f'[answers]\n"dL/dW_hh" = {text(g["w_h"])}\n'
                 f'"dL/dW_xh" = {text(g["w_x"])}\n"dL/dW_hh[1,2]" = {g["w_h"][0, 1]:.6f}\n')
    r = runner.invoke(app, ["check", str(f), "--format", "json"])
    assert r.exit_code == 0, r.output
    assert {x["verdict"] for x in json.loads(r.stdout)["results"]} == {"correct"}
    # the column layout's matrix (the transpose) is not the notebook's answer
    f.write_text(PROBLEM + f'[answers]\n"dL/dW_hh" = {text(g["w_h"].T)}\n')
    r = runner.invoke(app, ["check", str(f), "--format", "json"])
    assert r.exit_code == 1
