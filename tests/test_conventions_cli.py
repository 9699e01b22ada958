"""The command line's conventions: -o/--output writes any command's result to a file, g has
its own flag (the old `--output NAME` still works, with a notice), --version, shell completion."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rnn_cli.cli import app

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


def run(*args, cwd=None):
    return runner.invoke(app, [str(a) for a in args])


@pytest.mark.parametrize("args", [
    ["forward", "--format", "json"],
    ["grad", "--wrt", "w_h", "--format", "json"],
    ["explain", "bptt", "--format", "json"],
    ["graph", "--format", "dot"],
])
def test_output_writes_the_same_result_as_stdout(tmp_path, args):
    shown = run(*args)
    assert shown.exit_code == 0, shown.output
    target = tmp_path / "result.out"
    written = run(*args, "-o", target)
    assert written.exit_code == 0, written.output
    assert written.stdout == ""
    assert target.read_text(encoding="utf-8") == shown.stdout


def test_output_of_a_table_is_plain_text(tmp_path):
    target = tmp_path / "grad.txt"
    r = run("grad", "--wrt", "w_h", "--output", target)
    assert r.exit_code == 0, r.output
    text = target.read_text(encoding="utf-8")
    assert "\x1b" not in text
    # the seed: dL/dw_h = 8, its second path 2(6 - 5) * 2 * [2 + 1 * 1] = 12
    assert "dL/dw_h = 8" in text and "2(6 - 5) * 2 * [2 + 1 * 1]" in text
    assert not any(line != line.rstrip() for line in text.splitlines())


def test_check_output_still_writes_the_report(tmp_path):
    target = tmp_path / "r.json"
    r = run("check", ROOT / "keys" / "assignment3-handwritten.toml", "--format", "json",
            "-o", target)
    assert r.exit_code == 1                                  # the handwritten key has mistakes
    assert json.loads(target.read_text())["passed"] is False


def test_output_function_has_its_own_flag():
    # sigmoid(o_1) with o_1 = 4 on the seed: y_hat_1 = 1/(1 + e^-4) = 0.98201379...
    r = run("forward", "--output-function", "sigmoid", "--format", "json")
    assert r.exit_code == 0, r.output
    steps = json.loads(r.stdout)["steps"]
    assert abs(steps[0]["y_hat"] - 0.9820137900379085) < 1e-12


def test_the_old_output_spelling_of_g_still_works_with_a_notice(tmp_path):
    new = run("forward", "--output-function", "sigmoid", "--format", "json")
    old = runner.invoke(app, ["forward", "--output", "sigmoid", "--format", "json"])
    assert old.exit_code == 0
    assert old.stdout == new.stdout
    assert old.stderr.count("\n") == 1 and "deprecated" in old.stderr
    assert "--output-function sigmoid" in old.stderr


def test_graph_out_still_works_with_a_notice(tmp_path):
    target = tmp_path / "g.dot"
    r = run("graph", "--format", "dot", "--out", target)
    assert r.exit_code == 0
    assert target.read_text().startswith("// rnn-solve graph")
    assert "deprecated" in r.stderr


def test_version():
    from rnn_cli import __version__
    r = run("--version")
    assert r.exit_code == 0 and r.stdout == f"rnn-solve {__version__}\n"


def test_completion_is_offered():
    r = run("--help")
    assert "--install-completion" in r.stdout and "--show-completion" in r.stdout


def test_show_completion_prints_a_script():
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SHELL": "/bin/bash"}
    r = subprocess.run([sys.executable, "-m", "rnn_cli", "--show-completion", "bash"],
                       capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "complete" in r.stdout and "rnn" in r.stdout
