"""rnn-solve against the alternatives, whole processes side by side: one table of times
(median and spread of several runs) and peak memory, then the ratios the project targets.

    python benchmarks/run.py            # 5 runs of everything (needs '.[bench]')
    python benchmarks/run.py --runs 3 --quick

Before a time is reported, every tool's gradients must agree with rnn-solve's (relative
1e-8); a tool that disagrees fails the run. The exit status is 0 when every target holds.
"""

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
PY = sys.executable
SYMPY_TIMEOUT = 30      # the unrolled SymPy expression: one run, stopped after this long
PARAMS = ("w_x", "w_h", "w_y", "b_h", "b_y", "h_0")


def rnn_solve() -> list[str]:
    """The installed console script next to this Python, else python -m rnn_cli."""
    script = Path(PY).parent / "rnn-solve"
    return [str(script)] if script.exists() else [PY, "-m", "rnn_cli"]


@dataclass
class Timing:
    seconds: list = field(default_factory=list)
    peak_mb: float = 0.0
    output: str = ""
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.seconds) if self.seconds else float("nan")

    def text(self) -> str:
        if self.note:
            return self.note
        lo, hi = min(self.seconds), max(self.seconds)
        return f"{self.median:8.3f} s  [{lo:.3f}-{hi:.3f}]  {self.peak_mb:6.0f} MB"


def measure(cmd: list[str], runs: int, timeout: float | None = None,
            codes=(0,)) -> Timing:
    """Wall time of each run and the largest resident set of any run (os.wait4's rusage)."""
    out = Timing()
    for _ in range(runs):
        with tempfile.TemporaryFile("w+") as sink, tempfile.TemporaryFile("w+") as err:
            start = time.perf_counter()
            proc = subprocess.Popen(cmd, stdout=sink, stderr=err)
            while True:
                pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    break
                if timeout and time.perf_counter() - start > timeout:
                    proc.kill()
                    os.wait4(proc.pid, 0)
                    out.note = f"  > {timeout:.0f} s (stopped)"
                    return out
                time.sleep(0.001)
            elapsed = time.perf_counter() - start
            code = os.waitstatus_to_exitcode(status)
            if code not in codes:
                err.seek(0)
                last = (err.read().strip().splitlines() or ["?"])[-1][:60]
                out.note = f"  failed: {last}"
                return out
            sink.seek(0)
            out.output = sink.read()
        out.seconds.append(elapsed)
        out.peak_mb = max(out.peak_mb, usage.ru_maxrss / 1024)   # kB on Linux
    return out


# -- agreement --------------------------------------------------------------------------------

def flat(v) -> list[float]:
    return [x for item in v for x in flat(item)] if isinstance(v, list) else [float(v)]


def agree(ours: dict, theirs: dict, rel: float = 1e-8) -> list[str]:
    """The parameters whose gradients differ (relative to the largest entry, and to 1e-12)."""
    bad = []
    for k in PARAMS:
        a, b = flat(ours[k]), flat(theirs.get(k, []))
        scale = max([abs(x) for x in a] + [1e-12])
        if len(a) != len(b) or any(abs(x - y) > rel * scale for x, y in zip(a, b)):
            bad.append(k)
    return bad


def largest_difference(ours: dict, theirs: dict) -> tuple[int, float]:
    """(entries compared, the largest difference relative to each gradient's largest entry)."""
    n, worst = 0, 0.0
    for k in PARAMS:
        a, b = flat(ours[k]), flat(theirs[k])
        scale = max([abs(x) for x in a] + [1e-12])
        n += len(a)
        worst = max([worst] + [abs(x - y) / scale for x, y in zip(a, b)])
    return n, worst


def gradients(rnn_json: str) -> dict:
    return {k: v["value"] for k, v in json.loads(rnn_json)["gradients"].items()}


# -- the problems -----------------------------------------------------------------------------

SEED = """activation = "identity"
[params]
w_x = 0.1
w_h = 1
w_y = 2
h_0 = 1
[data]
x = [10, 10]
y = [5, 5]
"""


def scalar(T: int) -> str:
    rng = random.Random(T)
    xs = ", ".join(f"{rng.uniform(-1, 1):.3f}" for _ in range(T))
    ys = ", ".join(f"{rng.uniform(-1, 1):.3f}" for _ in range(T))
    return ('activation = "tanh"\n[params]\nw_x = 0.5\nw_h = 0.9\nw_y = 1.2\nb_h = 0.1\n'
            f"[data]\nx = [{xs}]\ny = [{ys}]\n")


def vector(H: int, T: int, D: int = 8, K: int = 8) -> str:
    rng = random.Random(H * 100_000 + T)
    mat = lambda m, n, s: "[" + ", ".join(
        "[" + ", ".join(f"{rng.gauss(0, s):.4f}" for _ in range(n)) + "]" for _ in range(m)) + "]"
    xs = ", ".join("[" + ", ".join(f"{rng.uniform(-1, 1):.3f}" for _ in range(D)) + "]"
                   for _ in range(T))
    ys = ", ".join(str(rng.randint(1, K)) for _ in range(T))
    return ('activation = "tanh"\noutput = "softmax"\nloss = "cross_entropy"\n[params]\n'
            f"w_h = {mat(H, H, H ** -0.5)}\nw_x = {mat(H, D, 0.3)}\nw_y = {mat(K, H, 0.3)}\n"
            f"[data]\nx = [{xs}]\ny = [{ys}]\n")


def keys(folder: Path, n: int) -> list[Path]:
    """n students' answer keys to the seed problem: each answer right, or off by a slip."""
    right = {"h_1": 2, "h_2": 3, "y_hat_1": 4, "y_hat_2": 6, "L": 2, "dL/dh_1": 0,
             "dL/dw_y": 2, "dL/dw_h": 8, "dL/dw_x": 40}   # worked by hand from SEED
    rng = random.Random(n)
    paths = []
    for i in range(n):
        answers = "\n".join(f'"{k}" = {v if rng.random() < 0.8 else v + rng.choice([-2, 1, 3])}'
                            for k, v in right.items())
        p = folder / f"student{i:03}.toml"
        p.write_text(SEED + "[answers]\n" + answers + "\n")
        paths.append(p)
    return paths


# -- the run ----------------------------------------------------------------------------------

def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5, help="runs of each command (default 5)")
    ap.add_argument("--quick", action="store_true", help="leave out T = 10,000 and H = 64")
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="rnn-bench-"))
    try:
        return run(folder, args.runs, args.quick)
    finally:
        shutil.rmtree(folder)


def run(folder: Path, runs: int, quick: bool) -> int:
    rs = rnn_solve()
    rows: list[tuple[str, str, Timing]] = []
    t: dict[str, Timing] = {}
    agreed: list[tuple[str, str, int, float]] = []   # what the agreement check compared

    def time_it(case: str, tool: str, cmd: list[str], n: int = runs, timeout=None,
                codes=(0,)) -> Timing:
        r = measure(cmd, n, timeout, codes)
        if r.note and tool != "naive sympy":
            raise SystemExit(f"{case}, {tool}:{r.note}")
        rows.append((case, tool, r))
        t[f"{case}|{tool}"] = r
        print(f"  {case:<26} {tool:<16} {r.text()}", file=sys.stderr)
        return r

    time_it("floor", "import typer", [PY, "-c", "import typer"])
    time_it("floor", "import 4 libs", [PY, "-c", "import typer, rich, sympy, numpy"])
    time_it("--help", "rnn-solve", [*rs, "--help"])

    cases = [("seed", SEED)] + [(f"scalar tanh T={T:,}", scalar(T))
                                for T in (10, 100, 1000, 10_000) if not quick or T < 10_000]
    cases += [(f"vector tanh H={H} T={T:,}", vector(H, T)) for H in (8, 64)
              for T in (100, 1000) if not quick or H < 64]
    for case, text in cases:
        f = folder / (case.replace(" ", "_").replace(",", "").replace("=", "") + ".toml")
        f.write_text(text)
        cmd = [*rs, "grad", "--wrt", "all", "--format", "json"] + \
            ([] if case == "seed" else ["-f", str(f)])
        ours = gradients(time_it(case, "rnn-solve", cmd).output)
        theirs = time_it(case, "pytorch", [PY, str(HERE / "torch_script.py"), str(f)])
        if bad := agree(ours, json.loads(theirs.output)):
            raise SystemExit(f"{case}: PyTorch disagrees with rnn-solve on {bad}")
        agreed.append((case, "pytorch", *largest_difference(ours, json.loads(theirs.output))))
        if "vector" not in case and ("T=1,000" not in case and "T=10,000" not in case):
            s = time_it(case, "naive sympy", [PY, str(HERE / "naive_sympy.py"), str(f)],
                        n=1 if case != "seed" else runs, timeout=SYMPY_TIMEOUT)
            if not s.note and (bad := agree(ours, json.loads(s.output))):
                raise SystemExit(f"{case}: SymPy disagrees with rnn-solve on {bad}")
            if not s.note:
                agreed.append((case, "naive sympy",
                               *largest_difference(ours, json.loads(s.output))))

    many = keys(folder, 300)
    # as a CI job runs it, JSON out; it exits 1, as some answers are wrong
    one = time_it("check 1 key file", "rnn-solve",
                  [*rs, "check", "--format", "json", str(many[0])], codes=(0, 1))
    lots = time_it("check 300 key files", "rnn-solve",
                   [*rs, "check", "--format", "json", *map(str, many)], codes=(0, 1))
    if json.loads(subprocess.run([*rs, "check", str(many[0]), "--format", "json"],
                                 capture_output=True, text=True).stdout)["results"] == []:
        raise SystemExit("check judged nothing")

    print("\n| case | tool | median s [min-max] | peak MB |\n|---|---|---|---|")
    for case, tool, r in rows:
        cell = r.note.strip() if r.note else \
            f"{r.median:.3f} [{min(r.seconds):.3f}-{max(r.seconds):.3f}] | {r.peak_mb:.0f}"
        print(f"| {case} | {tool} | {cell} |" + (" |" if r.note else ""))

    print("\n| agreement with rnn-solve | tool | gradient entries | largest relative "
          "difference |\n|---|---|---|---|")
    for case, tool, n, worst in agreed:
        print(f"| {case} | {tool} | {n:,} | {worst:.1e} |")

    m = lambda key: t[key].median
    floor = m("floor|import 4 libs")
    targets = [("--help / import typer", m("--help|rnn-solve") / m("floor|import typer"), 1.5),
               ("seed grad / import floor", m("seed|rnn-solve") / floor, 1.25),
               ("scalar T=1,000 / PyTorch", m("scalar tanh T=1,000|rnn-solve")
                / m("scalar tanh T=1,000|pytorch"), 0.5),
               ("check 300 files / 1 file", lots.median / one.median, 3.0)]
    if not quick:
        # growth after start-up: rnn-solve's own (--help) is below the four-library floor
        start = m("--help|rnn-solve")
        own = (m("scalar tanh T=10,000|rnn-solve") - start) / \
            max(m("scalar tanh T=1,000|rnn-solve") - start, 1e-3)
        targets += [("scalar T=10,000 / PyTorch", m("scalar tanh T=10,000|rnn-solve")
                     / m("scalar tanh T=10,000|pytorch"), 0.3),
                    ("T=10,000 / T=1,000, less start-up (--help)", own, 12.0),
                    ("vector H=64 T=1,000 / PyTorch", m("vector tanh H=64 T=1,000|rnn-solve")
                     / m("vector tanh H=64 T=1,000|pytorch"), 1.0)]
    peaks = [("peak MB, scalar T=10,000", "scalar tanh T=10,000|rnn-solve", 300),
             ("peak MB, H=64 T=1,000", "vector tanh H=64 T=1,000|rnn-solve", 500)]
    print("\n| target | measured | at most | |\n|---|---|---|---|")
    ok = True
    for name, ratio, limit in targets:
        ok &= ratio <= limit
        print(f"| {name} | {ratio:.2f}x | {limit}x | {'ok' if ratio <= limit else 'MISSED'} |")
    for name, key, limit in peaks:
        if key in t:
            ok &= t[key].peak_mb <= limit
            print(f"| {name} | {t[key].peak_mb:.0f} | {limit} | "
                  f"{'ok' if t[key].peak_mb <= limit else 'MISSED'} |")
    print(f"\n{os.cpu_count()} CPUs, Python {sys.version.split()[0]}, {sys.platform}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
