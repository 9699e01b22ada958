"""The common mistakes of RNN homework, tried on a derivation to explain a wrong answer.

Each mistake rewrites one or more steps of the answer's derivation (a weight swapped for
another, a time index off by one, a path through time dropped, ...). Those whose rewritten
derivation reproduces the given answer are reported, simplest first; where many reproduce it,
the match is a coincidence and nothing is said.
"""

import itertools
from dataclasses import replace
from fractions import Fraction

from ..derive.expr import Const, Diff, Had, Power, Prod, Quot, Sum, Sym, const, had, names, revalue, \
    sub, text, transform, walk
from ..model.numbers import exact_text, fmt, is_exact
from ..model.matrix import entry
from .budget import stated_as

WEIGHTS = ("w_x", "w_h", "w_y")
MAX_EXPLANATIONS = 3
MAX_SITES = 80      # single-site mistakes are tried on at most this many steps near the answer
MAX_GRAPH = 150     # ... and only in derivations of at most this many steps


def _step_formula(step):
    return step.chain if step.chain is not None else step.expr


def _upstream(graph) -> list:
    """The steps the answer depends on, nearest first."""
    by_name = {}
    for s in graph.steps:
        for n in (s.name, *s.same):
            by_name[n] = s
    order, seen, todo = [], set(), [graph.target]
    while todo:
        n = todo.pop(0)
        s = by_name.get(n)
        if s is None or id(s) in seen:
            continue
        seen.add(id(s))
        order.append(s)
        todo += sorted(names(_step_formula(s)))
    return order


def _replace_at(e, index: int, new):
    """The tree with its index-th node (in walk order) replaced by `new`."""
    counter = itertools.count()
    return transform(e, lambda n: new if next(counter) == index else None)


def _parts(name: str):
    """('h', 2) for 'h_2', None for names without a step."""
    base, _, t = name.rpartition("_")
    return (base, int(t)) if t.isdigit() and base in ("h", "x", "y", "y_hat", "a", "o") else None


# -- single-site mistakes: one step rewritten --------------------------------------------------

def _single_site(graph, env, share: int | None = None):
    """The one-place mistakes of the steps the answer depends on, nearest first, while their
    replays fit in `share` step evaluations (a replay of a mistake at a step recomputes at
    most the steps from it to the answer's): a key of many wrong answers gives each its
    part of the run's budget, the nearest steps (the likeliest places) first."""
    end = graph.end()
    index = {id(s): i for i, s in enumerate(graph.steps[:end])}
    spent = 0
    for step in _upstream(graph)[:MAX_SITES]:
        cost = end - index.get(id(step), 0)
        for candidate in _at_step(step, env):
            spent += cost
            if share is not None and spent > share:
                return
            yield candidate


def _at_step(step, env):
    """The one-place mistakes of one step: a weight for another, a time index off by one, a
    term left out."""
    e = _step_formula(step)
    for i, node in enumerate(walk(e)):
        if not isinstance(node, Sym):
            continue
        if node.name in WEIGHTS:
            for other in WEIGHTS:
                if other != node.name:
                    new = _replace_at(e, i, Sym(env[other], other))
                    yield 1, {step.name: new}, lambda v, s=step, n=new, o=other, w=node.name: (
                        f"{o} was used where {w} belongs: {s.name} = {text(n, star=True)} "
                        f"= {fmt(v[s.name])}")
        parts = _parts(node.name)
        if parts and step.stage in ("hidden", "output", "loss", "factor", "adjoint",
                                    "term", "total"):
            base, t = parts
            for u in (t - 1, t + 1):
                other = f"{base}_{u}"
                if other in env and other != step.name:
                    new = _replace_at(e, i, Sym(env[other], other))
                    yield 2, {step.name: new}, lambda v, s=step, n=new, o=other, w=node.name: (
                        f"{o} was used where {w} belongs (a time index off by one): "
                        f"{s.name} = {text(n, star=True)} = {fmt(v[s.name])}")
    yield from _dropped_terms(step)


def _dropped_terms(step):
    """A path through time or a term of a sum left out."""
    e = _step_formula(step)
    shown = [n for n in walk(step.expr) if isinstance(n, Sum) and n.bracket]
    sums = [(i, n) for i, n in enumerate(walk(e)) if isinstance(n, Sum)]
    brackets = [(i, n) for i, n in sums if n.bracket]
    for (i, node), bracket in zip(brackets, shown):
        for k, term in enumerate(bracket.terms):
            rest = tuple(t for j, t in enumerate(node.terms) if j != k)
            new = _replace_at(e, i, Sum(node.value, rest, True) if len(rest) > 1 else rest[0])
            through = _earliest(term)
            yield 1, {step.name: new}, lambda v, b=bracket, t=term, th=through: (
                f"the path through {th} was dropped: the {text(t, star=True)} term of the "
                f"bracket {text(b, star=True)} is missing" if th else
                f"the {text(t, star=True)} term of the bracket {text(b, star=True)} is missing")
        if len(node.terms) > 2:
            new = _replace_at(e, i, node.terms[0])
            yield 2, {step.name: new}, lambda v, b=bracket: (
                f"only the direct term of the bracket {text(b, star=True)} was kept: "
                "every path back through time was dropped")
    if step.stage in ("adjoint", "total") and not brackets:
        for i, node in sums:
            for k, term in enumerate(node.terms):
                rest = tuple(t for j, t in enumerate(node.terms) if j != k)
                new = _replace_at(e, i, Sum(node.value, rest) if len(rest) > 1 else rest[0])
                yield 2, {step.name: new}, lambda v, s=step, t=term: (
                    f"{text(t, star=True)} was left out of {s.name} = "
                    f"{text(_step_formula(s), star=True)}")


def _earliest(term) -> str:
    """The earliest state or input a path term runs through (h_0 in w_h * h_0)."""
    found = [p for n in names(term) if (p := _parts(n)) and p[0] in ("h", "x")]
    found += [("h", 0)] if "h_0" in names(term) else []
    if not found:
        return ""
    base, t = min(found, key=lambda p: (p[1], p[0] != "h"))
    return f"{base}_{t}"


# -- systematic mistakes: the same slip at every step ------------------------------------------

def _everywhere(graph, fn, only=None):
    """A swap that applies fn to every derivative step's formula, or to the steps `only`
    accepts (None where it changes none)."""
    swap = {}
    for step in graph.steps:
        if only is not None and not only(step):
            continue
        if only is None and step.stage in ("hidden", "output", "loss", "total") \
                and "/" not in step.name:
            continue
        e = _step_formula(step)
        new = transform(e, fn)
        if new != e:
            swap[step.name] = new
    return swap or None


def _is_residual(n) -> bool:
    """y_hat_t - y_t."""
    return isinstance(n, Diff) and isinstance(n.left, Sym) and isinstance(n.right, Sym) and \
        n.left.name.startswith("y_hat_") and n.right.name == "y_" + n.left.name[6:]


def _systematic(graph, problem, env):
    p = problem
    if p.loss == "squared":
        def drop2(n):
            if isinstance(n, Prod) and len(n.factors) == 2 and isinstance(n.factors[0], Const) \
                    and n.factors[0].value == 2 and _is_residual(n.factors[1]):
                return n.factors[1]
        yield 1, _everywhere(graph, drop2), lambda v: (
            "the factor 2 of the squared loss's derivative was dropped (or a 1/2 added): "
            "dL_t/dy_hat_t = y_hat_t - y_t was used instead of 2(y_hat_t - y_t)")
        def halve(n):
            if isinstance(n, Power) and n.exp == 2 and _is_residual(n.base):
                return Quot(n.value, n, const(2))
        swap = {s.name: transform(s.expr, halve) for s in graph.steps if s.stage == "loss"}
        yield 1, swap or None, lambda v: (
            "a 1/2 was added to the squared loss: L_t = (y_hat_t - y_t)^2 / 2 was used")
    if p.loss == "half_squared":
        def double(n):
            if _is_residual(n):
                return Prod(n.value, (const(2), n))
        yield 1, _everywhere(graph, double), lambda v: (
            "the derivative of the squared loss kept its factor 2 although the loss is "
            "half_squared: 2(y_hat_t - y_t) was used instead of y_hat_t - y_t")
    if p.reduction == "mean" and len(p.targets) > 1:
        n_targets = len(p.targets)

        def no_mean(n):   # the 1/n of the mean, wherever it was applied
            if isinstance(n, Const) and n.value == Fraction(1, n_targets):
                return const(1)
            if isinstance(n, Quot) and isinstance(n.bottom, Const) and \
                    n.bottom.value == n_targets:
                return n.top
        # the mean's 1/n sits in the total L, the totals dL/dθ and the delta recursion's
        # dL/dy_hat_t: not in a half_squared L_t, whose /2 is no mean
        totals = lambda s: s.name == "L" or s.stage in ("total", "adjoint")
        yield 1, _everywhere(graph, no_mean, totals), lambda v: (
            f"the mean's 1/{n_targets} was left out: the loss was summed over the "
            f"{n_targets} targets instead of averaged")
    if p.loss in ("squared", "half_squared"):
        def flip(n):
            if _is_residual(n):
                return Diff(-n.value, n.right, n.left)
        yield 2, _everywhere(graph, flip), lambda v: (
            "the sign of (y_hat - y) was flipped: y_t - y_hat_t was used in dL_t/dy_hat_t")
    yield from _activation_slips(graph, p, env)
    from .output_mistakes import candidates as shortcut_slips   # y_hat_t - y_t's slips
    yield from shortcut_slips(graph, p, env)


def _h_of(n):
    """t where n is h_t (a Sym)."""
    return int(n.name[2:]) if isinstance(n, Sym) and n.name.startswith("h_") \
        and n.name[2:].isdigit() else None


def _activation_slips(graph, p, env):
    def tanh_slope(n):     # 1 - h_t^2
        if isinstance(n, Diff) and isinstance(n.left, Const) and n.left.value == 1 and \
                isinstance(n.right, Power) and n.right.exp == 2 and _h_of(n.right.base):
            return _h_of(n.right.base)

    def sigmoid_slope(n):  # h_t (1 - h_t), or h_t ⊙ (1 - h_t)
        if isinstance(n, (Prod, Had)) and len(n.factors) == 2 and _h_of(n.factors[0]) and \
                isinstance(n.factors[1], Diff) and _h_of(n.factors[1].right) == \
                _h_of(n.factors[0]):
            return _h_of(n.factors[0])

    slope = {"tanh": tanh_slope, "sigmoid": sigmoid_slope}.get(p.activation)
    if slope is None:
        return
    one = const(1)

    def a(t):
        return Sym(env[f"a_{t}"], f"a_{t}")

    def h(t):
        return Sym(env[f"h_{t}"], f"h_{t}")

    forms = {"tanh": lambda x: sub(one, Power(x.value ** 2, x, 2)),
             "sigmoid": lambda x: had(x, sub(one, x))}
    at_a = lambda n: forms[p.activation](a(t)) if (t := slope(n)) else None
    word = {"tanh": "1 - a_t^2 instead of 1 - h_t^2 = 1 - tanh(a_t)^2",
            "sigmoid": "a_t(1 - a_t) instead of h_t(1 - h_t) = sigmoid'(a_t)"}[p.activation]
    yield 2, _everywhere(graph, at_a), lambda v: (
        f"the derivative of {p.activation} was taken at the pre-activation: {word}")
    other = "sigmoid" if p.activation == "tanh" else "tanh"
    wrong = lambda n: forms[other](h(t)) if (t := slope(n)) else None
    yield 2, _everywhere(graph, wrong), lambda v: (
        f"the derivative of {other} was used for {p.activation}: "
        + ("h_t(1 - h_t) instead of 1 - h_t^2" if other == "sigmoid"
           else "1 - h_t^2 instead of h_t(1 - h_t)"))
    drop = lambda n: one if slope(n) else None
    yield 3, _everywhere(graph, drop), lambda v: (
        f"the derivative of {p.activation} was left out (taken as 1, as if the activation "
        "were the identity)")


# -- the diagnosis -----------------------------------------------------------------------------

def diagnose(graphs, answer, expected, problem, stated: dict, right: set,
             key: dict | None = None, wrong: dict | None = None,
             share: int | None = None) -> list[str]:
    """Plain sentences naming the likely mistakes behind a wrong answer, most likely first;
    only those that agree with the key's right answers (`key`: name -> Answer). `stated`:
    the key's other wrong answers; `wrong`: all of them, this one too (its replays are
    shared with the key's other answers on the same steps); `share`: the step evaluations
    its one-place mistakes may take (_single_site)."""
    from .ranking import order
    for graph in graphs:
        found = _reproduce(graph, answer, problem, stated, key or {}, wrong, share)
        if found:
            break
    else:
        found = []
    found = order(found + _numeric(answer, expected))     # (score, sentence), likeliest first
    unique = [s for _, s in found]
    if len(unique) > MAX_EXPLANATIONS:
        # many fit: keep the likeliest kind alone if it is few, else it is a coincidence
        best = found[0][0][:2]
        unique = [s for score, s in found if score[:2] == best]
        if len(unique) > MAX_EXPLANATIONS:
            return []
    if not unique:
        slip = _arithmetic_slip(graphs[0], answer, expected, right)
        unique = [slip] if slip else []
    return unique


def _replays(graph, problem, overrides: dict, single: bool = True, share=None) -> list:
    """(rank, value, env, say) of the derivation replayed with each candidate mistake, the
    key's `overrides` in place; value None where the mistake does not fit. Kept in the graph:
    every key to the same exercise with the same overrides reuses them; where the candidates
    do not depend on the answer (no single-site slips: a long derivation, or the systematic
    mistakes alone), kept in the graph's `common` too, so that the key's answers on the same
    steps (its h_t) share one replay of each mistake."""
    store = _store(graph, problem, single)
    memo_key = ("replays", single, tuple(sorted((k, repr(v)) for k, v in overrides.items())))
    if memo_key not in store:
        out = []
        for rank, swap, say in _candidates(graph, problem, single, share):
            try:    # an answer's own replays stop at its step: no later step changes it
                _, venv, _ = graph.evaluate(overrides, swap, stop=store is graph.memo)
            except (ArithmeticError, TypeError, KeyError, ValueError, IndexError):
                venv = None   # the mistake does not fit this problem (shapes, log 0)
            out.append((rank, venv, say))
        store[memo_key] = out
    return [(rank, None if venv is None else _target(graph, venv), venv, say)
            for rank, venv, say in store[memo_key]]


def _store(graph, problem, single: bool) -> dict:
    """Where a graph's candidates and replays are kept: its `common` (shared by the answers
    on the same steps) where they do not depend on the answer, else its own memo."""
    own = single and (graph.end() <= MAX_GRAPH or problem.cell != "rnn")
    return graph.memo if own else graph.common


def _target(graph, env):
    value = env[graph.target]
    return entry(value, graph.index) if graph.index else value


def _candidates(graph, problem, single: bool, share=None) -> list:
    """(rank, swap, say) of each mistake that changes this derivation; kept in the graph."""
    store = _store(graph, problem, single)
    if ("candidates", single) in store:
        return store[("candidates", single)]
    _, env, _ = graph.evaluate({})
    # each candidate re-evaluates the derivation: on a long one only the systematic
    # mistakes (a handful) are tried, so that checking a key stays a matter of seconds
    sites = _single_site(graph, env, share) if single and graph.end() <= MAX_GRAPH else ()
    if single and problem.cell != "rnn":   # gated cells: their own mistakes, and the loss's
        from .gated_mistakes import candidates as gated
        sites = gated(graph, problem, env)
    out = [c for c in itertools.chain(sites, _systematic(graph, problem, env)) if c[1]]
    store[("candidates", single)] = out
    return out


def _reproduce(graph, answer, problem, stated, key=None, wrong=None, share=None):
    from .ranking import agrees, changed
    base = graph.memo.get("base_env")
    found = [(rank, say(venv), changed(base, venv))
             for rank, value, venv, say in _replays(graph, problem, {}, share=share)
             if value is not None and answer.matches(value) and agrees(venv, key or {})]
    # else a systematic mistake on top of the key's own earlier answers, where this derivation
    # reads them (each key has its own: a replay of every single slip per key is too slow for
    # a class's worth of keys)
    stated = {k: v for k, v in stated.items() if graph.reads([k])}
    if found or not stated:
        return found
    replays = _replays(graph, problem, stated, single=False) \
        if wrong is None or graph.target in graph.given else _shared_replays(graph, problem, wrong)
    return [(rank, say(venv) + " (with the key's earlier answers)", changed(base, venv))
            for rank, value, venv, say in replays
            if value is not None and answer.matches(value) and agrees(venv, key or {})]


def _shared_replays(graph, problem, wrong: dict) -> list:
    """_replays with the key's earlier answers in place, shared by every answer of the key on
    the same steps (the forward quantities): each systematic mistake is replayed once with
    all the key's wrong answers in place, and each answer reads its own step's value as its
    formula gave it before the key's was put in (a step depends only on the steps before
    it, so that is its value with the key's other answers in place). 20 wrong h_t of a
    T = 200 key replayed each mistake 20 times, and spent the run's diagnosis budget."""
    memo_key = ("shared replays", tuple(sorted((k, repr(v)) for k, v in wrong.items())))
    if memo_key not in graph.common:
        out = []
        for rank, swap, say in _candidates(graph, problem, single=False):
            before: dict = {}
            try:
                _, venv, _ = graph.evaluate(wrong, swap, before)
            except (ArithmeticError, TypeError, KeyError, ValueError, IndexError):
                venv = None       # the mistake does not fit this problem (shapes, log 0)
            out.append((rank, venv, before, say))
        graph.common[memo_key] = out
    step = graph.last_step()
    names_ = (step.name, *step.same) if step is not None else (graph.target,)
    hit = stated_as(names_, wrong)
    out = []
    for rank, venv, before, say in graph.common[memo_key]:
        if venv is None or (hit is not None and hit not in before):
            out.append((rank, None, None, say))
            continue
        venv = dict(venv)
        if hit is not None:         # the target as its formula gave it, not as the key says
            for n in names_:
                venv[n] = before[hit]
        out.append((rank, _target(graph, venv), venv, say))
    return out


def _numeric(answer, expected):
    """Slips in writing the number down: truncated instead of rounded."""
    if answer.decimals is None or answer.parts or answer.matches(expected):
        return []
    from .answers import scalar_of
    expected = scalar_of(expected, answer)
    if hasattr(expected, "rows"):
        return []
    scale = 10 ** answer.decimals
    q = expected if is_exact(expected) else Fraction(str(expected))
    truncated = Fraction(int(q * scale), scale)
    if truncated == answer.given:
        return [(3, f"the value was truncated instead of rounded: {fmt(expected, 12)} rounds "
                    f"to {answer.rounded(expected)}")]
    return []


def _arithmetic_slip(graph, answer, expected, right: set):
    """Every input of the answer's own formula is right (data, or a right answer of the key),
    yet the result is not: the arithmetic slipped."""
    step = next((s for s in reversed(graph.steps) if s.name == graph.target), None)
    if step is None:        # an answer about a parameter: no formula to have slipped in
        return None
    e = _step_formula(step)
    inputs = names(e)
    data = {n for n in inputs if n in WEIGHTS + ("b_h", "b_y", "h_0") or n.startswith(("x_", "y_"))
            and not n.startswith("y_hat")}
    if not inputs or not inputs <= data | right:
        return None
    if not all(isinstance(n, (Sym, Const, Sum, Prod, Diff)) for n in walk(e)):
        return None
    _, env, _ = graph.evaluate({})
    shown = revalue(e, env)
    return (f"an arithmetic slip: every input is right, but {text(shown, numeric=True)} = "
            f"{fmt(expected)}, not {answer.text}")
