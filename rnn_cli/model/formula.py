"""Formulas written in answer keys: a tokenizer and a precedence parser of our own.

A formula is text such as `2*(y_hat_2 - y_2)*w_y*(h_1 + w_h*h_0)`, `2(6-5)·2·[2+1]` or
`2\\left(\\hat{y}_2 - y_2\\right) \\cdot w_y`. It is read into a small tree (Num, Ref, Neg,
Bin, Pow, Fn) in one pass over the text; nothing in it is ever run as code. Its limits
(length, nesting, exponents) are checked while reading, before any arithmetic.
formula_values.py gives a tree its value (exact or 50-digit) or its SymPy expression.
"""

import re
import unicodedata
from dataclasses import dataclass
from fractions import Fraction

from .errors import BadAnswer, InputError, quoted
from .names import STEP_BASES, parse_name

MAX_FORMULA = 1000      # characters in one formula
MAX_DEPTH = 40          # brackets, signs, powers and calls nested in one another
MAX_POWER = 1000        # |n| in x^n
MAX_NUMBER = 60         # characters in one number written in a formula


# -- the tree -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Num:
    value: Fraction
    text: str


@dataclass(frozen=True)
class Ref:
    """A quantity of the problem by its canonical name: w_h, h_2, y_hat_1, dL_2/dw_h, x_1."""
    name: str


@dataclass(frozen=True)
class Neg:
    arg: object


@dataclass(frozen=True)
class Bin:
    op: str                 # + - * /
    left: object
    right: object


@dataclass(frozen=True)
class Pow:
    base: object
    exp: object


@dataclass(frozen=True)
class Fn:
    """tanh, sigmoid, exp, log, sqrt; `fn` ends with ' for the derivative (tanh')."""
    fn: str
    arg: object


@dataclass(frozen=True)
class Formula:
    text: str               # as written
    tree: object

    @property
    def names(self) -> frozenset:
        return frozenset(refs(self.tree))


E = Fn("exp", Num(Fraction(1), "1"))       # Euler's number, e


def refs(tree):
    """The names a tree reads, in order of appearance."""
    todo = [tree]
    while todo:
        n = todo.pop()
        if isinstance(n, Ref):
            yield n.name
        elif isinstance(n, (Neg, Fn)):
            todo.append(n.arg)
        elif isinstance(n, Bin):
            todo += (n.right, n.left)
        elif isinstance(n, Pow):
            todo += (n.exp, n.base)


# -- spellings ----------------------------------------------------------------------------------

FUNCTIONS = {"tanh": "tanh", "sigmoid": "sigmoid", "sigma": "sigmoid", "σ": "sigmoid",
             "exp": "exp", "log": "log", "ln": "log", "sqrt": "sqrt"}
SLOPES = ("tanh", "sigmoid")                # tanh'(x) and sigmoid'(x) are read too
_CHARS = {"·": "*", "×": "*", "⋅": "*", "∗": "*", "∙": "*",
          "−": "-", "–": "-", "‐": "-",
          "÷": "/", "∕": "/", "\u00a0": " ", "\u2009": " ", "\u202f": " ", "$": " ",
          "’": "'", "′": "'", "Ŷ": "ŷ"}
_SUPER = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+"))
_SUB = dict(zip("₀₁₂₃₄₅₆₇₈₉", "0123456789"))
_LATEX_OPS = {"cdot": "*", "times": "*", "ast": "*", "div": "/"}
_LATEX_SKIP = {"left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr",
               "biggl", "biggr", "quad", "qquad", "displaystyle"}
_LATEX_WORDS = {"tanh": "tanh", "exp": "exp", "log": "log", "ln": "log", "sigma": "σ",
                "sqrt": "sqrt", "partial": "∂"}
_LATEX_FRAC = {"frac", "dfrac", "tfrac"}
# rewritten before reading: \hat{y}, \hat{y_2}, \mathrm{d}, \operatorname{tanh}
_HAT_SUB = re.compile(r"\\(?:wide)?hat[ \t]*\{[ \t]*[yY][ \t]*_[ \t]*"
                      r"(\{[ \t]*[0-9]{1,9}[ \t]*\}|[0-9]{1,9})[ \t]*\}")
_HAT = re.compile(r"\\(?:wide)?hat[ \t]*(?:\{[ \t]*[yY][ \t]*\}|[yY])")
_UPRIGHT = re.compile(r"\\(?:mathrm|text|operatorname|mathit|textrm)[ \t]*"
                      r"\{[ \t]*([A-Za-z]{1,20})[ \t]*\}")
_INDEX = re.compile(r"\[[ \t]*[0-9]{1,9}[ \t]*(?:,[ \t]*[0-9]{1,9}[ \t]*)?\]")
_SUBSCRIPT = re.compile(r"_\{[ \t]*([A-Za-z0-9]{1,20})[ \t]*\}")
_NUMBER = re.compile(r"(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_DATA = re.compile(r"([xXyY])_?([0-9]{1,9})")


def _word_start(c: str) -> bool:
    return c.isascii() and c.isalpha() or c in "ŷ∂σ"


def _word_char(c: str) -> bool:
    return c.isascii() and (c.isalnum() or c == "_") or c == "ŷ"


def bad(reason: str, col: int | None = None) -> BadAnswer:
    return BadAnswer(reason + (f" at column {col}" if col is not None else ""))


def _normal(text: str) -> list[tuple[str, int]]:
    """The text as (character, column) pairs, in the plain spelling: Unicode operators,
    superscripts and subscripts, and the LaTeX that needs more than one token rewritten."""
    text = unicodedata.normalize("NFC", text)       # y + a combining ^ is ŷ
    text = _HAT_SUB.sub(lambda m: "ŷ_" + m[1].strip("{} \t"), text)
    text = _HAT.sub("ŷ", text)
    text = _UPRIGHT.sub(lambda m: m[1], text)
    out: list[tuple[str, int]] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in _SUPER:                              # x² is x^(2); h⁻¹ is h^(-1)
            j = i
            while j < n and text[j] in _SUPER:
                j += 1
            out += [("^", i + 1), ("(", i + 1)] + [(_SUPER[text[k]], k + 1) for k in range(i, j)] \
                + [(")", j)]
            i = j
            continue
        if c in _SUB:                                # ŷ₂ is ŷ_2
            if not out or out[-1][0] != "_":
                out.append(("_", i + 1))
            out.append((_SUB[c], i + 1))
        else:
            out.append((_CHARS.get(c, c), i + 1))
        i += 1
    return out


# -- tokens -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Tok:
    kind: str       # num word op open close frac end
    text: str
    col: int


def tokens(text: str) -> list[Tok]:
    """The tokens of a formula, or BadAnswer naming the first character that fits none."""
    chars = _normal(text)
    s = "".join(c for c, _ in chars)
    col = [k for _, k in chars] + [len(text) + 1]
    out: list[Tok] = []
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        if c.isspace():
            i += 1
            continue
        if c.isascii() and c.isdigit() or c == "." and i + 1 < n and s[i + 1].isdigit():
            m = _NUMBER.match(s, i)
            out.append(Tok("num", m[0], col[i]))
            i = m.end()
            continue
        if c == "*" and s.startswith("**", i):
            out.append(Tok("op", "^", col[i]))
            i += 2
            continue
        if c in "+-*/^":
            out.append(Tok("op", c, col[i]))
        elif c in "([{":
            out.append(Tok("open", c, col[i]))
        elif c in ")]}":
            out.append(Tok("close", c, col[i]))
        elif c == ",":
            raise bad("unexpected ',' (a decimal is written with a point, 0.5)", col[i])
        elif c == "\\":
            i = _latex(s, i, col, out)
            continue
        elif _word_start(c):
            i = _word(s, i, col, out)
            continue
        else:
            raise bad(f"unexpected character {c!r}", col[i])
        i += 1
    out.append(Tok("end", "", col[n]))
    return out


def _word(s: str, i: int, col: list, out: list) -> int:
    """A name or a function: letters, digits, underscores, a LaTeX subscript _{2}, an entry
    [1,2] directly after it, a ' after tanh or sigmoid."""
    start, n, word = i, len(s), ""
    if s[i] == "σ":
        word, i = "σ", i + 1
    else:
        if s[i] == "∂":                             # ∂ L is ∂L
            word, i = "∂", i + 1
            while i < n and s[i] == " ":
                i += 1
        while i < n:
            if s[i] == "_" and (m := _SUBSCRIPT.match(s, i)):   # w_{hh} is w_hh
                word, i = word + "_" + m[1], m.end()
            elif _word_char(s[i]):
                word, i = word + s[i], i + 1
            else:
                break
    if word == "d":                                 # d L / d w_h: the d belongs to the name
        j = i
        while j < n and s[j] == " ":
            j += 1
        if j < n and _word_start(s[j]) and s[j] not in "∂σ":
            rest: list = []
            i = _word(s, j, col, rest)
            word += rest[0].text
    if word == "∂":
        raise bad("'∂' must be followed by a name", col[start])
    if i < n and s[i] == "'" and word.lower() in SLOPES + ("σ", "sigma"):
        word, i = word + "'", i + 1
    if i < n and s[i] == "[" and (m := _INDEX.match(s, i)):
        word, i = word + m[0], m.end()
    out.append(Tok("word", word, col[start]))
    return i


def _latex(s: str, i: int, col: list, out: list) -> int:
    """One LaTeX command: an operator, a function, \\frac, or spacing and sizing left out."""
    j = i + 1
    while j < len(s) and s[j].isascii() and s[j].isalpha():
        j += 1
    name = s[i + 1:j]
    if not name:                                    # \, \; \! \  are spacing; \{ \} brackets
        c = s[j] if j < len(s) else ""
        if c in ",;!: ":
            return j + 1
        if c in "{}":
            out.append(Tok("open" if c == "{" else "close", c, col[i]))
            return j + 1
        raise bad(f"unexpected character {chr(92) + c!r}", col[i])
    if name in _LATEX_OPS:
        out.append(Tok("op", _LATEX_OPS[name], col[i]))
    elif name in _LATEX_FRAC:
        out.append(Tok("frac", "\\" + name, col[i]))
    elif name in _LATEX_SKIP:
        if j < len(s) and s[j] == ".":              # \left. is an empty delimiter
            j += 1
    elif name in _LATEX_WORDS:
        word = _LATEX_WORDS[name]
        if word == "∂":                             # \partial L_2 is ∂L_2
            k = j
            while k < len(s) and s[k] == " ":
                k += 1
            if k < len(s) and _word_start(s[k]):
                rest: list = []
                k = _word(s, k, col, rest)
                out.append(Tok("word", "∂" + rest[0].text, col[i]))
                return k
        if j < len(s) and s[j] == "'" and word in ("tanh", "σ"):
            word, j = word + "'", j + 1
        out.append(Tok("word", word, col[i]))
    else:
        raise bad(f"unsupported LaTeX command {quoted(chr(92) + name, 30)}", col[i])
    return j


# -- the parser -----------------------------------------------------------------------------

_CLOSE = {"(": ")", "[": "]", "{": "}"}


class _Parser:
    """expr := term (+|- term)*;  term := unary ((*|/)? unary)*;  unary := (+|-) unary | power;
    power := primary (^ unary)?;  primary := number | name | function | (expr) | \\frac{}{}."""

    def __init__(self, toks: list[Tok]):
        self.toks, self.i, self.depth = toks, 0, 0

    @property
    def tok(self) -> Tok:
        return self.toks[self.i]

    def take(self) -> Tok:
        t = self.toks[self.i]
        self.i += 1
        return t

    def deeper(self, col: int):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise bad(f"nested more than {MAX_DEPTH} deep", col)

    def unexpected(self) -> BadAnswer:
        t = self.tok
        if t.kind == "end":
            return bad("the formula ends too early")
        return bad(f"unexpected {t.text!r}", t.col)

    def formula(self):
        tree = self.expr()
        if self.tok.kind != "end":
            raise self.unexpected()
        return tree

    def expr(self):
        left = self.term()
        while self.tok.kind == "op" and self.tok.text in "+-":
            op = self.take().text
            left = Bin(op, left, self.term())
        return left

    def term(self):
        left = self.unary()
        while True:
            t = self.tok
            if t.kind == "op" and t.text in "*/":
                self.take()
                left = Bin(t.text, left, self.unary())
            elif t.kind in ("word", "open", "frac"):      # 2(6 - 5), 2 w_h, w_y h_1
                left = Bin("*", left, self.unary())
            elif t.kind == "num":
                raise bad(f"a number cannot follow without an operator: write * before "
                          f"{quoted(t.text, 20)}", t.col)
            else:
                return left

    def unary(self):
        t = self.tok
        if t.kind == "op" and t.text in "+-":
            self.take()
            self.deeper(t.col)
            arg = self.unary()
            self.depth -= 1
            return Neg(arg) if t.text == "-" else arg
        return self.power()

    def power(self):
        base = self.primary()
        if self.tok.kind == "op" and self.tok.text == "^":
            t = self.take()
            self.deeper(t.col)
            exp = self.unary()
            self.depth -= 1
            _bound_exponent(exp, t.col)
            if base == E:                            # e^x is exp(x)
                return Fn("exp", exp)
            return Pow(base, exp)
        return base

    def primary(self):
        t = self.tok
        if t.kind == "num":
            self.take()
            return _number(t)
        if t.kind == "open":
            return self.group()
        if t.kind == "frac":
            self.take()
            return self.frac(t)
        if t.kind == "word":
            self.take()
            return self.word(t)
        raise self.unexpected()

    def group(self):
        t = self.take()
        self.deeper(t.col)
        inner = self.expr()
        close = self.tok
        if close.kind != "close" or close.text != _CLOSE[t.text]:
            if close.kind == "end":
                raise bad(f"{t.text!r} at column {t.col} is never closed")
            raise bad(f"unexpected {close.text!r} (expected {_CLOSE[t.text]!r})", close.col)
        self.take()
        self.depth -= 1
        return inner

    def frac(self, t: Tok):
        """\\frac{a}{b}; \\frac{dL}{dw_h} and \\frac{\\partial L}{\\partial w_h} name a
        derivative."""
        k = self.i
        ts = self.toks[k:k + 6]
        if len(ts) == 6 and [x.kind for x in ts] == ["open", "word", "close"] * 2 and \
                _is_d(ts[1].text) and _is_d(ts[4].text):
            self.i += 6
            return _name(f"{ts[1].text}/{ts[4].text}", ts[1].col)
        if self.tok.kind != "open":
            raise bad(f"expected '{{' after {t.text}", self.tok.col)
        top = self.group()
        if self.tok.kind != "open":
            raise bad(f"expected '{{' for the denominator of {t.text}", self.tok.col)
        return Bin("/", top, self.group())

    def word(self, t: Tok):
        w = t.text
        fn = w[:-1] if w.endswith("'") else w
        if fn.lower() in FUNCTIONS or fn in FUNCTIONS:
            return self.call(t, FUNCTIONS.get(fn.lower(), FUNCTIONS.get(fn)), w.endswith("'"))
        if w == "e":                                 # Euler's number; the loss is L (or E)
            return E
        if _is_d(w) and self.tok.kind == "op" and self.tok.text == "/" and \
                self.toks[self.i + 1].kind == "word" and _is_d(self.toks[self.i + 1].text):
            self.take()
            bottom = self.take()
            return _name(f"{w}/{bottom.text}", t.col)
        return _name(w, t.col)

    def call(self, t: Tok, fn: str, slope: bool):
        """tanh(x), tanh x (one name or number), tanh^2(x) = tanh(x)^2, tanh'(x)."""
        exp = None
        self.deeper(t.col)
        if self.tok.kind == "op" and self.tok.text == "^":
            c = self.take().col
            exp = self.primary()
            _bound_exponent(exp, c)
        if self.tok.kind not in ("open", "num", "word", "frac"):
            raise bad(f"expected the argument of {t.text}", self.tok.col)
        arg = self.primary()
        self.depth -= 1
        out = Fn(fn + "'" if slope else fn, arg)     # the tokenizer takes ' after SLOPES only
        return Pow(out, exp) if exp is not None else out


def _is_d(w: str) -> bool:
    return len(w) > 1 and w[0] in "d∂"


def _number(t: Tok) -> Num:
    if len(t.text) > MAX_NUMBER:
        raise bad(f"a number of {len(t.text):,} characters (at most {MAX_NUMBER})", t.col)
    from .numbers import parse_number
    try:
        return Num(parse_number(t.text), t.text)
    except InputError as e:
        raise bad(f"{e.args[0]}", t.col) from None


def _name(w: str, col: int) -> Ref:
    if m := _DATA.fullmatch(w):
        return Ref(f"{m[1].lower()}_{int(m[2])}")
    try:
        return Ref(str(parse_name(w.replace("∂", "d"))))
    except InputError:
        raise bad(f"unknown name {quoted(w, 30)}", col) from None


# a name written without its step (h, y_hat, x) is a quantity the key could mean: its reason
# stays the formula reader's
_STEPLESS = {s for spellings in STEP_BASES.values() for s in spellings} | {"x", "y"}


def _is_word(text: str) -> bool:
    """Whether `text` is one word that names nothing: letters only ('three', 'unknown'), not a
    function (tanh) and not a quantity written without its step (h, yhat)."""
    return text.isalpha() and text.lower() not in _STEPLESS and \
        text.lower() not in FUNCTIONS and text not in FUNCTIONS


def _bound_exponent(exp, col: int) -> None:
    """A number written as an exponent is at most MAX_POWER; others are bounded when valued."""
    e = exp.arg if isinstance(exp, Neg) else exp
    if isinstance(e, Num) and abs(e.value) > MAX_POWER:
        raise bad(f"the exponent {quoted(e.text, 20)} is beyond ±{MAX_POWER}", col)


def parse(text) -> Formula:
    """The tree of a formula; BadAnswer (one reason) when it cannot be read.

    >>> sorted(parse("2(ŷ_2 - y_2) W_hy").names)
    ['w_y', 'y_2', 'y_hat_2']
    """
    if not isinstance(text, str):
        raise bad(f"expected a formula, found {type(text).__name__}")
    if len(text) > MAX_FORMULA:
        raise bad(f"a formula of {len(text):,} characters is longer than the {MAX_FORMULA:,} "
                  "allowed")
    if not text.strip():
        raise bad("the formula is empty")
    try:
        return Formula(text.strip(), _Parser(tokens(text)).formula())
    except BadAnswer:
        if _is_word(text.strip()):      # "three": a word where a number belongs, not a name
            raise bad("expected a number or a formula, found a word "
                      f"{quoted(text.strip(), 30)}") from None
        raise
