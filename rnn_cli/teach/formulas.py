"""Answers written as formulas (docs/formulas.md): `"dL_2/dw_h" = "2*(y_hat_2 - y_2)*w_y*h_1"`.

The formula is read by model/formula.py (never run), valued with the problem's own numbers
(each quantity name takes the derivation's value), and from then on judged like a number:
check compares its value, carries errors forward and asks the mistakes engine about it.
Text that cannot be read raises BadAnswer, with the reason.
"""

from ..model.errors import BadAnswer, InputError
from ..model.numbers import parse_number
from .answers import Answer, _tolerance, parse_answer


def is_formula(raw) -> bool:
    """Whether an answer as written in a key is a formula: a string that is not a number."""
    if isinstance(raw, dict):
        raw = raw.get("value")
    if not isinstance(raw, str):
        return False
    try:
        parse_number(raw)
    except InputError:
        return True
    return False


def read_answer(key: str, raw, tolerance: dict, where: str, lookup, answers: str = "") \
        -> Answer:
    """One answer of a key: a number (answers.parse_answer) or a formula, valued with
    lookup(name) -> the value of a quantity of the problem. `answers` is the canonical name
    of the quantity answered, which its own formula may not use."""
    if not is_formula(raw):
        return parse_answer(key, raw, tolerance, where)
    at = f"{where}: answers.{key}"
    tol_abs, tol_rel = _tolerance(tolerance, f"{where}.tolerance") if tolerance else (None, None)
    text = raw
    if isinstance(raw, dict):
        a, r = _tolerance(raw, at)
        if a is not None or r is not None:
            tol_abs, tol_rel = a, r
        text = raw["value"]
    from ..model.formula import parse             # only a formula answer needs the reader
    from ..model.formula_values import value
    try:
        f = parse(text)
        if answers and answers in f.names:
            raise BadAnswer(f"the formula uses {answers}, the quantity it answers")
        v = value(f.tree, lookup)
    except BadAnswer as e:
        raise BadAnswer(e.args[0], where=at) from None
    return Answer(key, v, f.text, None, tol_abs, tol_rel, formula=True)


def data_value(fwd, name: str):
    """x_t or y_t of the problem, or BadAnswer."""
    s = fwd.syms.get(name)
    if s is None:
        t = name.partition("_")[2]
        what = "no target" if name.startswith("y") else "no input"
        raise BadAnswer(f"{name} is not in the problem ({what} at step {t})")
    return s.value
