"""Input errors: raised by the core, caught once by the CLI, printed as one line."""

import difflib


class InputError(Exception):
    """The input is not a valid problem, flag or answer key."""

    def __init__(self, message: str = "", *, where: str = ""):
        self.where = where
        super().__init__(message or self.__doc__)

    def __str__(self) -> str:
        text = super().__str__()
        return f"{self.where}: {text}" if self.where else text


class BadNumber(InputError):
    """Expected a number: an integer, a decimal such as -2.5e-3, or a fraction such as 1/3."""


class UnknownName(InputError):
    """Unknown name."""


class BadShape(InputError):
    """The sizes of the inputs, targets and weights do not fit together."""


class BadFile(InputError):
    """The problem file cannot be read."""


def closest(name: str, valid) -> str:
    """A ' (did you mean X?)' hint for the valid name closest to `name`, or ''."""
    match = difflib.get_close_matches(name, list(valid), n=1, cutoff=0.6)
    return f" (did you mean {match[0]!r}?)" if match else ""


def unknown(kind: str, name: str, valid, where: str = "") -> UnknownName:
    """An UnknownName error that lists the valid names and suggests the closest."""
    valid = list(valid)
    return UnknownName(f"unknown {kind} {name!r}{closest(name, valid)}; expected one of: "
                       + ", ".join(valid), where=where)
