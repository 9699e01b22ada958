"""Where a command's result goes: standard output (`-o -`, or no -o), a regular file written
atomically, or a FIFO, a character device or /dev/stdout written in place. One function,
`write_output`, used by every command that writes a file (-o/--output, --out, --plot), and
one check, `check_output`, run before any work; `check_folder` is that check for the one
output that is a folder (variants' -o), which no stream can stand for.

Rules (the spec's section 4, revision 3):
- a regular file or a new path is written whole or not at all (files.write_atomic);
- anything else that exists and is not a folder (a FIFO, /dev/null, a terminal) is opened
  and written where it is, never replaced by a regular file;
- /dev/stdout (/dev/fd/1) is standard output, as `-` is; /dev/stderr and /dev/fd/N are that
  descriptor of the process, written as it is (a file opened for appending stays appended);
- an output that is the same file as an input (same device and inode: through symbolic and
  hard links alike) is refused before any work (exit 2);
- a write that fails once it has started (a full disk, a closed pipe) is an OutputError: the
  run could not finish (exit 3).
"""

import os
import stat
from pathlib import Path

from .errors import BadFile
from .safe import visible

STDOUT = "-"


class OutputError(Exception):
    """An output could not be written (exit 3): `where` is the output, the message why."""

    def __init__(self, message: str, *, where: str):
        self.where = where
        super().__init__(visible(f"{where}: {message}"))


def is_stdout(path) -> bool:
    """No -o, `-o -`, or a name of this process's standard output (/dev/stdout, /dev/fd/1):
    written through the process's own stream, which may be a file opened for appending."""
    return path is None or str(path) == STDOUT or own_descriptor(path) == 1


_STANDARD = {"/dev/stdin": 0, "/dev/stdout": 1, "/dev/stderr": 2}


def own_descriptor(path) -> int | None:
    """The descriptor of this process that a path names (/dev/stderr, /dev/fd/2,
    /proc/self/fd/2), or None. Opening such a path anew would truncate a file the shell
    opened for appending (`>> log`); renaming over it would replace that file."""
    text = os.path.normpath(str(path))
    if text in _STANDARD:
        return _STANDARD[text]
    for prefix in ("/dev/fd/", "/proc/self/fd/"):
        number = text.removeprefix(prefix)
        if number != text and number.isdigit() and len(number) < 10:
            return int(number)
    return None


def _identity(path) -> tuple | None:
    try:
        st = os.stat(path)          # follows symbolic links: the file a link names
    except (OSError, ValueError):
        return None
    return st.st_dev, st.st_ino


def same_file(a, b) -> bool:
    """Whether two paths name one file (device and inode), through links of either kind."""
    ia = _identity(a)
    return ia is not None and ia == _identity(b)


READ: list = []   # every file this process has read as input (files named inside files too)


def note_input(path) -> None:
    """Remember a file read as input: no output of this run is ever written over it."""
    READ.append(path)


def not_an_input(path, inputs=(), where: str = "--output") -> None:
    """Refuse `path` where it is an input of this run (given, or read so far) by any name."""
    for i in (*inputs, *READ):
        if i is not None and not is_stdout(i) and same_file(path, i):
            raise BadFile(f"is the same file as the input {i}: an output is never written "
                          "over an input", where=where)


def distinct(outputs: list) -> list:
    """The (path, flag) pairs of one command's outputs, refused where two name one path
    (`--plot p.png -o p.png` would write the report over the chart)."""
    seen: dict = {}
    for path, flag in outputs:
        if not is_stdout(path) and str(path):
            other = seen.setdefault(os.path.abspath(path), flag)
            if other != flag:
                raise BadFile(f"is also the path given to {other}: each output needs a file "
                              "of its own", where=f"{flag} {path}")
    return outputs


def check_output(path, inputs=(), flag: str = "--output") -> None:
    """Refuse, before any work, an output that cannot be one: an input under any name, a
    folder, a path in a folder that does not exist."""
    if is_stdout(path):
        return
    where = f"{flag} {path}"
    if str(path) == "":
        raise BadFile("expected a file name, found an empty one", where=flag)
    not_an_input(path, inputs, where)
    if (fd := own_descriptor(path)) is not None:
        try:
            os.fstat(fd)
        except OSError:
            raise BadFile(f"descriptor {fd} is not open in this process", where=where) from None
        return
    try:
        st = os.stat(path)
    except FileNotFoundError:
        parent = Path(os.path.abspath(path)).parent
        if not parent.is_dir():
            raise BadFile(f"cannot write there: the folder {parent} does not exist",
                          where=where) from None
        return
    except (OSError, ValueError) as e:
        raise BadFile(f"cannot write there: {getattr(e, 'strerror', None) or e}",
                      where=where) from None
    if stat.S_ISDIR(st.st_mode):
        raise BadFile("is a folder, expected a file name for the output", where=where)


def check_folder(path, flag: str = "--output") -> None:
    """Refuse, before any work, a folder output that cannot be one: `-` (standard output holds
    one stream, not a folder of files), an empty name, or anything that exists and is not a
    folder (a file, a FIFO, a device, /dev/stdout). A new path is a folder to create."""
    what = "expected a folder to write the files into"
    if str(path) == "":
        raise BadFile(f"{what}, found an empty name", where=flag)
    where = f"{flag} {path}"
    if is_stdout(path):
        raise BadFile(f"{what}: standard output cannot hold a folder of files", where=where)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return
    except (OSError, ValueError) as e:
        raise BadFile(f"cannot write there: {getattr(e, 'strerror', None) or e}",
                      where=where) from None
    if not stat.S_ISDIR(st.st_mode):
        kind = "a file" if stat.S_ISREG(st.st_mode) else \
            "a FIFO" if stat.S_ISFIFO(st.st_mode) else "a device" \
            if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else "not a folder"
        raise BadFile(f"{what}, found {kind}", where=where)


def write_output(path, data: str | bytes, inputs=(), flag: str = "--output") -> None:
    """Write `data` (text as UTF-8, or bytes) to `path`: '-' or None is standard output."""
    from .files import write_atomic
    check_output(path, inputs, flag)
    where = STDOUT if is_stdout(path) else f"{flag} {path}"
    raw = data if isinstance(data, bytes) else data.encode("utf-8", "surrogateescape")
    if is_stdout(path):
        import sys
        try:
            sys.stdout.flush()
            sys.stdout.buffer.write(raw)
            sys.stdout.buffer.flush()
        except BrokenPipeError:
            raise
        except OSError as e:
            raise OutputError(f"cannot write it: {e.strerror or e}", where="standard output") \
                from None
        return
    if (fd := own_descriptor(path)) is not None:    # /dev/stderr: written where it is
        _write_all(fd, raw, where)
        return
    try:
        st = os.stat(path)
    except (FileNotFoundError, ValueError):
        st = None
    except OSError as e:
        raise OutputError(f"cannot write it: {e.strerror or e}", where=where) from None
    if st is not None and not stat.S_ISREG(st.st_mode):
        _write_in_place(path, raw, where)
        return
    try:
        write_atomic(path, raw)
    except BadFile as e:
        raise OutputError(str(e).removeprefix(f"{path}: "), where=where) from None


def _write_in_place(path, raw: bytes, where: str) -> None:
    """A FIFO or a device: opened for writing as it is (never created, never truncated,
    never renamed over)."""
    try:
        fd = os.open(path, os.O_WRONLY | getattr(os, "O_NOCTTY", 0))
    except OSError as e:
        raise OutputError(f"cannot write it: {e.strerror or e}", where=where) from None
    try:
        _write_all(fd, raw, where)
    finally:
        os.close(fd)


def _write_all(fd: int, raw: bytes, where: str) -> None:
    try:
        view = memoryview(raw)
        while view:
            n = os.write(fd, view)
            view = view[n:]
    except BrokenPipeError:
        raise
    except OSError as e:
        raise OutputError(f"cannot write it: {e.strerror or e}", where=where) from None
