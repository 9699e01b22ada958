"""Large problems in float64 (rnn_cli/derive/fast.py): the numbers against the independent oracle,
and what a table and JSON show of the steps that are not written out."""

import json
import random

import pytest
from typer.testing import CliRunner

from oracle import derivative, evaluate
from rnn_cli.cli import app

runner = CliRunner()
PARAMS = ("w_x", "w_h", "w_y", "b_h", "b_y", "h_0")


def scalar_problem(T: int, seed: int, **options) -> dict:
    rng = random.Random(seed)
    r = lambda: round(rng.uniform(-1, 1), 3)
    return {"activation": "tanh", **options,
            "params": {"w_x": r(), "w_h": round(rng.uniform(0.5, 1.1), 3), "w_y": r(),
                       "b_h": r(), "b_y": r(), "h_0": r()},
            "data": {"x": [r() for _ in range(T)], "y": [r() for _ in range(T)]}}


def toml(d: dict) -> str:
    out = [f'{k} = "{v}"' for k, v in d.items() if isinstance(v, str)]
    out.append("[params]")
    out += [f"{k} = {v}" for k, v in d["params"].items()]
    out.append("[data]")
    out += [f"{k} = {v}" for k, v in d["data"].items()]
    return "\n".join(out) + "\n"


def cli_json(tmp_path, d: dict, *args):
    f = tmp_path / "p.toml"
    f.write_text(toml(d))
    r = runner.invoke(app, [*args, "--format", "json", "-f", str(f)])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def agree(ours: float, exact, digits: int = 12) -> bool:
    return abs(ours - float(exact)) <= 10 ** -digits * max(abs(float(exact)), 1e-300)


@pytest.mark.parametrize("seed, options", [(1, {}), (2, {"reduction": "mean"}),
                                           (3, {"output": "sigmoid", "activation": "sigmoid"})])
def test_twelve_digits_at_T_1000(tmp_path, seed, options):
    """The README's promise: at T = 1000 every gradient keeps 12 significant digits."""
    d = scalar_problem(1000, seed, **options)
    if options.get("output") == "sigmoid":   # a squared loss of outputs in (0, 1)
        d["data"]["y"] = [abs(y) for y in d["data"]["y"]]
    out = cli_json(tmp_path, d, "grad", "--wrt", "all")
    assert out["arithmetic"] == "float64"
    assert out["left_out"] == {"first": 3, "last": 998}
    for p in PARAMS:
        want = derivative(d, "L", p)
        assert agree(out["gradients"][p]["value"], want), (p, out["gradients"][p], want)


def test_adjoints_of_every_step(tmp_path):
    d = scalar_problem(1000, 4)
    out = cli_json(tmp_path, d, "grad", "--wrt", "h_500", "--wrt", "a_999")
    assert len(out["adjoints"]["h"]) == 1000 and len(out["adjoints"]["a"]) == 1000
    for name, t in (("h", 500), ("a", 999)):
        want = derivative(d, "L", f"{name}_{t}")
        assert agree(out["gradients"][f"{name}_{t}"]["value"], want)
        assert agree(out["adjoints"][name][t - 1], want)


def test_forward_values_of_every_step(tmp_path):
    d = scalar_problem(1000, 5)
    out = cli_json(tmp_path, d, "forward")
    q = evaluate(d)
    assert len(out["steps"]) == 1000
    for t in (1, 2, 500, 999, 1000):
        s = out["steps"][t - 1]
        assert agree(s["h"], q[f"h_{t}"]) and agree(s["loss"], q[f"L_{t}"])
    assert agree(out["loss"], q["L"])
    # the derivation writes out the first and last steps only
    assert {s["t"] for s in out["derivation"]} == {1, 2, 999, 1000, None}


def test_table_says_what_it_leaves_out(tmp_path):
    d = scalar_problem(1000, 6)
    f = tmp_path / "p.toml"
    f.write_text(toml(d))
    r = runner.invoke(app, ["grad", "--wrt", "w_h", "-f", str(f)], terminal_width=200)
    assert r.exit_code == 0, r.output
    assert "996 steps (3 to 998) left out" in r.stdout
    assert "[996 more" in r.stdout      # the terms of dL/dw_h from those steps, as one
    r = runner.invoke(app, ["forward", "-f", str(f)], terminal_width=200)
    assert "996 steps (3 to 998) left out" in r.stdout and "h_1000" in r.stdout


def test_all_steps_writes_every_step(tmp_path):
    d = scalar_problem(1000, 7)
    out = cli_json(tmp_path, d, "grad", "--wrt", "w_x", "--all-steps")
    assert "left_out" not in out
    assert {s["t"] for s in out["recursion"]} >= set(range(1, 1001))
    assert agree(out["gradients"]["w_x"]["value"], derivative(d, "L", "w_x"))


def test_float64_overflow_is_one_line(tmp_path):
    # identity activation with H = 8 at T = 1000 is beyond exact arithmetic; w_h = 10 I makes
    # h_t grow like 10^t, past float64's range near t = 308
    H = 8
    eye = [[10 if i == j else 0 for j in range(H)] for i in range(H)]
    f = tmp_path / "big.toml"
    f.write_text(f"[params]\nw_h = {eye}\nw_x = {[[1]] * H}\nw_y = {[[1] * H]}\n"
                 f"[data]\nx = {[1] * 1000}\ny = {[0] * 1000}\n")
    r = runner.invoke(app, ["grad", "--wrt", "w_h", "-f", str(f)])
    assert r.exit_code == 2
    assert "float64" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert "Traceback" not in r.output


def test_check_refuses_a_problem_beyond_exact_work(tmp_path):
    H = 8
    f = tmp_path / "big.toml"
    f.write_text(f"[params]\nw_h = {[[0] * H] * H}\nw_x = {[[1]] * H}\nw_y = {[[1] * H]}\n"
                 f"[data]\nx = {[1] * 1000}\ny = {[0] * 1000}\n[answers]\nL = 0\n")
    r = runner.invoke(app, ["check", str(f)])
    assert r.exit_code == 2
    assert "big.toml" in r.stderr and "50,000" in r.stderr


def test_vector_H_8_T_300_matches_autograd(tmp_path):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed: pip install '.[torch]'")
    from torch_oracle import run
    rng = random.Random(8)
    r = lambda: round(rng.uniform(-0.6, 0.6), 2)
    H, D, K, T = 8, 3, 4, 300
    d = {"activation": "tanh", "output": "softmax", "loss": "cross_entropy",
         "params": {"w_h": [[r() for _ in range(H)] for _ in range(H)],
                    "w_x": [[r() for _ in range(D)] for _ in range(H)],
                    "w_y": [[r() for _ in range(H)] for _ in range(K)],
                    "b_h": [r() for _ in range(H)], "h_0": [r() for _ in range(H)]},
         "data": {"x": [[r() for _ in range(D)] for _ in range(T)],
                  "y": [rng.randint(1, K) for _ in range(T)]}}
    params, q = run(d)
    out = cli_json(tmp_path, d, "grad", "--wrt", "all")
    assert out["arithmetic"] == "float64"
    for p in PARAMS:
        ours = torch.tensor(out["gradients"][p]["value"]).reshape(-1)
        theirs = params[p].grad.reshape(-1)
        scale = float(theirs.abs().max())
        assert float((ours - theirs).abs().max()) <= 1e-10 * scale, p
