"""The examples of README.md and docs/*.md, found and run: console blocks (```console, each
command on a `$ ` line followed by its output) through a shell, Python blocks (```python with
`>>> ` lines) through doctest. Used by test_docs.py; `python tests/doc_examples.py --update`
rewrites every console block's output from a fresh run (review the diff before committing)."""

from __future__ import annotations

import doctest
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```[ \t]*$", re.M | re.S)
WIDTH = "100"                 # COLUMNS for every console example: tables wrap the same way
COPIED = ("examples.toml", "keys", "docs/examples")     # what the examples may read


@dataclass
class Command:
    page: Path
    line: int            # the line of the `$ ` in the page
    command: str
    expected: list[str]


def pages() -> list[Path]:
    return [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md"))


def console_blocks(text: str):
    """(start offset of the block's body, body) for each ```console block."""
    for m in FENCE.finditer(text):
        if m.group(1) == "console":
            yield m.start(2), m.group(2)


def commands(page: Path, text: str | None = None) -> list[Command]:
    text = page.read_text(encoding="utf-8") if text is None else text
    found = []
    for start, body in console_blocks(text):
        first_line = text.count("\n", 0, start) + 1
        current = None
        for i, line in enumerate(body.splitlines()):
            if line.startswith("$ "):
                current = Command(page, first_line + i, line[2:], [])
                found.append(current)
            elif current is not None:
                current.expected.append(line)
    return found


def sandbox() -> Path:
    """A folder holding copies of what the examples read, and an `rnn-solve` on PATH that
    runs this checkout's code."""
    where = Path(tempfile.mkdtemp(prefix="rnn-docs-"))
    for name in COPIED:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, where / name)
        elif src.exists():
            (where / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(src, where / name)
    bin_dir = where / ".bin"
    bin_dir.mkdir()
    shim = bin_dir / "rnn-solve"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m rnn_cli "$@"\n')
    shim.chmod(0o755)
    return where


def environment(where: Path) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("FORCE_COLOR", "NO_COLOR", "TERM", "RNN_SOLVE_DEBUG")}
    env.update(COLUMNS=WIDTH, PATH=f"{where / '.bin'}{os.pathsep}{env.get('PATH', '')}",
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
               LC_ALL="C.UTF-8", PYTHONIOENCODING="utf-8")
    return env


def run(cmd: Command, where: Path) -> list[str]:
    """The command's output (stdout then stderr, as a terminal shows them), line by line."""
    r = subprocess.run(["bash", "-c", cmd.command], cwd=where, env=environment(where),
                       capture_output=True, text=True, timeout=600)
    return [line.rstrip() for line in (r.stdout + r.stderr).rstrip("\n").splitlines()]


def matches(expected: list[str], actual: list[str]) -> bool:
    """Line by line, trailing spaces aside; a line `...` stands for any number of lines."""
    from functools import lru_cache
    want = [line.rstrip() for line in expected]
    while want and not want[-1]:
        want.pop()

    @lru_cache(maxsize=None)
    def match(i: int, j: int) -> bool:
        if i == len(want):
            return j == len(actual)
        if want[i] == "...":
            return any(match(i + 1, k) for k in range(j, len(actual) + 1))
        return j < len(actual) and want[i] == actual[j] and match(i + 1, j + 1)

    return match(0, 0)


def python_blocks(page: Path, text: str | None = None) -> list[tuple[int, str]]:
    text = page.read_text(encoding="utf-8") if text is None else text
    return [(text.count("\n", 0, m.start(2)) + 1, m.group(2)) for m in FENCE.finditer(text)
            if m.group(1) == "python" and ">>> " in m.group(2)]


def run_doctest(page: Path, where: Path, text: str | None = None) -> list[str]:
    """Every Python block of the page, in order, sharing one namespace; the failures."""
    globs: dict = {}
    failures = []
    old, path = os.getcwd(), os.environ.get("PATH", "")
    os.chdir(where)
    os.environ["PATH"] = environment(where)["PATH"]   # an example may run `rnn-solve`
    try:
        for line, body in python_blocks(page, text):
            test = doctest.DocTestParser().get_doctest(body, globs, f"{page.name}:{line}",
                                                       str(page), line)
            runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS
                                           | doctest.NORMALIZE_WHITESPACE)
            out: list[str] = []
            runner.run(test, out=out.append, clear_globs=False)
            failures += out
    finally:
        os.chdir(old)
        os.environ["PATH"] = path
    return failures


def update(only: list[str] | None = None) -> None:
    """Rewrite the outputs of the console blocks whose output no longer matches (an output
    that still matches, `...` lines and all, is kept as written)."""
    where = sandbox()
    for page in pages():
        if only and page.name not in only:
            continue
        text = page.read_text(encoding="utf-8")
        pieces, last = [], 0
        for start, body in console_blocks(text):
            out: list[str] = []
            for cmd in commands(page, "```console\n" + body + "```\n"):
                actual = run(cmd, where)
                out += ["$ " + cmd.command] + (cmd.expected if matches(cmd.expected, actual)
                                               else actual)
            pieces += [text[last:start], "\n".join(out) + "\n"]
            last = start + len(body)
        new = "".join(pieces) + text[last:]
        if new != text:
            page.write_text(new, encoding="utf-8")
            print("updated", page.relative_to(ROOT))
    shutil.rmtree(where, ignore_errors=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--update"]:
        update(sys.argv[2:])
    else:
        sys.exit("usage: python tests/doc_examples.py --update [PAGE.md ...]")
