"""The hardening goals of docs/limits.md, whole processes: time and peak memory of
`check` on long keys full of wrong answers, of the pre-TOML scan on a 1 MB pathological
file, and of --all-steps at the limits.

    python benchmarks/hardening.py            # every case
    python benchmarks/hardening.py check      # only the cases whose name holds 'check'

Each case prints its wall time, its CPU time (user + system), its peak resident memory
(os.wait4's rusage) and whether it met its goal; the exit status is 0 when every goal holds.
A goal's seconds are held against the CPU time: on a shared machine the wall time measures
the other processes too (both are printed).
"""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PY = sys.executable


def rnn_solve() -> list[str]:
    script = Path(PY).parent / "rnn-solve"
    return [str(script)] if script.exists() else [PY, "-m", "rnn_cli"]


def measure(cmd: list[str], cwd: Path) -> tuple[float, float, float, int, str]:
    """(wall seconds, CPU seconds, peak MB, exit code, last line of stderr) of one run."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        took = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        lines = err.read().splitlines()
    return (took, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, proc.returncode,
            lines[-1] if lines else "")


def long_key(path: Path, T: int, wrong: int, mixed: bool = False, kinds=None,
             w_y: int = 2) -> Path:
    """A tanh key of T steps with `wrong` wrong answers: hidden states, outputs and
    gradients with respect to hidden states, every one off by 1 (or the `kinds` given). Mixed,
    it also has losses, gradients with respect to pre-activations, every weight and bias,
    and one step's loss."""
    xs = ", ".join(["0.5"] * T)
    ys = ", ".join(["0.25"] * T)
    names = [f'"{n}"' for n in ("dL/dw_y", "dL/db_h", "dL/db_y", f"dL_{T}/dw_h",
                                 f"dL_{T - 7}/dw_x")] if mixed else []
    kinds = kinds or (("h", "y_hat", "L", "a", "dL/dh", "dL/da") if mixed else
                      ("h", "y_hat", "o", "a", "dL/dh"))
    t = 1
    while len(names) < wrong:
        for k in kinds:
            if len(names) < wrong:
                names.append(f'"{k}_{t}"')
        t += 1
    answers = "\n".join(f"{n} = {i % 7 + 3}" for i, n in enumerate(names))
    path.write_text(f'activation = "tanh"\n[params]\nw_x = 0.5\nw_h = 0.9\nw_y = {w_y}\n'
                    f"[data]\nx = [{xs}]\ny = [{ys}]\n[answers]\n{answers}\n"
                    '"dL/dw_h" = 1\n"dL/dw_x" = 2\n', encoding="utf-8")
    return path


def scan_file(path: Path, shape: str) -> Path:
    """A 1 MB file of one pathological shape for the pre-TOML scan."""
    size = 999_000
    body = {"basic": 'title = "' + '\\"' * (size // 2),
            "literal": "title = '" + "'" * 0 + "a'b" * (size // 3),
            "multi": 'title = """' + '\\"' * (size // 2),
            "dotted": "a" + ".a" * (size // 2) + " = 1",
            "brackets": "x = " + "[" * (size - 10)}[shape]
    path.write_text(body, encoding="utf-8")
    return path


def main(selected: str = "") -> int:
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        cases = [
            ("check T=1,000, 50 wrong answers", 3, 400,
             ["check", str(long_key(d / "k1000.toml", 1000, 50))], (1,)),
            ("check T=1,000, 50 wrong answers, mixed", 3, 400,
             ["check", str(long_key(d / "m1000.toml", 1000, 50, mixed=True))], (1,)),
            ("check T=10,000, 1,000 wrong answers", 30, 1024,
             ["check", str(long_key(d / "k10000.toml", 10_000, 1000))], (1, 2)),
            ("check 6 files of T=10,000, 20 wrong each", 30, 1024,
             ["check", *(str(long_key(d / f"r{i}.toml", 10_000, 18, kinds=("dL/dh",),
                                      w_y=2 + i)) for i in range(6))], (2,)),
            ("grad --all-steps H=64 T=1,000", 10, 1024,
             ["grad", "--wrt", "w_h", "--all-steps", "-f", str(wide(d / "h64.toml", 64, 1000))],
             (0, 2)),
            ("graph --grad --all-steps T=10,000", 10, 1024,
             ["graph", "--grad", "--all-steps", "-f", str(wide(d / "t10k.toml", 1, 10_000))],
             (0, 2)),
        ] + [(f"scan 1 MB {shape}", 1, 400, ["forward", "-f", str(scan_file(d / f"{shape}.toml",
                                                                          shape))], (2,))
             for shape in ("basic", "literal", "multi", "dotted", "brackets")]
        for name, seconds, mb, args, codes in cases:
            if selected and selected not in name:
                continue
            took, cpu, peak, code, last = measure(rnn_solve() + args, d)
            met = cpu <= seconds and peak <= mb and code in codes
            ok &= met
            print(f"{name:<38} {took:6.2f} s wall {cpu:6.2f} s CPU {peak:5.0f} MB  exit {code}  "
                  f"{'met' if met else 'NOT MET'} (goal <= {seconds} s, <= {mb} MB)"
                  + (f"\n    {last[:150]}" if code == 2 else ""))
    return 0 if ok else 1


def wide(path: Path, H: int, T: int) -> Path:
    """A tanh problem with H hidden units and T steps (scalar input and output)."""
    import random
    rnd = random.Random(1)
    row = lambda n: "[" + ", ".join(f"{rnd.uniform(-0.3, 0.3):.3f}" for _ in range(n)) + "]"
    if H == 1:
        params = "w_x = 0.5\nw_h = 0.9\nw_y = 2\n"
    else:
        params = (f"w_x = [{', '.join(f'[{rnd.uniform(-0.3, 0.3):.3f}]' for _ in range(H))}]\n"
                  f"w_h = [{', '.join(row(H) for _ in range(H))}]\nw_y = [{row(H)}]\n")
    xs = ", ".join(["0.5"] * T)
    ys = ", ".join(["0.25"] * T)
    path.write_text(f'activation = "tanh"\n[params]\n{params}[data]\nx = [{xs}]\ny = [{ys}]\n',
                    encoding="utf-8")
    return path


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else ""))
