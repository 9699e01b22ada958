"""The formula reader of answer keys (model/formula.py, formula_values.py): the spellings
students paste, one readable reason for text that cannot be read, limits checked before any
arithmetic, and hostile text that runs nothing.

Expected values are worked out by hand in each case (the seed: h_0 = 1, h_1 = 2, h_2 = 3,
y_hat = 4, 6, y = 5, 5, w = 0.1, 1, 2), or with mpmath directly.
"""

import builtins
import sys
from fractions import Fraction
from pathlib import Path

import mpmath
import pytest

from rnn_cli.model import formula as fm
from rnn_cli.model.errors import BadAnswer, InputError
from rnn_cli.model.formula import MAX_DEPTH, MAX_FORMULA, MAX_POWER, parse
from rnn_cli.model.formula_values import value

SEED = {"w_x": Fraction(1, 10), "w_h": 1, "w_y": 2, "h_0": 1, "x_1": 10, "x_2": 10,
        "y_1": 5, "y_2": 5, "h_1": 2, "h_2": 3, "a_1": 2, "y_hat_1": 4, "y_hat_2": 6,
        "o_2": 6, "L_1": 1, "L_2": 1, "L": 2, "dL/dw_h": 8, "dL_2/dw_h": 12, "dL_1/dh_1": -4,
        "dL_2/dh_1": 4, "dh_2/dh_1": 1, "dy_hat_2/dw_h": 6, "w_h[1,2]": 7}


def val(text: str, env=SEED):
    return value(parse(text).tree, lambda n: Fraction(env[n]))


def reason(text: str) -> str:
    with pytest.raises(BadAnswer) as e:
        val(text)
    assert isinstance(e.value, InputError)       # the CLI's one-line error family
    return str(e.value)


# -- what a formula may contain -------------------------------------------------------------

@pytest.mark.parametrize("text, want", [
    # the two answers: 2 * 1 * 2 * (2 + 1 * 1) = 12
    ("2*(y_hat_2 - y_2)*w_y*(h_1 + w_h*h_0)", 12),
    ("2*(6-5)*2*(2+1*1)", 12),
    # numbers: decimals and exponent notation are exact (0.1 x 10 is 1)
    ("0.1 * 10", 1), (".5 + .5", 1), ("2.5e-3 * 4e2", 1), ("1E1", 10), ("3/4", Fraction(3, 4)),
    # + - * / ^ ** and their precedence
    ("2 + 3 * 4", 14), ("(2 + 3) * 4", 20), ("2^3^2", 512), ("2**3", 8), ("-2^2", -4),
    ("2^-1", Fraction(1, 2)), ("8 / 4 / 2", 1), ("2 * -3", -6), ("+4", 4), ("--4", 4),
    # implicit multiplication where it is unambiguous
    ("2(6-5)", 2), ("2 w_h", 2), ("w_y h_1", 4), ("(1+1)(2+1)", 6), ("2[2+1]", 6),
    ("w_y [h_1 + w_h h_0]", 6), ("2w_y", 4),
    # every kind of quantity name, in its spellings
    ("h2", 3), ("y_hat_1", 4), ("yhat_1", 4), ("yhat1", 4), ("ŷ_2", 6), ("ŷ2", 6), ("o_2", 6),
    ("a_1", 2), ("L", 2), ("E", 2), ("J", 2), ("L_1 + L2", 2), ("W_hh", 1), ("w_xh", 0.1),
    ("W_hy", 2), ("V", 2), ("h0", 1), ("x_1 + y_2", 15), ("dL/dw_h", 8), ("∂L/∂w_h", 8),
    ("dL_2/dw_h", 12), ("dL_2 / dw_h", 12), ("d L_2 / d w_h", 12), ("dh_2/dh_1", 1),
    ("dy_hat_2/dw_h", 6), ("dL_1/dh_1 + dL_2/dh_1", 0), ("w_h[1,2]", 7),
    ("dL/dw_h / 2", 4), ("dL_2/dw_h*dh_2/dh_1", 12),
    # Unicode as pasted: · × ⋅ − ÷, superscripts, subscripts, ŷ as y + combining circumflex
    ("2·3", 6), ("2×3", 6), ("2⋅3", 6), ("6 − 1", 5), ("6÷4", Fraction(3, 2)), ("h_1²", 4),
    ("h₁³", 8), ("2⁻¹", Fraction(1, 2)), ("ŷ₂ − y₂", 1), ("y\u0302_2", 6), ("h₂", 3),
    # LaTeX as pasted
    (r"\hat{y}_2 - y_2", 1), (r"\hat{Y}_2", 6), ("Ŷ_2", 6), (r"\hat{y_2}", 6),
    (r"\hat y_1", 4), (r"\widehat{y}_2", 6),
    (r"2 \cdot 3", 6), (r"2 \times 3", 6), (r"\frac{3}{4}", Fraction(3, 4)),
    (r"\frac{1}{2}\left(\hat{y}_2 - y_2\right)^{2}", Fraction(1, 2)), (r"h_{1}", 2),
    (r"w_{hh} h_{0}", 1), (r"\frac{\partial L_2}{\partial w_h}", 12), (r"\frac{dL}{dw_h}", 8),
    (r"\partial L_2/\partial w_h", 12), (r"$2 \cdot 3$", 6), (r"\left[ 2 + 1 \right]", 3),
    (r"{2}{3}", 6), (r"2\,w_y^{2}", 8), (r"\sqrt{4}", 2), (r"\mathrm{d}L/\mathrm{d}w_h", 8),
    (r"2 \div 4", Fraction(1, 2)), (r"\left. 3 \right.", 3),
    # functions, exact where the value is rational
    ("tanh(0)", 0), ("sigmoid(0)", Fraction(1, 2)), ("σ(0)", Fraction(1, 2)),
    (r"\sigma(0)", Fraction(1, 2)), ("exp(0)", 1), ("log(1)", 0), ("ln(1)", 0),
    ("sqrt(9/4)", Fraction(3, 2)), ("(9/4)^(1/2)", Fraction(3, 2)), ("tanh'(0)", 1),
    ("sigmoid'(0)", Fraction(1, 4)), (r"\tanh(0)", 0), (r"\exp(0)", 1), ("e^0", 1),
    ("tanh^2(0) + 1", 1), ("Tanh(0)", 0),
])
def test_spellings(text, want):
    got = val(text)
    assert got == Fraction(want) if not isinstance(want, float) else got == Fraction("0.1")


@pytest.mark.parametrize("text, want", [
    ("tanh(1/2)", lambda m: m.tanh(m.mpf(1) / 2)),
    ("1 / (1 + e^(-1))", lambda m: 1 / (1 + m.exp(-1))),
    ("sigmoid(1)", lambda m: 1 / (1 + m.exp(-1))),
    ("1 - tanh(2)^2", lambda m: 1 - m.tanh(2) ** 2),
    ("tanh'(2)", lambda m: 1 - m.tanh(2) ** 2),
    ("sigmoid'(1)", lambda m: m.exp(-1) / (1 + m.exp(-1)) ** 2),
    ("log(2)", lambda m: m.log(2)), ("e", lambda m: m.e), ("2^(1/2)", lambda m: m.sqrt(2)),
])
def test_transcendental_values_at_fifty_digits(text, want):
    with mpmath.workdps(60):
        got = val(text)
        assert abs(mpmath.mpf(got) - want(mpmath)) < mpmath.mpf(10) ** -45


def test_names_are_canonical_and_listed():
    f = parse(r"2(\hat{y}_2 - y2) W_hy [h1 + W h_0] + ∂L/∂w_h")
    assert f.names == {"y_hat_2", "y_2", "w_y", "h_1", "w_h", "h_0", "dL/dw_h"}


# -- one readable reason ----------------------------------------------------------------------

@pytest.mark.parametrize("text, why", [
    ("2*(6-5))", "unexpected ')' at column 8"),
    ("2*(6-5", "'(' at column 3 is never closed"),
    ("2*[6-5)", "unexpected ')' (expected ']') at column 7"),
    ("2 +", "the formula ends too early"),
    ("q_3 + 1", "unknown name 'q_3' at column 1"),
    ("h_1 + zz", "unknown name 'zz' at column 7"),
    ("w_h + w_q", "unknown name 'w_q' at column 7"),
    # one word that names nothing is a word, not an unknown name
    ("three", "expected a number or a formula, found a word 'three'"),
    (" Drei ", "expected a number or a formula, found a word 'Drei'"),
    ("zwölf", "expected a number or a formula, found a word 'zwölf'"),
    ("lambda", "expected a number or a formula, found a word 'lambda'"),
    # ... but a quantity written without its step is a name the key could mean
    ("h", "unknown name 'h' at column 1"),
    ("yhat", "unknown name 'yhat' at column 1"),
    ("x", "unknown name 'x' at column 1"),
    ("three w_h", "unknown name 'three' at column 1"),
    ("2 3", "write * before '3' at column 3"),
    ("h_1 2", "write * before '2' at column 5"),
    ("0,5", "unexpected ',' (a decimal is written with a point, 0.5) at column 2"),
    ("2 # 3", "unexpected character '#' at column 3"),
    (r"\sum_t L_t", r"unsupported LaTeX command '\\sum' at column 1"),
    (r"\frac 1 2", r"expected '{' after \frac at column 7"),
    ("tanh", "expected the argument of tanh at column 5"),
    ("exp'(1)", "unexpected character \"'\" at column 4"),
    ("", "the formula is empty"),
    ("   ", "the formula is empty"),
    ("1/0", "division by zero"),
    ("1/(h_1 - 2)", "division by zero"),
    ("0^-1", "division by zero"),
    ("log(0)", "log of 0: log is defined for positive numbers only"),
    ("(-8)^(1/3)", "a negative number to a fractional power"),
    ("exp(10^7)", "out of range"),
])
def test_one_reason(text, why):
    assert why in reason(text)


def test_a_name_the_problem_lacks_is_the_problem_s_reason():
    def lookup(name):
        raise InputError(f"{name}: the problem has 2 steps")
    with pytest.raises(BadAnswer, match="h_5: the problem has 2 steps"):
        value(parse("h_5 + 1").tree, lookup)


def test_a_vector_is_not_one_number():
    from rnn_cli.model.matrix import Mat
    with pytest.raises(BadAnswer, match=r"name one entry, such as h_1\[1\]"):
        value(parse("2 h_1").tree, lambda n: Mat([[1], [2]]))


def test_not_a_string():
    with pytest.raises(BadAnswer, match="expected a formula, found int"):
        parse(3)


# -- limits, checked before any arithmetic -----------------------------------------------------

@pytest.fixture
def no_arithmetic(monkeypatch):
    """Fail the test if a formula is valued at all (the refusal must come first)."""
    from rnn_cli.model import formula_values
    def boom(*a, **k):
        raise AssertionError("a refused formula reached arithmetic")
    monkeypatch.setattr(formula_values, "_combine", boom)
    monkeypatch.setattr(formula_values, "_power", boom)


def test_huge_power_refused_at_once(no_arithmetic):
    text = "9" * 5000 + "**" + "9" * 50
    with pytest.raises(BadAnswer) as e:
        parse(text)
    assert f"a formula of 5,052 characters is longer than the {MAX_FORMULA:,} allowed" \
        in str(e.value)


@pytest.mark.parametrize("text, why", [
    ("9**99999999", f"the exponent '99999999' is beyond ±{MAX_POWER}"),
    ("2^-5000", f"beyond ±{MAX_POWER}"),
    ("tanh^5000(1)", f"beyond ±{MAX_POWER}"),
    ("9" * 61, "a number of 61 characters (at most 60)"),
    ("1e5000", "out of range (exponent beyond ±1000)"),
    ("(" * (MAX_DEPTH + 1) + "1" + ")" * (MAX_DEPTH + 1), f"nested more than {MAX_DEPTH} deep"),
    ("-" * 100 + "1", f"nested more than {MAX_DEPTH} deep"),
    ("2^" * 60 + "2", f"nested more than {MAX_DEPTH} deep"),
    ("x" * 10 ** 6, "a formula of 1,000,000 characters"),
])
def test_limits_before_arithmetic(no_arithmetic, text, why):
    with pytest.raises(BadAnswer) as e:
        parse(text)
    assert why in str(e.value)


def test_exponents_that_are_formulas_are_bounded_before_the_power():
    # 2^(2^(2^(2^2))): the inner powers are small; 2^65536 is never computed
    assert f"an exponent of 65536 is beyond ±{MAX_POWER}" in reason("2^(2^(2^(2^2)))")
    assert "beyond" in reason("10^1000^1000")
    assert "beyond" in reason("9^9^9^9")


def test_a_long_flat_formula_is_fine():
    # a sum of 499 ones is a tree 499 deep: valued without recursion
    assert val("+".join(["1"] * 499)) == 499
    assert val("*".join(["2"] * 300)) == 2 ** 300


def test_a_large_exact_power_continues_at_fifty_digits():
    # 3^1000 has 478 digits: exact; (3^1000)^3 would have 1,432: at the working precision
    assert val("3^1000") == 3 ** 1000
    big = val("(3^1000)^3")
    assert not isinstance(big, Fraction)
    assert abs(mpmath.log10(big) - 3000 * mpmath.log10(3)) < 1e-30


# -- hostile text runs nothing -----------------------------------------------------------------

MARK = "PWNED"
HOSTILE = [
    f"__import__('os').system('touch {MARK}')",
    f"(lambda: __import__('os').system('touch {MARK}'))()",
    f"lambda: open('{MARK}', 'w')",
    f"().__class__.__base__.__subclasses__()",
    f"h_1.__class__",
    f"__builtins__",
    f"open('{MARK}', 'w').write('x')",
    f"exec(\"open('{MARK}','w')\")",
    f"eval('1')",
    f"getattr(h_1, '__class__')",
    f"1; import os; os.system('touch {MARK}')",
    f"import os",
    f"Symbol('{MARK}')",
    f"sympify('{MARK}')",
    f"{{0.__class__}}",
    "9**9**9**9",
    "(" * 100000,
    "1" * 10 ** 6,
    "h_1" + "*h_1" * 300000,
    "\x1b]52;c;" + "A" * 100 + "\x07",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_runs_nothing(text, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    seen = []
    package = str(Path(fm.__file__).parent.parent)

    def watch(name, fn):
        def wrapper(*args, **kw):
            frame = sys._getframe(1)
            while frame is not None:
                if frame.f_code.co_filename.startswith(package):
                    seen.append(name)
                    break
                frame = frame.f_back
            return fn(*args, **kw)
        return wrapper

    for name in ("eval", "exec", "compile"):
        monkeypatch.setattr(builtins, name, watch(name, getattr(builtins, name)))
    import sympy
    import sympy.parsing.sympy_parser as sp
    monkeypatch.setattr(sympy, "sympify", watch("sympify", sympy.sympify))
    monkeypatch.setattr(sp, "parse_expr", watch("parse_expr", sp.parse_expr))
    with pytest.raises(BadAnswer) as e:
        val(text)
    msg = str(e.value)
    assert "\n" not in msg and "\x1b" not in msg and len(msg) < 300
    assert not seen, seen
    assert not any(tmp_path.iterdir()), "the formula created a file"


def test_template_syntax_is_only_arithmetic():
    # $ is LaTeX's math delimiter and braces group: "${7*7}" is the product 49, nothing more
    assert val("${7*7}") == 49


def test_the_reader_calls_no_evaluator():
    """The parser's source has no eval, exec, compile, sympify or parse_expr at all."""
    import ast
    for mod in ("formula", "formula_values"):
        path = Path(fm.__file__).with_name(f"{mod}.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Name):
                assert node.id not in ("eval", "exec", "compile", "sympify", "parse_expr",
                                       "__import__", "getattr"), (mod, node.id)
            if isinstance(node, ast.Attribute):
                assert node.attr not in ("sympify", "parse_expr", "S"), (mod, node.attr)


# -- any text: a tree or one BadAnswer, never another exception --------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

PIECES = ["h_1", "w_h", "y_hat_2", "ŷ₂", "dL/dw_h", "∂L/∂h_1", "x_1", "2", "0.5", "1e3", "0",
          "+", "-", "*", "/", "^", "**", "(", ")", "[", "]", "{", "}", " ", "·", "−", "²",
          "tanh", "σ", "exp", "log", "sqrt", "tanh'", "e", r"\frac", r"\hat{y}_1", r"\left(",
          r"\right)", r"\cdot", "_", "{2}", ",", "'", "$", r"\partial", "d", "[1,2]", "9999"]


def _value_or_reason(text: str):
    try:
        return value(parse(text).tree, lambda n: Fraction(SEED.get(n, 3)))
    except BadAnswer as e:
        assert str(e) and "\n" not in str(e)
        return None


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=30).map("".join))
def test_any_formula_of_the_pieces(text):
    _value_or_reason(text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_any_text(text):
    _value_or_reason(text)
