"""The documentation runs: every console and Python example of README.md and docs/*.md is
executed and its output compared, so the docs cannot drift from the code. To refresh the
outputs after a deliberate change: `python tests/doc_examples.py --update`, then read the diff."""

import re
import shutil

import pytest

from doc_examples import (ROOT, Command, commands, matches, pages, python_blocks, run,
                          run_doctest, sandbox)

ALL = [c for page in pages() for c in commands(page)]
WITH_PYTHON = [p for p in pages() if python_blocks(p)]


@pytest.fixture(scope="module")
def where():
    folder = sandbox()
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_the_docs_have_examples():
    assert len(ALL) >= 10
    assert WITH_PYTHON


@pytest.mark.parametrize("cmd", ALL, ids=[f"{c.page.name}:{c.line}" for c in ALL])
def test_console_example(cmd, where):
    actual = run(cmd, where)
    assert matches(cmd.expected, actual), (
        f"{cmd.page.name}:{cmd.line}: `{cmd.command}` printed\n" + "\n".join(actual))


@pytest.mark.parametrize("page", WITH_PYTHON, ids=[p.name for p in WITH_PYTHON])
def test_python_examples(page, where):
    failures = run_doctest(page, where)
    assert not failures, "".join(failures)


# -- the harness itself: a broken example fails ----------------------------------------------

def test_a_wrong_console_output_is_caught(where, tmp_path):
    page = tmp_path / "broken.md"
    page.write_text("```console\n$ rnn-solve grad --wrt w_h --format json | grep -c value\n"
                    "999\n```\n")
    (cmd,) = commands(page)
    assert not matches(cmd.expected, run(cmd, where))
    fixed = Command(page, 1, cmd.command, run(cmd, where))
    assert matches(fixed.expected, run(fixed, where))


def test_a_wrong_python_output_is_caught(where, tmp_path):
    page = tmp_path / "broken.md"
    page.write_text("```python\n>>> import rnn_cli\n>>> rnn_cli.grad(rnn_cli.load(), wrt='w_h').value\n"
                    "Fraction(9, 1)\n```\n")
    assert run_doctest(page, where)
    page.write_text(page.read_text().replace("Fraction(9, 1)", "Fraction(8, 1)"))
    assert not run_doctest(page, where)


def test_ellipsis_stands_for_lines_and_nothing_else():
    assert matches(["a", "...", "d"], ["a", "b", "c", "d"])
    assert matches(["a", "...", "d"], ["a", "d"])
    assert not matches(["a", "...", "d"], ["a", "b", "c", "e"])
    assert not matches(["a", "b"], ["a", "b", "c"])


# -- every page is reached from the README ----------------------------------------------------

def test_every_docs_page_is_linked_from_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    docs = sorted(p.name for p in (ROOT / "docs").glob("*.md")) + \
        sorted(p.name for p in (ROOT / "docs").glob("*.ipynb"))
    assert len(docs) >= 5, docs
    missing = [d for d in docs if not re.search(rf"\]\(docs/{re.escape(d)}\)", readme)]
    assert not missing, missing


def test_readme_is_short_and_leads_with_the_two_commands():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 250, len(lines)
    head = "\n".join(lines[:25])
    assert re.search(r"^pip install \. && rnn-solve ", head, re.M)
    assert re.search(r"^pip install .*\[test\].*pytest", head, re.M)


def test_docs_tell_no_history():
    """User docs say what to type, not how the project was built."""
    for page in pages():
        text = page.read_text(encoding="utf-8").lower()
        for phrase in ("a new user's run", "earlier commit", "this session", "issue #",
                       "last round"):
            assert phrase not in text, (page.name, phrase)


def test_the_readme_problem_file_is_a_correct_key(where):
    """The problem a new user copies from the README checks correct: its answers were
    computed by hand (h_1 = tanh(0.6) = 0.53705; dL/dw_h = 0.110781 by central differences
    of the loss written out in plain Python)."""
    import math
    import os
    import subprocess
    import sys
    block = re.search(r"```toml\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"),
                      re.S).group(1)
    assert "h_1 = 0.5370" in block and round(math.tanh(0.6), 4) == 0.537

    def loss(w_h):
        h, total = 0.0, 0.0
        for x in (1, 2, 3):
            h = math.tanh(0.5 * x + w_h * h + 0.1)
            total += (h - 0.5) ** 2
        return total
    slope = (loss(0.8 + 1e-6) - loss(0.8 - 1e-6)) / 2e-6
    assert f'"dL/dw_h" = {slope:.4f}' in block
    (where / "readme-problem.toml").write_text(block, encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "rnn_cli", "check", "readme-problem.toml"],
                       cwd=where, capture_output=True, text=True,
                       env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert r.returncode == 0, r.stdout + r.stderr
