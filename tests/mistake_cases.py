"""Real wrong answers, each labelled with the mistake a person named: the set the ranking of
diagnoses is measured on (tests/test_ranking.py).

Sources: the seed page (tests' reference: assignment3-handwritten.md, two mistakes), the
course forum (the 16-digit hand answer with tanh' at the pre-activation; the dropped path
with a right h_2; dL/dw_x = 80 with a loss left out), the answers the test suite already
used, and slips from course material written out here by hand.

Each wrong value is computed here, by hand, the way the person computed it: a small
numpy-free derivation in plain Python floats (`hand_grad` below), never by rnn-solve. A case
is (label, problem TOML, key TOML lines, the answer judged, words of the named mistake): the
first diagnosis of that answer must contain the words.
"""

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Case:
    label: str
    problem: str          # the problem's TOML (params, data, settings)
    key: str              # the [answers] lines, the judged answer among them
    name: str             # the judged answer
    named: str            # words of the mistake a person named


# -- the problems -----------------------------------------------------------------------------

SEED = dict(act="identity", out="identity", loss="squared", w_x=0.1, w_h=1.0, w_y=2.0,
            b_h=0.0, b_y=0.0, h_0=1.0, x=[10, 10], y=[5, 5])
TANH = dict(act="tanh", out="identity", loss="squared", w_x=0.5, w_h=0.8, w_y=1.5, b_h=0.1,
            b_y=-0.2, h_0=0.3, x=[1, -0.5, 2], y=[0.5, 0, 1])
BCE = dict(act="tanh", out="sigmoid", loss="cross_entropy", w_x=0.5, w_h=-1.5, w_y=2.0,
           b_h=0.2, b_y=0.0, h_0=0.5, x=[1.2, -0.7], y=[1, 0])
SIG = dict(act="sigmoid", out="identity", loss="half_squared", w_x=1.5, w_h=-2.0, w_y=2.0,
           b_h=0.0, b_y=0.0, h_0=0.4, x=[0.5, -1, 1], y=[0.5, 0.2, 2])
TANH2 = dict(act="tanh", out="identity", loss="squared", w_x=-0.7, w_h=1.2, w_y=2.5,
             b_h=0.3, b_y=0.1, h_0=-0.6, x=[0.4, 1.1], y=[-0.5, 0.8])


def toml(p: dict) -> str:
    return (f'activation = "{p["act"]}"\noutput = "{p["out"]}"\nloss = "{p["loss"]}"\n'
            f"[params]\nw_x = {p['w_x']}\nw_h = {p['w_h']}\nw_y = {p['w_y']}\n"
            f"b_h = {p['b_h']}\nb_y = {p['b_y']}\nh_0 = {p['h_0']}\n"
            f"[data]\nx = {p['x']}\ny = {p['y']}\n")


# -- the derivation by hand, with a person's slips ---------------------------------------------

F = {"identity": (lambda a: a, lambda a, h: 1.0),
     "tanh": (math.tanh, lambda a, h: 1 - h * h),
     "sigmoid": (lambda a: 1 / (1 + math.exp(-a)), lambda a, h: h * (1 - h))}


def forward(p: dict):
    f = F[p["act"]][0]
    g = F[p["out"]][0]
    h, a, yh = [p["h_0"]], [None], [None]
    for x in p["x"]:
        a.append(p["w_h"] * h[-1] + p["w_x"] * x + p["b_h"])
        h.append(f(a[-1]))
        yh.append(g(p["w_y"] * h[-1] + p["b_y"]))
    return a, h, yh


def hand_grad(p: dict, wrt: str, slope: str = "right", dloss: str = "right",
              drop_h0_path_at: int | None = None, skip_losses=()) -> float:
    """d L / d wrt (w_h, w_x, w_y, h_0) of a scalar problem, with these slips:
    slope: 'right', 'at_a' (f' evaluated at a_t), 'other' (tanh' for sigmoid and back),
    'one' (left out); dloss: 'right', 'no2' (squared without its 2), 'flip' (y - y_hat),
    'two' (half_squared with a 2); drop_h0_path_at: the step whose chain loses the path back
    to h_0; skip_losses: the L_t left out of the sum."""
    a, h, yh = forward(p)
    T = len(p["x"])
    y = p["y"]

    def fprime(t):
        if slope == "one":
            return 1.0
        if slope == "at_a":
            return F[p["act"]][1](a[t], a[t])
        if slope == "other":
            other = {"tanh": "sigmoid", "sigmoid": "tanh"}[p["act"]]
            return F[other][1](a[t], h[t])
        return F[p["act"]][1](a[t], h[t])

    def dl_do(t):
        r = yh[t] - y[t - 1]
        if p["loss"] == "cross_entropy":        # y_hat - y after sigmoid
            return -r if dloss == "flip" else r
        k = {"squared": 2, "half_squared": 1}[p["loss"]]
        k = 1 if dloss == "no2" else 2 if dloss == "two" else k
        r = -r if dloss == "flip" else r
        out = k * r
        return out * F[p["out"]][1](None, yh[t]) if p["out"] != "identity" else out

    total = 0.0
    for t in range(1, T + 1):
        if t in skip_losses:
            continue
        top = dl_do(t)
        if wrt == "w_y":
            total += top * h[t]
            continue
        # dh_t/dθ along every path, written out as a person does: a bracket of terms
        direct = {"w_h": lambda k: h[k - 1], "w_x": lambda k: p["x"][k - 1],
                  "h_0": lambda k: 0.0}[wrt]
        dh = 1.0 if wrt == "h_0" else 0.0           # dh_0/dθ
        for k in range(1, t + 1):
            if drop_h0_path_at == t and k == 1:
                dh = 0.0                              # the path back to h_0 left out
            else:
                dh = fprime(k) * (direct(k) + p["w_h"] * dh)
        total += top * p["w_y"] * dh
    return total


def r(x: float, d: int = 6) -> str:
    return f"{x:.{d}f}"


def trunc(x: float, d: int) -> str:
    s = f"{x:.12f}"
    i = s.index(".")
    return s[:i + 1 + d]


# -- the cases --------------------------------------------------------------------------------

def cases() -> list[Case]:
    out = []

    def add(label, p, key, name, named):
        out.append(Case(label, toml(p), key, name, named))

    a, h, yh = forward(SEED)
    # the seed page's two mistakes
    add("seed page: y_hat_1 = w_h h_1", SEED, "h_1 = 2\ny_hat_1 = 2", "y_hat_1",
        "w_h was used where w_y belongs")
    add("seed page: [2 + 1] without w_h h_0", SEED, '"dL_2/dw_h" = 8', "dL_2/dw_h",
        "path through h_0 was dropped")
    # the forum's
    add("forum: dL/dw_x = 80, L_1's term left out", SEED, '"dL/dw_x" = 80', "dL/dw_x",
        "dL_1/dw_x was left out")
    add("forum: tanh' at the pre-activation, 16 digits", TANH,
        f'"dL/dw_h" = {hand_grad(TANH, "w_h", slope="at_a")!r}', "dL/dw_h", "pre-activation")
    a2, h2, yh2 = forward(BCE)
    add("forum: right h_2, dL/dw_h without the h_0 path (BCE)", BCE,
        f'h_2 = {r(h2[2], 4)}\n"dL/dw_h" = {r(hand_grad(BCE, "w_h", drop_h0_path_at=2))}',
        "dL/dw_h", "path through h_0 was dropped")
    # from the test suite
    add("tests: dL/dw_h sign of (y_hat - y)", SEED, '"dL/dw_h" = -8', "dL/dw_h", "the sign of")
    add("tests: factor 2 dropped in dL/dw_y", SEED, '"dL/dw_y" = 1', "dL/dw_y", "factor 2")
    add("tests: h_2 with w_y for w_h", SEED, "h_1 = 2\nh_2 = 5", "h_2",
        "w_y was used where w_h belongs")
    add("tests: dL/dh_1 without L_2", SEED, '"dL/dh_1" = -4', "dL/dh_1",
        "dL_2/dh_1 was left out")
    add("tests: y_hat_2 from h_1", SEED, "h_2 = 3\ny_hat_2 = 4", "y_hat_2",
        "h_1 was used where h_2 belongs")
    # course material, written out by hand
    add("seed: factor 2 dropped in dL/dw_h", SEED, f'"dL/dw_h" = '
        f'{hand_grad(SEED, "w_h", dloss="no2"):g}', "dL/dw_h", "factor 2")
    add("seed: a 1/2 added to L", SEED, "L = 1", "L", "a 1/2 was added")
    add("seed: dL/dw_x sign flipped", SEED, '"dL/dw_x" = -40', "dL/dw_x", "the sign of")
    for wrt in ("w_h", "w_x", "h_0"):
        add(f"tanh: tanh' at a_t in dL/d{wrt}", TANH,
            f'"dL/d{wrt}" = {r(hand_grad(TANH, wrt, slope="at_a"))}', f"dL/d{wrt}",
            "pre-activation")
    for wrt in ("w_h", "w_x"):
        add(f"tanh: sigmoid' for tanh in dL/d{wrt}", TANH,
            f'"dL/d{wrt}" = {r(hand_grad(TANH, wrt, slope="other"))}', f"dL/d{wrt}",
            "derivative of sigmoid was used for tanh")
    add("tanh: tanh' left out", TANH, f'"dL/dw_h" = {r(hand_grad(TANH, "w_h", slope="one"))}',
        "dL/dw_h", "taken as 1")
    add("tanh: factor 2 dropped in dL/dw_x", TANH,
        f'"dL/dw_x" = {r(hand_grad(TANH, "w_x", dloss="no2"))}', "dL/dw_x", "factor 2")
    add("tanh: sign flipped in dL/dw_y", TANH,
        f'"dL/dw_y" = {r(hand_grad(TANH, "w_y", dloss="flip"))}', "dL/dw_y", "the sign of")
    add("tanh: truncated, not rounded", TANH,
        f'"dL/dw_h" = {trunc(hand_grad(TANH, "w_h"), 4)}', "dL/dw_h", "truncated")
    at, ht, _ = forward(TANH)
    wrong_h2 = math.tanh(TANH["w_x"] * ht[1] + TANH["w_x"] * TANH["x"][1] + TANH["b_h"])
    add("tanh: w_x for w_h in a_2", TANH, f"h_1 = {r(ht[1])}\nh_2 = {r(wrong_h2)}", "h_2",
        "w_x was used where w_h belongs")
    add("tanh: L_3 left out of dL/dw_y", TANH,
        f'"dL/dw_y" = {r(hand_grad(TANH, "w_y", skip_losses=(3,)))}', "dL/dw_y",
        "dL_3/dw_y was left out")
    add("BCE: y - y_hat in dL/dw_h", BCE, f'"dL/dw_h" = {r(hand_grad(BCE, "w_h", dloss="flip"))}',
        "dL/dw_h", "sign of the cross-entropy shortcut")
    add("BCE: y - y_hat in dL/dw_y", BCE, f'"dL/dw_y" = {r(hand_grad(BCE, "w_y", dloss="flip"))}',
        "dL/dw_y", "sign of the cross-entropy shortcut")
    add("BCE: tanh' at a_t", BCE, f'"dL/dw_x" = {r(hand_grad(BCE, "w_x", slope="at_a"))}',
        "dL/dw_x", "pre-activation")
    add("BCE: L_1 left out of dL/dw_h", BCE,
        f'"dL/dw_h" = {r(hand_grad(BCE, "w_h", skip_losses=(1,)))}', "dL/dw_h",
        "dL_1/dw_h was left out")
    add("sigmoid: sigmoid' at a_t", SIG, f'"dL/dw_h" = {r(hand_grad(SIG, "w_h", slope="at_a"))}',
        "dL/dw_h", "pre-activation")
    add("sigmoid: tanh' for sigmoid", SIG,
        f'"dL/dw_x" = {r(hand_grad(SIG, "w_x", slope="other"))}', "dL/dw_x",
        "derivative of tanh was used for sigmoid")
    add("half squared: the 2 kept", SIG, f'"dL/dw_h" = {r(hand_grad(SIG, "w_h", dloss="two"))}',
        "dL/dw_h", "kept its factor 2")
    add("tanh2: tanh' at a_t in dL/dw_h", TANH2,
        f'"dL/dw_h" = {r(hand_grad(TANH2, "w_h", slope="at_a"))}', "dL/dw_h", "pre-activation")
    add("tanh2: path through h_0 dropped", TANH2,
        f'"dL/dw_h" = {r(hand_grad(TANH2, "w_h", drop_h0_path_at=2))}', "dL/dw_h",
        "path through h_0 was dropped")
    add("tanh2: L_1 left out of dL/dw_x", TANH2,
        f'"dL/dw_x" = {r(hand_grad(TANH2, "w_x", skip_losses=(1,)))}', "dL/dw_x",
        "dL_1/dw_x was left out")
    add("tanh2: sign flipped in dL/dh_0", TANH2,
        f'"dL/dh_0" = {r(hand_grad(TANH2, "h_0", dloss="flip"))}', "dL/dh_0", "the sign of")
    return out
