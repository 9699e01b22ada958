"""Problem files (spec section 3), the built-in examples, and flags laid over them."""

import copy
import tomllib
from decimal import Decimal
from importlib import resources
from pathlib import Path

from .errors import BadFile, InputError
from .numbers import parse_number
from .problem import Problem, build

DEFAULT = "assignment3"
MAX_FILE_BYTES = 1_000_000
EXAMPLES = "examples.toml"


def parse_toml(text: str, where: str) -> dict:
    """TOML with every float kept as the decimal it is written as (0.1 is 1/10)."""
    try:
        return tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as e:
        raise BadFile(f"not valid TOML: {e}", where=where) from None
    except RecursionError:
        raise BadFile("not valid TOML: nested too deeply", where=where) from None


def read_toml(path: str | Path) -> dict:
    """The parsed TOML document at `path`."""
    p = Path(path)
    try:
        if p.stat().st_size > MAX_FILE_BYTES:
            raise BadFile(f"the file is {p.stat().st_size:,} bytes; at most "
                          f"{MAX_FILE_BYTES:,} are read", where=str(path))
        raw = p.read_bytes()
    except FileNotFoundError:
        raise BadFile("no such file", where=str(path)) from None
    except IsADirectoryError:
        raise BadFile("is a folder, expected a TOML file", where=str(path)) from None
    except OSError as e:
        raise BadFile(f"cannot read it: {e.strerror}", where=str(path)) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadFile("not UTF-8 text, expected a TOML file", where=str(path)) from None
    return parse_toml(text, str(path))


def tables(doc: dict, source: str) -> dict[str, dict]:
    """The problem tables of a document: itself when it is one problem, else its named tables."""
    if "params" in doc or "data" in doc:
        return {Path(source).stem: doc}
    found = {k: v for k, v in doc.items() if isinstance(v, dict)}
    if not found:
        raise BadFile("no problem found: expected [params] and [data] tables, or named "
                      "problems such as [assignment3] with their own", where=source)
    stray = [k for k, v in doc.items() if not isinstance(v, dict)]
    if stray:
        raise InputError(f"unexpected top-level key {stray[0]!r} in a file of named problems",
                         where=source)
    return found


def examples_text() -> str:
    """The text of the built-in examples.toml (shipped inside the package)."""
    packaged = resources.files("rnn_cli").joinpath(EXAMPLES)
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    # running from a source checkout: the file lives at the repository's top level
    return (Path(__file__).resolve().parent.parent / EXAMPLES).read_text(encoding="utf-8")


def examples() -> dict[str, dict]:
    """The built-in problems by name."""
    return tables(parse_toml(examples_text(), EXAMPLES), EXAMPLES)


def pick(found: dict[str, dict], name: str | None, source: str) -> tuple[str, dict]:
    """The table named `name`, or the only one."""
    if name is None:
        if len(found) == 1:
            return next(iter(found.items()))
        raise InputError(f"holds {len(found)} problems ({', '.join(found)}); choose one "
                         "with --problem NAME", where=source)
    if name not in found:
        from .errors import unknown
        raise unknown("problem", name, found, where=source)
    return name, found[name]


def flag_value(text: str, flag: str):
    """A flag's value: a number, or a TOML array such as [[1,2],[3,4]] (never evaluated)."""
    s = text.strip()
    if s.startswith("["):
        return parse_toml(f"v = {s}", flag)["v"]
    parse_number(s, flag)  # validates; the exact reading happens in build()
    return s


def flag_list(text: str, flag: str) -> list:
    """--x and --y: '10,10' or a TOML array '[10, 10]'."""
    s = text.strip()
    if s.startswith("["):
        value = parse_toml(f"v = {s}", flag)["v"]
        if not isinstance(value, list):  # pragma: no cover - TOML gives a list for [..]
            raise InputError("expected a list", where=flag)
        return value
    return [part.strip() for part in s.split(",")] if s else []


def overlay(table: dict, flags: dict) -> dict:
    """A copy of `table` with the flags' values laid over it (flags win).

    `flags` is flat: 'activation', 'params.w_h', 'data.x', ...
    """
    out = copy.deepcopy(table)
    out.pop("answers", None) if any(k.startswith(("params.", "data.")) for k in flags) else None
    for key, value in flags.items():
        section, _, sub = key.partition(".")
        if sub:
            part = out.setdefault(section, {})
            if section == "params":  # a flag replaces the same parameter under any alias
                from .names import ALIASES
                for alias in (sub, *ALIASES[sub]):
                    for k in [k for k in part if k.lower() == alias]:
                        del part[k]
            part[sub] = value
        else:
            out[key] = value
    return out


def load(path: str | None, name: str | None, flags: dict | None = None) -> Problem:
    """The problem to solve: from a file, a built-in example, or flags over the default."""
    if path is None:
        found, source = examples(), "built-in examples"
        name = name or DEFAULT
    else:
        found, source = tables(read_toml(path), str(path)), str(path)
    name, table = pick(found, name, source)
    where = f"{source}: [{name}]" if path is None or len(found) > 1 else source
    if flags:
        table = overlay(table, flags)
        given = ", ".join(_flag_name(k) for k in flags)
        where = f"{where} with {given}"
        if any(k.startswith(("params.", "data.")) for k in flags) and table.get("title"):
            table["title"] = f"{table['title']}, changed by {given}"
    return build(table, name, where)


def _flag_name(key: str) -> str:
    """The flag a problem-table key came from: 'params.h_0' -> '--h0', 'data.x' -> '--x'."""
    last = key.rpartition(".")[2]
    return "--h0" if last == "h_0" else "--" + last.replace("_", "-")


def write_atomic(path: str | Path, text: str) -> None:
    """Write a file whole or not at all: a temporary file beside it, then a rename."""
    import os
    import tempfile
    p = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", dir=p.parent or ".")
    except OSError as e:
        raise BadFile(f"cannot write there: {e.strerror}", where=str(path)) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
