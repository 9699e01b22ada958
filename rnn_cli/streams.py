"""The process's edges: the exit codes, the guard every command runs in (`guarded`: input
errors, outputs that cannot be written, internal errors, Ctrl-C, a closed pipe), standard
output that cannot encode a character (ASCII forms instead) and COLUMNS that is not a width.

Exit codes (spec section 4): 3 when the run could not finish (an output could not be written,
or an internal error), 130 when interrupted; a reader that closes the pipe early ends the run
silently.
"""

import contextlib
import enum
import functools
import inspect
import io
import os
import sys
from typing import Annotated

import typer

from . import __version__
from .model.errors import InputError


class Exit(enum.IntEnum):
    OK = 0
    WRONG = 1        # `check` found an answer that is not correct
    BAD_INPUT = 2
    NOT_FINISHED = 3  # an output could not be written, or an internal error (a bug)
    INTERRUPTED = 130

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


def _box_forms() -> dict[str, str]:
    """Every box-drawing character (U+2500 to U+257F: the heavy and double corners of Rich's
    tables too) as -, | or +."""
    import unicodedata
    forms = {}
    for code in range(0x2500, 0x2580):
        name = unicodedata.name(chr(code), "")
        forms[chr(code)] = ("+" if " AND " in name or "DIAGONAL" in name else
                            "-" if "HORIZONTAL" in name or name.endswith(("LEFT", "RIGHT"))
                            else "|")
    return forms


_TABLE = str.maketrans({**_box_forms(), **ASCII_FORMS})
SAMPLE = "→✓σ∂⊙─"     # what a stream must encode for the Unicode forms to be printed


def to_ascii(text: str) -> str:
    """Text in ASCII: rnn-solve's own symbols in their ASCII forms, any other character as
    a backslash escape (\\u03b1)."""
    return text.translate(_TABLE).encode("ascii", "backslashreplace").decode("ascii")


class AsciiStream(io.TextIOBase):
    """A text stream that writes ASCII forms to the stream it wraps."""

    encoding = "ascii"
    to_ascii = staticmethod(to_ascii)     # render/table.py translates tables before layout

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


class ClosedStdout(io.TextIOBase):
    """Standard output closed before the process started (`>&-`, sys.stdout is None): a
    write fails as a write to a closed descriptor does, so the command ends with one line
    and exit 3; a command that writes only to its -o file runs as before."""

    encoding = "utf-8"

    def write(self, text: str) -> int:
        import errno
        raise OSError(errno.EBADF, "it is closed")


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
    if sys.stdout is None:
        sys.stdout = ClosedStdout()
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is None or isinstance(stream, AsciiStream):
            continue
        if force_ascii or not _encodes(stream, SAMPLE):
            setattr(sys, name, AsciiStream(stream))


def ascii_wanted() -> bool:
    return isinstance(sys.stdout, AsciiStream)


def in_ascii(out):
    """An output for a file (-o) in ASCII forms where standard output takes them (--ascii,
    an ASCII-only stream): text translated, a Rich renderable laid out as plain text after
    its text was translated; bytes (a PNG, a PDF) as they are."""
    if not ascii_wanted() or isinstance(out, bytes):
        return out
    if isinstance(out, str):
        return to_ascii(out)
    from .render.table import ascii_forms, plain_text
    return to_ascii(plain_text(ascii_forms(out, to_ascii)))     # and the boxes' lines


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


def usage_line(e) -> int:
    """A usage error of click (`--bogus`, `forwrd`, `--wrt` without its value) as one line
    naming where to look, in place of click's four (usage, hint, blank, error): exit 2."""
    from .model.safe import visible
    names, ctx = [], getattr(e, "ctx", None)
    while ctx is not None and ctx.parent is not None:     # the command, as `rnn-solve` runs
        names.insert(0, ctx.info_name)                     # it (python -m rnn_cli too)
        ctx = ctx.parent
    where = " ".join(["rnn-solve", *names])
    message = visible(e.format_message()).rstrip(".")
    see = f" See {where} --help." if message.endswith("?") else f"; see {where} --help"
    print(f"rnn-solve: error: {message[:1].lower()}{message[1:]}{see}"[:2000], file=sys.stderr)
    return Exit.BAD_INPUT


def pipe_closed() -> None:
    """The reader went away (`| head`): end silently. Standard output is pointed at
    /dev/null so that the interpreter's last flush has nowhere to fail."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.__stdout__.fileno())
        os.close(devnull)
    except (OSError, AttributeError, ValueError):
        pass


def closed_pipe_status(e: SystemExit) -> int:
    """typer answers a reader that closed the pipe (`rnn-solve forward | true`) with exit 1,
    after wrapping standard output in click's PacifyFlushWrapper: that is a closed pipe,
    which ends the run silently, with status 0. Any other exit is passed on."""
    if e.code == 1 and type(sys.stdout).__name__ == "PacifyFlushWrapper":
        pipe_closed()
        return Exit.OK
    raise e


@contextlib.contextmanager
def verdict_kept():
    """A reader that leaves early (`rnn-solve check key.toml | head -3`) ends the output
    silently, and the command goes on to its exit status: a wrong answer is still exit 1 for
    `set -o pipefail`."""
    try:
        yield
        sys.stdout.flush()      # the last of the output is written here, not at the exit
    except BrokenPipeError:
        pipe_closed()


# -- the commands' guard ----------------------------------------------------------------------

ASCII = inspect.Parameter("ascii_", inspect.Parameter.KEYWORD_ONLY, default=False,
                          annotation=Annotated[bool, typer.Option(
                              "--ascii", help="Output in ASCII only (prod, x, ok, ->); also "
                              "chosen when standard output cannot encode the symbols.")])


def guarded(fn):
    """Input errors become one line on stderr and exit 2; an output that cannot be written,
    or an internal error, one line and exit 3; Ctrl-C exits 130; a closed pipe ends the run
    silently. Gives the command the --ascii option."""
    @functools.wraps(fn)
    def command(*args, **kw):
        from . import _running
        from .model.outputs import OutputError
        _running.append(True)
        setup(kw.pop("ascii_", False))
        try:
            try:
                return fn(*args, **kw)
            finally:
                sys.stdout.flush()      # a full disk is found here, not at the exit
        except (typer.Exit, typer.Abort, SystemExit, typer.TyperException):
            raise
        except BrokenPipeError:
            pipe_closed()
            raise typer.Exit(Exit.OK) from None
        except OutputError as e:
            print(f"rnn-solve: error: cannot write the output: {e}", file=sys.stderr)
            raise typer.Exit(Exit.NOT_FINISHED) from None
        except KeyboardInterrupt:
            from . import interrupted
            interrupted()
        except InputError as e:
            print(f"rnn-solve: error: {e}", file=sys.stderr)
            raise typer.Exit(Exit.BAD_INPUT) from None
        except (ZeroDivisionError, OverflowError) as e:
            # a saturated sigmoid (y_hat = 1 at 50 digits) divides 0 by 0 in dL/dy_hat
            print(f"rnn-solve: error: overflow: {str(e) or 'a division by zero'}: a value is out of "
                  "the range the working precision represents (an output saturated at 0 or "
                  "1?); make the weights or inputs smaller", file=sys.stderr)
            raise typer.Exit(Exit.BAD_INPUT) from None
        except Exception as e:     # a bug: one line, exit 3, never exit 1
            from . import from_interrupt, interrupted
            if from_interrupt(e):   # a Ctrl-C that library code raised again as another
                interrupted()
            if not (isinstance(e, OSError) and stdout_error(e) is not None):
                print(internal_error(e), file=sys.stderr)
            raise typer.Exit(Exit.NOT_FINISHED) from None
    sig = inspect.signature(fn)
    if not any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values()):
        command.__signature__ = sig.replace(parameters=[*sig.parameters.values(), ASCII])
    return command


def _stdout_failed(e: OSError) -> bool:
    """Whether an OSError came from writing standard output (a full disk, a closed stream)."""
    import errno
    return e.errno in (errno.ENOSPC, errno.EIO, errno.EBADF, errno.EDQUOT, errno.EFBIG)


# -- writes outside the commands' guard (--version, --help, the last flush) ---------------------

def stdout_error(e: OSError) -> int | None:
    """The exit status for an error of writing standard output outside a command's guard:
    a closed pipe ends the run silently (0); a full disk, an I/O error or a closed stream is
    one line and exit 3. None when the error is not one of writing standard output."""
    if isinstance(e, BrokenPipeError):
        pipe_closed()
        return Exit.OK
    if e.errno is None or not _stdout_failed(e):
        return None
    print(f"rnn-solve: error: cannot write to standard output: {e.strerror or e}",
          file=sys.stderr)
    pipe_closed()               # what is left in the buffer is not flushed again at the exit
    return Exit.NOT_FINISHED


def finish(code: int) -> int:
    """Flush standard output and standard error before the exit; output that cannot be
    written (printed outside a command's guard) makes an exit status of 0 a 3."""
    try:
        if sys.stdout is not None:
            sys.stdout.flush()
    except OSError as e:        # a command's own output failed in `guarded`, which said so
        if code == Exit.OK and (failed := stdout_error(e)) is not None:
            code = failed
    except (ValueError, AttributeError):
        pass
    try:
        if sys.stderr is not None:
            sys.stderr.flush()
    except (OSError, ValueError, AttributeError):
        pass
    return code


class QuietStderr:
    """Standard error that cannot be written (2>/dev/full) is not a new error: the message is
    lost, and the exit status and the rest of the run are what they would have been."""

    def __init__(self, stream):
        self.stream = stream

    def write(self, text: str) -> int:
        try:
            return self.stream.write(text)
        except OSError:
            return len(text)

    def flush(self) -> None:
        try:
            self.stream.flush()
        except OSError:
            pass

    def __getattr__(self, name):
        return getattr(self.stream, name)
