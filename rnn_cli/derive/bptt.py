"""Backpropagation through time, written out in two styles that must agree exactly.

paths: the handwritten way. d(of)/dθ = Σ over heads (L_t for of = L) of the chain down to h_s
       times [Σ_k dh_s/dh_k · direct dh_k/dθ]; every factor is a step. Quadratic in T.
delta: the textbook recursion. dL/dh_t = dL/do_t w_y + dL/da_{t+1} w_h from t = T down to 1,
       then dL/dθ = Σ_t dL/da_t · direct da_t/dθ. Linear in T.
"""

from dataclasses import dataclass
from fractions import Fraction

from ..model.errors import InputError
from .expr import ONE, Const, Expr, More, add, call, const, diag, div, had, index, mul, neg, power, \
    sub, sym, trans
from ..model.matrix import unit
from .fast import value
from .forward import EDGE, Forward, Step, shown
from ..model.names import Quantity

PATHS_MAX_T = 4     # the default style is paths up to this many steps, delta beyond
PATHS_LIMIT = 40    # paths at T = 40 takes about 3.5 s; at T = 100, 30 s
ZERO = const(Fraction(0))
RECURRENT = ("w_h", "w_x", "b_h", "h_0")


@dataclass(frozen=True)
class Gradient:
    """d(of)/d(wrt) with the steps that are its own (the shared ones are the Derivation's)."""
    of: str
    wrt: str
    value: object
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class Derivation:
    forward: Forward
    of: str
    style: str
    shared: tuple[Step, ...]        # steps every gradient uses (delta: the recursion)
    gradients: tuple[Gradient, ...]


# -- local derivatives: one formula per function, reused at every step ------------------------

class _Local:
    """The local derivatives of one problem, as formulas over the forward pass's quantities."""

    def __init__(self, fwd: Forward):
        self.p, self.s = fwd.problem, fwd.syms
        self.numeric, self.all_steps = fwd.numeric, fwd.all_steps
        self.vector = self.p.is_vector
        n = len(self.p.targets)
        self.weight = const(Fraction(1, n)) if self.p.reduction == "mean" and n > 1 else None

    def dloss(self, t: int) -> Expr:
        """dL_t/dy_hat_t (a column vector in a vector problem)."""
        yh, y = self.s[f"y_hat_{t}"], self.s[f"y_{t}"]
        if self.p.loss == "squared":
            return mul(const(2), sub(yh, y))
        if self.p.loss == "half_squared":
            return sub(yh, y)
        if self.p.output == "softmax":    # -y^T log(y_hat): -y / y_hat, entry by entry
            return neg(div(y, yh))
        one = const(1)  # binary cross-entropy: (1 - y)/(1 - y_hat) - y/y_hat
        return sub(div(sub(one, y), sub(one, yh)), div(y, yh))

    @property
    def shortcut(self) -> bool:
        """Cross-entropy after its own output function (sigmoid + binary, softmax +
        categorical): dL_t/do_t = y_hat_t - y_t, the step every course writes."""
        return self.p.loss == "cross_entropy" and self.p.output in ("sigmoid", "softmax")

    def residual(self, t: int) -> Expr:
        """y_hat_t - y_t, the cross-entropy shortcut for dL_t/do_t."""
        return sub(self.s[f"y_hat_{t}"], self.s[f"y_{t}"])

    def dout(self, t: int) -> Expr | None:
        """dy_hat_t/do_t: sigmoid' entry by entry, softmax's Jacobian; None where it is 1."""
        if self.p.output == "identity":
            return None
        yh = self.s[f"y_hat_{t}"]
        if self.p.output == "softmax":    # diag(y_hat) - y_hat y_hat^T, K x K and symmetric
            return sub(diag(yh), mul(yh, trans(yh)))
        return self.had(yh, sub(const(1), yh))   # sigmoid' = y_hat (1 - y_hat)

    def dact(self, t: int) -> Expr | None:
        """dh_t/da_t entry by entry, or None where it is 1."""
        f, h = self.p.activation, self.s[f"h_{t}"]
        if f == "identity":
            return None
        if f == "tanh":
            return sub(const(1), power(h, 2))
        if f == "sigmoid":
            return self.had(h, sub(const(1), h))
        return call("relu'", self.s[f"a_{t}"])

    def had(self, a: Expr, b: Expr | None) -> Expr:
        """a b for numbers, a ⊙ b for vectors."""
        return had(a, b) if self.vector else mul(a, b)

    def back(self, w: Expr, g: Expr) -> Expr:
        """The gradient g carried back through a weight: g w for numbers, w^T g for vectors."""
        return mul(trans(w), g, chain=True) if self.vector else mul(g, w, chain=True)

    def into_o(self, g: Expr, t: int) -> Expr:
        """dL/do_t from dL/dy_hat_t = g: through sigmoid' entry by entry, or softmax's
        Jacobian."""
        d = self.dout(t)
        if self.p.output == "softmax":
            return mul(d, g, chain=True)
        return had(g, d) if self.vector else mul(g, d, chain=True)

    def direct(self, wrt: str, t: int) -> Expr | None:
        """The direct da_t/dθ for a parameter θ of the recurrence (None where it is 1)."""
        return {"w_h": self.s[f"h_{t - 1}"], "w_x": self.s[f"x_{t}"], "b_h": None}[wrt]

    def o_name(self, t: int) -> str:
        return f"o_{t}" if self.p.output != "identity" else f"y_hat_{t}"

    def a_name(self, t: int) -> str:
        return f"a_{t}" if self.p.activation != "identity" else f"h_{t}"


def _factor(name: str, e: Expr | None, t, steps: list, seen: set) -> Expr | None:
    """Record `name = e` once as a factor step; return e."""
    if e is not None and name not in seen:
        seen.add(name)
        steps.append(Step(name, e, t, "factor"))
    return e


def _chain_sym(name: str, e: Expr | None) -> Expr | None:
    return None if e is None else sym(name, e.value)


def recurrence_factors(fwd: Forward) -> dict[int, object]:
    """dh_t/dh_{t-1} = w_h f'(a_t) at each step t of a scalar problem."""
    loc = _Local(fwd)
    w_h = fwd.problem.params["w_h"]
    out = {}
    for t in range(1, fwd.problem.T + 1):
        slope = loc.dact(t)
        out[t] = w_h * slope.value if slope is not None else w_h
    return out


# -- the paths style --------------------------------------------------------------------------

_LEVELS = ("L", "y_hat", "o", "h")


def _paths_one(loc: _Local, of: Quantity, wrt: Quantity) -> Gradient:
    """d(of)/d(wrt) as a sum over heads of chain-rule products, every factor a step."""
    p = loc.p
    if of.base == "L" and of.t is None:
        heads = [(t, f"L_{t}") for t in p.targets]
    else:
        heads = [(of.t, str(of))]
    steps: list[Step] = []
    seen: set[str] = set()
    terms, term_syms = [], []
    for t, top in heads:
        chain, chain_names = _head(loc, of.base if len(heads) == 1 else "L", t, wrt,
                                   steps, seen, top)
        if chain is None:
            continue
        name = f"d{top}/d{wrt}"
        if len(heads) > 1 or name != f"d{of}/d{wrt}":
            steps.append(Step(name, chain, t, "term", chain=chain_names))
            terms.append(sym(name, chain.value))
        else:
            steps.append(Step(name, chain, t, "total", chain=chain_names))
            return Gradient(str(of), str(wrt), chain.value, tuple(steps))
    total_name = f"d{of}/d{wrt}"
    if not terms:
        steps.append(Step(total_name, ZERO, None, "total"))
        return Gradient(str(of), str(wrt), ZERO.value, tuple(steps))
    total = add(*terms)
    if loc.weight is not None:
        total = div(total, const(loc.weight.value.denominator))
    steps.append(Step(total_name, total, None, "total"))
    return Gradient(str(of), str(wrt), total.value, tuple(steps))


def _head(loc: _Local, base: str, t: int, wrt: Quantity, steps, seen, top: str):
    """The chain from quantity `base`_t down to wrt: (formula, same in derivative names)."""
    s = loc.s
    down = {"L": (f"d{top}/dy_hat_{t}", lambda: loc.dloss(t)),
            "y_hat": (f"dy_hat_{t}/do_{t}", lambda: loc.dout(t)),
            "o": (f"d{loc.o_name(t)}/dh_{t}", lambda: s["w_y"])}
    factors, names = [], []
    if base == "a":
        # a_t = w_h h_{t-1} + w_x x_t + b_h: a direct term, and the path into h_{t-1}
        direct = ONE if wrt == Quantity("a", t) else (
            loc.direct(wrt.base, t) or ONE) if wrt.base in ("w_h", "w_x", "b_h") else None
        rec = _recurrence(loc, t - 1, wrt, steps, seen) if t > 1 or wrt.base == "h_0" else None
        parts, part_names = [], []
        if direct is not None:
            parts.append(direct)
            part_names.append(sym(f"da_{t}/d{wrt} (direct)", direct.value))
        if rec is not None:
            wh = _factor(f"da_{t}/dh_{t - 1}", s["w_h"], t, steps, seen)
            parts.append(mul(wh, rec[0], chain=True))
            part_names.append(mul(_chain_sym(f"da_{t}/dh_{t - 1}", wh), rec[1], chain=True))
        if not parts:
            return None, None
        return add(*parts, bracket=True), add(*part_names, bracket=True)
    for level in _LEVELS[_LEVELS.index(base):]:
        if level == "h":
            rec = _recurrence(loc, t, wrt, steps, seen)
            if rec is None:
                return None, None
            factors.append(rec[0])
            names.append(rec[1])
            break
        # does wrt attach at this level of the head?
        if wrt.base == level and wrt.t == t:
            break
        if level == "o" and wrt.base in ("w_y", "b_y"):
            if wrt.base == "w_y":
                factors.append(_factor(f"d{loc.o_name(t)}/dw_y", s[f"h_{t}"], t, steps, seen))
                names.append(sym(f"d{loc.o_name(t)}/dw_y", s[f"h_{t}"].value))
            break
        if wrt.base in ("L", "y_hat", "o", "w_y", "b_y") and not _below(level, wrt, t):
            return None, None
        name, make = down[level]
        e = _factor(name, make(), t, steps, seen)
        if level == "y_hat" and loc.shortcut and base == "L":
            # dL_t/do_t: the product of the two factors above, then y_hat_t - y_t
            factors.pop(), names.pop()
            o_name = f"d{top}/do_{t}"
            product = mul(steps_named(steps, f"d{top}/dy_hat_{t}"), e, chain=True)
            if o_name not in seen:
                seen.add(o_name)
                steps.append(Step(o_name, loc.residual(t), t, "factor", chain=product))
            e, name = loc.residual(t), o_name
        factors.append(e)
        names.append(_chain_sym(name, e))
    chain = mul(*factors, chain=True)
    return chain, mul(*names, chain=True)


def steps_named(steps: list, name: str) -> Expr:
    """The formula of the step of that name (a factor recorded above)."""
    return next(st.expr for st in reversed(steps) if st.name == name)


def _below(level: str, wrt: Quantity, t: int) -> bool:
    """Whether wrt can still be reached going down from `level` at step t."""
    if wrt.base in ("w_y", "b_y"):
        return True
    return wrt.t == t and _LEVELS.index(wrt.base) > _LEVELS.index(level)


def _recurrence(loc: _Local, s_: int, wrt: Quantity, steps, seen):
    """[Σ_k dh_s/dh_k · direct dh_k/dwrt] for the k where wrt enters h_k; None if none."""
    s = loc.s
    if wrt.base in RECURRENT and wrt.base != "h_0":
        ks = range(s_, 0, -1)
    elif wrt.base == "h_0":
        ks = [0]
    elif wrt.base in ("h", "a") and wrt.t <= s_:
        ks = [wrt.t]
    else:
        return None
    terms, names = [], []
    for k in ks:
        path, path_names = [], []
        for j in range(s_, k, -1):   # dh_s/dh_k = Π_j dh_j/dh_{j-1} = Π_j f'(a_j) w_h
            path += [loc.dact(j), s["w_h"]]
            step = mul(loc.dact(j), s["w_h"], chain=True)
            _factor(f"dh_{j}/dh_{j - 1}", step, j, steps, seen)
            path_names.append(sym(f"dh_{j}/dh_{j - 1}", step.value))
        if wrt.base in ("w_h", "w_x", "b_h"):
            direct = mul(loc.dact(k), loc.direct(wrt.base, k), chain=True) \
                if (loc.dact(k) or loc.direct(wrt.base, k)) else None
        elif wrt.base == "a":
            direct = loc.dact(k)
        else:
            direct = None
        if direct is not None:
            dname = f"dh_{k}/d{wrt} (direct)"
            _factor(dname, direct, k, steps, seen)
            path_names.append(sym(dname, direct.value))
        terms.append(mul(*path, direct, chain=True))
        names.append(mul(*path_names, chain=True))
    return add(*terms, bracket=True), add(*names, bracket=True)


# -- the delta style --------------------------------------------------------------------------

def _delta(loc: _Local, of: Quantity, wrts: list[Quantity], progress=None) -> Derivation:
    """Adjoints from the top step down, then each gradient as a sum over steps."""
    p, s = loc.p, loc.s
    Q = str(of)
    shared: list[Step] = []
    adj: dict[str, Expr] = {}      # quantity name -> the Sym of dQ/d(quantity)

    def row(name: str, e: Expr, t, stage="adjoint", chain=None) -> Expr:
        shared.append(Step(f"d{Q}/d{name}", e, t, stage, chain=chain))
        adj[name] = sym(f"d{Q}/d{name}", e.value)
        return adj[name]

    def zero(base: str) -> Expr:
        """A zero gradient of the shape of quantity `base`."""
        m, _ = p.size(base)
        return const(unit(m, 0)) if loc.vector else ZERO

    # the seed d(of)/d(of): 1, or for one entry of a vector the unit vector e_i
    if of.index:
        seed = const(unit(p.size(of.base)[0], of.index[0]))
    else:
        seed = ONE
    if of.base == "L" and of.t is None:
        heads, top, weight = set(p.targets), p.T, loc.weight
    elif of.base == "L":
        heads, top, weight = {of.t}, of.t, None
    else:
        heads, top, weight = set(), of.t, None
    n = loc.numeric          # a large problem: only the steps a table shows are written out
    written = shown(top, loc.all_steps) if n is not None else range(1, top + 1)
    for t in reversed(written):
        if progress:
            progress(top - t + 1, top)
        if n is not None and t < top and t + 1 not in written:
            # the step above was not written out: its adjoints from the float64 arrays
            adj[f"a_{t + 1}"] = sym(f"d{Q}/d{loc.a_name(t + 1)}", value(n.da[t], loc.vector))
            adj[f"h_{t + 1}"] = sym(f"d{Q}/dh_{t + 1}", value(n.dh[t + 1], loc.vector))
        into_h = []
        if of.base == "L" and t in heads:
            row(f"L_{t}", div(ONE, const(weight.value.denominator)), t) if weight else None
            g = row(f"y_hat_{t}", mul(weight, loc.dloss(t), chain=True), t)
            if loc.shortcut:    # the product, then y_hat_t - y_t (times the mean's 1/n)
                g = row(f"o_{t}", mul(weight, loc.residual(t), chain=True), t,
                        chain=loc.into_o(g, t))
            elif loc.dout(t) is not None:
                g = row(f"o_{t}", loc.into_o(g, t), t)
            adj[f"o_{t}"] = g                 # with an identity output, o_t is y_hat_t
            into_h.append(loc.back(s["w_y"], g))
        elif t == top and of.base in ("y_hat", "o"):
            g = row(f"y_hat_{t}", seed, t) if of.base == "y_hat" else None
            if of.base == "o" or loc.dout(t) is not None:
                g = row(f"o_{t}", loc.into_o(g, t) if g else seed, t)
            adj[f"o_{t}"] = g
            into_h.append(loc.back(s["w_y"], g))
        elif t == top and of.base == "h":
            into_h.append(seed)
        if t < top or of.base == "a":
            nxt = adj.get(f"a_{t + 1}") if t < top else None
            if t == top:  # of = a_top: the seed is da/da = 1, the path into h_{t-1} below
                row(f"a_{t}", seed, t)
                continue
            if nxt is not None and loc.vector and f"h_{t + 1}" in adj:
                # the Jacobian dh_{t+1}/dh_t = diag(f'(a_{t+1})) w_h, an H x H factor whose
                # product over steps is what vanishes or explodes
                d = loc.dact(t + 1)
                jac = mul(diag(d) if d is not None else None, s["w_h"], chain=True)
                name = f"dh_{t + 1}/dh_{t}"
                shared.append(Step(name, jac, t, "factor"))   # shown with the step using it
                into_h.append(mul(trans(sym(name, jac.value)), adj[f"h_{t + 1}"], chain=True))
            elif nxt is not None:
                into_h.append(loc.back(s["w_h"], nxt))
        dh = row(f"h_{t}", add(*into_h) if into_h else zero("h"), t)
        if loc.dact(t) is not None:
            row(f"a_{t}", loc.had(dh, loc.dact(t)) if loc.vector
                else mul(dh, loc.dact(t), chain=True), t)
        elif p.activation == "identity":
            adj[f"a_{t}"] = dh
    if f"a_1" in adj or of.base == "a" and of.t == 1:
        row("h_0", loc.back(s["w_h"], adj["a_1"]), 0)
    elif "h_0" not in adj:
        row("h_0", zero("h"), 0)

    def pick(e: Expr, i: int) -> Expr:
        """Entry i of a vector, where wrt names one entry."""
        return index(e, (wrt.index[i],)) if wrt.index else e

    grads = []
    for wrt in wrts:
        name = f"d{Q}/d{wrt}"
        # dθ = Σ_t (gradient at a_t or o_t) (direct input)^T; one entry: Σ_t g[i] input[j]
        inputs = {"w_h": lambda t: s[f"h_{t - 1}"], "w_x": lambda t: s[f"x_{t}"],
                  "w_y": lambda t: s[f"h_{t}"]}
        if wrt.base in ("w_h", "w_x", "b_h", "w_y", "b_y"):
            at = "a" if wrt.base in ("w_h", "w_x", "b_h") else "o"
            terms = []
            for t in written:
                if n is not None and len(written) < top and t == top - EDGE + 1:
                    terms.append(_rest(n, wrt, EDGE + 1, top - EDGE, loc.vector))
                if f"{at}_{t}" not in adj:
                    continue
                g = pick(adj[f"{at}_{t}"], 0)
                if wrt.base in inputs:
                    x = inputs[wrt.base](t)
                    x = index(x, (wrt.index[1],)) if wrt.index else trans(x)
                    terms.append(mul(g, x, chain=True))
                else:
                    terms.append(g)
            e = add(*terms) if terms else (ZERO if wrt.index else zero(wrt.base))
        else:
            key = "h_0" if wrt.base == "h_0" else f"{wrt.base}_{wrt.t}"
            if key == str(of.base if of.t is None else f"{of.base}_{of.t}") and \
                    wrt.index == of.index:
                e = ONE
            elif wrt.base == "L" and Q == "L" and wrt.t in heads:
                e = weight or ONE
            elif n is not None and key not in adj and key != "h_0":
                e = const(_adjoint(n, wrt, loc.vector))   # a step not written out
            elif key in adj:
                if not wrt.index:
                    grads.append(Gradient(Q, str(wrt), adj[key].value,
                                          tuple(st for st in shared if st.name == name)))
                    continue
                e = pick(adj[key], 0)
            else:
                e = ZERO   # wrt lies after `of`, or off every path to it
        grads.append(Gradient(Q, str(wrt), e.value, (Step(name, e, None, "total"),)))
    return Derivation(None, Q, "delta", tuple(shared), tuple(grads))


def _rest(n, wrt: Quantity, first: int, last: int, vector: bool) -> More:
    """The terms of dL/d(wrt) from steps first..last, not written out, as one value."""
    v = n.term(wrt.base, range(first, last + 1))
    if wrt.index:
        v = v[tuple(i - 1 for i in wrt.index)] if v.ndim == 2 else v[wrt.index[0] - 1]
    return More(value(v, vector and not wrt.index), first, last)


def _adjoint(n, wrt: Quantity, vector: bool):
    """dL/d(wrt) for a quantity of a step not written out, from the float64 arrays."""
    arrays = {"a": n.da, "h": n.dh[1:], "o": n.do, "y_hat": n.dy_hat}
    v = arrays[wrt.base][wrt.t - 1]
    if wrt.index:
        v = v[wrt.index[0] - 1]
    return value(v, vector and not wrt.index)


# -- the entry point --------------------------------------------------------------------------

def grad(fwd: Forward, of: Quantity, wrts: list[Quantity], style: str | None = None,
         progress=None) -> Derivation:
    """d(of)/d(wrt) for each wrt, with every step of the chosen style.

    >>> from rnn_cli.model.files import load
    >>> from rnn_cli.derive.forward import forward
    >>> d = grad(forward(load(None, None)), Quantity("L"), [Quantity("w_h")])
    >>> d.gradients[0].value
    Fraction(8, 1)
    """
    vector = fwd.problem.is_vector
    if vector and style == "paths":
        raise InputError("the paths style writes out scalar chains; vector problems use the "
                         "delta style (the default for them)", where="--style")
    if style == "paths" and fwd.problem.T > PATHS_LIMIT:
        raise InputError(f"the paths style writes out every path, work that grows with T^3: "
                         f"at most T = {PATHS_LIMIT}; use --style delta", where="--style")
    style = style or ("paths" if fwd.problem.T <= PATHS_MAX_T and not vector else "delta")
    loc = _Local(fwd)
    if any(w == of or w == Quantity("L") for w in wrts):
        # d(of)/d(of) = 1, and the total L comes after everything else: d(L_t)/dL = 0
        same = [w for w in wrts if w == of or w == Quantity("L")]
        rest = [w for w in wrts if w not in same]
        d = grad(fwd, of, rest, style, progress) if rest else Derivation(fwd, str(of), style,
                                                                          (), ())
        trivial = {w: ONE if w == of else ZERO for w in same}
        steps = {w: (Step(f"d{of}/d{w}", e, None, "total"),) for w, e in trivial.items()}
        by_wrt = {g.wrt: g for g in d.gradients}
        ordered = tuple(Gradient(str(of), str(w), trivial[w].value, steps[w]) if w in trivial
                        else by_wrt[str(w)] for w in wrts)
        return Derivation(fwd, str(of), d.style, d.shared, ordered)
    if style == "delta":
        d = _delta(loc, of, wrts, progress)
        return Derivation(fwd, d.of, "delta", d.shared, d.gradients)
    grads = []
    for i, wrt in enumerate(wrts):
        if progress:
            progress(i + 1, len(wrts))
        grads.append(_paths_one(loc, of, wrt))
    return Derivation(fwd, str(of), "paths", (), tuple(grads))
