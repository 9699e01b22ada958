"""The layers: the core computes without the command line's libraries, and every command is
documented (help text with an example, and a mention in the README)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.main import get_command

from rnn_cli.cli import app

ROOT = Path(__file__).resolve().parent.parent
CORE = ("rnn_cli.numbers", "rnn_cli.names", "rnn_cli.problem", "rnn_cli.files",
        "rnn_cli.expr", "rnn_cli.forward", "rnn_cli.bptt", "rnn_cli.errors", "rnn_cli.graph")
UI = ("typer", "rich", "click")


def _loaded_after(code: str) -> set[str]:
    """The top-level packages in sys.modules after running `code` in a fresh interpreter."""
    script = code + "\nimport sys\nprint(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                       env=env, cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stderr
    return set(r.stdout.split())


def test_core_modules_import_without_typer_or_rich():
    loaded = _loaded_after("\n".join(f"import {m}" for m in CORE))
    assert "rnn_cli" in loaded
    assert not loaded & set(UI), loaded & set(UI)


@pytest.mark.parametrize("module", CORE)
def test_each_core_module_alone(module):
    loaded = _loaded_after(f"import {module}")
    assert not loaded & set(UI), (module, loaded & set(UI))


def test_core_computes_without_typer_or_rich():
    """Loading the seed, its forward pass and every gradient needs neither typer nor rich."""
    loaded = _loaded_after(
        "from rnn_cli.files import load\n"
        "from rnn_cli.forward import forward\n"
        "from rnn_cli.bptt import grad\n"
        "p = load(None, 'assignment3')\n"
        "f = forward(p)\n"
        "for style in ('paths', 'delta'):\n"
        "    d = grad(f, p.resolve('L').wrt, [p.resolve(n).wrt for n in ('w_h', 'w_x')], style)\n"
        "    assert [g.value for g in d.gradients] == [8, 40], d\n")
    assert not loaded & set(UI), loaded & set(UI)


COMMANDS = get_command(app).commands
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_app_has_commands():
    assert COMMANDS


@pytest.mark.parametrize("name", list(COMMANDS))
def test_command_help_has_an_example(name):
    cmd = COMMANDS[name]
    assert cmd.help and cmd.help.strip(), name
    assert "Example" in cmd.help, name
    # the example is of this very command
    assert re.search(rf"Example: rnn-solve {re.escape(name)}\b", cmd.help), name


# commands the README does not document yet (each a bug: README.md's "Commands" table)
README_BUGS: dict = {}


@pytest.mark.parametrize("name", [
    pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=README_BUGS[n]))
    if n in README_BUGS else n for n in COMMANDS])
def test_command_is_in_readme(name):
    assert re.search(rf"rnn-solve {re.escape(name)}\b", README), name


def test_app_help_has_an_example():
    assert "Example" in (get_command(app).help or "")
