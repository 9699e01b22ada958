"""BPTT for any T: each gradient of a scalar RNN as SymPy Sums and Products over the steps,
checked against the problem's own unrolled closed form.

With δ_t = dL_t/dh_t = dL_t/dy_hat_t g'(o_t) w_y and f'(a_j) the activation's slope:

    dh_t/dh_k = Π_{j=k+1}^{t} w_h f'(a_j)
    dL/dw_h   = Σ_t δ_t Σ_{k=1}^{t} (Π_{j=k+1}^{t} w_h f'(a_j)) f'(a_k) h_{k-1}
    dL/dw_x, dL/db_h: the same with x_k, and 1, in place of h_{k-1}
    dL/dh_0   = Σ_t δ_t Π_{j=1}^{t} w_h f'(a_j)
    dL/dw_y   = Σ_t dL_t/do_t h_t,   dL/db_y = Σ_t dL_t/do_t

The check: substitute the problem's T, do the sums and products, put each h_k, a_k, y_hat_t
(and x_t, y_t) back as the symbolic forward pass has them, and compare with the closed form
the chain rule gave (derive/symbolic.py): exactly where the difference expands to 0, else at
random rational points to 40 digits.
"""

import random
from dataclasses import dataclass

from ..model.errors import InputError
from ..model.names import PARAMS


@dataclass(frozen=True)
class General:
    """One formula for any T, and its check at the problem's T."""
    name: str
    formula: object         # SymPy, over T and the indexed quantities h[k], a[k], ...
    at_T: object            # the formula with T substituted and the sums done, unrolled
    unrolled: object        # the closed form from the chain rule, for comparison
    equal: bool
    method: str             # "exact" or "at N random points"


@dataclass(frozen=True)
class GeneralResult:
    problem: object
    T: int
    formulas: tuple[General, ...]


def _parts(p):
    """T, the step indices and the indexed quantities, with dL_t/do_t and f'(a_j)."""
    import sympy as sp
    T = sp.Symbol("T", integer=True, positive=True)
    t, k, j = sp.symbols("t k j", integer=True, positive=True)
    h, a, x, y, yh = (sp.IndexedBase(n) for n in ("h", "a", "x", "y", "y_hat"))
    w_h, w_y = sp.Symbol("w_h"), sp.Symbol("w_y")
    slope = {"identity": lambda i: sp.Integer(1), "tanh": lambda i: 1 - h[i] ** 2,
             "sigmoid": lambda i: h[i] * (1 - h[i]),
             "relu": lambda i: sp.Heaviside(a[i], 0)}[p.activation]
    if p.loss == "squared":
        dloss = 2 * (yh[t] - y[t])
    elif p.loss == "half_squared":
        dloss = yh[t] - y[t]
    else:
        dloss = (1 - y[t]) / (1 - yh[t]) - y[t] / yh[t]
    dout = dloss * (yh[t] * (1 - yh[t]) if p.output == "sigmoid" else 1)
    return dict(T=T, t=t, k=k, j=j, h=h, a=a, x=x, y=y, yh=yh, w_h=w_h, w_y=w_y,
                slope=slope, dout=dout)


def formulas(p, wrts: list[str]) -> list[tuple[str, object]]:
    """(name, formula for any T) for each parameter in wrts, then dh_t/dh_k."""
    import sympy as sp
    q = _parts(p)
    T, t, k, j = q["T"], q["t"], q["k"], q["j"]
    path = sp.Product(q["w_h"] * q["slope"](j), (j, k + 1, t))
    delta = q["dout"] * q["w_y"]
    direct = {"w_h": q["h"][k - 1], "w_x": q["x"][k], "b_h": sp.Integer(1)}
    last = p.targets == (p.T,) and p.T > 1

    def over_t(body):
        # every step has a target (outputs = "all"), or only the last one
        s = body.subs(t, T) if last else sp.Sum(body, (t, 1, T))
        return s / T if p.reduction == "mean" and not last else s

    out = []
    for w in wrts:
        if w in direct:
            body = delta * sp.Sum(path * q["slope"](k) * direct[w], (k, 1, t))
        elif w == "h_0":
            body = delta * sp.Product(q["w_h"] * q["slope"](j), (j, 1, t))
        elif w == "w_y":
            body = q["dout"] * q["h"][t]
        else:
            body = q["dout"]
        out.append((f"dL/d{w}", over_t(body)))
    out.append(("dh_t/dh_k", path))
    return out


def _base(p, q, env: dict):
    """Indexed h[k], a[k], y_hat[t], x[t], y[t] of a step -> the symbolic forward's value."""
    import sympy as sp
    names = {q["h"]: "h", q["a"]: "a", q["yh"]: "y_hat", q["x"]: "x", q["y"]: "y"}

    def value(ix):
        base, i = names[ix.base], int(ix.indices[0])
        if base == "h" and i == 0:
            return env["h_0"]
        return env[f"{base}_{i}"] if f"{base}_{i}" in env else env[f"h_{i}"]
    weights = {q["w_h"]: env["w_h"], q["w_y"]: env["w_y"]}
    return lambda e: e.xreplace({**weights, **{ix: value(ix) for ix in e.atoms(sp.Indexed)}})


def unroll(e):
    """Every Sum and Product with whole-number limits written out, outermost first (SymPy's
    doit would find a closed form of the inner geometric sums while t is still a symbol)."""
    import sympy as sp
    if isinstance(e, (sp.Sum, sp.Product)):
        (var, lo, hi), = e.limits
        terms = [unroll(e.function.xreplace({var: sp.Integer(i)}))
                 for i in range(int(lo), int(hi) + 1)]
        return sp.Add(*terms) if isinstance(e, sp.Sum) else sp.Mul(*terms)
    if not e.args or e.is_Atom:
        return e
    return e.func(*(unroll(a) for a in e.args))


def at_point(e, at: dict):
    """e with symbols replaced, each distinct subexpression rebuilt once (xreplace walks every
    path through a shared subexpression, exponentially many in a derivative)."""
    memo = {}

    def rec(x):
        if x not in memo:
            memo[x] = at.get(x, x) if x.is_Symbol else x if not x.args else \
                x.func(*(rec(a) for a in x.args))
        return memo[x]
    return rec(e)


def same(a, b, points: int = 3) -> tuple[bool, str]:
    """Whether two expressions are equal: exactly where their difference expands to 0, else
    at random rational points to 40 digits."""
    import sympy as sp
    d = a - b
    if d == 0 or (not d.has(sp.Function) or sp.count_ops(d) < 1500) and sp.expand(d) == 0:
        return True, "exact"
    rng = random.Random(12)
    free = sorted(d.free_symbols, key=str)
    for _ in range(points):
        # 50-digit floats put in place, so each node evaluates as it is rebuilt
        at = {s: sp.Float(sp.Rational(rng.randint(-9, 9), rng.randint(5, 12)), 50)
              for s in free}
        v = at_point(d, at)
        if not abs(v) < sp.Float("1e-30"):
            return False, f"differs at {at}"
    return True, f"at {points} random points"


def general(problem, wrts: list[str], of: str = "L", called=("of", "wrt")) -> GeneralResult:
    """The formulas for any T of the parameters named (or 'all'), and dh_t/dh_k, each checked
    against the chain rule's closed form at the problem's T."""
    import sympy as sp
    from dataclasses import replace
    from ..model.symbols import check
    from .gated import run_forward, run_grad
    from .symbolic import as_sympy, symbolic_forward, symbolic_grad
    p = problem
    if p.cell != "rnn" or p.is_vector:
        raise InputError("--general writes scalar RNN formulas; this problem is "
                         + ("a vector one" if p.is_vector else f"an {p.cell.upper()}"),
                         where="--general")
    if of.strip() not in ("L", "E", "J"):
        raise InputError("--general differentiates the total loss L", where=called[0])
    if p.targets not in (tuple(range(1, p.T + 1)), (p.T,)):
        raise InputError('--general needs a target at every step (outputs = "all") or at '
                         'the last (outputs = "last")', where=called[0])
    names = [n for w in wrts for n in (PARAMS if w.strip().lower() == "all" else [w])]
    qs = list(dict.fromkeys(p.quantity(n, called[1]) for n in names))
    if any(not q.is_param or q.index for q in qs):
        raise InputError("--general takes parameters: w_x, w_h, w_y, b_h, b_y, h_0 or all",
                         where=called[1])
    if not p.symbols:
        symbols, given = check(("all",), p.params, p.given, p.T, p.targets, p.cell, "--general")
        p = replace(p, symbols=symbols, given=given)
    fwd = run_forward(p)
    sf = symbolic_forward(fwd)
    wanted = [str(q) for q in qs]
    d = symbolic_grad(run_grad(fwd, p.quantity("L", "L", True), qs), sf)
    unrolled = {f"dL/d{g.wrt}": g.closed for g in d.gradients}
    # dh_T/dh_0 from the chain rule, for the check of dh_t/dh_k
    dh = symbolic_grad(run_grad(fwd, p.quantity(f"h_{p.T}", "h", True),
                                [p.quantity("h_0", "h_0")]), sf)
    unrolled["dh_t/dh_k"] = dh.gradients[0].closed
    q = _parts(p)
    put = _base(p, q, sf.env)
    out = []
    for name, f in formulas(p, wanted):
        at = f.subs({q["T"]: p.T, q["t"]: p.T, q["k"]: 0}) if name == "dh_t/dh_k" \
            else f.subs(q["T"], p.T)
        done = put(unroll(at))
        ok, method = same(done, unrolled[name])
        out.append(General(name, f, as_sympy(done), unrolled[name], ok, method))
    return GeneralResult(p, p.T, tuple(out))
