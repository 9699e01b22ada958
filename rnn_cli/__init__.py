"""rnn-solve: recurrent-network homework solved, explained and checked step by step.

The package is layered, and imports point down: cli.py, api.py and results.py at the top,
then render/ (output formats), teach/ (check, mistakes, explain, graph), derive/ (forward
pass, BPTT) and model/ (numbers, names, problems, files).

The Python API (rnn_cli/api.py) has one function per command: load, forward, grad, graph,
explain and check, imported on first use so that `import rnn_cli` stays light.

    >>> import rnn_cli
    >>> rnn_cli.grad("assignment3", wrt="w_h").value
    Fraction(8, 1)
    >>> round(rnn_cli.grad(wrt="w_h", w_h=2, activation="tanh").value, 6)
    -0.241726
"""

import os as _os
import _signal   # not `signal`: it imports enum, 50 ms in which Ctrl-C would be Python's
import sys as _sys

_interrupted = []   # holds True once the interrupt has been reported
_command = []      # holds True when this process is the command line (handler installed)


def interrupted() -> None:
    """Ctrl-C: one line on stderr (once), then exit 130.

    As the command line the process ends here with os._exit. A KeyboardInterrupt that
    passed through code run by exec() of a string (a dataclass's generated __init__ being
    built by a module imported mid-run, say) leaves CPython's "unhandled KeyboardInterrupt"
    flag set even once it is caught; at exit the interpreter then kills itself with SIGINT,
    whatever exit code it was given. That was the flaky -2 of the Ctrl-C tests."""
    if not _interrupted:
        _interrupted.append(True)
        try:
            _sys.stderr.write("rnn-solve: interrupted\n")
            _sys.stderr.flush()
        except Exception:     # closed, full, or in use by the code the signal stopped
            try:
                _os.write(2, b"rnn-solve: interrupted\n")
            except OSError:
                pass
    if _command:
        for stream in (_sys.stdout, _sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        _os._exit(130)
    raise SystemExit(130)


_running = []      # holds True once a command's own code runs (streams.guarded)


def _on_sigint(signum, frame):
    """Before a command runs (Python and typer still importing) there is nothing to clean
    up: the process ends at once. A KeyboardInterrupt raised there could be caught and
    wrapped by the code it lands in (a class's __set_name__ turns it into a RuntimeError).
    Once a command runs, it is raised, so that a file being written is cleaned up."""
    if _interrupted:          # already on its way out: a second Ctrl-C changes nothing
        return
    if _command and not _running:
        interrupted()
    raise KeyboardInterrupt


def from_interrupt(e: BaseException) -> bool:
    """Whether a Ctrl-C is the exception or one of its causes (a KeyboardInterrupt that
    library code caught and raised again as another exception)."""
    seen = set()
    while e is not None and id(e) not in seen:
        if isinstance(e, KeyboardInterrupt):
            return True
        seen.add(id(e))
        e = e.__cause__ or e.__context__
    return False


def _excepthook(kind, value, tb, _previous=_sys.excepthook):
    """A Ctrl-C that no command caught (during the imports, or past the commands' own
    handler) ends the process as one: one line, exit 130, no traceback."""
    if issubclass(kind, KeyboardInterrupt) or from_interrupt(value):
        try:
            interrupted()
        except SystemExit:
            pass
        _os._exit(130)
    _previous(kind, value, tb)


def _as_command() -> bool:
    """Whether this import starts the command line (`rnn-solve`, `python -m rnn_cli`)
    rather than a program that uses the library."""
    argv0 = _os.path.basename(_sys.argv[0]) if _sys.argv else ""
    return argv0 in ("rnn-solve", "rnn-solve.exe", "-m") and \
        _signal.getsignal(_signal.SIGINT) is _signal.default_int_handler


if _as_command():   # from the package's first line on: Ctrl-C is one line and exit 130
    _signal.signal(_signal.SIGINT, _on_sigint)
    _sys.excepthook = _excepthook
    _command.append(True)


from typing import TYPE_CHECKING

__version__ = "0.1.0"
__all__ = ["load", "forward", "grad", "graph", "explain", "check",
           "Problem", "ForwardResult", "GradResult", "GraphResult", "ExplainResult",
           "CheckResult", "InputError"]

API = ("load", "forward", "grad", "graph", "explain", "check")

if TYPE_CHECKING:   # what type checkers and editors see: the real objects
    from .api import check, explain, forward, grad, graph, load
    from .model.errors import InputError
    from .model.problem import Problem
    from .results import CheckResult, ExplainResult, ForwardResult, GradResult, GraphResult

def __getattr__(name: str) -> object:
    """The public names, each imported when first asked for."""
    if name in API:
        from . import api
        return getattr(api, name)
    if name in __all__ and name.endswith("Result"):
        from . import results
        return getattr(results, name)
    if name == "Problem":
        from .model import problem
        return problem.Problem
    if name == "InputError":
        from .model import errors
        return errors.InputError
    raise AttributeError(f"module 'rnn_cli' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*__all__, "__version__"])
