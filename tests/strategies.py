"""Hypothesis strategies for scalar RNN problems, and a writer for them as TOML text.

Problems are dicts shaped like one problem table of the spec (section 3). Numbers are small
exact values (tenths as ints, floats or strings, and fractions like "3/7"), so that every
value stays moderate and every problem also has an exact rational reading.
"""

import json
import re
from fractions import Fraction

from hypothesis import assume
from hypothesis import strategies as st

from oracle import evaluate

ACTIVATIONS = ("identity", "tanh", "sigmoid", "relu")
LOSSES = {"identity": ("squared", "half_squared"),
          "sigmoid": ("squared", "half_squared", "cross_entropy")}


@st.composite
def numbers(draw, low=Fraction(-2), high=Fraction(2)):
    """An exact number in [low, high], as the spec allows it to be written."""
    form = draw(st.sampled_from(["int", "float", "tenths", "fraction"]))
    if form == "int":
        return draw(st.integers(int(low), int(high)))
    if form in ("float", "tenths"):
        k = draw(st.integers(int(low * 10), int(high * 10)))
        return k / 10 if form == "float" else f"{k}/10"  # 0.3 is read as exactly 3/10
    q = draw(st.integers(2, 9))
    p = draw(st.integers(int(low * q), int(high * q)))
    return f"{p}/{q}"


@st.composite
def scalar_problems(draw, max_steps=8):
    """A scalar problem dict: every activation, output, loss, reduction and outputs pattern."""
    T = draw(st.integers(1, max_steps))
    output = draw(st.sampled_from(sorted(LOSSES)))
    problem = {
        "activation": draw(st.sampled_from(ACTIVATIONS)),
        "output": output,
        "loss": draw(st.sampled_from(LOSSES[output])),
        "reduction": draw(st.sampled_from(["sum", "mean"])),
        "outputs": draw(st.one_of(
            st.just("all"), st.just("last"),
            st.lists(st.integers(1, T), min_size=1, max_size=T, unique=True).map(sorted))),
    }
    params = {"w_x": draw(numbers()), "w_h": draw(numbers()), "w_y": draw(numbers())}
    for key in ("b_h", "b_y", "h_0"):  # sometimes left out, to exercise the defaults
        if draw(st.booleans()):
            params[key] = draw(numbers(Fraction(-1), Fraction(1)))
    problem["params"] = params
    n_targets = {"all": T, "last": 1}.get(problem["outputs"]) if isinstance(
        problem["outputs"], str) else len(problem["outputs"])
    targets = numbers(Fraction(0), Fraction(1)) if problem["loss"] == "cross_entropy" else numbers()
    problem["data"] = {"x": draw(st.lists(numbers(), min_size=T, max_size=T)),
                       "y": draw(st.lists(targets, min_size=n_targets, max_size=n_targets))}

    q = evaluate(problem)
    if problem["activation"] == "relu":  # keep away from the kink of relu at a_t = 0
        assume(all(abs(q[f"a_{t}"]) > 1e-6 for t in range(1, T + 1)))
    if problem["loss"] == "cross_entropy":  # keep y_hat off 0 and 1, where log is ill-conditioned
        assume(all(abs(q[f"o_{t}"]) < 12 for t in range(1, T + 1)))
    return problem


BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _key(key):
    return key if BARE_KEY.fullmatch(key) else json.dumps(key, ensure_ascii=False)


def _value(value):
    """A TOML value: numbers as written, strings quoted (a fraction stays a string)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)  # repr(0.3) == "0.3", a TOML float read as exactly 3/10
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(map(_value, value)) + "]"
    if isinstance(value, dict):  # an inline table, e.g. an answer { value = 0.46, abs = 0.01 }
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"
    return json.dumps(str(value), ensure_ascii=False)  # str, Fraction, Decimal, mpf


def problem_to_toml(name, problem):
    """The problem dict as a named TOML table; its dicts (params, data, answers) as subtables."""
    head, lines = _key(name), [f"[{_key(name)}]"]
    lines += [f"{_key(k)} = {_value(v)}" for k, v in problem.items() if not isinstance(v, dict)]
    for sub, table in problem.items():
        if isinstance(table, dict):
            lines += ["", f"[{head}.{_key(sub)}]"]
            lines += [f"{_key(k)} = {_value(v)}" for k, v in table.items()]
    return "\n".join(lines) + "\n"
