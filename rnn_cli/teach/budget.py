"""How much work `check` spends on the answers that are not correct, and the work it shares
between them.

Judging an answer right or not costs a lookup; a wrong one is replayed: the derivation again
with the key's other wrong answers in place (is it consistent: error carried forward?) and
with each common mistake (the diagnosis). On a long sequence each replay is thousands of
steps, so a key full of wrong answers could keep a CI runner busy for minutes. Two things
bound that:

- sharing: one replay of a derivation with every wrong answer of the key in place tells each
  of them what it would have been given the others (a step's value depends only on the steps
  before it), so the answers that share a derivation share that replay (`carried_values`);
- a budget of step evaluations per run (DIAGNOSIS_BUDGET). Once it is spent, the remaining
  wrong answers are reported wrong with NOT_DIAGNOSED, and `"diagnosed": false` in JSON.
"""

from ..derive.expr import value_in

DIAGNOSIS_BUDGET = 20_000    # step evaluations for every replay of one run of `check`
MAX_ANSWERS = 500            # answers in one file: a file with more is that file's error
MAX_ANSWER_STEPS = 200_000   # answers x steps T in one file: 20 answers at T = 10,000
MAX_RUN_STEPS = 800_000      # answers x steps T over the files of one run: 4 files at the limit
MEMO_STEPS = 10_000          # steps T of the derivations a run keeps for the problems to come


def too_much(count: int, work: int, before: int) -> str:
    """Why a file of `count` answers, `work` answers x steps, is more than a run gives one
    file, or "" (`before`: the work of the run's files before it)."""
    if count > MAX_ANSWERS:
        return f"{count:,} answers in the file: at most {MAX_ANSWERS:,} are checked in one file"
    if work > MAX_ANSWER_STEPS:
        return (f"answers x steps is {work:,} in the file: at most {MAX_ANSWER_STEPS:,} (each "
                "answer of a long sequence is a derivation of its own: at T = 10,000, 20 "
                "answers)")
    if before + work > MAX_RUN_STEPS:
        return (f"answers x steps is {work:,} in the file, {before + work:,} with the files "
                f"checked before it: at most {MAX_RUN_STEPS:,} in one run of check (check "
                "the rest in another run)")
    return ""


def derivations(memo: dict, key, T: int) -> dict:
    """The derivations kept for a problem (its `key`) in a run's memo. The problems met
    before are dropped, oldest first, while the steps kept would pass MEMO_STEPS: a class of
    short variants keeps them all, a run of long keys only the one being checked."""
    if key not in memo:
        order = memo.setdefault("order", [])        # (key, T) of the problems kept
        while order and sum(t for _, t in order) + T > MEMO_STEPS:
            memo.pop(order.pop(0)[0], None)
        order.append((key, T))
    return memo.setdefault(key, {})


def not_diagnosed(limit: int) -> str:
    return (f"not diagnosed: the diagnosis budget of this run is spent ({limit:,} step "
            "evaluations, docs/limits.md)")


class BudgetSpent(Exception):
    """The diagnosis budget of this run is spent (never an ArithmeticError: the replays
    that skip a mistake which does not fit must not swallow it)."""


class Budget:
    """Step evaluations left for replays in this run."""

    def __init__(self, limit: int | None = None):
        self.limit, self.used = DIAGNOSIS_BUDGET if limit is None else limit, 0

    @property
    def spent(self) -> bool:
        return self.used >= self.limit

    def charge(self, n: int = 1) -> None:
        self.used += n
        if self.used > self.limit:
            raise BudgetSpent


def carried_values(graph, stated: dict):
    """One replay of `graph`'s steps with every wrong answer of the key in `stated` in
    place. Returns (env, before): env after the replay, and for each stated step the
    (value, deps) its own formula gives from the steps before it, that is the value it would
    have had with only the *other* wrong answers in place. Kept in the graph's `common`:
    every answer on the same steps reuses it. A derivation that begins with the forward
    pass's steps (a gradient's) starts after them where the forward answers' replay with the
    same answers is kept (`Graph.head`), charged for them as if it had replayed them."""
    key = ("carried", tuple(sorted((k, repr(v)) for k, v in stated.items())))
    if key in graph.common:
        return graph.common[key]
    graph.evaluate({})                       # the values as they stand, in common
    plan = graph.plan()
    env, deps, before = dict(graph.base_env()), {}, {}
    changed: set[str] = set()
    head = graph.head()
    if head is not None and ("carried deps", key) in head:
        head_env, head_before = head[key]
        head_deps, head_changed, charged = head[("carried deps", key)]
        graph.charge(charged)
        env.update(head_env)
        deps.update(head_deps)
        before.update(head_before)
        changed.update(head_changed)
        plan = plan[len(head["steps"]):]
    else:
        charged = 0
        for n in stated.keys() & graph.given.keys():
            env[n], deps[n] = stated[n], {n}
            changed.add(n)
    for name, names_, formula, reads in plan:
        hit = stated_as(names_, stated)
        if not changed.isdisjoint(reads) or hit is not None:
            if changed.isdisjoint(reads):
                value, d = env[name], set()
            else:
                graph.charge()
                charged += 1
                value = value_in(formula, env)
                d = depends(reads, deps)
            if hit is not None:
                for n in names_:
                    before[n] = (value, d)
                value, d = stated[hit], {hit}
            for n in names_:
                env[n], deps[n] = value, d
            changed.update(names_)
    graph.common[key] = (env, before)
    graph.common[("carried deps", key)] = (deps, changed, charged)
    return env, before


def stated_as(names_: tuple, stated: dict):
    """The first of a step's names that the key states (or None)."""
    for n in names_:
        if n in stated:
            return n
    return None


def depends(reads, deps: dict) -> set:
    """The stated answers a step depends on: those of every name it reads."""
    d: set = set()
    for n in reads:
        got = deps.get(n)
        if got:
            d |= got
    return d
