"""The Python API, for notebooks and scripts: one function per command, returning objects.

Each function takes the command's options as keyword arguments, with the same names and
defaults, and the problem file's keys (w_h=2, x=[1, 2], activation="tanh"; `output` is the
output function g) laid over the problem as the flags are. A problem is a Problem from
`load`, a dict in a problem file's shape (numbers, nested lists, NumPy arrays, PyTorch
tensors), a pathlib.Path, or a string: a built-in problem's name, TOML text (it holds a line
break or an '='), or else a path. None is the built-in assignment3. Nothing is written to
disk; bad input raises the project's InputError, whose message is the command line's line.

    >>> import rnn_cli
    >>> rnn_cli.forward("assignment3").value           # the loss L
    Fraction(2, 1)
    >>> rnn_cli.grad("assignment3", wrt="w_h", w_h=2).value     # 76*h_0 + 36*h_1
    Fraction(184, 1)
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypedDict, Union

from typing_extensions import Unpack

from .model.errors import InputError, MissingFile, WrongType
from .model.inputs import check_choice, check_int, check_str, overrides, plain, table_of
from .model.problem import Problem
from .results import CheckResult, ExplainResult, ForwardResult, GradResult, GraphResult

__all__ = ["load", "forward", "grad", "graph", "explain", "check"]

ProblemLike = Union[Problem, Mapping[str, Any], Path, str, None]
STYLES = ("paths", "delta")
NOTATIONS = ("canonical", "goodfellow", "karpathy")


class ProblemOptions(TypedDict, total=False):
    """Keyword arguments laid over a problem: the problem file's keys. Parameters take a
    number (int, float, Fraction, Decimal, or a string such as "1/3"), a nested list, a NumPy
    array or a PyTorch tensor. Aliases (W_hh, U) are taken too, though a type checker knows
    only the canonical names."""
    w_x: Any
    w_h: Any
    w_y: Any
    b_h: Any
    b_y: Any
    h_0: Any
    c_0: Any
    # the LSTM's (input i, forget f, candidate g, output o) and the GRU's (r, z, n) gates
    w_xi: Any
    w_hi: Any
    b_i: Any
    w_xf: Any
    w_hf: Any
    b_f: Any
    w_xg: Any
    w_hg: Any
    b_g: Any
    w_xo: Any
    w_ho: Any
    b_o: Any
    w_xr: Any
    w_hr: Any
    b_r: Any
    w_xz: Any
    w_hz: Any
    b_z: Any
    w_xn: Any
    w_hn: Any
    b_xn: Any
    b_hn: Any
    x: Any
    y: Any
    params: Mapping[str, Any]
    data: Mapping[str, Any]
    title: str
    cell: str
    activation: str
    output: str
    loss: str
    reduction: str
    outputs: str | list[int]
    layout: str


# -- problems ---------------------------------------------------------------------------------

def load(problem: ProblemLike = None, *, name: str | None = None,
         **options: Unpack[ProblemOptions]) -> Problem:
    """A problem, validated, with the keyword arguments laid over it.

    Args:
        problem: a Problem, a dict in a problem file's shape, a pathlib.Path, a string (a
            built-in name, TOML text, or a path), or None for the built-in assignment3.
        name: which problem, where the source holds several (the command line's --problem).
        options: the problem file's keys: w_h=2, x=[1, 2], activation="tanh", output=...

    >>> import numpy as np
    >>> p = load({"params": {"w_x": 0.1, "w_h": 1, "w_y": 2, "h_0": 1},
    ...           "data": {"x": np.array([10, 10]), "y": [5, 5]}})
    >>> p.T, p.params["w_x"]
    (2, Fraction(1, 10))
    >>> load("tanh_bias").activation
    'tanh'
    """
    return _load(problem, name, overrides(dict(options)))


def _load(problem: ProblemLike, name: str | None, flags: dict[str, Any]) -> Problem:
    """load, its keyword arguments already read as flags ('params.w_h', 'symbols')."""
    from .model import files
    from .model.problem import build
    if name is not None:
        check_str(name, "name", "a problem's name")
    if _is_arrays(problem) and not flags and name is None:
        return problem                  # a weights-file or minibatch problem, as loaded
    if isinstance(problem, Problem):
        if not flags and name is None:
            return problem
        table, pname, where = problem.table, problem.name, problem.source
    else:
        table, pname, where = _table(problem, name)
    if flags:
        table = files.overlay(table, flags, where)
        given = ", ".join(dict.fromkeys(k.rpartition(".")[2] for k in flags))
        where = f"{where} with {given}"
        if any(k.startswith(("params.", "data.")) for k in flags) and table.get("title"):
            table["title"] = f"{table['title']}, changed by {given}"
    from .model.arrays import build_arrays, is_array_problem
    if is_array_problem(table, {}):     # weights, convention or batch: float64 arrays
        return build_arrays(table, pname, where)
    return build(table, pname, where)


def _table(source: Any, name: str | None) -> tuple[dict, str, str]:
    """The problem table `source` names, its name, and how messages call it."""
    from .model import files
    if source is None or isinstance(source, str) and source in files.examples():
        found, where = files.examples(), "built-in examples"
        name = name or (source if isinstance(source, str) else files.DEFAULT)
    elif isinstance(source, Path) or isinstance(source, str) and "=" not in source \
            and "\n" not in source:
        where = str(source)
        found = files.tables(files.read_toml(source), where)
    elif isinstance(source, str):
        where = "TOML text"
        found = files.tables(files.parse_toml(source, where), where)
    elif isinstance(source, Mapping):
        where = "dict"
        files.check_depth(dict(source), where)
        doc = table_of(source, where)
        if "params" in doc or "data" in doc:
            found = {"problem": doc}
        else:
            found = {k: table_of(v, f"{where}: [{k}]") if isinstance(v, Mapping) else v
                     for k, v in doc.items()}
            found = files.tables(found, where)
    else:
        raise WrongType("expected a problem: a Problem from rnn_cli.load, a dict, a TOML "
                        "string, a path or a built-in name such as 'assignment3'; found "
                        f"{type(source).__name__}", where="problem")
    pname, table = files.pick(found, name, where)
    if len(found) > 1 or where == "built-in examples":
        where = f"{where}: [{pname}]"
    return table, pname, where


def _view(digits: int, all_steps: bool, notation: str) -> dict:
    check_int(digits, "digits", 1, 50)
    if not isinstance(all_steps, bool):
        raise WrongType(f"expected True or False, found {type(all_steps).__name__}",
                        where="all_steps")
    return {"digits": digits, "all_steps": all_steps,
            "notation": check_choice(notation, "notation", NOTATIONS)}


# -- the commands -----------------------------------------------------------------------------

def forward(problem: ProblemLike = None, *, digits: int = 6, all_steps: bool = False,
            notation: str = "canonical", name: str | None = None,
            **options: Unpack[ProblemOptions]) -> ForwardResult:
    """The forward pass and the loss, step by step (`rnn-solve forward`).

    Args:
        problem: see load; options: the problem file's keys laid over it.
        digits, all_steps, notation: how the tables show it, as the command's flags.
    Returns:
        A ForwardResult: `.value` is the loss L, `result["h_2"]` any quantity.

    >>> f = forward("assignment3", w_h=2)
    >>> f["h_1"], f["h_2"], f.value     # h = 3, 7; y_hat = 6, 14; L = 1^2 + 9^2
    (Fraction(3, 1), Fraction(7, 1), Fraction(82, 1))
    """
    view = _view(digits, all_steps, notation)
    p = load(problem, name=name, **options)
    if _is_arrays(p):           # float64 arrays: the numeric run itself (docs/weights.md)
        return derive_forward(p, all_steps)  # type: ignore[no-any-return]
    return ForwardResult(derive_forward(p, all_steps), **view)


def grad(problem: ProblemLike = None, *, wrt: str | Sequence[str], of: str = "L",
         style: str | None = None, symbolic: bool = False,
         symbols: str | Sequence[str] | None = None, digits: int = 6,
         all_steps: bool = False, notation: str = "canonical", name: str | None = None,
         **options: Unpack[ProblemOptions]) -> GradResult:
    """d(of)/d(wrt) with every chain-rule step (`rnn-solve grad`).

    Args:
        problem: see load; options: the problem file's keys laid over it.
        wrt: a name (w_h, h_1, w_y[2,1]), "all" for every parameter, or a list of names.
        of: the quantity differentiated: L (default), L_t, y_hat_t, o_t, h_t, a_t.
        style: "paths" (every chain-rule path, as by hand) or "delta" (the recursion);
            None: paths up to T = 4 in scalar problems.
        symbolic: every parameter the problem gives and every x_t, y_t a symbol (--symbolic).
        symbols: only these symbols: "w_h,x", ["w_h", "x"] or "all" (--symbols). A problem
            whose file names symbols is derived in them without either, as on the command line.
        digits, all_steps, notation: how the tables show it.
    Returns:
        A GradResult: `.value` (one gradient), `.gradients` (name -> value); in symbols each
        value is a SymPy expression (a Matrix for a vector or matrix), the closed form.

    >>> grad("assignment3", wrt="w_h").value
    Fraction(8, 1)
    >>> grad("assignment3", wrt=["w_h", "w_x"], style="delta").gradients
    {'w_h': Fraction(8, 1), 'w_x': Fraction(40, 1)}
    >>> grad("assignment3", wrt="w_h", symbols="w_h").value
    16*w_h**3 + 24*w_h**2 - 8*w_h - 24
    """
    if isinstance(wrt, str):
        names = [wrt]
    elif isinstance(wrt, Sequence) and wrt and all(isinstance(w, str) for w in wrt):
        names = list(wrt)
    else:
        raise WrongType("expected a name such as 'w_h', 'all', or a list of names; found "
                        f"{type(wrt).__name__} {wrt!r}"[:200], where="wrt")
    check_str(of, "of", "a quantity's name such as 'L' or 'h_2'")
    if style is not None:
        check_choice(style, "style", STYLES)
    view = _view(digits, all_steps, notation)
    flags = overrides(dict(options))
    asked = _symbols(symbolic, symbols)
    argument = "symbols" if symbols is not None else "symbolic"
    try:
        p = _load(problem, name, {**flags, "symbols": asked} if asked else flags)
    except InputError as e:     # the setting is the argument's: name the argument alone
        if asked and e.where.endswith(": symbols"):
            e.where = argument
        raise
    if _is_arrays(p):           # float64 arrays: the numeric derivation itself
        if asked:
            raise InputError("a problem of float64 arrays (a weights file, a convention, a "
                             "batch) has no closed forms; symbolic mode takes a problem "
                             "written with its own numbers", where=argument)
        return derive_grad(p, names, of, style)  # type: ignore[no-any-return]
    if p.symbols:               # closed forms in SymPy (derive/symbolic.py)
        return GradResult(symbolic_grad(p, names, of, style), **view)
    return GradResult(derive_grad(p, names, of, style, all_steps=all_steps), **view)


def _symbols(symbolic: bool, symbols: str | Sequence[str] | None) -> str | list[str] | None:
    """The problem file's `symbols` setting that grad's symbolic and symbols ask for (as
    --symbolic and --symbols: the names win), or None."""
    from .model.symbols import parse
    if not isinstance(symbolic, bool):
        raise WrongType(f"expected True or False, found {type(symbolic).__name__}",
                        where="symbolic")
    if symbols is None:
        return "all" if symbolic else None
    if isinstance(symbols, str):
        return list(parse(symbols, "symbols"))
    if isinstance(symbols, Sequence) and all(isinstance(s, str) for s in symbols):
        return list(parse(list(symbols), "symbols"))
    raise WrongType('expected "all", names such as "w_h,x", or a list of names; found '
                    f"{type(symbols).__name__}", where="symbols")


def _is_arrays(problem: Any) -> bool:
    """A problem of float64 arrays (a weights file, a convention, a minibatch)."""
    return type(problem).__name__ == "ArrayProblem"


def graph(problem: ProblemLike = None, *, grad: bool = False, digits: int = 4,
          all_steps: bool = False, name: str | None = None,
          **options: Unpack[ProblemOptions]) -> GraphResult:
    """The unrolled network, a node per quantity and step (`rnn-solve graph`).

    Args:
        problem: see load; options: the problem file's keys laid over it.
        grad: label each node with dL/d(node) too.
        digits: significant digits of inexact values; all_steps: fold no step.
    Returns:
        A GraphResult: `str()` the drawing, `.to_dot()` Graphviz DOT, `.nodes`.

    >>> g = graph("assignment3", grad=True)
    >>> g.node("h_1").value, g.node("h_1").grad      # dL/dh_1 = 0 (by hand: -4 + 4)
    (Fraction(2, 1), Fraction(0, 1))
    """
    from .teach.graph import unroll
    if not isinstance(grad, bool):
        raise WrongType(f"expected True or False, found {type(grad).__name__}", where="grad")
    view = _view(digits, all_steps, "canonical")
    g = unroll(load(problem, name=name, **options), grad, None if all_steps else (4, 4))
    return GraphResult(g, digits=view["digits"])


def explain(topic: str, problem: ProblemLike = None, *, steps: int | None = None,
            truncate: int | None = None, text: str | Sequence[str] | None = None,
            vocab: str | None = None, batch_size: int = 2, forget_bias: Any = None,
            update_bias: Any = None, name: str | None = None,
            **options: Unpack[ProblemOptions]) -> ExplainResult:
    """A concept worked with the problem's own numbers (`rnn-solve explain`).

    Args:
        topic: vanishing, exploding, bptt, lstm, gru, seq2seq, onehot or padding.
        problem: see load; options: the problem file's keys laid over it.
        steps, truncate, text, vocab, forget_bias, update_bias: as the command's flags;
        batch_size: the command's --batch (the size of the batches seq2seq builds).
    Returns:
        An ExplainResult: `.answer`, `.tables`, `.chart()` (a PNG in a notebook).

    >>> e = explain("vanishing", steps=30, activation="tanh", w_h=0.8)
    >>> "shrinks exponentially" in e.answer
    True
    """
    from .model.numbers import parse_number
    from .teach.explain import TOPICS, run
    check_choice(topic, "topic", list(TOPICS))
    for key, value in (("steps", steps), ("truncate", truncate)):
        if value is not None:
            check_int(value, key, 1)
    check_int(batch_size, "batch_size", 1)
    if text is not None and not isinstance(text, (str, Sequence)):
        raise WrongType(f"expected a text or a list of texts, found {type(text).__name__}",
                        where="text")
    texts = (text,) if isinstance(text, str) else tuple(text or ())
    for i, t in enumerate(texts):
        check_str(t, f"text[{i + 1}]", "a text")
    if vocab is not None:
        check_str(vocab, "vocab", "a string of characters")
    bias = {k: None if v is None else parse_number(plain(v, k), k)
            for k, v in (("forget_bias", forget_bias), ("update_bias", update_bias))}
    p = load(problem, name=name, **options)
    return ExplainResult(run(topic, p, steps, truncate, texts, vocab, batch_size,
                             bias["forget_bias"], bias["update_bias"]))


def check(files: str | os.PathLike[str] | Sequence[str | os.PathLike[str]], *,
          digits: int = 6) -> CheckResult:
    """Check the answer keys in one file or a list of files (`rnn-solve check`).

    Args:
        files: a path or a list of paths. A file that does not exist raises
            FileNotFoundError; other bad input is reported per file in `.errors`.
        digits: significant digits of inexact values in the tables.
    Returns:
        A CheckResult: `.passed`, `.results` (each with name, verdict, diagnosis), `.errors`.

    >>> r = check("keys/assignment3-handwritten.toml")
    >>> r.passed, [x.verdict for x in r.results][:2]
    (False, ['correct', 'correct'])
    """
    if isinstance(files, (str, os.PathLike)):
        paths = [files]
    elif isinstance(files, Sequence) and all(isinstance(f, (str, os.PathLike)) for f in files):
        paths = list(files)
    else:
        raise WrongType(f"expected a path or a list of paths, found {type(files).__name__}",
                        where="files")
    check_int(digits, "digits", 1, 50)
    for path in paths:
        if not os.path.exists(path):
            raise MissingFile("no such file", where=os.fspath(path))
    return CheckResult(check_paths(paths), digits=digits)


# -- what the command line calls (its flags already parsed) -----------------------------------

def derive_forward(problem: Problem, all_steps: bool = False) -> Any:
    """The Forward of `problem`. A large problem is evaluated in float64 with the first and
    last steps written out (every step with `all_steps`)."""
    if type(problem).__name__ == "ArrayProblem":   # a batchsteps.Run, in float64
        from .derive.batchsteps import solve
        return solve(problem, of=None)
    from .derive.gated import run_forward
    return run_forward(problem, brief=True, all_steps=all_steps)


def derive_grad(problem: Problem, wrt: Sequence[str], of: str = "L", style: str | None = None,
                progress: Any = None, called: tuple[str, str] = ("of", "wrt"),
                all_steps: bool = False) -> Any:
    """The Derivation of d(of)/d(each wrt); `called`: what messages call of and wrt (the
    command line: its flags); `progress(done, total)` is called as the work goes on."""
    if type(problem).__name__ == "ArrayProblem":   # a batchsteps.Derivation, in float64
        from .derive.batchsteps import solve
        return solve(problem, list(wrt), of)
    from .derive.gated import run_forward, run_grad
    names = [n for w in wrt for n in (problem.param_names if w.strip().lower() == "all"
                                      else [w])]
    of_q = problem.quantity(of, called[0], differentiable=True)
    wrts = list(dict.fromkeys(problem.quantity(n, called[1]) for n in names))
    # dL/d(.) of a large problem in float64, writing out only the steps shown
    brief = of_q.base == "L" and of_q.t is None and style != "paths"
    return run_grad(run_forward(problem, brief=brief, all_steps=all_steps), of_q, wrts,
                    style, progress)


def symbolic_forward(problem: Problem) -> Any:
    """The forward pass of a problem with symbols (`symbols = "all"`, or a list): every
    quantity in the base symbols, each answer's closed form (derive.symbolic)."""
    from .derive.gated import run_forward
    from .derive.symbolic import symbolic_forward as read
    return read(run_forward(problem))


def symbolic_grad(problem: Problem, wrt: str | Sequence[str] = "w_h", of: str = "L",
                  style: str | None = None, *, called: tuple[str, str] = ("of", "wrt")) -> Any:
    """d(of)/d(wrt) of a problem with symbols: the numeric derivation's every step read over
    SymPy, each gradient's closed form."""
    from .derive.symbolic import symbolic_grad as read
    names = [wrt] if isinstance(wrt, str) else list(wrt)
    return read(derive_grad(problem, names, of, style, called=called))


def general_grad(problem: Problem, wrt: str | Sequence[str] = "w_h", of: str = "L", *,
                 called: tuple[str, str] = ("of", "wrt")) -> Any:
    """The BPTT formulas for any T (SymPy Sum and Product), each checked against this
    problem's unrolled closed form (derive.general)."""
    from .derive.general import general
    names = [wrt] if isinstance(wrt, str) else list(wrt)
    return general(problem, names, of, called)


def check_paths(paths: Sequence[str | os.PathLike[str]]) -> Any:
    """The Report of checking the answer keys in the files."""
    from .teach.check import check_files
    return check_files(list(paths))

