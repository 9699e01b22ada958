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

from typing import TYPE_CHECKING

__version__ = "0.1.0"
__all__ = ["load", "forward", "grad", "graph", "explain", "check",
           "Problem", "ForwardResult", "GradResult", "GraphResult", "ExplainResult",
           "CheckResult", "InputError"]

# where each public name lives (imported when first asked for)
_HOME = {"load": "api", "forward": "api", "grad": "api", "graph": "api", "explain": "api",
         "check": "api", "Problem": "model.problem", "ForwardResult": "results",
         "GradResult": "results", "GraphResult": "results", "ExplainResult": "results",
         "CheckResult": "results", "InputError": "model.errors"}
API = ("load", "forward", "grad", "graph", "explain", "check")

if TYPE_CHECKING:   # what type checkers and editors see: the real objects
    from .api import check, explain, forward, grad, graph, load
    from .model.errors import InputError
    from .model.problem import Problem
    from .results import CheckResult, ExplainResult, ForwardResult, GradResult, GraphResult


def __getattr__(name: str) -> object:
    if name in _HOME:
        import importlib
        return getattr(importlib.import_module(f".{_HOME[name]}", __name__), name)
    raise AttributeError(f"module 'rnn_cli' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*__all__, "__version__"])
