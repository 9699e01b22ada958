"""The process's edges: standard output that cannot encode a character (ASCII forms instead),
COLUMNS that is not a width, a failed or closed stream, Ctrl-C, and internal errors.

Exit codes (spec section 4): 3 when the run could not finish (an output could not be written,
or an internal error), 130 when interrupted; a reader that closes the pipe early ends the run
silently.
"""

import io
import os
import sys

from . import __version__

# The characters rnn-solve itself prints, in ASCII: symbols, arrows, box drawing, marks.
ASCII_FORMS = {
    "σ": "sigma", "⊙": "(.)", "∂": "d", "θ": "theta", "Σ": "sum", "Π": "prod", "∏": "prod",
    "∑": "sum", "…": "...", "·": "*", "×": "x", "≈": "~", "±": "+/-", "ŷ": "y_hat",
    "✗": "x", "✓": "ok", "►": ">", "▼": "v", "▲": "^", "█": "#", "→": "->", "←": "<-",
    "•": "*", "≥": ">=", "≤": "<=", "≠": "!=", "∞": "inf", "−": "-", "“": '"', "”": '"',
    "‘": "'", "’": "'", "—": "--", "–": "-", "°": " deg", "⋯": "...", "⋮": ":",
    "⎡": "[", "⎢": "[", "⎣": "[", "⎤": "]", "⎥": "]", "⎦": "]",
    "─": "-", "━": "-", "│": "|", "┃": "|", "┌": "+", "┐": "+", "└": "+", "┘": "+",
    "┬": "+", "┴": "+", "├": "+", "┤": "+", "┼": "+", "╭": "+", "╮": "+", "╰": "+", "╯": "+",
    "²": "^2", "³": "^3", "ᵀ": "^T", "√": "sqrt", "∈": "in", "⁻": "^-", "¹": "^1",
}
_TABLE = str.maketrans(ASCII_FORMS)
SAMPLE = "→✓σ∂⊙─"     # what a stream must encode for the Unicode forms to be printed


def to_ascii(text: str) -> str:
    """Text in ASCII: rnn-solve's own symbols in their ASCII forms, any other character as
    a backslash escape (\\u03b1)."""
    return text.translate(_TABLE).encode("ascii", "backslashreplace").decode("ascii")


class AsciiStream(io.TextIOBase):
    """A text stream that writes ASCII forms to the stream it wraps."""

    encoding = "ascii"

    def __init__(self, stream):
        self.stream = stream

    def write(self, text: str) -> int:
        self.stream.write(to_ascii(text))
        return len(text)

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return self.stream.isatty()

    def fileno(self) -> int:
        return self.stream.fileno()

    @property
    def buffer(self):
        return self.stream.buffer


def _encodes(stream, text: str) -> bool:
    try:
        text.encode(getattr(stream, "encoding", None) or "ascii")
        return True
    except (UnicodeEncodeError, LookupError):
        return False


def setup(force_ascii: bool = False) -> None:
    """Before a command runs: ASCII output where standard output (or standard error) cannot
    encode ours, or where --ascii asks for it; COLUMNS that is not a positive number is
    treated as unset."""
    columns = os.environ.get("COLUMNS")
    if columns is not None and not (columns.strip().isdigit() and int(columns) > 0):
        del os.environ["COLUMNS"]
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is None or isinstance(stream, AsciiStream):
            continue
        if force_ascii or not _encodes(stream, SAMPLE):
            setattr(sys, name, AsciiStream(stream))


def ascii_wanted() -> bool:
    return isinstance(sys.stdout, AsciiStream)


# -- errors at the edge -----------------------------------------------------------------------

def internal_error(e: BaseException) -> str:
    """The one line of an internal error (a bug), and the traceback with RNN_SOLVE_DEBUG=1."""
    if os.environ.get("RNN_SOLVE_DEBUG") == "1":
        import traceback
        traceback.print_exception(e, file=sys.stderr)
    from .model.safe import visible
    message = visible(str(e))[:500]
    return (f"rnn-solve {__version__}: internal error: {type(e).__name__}: {message}; please "
            "report it; RNN_SOLVE_DEBUG=1 shows the traceback")


def pipe_closed() -> None:
    """The reader went away (`| head`): end silently. Standard output is pointed at
    /dev/null so that the interpreter's last flush has nowhere to fail."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.__stdout__.fileno())
        os.close(devnull)
    except (OSError, AttributeError, ValueError):
        pass
