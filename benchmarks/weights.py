"""Implementation homework, timed as whole processes (issue 14): rnn-solve reading weights
files against a plain numpy script and against PyTorch, with each process's peak memory.

    python benchmarks/weights.py            # 5 runs of each (needs '.[torch]')
    python benchmarks/weights.py --runs 3

Cases (fixed seeds): min-char-rnn (H = 100, V = 27, T = 25) from an .npz, `grad --wrt all
--format json`, against benchmarks/min_char_rnn.py (loads the .npz, runs the loss
function); an nn.RNN + nn.Linear state_dict with H = 256, T = 200 (one sequence, D = K = 64)
and with N = 64, H = 128, T = 50 (D = K = 64) against benchmarks/torch_batch.py. Before a
time is reported the gradients must agree (relative 1e-9 of each array's largest entry),
else the run stops. Exit 0 when every target holds.
"""

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from run import PY, measure, rnn_solve

HERE = Path(__file__).resolve().parent
TARGETS = {"min-char-rnn": 2.0, "H=256 T=200": 1.0, "N=64 H=128 T=50": 1.0}


def agree(ours: dict, theirs: dict, names: dict) -> float:
    """The largest relative difference over every gradient (ours by the convention's name)."""
    import numpy as np
    worst = 0.0
    for mine, other in names.items():
        a, b = np.asarray(ours["gradients"][mine]["value"]), np.asarray(theirs[other])
        if a.shape != b.shape:
            sys.exit(f"{mine}: shapes differ, {a.shape} and {b.shape}")
        worst = max(worst, float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-300)))
    if worst > 1e-9:
        sys.exit(f"the gradients disagree: largest relative difference {worst:.1e}")
    return worst


def cases(folder: Path, make: bool = False):
    """The cases' commands; with `make`, write their files first (done in a child process:
    a parent that has imported torch would lend its memory to every forked child's peak)."""
    if make:
        import numpy as np
        import torch
        rng = np.random.default_rng(14)
    H, V, T = 100, 27, 25
    make and np.savez(folder / "mcr.npz", Wxh=rng.standard_normal((H, V)) * 0.01,
             Whh=rng.standard_normal((H, H)) * 0.01, Why=rng.standard_normal((V, H)) * 0.01,
             bh=np.zeros((H, 1)), by=np.zeros((V, 1)), hprev=np.zeros((H, 1)),
             x=rng.integers(0, V, T), y=rng.integers(0, V, T))
    names = {k: k for k in ("dWxh", "dWhh", "dWhy", "dbh", "dby")}
    yield ("min-char-rnn", "numpy script",
           [*rnn_solve(), "grad", "--weights", str(folder / "mcr.npz"), "--wrt", "all",
            "--format", "json"], [PY, str(HERE / "min_char_rnn.py"), str(folder / "mcr.npz")],
           names)
    for label, N, H, T in (("H=256 T=200", 1, 256, 200), ("N=64 H=128 T=50", 64, 128, 50)):
        D = K = 64
        stem = label.replace(" ", "_").replace("=", "")
        toml = folder / f"{stem}.toml"
        names = {k: k for k in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
                                "fc.weight", "fc.bias")}
        yield (label, "pytorch",
               [*rnn_solve(), "grad", "-f", str(toml), "--wrt", "all", "--format", "json"],
               [PY, str(HERE / "torch_batch.py"), str(folder / f"{stem}.pt"),
                str(folder / f"{stem}.npz")], names)
        if not make:
            continue
        shape = (N, T) if N > 1 else (T,)
        x, y = rng.standard_normal((*shape, D)), rng.integers(0, K, shape)
        torch.manual_seed(N + H + T)
        rnn, fc = torch.nn.RNN(D, H).double(), torch.nn.Linear(H, K).double()
        torch.save({**rnn.state_dict(), **{f"fc.{k}": v for k, v in fc.state_dict().items()}},
                   folder / f"{stem}.pt")
        np.savez(folder / f"{stem}.npz", x=x, y=y)          # the data, for PyTorch's script
        # rnn-solve reads one file holding the state_dict's arrays and the data x, y
        np.savez(folder / f"{stem}-all.npz", x=x, y=y, **{
            k: v.numpy() for k, v in torch.load(folder / f"{stem}.pt").items()})
        toml.write_text(f'weights = "{stem}-all.npz"\n' + ('batch = "mean"\n' if N > 1 else ""))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--make", metavar="FOLDER", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.make:
        for _ in cases(Path(args.make), make=True):
            pass
        return 0
    ok = True
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        subprocess.run([PY, __file__, "--make", tmp], check=True)
        timed = []
        for label, other, ours, theirs, names in cases(folder):
            a, b = measure(ours, args.runs), measure(theirs, args.runs)
            if a.note or b.note:
                sys.exit(f"{label}: {a.note or b.note}")
            timed.append((label, other, a, b, names))
        for label, other, a, b, names in timed:   # numpy is imported here, after the timing
            worst = agree(json.loads(a.output), json.loads(b.output), names)
            ratio = a.median / b.median
            ok &= ratio <= TARGETS[label]
            rows.append((label, a, other, b, ratio, worst))
    print("| case | tool | median s [min-max] | peak MB |\n|---|---|---|---|")
    for label, a, other, b, _, _ in rows:
        for name, t in (("rnn-solve", a), (other, b)):
            print(f"| {label} | {name} | {t.median:.3f} [{min(t.seconds):.3f}-"
                  f"{max(t.seconds):.3f}] | {t.peak_mb:.0f} |")
    print("\n| target | measured | at most | | largest relative difference |\n|---|---|---|---|---|")
    for label, _, other, _, ratio, worst in rows:
        print(f"| {label} / {other} | {ratio:.2f}x | {TARGETS[label]:.1f}x | "
              f"{'ok' if ratio <= TARGETS[label] else 'MISSED'} | {worst:.1e} |")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
