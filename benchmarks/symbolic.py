"""Symbolic mode's speed, whole processes: the closed form of dL/dw_h for a tanh RNN with
biases at T = 10 (and up to the limit), against `python -c "import sympy"`.

    python benchmarks/symbolic.py            # 3 runs each
    python benchmarks/symbolic.py --runs 5

Before a time counts, the closed form is checked: its value at the problem's numbers must
equal the numeric dL/dw_h (relative 1e-9). Targets: T = 10 at most 8x `import sympy`; T = 20
finished within 60 s or refused at once, with the measured limit in the message. Also
measured in the same run, for the README's targets: `--help` and the numeric seed gradient.
Exit status 0 when every target holds.
"""

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PY = sys.executable
GOAL_RATIO = 8
GOAL_T20 = 60.0


def rnn_solve() -> list[str]:
    script = Path(PY).parent / "rnn-solve"
    return [str(script)] if script.exists() else [PY, "-m", "rnn_cli"]


def problem(T: int, folder: Path) -> Path:
    rng = random.Random(T)
    xs = [round(rng.uniform(-1, 1), 2) for _ in range(T)]
    ys = [round(rng.uniform(-1, 1), 2) for _ in range(T)]
    path = folder / f"tanh_T{T}.toml"
    path.write_text(f'activation = "tanh"\n[params]\nw_x = 0.5\nw_h = 0.8\nw_y = 1.5\n'
                    f'b_h = 0.1\nh_0 = 0.3\n[data]\nx = {xs}\ny = {ys}\n')
    return path


def timed(cmd: list[str], runs: int, timeout: float = 600) -> tuple[list[float], object]:
    times, last = [], None
    for _ in range(runs):
        start = time.perf_counter()
        last = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        times.append(time.perf_counter() - start)
    return times, last


def check(path: Path, closed_json: str) -> float:
    """The relative difference between the closed form at the problem's numbers and the
    numeric gradient."""
    import sympy as sp
    from sympy.parsing.sympy_parser import parse_expr
    out = subprocess.run([*rnn_solve(), "grad", "-f", str(path), "--wrt", "w_h", "--format",
                          "json"], capture_output=True, text=True, check=True).stdout
    numeric = json.loads(out)["gradients"]["w_h"]["value"]
    doc = json.loads(closed_json)
    closed = parse_expr(doc["gradients"]["w_h"]["value"])
    import tomllib
    t = tomllib.loads(path.read_text())
    at = {sp.Symbol(k): sp.Rational(str(v)) for k, v in t["params"].items()}
    at.update({sp.Symbol(f"x_{i}"): sp.Rational(str(v)) for i, v in enumerate(t["data"]["x"], 1)})
    at.update({sp.Symbol(f"y_{i}"): sp.Rational(str(v)) for i, v in enumerate(t["data"]["y"], 1)})
    value = float(closed.xreplace(at).evalf(30))
    return abs(value - numeric) / max(abs(numeric), 1e-300)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--sizes", default="10,12")
    args = ap.parse_args()
    ok = True
    rows = []
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        base, _ = timed([PY, "-c", "import sympy"], args.runs)
        floor = statistics.median(base)
        rows.append(("python -c 'import sympy'", floor, ""))
        for label, cmd in (("rnn-solve --help", [*rnn_solve(), "--help"]),
                           ("numeric seed grad --wrt w_h", [*rnn_solve(), "grad", "--wrt",
                                                            "w_h"])):
            t, _ = timed(cmd, args.runs)
            rows.append((label, statistics.median(t), ""))
        for T in (int(s) for s in args.sizes.split(",")):
            path = problem(T, folder)
            cmd = [*rnn_solve(), "grad", "-f", str(path), "--wrt", "w_h", "--symbolic",
                   "--format", "json"]
            t, r = timed(cmd, args.runs)
            if r.returncode != 0:
                rows.append((f"symbolic dL/dw_h tanh T = {T}", statistics.median(t),
                             "failed: " + r.stderr.strip()))
                ok = False
                continue
            rel = check(path, r.stdout)
            ratio = statistics.median(t) / floor
            note = f"{ratio:.1f}x import sympy; closed form at the numbers: rel. diff {rel:.1e}"
            if rel > 1e-9:
                note += " (DISAGREES)"
                ok = False
            if T == 10 and ratio > GOAL_RATIO:
                note += f" (goal <= {GOAL_RATIO}x: missed)"
                ok = False
            rows.append((f"symbolic dL/dw_h tanh T = {T}", statistics.median(t), note))
        path = problem(20, folder)
        t, r = timed([*rnn_solve(), "grad", "-f", str(path), "--wrt", "w_h", "--symbolic"],
                     1, timeout=GOAL_T20 + 30)
        done = "finished" if r.returncode == 0 else "refused: " + r.stderr.strip()
        if t[0] > GOAL_T20:
            ok = False
        rows.append(("symbolic dL/dw_h tanh T = 20", t[0], done))
    width = max(len(r[0]) for r in rows)
    for label, secs, note in rows:
        print(f"{label:<{width}}  {secs:7.2f} s  {note}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
