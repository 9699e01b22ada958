"""Input errors: raised by the core, caught once by the CLI, printed as one line."""

import difflib
import re

MAX_MESSAGE = 2000      # characters in one error line: the rest is cut, and says so
MAX_LISTED = 30         # valid names listed in one "expected one of" message
MAX_QUOTED = 60         # characters of a name or value quoted back in a message

# Control characters (a newline would split the one line; an escape sequence would reach the
# terminal) and the bidirectional overrides that make text read other than it is.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def one_line(text: str) -> str:
    """`text` as one printable line: control characters written as escapes (\\n, \\x1b)."""
    return _CONTROL.sub(lambda m: repr(m[0])[1:-1], text)


def quoted(value, n: int = MAX_QUOTED) -> str:
    """repr(value), shortened to about n characters: a 1 MB key is not echoed back whole."""
    text = value if isinstance(value, str) else str(value)
    if len(text) > n:
        return repr(text[:n]) + f"... ({len(text):,} characters)"
    return repr(text)


class InputError(ValueError):
    """The input is not a valid problem, flag or answer key.

    A ValueError, so that Python code catching the built-in catches it too; the subclasses
    below that stand for another built-in (TypeError, FileNotFoundError) are that one too."""

    def __init__(self, message: str = "", *, where: str = ""):
        self.where = where
        super().__init__(message or self.__doc__)

    def __str__(self) -> str:
        text = super().__str__()
        text = one_line(f"{self.where}: {text}" if self.where else text)
        if len(text) > MAX_MESSAGE:
            text = text[:MAX_MESSAGE] + f"... ({len(text) - MAX_MESSAGE:,} more characters)"
        return text


class BadNumber(InputError):
    """Expected a number: an integer, a decimal such as -2.5e-3, or a fraction such as 1/3."""


class UnknownName(InputError):
    """Unknown name."""


class BadShape(InputError):
    """The sizes of the inputs, targets and weights do not fit together."""


class BadFile(InputError):
    """The problem file cannot be read."""


class MissingFile(BadFile, FileNotFoundError):
    """No such file."""


class WrongType(InputError, TypeError):
    """A value of the wrong type (the Python API: an argument that is not what it takes)."""


class TooLarge(InputError):
    """The input is beyond a documented limit (README, Limits)."""


class Overflow(InputError, ArithmeticError):
    """A value of the computation is out of the range it can represent.

    Also an ArithmeticError, so that code re-evaluating a derivation with a key's own wrong
    numbers (check, mistakes) skips it as it skips a division by zero."""


def closest(name: str, valid) -> str:
    """A ' (did you mean X?)' hint for the valid name closest to `name`, or ''."""
    if not isinstance(name, str) or len(name) > 4 * MAX_QUOTED:
        return ""
    match = difflib.get_close_matches(name, list(valid), n=1, cutoff=0.6)
    if not match and name.lower() != name:   # 'W_Y' is close to 'w_y' whatever the case
        match = [v for v in valid if isinstance(v, str) and v.lower() == name.lower()][:1]
    return f" (did you mean {match[0]!r}?)" if match else ""


def listing(valid, n: int = MAX_LISTED) -> str:
    """'a, b, c' for the first n names, then how many more there are."""
    valid = [str(v) for v in valid]
    if len(valid) <= n:
        return ", ".join(valid)
    return ", ".join(valid[:n]) + f", ... ({len(valid) - n:,} more)"


def unknown(kind: str, name: str, valid, where: str = "") -> UnknownName:
    """An UnknownName error that lists the valid names and suggests the closest."""
    valid = list(valid)
    return UnknownName(f"unknown {kind} {quoted(name)}{closest(name, valid)}; expected one of: "
                       + listing(valid), where=where)
