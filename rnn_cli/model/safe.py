"""Strings from outside (problem names, titles, file names, answer names and texts) made safe
for each place they are printed: one function per format, used by every renderer and by the
error lines. Nothing here changes the data; each function returns the text to print.

- visible: control characters (C0, DEL, C1) and the bidirectional overrides written as
  escapes (\\x1b, \\n), so no name reaches a terminal as an escape sequence or a second line;
- xml: visible, then & < > " ' as entities (JUnit, SVG, HTML-like DOT labels);
- dot: visible, then " and \\ escaped for a DOT quoted string, and & as an entity;
- markdown: visible, then the characters of HTML, links, emphasis and tables backslash-escaped,
  so a name makes no tag, no link, no emphasis and no table column;
- toml, toml_key: a TOML basic string (or a key, bare where it can be) that reads back as the
  text itself, whatever it holds.

    >>> visible("p\\x1b]0;owned\\x07")
    'p\\\\x1b]0;owned\\\\x07'
    >>> xml('<img src="x">&e;')
    '&lt;img src=&quot;x&quot;&gt;&amp;e;'
    >>> markdown("[a](b) <i>")
    '\\\\[a\\\\]\\\\(b\\\\) \\\\<i\\\\>'
    >>> print(toml('a"b\\nc\\x1b'))
    "a\\"b\\nc\\u001b"
"""

import re

# The characters that make text read other than it is written, and that no name needs: the
# format characters of Unicode (category Cf: bidirectional marks, overrides and isolates,
# zero-width spaces and joiners, the soft hyphen, the byte-order mark, the invisible tags
# U+E0000 to U+E007F), the line and paragraph separators U+2028 and U+2029, and the letters
# and marks that print as nothing (the Hangul fillers, the combining grapheme joiner, the
# Khmer inherent vowels).
INVISIBLE = ("\u00ad\u034f\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u115f\u1160"
             "\u17b4\u17b5\u180e\u200b-\u200f\u3164\uffa0"
             "\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd"
             "\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
             "\U000e0001\U000e0020-\U000e007f")
# C0 (newline and tab included: a name is one line), DEL, C1, the invisible characters above,
# the noncharacters XML 1.0 forbids and lone surrogates, which no encoder writes.
_CONTROL = re.compile(f"[\x00-\x1f\x7f-\x9f{INVISIBLE}\ud800-\udfff\ufffe\uffff]")
HIDDEN = re.compile(f"[{INVISIBLE}]")     # a title with one is refused (model/problem.py)
_CONTROL_KEEP_LINES = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{INVISIBLE}"
                                 "\ud800-\udfff\ufffe\uffff]")
# what CommonMark or GitHub could read as syntax: emphasis, code, links and images, HTML and
# entities, headings, table cells, strikethrough, and the autolinks of GitHub (a scheme's
# ://, www., an e-mail's @)
_MD_SPECIAL = re.compile(r"""([!#&()*+<>@\[\\\]_`{|}~]|:(?=//)|(?<=www)\.)""", re.IGNORECASE)
_XML = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"}


def _escape(ch: str) -> str:
    code = ord(ch)
    if ch in "\n\t\r":
        return repr(ch)[1:-1]
    return f"\\x{code:02x}" if code <= 0xff else _unicode_escape(ch)


def _unicode_escape(ch: str) -> str:
    """\\u and four hex digits, or \\U and eight beyond the first plane (Python's and TOML's
    escapes alike)."""
    code = ord(ch)
    return f"\\u{code:04x}" if code <= 0xffff else f"\\U{code:08x}"


def visible(text, lines: bool = False) -> str:
    """`text` with every control character shown as an escape (`lines`: newline and tab
    kept as they are, for multi-line prose)."""
    text = text if isinstance(text, str) else str(text)
    pattern = _CONTROL_KEEP_LINES if lines else _CONTROL
    return pattern.sub(lambda m: _escape(m[0]), text)


def xml(text) -> str:
    """Text for XML character data or an attribute value: visible, markup as entities."""
    return "".join(_XML.get(c, c) for c in visible(text))


def dot(text) -> str:
    """The inside of a DOT quoted string: visible, with " and \\ escaped, and & as &amp;
    (Graphviz passes an entity such as &e; through to SVG, where it is not well-formed)."""
    return visible(text).replace("\\", "\\\\").replace('"', '\\"').replace("&", "&amp;")


def markdown(text) -> str:
    """Text for a Markdown paragraph or table cell: visible, with every punctuation
    character that CommonMark could read as syntax escaped by a backslash."""
    return _MD_SPECIAL.sub(r"\\\1", visible(text))


def markdown_code(text) -> str:
    """A name as inline code where it can be (no backtick, nothing to escape), else as
    escaped text."""
    shown = visible(text)
    return f"`{shown}`" if shown == text and "`" not in text and "|" not in text \
        else markdown(text)


# TOML's basic strings take any character but these raw: the quote, the backslash, C0 but tab,
# and DEL. C1 and the invisible characters are legal, but are escaped too, so that a key file
# shown by `cat` moves no cursor and reads as it is written.
_TOML_ESCAPE = re.compile(f'["\\\\\x00-\x1f\x7f-\x9f{INVISIBLE}]')
_TOML_SHORT = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n",
               "\f": "\\f", "\r": "\\r"}
_TOML_BARE = re.compile(r"[A-Za-z0-9_-]+")
_SURROGATE = re.compile("[\ud800-\udfff]")


def toml(text) -> str:
    """`text` as a TOML basic string, quotes included: tomllib reads it back as `text`. A lone
    surrogate (a file name's undecodable byte) has no TOML form and is written as U+FFFD."""
    text = _SURROGATE.sub("\ufffd", text if isinstance(text, str) else str(text))
    return '"' + _TOML_ESCAPE.sub(
        lambda m: _TOML_SHORT.get(m[0]) or _unicode_escape(m[0]), text) + '"'


def toml_ascii(text: str) -> str:
    """TOML text that rnn-solve wrote (every character beyond ASCII in a string or a comment)
    in ASCII: each such character as its \\u or \\U escape, which a TOML string reads back
    as the character and a comment shows as it is."""
    return re.sub(r"[^\x00-\x7f]", lambda m: _unicode_escape(m[0]), text)


def toml_key(text) -> str:
    """A TOML key: bare where it can be (letters, digits, _ and -), else quoted as toml()."""
    return text if _TOML_BARE.fullmatch(text) else toml(text)
