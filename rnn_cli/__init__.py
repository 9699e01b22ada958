"""rnn-solve: recurrent-network homework solved, explained and checked step by step.

The package is layered, and imports point down: cli.py and api.py at the top, then render/
(output formats), teach/ (check, mistakes, explain, graph), derive/ (forward pass, BPTT) and
model/ (numbers, names, problems, files).

The Python API (rnn_cli/api.py): load, forward, grad and check, imported on first use so that
`import rnn_cli` stays light.

    >>> import rnn_cli
    >>> rnn_cli.grad(rnn_cli.load(), wrt="w_h").value      # the built-in assignment3
    Fraction(8, 1)
"""

__version__ = "0.1.0"
API = ("load", "forward", "grad", "check")


def __getattr__(name: str):
    if name in API:
        from . import api
        return getattr(api, name)
    raise AttributeError(f"module 'rnn_cli' has no attribute {name!r}")
