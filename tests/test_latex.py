"""--format latex: well-formed align* environments with the seed's numbers.

Compiled with pdflatex and read back with pdftotext where they are installed (CI installs
Debian's texlive-latex-base, texlive-latex-recommended and poppler-utils)."""

import os
import re
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT, SEED_TABLES, load, problem_of
from rnn_cli.derive.bptt import grad
from rnn_cli.derive.forward import forward
from rnn_cli.model.names import Quantity
from rnn_cli.render.latex import forward_tex, grad_tex, name


def balanced(tex: str) -> bool:
    depth = 0
    for ch in tex.replace(r"\{", "").replace(r"\}", ""):
        depth += (ch == "{") - (ch == "}")
        if depth < 0:
            return False
    return depth == 0 and tex.count(r"\left") == tex.count(r"\right") and \
        tex.count(r"\begin{") == tex.count(r"\end{")


def test_names():
    assert name("y_hat_2") == r"\hat{y}_{2}"
    assert name("dL_2/dw_h") == r"\frac{\partial L_{2}}{\partial w_{h}}"
    assert name("dh_1/dw_h (direct)").endswith(r"\big\vert_{\text{direct}}")


def test_seed_grad(seed):
    tex = grad_tex(grad(forward(seed), Quantity("L"), [Quantity("w_h")], "paths"))
    assert balanced(tex)
    assert r"2\left(6 - 5\right) \cdot 2 \cdot \left[2 + 1 \cdot 1\right] = 12" in tex
    assert r"= -4 + 12 = 8" in tex


def test_seed_forward_standalone(seed):
    tex = forward_tex(forward(seed), standalone=True)
    assert tex.startswith(r"\documentclass") and tex.rstrip().endswith(r"\end{document}")
    assert balanced(tex)
    assert r"h_{2} &= w_{h} h_{1} + w_{x} x_{2} = 1 \times 2 + 0.1 \times 10 = 3" in tex


def test_vector_problem_is_well_formed():
    p = problem_of({"activation": "tanh", "output": "softmax", "loss": "cross_entropy",
                    "params": {"w_h": [[0.5, -0.3], [0.2, 0.4]], "w_x": [[1], [0.5]],
                               "w_y": [[1, 0], [0, 1]]},
                    "data": {"x": [1, 2], "y": [1, 2]}})
    tex = grad_tex(grad(forward(p), Quantity("L"), [Quantity("w_h")]), standalone=True)
    assert balanced(tex) and r"\begin{bmatrix}" in tex and r"^{\top}" in tex


# -- text from files is escaped; long lines are broken ----------------------------------------

def test_text_escapes_every_special_and_unicode():
    from rnn_cli.render.latex import text
    assert text(r"a_b & 50% $x$ #1 {y} ~ ^ \input") == \
        r"a\_b \& 50\% \$x\$ \#1 \{y\} \textasciitilde{} \textasciicircum{} " \
        r"\textbackslash{}input"
    assert text("--all-steps") == "-{}-all-steps"
    assert text("7/3 ≈ 2.33 → 2.3") == r"7/3 $\approx$ 2.33 $\to$ 2.3"
    assert text("Café") == r"Caf\'{e}"
    assert text("日") == r"\texttt{[U+65E5]}"


def test_entry_of_a_vector_is_no_double_subscript():
    p = problem_of({"activation": "tanh", "output": "softmax", "loss": "cross_entropy",
                    "params": {"w_h": [[0.5, -0.3], [0.2, 0.4]], "w_x": [[1], [0.5]],
                               "w_y": [[1, 0], [0, 1], [1, 1]]},
                    "data": {"x": [1, 2], "y": [1, 3]}})
    tex = grad_tex(grad(forward(p), Quantity("L"), [Quantity("w_y", index=(2, 1))]))
    assert not re.search(r"_\{[^{}]*\}_\{", tex)      # h_{1}_{2} does not compile
    assert r"\frac{\partial L}{\partial o_{1}}\right)[2] \cdot h_{1}[1]" in tex


def test_long_lines_are_broken_and_stay_balanced():
    """relu over four steps: dL_4/dw_x is a bracket of four paths, far wider than a page."""
    from conftest import load
    from rnn_cli.render.latex import BR, WIDTH, width
    p = load(None, "relu_last")
    tex = grad_tex(grad(forward(p), Quantity("L"), [Quantity("w_x")], "paths"))
    assert BR not in tex and balanced(tex)
    lines = tex.splitlines()
    assert any(line.startswith(r"&\quad") for line in lines)
    assert max(width(line) for line in lines) <= WIDTH + 20


def test_check_and_explain_latex_escape_and_balance(tmp_path):
    from rnn_cli.teach.check import check_files
    from rnn_cli.teach.explain import run
    from rnn_cli.render.latex import check_tex, topic_tex
    key = ROOT / "keys" / "assignment3-handwritten.toml"
    tex = check_tex(check_files([key]), standalone=True)
    assert balanced(tex) and r"$\times$ wrong" in tex and r"$\sim$ consistent" in tex
    assert r"\hat{y}_{1}" in tex and "$w_{h}$ was used where $w_{y}$ belongs" in tex
    seed = load(None, "assignment3")
    topic = run("vanishing", seed, None, None, (), None, 2, 1)
    tex = topic_tex(topic, standalone=True)
    assert balanced(tex) and r"\begin{longtable}" in tex and r"\paragraph{Answer.}" in tex


# -- compiled with pdflatex -------------------------------------------------------------------

TEX_MISSING = "pdflatex is not installed (Debian: apt-get install texlive-latex-base " \
              "texlive-latex-recommended)"
PDFTOTEXT_MISSING = "pdftotext is not installed (Debian: apt-get install poppler-utils)"


def compile_pdf(tex: str, folder) -> tuple[str, str]:
    """pdflatex on `tex` in `folder`: (the PDF's text by pdftotext, pdflatex's log)."""
    if shutil.which("pdflatex") is None:
        pytest.skip(TEX_MISSING)
    if shutil.which("pdftotext") is None:
        pytest.skip(PDFTOTEXT_MISSING)
    (folder / "doc.tex").write_text(tex, encoding="utf-8")
    r = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error",
                        "-no-shell-escape", "doc.tex"], cwd=folder, capture_output=True,
                       text=True, timeout=300)
    log = (folder / "doc.log").read_text(encoding="latin-1")
    assert r.returncode == 0, log[-3000:]
    out = subprocess.run(["pdftotext", "doc.pdf", "-"], cwd=folder, capture_output=True,
                         text=True, timeout=120, check=True).stdout
    # one line of text, the minus sign as a hyphen: "2 (6 − 5)" -> "2 (6 - 5)"
    return " ".join(out.replace("−", "-").split()), log


def test_seed_forward_compiles(tmp_path):
    """The numbers of the handwritten page, worked by hand: h_1 = 1*1 + 0.1*10 = 2,
    h_2 = 1*2 + 0.1*10 = 3, y_hat_1 = 2*2 = 4, y_hat_2 = 2*3 = 6, L = 1 + 1 = 2."""
    pdf, log = compile_pdf(cli(["forward", "--format", "latex", "--standalone"]), tmp_path)
    for line in ("= 1 × 1 + 0.1 × 10 = 2", "= 1 × 2 + 0.1 × 10 = 3", "= 2 × 2 = 4",
                 "= 2 × 3 = 6", "= (4 - 5) = 1", "= (6 - 5) = 1", "= 1 + 1 = 2"):
        assert line in pdf, (line, pdf)
    assert "Overfull" not in log


def test_seed_grad_all_compiles(tmp_path):
    """dL/dw_h = 2(4-5)*2*1 + 2(6-5)*2*[2 + 1*1] = -4 + 12 = 8; dL/dw_x = -40 + 80 = 40;
    dL/dw_y = -2*2 + 2*3 = 2; dL/db_h = -4 + 8 = 4; dL/db_y = -2 + 2 = 0; dL/dh_0 = -4 + 4."""
    pdf, log = compile_pdf(cli(["grad", "--wrt", "all", "--format", "latex", "--standalone"]),
                           tmp_path)
    for line in ("2 (6 - 5) · 2 · [2 + 1 · 1] = 12", "= -4 + 12 = 8", "= -40 + 80 = 40",
                 "= -4 + 6 = 2", "= -4 + 8 = 4", "= -2 + 2 = 0", "= -4 + 4 = 0",
                 "2 (4 - 5) · 2 · 1 = -4"):
        assert line in pdf, (line, pdf)
    assert "Overfull" not in log


def test_seed_check_compiles(tmp_path):
    """The handwritten key: y_hat_1 = 2 is wrong (4), dL_2/dw_h = 8 is wrong (12)."""
    key = ROOT / "keys" / "assignment3-handwritten.toml"
    pdf, _ = compile_pdf(cli(["check", str(key), "--format", "latex", "--standalone"],
                             code=1), tmp_path)
    # the columns wrap (a float32 rule is long), so the text runs column by column
    assert pdf.count("× wrong") == 2 and pdf.count("exact") == 11
    assert "score 4/11" in pdf and "= wh · h1 = 2" in pdf        # a diagnosis as maths


@pytest.mark.parametrize("name", ["tanh_bias", "relu_last", "sigmoid_bce", "softmax_2unit"])
def test_examples_compile_inside_the_margins(name, tmp_path):
    tex = cli(["grad", "--problem", name, "--wrt", "all", "--format", "latex", "--standalone"])
    _, log = compile_pdf(tex, tmp_path)
    assert "Overfull \\hbox" not in log, name


def test_explain_prose_names_become_math():
    from rnn_cli.render.latex import prose
    assert prose("dh_T/dh_{t-1} = w_h f'(a_t)") == r"$dh_{T}/dh_{t-1}$ = $w_{h}$ f'($a_{t}$)"
    assert prose("y_hat_3 and h_{t-1}^T") == r"$\hat{y}_{3}$ and $h_{t-1}^{\top}$"
    assert prose("σ_max(dh_2/dh_0)^(1/2)") == \
        r"$\sigma_{\max}$($dh_{2}/dh_{0}$)\textasciicircum{}(1/2)"
    assert prose("∂h_t/∂h_{t-1}") == r"$\partial h_{t}/\partial h_{t-1}$"
    # the text topics quote the user's texts as they are
    assert prose("'a_b{c}'", notation=False) == r"'a\_b\{c\}'"


LONG_TEXT = ("abcdefghijklmnopqrstuvwxyz" * 8)[:200]
ASCII = "".join(chr(c) for c in range(0x21, 0x7f))        # every printable but space
EXPLAIN_CASES = {
    # every topic on the built-in problem (the text topics on their default texts)
    **{topic: [topic] for topic in ("vanishing", "exploding", "bptt", "lstm", "gru",
                                     "seq2seq", "onehot", "padding")},
    # the widest tables: a GRU's and an LSTM's own cells, vectors with gate ranges
    "gru_2unit": ["gru", "--problem", "gru_2unit"],
    "lstm_1unit": ["lstm", "--problem", "lstm_1unit", "--steps", "12"],
    "vector": ["vanishing", "--problem", "softmax_2unit"],
    # a 200-letter text in a heading and a cell, and a 92-symbol vocabulary
    "long_text": ["seq2seq", "--text", LONG_TEXT, "--text", "ab"],
    "wide_vocab": ["onehot", "--text", "hello", "--vocab", ASCII],
}


@pytest.mark.parametrize("case", EXPLAIN_CASES)
def test_explain_compiles_inside_the_margins(case, tmp_path):
    """Every topic's standalone document compiles and nothing runs past the page edge (the
    gru table used to, by 81 pt)."""
    pdf, log = compile_pdf(cli(["explain", *EXPLAIN_CASES[case], "--format", "latex",
                                "--standalone"]), tmp_path)
    assert "Answer." in pdf
    assert "Overfull \\hbox" not in log, re.findall(r"Overfull.*", log)


@pytest.mark.parametrize("topic", ["vanishing", "bptt", "lstm", "gru"])
def test_explain_names_are_math_not_braces(topic, tmp_path):
    """h_{t-1} in the prose is typeset as math: no TeX braces or underscores reach the
    page."""
    tex = cli(["explain", topic, "--format", "latex", "--standalone"])
    assert r"\{" not in tex and r"\_" not in tex
    if topic in ("lstm", "gru"):
        assert "$h_{t-1}$" in tex
    pdf, _ = compile_pdf(tex, tmp_path)
    assert not set("{}_") & set(pdf), pdf


def test_hostile_title_is_printed_not_run(tmp_path):
    """A title full of TeX commands compiles to a PDF that shows it as text."""
    f = tmp_path / "p.toml"
    f.write_text('title = "\\\\input{/etc/passwd} \\\\write18{ls} $x$ 100% & _"\n' + SEED_TABLES,
                 encoding="utf-8")
    pdf, _ = compile_pdf(cli(["forward", "--file", str(f), "--format", "latex",
                              "--standalone"]), tmp_path)
    assert "\\input{/etc/passwd} \\write18{ls} $x$ 100% &" in pdf
    assert "root:" not in pdf


def cli(args: list[str], code: int = 0) -> str:
    r = subprocess.run([sys.executable, "-m", "rnn_cli", *args], capture_output=True,
                       text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                       timeout=300)
    assert r.returncode == code, r.stderr
    return r.stdout
