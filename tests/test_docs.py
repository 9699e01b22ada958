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
