"""Golden files: the Rich table output of the seed problem (assignment3) and of a 2-unit
problem (softmax_2unit), 100 columns, no colour.

The files in tests/golden/ are the exact text a user sees for

    forward.txt             rnn-solve forward
    grad_w_h.txt            rnn-solve grad --wrt w_h
    grad_all_delta.txt      rnn-solve grad --wrt all --style delta
    vector_grad.txt         rnn-solve grad --problem softmax_2unit --wrt w_h --wrt w_y[2,1]
    lstm_grad.txt           rnn-solve grad --problem lstm_1unit --wrt all
    explain_TOPIC.txt       rnn-solve explain TOPIC, for every topic, on the built-in problem
                            (the text topics on their default texts)
    explain_vanishing_vector.txt
                            rnn-solve explain vanishing --problem softmax_2unit
    explain_lstm_1unit.txt  rnn-solve explain lstm --problem lstm_1unit (the real cell)

rendered by rnn_cli.render.table (forward_view, grad_view) or rnn_cli.render.explainout
(topic_view) into a Rich Console of width 100 with no colour system; and the seed's
write-ups, exactly as printed by

    forward.md              rnn-solve forward --format markdown
    grad_all.md             rnn-solve grad --wrt all --format markdown
    forward.tex             rnn-solve forward --format latex --standalone
    grad_all.tex            rnn-solve grad --wrt all --format latex --standalone

(rnn_cli.render.markdown and rnn_cli.render.latex; tests/test_latex.py compiles the LaTeX).
Trailing spaces at the ends of lines are ignored in the comparison (Rich pads table titles to
the table's width; editors strip them).

To refresh them after an intended change to the output, run from the repository's top level

    python tests/test_golden.py --refresh

then READ the diff (git diff tests/golden) and check the numbers by hand before committing:
the seed's values are h_1 = 2, h_2 = 3, y_hat_1 = 4, y_hat_2 = 6, L = 2, dL/dw_h = 8
(= -4 + 12), dL/dw_x = 40, dL/dw_y = 2, dL/db_h = 4, dL/db_y = 0, dL/dh_0 = 0; the LSTM's
are its answer key in examples.toml (from PyTorch's LSTMCell): dL/dc_1 = 0.17316,
dL/dw_xf = 0.01117, dL/dc_0 = 0.141571, dL/dh_0 = -0.007833.
"""

import difflib
import io
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
WIDTH = 100
ALL = ("w_x", "w_h", "w_y", "b_h", "b_y", "h_0")   # `--wrt all`, in the contract's order
LSTM_ALL = ("w_xi", "w_hi", "b_i", "w_xf", "w_hf", "b_f", "w_xg", "w_hg", "b_g", "w_xo", "w_ho",
            "b_o", "w_y", "b_y", "h_0", "c_0")   # `--wrt all` of an LSTM (README)

# name -> (the command it shows, the derivation to render: None for forward, else (wrts, style))
CASES = {
    "forward": (["forward"], None),
    "grad_w_h": (["grad", "--wrt", "w_h"], (("w_h",), None)),
    "grad_all_delta": (["grad", "--wrt", "all", "--style", "delta"], (ALL, "delta")),
    # a 2-unit problem (the built-in softmax_2unit): matrices, Jacobians, one entry
    "vector_grad": (["grad", "--problem", "softmax_2unit", "--wrt", "w_h", "--wrt",
                     "w_y[2,1]", "--digits", "4"], (("w_h", "w_y[2,1]"), None)),
    # a 1-unit LSTM: every gate's adjoint, dL/dc_t with its forget-gate path, every parameter
    "lstm_grad": (["grad", "--problem", "lstm_1unit", "--wrt", "all"], (LSTM_ALL, None)),
}
# explain: every topic on the built-in problem, and one vector problem ("explain" as the spec)
TOPICS = ("vanishing", "exploding", "bptt", "lstm", "gru", "seq2seq", "onehot", "padding")
CASES.update({f"explain_{t}": (["explain", t], "explain") for t in TOPICS})
CASES["explain_vanishing_vector"] = (["explain", "vanishing", "--problem", "softmax_2unit"],
                                     "explain")
# an LSTM problem: explain lstm on its own cell, beside the RNN of its candidate weights
CASES["explain_lstm_1unit"] = (["explain", "lstm", "--problem", "lstm_1unit"], "explain")

# the write-ups: file name -> the command that prints it
WRITEUPS = {
    "forward.md": ["forward", "--format", "markdown"],
    "grad_all.md": ["grad", "--wrt", "all", "--format", "markdown"],
    "forward.tex": ["forward", "--format", "latex", "--standalone"],
    "grad_all.tex": ["grad", "--wrt", "all", "--format", "latex", "--standalone"],
}


def render_writeup(name: str) -> str:
    """A write-up of the seed, rendered through the library."""
    from rnn_cli.derive.bptt import grad
    from rnn_cli.model.files import load
    from rnn_cli.derive.forward import forward
    from rnn_cli.render.latex import forward_tex, grad_tex
    from rnn_cli.render.markdown import forward_md, grad_md

    problem = load(None, "assignment3")
    fwd = forward(problem)
    if name.startswith("forward"):
        return forward_md(fwd) if name.endswith(".md") else forward_tex(fwd, standalone=True)
    d = grad(fwd, problem.resolve("L").wrt, [problem.resolve(w).wrt for w in ALL])
    return grad_md(d) if name.endswith(".md") else grad_tex(d, standalone=True)


def render(name: str) -> str:
    """The table output of one case, rendered through the library at WIDTH columns."""
    from rich.console import Console

    from rnn_cli.model.files import load
    from rnn_cli.derive.gated import run_forward as forward
    from rnn_cli.derive.gated import run_grad as grad
    from rnn_cli.render.rows import View
    from rnn_cli.render.table import forward_view, grad_view

    args, spec = CASES[name]
    problem = load(None, args[args.index("--problem") + 1] if "--problem" in args
                   else "assignment3")
    digits = int(args[args.index("--digits") + 1]) if "--digits" in args else 6
    fwd = forward(problem)
    if spec == "explain":
        from rnn_cli.teach.explain import run
        from rnn_cli.render.explainout import topic_view
        view = topic_view(run(args[1], problem))
    elif spec is None:
        view = forward_view(fwd)
    else:
        wrts, style = spec
        view = grad_view(grad(fwd, problem.resolve("L").wrt,
                              [problem.resolve(w).wrt for w in wrts], style), View(digits))
    console = Console(file=io.StringIO(), width=WIDTH, color_system=None, highlight=False,
                      soft_wrap=False)
    console.print(view)
    return console.file.getvalue()


def normal(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.splitlines()) + "\n"


def compare(name: str, got: str) -> None:
    path = GOLDEN / (name if "." in name else f"{name}.txt")
    assert path.exists(), f"{path} is missing: run `python tests/test_golden.py --refresh`"
    want = normal(path.read_text(encoding="utf-8"))
    got = normal(got)
    if got != want:
        diff = "".join(difflib.unified_diff(want.splitlines(True), got.splitlines(True),
                                            f"golden/{path.name}", "rendered now"))
        raise AssertionError(f"{name} differs from its golden file; if the change is "
                             f"intended, run `python tests/test_golden.py --refresh`\n{diff}")


# -- the tests --------------------------------------------------------------------------------

try:
    import pytest
except ImportError:  # pragma: no cover - running as a script without pytest
    pytest = None

if pytest is not None:
    @pytest.mark.parametrize("name", list(CASES))
    def test_library_render_matches_golden(name):
        compare(name, render(name))

    @pytest.mark.parametrize("name", list(CASES))
    def test_cli_output_matches_golden(name, tmp_path):
        """The console script, piped with COLUMNS=100, prints exactly the golden text."""
        args, _ = CASES[name]
        env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "NO_COLOR")}
        env.update(COLUMNS=str(WIDTH), PYTHONPATH=str(ROOT))
        r = subprocess.run([sys.executable, "-m", "rnn_cli", *args], capture_output=True,
                           text=True, cwd=tmp_path, env=env, timeout=120)
        assert r.returncode == 0, r.stderr
        compare(name, r.stdout)

    @pytest.mark.parametrize("name", list(WRITEUPS))
    def test_writeup_matches_golden(name):
        compare(name, render_writeup(name))

    @pytest.mark.parametrize("name", list(WRITEUPS))
    def test_cli_writeup_matches_golden(name, tmp_path):
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        r = subprocess.run([sys.executable, "-m", "rnn_cli", *WRITEUPS[name]],
                           capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
        assert r.returncode == 0, r.stderr
        compare(name, r.stdout)

    def test_writeup_goldens_hold_the_seed_values():
        """The hand-checked numbers, in each write-up's own notation."""
        text = {name: (GOLDEN / name).read_text(encoding="utf-8") for name in WRITEUPS}
        assert r"h_{1} &= w_{h} h_{0} + w_{x} x_{1} = 1 \times 1 + 0.1 \times 10 = 2" in \
            text["forward.tex"]
        assert r"\hat{y}_{2} &= w_{y} h_{2} = 2 \times 3 = 6" in text["forward.tex"]
        assert r"L &= L_{1} + L_{2} = 1 + 1 = 2" in text["forward.tex"]
        for sums in ("-40 + 80 = 40", "-4 + 12 = 8", "-4 + 6 = 2", "-4 + 8 = 4", "-2 + 2 = 0",
                     "-4 + 4 = 0"):
            assert f"= {sums}" in text["grad_all.tex"], sums
        assert r"\left[2 + 1 \cdot 1\right] = 12" in text["grad_all.tex"]
        assert r"| `h_2 = a_2` | $w_{h} h_{1} + w_{x} x_{2}$ | $1 \times 2 + 0.1 \times 10$ | 3 |" \
            in text["forward.md"]
        assert r"| `dL/dw_h` | $\frac{\partial L_{1}}{\partial w_{h}} + \frac{\partial L_{2}}" \
            r"{\partial w_{h}}$ | $-4 + 12$ | 8 |" in text["grad_all.md"]
        # no | inside the math: GitHub would split the table's cells there
        assert all(line.count("|") == 5 for line in text["grad_all.md"].splitlines()
                   if line.startswith("| `"))

    def test_goldens_hold_the_seed_values():
        """A guard on the goldens themselves: the hand-checked numbers are in them."""
        text = {name: (GOLDEN / f"{name}.txt").read_text(encoding="utf-8") for name in CASES}
        assert "1 × 1 + 0.1 × 10" in text["forward"]
        assert "(6 - 5)^2" in text["forward"]
        assert "dL/dw_h = 8" in text["grad_w_h"]
        assert "-4 + 12" in text["grad_w_h"]
        assert "2(6 - 5) * 2 * [2 + 1 * 1]" in text["grad_w_h"]
        for line in ("dL/dw_x = 40", "dL/dw_h = 8", "dL/dw_y = 2", "dL/db_h = 4",
                     "dL/db_y = 0", "dL/dh_0 = 0"):
            assert line in text["grad_all_delta"], line
        assert "-2 * 2 + 4 * 1" in text["grad_all_delta"]   # dL/dh_1 = 0
        # the 2-unit problem: checked against PyTorch in test_torch.py (0.2225 -0.6295 ...)
        assert "dL/dw_h = [0.2225 -0.6295; 0.7019 0.7759]" in text["vector_grad"]
        assert "dL/dw_y[2,1] = -0.3883" in text["vector_grad"]
        assert "diag(1 - h_3^2) * w_h" in text["vector_grad"]
        # the LSTM: PyTorch's numbers (its key), and the forget-gate path into dL/dc_1
        for line in ("dL/dc_1", "0.17316", "dL/dw_xf = 0.0111703", "dL/dc_0 = 0.141571",
                     "dL/dh_0 = -0.0078329", "dL/dc_2 * f_2", "dL/dh_1 * og_1"):
            assert line in text["lstm_grad"], line
        # explain on the seed: w_h = 1 and f = identity make every factor 1; dL/dw_h = 8 comes
        # all from step 2 (dL/da_2 h_1 = 4 * 2; dL/da_1 h_0 = 0 * 1); the first forget gate
        # and update gate are σ(w_h h_0 + w_x x_1 + 1) = σ(3) = 0.952574; bptt's forward pass
        # takes w_h h, w_x x, w_y h per step and squares the one loss (3 T + 1), and stores
        # a, h, o, y_hat (4 T); the default texts hi hello he help have 6 letters (e h i l o
        # p), so 7 symbols with the padding symbol; batched two by two in the order given
        # [hi, hello] [he, help] they need 3 + 2 = 5 padding symbols, sorted by length
        # [he, hi] [help, hello] 0 + 1 (help·)
        assert "│ 1 │                           1 │             1 │             0.0% │" in \
            text["explain_vanishing"]
        assert "100.0%" in text["explain_vanishing"]
        assert "0.952574" in text["explain_lstm"] and "0.952574" in text["explain_gru"]
        assert "│    2 │                       7 │" in text["explain_bptt"]
        assert "│ 1000 │                    3001 │" in text["explain_bptt"]
        assert "│           4000 │" in text["explain_bptt"]
        assert "The vocabulary has 7 symbols" in text["explain_seq2seq"]
        assert "'·ehilop'" in text["explain_onehot"]
        assert "1 symbol with sorted batches, 5 symbols with the texts batched" in \
            text["explain_padding"]
        assert "│     2 │       help· │ 11110 │       1 │" in text["explain_padding"]
        # the 2-unit problem: σ_max of each Jacobian and of dh_3/dh_0, checked with
        # numpy.linalg.svd in test_explain.py (0.430184 0.483226 0.496192; 0.0748778)
        for v in ("0.430184", "0.483226", "0.496192", "0.0748778"):
            assert v in text["explain_vanishing_vector"], v
        # the LSTM problem's own forget gates are its answer key's (PyTorch): f_1 = 0.817574,
        # f_2 = 0.887824, so the cell path dc_2/dc_0 = f_1 f_2 = 0.725862; dh_2/dh_1 =
        # 0.0804947 and dh_2/dh_0 = -0.0190648 are checked with torch.autograd in test_explain
        for v in ("0.817574", "0.887824", "0.725862", "0.0804947", "-0.0190648",
                  "This problem is an LSTM", "tanh(w_xg x_t +", "RNN: w_hg"):
            assert v in text["explain_lstm_1unit"], v
        for name, t in text.items():
            assert max(len(line) for line in t.splitlines()) <= WIDTH, name
            assert "\x1b" not in t, name


def refresh() -> None:
    GOLDEN.mkdir(exist_ok=True)
    for name in CASES:
        path = GOLDEN / f"{name}.txt"
        path.write_text(normal(render(name)), encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    for name in WRITEUPS:
        path = GOLDEN / name
        path.write_text(normal(render_writeup(name)), encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    if sys.argv[1:] != ["--refresh"]:
        sys.exit("usage: python tests/test_golden.py --refresh   (rewrites tests/golden/*.txt)")
    sys.path.insert(0, str(ROOT))
    refresh()
