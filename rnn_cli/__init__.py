"""rnn-solve: recurrent-network homework solved, explained and checked step by step.

The Python API (rnn_cli/api.py): load, forward, grad and check, imported on first use so that
`import rnn_cli` stays light.

    >>> import rnn_cli
    >>> rnn_cli.grad(rnn_cli.load(), wrt="w_h").value      # the built-in assignment3
    Fraction(8, 1)
"""

import sys
import types

__version__ = "0.1.0"
API = ("load", "forward", "grad", "check")


def __getattr__(name: str):
    if name in API:
        from . import api
        return getattr(api, name)
    raise AttributeError(f"module 'rnn_cli' has no attribute {name!r}")


class _Package(types.ModuleType):
    """rnn_cli.forward and rnn_cli.check are the API's functions. Python sets a package's
    attribute to each submodule it imports, which would hide them behind the modules
    forward.py and check.py; those stay importable by their full names
    (`from rnn_cli.forward import forward`)."""

    def __setattr__(self, name, value):
        if name in API and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
