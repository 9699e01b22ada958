"""Small messages a new user meets, each one plain line (issue 13, item 7)."""

import subprocess
import sys

import pytest


def _run(*args):
    return subprocess.run([sys.executable, "-m", "rnn_cli", *args], capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize("args, line", [
    (["forward", "--x", "10,ten"],
     "rnn-solve: error: --x (value 2): expected a number (like 0.1, -2.5e-3 or 1/3), "
     "found 'ten'"),
    (["forward", "--x", "3", "--y", "1,2"],
     "rnn-solve: error: --x, --y: 2 targets for 1 input: expected 1, one for every step"),
    (["explain", "vanishing", "--steps", "2.5"],
     "rnn-solve: error: --steps: expected a whole number, found '2.5'"),
    (["forward", "--format", "xml"],
     "rnn-solve: error: --format: 'xml' is not one of 'table', 'json', 'markdown', 'latex', 'html'"),
])
def test_one_plain_line(args, line):
    r = _run(*args)
    assert r.returncode == 2
    assert r.stderr.strip() == line
    assert "built-in examples" not in r.stderr and "Usage" not in r.stderr


def test_a_missing_option_is_one_line_naming_the_help():
    r = _run("grad")
    assert r.returncode == 2 and "Usage" not in r.stderr
    assert r.stderr == "rnn-solve: error: missing option '--wrt'; see rnn-solve grad --help\n"
