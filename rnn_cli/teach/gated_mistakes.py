"""The typical mistakes of LSTM and GRU backpropagation, tried on a derivation (mistakes.py
runs them, with the loss's mistakes, to explain a wrong answer).

- LSTM: the forget-gate path c_t -> c_{t+1} dropped from dL/dc_t (the term dL/dc_{t+1} ⊙
  f_{t+1}); GRU: the direct path h_t -> h_{t+1} dropped from dL/dh_t (dL/dh_{t+1} ⊙ z_{t+1});
  or the other way round, that path alone kept (dc_{t+1}/dc_t taken as f_{t+1});
- a sigmoid gate's derivative taken as tanh's (1 - s^2 for s(1 - s)), or the candidate's tanh'
  taken as sigmoid';
- LSTM: the output gate missed in dh_t/dc_t (tanh'(c_t) for og_t ⊙ tanh'(c_t)).
Each is a swap: step name -> the formula written with the mistake.
"""

import re

from ..derive.expr import Sum, Sym, add, const, had, mul, names, power, sub, sym, transform

_ADJOINT = re.compile(r"d(?P<of>.+)/d(?P<base>[a-z]+)_(?P<t>[0-9]+)")
SIGMOID_GATES = {"ai": "i", "af": "f", "ao": "og", "ar": "r", "az": "z"}
TANH_GATES = {"ag": "g", "an": "n"}
MAX_SITES = 6     # a mistake at one step only is tried where it has at most this many steps


def _adjoints(graph):
    """(step, of, base, t) for each step of the delta recursion dQ/dX_t."""
    for step in graph.steps:
        m = _ADJOINT.fullmatch(step.name)
        if m and step.stage == "adjoint":
            yield step, m["of"], m["base"], int(m["t"])


def candidates(graph, problem, env):
    """(rank, swap, sentence maker) for each gated-cell mistake that changes the derivation."""
    vector, one = problem.is_vector, const(1)
    hp = had if vector else (lambda *fs: mul(*fs, chain=True))
    s = lambda n: sym(n, env[n])
    steps = list(_adjoints(graph))

    # the path through the next step's state dropped from the recursion
    state, gate = ("c", "f") if problem.cell == "lstm" else ("h", "z")
    dropped, only = {}, {}
    for step, of, base, t in steps:
        if base != state or not isinstance(step.expr, Sum):
            continue
        nxt = f"d{of}/d{state}_{t + 1}"
        kept = [e for e in step.expr.terms if nxt not in names(e)]
        if len(kept) < len(step.expr.terms) and kept:
            dropped[step.name] = add(*kept)
            only[step.name] = add(*(e for e in step.expr.terms if nxt in names(e)))
    path = ("the forget-gate path through the cell state was dropped: dL/dc_t is missing "
            "its term dL/dc_{t+1} ⊙ f_{t+1} (c_t reaches the loss through c_{t+1} too)"
            if problem.cell == "lstm" else
            "the direct path h_t -> h_{t+1} was dropped: dL/dh_t is missing its term "
            "dL/dh_{t+1} ⊙ z_{t+1} (h_{t+1} = (1 - z) ⊙ n + z ⊙ h_t keeps z of h_t)")
    yield from _sites(1, dropped, path)
    yield from _sites(2, only, (
        "only the cell-state path was kept: dL/dc_t = dL/dc_{t+1} ⊙ f_{t+1}, leaving out "
        "the path through h_t (and the gates of step t+1)" if problem.cell == "lstm" else
        "only the update gate's direct path was kept: dL/dh_t = dL/dh_{t+1} ⊙ z_{t+1}, "
        "leaving out the paths through the gates of step t+1"))

    # sigmoid' taken as tanh', and the candidate's tanh' as sigmoid'
    as_tanh, as_sigmoid = {}, {}
    for step, of, base, t in steps:
        g = SIGMOID_GATES.get(base) or TANH_GATES.get(base)
        if g is None:
            continue
        if f"d{of}/d{g}_{t}" not in env:
            continue
        d, v = s(f"d{of}/d{g}_{t}"), s(f"{g}_{t}")
        if base in SIGMOID_GATES:
            as_tanh[step.name] = hp(d, sub(one, power(v, 2)))
        else:
            as_sigmoid[step.name] = hp(d, hp(v, sub(one, v)))
    if as_tanh:
        yield 2, as_tanh, lambda v: (
            "the sigmoid gates' derivative was taken as tanh's: 1 - s^2 instead of "
            "s(1 - s) for each sigmoid gate s")
    if as_sigmoid:
        yield 2, as_sigmoid, lambda v: (
            "the candidate's tanh derivative was taken as sigmoid's: g(1 - g) instead of "
            "1 - g^2")

    # the output gate missed in dh_t/dc_t = og_t ⊙ tanh'(c_t)
    if problem.cell == "lstm":
        no_gate = {}
        for step, of, base, t in steps:
            if base != "c":
                continue
            # og_t left out of the term that comes from h_t: 1 in its place
            into = f"d{of}/dh_{t}"
            drop = lambda n, t=t: const(1) if isinstance(n, Sym) and n.name == f"og_{t}" \
                else None
            terms = step.expr.terms if isinstance(step.expr, Sum) else (step.expr,)
            new = [transform(e, drop) if into in names(e) else e for e in terms]
            if new != list(terms):
                no_gate[step.name] = add(*new)
        yield from _sites(2, no_gate, "the output gate was missed in dh_t/dc_t: "
                          "1 - tanh(c_t)^2 was used instead of og_t ⊙ (1 - tanh(c_t)^2)")


def _sites(rank: int, swap: dict, sentence: str):
    """The mistake made at every step, then (a little less likely) at one step only."""
    if not swap:
        return
    yield rank, swap, lambda v: sentence
    if 1 < len(swap) <= MAX_SITES:
        for name, e in swap.items():
            t = name.rpartition("_")[2]
            yield rank + 1, {name: e}, lambda v, t=t: f"{sentence}, at step {t}"
