"""`check`: an answer key compared with the derivation, with error carried forward and the
likely mistake behind each wrong answer.

Every answer is a step of a derivation (forward steps, then the gradient's). Its verdict:
- correct: it matches the right value under its rule (answers.Answer);
- consistent: it is wrong, but the derivation re-evaluated with the key's own wrong answers in
  place of the right values gives it (error carried forward);
- wrong: neither. A diagnosis then tries the common mistakes on the derivation (mistakes.py)
  and names those that reproduce the given value;
- invalid: the answer could not be read (no number, a wrong shape, an unknown quantity); its
  reason is its diagnosis, and it counts in the score like a wrong answer.
"""

from dataclasses import dataclass, field
from pathlib import Path

from .answers import Answer, as_number, as_row, as_written, at_depth, wrong_entries
from .budget import depends, stated_as
from .formulas import data_value, read_answer
from ..derive.bptt import PATHS_MAX_T
from ..model.errors import InputError
from ..derive.expr import names, revalue, text, value_in
from ..model.files import read_toml, tables
from ..model.matrix import entry
from ..derive.forward import Forward
from ..derive.gated import ROW_LAYOUT
from ..derive.gated import run_forward as forward
from ..derive.gated import run_grad as grad
from ..model.numbers import fmt, fmt_with_decimal
from ..model.problem import build

CORRECT, CONSISTENT, WRONG, INVALID = "correct", "consistent", "wrong", "invalid"
MAX_DIAGNOSED_T = 200   # beyond, answers are judged but not diagnosed (each replay is long)


@dataclass(frozen=True)
class Result:
    file: str
    problem: str
    name: str
    answer: Answer
    expected: object          # the right value
    verdict: str
    rule: str
    diagnosis: tuple[str, ...] = ()
    follows_from: tuple[str, ...] = ()
    diagnosed: bool = True    # False: the diagnosis budget was spent before this answer


@dataclass(frozen=True)
class Report:
    results: tuple[Result, ...]
    errors: tuple[str, ...] = ()      # input errors, one line each

    @property
    def passed(self) -> bool:
        return not self.errors and all(r.verdict == CORRECT for r in self.results)

    def count(self, verdict: str) -> int:
        return sum(r.verdict == verdict for r in self.results)


# -- the derivation behind an answer ----------------------------------------------------------

@dataclass
class Graph:
    """The steps that compute one answer, in order; `target` is the answer's step name."""
    steps: list
    target: str
    given: dict = field(default_factory=dict)   # parameters and data: name -> value
    index: tuple = ()                           # an answer about one entry of the target
    memo: dict = field(default_factory=dict, repr=False, compare=False)  # mistakes' replays
    # what does not depend on the target (each formula's names, the replay plan, the values
    # as they stand): shared by every answer whose derivation is the same list of steps
    common: dict = field(default_factory=dict, repr=False, compare=False)
    budget: object = field(default=None, repr=False, compare=False)    # budget.Budget
    # the steps of every gradient of the key derived together (one backward recursion):
    # the answers' shared replay with the key's wrong answers in place runs on it, once
    family: object = field(default=None, repr=False, compare=False)
    # (n, common): the first n steps are the forward pass's, whose derivations share `common`
    prefix: tuple | None = field(default=None, repr=False, compare=False)

    def charge(self, n: int = 1) -> None:
        if self.budget is not None:
            self.budget.charge(n)

    def _reads(self, e) -> set:
        """names(e), kept for each formula (the memo holds e, so its id stays its own)."""
        got = self.common.get(("reads", id(e)))
        if got is None or got[0] is not e:
            got = self.common[("reads", id(e))] = (e, names(e))
        return got[1]

    def last_step(self):
        """The last step named as the target (None if there is none)."""
        if "last" not in self.memo:
            self.memo["last"] = next((s for s in reversed(self.steps) if s.name == self.target),
                                     None)
        return self.memo["last"]

    def end(self) -> int:
        """The number of steps up to the target's last one: the answer's own derivation (a
        forward answer's graph holds every forward step, the later ones too)."""
        if "end" not in self.memo:
            last = self.last_step()
            self.memo["end"] = next((i + 1 for i in range(len(self.steps) - 1, -1, -1)
                                     if self.steps[i] is last), len(self.steps))
        return self.memo["end"]

    def reads(self, names_) -> bool:
        """Whether the target's value depends on any of these names (a step or an input on
        the way to it)."""
        if "upstream" not in self.memo:
            # walk back from the target: the last step of each name is the one that counts
            last = {}
            for s in self.steps:
                for n in (s.name, *s.same):
                    last[n] = s
            seen, todo = set(), [self.target]
            while todo:
                n = todo.pop()
                if n in seen:
                    continue
                seen.add(n)
                if n in last:
                    todo += self._reads(formula_of(last[n]))
            self.memo["upstream"] = seen
        return not self.memo["upstream"].isdisjoint(names_)

    def evaluate(self, overrides: dict, swap: dict | None = None, before: dict | None = None,
                 stop: bool = False):
        """The target's value with some steps' values replaced (`overrides`: name -> value)
        and some steps' formulas replaced (`swap`: name -> Expr). Returns (value, env, deps),
        deps[name] being the overridden names that name's value depends on. `before`, where
        given, receives for each overridden step the value its own formula gives first.
        `stop`: no step after the target's is computed (they cannot change its value).

        Only the steps downstream of a replacement are computed again; every other step
        keeps its value from the derivation as it stands (computed once, kept in common)."""
        env = self.base_env()
        if overrides or swap:
            return self._replay(overrides, swap or {}, before, self.end() if stop else None)
        env = dict(env)                    # nothing replaced: nothing to compute
        value = env[self.target]
        return (entry(value, self.index) if self.index else value), env, {}

    def head(self):
        """The `common` of the forward quantities' derivations where this derivation begins
        with the same steps (`prefix`): their values and replays are this one's too."""
        if "head" not in self.memo:
            n, head = self.prefix or (0, {})
            steps = head.get("steps")
            same = steps is not None and len(steps) == n <= len(self.steps) and \
                all(a is b for a, b in zip(steps, self.steps))
            if not same:
                return None                # asked again later: the head may have its steps
            self.memo["head"] = head
        return self.memo["head"]

    def base_env(self) -> dict:
        """Every quantity's value as the derivation stands (each step's value is in the
        step), kept in common; begun from the head's where this derivation has one."""
        env = self.common.get("base_env")
        if env is None:
            head, start = self.head(), 0
            if head is not None and "base_env" in head:
                env, start = dict(head["base_env"]), len(head["steps"])
            else:
                env = dict(self.given)
            for step in self.steps[start:]:
                for n in (step.name, *step.same):
                    env[n] = step.value
            self.common["base_env"] = env
        return env

    def plan(self) -> list:
        """(name, its names, formula, the names it reads) of each step, kept in common."""
        if "plan" not in self.common:
            head = self.head()
            done = head["plan"] if head is not None and "plan" in head else []
            self.common["plan"] = done + [(s.name, (s.name, *s.same), formula_of(s),
                                           self._reads(formula_of(s)))
                                          for s in self.steps[len(done):]]
        return self.common["plan"]

    def _replay(self, overrides: dict, swap: dict, before: dict | None = None,
                end: int | None = None):
        """evaluate() with replacements: start from the derivation's own values and compute
        again only the steps that a replaced value or formula reaches (up to step `end`)."""
        plan = self.plan() if end is None else self.plan()[:end]
        env, deps = dict(self.common["base_env"]), {}
        changed: set[str] = set()
        for n in overrides.keys() & self.given.keys():   # a key may restate a parameter
            env[n], deps[n] = overrides[n], {n}
            changed.add(n)
        for name, names_, formula, reads in plan:
            if overrides:
                hit = stated_as(names_, overrides)
                if hit is not None:      # the key states this value: use the key's
                    if before is not None:      # after what its own formula gives
                        e = swap.get(name, formula)
                        if e is formula and changed.isdisjoint(reads):
                            before[hit] = env[name]
                        else:
                            self.charge()
                            before[hit] = value_in(e, env)
                    for n in names_:
                        env[n], deps[n] = overrides[hit], {hit}
                    changed.update(names_)
                    continue
            e = swap.get(name, formula)
            if e is formula and changed.isdisjoint(reads):
                continue                 # untouched: its own value is already in env
            if e is not formula:
                reads = self._reads(e)
            self.charge()
            env[name] = value = value_in(e, env)
            deps[name] = d = depends(reads, deps)
            for n in names_:
                env[n], deps[n] = value, d
            changed.update(names_)
        value = env[self.target]
        return (entry(value, self.index) if self.index else value), env, deps


def formula_of(step):
    """The formula a step is evaluated by: a chain-rule term by its chain of derivatives (so
    that a key's stated factors feed it), every other step by its own formula."""
    return step.chain if step.chain is not None else step.expr


def graphs(fwd: Forward, name, common: dict | None = None,
           derived: dict | None = None) -> list[Graph]:
    """The derivations of one answer (both BPTT styles for a derivative, where T allows).
    `common`: shared by the derivations of every forward quantity (the same steps);
    `derived`: (of, style) -> the gradients of every answer of the key, derived together
    (one backward recursion for them all)."""
    base = list(fwd.steps)
    common = {} if common is None else common
    if name.of is None:
        base = common.setdefault("steps", base)
    target = str(name)
    first, given = _inputs(fwd, common)
    if name.of is None:
        q = name.wrt
        plain = str(type(q)(q.base, q.t))          # h_2 of h_2[1]
        if q.is_param:
            return [Graph(base, plain, given, q.index, common=common)]
        step = first.get(plain) or next(s for s in fwd.steps if plain in (s.name, *s.same))
        return [Graph(base, step.name, given, q.index, common=common)]
    styles = ("paths", "delta") if fwd.problem.T <= 2 * PATHS_MAX_T and \
        not fwd.problem.is_vector and fwd.problem.cell == "rnn" else ("delta",)
    out = []
    for style in styles:
        d = grad(fwd, name.of, [name.wrt], style) if derived is None or \
            (name.of, style) not in derived else derived[(name.of, style)]
        g = next((g for g in d.gradients if g.wrt == str(name.wrt)), None) \
            if len(d.gradients) > 1 else d.gradients[0]
        if g is None:
            d = grad(fwd, name.of, [name.wrt], style)
            g = d.gradients[0]
        steps = base + list(d.shared) + list(g.steps)
        if g.steps and g.steps[-1].name.endswith(ROW_LAYOUT):   # the notebook's matrix
            target = g.steps[-1].name
        if not any(s.name == target for s in reversed(steps)):   # the target is near the end
            from ..derive.expr import const
            from ..derive.forward import Step
            steps.append(Step(target, const(g.value), None, "total"))
        out.append(Graph(steps, target, given, prefix=(len(base), common),
                         family=(derived or {}).get(("family", name.of, style))))
    return out


def _inputs(fwd: Forward, common: dict) -> tuple[dict, dict]:
    """(the first step of each name the forward pass computes, the values it is given:
    parameters and data), kept in `common` (the same for every answer to this problem)."""
    if "inputs" not in common:
        first: dict = {}
        for s in fwd.steps:
            for n in (s.name, *s.same):
                first.setdefault(n, s)
        common["inputs"] = (first, {n: s.value for n, s in fwd.syms.items() if n not in first})
    return common["inputs"]


# -- checking one problem ---------------------------------------------------------------------

def fingerprint(p) -> tuple:
    """What the derivations of a problem depend on: equal for the same exercise in two keys."""
    key = lambda v: v.rows if hasattr(v, "rows") else v
    return (p.activation, p.output, p.loss, p.reduction, p.T, p.given,
            tuple((k, key(v)) for k, v in sorted(p.params.items())), tuple(map(key, p.x)),
            tuple((t, key(v)) for t, v in sorted(p.y.items())))


def check_problem(problem, answers: dict, file: str, memo: dict | None = None,
                  known: dict | None = None) -> tuple[list[Result], list[str]]:
    """Every answer of one problem's key, judged. Bad answers become error lines.

    `memo` keeps the derivations of each exercise across calls: a class's keys to one problem
    derive it once, and replay each mistake once (mistakes.py keeps those in the Graph).
    `known`: right values the caller already has (a class's keys), by quantity name; an answer
    that matches its known value is correct without deriving it."""
    from .budget import MAX_ANSWERS, Budget, BudgetSpent, derivations, not_diagnosed
    memo = memo if memo is not None else {}
    budget = memo.setdefault("budget", Budget())
    if len(answers) > MAX_ANSWERS:
        from ..model.errors import TooLarge
        raise TooLarge(f"{len(answers):,} answers: at most {MAX_ANSWERS:,} are checked in one "
                       "problem (docs/limits.md)", where=f"{problem.source}: answers")
    shared = derivations(memo, fingerprint(problem), problem.T)
    if "fwd" not in shared:
        shared["fwd"] = forward(problem)
    fwd = shared["fwd"]
    if getattr(problem, "symbols", ()):     # a symbolic problem: formulas compared as formulas
        from .symbolic_answers import check_symbolic
        return check_symbolic(problem, answers, file, fwd)
    where = problem.source
    parsed, errors, unread = [], [], []
    tolerance = problem.tolerance

    def value_of(text: str):           # a quantity named in a formula answer: its value
        if text[:1] in "xy" and not text.startswith("y_hat"):
            return data_value(fwd, text)
        name = problem.resolve(text, f"{where}: answers")
        if str(name) not in shared:
            g = graphs(fwd, name)
            shared[str(name)] = (g, g[0].evaluate({})[0])
        return shared[str(name)][1]

    for key, raw in answers.items():
        name = None
        try:
            name = problem.resolve(key, f"{where}: answers")
            parsed.append((name, read_answer(key, raw, tolerance, where, value_of, str(name))))
        except InputError as e:        # any answer that cannot be read is scored invalid
            right = _right_value(fwd, shared, name) if name is not None else None
            unread.append((key, _invalid(file, problem.name, key, raw, e, right)))
    # first pass: right or not, against the right value; the gradients asked for are
    # derived together, one backward recursion for each quantity differentiated
    expected, ok, gs = {}, {}, {}
    derived = _derive_together(fwd, [n for n, _ in parsed if str(n) not in shared], shared)
    for name, ans in list(parsed):
        if known and str(name) in known and ans.matches(known[str(name)]):
            expected[str(name)], ok[str(name)] = known[str(name)], True
            continue
        if str(name) not in shared:
            g = graphs(fwd, name, shared.setdefault("forward_common", {}), derived)
            shared[str(name)] = (g, g[0].evaluate({})[0])
        for g in shared[str(name)][0]:
            g.budget = budget
            if g.family is not None:
                g.family.budget = budget
        gs[str(name)], expected[str(name)] = shared[str(name)]
        if (fit := as_number(as_row(ans, expected[str(name)]), expected[str(name)])) \
                is not ans:
            parsed[parsed.index((name, ans))] = (name, fit)
            ans = fit
        mismatch = _shape_mismatch(ans, expected[str(name)])
        if mismatch:
            unread.append((ans.name, _invalid(file, problem.name, ans.name, ans.text,
                                              InputError(mismatch), expected[str(name)])))
            parsed.remove((name, ans))
            continue
        if _printed_by_code(ans):      # a float32/float64 key: its bound grows with the depth
            from .precision import depth_and_scale
            if ("depth", str(name)) not in shared:
                shared[("depth", str(name))] = depth_and_scale(gs[str(name)][0])
            new = at_depth(ans, *shared[("depth", str(name))])
            parsed[parsed.index((name, ans))] = (name, new)
            ans = new
        ok[str(name)] = ans.matches(expected[str(name)])
    # the key's wrong answers, by the name of the step they stand for
    stated = {str(n): a.given for n, a in parsed if not ok[str(n)]}
    # each wrong answer's one-place mistakes get an even share of half the budget left; the
    # rest is for the mistakes made everywhere, whose replays are longer and shared
    results, share = [], (budget.limit - budget.used) // max(2 * len(stated), 1)
    for name, ans in parsed:
        n = str(name)
        if ok[n]:
            results.append(Result(file, problem.name, ans.name, ans, expected[n], CORRECT,
                                  ans.rule))
            continue
        others = {k: v for k, v in stated.items() if k != n}
        if budget.spent:
            results.append(Result(file, problem.name, ans.name, ans, expected[n], WRONG,
                                  ans.rule, (not_diagnosed(budget.limit),), diagnosed=False))
            continue
        try:
            carried = _carried(gs[n], ans, stated, n)
        except BudgetSpent:
            results.append(Result(file, problem.name, ans.name, ans, expected[n], WRONG,
                                  ans.rule, (not_diagnosed(budget.limit),), diagnosed=False))
            continue
        if carried:
            froms, sentence = carried
            results.append(Result(file, problem.name, ans.name, ans, expected[n], CONSISTENT,
                                  ans.rule, (sentence,), froms))
            continue
        right = {k for k, v in ok.items() if v}
        key = {str(k): a for k, a in parsed if ok[str(k)]}    # diagnoses must agree with it
        try:
            found = []
            if problem.T <= MAX_DIAGNOSED_T:    # (the mistakes engine is imported only here)
                from .mistakes import diagnose
                found = list(diagnose(gs[n], ans, expected[n], problem, others, right, key,
                                      wrong=stated, share=share))
            diagnosed = True
        except BudgetSpent:
            found, diagnosed = [not_diagnosed(budget.limit)], False
        off = wrong_entries(ans, expected[n])
        if off and len(off) < len(ans.parts):
            found.append(("the entry that differs: " if len(off) == 1 else
                          "the entries that differ: ") + ", ".join(off))
        results.append(Result(file, problem.name, ans.name, ans, expected[n], WRONG, ans.rule,
                              tuple(found), diagnosed=diagnosed))
    order = {k: i for i, k in enumerate(answers)}     # the key's own order
    placed = [(order.get(r.name, len(order)), r) for r in results] + \
        [(order.get(k, len(order)), r) for k, r in unread]
    return [r for _, r in sorted(placed, key=lambda ir: ir[0])], errors


def _right_value(fwd, shared: dict, name):
    """The right value of a quantity, for an answer that could not be read (or None)."""
    if str(name) not in shared:
        try:
            g = graphs(fwd, name)
            shared[str(name)] = (g, g[0].evaluate({})[0])
        except (InputError, ArithmeticError, TypeError, KeyError, ValueError):
            return None
    return shared[str(name)][1]


def _printed_by_code(ans: Answer) -> bool:
    return ans.produced is not None or any(p.produced is not None for p in ans.parts)


def _invalid(file: str, problem: str, key: str, raw, error: InputError,
             expected=None) -> Result:
    """An answer that cannot be read: verdict invalid, the reason as its diagnosis."""
    from ..model.errors import one_line, quoted
    text = raw if isinstance(raw, str) else as_written(raw)
    reason = error.args[0] if error.args and error.args[0] else str(error)
    shown = one_line(quoted(text)[1:-1] if len(text) > 60 else text)
    key = one_line(quoted(key)[1:-1] if len(key) > 60 else key)  # from outside: no control
    return Result(file, problem, key, Answer(key, None, shown, None), expected, INVALID,
                  "unreadable", (one_line(f"could not be read: {reason}"),))


def _derive_together(fwd, names_, shared: dict) -> dict:
    """(of, style) -> one derivation of the gradients of every answer in `names_` with
    respect to anything, for the styles graphs() uses (the delta recursion once, not once
    per answer). An answer the joint derivation cannot give is derived alone later."""
    wanted: dict = {}
    for n in names_:
        if n.of is not None:
            wanted.setdefault(n.of, [])
            if str(n.wrt) not in map(str, wanted[n.of]):
                wanted[n.of].append(n.wrt)
    styles = ("paths", "delta") if fwd.problem.T <= 2 * PATHS_MAX_T and \
        not fwd.problem.is_vector and fwd.problem.cell == "rnn" else ("delta",)
    out = {}
    for of, wrts in wanted.items():
        if len(wrts) < 2:
            continue
        for style in styles:
            try:
                d = out[(of, style)] = grad(fwd, of, wrts, style)
            except (InputError, ArithmeticError, TypeError, ValueError):
                continue
            steps = list(fwd.steps) + list(d.shared) + [s for g in d.gradients
                                                        for s in g.steps]
            head = shared.setdefault("forward_common", {})
            out[("family", of, style)] = Graph(steps, steps[-1].name, _inputs(fwd, head)[1],
                                               prefix=(len(fwd.steps), head))
    return out


def _shape_mismatch(ans: Answer, value) -> str:
    """Why a vector or matrix answer cannot be compared with the value, or ''."""
    from ..model.matrix import Mat
    shape = lambda v: v.shape if isinstance(v, Mat) else (1, 1)
    want, got = shape(value), shape(ans.given)
    if want == got:
        return ""
    words = lambda s: "one number" if s == (1, 1) else (f"{s[0]} numbers" if s[1] == 1
                                                       else f"a {s[0]} x {s[1]} matrix")
    return f"expected {words(want)}, found {words(got)}"


def _carried(gs: list[Graph], ans: Answer, stated: dict, own: str):
    """(the wrong answers it follows from, a sentence) if the key's own wrong answers give it.
    `stated`: every wrong answer of the key, this one included; one replay with all of them
    in place is shared by every answer on the same steps (budget.carried_values). An answer
    that is no step of its own (a parameter, an entry) is replayed alone, without its own
    key (`own`)."""
    from .budget import carried_values
    for g in gs:
        try:
            env, before = carried_values(g.family or g, stated)
        except (ArithmeticError, TypeError):
            continue
        if g.family is not None and g.target not in env:
            try:
                env, before = carried_values(g, stated)
            except (ArithmeticError, TypeError):
                continue
        if g.target in before:
            value, d = before[g.target]
            value = entry(value, g.index) if g.index else value
        else:
            try:
                value, env, deps = g.evaluate({k: v for k, v in stated.items() if k != own})
            except (ArithmeticError, TypeError):
                continue
            d = deps.get(g.target, set())
        froms = tuple(sorted(d))
        step = g.last_step()
        if froms and step is not None and ans.matches(value):
            e = revalue(formula_of(step), env)
            plain = revalue(step.expr, env)     # the same in quantities, where it agrees
            if step.chain is not None and ans.matches(plain.value):
                e = plain
            given = ", ".join(f"{k} = {fmt(stated[k])}" for k in froms)
            return froms, (f"follows from the key's {given}: {text(e, star=True)} = "
                           f"{text(e, numeric=True)} = {fmt(value)}")
    return None


def _work(tables) -> tuple[int, int]:
    """(answers, answers x steps) of a file's keys, counted on the raw tables, before any of
    them is built or derived."""
    count = work = 0
    for table in tables:
        answers, data = table.get("answers"), table.get("data")
        n = len(answers) if isinstance(answers, dict) else 0
        xs = data.get("x") if isinstance(data, dict) else None
        count += n
        work += n * (len(xs) if isinstance(xs, list) else 1)
    return count, work


def check_files(paths) -> Report:
    """Check the answer keys in the files; bad input is reported per file, never fatal."""
    from .budget import too_much
    results, errors, memo, done = [], [], {}, 0
    for path in paths:
        source = str(path)
        try:
            found = tables(read_toml(path), source)
        except InputError as e:
            errors.append(str(e))
            continue
        keyed = {k: v for k, v in found.items() if isinstance(v, dict) and "answers" in v}
        if not keyed:
            # no key at all: say why, naming a misspelt table where there is one
            try:
                for name, table in found.items():
                    build(table, name, f"{source}: [{name}]" if len(found) > 1 else source)
                errors.append(f"{source}: no [answers] table: nothing to check")
            except InputError as e:
                errors.append(str(e))
            continue
        count, work = _work(keyed.values())
        if (too_many := too_much(count, work, done)):
            errors.append(f"{source}: answers: {too_many} (docs/limits.md)")
            continue
        done += work
        for name, table in keyed.items():
            where = f"{source}: [{name}]" if len(found) > 1 else source
            try:
                problem = build(table, name, where)
                if not isinstance(problem.answers, dict) or not problem.answers:
                    raise InputError("expected a table of answers such as h_1 = 2",
                                     where=f"{where}: answers")
                rs, es = check_problem(problem, problem.answers, source, memo)
            except InputError as e:
                e.where = e.where or where      # an overflow found while checking
                errors.append(str(e))
                continue
            except (ZeroDivisionError, OverflowError) as e:
                errors.append(f"{where}: overflow: {str(e) or 'a division by zero'} (an output "
                              "saturated at 0 or 1?)")
                continue
            results += rs
            errors += es
    return Report(tuple(results), tuple(errors))


def expected_text(r: Result, digits: int = 6) -> str:
    """The right value exactly, and rounded as the answer is written where that differs."""
    if r.expected is None:
        return ""
    if hasattr(r.expected, "free_symbols"):     # a symbolic problem's: SymPy's one-line form
        return str(r.expected)
    exact = fmt_with_decimal(r.expected, digits)
    rounded = r.answer.rounded(r.expected)
    return f"{exact} → {rounded}" if rounded and rounded != exact else exact

