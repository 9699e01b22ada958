"""The `variants` command: a variant of a problem for every student of a class
(teach/variants.py), registered on cli.py's app."""

import enum
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from .cli import app, guarded


class SheetFormat(str, enum.Enum):
    markdown = "markdown"
    latex = "latex"


@app.command()
@guarded
def variants(problem: Annotated[str, typer.Argument(help="A built-in problem's name or a "
                                                    "problem file.", show_default=False)],
             seed: Annotated[str, typer.Option("--seed", help="Any text: the same seed and "
                             "ids give the same variants.")],
             out: Annotated[str, typer.Option("--output", "-o", metavar="PATH",
                            help="The folder to write problems/, sheets/ and keys.toml into "
                            "(a folder: not -).")],
             count: Annotated[Optional[int], typer.Option("--count", help="N students, "
                              "s001 to sN.")] = None,
             roster: Annotated[Optional[Path], typer.Option("--roster", help="A CSV file with "
                               "a header row: one student per row.")] = None,
             id_column: Annotated[Optional[str], typer.Option("--id-column", help="The "
                                  "roster's column of ids (default: the first).")] = None,
             name: Annotated[Optional[str], typer.Option("--problem", "-p", help="A problem "
                             "in a file of several.")] = None,
             fmt: Annotated[SheetFormat, typer.Option("--format", help="The question "
                            "sheets: markdown or latex.")] = SheetFormat.markdown):
    """A variant of a problem for every student: its own numbers, pleasant by hand and never
    degenerate; a question sheet each, and the class's keys for `check --keys`.

    Example: rnn-solve variants assignment3 --count 30 --seed 2026 -o class
    """
    from .model.outputs import check_folder
    from .model.safe import visible
    from .teach.variants import class_ids, load_table, make, shared
    from .render.sheets import write_class
    check_folder(out)          # a str, so that -o '' is refused and not the current folder
    out = Path(out)
    ids = class_ids(count, None if roster is None else str(roster), id_column)
    pname, table, prob, where = load_table(problem, name)
    made = make(prob, table, ids, seed, where)
    from .streams import ascii_wanted, to_ascii
    write_class(out, made, seed, where, fmt.value, to_ascii if ascii_wanted() else None)
    for group in shared(made):
        print(f"rnn-solve: warning: {visible(' and '.join(group))} share a variant (the chance "
              "of the draw)", file=sys.stderr)
    print(f"{len(made)} variants of {visible(pname)} in {visible(out)}: problems/, sheets/, "
          "keys.toml (private)")
