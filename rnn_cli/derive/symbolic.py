"""Symbolic mode: the numeric derivation's formulas read again over SymPy symbols.

The forward pass and BPTT (forward.py, bptt.py, gated.py) write every step as a formula over
named quantities (h_1, dL/dh_2, dh_2/dh_1, ...). Here each of those formulas is evaluated a
second time, with the problem's symbols as the base quantities and every named quantity
replaced by the SymPy expression already found for it: the h_t as they come, then the chain
rule's factors and adjoints. A closed form is so built through the chain rule with every
common subexpression shared, never by differentiating an unrolled L. Only what is printed
is simplified (`closed_form`), and only the answers are.

SymPy is imported inside the functions: the numeric paths never load it.
"""

from dataclasses import dataclass
from fractions import Fraction

from ..model.matrix import Mat
from .expr import Call, Const, Diag, Diff, Expr, Had, Index, More, Neg, Power, Prod, Quot, Sum, \
    Sym, Trans

CLOSED_OPS = 600    # a larger answer is printed as built: factor and expand cost too much
ANSWERS = ("hidden", "output", "loss", "total")   # stages whose rows get a closed form


@dataclass(frozen=True)
class SymStep:
    """One step of a derivation in symbols: the numeric step (its name and its formula over
    named quantities), the same formula expanded into the base symbols, and for an answer
    its simplified closed form (None for a chain-rule factor)."""
    step: object
    expanded: object
    closed: object = None

    @property
    def name(self) -> str:
        return self.step.name

    @property
    def expr(self):
        """The formula over named quantities, as the numeric step has it."""
        return self.step.expr

    @property
    def value(self):
        """The step's value in the symbols: an answer's closed form, else as expanded."""
        return self.closed if self.closed is not None else self.expanded


@dataclass(frozen=True)
class SymbolicForward:
    forward: object                 # the numeric Forward, whose formulas these are
    steps: tuple[SymStep, ...]
    symbols: tuple[str, ...]        # the names that are symbols
    env: dict                       # every quantity's name -> its SymPy value

    @property
    def problem(self):
        return self.forward.problem


@dataclass(frozen=True)
class SymbolicGradient:
    of: str
    wrt: str
    closed: object                  # the simplified closed form of d(of)/d(wrt)
    steps: tuple[SymStep, ...]


@dataclass(frozen=True)
class SymbolicDerivation:
    forward: SymbolicForward
    of: str
    style: str
    shared: tuple[SymStep, ...]
    gradients: tuple[SymbolicGradient, ...]


# -- the base symbols -------------------------------------------------------------------------

def entry_names(name: str, value) -> list[list[str]]:
    """The names of a matrix's entries (w_h[1,2]) or a vector's (b_h[1], x_1[2])."""
    rows, cols = value.shape
    matrix = name.startswith("w_")
    return [[f"{name}[{i + 1},{j + 1}]" if matrix else f"{name}[{i + 1}]"
             for j in range(cols)] for i in range(rows)]


def _value(name: str, v, symbols: set):
    """The SymPy value of a base quantity: a symbol where it is one, else its exact number;
    a matrix entry by entry."""
    import sympy as sp
    if isinstance(v, Mat):
        names = entry_names(name, v)
        whole = name in symbols
        return sp.Matrix([[sp.Symbol(n) if whole or n in symbols else _number(x)
                           for n, x in zip(nr, r)] for nr, r in zip(names, v.rows)])
    return sp.Symbol(name) if name in symbols else _number(v)


def as_sympy(v):
    """A value of a derivation as a SymPy object: SymPy's own as it is, a number through
    _number (never sympify, which would read a string as code)."""
    import sympy as sp
    return v if isinstance(v, sp.Basic) else _number(v)


def _number(v):
    import sympy as sp
    if isinstance(v, Fraction):
        return sp.Rational(v.numerator, v.denominator)
    if isinstance(v, int):
        return sp.Integer(v)
    return sp.Float(str(v), 30)   # not reached by a problem's own numbers, which are exact


def base_env(problem) -> dict:
    """Every parameter, x_t and y_t of the problem: symbols where named, numbers elsewhere."""
    names = set(problem.symbols)
    env = {n: _value(n, v, names) for n, v in problem.params.items()}
    for t, x in enumerate(problem.x, 1):
        env[f"x_{t}"] = _value(f"x_{t}", x, names)
    for t, y in problem.y.items():
        env[f"y_{t}"] = _value(f"y_{t}", y, names)
    return env


# -- a formula tree read over SymPy -----------------------------------------------------------

def _mat(v) -> bool:
    import sympy as sp
    return isinstance(v, sp.MatrixBase)


def _each(a, b, fn):
    """fn entry by entry; a number on either side stands for every entry (as Mat.zip)."""
    if _mat(a) and _mat(b):
        return a.copy().__class__(a.rows, a.cols, [fn(x, y) for x, y in zip(a, b)])
    if _mat(a):
        return a.applyfunc(lambda x: fn(x, b))
    if _mat(b):
        return b.applyfunc(lambda y: fn(a, y))
    return fn(a, b)


def _times(a, b):
    """a b: a matrix product (a 1 x 1 result is a number, as in matrix.py), else scaling."""
    if _mat(a) and _mat(b):
        out = a * b
        return out[0, 0] if out.shape == (1, 1) else out
    return a * b


def _call(fn: str, v):
    import sympy as sp
    if fn == "softmax":
        es = v.applyfunc(sp.exp)
        return es / sum(es)
    if fn == "sum":
        return sum(v) if _mat(v) else v
    one = {"tanh": sp.tanh, "exp": sp.exp, "log": sp.log,
           "sigmoid": lambda x: 1 / (1 + sp.exp(-x)),
           "relu": lambda x: sp.Max(0, x),
           "relu'": lambda x: sp.Heaviside(x, 0)}[fn]   # relu' as Heaviside, 0 at 0
    return v.applyfunc(one) if _mat(v) else one(v)


def evaluate(e: Expr, env: dict):
    """The formula's value over SymPy, every named quantity read from `env`."""
    import sympy as sp

    def ev(e):
        if isinstance(e, Sym):
            return env[e.name]
        if isinstance(e, Const):
            v = e.value
            return sp.Matrix([[_number(x) for x in r] for r in v.rows]) if isinstance(v, Mat) \
                else _number(v)
        if isinstance(e, Sum):
            out = ev(e.terms[0])
            for t in e.terms[1:]:
                out = _each(out, ev(t), lambda a, b: a + b)
            return out
        if isinstance(e, Diff):
            return _each(ev(e.left), ev(e.right), lambda a, b: a - b)
        if isinstance(e, Prod):
            out = ev(e.factors[0])
            for f in e.factors[1:]:
                out = _times(out, ev(f))
            return out
        if isinstance(e, Had):
            out = ev(e.factors[0])
            for f in e.factors[1:]:
                out = _each(out, ev(f), lambda a, b: a * b)
            return out
        if isinstance(e, Quot):
            return _each(ev(e.top), ev(e.bottom), lambda a, b: a / b)
        if isinstance(e, Power):
            b = ev(e.base)
            return b.applyfunc(lambda x: x ** e.exp) if _mat(b) else b ** e.exp
        if isinstance(e, Neg):
            return -ev(e.arg)
        if isinstance(e, Call):
            return _call(e.fn, ev(e.arg))
        if isinstance(e, Trans):
            a = ev(e.arg)
            return a.T if _mat(a) else a
        if isinstance(e, Diag):
            a = ev(e.arg)
            return sp.diag(*a) if _mat(a) else a
        if isinstance(e, Index):
            a = ev(e.arg)
            if not _mat(a):
                return a
            i = e.index
            return a[i[0] - 1, i[1] - 1] if len(i) == 2 else a[i[0] - 1, 0] \
                if a.cols == 1 else a[0, i[0] - 1]
        if isinstance(e, More):  # pragma: no cover - symbolic problems write every step
            raise ValueError("a step left out of a long sequence has no formula")
        raise TypeError(e)  # pragma: no cover

    return ev(e)


# -- closed forms -----------------------------------------------------------------------------

def _size(e) -> int:
    import sympy as sp
    return sp.count_ops(e, visual=False)


def closed_form(e):
    """An answer as a textbook writes it: a polynomial or rational function expanded, or
    factored where that is shorter (fewer operations). With functions in it (tanh, exp,
    Heaviside) the form is the one the chain rule built: SymPy's simplify would cost far
    more than the derivation and seldom shortens a nest of tanh. An answer of more than
    CLOSED_OPS operations is also returned as built."""
    import sympy as sp
    if _mat(e):
        return e.applyfunc(closed_form)
    e = as_sympy(e)
    if e.is_number or e.has(sp.Function) or _size(e) > CLOSED_OPS:
        return e
    if not e.is_rational_function():
        return e
    expanded = sp.expand(e) if e.is_polynomial() else sp.cancel(e)
    factored = sp.factor(e)
    return factored if _size(factored) < _size(expanded) else expanded


# -- the derivations --------------------------------------------------------------------------

def _read(steps, env: dict, answers: bool) -> tuple[SymStep, ...]:
    """Each step over SymPy, in order, each value stored under the step's names."""
    out = []
    for st in steps:
        v = evaluate(st.expr, env)
        for n in (st.name, *st.same):
            env[n] = v
        closed = closed_form(v) if answers and st.stage in ANSWERS else None
        out.append(SymStep(st, v, closed))
    return tuple(out)


def symbolic_forward(fwd) -> SymbolicForward:
    """The forward pass of a symbolic problem (fwd from forward.forward or the gated cells):
    every h_t, y_hat_t and L_t in the base symbols, and its closed form."""
    env = base_env(fwd.problem)
    steps = _read(fwd.steps, env, True)
    return SymbolicForward(fwd, steps, fwd.problem.symbols, env)


def symbolic_grad(d, sf: SymbolicForward | None = None) -> SymbolicDerivation:
    """The derivation `d` (bptt.grad or the gated cells') over SymPy: each chain-rule factor
    expanded into the base symbols, each gradient's closed form."""
    sf = sf or symbolic_forward(d.forward)
    env = dict(sf.env)
    shared = _read(d.shared, env, False)
    grads = []
    for g in d.gradients:
        steps = _read(g.steps, env, False)
        total = steps[-1] if steps and steps[-1].step.stage == "total" else None
        value = total.expanded if total is not None else env[f"d{g.of}/d{g.wrt}"]
        closed = closed_form(value)
        if total is not None:
            steps = steps[:-1] + (SymStep(total.step, total.expanded, closed),)
        grads.append(SymbolicGradient(g.of, g.wrt, closed, steps))
    return SymbolicDerivation(sf, d.of, d.style, shared, tuple(grads))
