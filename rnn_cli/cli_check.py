"""The `check` command: answer keys (teach/check.py), a class's submissions against their
variants (teach/classroom.py), and a student's gradient arrays (teach/arrays.py). It is
registered on cli.py's app; cli.py imports this module where the command's place is."""

import enum
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from .cli import DigitsOpt, Exit, OutputOpt, StandaloneOpt, _emit, _opt, app, guarded
from .streams import verdict_kept
from .model.errors import InputError


class CheckFormat(str, enum.Enum):
    table = "table"
    json = "json"
    junit = "junit"
    markdown = "markdown"
    latex = "latex"
    html = "html"
    csv = "csv"


@app.command()
@guarded
def check(files: Annotated[Optional[list[Path]], typer.Argument(
              help="Problem files with [answers] (with --answers: the one problem).",
              show_default=False)] = None,
          fmt: Annotated[CheckFormat, typer.Option("--format", help="table, json, junit "
                                                   "(JUnit XML), markdown, latex, html (a "
                                                   "class report with --keys) or csv (a "
                                                   "gradebook).")]
          = CheckFormat.table,
          output: OutputOpt = None,
          keys: Annotated[Optional[Path], typer.Option("--keys", help="The keys of a class "
                          "(written by `variants`): each file is a submission, judged on its "
                          "student's variant.")] = None,
          digits: DigitsOpt = 6, standalone: StandaloneOpt = False,
          answers: Annotated[Optional[Path], typer.Option("--answers", metavar="GRADS.npz",
                             help="Gradient arrays (.npz or .pt) named dL/dw_h or as a course "
                             "names them (dWhh, dWh, weight_hh_l0): judged and diagnosed.")]
          = None,
          convention: Annotated[Optional[str], typer.Option("--convention", help="With "
                                "--answers: karpathy, cs231n, coursera, d2l or pytorch.")]
          = None,
          problem: Annotated[Optional[str], _opt("--problem", "-p", help="With --answers: a "
                             "problem in a file of several.")] = None,
          weights: Annotated[Optional[Path], _opt("--weights", help="With --answers: the "
                             "problem's weights file (.npz, .pt).")] = None):
    """Check the answer keys in the files: each answer correct, consistent (wrong only
    because an earlier wrong answer of the key carried forward) or wrong, with the likely
    mistake. Exit 0 when every answer is correct, 1 otherwise, 2 for bad input.

    Example: rnn-solve check key.toml --format junit --output results.xml
    Example: rnn-solve check problem.toml --answers grads.npz --convention karpathy
    """
    files = files or []
    from .model.outputs import check_output, is_stdout
    check_output(output, [*files, keys, answers, weights])     # before any work
    if answers is not None:     # a student's gradient arrays (teach/arrays.py)
        from .render.gradout import render
        from .teach.arrays import check_answers
        report = check_answers(files, answers, convention, problem, weights)
        out = lambda: render(report, fmt.value, digits, standalone, to_file=not is_stdout(output))
        protect = [*files, answers, weights]
    elif not files:
        raise InputError("expected one or more problem files with [answers] (or --answers "
                         "GRADS.npz)", where="check")
    else:
        if keys is not None:
            from .teach.classroom import check_submissions
            report = check_submissions(files, keys)
        else:
            from .teach.check import check_files      # api.check_paths without api's
            report = check_files(files)               # imports (every command's results)
        from .render import checkout, html, latex
        from .render import csv as gradebook
        from .render.jsonout import dumps
        out = {CheckFormat.json: lambda: dumps(checkout.check_json(report)),
               CheckFormat.junit: lambda: checkout.check_junit(report, digits),
               CheckFormat.markdown: lambda: checkout.check_md(report, digits),
               CheckFormat.latex: lambda: latex.check_tex(report, digits, standalone),
               CheckFormat.table: lambda: checkout.check_view(report, digits),  # to a file:
               CheckFormat.html: lambda: html.check_html(report, digits),       # plain text
               CheckFormat.csv: lambda: gradebook.gradebook(report)}[fmt]
        protect = [*files, keys]
    try:
        with verdict_kept():        # `| head` ends the output, not the verdict
            _emit(out(), output, protect)
    finally:        # the input errors are said even where the report cannot be written
        for e in report.errors:
            print(f"rnn-solve: error: {e}", file=sys.stderr)
    raise typer.Exit(Exit.BAD_INPUT if report.errors else Exit.OK if report.passed
                     else Exit.WRONG)
