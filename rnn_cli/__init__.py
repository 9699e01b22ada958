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
