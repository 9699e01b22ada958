"""Problem files (spec section 3), the built-in examples, and flags laid over them.

Nothing read here is ever evaluated: TOML is parsed by tomllib (after a scan that bounds its
work), numbers by numbers.parse_number, names by names.parse_name.
"""

import copy
import os
import re
import tomllib
from decimal import Decimal
from importlib import resources
from pathlib import Path

from .errors import BadFile, InputError, MissingFile, TooLarge, listing, quoted
from .numbers import parse_number
from .problem import Problem, build

DEFAULT = "assignment3"
MAX_FILE_BYTES = 1_000_000   # a problem file; also the longest flag value
MAX_DEPTH = 10               # tables and arrays nested in one another (a problem needs 6)
MAX_STRING = 10_000          # characters in one string, its quotes included
MAX_TABLES = 10_000          # table headers in one file
EXAMPLES = "examples.toml"


# -- a scan before tomllib --------------------------------------------------------------------
# tomllib's work on a dotted key grows with the square of its number of parts (a 40 kB line
# `a.a.a...a = 1` takes 4 s, a 1 MB one about an hour), and it nests arrays by recursion. This
# scan bounds both before tomllib sees the text. It reads just enough TOML to know where keys
# and brackets are (strings and comments are skipped whole) and is generous by design: the
# exact depth is checked on the parsed document (check_depth), so a scan that errs by a level
# either way changes nothing for any file that could be valid.

_SCAN_LIMIT = 2 * MAX_DEPTH + 4
# Every string pattern is possessive and its closing quote optional: a string that is never
# closed is one token to the end of its line (or, multi-line, of the text), never a failed
# attempt that the next character starts again (which made the scan quadratic: 80 kB of \"
# after `title = "` took 27 s). A string without its closing quote (no c1-c4 group) is
# refused here, naming its line, as is one longer than MAX_STRING.
_TOKEN = re.compile(r'''
      (?P<str>"""(?:[^"\\]|\\.|"(?!""))*+(?:(?P<c1>"{3,5})|\\?\Z)   # multi-line basic
            |'{3}(?:[^']|'(?!''))*+(?:(?P<c2>'{3,5})|\Z)          # multi-line literal
            |"(?:[^"\\\n]|\\.)*+(?:(?P<c3>")|\\?(?=\n)|\\?\Z)        # basic string
            |'[^'\n]*+(?P<c4>')?)                                  # literal string
    | (?P<gap>(?:[ \t\r\n]++|\#[^\n]*+)++)                        # spaces, comments, lines
    | (?P<punct>[\[\]{}=,.])
    | (?P<bare>[^\s"'\#\[\]{}=,.]+)
    | (?P<other>.)
''', re.VERBOSE | re.DOTALL)


# Runs the scan skips whole, as they change nothing it keeps but the line: in an array, its
# numbers, commas, line breaks, short one-line strings, arrays and inline tables of at most
# two levels ([[1], 2], {a = {b = 1}}: no dotted key in those); in an inline table, its pairs
# of a key of at most 4 parts and such a value (a = 1, b.c = "x", d = {e = 2},). A string
# skipped is shorter than MAX_STRING and closed on its line (_check_string's rules); a dotted
# key of more parts is read token by token (tomllib's work on one grows with the square of
# its parts), and the depth is checked again on the parsed document.
_STRING = (r'(?:(?!""")"(?:[^"\\\n]|\\[^\n]){0,9990}+"'
           r"|(?!''')'[^'\n]{0,9990}+')")
_ARRAY1 = r"""\[[^\[\]{}"'\#]*+\]"""
_TABLE1 = rf"""\{{(?:[^\[\]{{}}"'\#\n.]|{_STRING})*+\}}"""
_INNER = (rf"""(?:\[(?:[^\[\]{{}}"'\#]|{_STRING}|{_ARRAY1})*+\]"""       # two levels at most
          rf"""|\{{(?:[^\[\]{{}}"'\#\n.]|{_STRING}|{_TABLE1})*+\}})""")
_KEY = r"[A-Za-z0-9_-]++(?:[ \t]*+\.[ \t]*+[A-Za-z0-9_-]++){0,3}+"   # 4 parts at most
_PLAIN = re.compile(rf"""(?:[^\[\]{{}}"'\#]|{_STRING}|{_INNER})++""")
_PAIRS = re.compile(rf"""(?:[ \t]*+{_KEY}[ \t]*+=[ \t]*+(?:{_STRING}|{_INNER}|
                     [^\[\]{{}}"'\#,\n]*+)[ \t]*+,)++""", re.VERBOSE)


def tokens(text: str):
    """The scan's tokens: (kind, text) in order (for the tests of its linearity)."""
    return ((m.lastgroup, m[0]) for m in _TOKEN.finditer(text))


def _scan(text: str, where: str) -> None:
    """Reject keys, tables and arrays nested far beyond MAX_DEPTH before tomllib parses them
    (a dotted key of thousands of parts would take tomllib minutes), and an array or inline
    table that is never closed. The runs of _PLAIN and _PAIRS are skipped as one match each
    (1 MB of `[1], ` took more than a second token by token)."""
    line, pos, end = 1, 0, len(text)
    stack: list[tuple[str, int, int]] = []   # open [ and { of values: depth, line
    mode = "start"                      # start | header | key | value | ikey | rest
    table, parts, pending, aot, last, tables = 1, 0, 0, 0, "", 0
    while pos < end:
        if stack and (mode == "value" and stack[-1][0] == "[" or mode == "ikey" and not parts):
            run = (_PLAIN if mode == "value" else _PAIRS).match(text, pos)
            if run:
                line += run[0].count("\n")
                pos = run.end()
                continue
        m = _TOKEN.match(text, pos)
        pos = m.end()
        kind, tok = m.lastgroup, m[0]
        if kind == "gap":
            if "\n" in tok:
                line += tok.count("\n")
                if not stack:
                    mode = "start"
            continue
        if kind == "other":
            continue
        if kind == "str":
            _check_string(m, line, where)
            line += tok.count("\n")
            if mode == "value" and not stack:
                mode = "after"          # a string value is whole: only a comment may follow
                continue
        if mode == "after":
            return              # something after a value on its line: tomllib says where
        is_key = kind in ("str", "bare")
        if is_key and mode in ("header", "key", "ikey") and parts and last != ".":
            return          # two key parts without a dot: not TOML, tomllib says where
        if not is_key and tok in ".=" and mode in ("header", "key", "ikey") and \
                (not parts or last == "."):
            return          # a key that begins with a dot or an =, or `a..b`: the same
        last = tok
        if mode == "start":
            if tok == "[":
                mode, parts, aot = "header", 0, 0
                tables += 1
                if tables > MAX_TABLES:
                    raise TooLarge(f"line {line}: more than {MAX_TABLES:,} tables (a key of "
                                   "500 answers needs far fewer)", where=where)
            elif is_key:
                mode, parts = "key", 1
            else:
                return      # a line that begins with neither a key nor [: tomllib says so
        elif mode == "header":
            if is_key:
                parts += 1
            elif tok == "[" and parts == 0:
                if aot:
                    return      # `[[[`: not TOML, and tomllib says so at once
                aot = 1
            elif tok == "]":
                table, mode = 1 + parts + aot, "rest"
        elif mode in ("key", "ikey"):
            if is_key:
                parts += 1
            elif tok == "=":
                pending = (table if mode == "key" else stack[-1][1]) + parts
                mode = "value"
            elif tok == "}" and mode == "ikey":          # {} or {a = 1,}
                mode, pending = _close(stack, pending)
        elif mode == "value":
            if tok in ("[", "{"):
                stack.append((tok, pending, line))
                if pending > _SCAN_LIMIT:
                    break
                if tok == "{":
                    mode, parts = "ikey", 0
                else:
                    pending += 1
            elif tok in ("]", "}"):
                mode, pending = _close(stack, pending)
            elif tok == "," and stack:
                if stack[-1][0] == "{":
                    mode, parts = "ikey", 0
                else:
                    pending = stack[-1][1] + 1
        if parts > _SCAN_LIMIT:
            break
    else:
        if stack:       # tomllib would read to the end first: 1 MB of `x = [1,1,...` took 2 s
            kind, _, opened = stack[-1]
            raise BadFile(f"line {opened}: {'an array' if kind == '[' else 'an inline table'} "
                          f"opened with {kind} is never closed: expected "
                          f"{']' if kind == '[' else '}'} before the end of the file",
                          where=where)
        return
    raise TooLarge(f"line {line}: keys, tables or arrays nested more than {MAX_DEPTH} levels "
                   "deep (a problem needs at most 6)", where=where)


def _check_string(m: re.Match, line: int, where: str) -> None:
    """Refuse a string that is never closed (no closing quote matched), or longer than any
    a problem holds, before tomllib reads it character by character (1 MB of \\" took it
    half a second)."""
    tok = m[0]
    if not (m["c1"] or m["c2"] or m["c3"] or m["c4"]):
        quote = tok[:3] if tok[:3] in ('"""', "'''") else tok[:1]
        end = "the file" if len(quote) == 3 else "the line"
        raise BadFile(f"line {line}: a string that is never closed: expected {quote} before "
                      f"the end of {end}", where=where)
    if len(tok) > MAX_STRING:
        raise TooLarge(f"line {line}: a string of {len(tok):,} characters: at most "
                       f"{MAX_STRING:,} (a formula has at most 1,000)", where=where)


def _close(stack: list, pending: int) -> tuple[str, int]:
    """The mode and pending depth after a ] or } closes the innermost open value."""
    if stack:
        stack.pop()
    if not stack:
        return "rest", pending
    kind, depth, _ = stack[-1]
    return "value", depth + 1 if kind == "[" else pending


def check_depth(doc, where: str) -> None:
    """Reject a document with tables or arrays nested more than MAX_DEPTH deep. Iterative: a
    deep document must not exhaust the stack of whatever walks it next (copy.deepcopy)."""
    todo = [(doc, 1, ())]
    while todo:
        node, depth, path = todo.pop()
        if depth > MAX_DEPTH:
            key = ".".join(str(k) for k in path)
            raise TooLarge(f"{quoted(key)} is nested {depth} levels deep: at most {MAX_DEPTH} "
                           "are allowed (a problem needs at most 6)", where=where)
        children = node.items() if isinstance(node, dict) else enumerate(node, 1)
        for k, v in children:
            if isinstance(v, (dict, list)):
                todo.append((v, depth + 1, (*path, k)))


def parse_toml(text: str, where: str) -> dict:
    """TOML with every float kept as the decimal it is written as (0.1 is 1/10)."""
    if len(text) > MAX_FILE_BYTES:
        raise TooLarge(f"{len(text):,} characters: at most {MAX_FILE_BYTES:,} are read",
                       where=where)
    _scan(text, where)
    try:
        doc = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as e:
        raise BadFile(f"not valid TOML: {e}", where=where) from None
    except RecursionError:
        raise TooLarge(f"not valid TOML: nested too deeply (at most {MAX_DEPTH} levels)",
                       where=where) from None
    except ValueError:   # an integer of more than 4300 digits: Python's own limit
        m = re.search(r"[0-9_]{4300,}", text)
        line = f"line {text.count(chr(10), 0, m.start()) + 1}: " if m else ""
        raise BadFile(f"{line}an integer of more than 4300 digits, expected a number of at "
                      "most 1001 digits (1e1000)", where=where) from None
    check_depth(doc, where)
    return doc


def _read_at_most(f, limit: int) -> bytes:
    """Up to `limit` bytes, in chunks: one read of `limit` would allocate a megabyte for
    every small key file of a class."""
    chunks, total = [], 0
    while total < limit:
        chunk = f.read(min(65536, limit - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def read_toml(path: str | Path) -> dict:
    """The parsed TOML document at `path`. At most MAX_FILE_BYTES are ever read: the size a
    file reports is not trusted (/dev/zero reports 0)."""
    from .outputs import note_input
    where = str(path)
    note_input(path)
    try:
        with open(path, "rb") as f:
            raw = _read_at_most(f, MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise MissingFile("no such file", where=where) from None
    except IsADirectoryError:
        raise BadFile("is a folder, expected a TOML file", where=where) from None
    except OSError as e:
        raise BadFile(f"cannot read it: {e.strerror or e}", where=where) from None
    except ValueError:   # a NUL in the name
        raise BadFile("not a valid file name", where=where) from None
    if len(raw) > MAX_FILE_BYTES:
        try:
            size = os.stat(path).st_size
        except (OSError, ValueError):  # pragma: no cover - it was just read
            size = 0
        found = f"is {size:,} bytes" if size > MAX_FILE_BYTES else \
            f"holds more than {MAX_FILE_BYTES:,} bytes"
        raise TooLarge(f"the file {found}; at most {MAX_FILE_BYTES:,} are read", where=where)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[:e.start].count(b"\n") + 1
        raise BadFile(f"not UTF-8 text (line {line}), expected a TOML file",
                      where=where) from None
    return _weights_named(parse_toml(text.removeprefix("\ufeff"), where), path)


def tables(doc: dict, source: str) -> dict[str, dict]:
    """The problem tables of a document: itself when it is one problem, else its named tables."""
    if "params" in doc or "data" in doc or isinstance(doc.get("weights"), str):
        return {Path(source).stem: doc}
    found = {k: v for k, v in doc.items() if isinstance(v, dict)}
    if not found:
        raise BadFile("no problem found: expected [params] and [data] tables, or named "
                      "problems such as [assignment3] with their own", where=source)
    stray = [k for k, v in doc.items() if not isinstance(v, dict)]
    if stray:
        raise InputError(f"unexpected top-level key {quoted(stray[0])} in a file of named problems",
                         where=source)
    return found


def _weights_named(doc: dict, path) -> dict:
    """The document, once the weights files it names (at the top or in a problem table) are
    noted as inputs: no output is written over one, even where it is never read (check
    refuses a weights problem unread, and a class's submissions ignore the key; both wrote
    their report over the .npz)."""
    from .outputs import note_input
    for table in (doc, *(v for v in doc.values() if isinstance(v, dict))):
        name = table.get("weights")
        if isinstance(name, str) and name and "\0" not in name:
            note_input(Path(path).parent / name)     # an absolute name stays as it is
    return doc


def examples_text() -> str:
    """The text of the built-in examples.toml (shipped inside the package)."""
    packaged = resources.files("rnn_cli").joinpath(EXAMPLES)
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    # running from a source checkout: the file lives at the repository's top level
    return (Path(__file__).resolve().parents[2] / EXAMPLES).read_text(encoding="utf-8")


def examples() -> dict[str, dict]:
    """The built-in problems by name."""
    return tables(parse_toml(examples_text(), EXAMPLES), EXAMPLES)


def pick(found: dict[str, dict], name: str | None, source: str) -> tuple[str, dict]:
    """The table named `name`, or the only one."""
    if name is None:
        if len(found) == 1:
            return next(iter(found.items()))
        raise InputError(f"holds {len(found)} problems ({listing(found)}); choose one "
                         "with --problem NAME", where=source)
    if name not in found:
        from .errors import unknown
        raise unknown("problem", name, found, where=source)
    return name, found[name]


def _flag_text(text: str, flag: str) -> str:
    if len(text) > MAX_FILE_BYTES:
        raise TooLarge(f"{len(text):,} characters: at most {MAX_FILE_BYTES:,} are read",
                       where=flag)
    s = text.strip()
    if any(c in s for c in "\n\r\x0b\x0c\x85\u2028\u2029"):
        raise InputError("expected one value on one line; found a line break and more "
                         f"after it: {quoted(s)}", where=flag)
    return s


def flag_value(text: str, flag: str):
    """A flag's value: a number, or a TOML array such as [[1,2],[3,4]] (never evaluated)."""
    s = _flag_text(text, flag)
    if s.startswith("["):
        return parse_toml(f"v = {s}", flag)["v"]
    parse_number(s, flag)  # validates; the exact reading happens in build()
    return s


def flag_list(text: str, flag: str) -> list:
    """--x and --y: '10,10' or a TOML array '[10, 10]'."""
    s = _flag_text(text, flag)
    if s.startswith("["):
        value = parse_toml(f"v = {s}", flag)["v"]
        if not isinstance(value, list):  # pragma: no cover - TOML gives a list for [..]
            raise InputError("expected a list", where=flag)
        return value
    return [part.strip() for part in s.split(",")] if s else []


def overlay(table: dict, flags: dict, where: str = "") -> dict:
    """A copy of `table` with the flags' values laid over it (flags win).

    `flags` is flat: 'activation', 'params.w_h', 'data.x', ...
    """
    out = copy.deepcopy(table)
    out.pop("answers", None) if any(k.startswith(("params.", "data.")) for k in flags) else None
    for key, value in flags.items():
        section, _, sub = key.partition(".")
        if sub:
            part = out.setdefault(section, {})
            if not isinstance(part, dict):
                found = {list: "a list", str: "a string", bool: "a boolean"}.get(
                    type(part), "a number")
                raise InputError(f"expected a table [{section}] of "
                                 f"{'parameters' if section == 'params' else 'x and y'}, "
                                 f"found {found}", where=f"{where}: {section}" if where
                                 else section)
            if section == "params":  # a flag replaces the same parameter under any alias
                from .names import ALIASES
                for alias in (sub, *ALIASES[sub]):
                    for k in [k for k in part if k.lower() == alias]:
                        del part[k]
            part[sub] = value
        else:
            out[key] = value
    return out


def load(path: str | None, name: str | None, flags: dict | None = None,
         arrays: dict | None = None):
    """The problem to solve: from a file, a built-in example, or flags over the default.

    `arrays`: --weights, --convention, --head and --batch-reduction; with any of them, or a
    table holding weights, convention, head or batch, an ArrayProblem (arrays.py)."""
    if path is None and name is None and (str((flags or {}).get("cell", "rnn")).lower() in
                                          ("lstm", "gru") or (arrays or {}).get("weights")):
        # a gated cell or a weights file from flags alone: the built-in RNN problem has
        # nothing to lend it
        weights = (arrays or {}).get("weights")
        stem = Path(weights).stem if weights else "flags"
        found, source, name = {stem: {}}, "flags", stem
    elif path is None:
        found, source = examples(), "built-in examples"
        name = name or DEFAULT
    else:
        found, source = tables(read_toml(path), str(path)), str(path)
    name, table = pick(found, name, source)
    where = f"{source}: [{name}]" if path is None and source != "flags" or len(found) > 1 \
        else source
    if source == "flags" and (arrays or {}).get("weights"):
        where = f"--weights {arrays['weights']}"      # the file the problem comes from
    if flags:
        table = overlay(table, flags, where)
        given = ", ".join(_flag_name(k, v) for k, v in flags.items())
        where = f"{where} with {given}"
        if any(k.startswith(("params.", "data.")) for k in flags) and table.get("title"):
            table["title"] = f"{table['title']}, changed by {given}"
    from .arrays import build_arrays, is_array_problem
    arrays = arrays or {}
    try:
        if is_array_problem(table, arrays):
            return build_arrays(table, name, where, base=Path(path).parent if path else None,
                                **arrays)
        return build(table, name, where)
    except InputError as e:
        if flags and path is None:
            e.where = _flag_where(e.where, where, flags)
        elif flags and e.where == f"{where}: symbols" and "symbols" in flags:
            e.where = _flag_name("symbols", flags["symbols"])   # the file's are replaced
        raise


def _flag_where(at: str, where: str, flags: dict) -> str:
    """Where an error in flags laid over a built-in problem is: the flag ('--x, value 2',
    '--symbolic'), not the built-in table the user never chose."""
    rest = at[len(where):].lstrip(": ") if at.startswith(where) else ""
    m = re.match(r"([a-z]+(?:\.[A-Za-z_0-9]+)?)(?:\[(\d+)\])?", rest)
    if m and m[1] == "data.y" and not m[2] and "data.x" in flags:
        return "--x, --y"                 # as many targets as inputs: both flags count
    if m and m[1] in flags:
        return _flag_name(m[1], flags[m[1]]) + (f" (value {m[2]})" if m[2] else "")
    return ", ".join(_flag_name(k, v) for k, v in flags.items()) if at.startswith(where) \
        else at


def _flag_name(key: str, value=None) -> str:
    """The flag a problem-table key came from: 'params.h_0' -> '--h0', 'data.x' -> '--x';
    symbols: "all" is --symbolic, a list of names --symbols."""
    if key == "symbols":
        return "--symbolic" if value == "all" else "--symbols"
    last = key.rpartition(".")[2]
    from .names import PARAMS
    if last in ("h_0", "c_0"):
        return f"--{last[0]}0"
    if key.startswith("params.") and last not in PARAMS:
        return f"--param {last}"          # a gate's parameter
    if key == "output":
        return "--output-function"        # the file's `output` is g, not the result's file
    return "--" + last.replace("_", "-")


def write_atomic(path: str | Path, text: str | bytes, protect=()) -> None:
    """Write a file whole or not at all: a temporary file beside it, flushed to disk, then
    renamed over it. An interrupted or failed run leaves the old file as it was and no
    temporary file behind. A symbolic link is written through (the file it names is
    replaced); a new file gets the usual permissions (0666 less the umask), a replaced one
    keeps its own. `protect`: files never to be written over (check's input files). Text is
    written as UTF-8; bytes (a PNG) as they are."""
    import stat
    import tempfile
    where = str(path)
    try:
        target = Path(os.path.realpath(path))
        if any(Path(os.path.realpath(p)) == target for p in protect):
            raise BadFile("is one of the input files: the report is never written over an "
                          "input", where=where)
        if target.is_dir():
            raise BadFile("is a folder, expected a file name for the report", where=where)
        try:
            mode = stat.S_IMODE(os.stat(target).st_mode)
        except FileNotFoundError:
            umask = os.umask(0o022)
            os.umask(umask)
            mode = 0o666 & ~umask
        data = text if isinstance(text, bytes) else text.encode("utf-8", "surrogateescape")
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp",
                                   dir=target.parent)
    except InputError:   # the refusals above (an InputError is also a ValueError)
        raise
    except OSError as e:
        raise BadFile(f"cannot write there: {e.strerror or e}", where=where) from None
    except ValueError:   # a NUL in the name
        raise BadFile("not a valid file name", where=where) from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException as e:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(e, OSError):
            raise BadFile(f"cannot write it: {e.strerror or e}", where=where) from None
        raise
    try:   # the rename itself, on disk (best effort: not every system opens a folder)
        folder = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
    except OSError:  # pragma: no cover
        pass
