"""The command line: parse, build the problem, call one library function, render."""

import enum
import functools
import inspect
import os
import signal
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from . import interrupted
from .model.errors import InputError, Overflow
from .streams import (ASCII, Exit, QuietStderr, closed_pipe_status, finish, guarded,
                      stdout_error, usage_line)


class Format(str, enum.Enum):
    table = "table"
    json = "json"
    markdown = "markdown"
    latex = "latex"
    html = "html"


class Style(str, enum.Enum):
    paths = "paths"
    delta = "delta"


app = typer.Typer(
    name="rnn-solve", no_args_is_help=True, add_completion=True,
    pretty_exceptions_enable=False, rich_markup_mode=None,
    help="Solve, explain and check recurrent-neural-network homework, step by step.\n\n"
         "Example: rnn-solve grad --wrt w_h   (the built-in problem assignment3)")


def _version(value: bool) -> None:
    if value:
        from . import __version__
        print(f"rnn-solve {__version__}")
        raise typer.Exit()


@app.callback()
def _main(version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True,
        help="Print the version and exit.")] = False) -> None:
    """Solve, explain and check recurrent-neural-network homework, step by step.

    Example: rnn-solve grad --wrt w_h   (the built-in problem assignment3)
    """


# -- the options every problem command shares -------------------------------------------------

def _opt(*names, help, **kw):
    return typer.Option(*names, help=help, rich_help_panel="Problem", **kw)


SHARED = {
    "file": Annotated[Optional[Path], _opt("--file", "-f", help="A problem file (TOML).")],
    "problem": Annotated[Optional[str], _opt("--problem", "-p", help="A problem in a file of "
                         "several, or a built-in one (see `rnn-solve examples`).")],
    "w_x": Annotated[Optional[str], _opt("--w-x", help="w_x (also W_xh, U).")],
    "w_h": Annotated[Optional[str], _opt("--w-h", help="w_h (also W_hh, W).")],
    "w_y": Annotated[Optional[str], _opt("--w-y", help="w_y (also W_hy, V).")],
    "b_h": Annotated[Optional[str], _opt("--b-h", help="b_h, the hidden bias.")],
    "b_y": Annotated[Optional[str], _opt("--b-y", help="b_y, the output bias.")],
    "h0": Annotated[Optional[str], _opt("--h0", help="h_0, the initial state.")],
    "cell": Annotated[Optional[str], _opt("--cell", help="rnn (default), lstm or gru.")],
    "c0": Annotated[Optional[str], _opt("--c0", help="c_0, the LSTM's initial cell state.")],
    "param": Annotated[Optional[list[str]], _opt("--param", metavar="NAME=VALUE",
                       help="Any parameter, such as a gate's: --param w_xf=0.5 --param "
                       "\"b_f=[1, 1]\". Repeatable.")],
    "x": Annotated[Optional[str], _opt("--x", help="Inputs: 10,10 or [10, 10].")],
    "y": Annotated[Optional[str], _opt("--y", help="Targets: 5,5 or [5, 5].")],
    "activation": Annotated[Optional[str], _opt("--activation", help="f: identity, tanh, "
                            "sigmoid or relu.")],
    "output_function": Annotated[Optional[str], _opt("--output-function", "--g", help="g: identity, "
                        "sigmoid or softmax (the problem file's key `output`).")],
    "loss": Annotated[Optional[str], _opt("--loss", help="squared, half_squared or "
                      "cross_entropy.")],
    "reduction": Annotated[Optional[str], _opt("--reduction", help="sum or mean.")],
    "outputs": Annotated[Optional[str], _opt("--outputs", help='Steps with a target: all, '
                         'last, or a list such as "[2]".')],
    "weights": Annotated[Optional[Path], _opt("--weights", help="Weights (and data x, y) "
                         "from an .npz, or a PyTorch state_dict .pt/.pth (torch extra); the "
                         "problem's values and flags override the file's.")],
    "convention": Annotated[Optional[str], _opt("--convention", help="The names, layout "
                            "and reductions of a course's code: karpathy, cs231n, coursera, "
                            "d2l, pytorch or canonical (default: recognised from the names).")],
    "batch_reduction": Annotated[Optional[str], _opt("--batch-reduction", help="mean or sum: "
                                 "how the losses of N sequences (data.x N x T x D) combine.")],
    "head": Annotated[Optional[str], _opt("--head", help="pytorch: the nn.Linear head's "
                      "name where a state_dict has several (fc for fc.weight).")],
    "symbolic": Annotated[Optional[bool], _opt("--symbolic", help="Symbolic mode (SymPy): "
                          "every parameter given and every x_t, y_t a symbol; answers as "
                          "closed forms.", show_default=False)],
    "symbols": Annotated[Optional[str], _opt("--symbols", help="Only these symbols: w_h,x,y_2")],
    "layout": Annotated[Optional[str], _opt("--layout", help="column (w_h h + w_x x, the "
                        "default) or row (x W_xh + h W_hh, as course notebooks write it).")],
}
_PARAM_FLAGS = {"w_x": "--w-x", "w_h": "--w-h", "w_y": "--w-y", "b_h": "--b-h",
                "b_y": "--b-y", "h0": "--h0", "c0": "--c0"}
_STATES = {"h0": "h_0", "c0": "c_0"}


def _flags(values: dict) -> dict:
    """The flags that were given, as keys of a problem table ('params.w_h', 'data.x', ...)."""
    from .model.files import flag_list, flag_value
    out = {}
    for key, flag in _PARAM_FLAGS.items():
        if values[key] is not None:
            out["params." + _STATES.get(key, key)] = flag_value(values[key], flag)
    for item in values["param"] or ():
        from .model.names import param_name
        name, eq, value = item.partition("=")
        canonical = param_name(name.strip())
        if not eq or canonical is None:
            raise InputError(f"expected NAME=VALUE with a parameter's name, such as w_xf=0.5; "
                             f"found {item[:60]!r}", where="--param")
        out["params." + canonical] = flag_value(value, "--param")
    for key in ("x", "y"):
        if values[key] is not None:
            out[f"data.{key}"] = flag_list(values[key], f"--{key}")
    for key in ("cell", "activation", "loss", "reduction", "layout"):
        if values[key] is not None:
            out[key] = values[key]
    if values["output_function"] is not None:
        out["output"] = values["output_function"]
    if values["symbolic"] or values["symbols"] is not None:
        from .model.symbols import parse
        out["symbols"] = "all" if values["symbols"] is None else \
            list(parse(values["symbols"], "--symbols"))
    if values["outputs"] is not None:
        o = values["outputs"].strip()
        out["outputs"] = flag_list(o, "--outputs") if o.startswith("[") else o
        if isinstance(out["outputs"], list):
            from .model.numbers import parse_number
            steps = [parse_number(s, "--outputs") for s in out["outputs"]]
            if any(q.denominator != 1 for q in steps):
                raise InputError("expected whole step numbers such as [1, 3]", where="--outputs")
            out["outputs"] = [int(q) for q in steps]
    return out


def _flag_of(name: str) -> str:
    return "--" + name.rstrip("_").replace("_", "-")


def with_problem(fn):
    """Give a command the shared problem options; it receives the loaded `problem`."""
    sig = inspect.signature(fn)
    own = [p for p in sig.parameters.values() if p.name not in ("problem", "problem_file")]
    shared = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None,
                                annotation=ann) for name, ann in SHARED.items()]

    @functools.wraps(fn)
    @guarded
    def command(**kw):
        from .model.files import load
        values = {name: kw.pop(name) for name in SHARED}
        if "output" in kw:
            kw["output"] = _deprecated_g(kw["output"], values)
        from .model.outputs import check_output, distinct
        outs = [(value, _flag_of(name)) for name, value in kw.items()   # -o, --plot, --out
                if value is not None and (isinstance(value, Path) or name == "output")]
        for value, flag in distinct(outs):
            check_output(value, [values["file"], values["weights"]], flag)
        arrays = {"weights": values["weights"], "convention": values["convention"],
                  "batch": values["batch_reduction"], "head": values["head"]}
        kw["problem"] = load(values["file"], values["problem"], _flags(values), arrays)
        if getattr(kw["problem"], "symbols", ()) and fn.__name__ not in ("forward", "grad"):
            raise InputError(f"{fn.__name__} works with numbers; symbolic mode is for forward "
                             "and grad", where=str(values["file"] or "--symbolic/--symbols"))
        if "problem_file" in sig.parameters:    # a command that writes files protects it
            kw["problem_file"] = values["file"]
        try:
            return fn(**kw)
        except Overflow as e:       # found while computing: say which problem it came from
            e.where = e.where or kw["problem"].source or f"problem {kw['problem'].name}"
            raise

    command.__signature__ = sig.replace(parameters=own + shared + [ASCII])
    command.__annotations__ = {**{p.name: p.annotation for p in own}, **SHARED,
                               "ascii_": ASCII.annotation}
    return command


OutputOpt = Annotated[Optional[str], typer.Option(
    "--output", "-o", metavar="PATH", help="Write the result to this file (atomically) instead "
    "of standard output.")]
# the output function's names: `--output NAME` meant g before -o/--output wrote a file
G_NAMES = ("identity", "sigmoid", "softmax")


def _deprecated_g(output: Optional[str], problem_values: dict) -> Optional[str]:
    """`--output sigmoid`, the old spelling of --output-function, still works for one release:
    the value becomes g (with a one-line notice) and no file is written."""
    if output is not None and output in G_NAMES and not Path(output).exists():
        print(f"rnn-solve: warning: --output {output} for the output function g is deprecated "
              f"and will be removed; write --output-function {output} (-o/--output now names "
              "the file the result is written to)", file=sys.stderr)
        problem_values["output_function"] = output
        return None
    return output


def _emit(out, output: Optional[str], protect=()) -> None:
    """Print the result, or write it to `output` (model/outputs.py: '-' is standard output, a
    FIFO or device is written in place, an input is never written over): text and bytes as
    they are, a Rich table as plain text."""
    from .model.outputs import is_stdout, write_output
    from .streams import in_ascii
    if is_stdout(output) and not isinstance(out, bytes):
        return _print(out)
    out = in_ascii(out)             # --ascii (or an ASCII-only stdout) holds for files too
    if not isinstance(out, (str, bytes)):
        from .render.table import plain_text
        out = plain_text(out)
    write_output(output, out if isinstance(out, bytes) else out.rstrip("\n") + "\n",
                 [p for p in protect if p is not None])


FormatOpt = Annotated[Format, typer.Option("--format", help="table, json, markdown, latex "
                                           "(an align* environment; --standalone for a whole "
                                           "document) or html (a self-contained page).")]
StandaloneOpt = Annotated[bool, typer.Option("--standalone", help="With --format latex: a "
                                             "complete document that pdflatex compiles.")]
DigitsOpt = Annotated[int, typer.Option("--digits", min=1, max=50,
                                        help="Significant digits of inexact values.")]
AllStepsOpt = Annotated[bool, typer.Option("--all-steps", help="Show every step of a long "
                                           "sequence (by default the middle is left out).")]


class Notation(str, enum.Enum):
    canonical = "canonical"
    goodfellow = "goodfellow"
    karpathy = "karpathy"


NotationOpt = Annotated[Notation, typer.Option("--notation", help="Parameter names in tables: "
                        "canonical (w_x w_h w_y b_h b_y), goodfellow (U W V b c) or karpathy "
                        "(W_xh W_hh W_hy b_h b_y).")]


def _print(out) -> None:
    """Text as it is (JSON, Markdown, XML); a Rich renderable through a plain-when-piped
    console."""
    if isinstance(out, str):
        sys.stdout.write(out.rstrip("\n") + "\n")
    else:
        from .render.table import console
        console().print(out)
    sys.stdout.flush()


MAX_ALL_STEPS_T = 1_000          # --all-steps writes out at most this many steps ...
MAX_ALL_STEPS_WORK = 100_000     # ... and at most this many of T x H x H (docs/limits.md)


def _all_steps_bounded(problem, all_steps: bool) -> None:
    """Refuse --all-steps beyond its limits: every step written out, in exact or 50-digit
    arithmetic, grows with T and with the square of the hidden size."""
    if not all_steps:
        return
    H = problem.params["h_0"].shape[0] if hasattr(problem.params.get("h_0"), "shape") else 1
    if problem.T > MAX_ALL_STEPS_T or problem.T * H * H > MAX_ALL_STEPS_WORK:
        from .model.errors import TooLarge
        raise TooLarge(f"T = {problem.T:,} with H = {H}: --all-steps writes out at most "
                       f"{MAX_ALL_STEPS_T:,} steps and T x H x H at most "
                       f"{MAX_ALL_STEPS_WORK:,}; leave it out (the middle steps are then "
                       "summarised) or shorten the sequence", where="--all-steps")


def _progress(label: str, total_hint: int):
    """A progress callback drawing a Rich bar on stderr for long sequences (else None)."""
    if total_hint < 2000 or not sys.stderr.isatty():
        return None, None
    from rich.console import Console
    from rich.progress import Progress
    bar = Progress(transient=True, console=Console(stderr=True))
    task = bar.add_task(label, total=total_hint)
    bar.start()
    return (lambda done, total: bar.update(task, completed=done, total=total)), bar


# -- the commands -----------------------------------------------------------------------------

def _rendered(d, command: str, fmt: Format, view, standalone: bool):
    """A forward pass or a gradient (`command`) in the format asked for: the function
    `{command}_json`, `_md`, `_tex`, `_html` or `_view` of that format's render module."""
    if fmt is Format.json:
        from .render import jsonout
        return jsonout.dumps(getattr(jsonout, f"{command}_json")(d, view.all_steps))
    if fmt is Format.markdown:
        from .render import markdown
        return getattr(markdown, f"{command}_md")(d, view)
    if fmt is Format.latex:
        from .render import latex
        return getattr(latex, f"{command}_tex")(d, view, standalone)
    if fmt is Format.html:
        from .render import html
        return getattr(html, f"{command}_html")(d, view)
    from .render import table
    return getattr(table, f"{command}_view")(d, view)


@app.command()
@with_problem
def forward(problem, problem_file, fmt: FormatOpt = Format.table, digits: DigitsOpt = 6,
            all_steps: AllStepsOpt = False, notation: NotationOpt = Notation.canonical,
            standalone: StandaloneOpt = False, output: OutputOpt = None):
    """The forward pass and the loss, step by step: each formula in symbols, with the numbers
    substituted, and its value.

    Example: rnn-solve forward --w-h 0.5 --activation tanh
    """
    from .model.arrays import runs_in_float64
    if runs_in_float64(problem):   # weights file, convention, batch: float64 (docs/weights.md)
        from .render.arraysout import solved
        return _emit(*solved(problem, None, fmt.value, digits, standalone, output, problem_file))
    from .api import derive_forward
    from .render.rows import View
    _all_steps_bounded(problem, all_steps)
    view = View(digits, all_steps, notation.value)
    if problem.symbols:
        from .api import symbolic_forward
        from .render.symbolic import render
        return _emit(render(symbolic_forward(problem), "forward", fmt.value, view,
                            standalone), output, [problem_file])
    fwd = derive_forward(problem, all_steps)
    _emit(_rendered(fwd, "forward", fmt, view, standalone), output, [problem_file])


@app.command()
@with_problem
def grad(problem,
         wrt: Annotated[list[str], typer.Option("--wrt", metavar="NAME", help="What to differentiate by: a "
                        "parameter (w_h), a quantity (h_1, a_2) or 'all' (every parameter). "
                        "Repeatable.")],
         of: Annotated[str, typer.Option("--of", metavar="QUANTITY", help="What to differentiate: L (default), "
                       "L_t, y_hat_t, o_t, h_t or a_t; in an LSTM or GRU also c_t and the "
                       "gates (f_t, og_t, z_t, ...).")] = "L",
         style: Annotated[Optional[Style], typer.Option("--style", help="paths (every chain-"
                          "rule path, as by hand; default for T <= 4) or delta (the recursion "
                          "dL/dh_t, linear in T; default beyond).")] = None,
         general: Annotated[bool, typer.Option("--general", help="Symbolic: the BPTT "
                            "formula for any T (sums and products over steps), checked "
                            "against this problem's unrolled closed form.")] = False,
         fmt: FormatOpt = Format.table, digits: DigitsOpt = 6, all_steps: AllStepsOpt = False,
         notation: NotationOpt = Notation.canonical, standalone: StandaloneOpt = False,
         output: OutputOpt = None, problem_file=None):
    """A gradient with every chain-rule step: each factor in symbols, with numbers, and its
    value; then each path's product and their sum.

    Example: rnn-solve grad --wrt w_h        (dL/dw_h of the built-in problem)

    Example: rnn-solve grad --of h_2 --wrt h_0 --format json

    Example: rnn-solve grad --wrt all --symbolic   (closed forms in the parameters)
    """
    from .model.arrays import runs_in_float64
    if runs_in_float64(problem, of):
        from .render.arraysout import solved
        return _emit(*solved(problem, (wrt, of), fmt.value, digits, standalone, output,
                             problem_file))
    from .api import derive_grad
    from .render.rows import View
    _all_steps_bounded(problem, all_steps)
    view = View(digits, all_steps, notation.value)
    if general or problem.symbols:     # symbolic mode: render/symbolic.py
        from .api import general_grad, symbolic_grad
        from .render.symbolic import render
        r = general_grad(problem, wrt, of, called=("--of", "--wrt")) if general else \
            symbolic_grad(problem, wrt, of, style and style.value, called=("--of", "--wrt"))
        return _emit(render(r, "general" if general else "grad", fmt.value, view, standalone),
                     output, [problem_file])
    progress, bar = _progress("backpropagating", problem.T)
    try:
        d = derive_grad(problem, wrt, of, style.value if style else None, progress,
                        called=("--of", "--wrt"), all_steps=all_steps)
    finally:
        if bar is not None:
            bar.stop()
    _emit(_rendered(d, "grad", fmt, view, standalone), output, [problem_file])


@app.command()
@with_problem
def explain(problem,
            topic: Annotated[Optional[str], typer.Argument(help="The topic (see --list).",
                                                           show_default=False)] = None,
            list_: Annotated[bool, typer.Option("--list", help="List the topics.")] = False,
            steps: Annotated[Optional[int], typer.Option("--steps", help="Extend the sequence "
                             "to N steps by repeating its inputs.")] = None,
            truncate: Annotated[Optional[int], typer.Option("--truncate", help="bptt: also "
                                "the gradient when each loss goes back only K steps.")] = None,
            text: Annotated[Optional[list[str]], typer.Option("--text", help="seq2seq, onehot, "
                            "padding: a text (repeatable).")] = None,
            vocab: Annotated[Optional[str], typer.Option("--vocab", help="The characters of the "
                             "vocabulary, in the order of their one-hot indices (default: "
                             "those of the texts, sorted).")] = None,
            batch: Annotated[int, typer.Option("--batch", help="Batch size.")] = 2,
            forget_bias: Annotated[Optional[str], typer.Option("--forget-bias", help="lstm "
                                   "on an RNN problem: the forget gate's bias (default 1).")
                                   ] = None,
            update_bias: Annotated[Optional[str], typer.Option("--update-bias", help="gru on "
                                   "an RNN problem: the update gate's bias (default 1; z "
                                   "near 1 keeps the state).")] = None,
            plot: Annotated[Optional[Path], typer.Option("--plot", metavar="FILE.png",
                            help="vanishing, exploding, lstm, gru: also save the chart as a "
                            "PNG (needs pip install 'rnn-solve[plot]').")] = None,
            fmt: FormatOpt = Format.table, standalone: StandaloneOpt = False,
            output: OutputOpt = None, problem_file=None):
    """A concept of the assignment worked with the problem's own numbers, ending with an
    answer a student could hand in.

    Example: rnn-solve explain vanishing --steps 30 --activation tanh --w-h 0.8

    Example: rnn-solve explain gru --steps 40 --plot gru.png

    Example: rnn-solve explain lstm --problem lstm_1unit --steps 30
    """
    from .teach.explain import TOPICS, run
    from .model.arrays import to_problem
    problem = to_problem(problem, "explain")     # an array problem of one small sequence
    if list_ or topic is None:
        if fmt is Format.json:
            from .render.jsonout import dumps
            out = dumps({"topics": [{"topic": k, "title": v} for k, v in TOPICS.items()]})
        else:
            out = "\n".join(f"{name:<12} {line}" for name, line in TOPICS.items())
        return _emit(out, output, [problem_file])
    from .model.numbers import parse_number
    t = run(topic, problem, steps, truncate, tuple(text or ()), vocab, batch,
            None if forget_bias is None else parse_number(forget_bias, "--forget-bias"),
            None if update_bias is None else parse_number(update_bias, "--update-bias"))
    if plot is not None:
        from .teach.explain import CHARTED
        from .render.explainout import topic_plot
        topic_plot(t, plot, CHARTED)
    if fmt is Format.json:
        from .render.explainout import topic_json
        from .render.jsonout import dumps
        out = dumps(topic_json(t))
    elif fmt is Format.latex:
        from .render.latex import topic_tex
        out = topic_tex(t, standalone)
    elif fmt is Format.markdown:
        from .render.explainout import topic_md
        out = topic_md(t)
    elif fmt is Format.html:
        from .render.html import explain_html
        out = explain_html(t)
    else:
        from .render.explainout import topic_view
        out = topic_view(t)
    _emit(out, output, [problem_file])


class GraphFormat(str, enum.Enum):
    text = "text"
    dot = "dot"
    svg = "svg"
    png = "png"


@app.command()
@with_problem
def graph(problem, problem_file,
          grads: Annotated[bool, typer.Option("--grad", help="Label each node with its "
                           "gradient dL/d(node) too.")] = False,
          fmt: Annotated[GraphFormat, typer.Option("--format", help="text (a drawing in the "
                         "terminal), dot (Graphviz DOT text), svg or png (drawn by Graphviz's "
                         "dot).")] = GraphFormat.text,
          output: Annotated[Optional[str], typer.Option("--output", "-o", metavar="PATH",
                            help="Write to this file (atomically) instead of stdout; needed "
                            "for png.")] = None,
          out: Annotated[Optional[str], typer.Option("--out", hidden=True,
                         help="Deprecated spelling of --output.")] = None,
          digits: Annotated[int, typer.Option("--digits", min=1, max=50, help="Significant "
                            "digits of inexact values.")] = 4,
          all_steps: AllStepsOpt = False):
    """The unrolled network: one node per quantity and step (x_t, a_t, h_t, o_t, y_hat_t,
    L_t) and the shared weights, each with its value and, with --grad, dL/d(node). Long
    sequences fold their middle steps into one node.

    Example: rnn-solve graph --grad --format svg -o network.svg
    """
    from .teach.graph import unroll
    from .render import graph as draw
    from .model.arrays import to_problem
    problem = to_problem(problem, "graph")
    _all_steps_bounded(problem, all_steps)
    if out is not None:
        print("rnn-solve: warning: graph --out is deprecated and will be removed; write "
              "-o/--output, as in every command", file=sys.stderr)
        output = output if output is not None else str(out)
    if fmt is GraphFormat.png and output is None:
        raise InputError("a PNG image is not printed to the terminal: give -o FILE",
                         where="--format png")
    g = unroll(problem, grads, None if all_steps else (2, 1) if fmt is GraphFormat.text
               else (4, 4))
    if fmt is GraphFormat.text and (output is None or output == "-"):   # whole lines, wider
        from .render.table import console            # than the terminal if need be
        return console().print(draw.graph_view(g, digits), crop=False)
    data = draw.graph_text(g, digits) if fmt is GraphFormat.text else draw.graph_dot(g, digits)
    if fmt in (GraphFormat.svg, GraphFormat.png):
        data = draw.render_image(data, fmt.value)
    if (output is None or output == "-") and fmt is not GraphFormat.png:
        data = data.decode("utf-8") if isinstance(data, bytes) else data
    _emit(data, output, [problem_file])


from . import cli_check  # noqa: E402,F401  the check command, on the same app (cli_check.py)


from . import cli_variants  # noqa: E402,F401  the variants command (cli_variants.py)


@app.command()
@guarded
def examples():
    """List the built-in problems (use one with --problem NAME).

    Example: rnn-solve examples
    """
    from .model.files import examples as builtin
    from .render.rows import describe
    from .model.problem import build
    for name, table in builtin().items():
        p = build(table, name, name)
        print(f"{name}: {p.title}\n    {describe(p)}")


def main() -> None:
    """The console script: the command's exit status (spec section 4), with Ctrl-C at any
    moment one line and exit 130. Once the answer is out and flushed, a Ctrl-C in the
    interpreter's last milliseconds no longer changes the status (it would otherwise kill
    the process silently, after Python has put back the default handler)."""
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")   # small matrices: BLAS threads cost more than they give
    sys.stderr = QuietStderr(sys.stderr) if sys.stderr is not None else None
    try:
        code = finish(_run())    # a --version or --help that cannot be written: exit 3
    except KeyboardInterrupt:
        interrupted()
    if code == Exit.INTERRUPTED:   # typer's answer to a Ctrl-C while it parses the options
        interrupted()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.exit(code)


def _run() -> int:
    """The app's exit status. A usage error (an unknown option, a missing value) or a bad
    value for an option (`--steps 2.5`) is one plain line, exit 2, like every input error."""
    try:                                  # typer >= 0.17 carries its own click
        from typer._click import exceptions as cx
    except ImportError:                   # pragma: no cover - older typer, on click
        from click import exceptions as cx  # noqa: I001
    try:
        code = app(standalone_mode=False)
    except cx.NoArgsIsHelpError as e:     # `rnn-solve` alone: the help
        e.show()
        return e.exit_code
    except cx.BadParameter as e:
        if isinstance(e, cx.MissingParameter):
            return usage_line(e)
        hint = e.param_hint if isinstance(e.param_hint, str) else " / ".join(e.param_hint or ()) \
            or (e.param.opts[-1] if e.param else "value")
        why = e.message.rstrip(".").replace("Input should be a valid integer, unable to "
                                            "parse string as an integer", "expected a whole "
                                            "number")
        why = why.replace("Value error, ", "")[:1].lower() + why.replace("Value error, ", "")[1:]
        opts = e.param.opts if e.param else ()
        given = next((b for a, b in zip(sys.argv, sys.argv[1:]) if a in opts), None)
        found = f", found {given!r}" if given and "found" not in why and repr(given) not in why else ""
        print(f"rnn-solve: error: {hint.strip(chr(39))}: {why}{found}"[:500], file=sys.stderr)
        return Exit.BAD_INPUT
    except cx.UsageError as e:           # an unknown option or command, a missing value
        return usage_line(e)
    except cx.ClickException as e:
        e.show()
        return e.exit_code
    except typer.Abort:
        return Exit.INTERRUPTED
    except SystemExit as e:               # typer's exit 1 for a reader that closed the pipe
        return closed_pipe_status(e)
    except OSError as e:                  # --version, --help: printed outside `guarded`
        if (failed := stdout_error(e)) is None:
            raise
        return failed
    return code if isinstance(code, int) else 0
