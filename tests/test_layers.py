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
CORE = ("rnn_cli.model.numbers", "rnn_cli.model.names", "rnn_cli.model.problem",
        "rnn_cli.model.files", "rnn_cli.model.errors",
        "rnn_cli.derive.expr", "rnn_cli.derive.forward", "rnn_cli.derive.bptt", "rnn_cli.teach.graph")
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
        "from rnn_cli.model.files import load\n"
        "from rnn_cli.derive.forward import forward\n"
        "from rnn_cli.derive.bptt import grad\n"
        "p = load(None, 'assignment3')\n"
        "f = forward(p)\n"
        "for style in ('paths', 'delta'):\n"
        "    d = grad(f, p.resolve('L').wrt, [p.resolve(n).wrt for n in ('w_h', 'w_x')], style)\n"
        "    assert [g.value for g in d.gradients] == [8, 40], d\n")
    assert not loaded & set(UI), loaded & set(UI)


COMMANDS = get_command(app).commands
README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCS = README + "".join(p.read_text(encoding="utf-8") for p in (ROOT / "docs").glob("*.md"))


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
def test_command_is_in_the_docs(name):
    assert re.search(rf"rnn-solve {re.escape(name)}\b", DOCS), name


def test_app_help_has_an_example():
    assert "Example" in (get_command(app).help or "")


# -- the package's layout ---------------------------------------------------------------------

PACKAGE = ROOT / "rnn_cli"
# each layer and the layers it may import (errors live in model/, so every layer may raise them)
LAYERS = {"model": set(), "derive": {"model"}, "teach": {"model", "derive"},
          "render": {"model", "derive", "teach"}}
TOP = {"model", "derive", "teach", "render"}


def _imports(path: Path, package: Path = PACKAGE) -> set[str]:
    """The rnn_cli modules a file imports, as dotted names below rnn_cli ('model.errors')."""
    import ast
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = path.relative_to(package).with_suffix("").parts[:-1]     # the file's package
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(here[:len(here) - (node.level - 1)] if node.level > 1 else here)
                target = base + (node.module.split(".") if node.module else [])
                if not node.module:
                    found |= {".".join(target + [a.name]) for a in node.names}
                    continue
                found.add(".".join(target))
            elif node.module and node.module.startswith("rnn_cli."):
                found.add(node.module.removeprefix("rnn_cli."))
        elif isinstance(node, ast.Import):
            found |= {a.name.removeprefix("rnn_cli.") for a in node.names
                      if a.name.startswith("rnn_cli.")}
    return found


def test_imports_point_down_the_layers():
    wrong = []
    for path in PACKAGE.rglob("*.py"):
        layer = path.relative_to(PACKAGE).parts[0]
        if layer not in LAYERS:
            continue                         # cli.py, api.py and the package's own files
        for target in _imports(path):
            other = target.split(".")[0]
            if other in TOP and other != layer and other not in LAYERS[layer]:
                wrong.append(f"{path.relative_to(ROOT)} imports rnn_cli.{target}")
    assert not wrong, wrong


def test_the_import_check_sees_an_upward_import(tmp_path):
    """The checker itself: a model/ file that imports from teach/, relatively or not, is found."""
    (tmp_path / "model").mkdir()
    fake = tmp_path / "model" / "numbers.py"
    fake.write_text("from ..teach import check\nfrom ..teach.mistakes import diagnose\n"
                    "import rnn_cli.render.table\nfrom .errors import InputError\n")
    assert _imports(fake, tmp_path) == {"teach", "teach.mistakes", "render.table",
                                        "model.errors"}


def test_top_level_is_small_and_no_module_is_long():
    top = [p.name for p in PACKAGE.glob("*.py")]
    assert len(top) <= 8, top
    assert sum(1 for p in PACKAGE.iterdir() if (p / "__init__.py").exists()) >= 3
    long = {str(p.relative_to(ROOT)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 600}
    assert not long, long


def test_every_module_says_what_it_owns():
    bare = [str(p.relative_to(ROOT)) for p in PACKAGE.rglob("*.py")
            if not p.read_text(encoding="utf-8").lstrip().startswith(('"""', "'''", "#!"))]
    assert not bare, bare
