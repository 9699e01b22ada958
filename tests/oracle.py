"""An independent oracle for the scalar RNN of the spec (interface.md, section 1).

It shares no code with rnn_cli: the forward pass is written out directly in mpmath at 60
significant digits, and every derivative is a central finite difference, so the solver's
chain rule is checked from outside rather than against a second chain rule.

    >>> p = {"params": {"w_x": 0.1, "w_h": 1, "w_y": 2, "h_0": 1},
    ...      "data": {"x": [10, 10], "y": [5, 5]}}
    >>> int(evaluate(p)["L"]), int(mpmath.nint(derivative(p, "dL/dw_h")))
    (2, 8)
"""

import re
import unicodedata
from fractions import Fraction

import mpmath
from mpmath import mpf

DPS = 60  # significant digits of every value the oracle returns
FD_DPS, FD_STEP = 110, mpf("1e-25")  # finite differences: guard digits and step (see derivative)

PARAMS = ("w_x", "w_h", "w_y", "b_h", "b_y", "h_0")
DEFAULTS = {"b_h": 0, "b_y": 0, "h_0": 0}
ALIASES = {"w_xh": "w_x", "u": "w_x", "w_hh": "w_h", "w": "w_h", "w_hy": "w_y", "v": "w_y",
           "b": "b_h", "c": "b_y", "l": "L", "e": "L", "j": "L"}
STEP_NAME = re.compile(r"(a|h|o|y_hat|yhat|ŷ|l)_?(\d+)")
STEP_KINDS = {"a": "a", "h": "h", "o": "o", "y_hat": "y_hat", "yhat": "y_hat", "ŷ": "y_hat", "l": "L"}

ACTIVATIONS = {  # f, applied to a_t
    "identity": lambda a: a,
    "tanh": mpmath.tanh,
    "sigmoid": lambda a: 1 / (1 + mpmath.exp(-a)),
    "relu": lambda a: max(a, mpf(0)),
}
OUTPUTS = {"identity": ACTIVATIONS["identity"], "sigmoid": ACTIVATIONS["sigmoid"]}  # g, on o_t
LOSSES = {  # L_t as a function of (y_hat_t, y_t)
    "squared": lambda yh, y: (yh - y) ** 2,
    "half_squared": lambda yh, y: (yh - y) ** 2 / 2,
    "cross_entropy": lambda yh, y: -(y * mpmath.log(yh) + (1 - y) * mpmath.log(1 - yh)),
}


def name(text):
    """The canonical name of a quantity: 'W_hh' -> 'w_h', 'yhat2' -> 'y_hat_2', 'E' -> 'L'."""
    key = unicodedata.normalize("NFC", str(text)).strip().lower()
    if key in PARAMS or key in ALIASES:
        return ALIASES.get(key, key)
    match = STEP_NAME.fullmatch(key)
    if not match:
        raise ValueError(f"unknown quantity {text!r}")
    return f"{STEP_KINDS[match[1]]}_{int(match[2])}"


def parse_derivative(text):
    """'dL/dw_h' (or '∂L/∂w_h') -> ('L', 'w_h'), both canonical."""
    match = re.fullmatch(r"\s*[d∂]\s*(\S+?)\s*/\s*[d∂]\s*(\S+?)\s*", text)
    if not match:
        raise ValueError(f"not a derivative name: {text!r}")
    return name(match[1]), name(match[2])


def number(value):
    """An exact number (int, float as written, '1/3', '-2.5e-3') as an mpf at the current precision."""
    if isinstance(value, mpf):
        return +value
    q = Fraction(str(value))  # str() of a float is the decimal it was written as: 0.1 -> 1/10
    return mpf(q.numerator) / q.denominator


def target_steps(outputs, T):
    """The 1-based steps that have a target: 'all', 'last' or an explicit list."""
    steps = {"all": list(range(1, T + 1)), "last": [T]}.get(outputs) if isinstance(outputs, str) \
        else sorted(int(t) for t in outputs)
    if not steps or len(set(steps)) != len(steps) or not all(1 <= t <= T for t in steps):
        raise ValueError(f"bad outputs {outputs!r} for T = {T}")
    return steps


def evaluate(problem, overrides=None, dps=DPS):
    """Every quantity of the forward pass by canonical name, as mpf at `dps` digits.

    `overrides` replaces parameters ({"w_h": 1.5}) and adds a perturbation to intermediate
    quantities ({"h_1": 1e-9}: h_1 is computed, then shifted, then used downstream).
    The values carry 60 digits, but mpmath's arithmetic on them outside a workdps(60) block
    rounds to its default 15: do further arithmetic inside one.
    """
    overrides = {name(k): v for k, v in (overrides or {}).items()}
    loss = LOSSES[problem.get("loss", "squared")]
    if problem.get("loss") == "cross_entropy" and problem.get("output") != "sigmoid":
        raise ValueError("the scalar oracle does cross_entropy only with a sigmoid output")
    f = ACTIVATIONS[problem.get("activation", "identity")]
    g = OUTPUTS[problem.get("output", "identity")]
    with mpmath.workdps(dps):
        given = {**DEFAULTS, **{name(k): v for k, v in problem["params"].items()}}
        q = {k: number(overrides.get(k, given[k])) for k in PARAMS}  # the result, filled in below
        shift = lambda key, value: value + number(overrides.get(key, 0))
        xs = problem["data"]["x"]
        steps = target_steps(problem.get("outputs", "all"), len(xs))
        if len(problem["data"]["y"]) != len(steps):
            raise ValueError(f"{len(steps)} targets expected, got {len(problem['data']['y'])}")
        ys = dict(zip(steps, map(number, problem["data"]["y"])))
        h = q["h_0"]
        for t, x in enumerate(xs, 1):
            a = q[f"a_{t}"] = shift(f"a_{t}", q["w_h"] * h + q["w_x"] * number(x) + q["b_h"])
            h = q[f"h_{t}"] = shift(f"h_{t}", f(a))  # h_t = f(a_t) carries the state forward
            o = q[f"o_{t}"] = shift(f"o_{t}", q["w_y"] * h + q["b_y"])
            y_hat = q[f"y_hat_{t}"] = shift(f"y_hat_{t}", g(o))
            if t in ys:
                q[f"L_{t}"] = shift(f"L_{t}", loss(y_hat, ys[t]))
        total = mpmath.fsum(q[f"L_{t}"] for t in steps)
        mean = problem.get("reduction", "sum") == "mean"
        q["L"] = shift("L", total / len(steps) if mean else total)
    unused = set(overrides) - set(q)
    if unused:
        raise ValueError(f"overrides name no quantity of this problem: {sorted(unused)}")
    return q


def derivative(problem, of, wrt=None):
    """d(of)/d(wrt) by a central difference; `of` may also be a whole name like 'dL/dw_h'.

    Total derivative: a perturbation of `wrt` reaches `of` along every path of the forward
    pass, and a quantity computed before `wrt` does not move (dh_1/dh_2 = 0). The step 1e-25
    leaves a truncation error of order 1e-50; evaluating at 110 digits keeps the rounding
    error (1e-110 / 1e-25) far below it, so the result is good to about 50 digits.
    """
    of, wrt = parse_derivative(of) if wrt is None else (name(of), name(wrt))
    with mpmath.workdps(FD_DPS):
        base = evaluate(problem, dps=FD_DPS)[wrt] if wrt in PARAMS else 0  # replace vs. shift
        at = lambda step: evaluate(problem, {wrt: base + step}, dps=FD_DPS)[of]
        slope = (at(FD_STEP) - at(-FD_STEP)) / (2 * FD_STEP)
    with mpmath.workdps(DPS):
        return +slope  # rounded to 60 digits
