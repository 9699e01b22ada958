"""The paths style for gated cells (scalar problems, small T): every chain-rule path from where
a parameter enters the cell to the loss, with the cell-state paths and the hidden-state paths
summed separately.

The LSTM carries two states. Between them run four kinds of edge, each a factor row:
    dc_j/dc_{j-1} = f_j                                   the cell-state path
    dc_j/dh_{j-1} = c_{j-1} σ'(af_j) w_hf + g_j σ'(ai_j) w_hi + i_j tanh'(ag_j) w_hg
    dh_j/dc_j     = og_j (1 - tanh(c_j)^2)
    dh_j/dh_{j-1} (direct) = tanh(c_j) σ'(ao_j) w_ho      through the output gate only
The GRU carries one: dh_j/dh_{j-1} = z_j + (1 - z_j) tanh'(an_j) (r_j w_hn + hn_j σ'(ar_j) w_hr)
+ (h_{j-1} - n_j) σ'(az_j) w_hz. A parameter enters c_k or h_k directly (dc_k/dθ (direct));
a path from there to h_t crosses steps k+1 .. t. dL_t/dθ = dL_t/dy_hat_t · dy_hat_t/dh_t ·
[paths within step t + paths that cross every step on the cell state + the other paths].
"""

from .bptt import ONE, ZERO, Derivation, Gradient, _Local
from ..model.errors import InputError
from .expr import Expr, add, call, const, div, mul, power, sub, sym
from .forward import Forward, Step
from ..model.names import Quantity

PATHS_LIMIT = 5      # the LSTM's paths double with each step: 2^5 from c_0 to h_5


def grad_paths(fwd: Forward, of: Quantity, wrts: list[Quantity]) -> Derivation:
    """d(of)/d(wrt) for each parameter wrt, every path written out."""
    p = fwd.problem
    if p.is_vector:
        raise InputError("the paths style writes out scalar chains; vector problems use the "
                         "delta style (the default)", where="--style")
    if p.T > PATHS_LIMIT:
        raise InputError(f"the paths style of a gated cell writes out paths that double with "
                         f"each step: at most T = {PATHS_LIMIT}; use --style delta",
                         where="--style")
    if of.base != "L":
        raise InputError(f"the paths style of a gated cell differentiates L or L_t; for "
                         f"--of {of} use --style delta", where="--style")
    bad = [w for w in wrts if not w.is_param]
    if bad:
        raise InputError(f"the paths style of a gated cell differentiates by parameters; for "
                         f"{bad[0]} use --style delta", where="--wrt")
    cell = _Cell(fwd)
    grads = tuple(cell.gradient(of, wrt) for wrt in wrts)
    return Derivation(fwd, str(of), "paths", (), grads)


class _Cell:
    """The edge and direct factors of one problem, each recorded once per gradient."""

    def __init__(self, fwd: Forward):
        self.loc = _Local(fwd)
        self.p, self.s = fwd.problem, fwd.syms
        self.lstm = self.p.cell == "lstm"

    # -- factors as formulas --------------------------------------------------------------

    def _ds(self, v: Expr) -> Expr:          # σ' from the gate's value
        return mul(v, sub(const(1), v), chain=True)

    def _dt(self, v: Expr) -> Expr:          # tanh' from tanh's value
        return sub(const(1), power(v, 2))

    def edge(self, kind: str, j: int) -> tuple[str, Expr]:
        """(name, formula) of an edge into step j (or, for 'hc', within it)."""
        s, ds, dt = self.s, self._ds, self._dt
        if kind == "cc":
            return f"dc_{j}/dc_{j - 1}", s[f"f_{j}"]
        if kind == "hc":
            return f"dh_{j}/dc_{j}", mul(s[f"og_{j}"], dt(call("tanh", s[f"c_{j}"])), chain=True)
        if kind == "ch":
            return f"dc_{j}/dh_{j - 1}", add(
                mul(s[f"c_{j - 1}"], ds(s[f"f_{j}"]), s["w_hf"], chain=True),
                mul(s[f"g_{j}"], ds(s[f"i_{j}"]), s["w_hi"], chain=True),
                mul(s[f"i_{j}"], dt(s[f"g_{j}"]), s["w_hg"], chain=True))
        if self.lstm:   # hh: through the output gate alone
            return f"dh_{j}/dh_{j - 1} (direct)", mul(call("tanh", s[f"c_{j}"]),
                                                      ds(s[f"og_{j}"]), s["w_ho"], chain=True)
        into_n = mul(sub(const(1), s[f"z_{j}"]), dt(s[f"n_{j}"]), chain=True)
        return f"dh_{j}/dh_{j - 1}", add(
            s[f"z_{j}"],
            mul(into_n, s[f"r_{j}"], s["w_hn"], chain=True),
            mul(into_n, s[f"hn_{j}"], ds(s[f"r_{j}"]), s["w_hr"], chain=True),
            mul(sub(s[f"h_{j - 1}"], s[f"n_{j}"]), ds(s[f"z_{j}"]), s["w_hz"], chain=True))

    def direct(self, wrt: str, k: int) -> tuple[str, Expr] | None:
        """Where wrt enters step k: (state 'c' or 'h', the direct derivative), or None."""
        s, ds, dt = self.s, self._ds, self._dt
        gate = wrt[3:] if wrt.startswith("w_") else wrt[2:]
        source = {"w_x": s[f"x_{k}"], "w_h": s[f"h_{k - 1}"]}.get(wrt[:3])   # None: a bias
        if self.lstm:
            local = {"i": ("c", mul(s[f"g_{k}"], ds(s[f"i_{k}"]), chain=True)),
                     "f": ("c", mul(s[f"c_{k - 1}"], ds(s[f"f_{k}"]), chain=True)),
                     "g": ("c", mul(s[f"i_{k}"], dt(s[f"g_{k}"]), chain=True)),
                     "o": ("h", mul(call("tanh", s[f"c_{k}"]), ds(s[f"og_{k}"]), chain=True))}
        else:
            into_n = mul(sub(const(1), s[f"z_{k}"]), dt(s[f"n_{k}"]), chain=True)
            local = {"r": ("h", mul(into_n, s[f"hn_{k}"], ds(s[f"r_{k}"]), chain=True)),
                     "z": ("h", mul(sub(s[f"h_{k - 1}"], s[f"n_{k}"]), ds(s[f"z_{k}"]),
                                    chain=True)),
                     "xn": ("h", into_n), "hn": ("h", mul(into_n, s[f"r_{k}"], chain=True))}
            if wrt in ("w_xn", "w_hn"):
                gate = wrt[2:]
            elif wrt in ("b_xn", "b_hn"):
                gate = wrt[2:]
        state, e = local[gate]
        return state, mul(e, source, chain=True)

    # -- the paths ------------------------------------------------------------------------

    def paths(self, origin: tuple[str, int], t: int):
        """Every path from state origin = ('c' or 'h', k) to h_t, as lists of edges
        (kind, j): 'cc', 'ch' and 'hh' cross into step j, 'hc' stays in it."""
        out = []

        def walk(node, edges):
            state, j = node
            if node == ("h", t):
                out.append(edges)
                return
            if state == "c":
                if j > 0:      # h_0 is given, not computed from c_0
                    walk(("h", j), edges + [("hc", j)])
                if j < t:
                    walk(("c", j + 1), edges + [("cc", j + 1)])
            elif j < t:
                if self.lstm:
                    walk(("c", j + 1), edges + [("ch", j + 1)])
                walk(("h", j + 1), edges + [("hh", j + 1)])
        walk(origin, [])
        return out

    def gradient(self, of: Quantity, wrt: Quantity) -> Gradient:
        p, loc, s = self.p, self.loc, self.s
        steps: list[Step] = []
        seen: set[str] = set()

        def factor(name: str, e: Expr, t) -> Expr:
            if name not in seen:
                seen.add(name)
                steps.append(Step(name, e, t, "factor"))
            return sym(name, e.value)

        heads = p.targets if of.t is None else (of.t,)
        terms = []
        w = str(wrt)
        for t in heads:
            top = f"L_{t}"
            chain = [factor(f"d{top}/dy_hat_{t}", loc.dloss(t), t)]
            chain_e = [loc.dloss(t)]
            if loc.dout(t) is not None:
                chain.append(factor(f"dy_hat_{t}/do_{t}", loc.dout(t), t))
                chain_e.append(loc.dout(t))
            o = loc.o_name(t)
            if w in ("w_y", "b_y"):
                if w == "w_y":
                    chain.append(factor(f"d{o}/dw_y", s[f"h_{t}"], t))
                    chain_e.append(s[f"h_{t}"])
                groups = []
            else:
                chain.append(factor(f"d{o}/dh_{t}", s["w_y"], t))
                chain_e.append(s["w_y"])
                groups = self._groups(w, t, factor, steps)
                if not groups:
                    continue
                chain.append(add(*(g[0] for g in groups), bracket=True))
                chain_e.append(add(*(g[1] for g in groups), bracket=True))
            name = f"d{top}/d{w}"
            e = mul(*chain_e, chain=True)
            steps.append(Step(name, e, t, "term", chain=mul(*chain, chain=True)))
            terms.append(sym(name, e.value))
        total = add(*terms) if terms else ZERO
        if terms and of.t is None and loc.weight is not None:
            total = div(total, const(loc.weight.value.denominator))
        steps.append(Step(f"d{of}/d{w}", total, None, "total"))
        return Gradient(str(of), w, total.value, tuple(steps))

    def _groups(self, w: str, t: int, factor, steps) -> list[tuple[Expr, Expr]]:
        """dh_t/dθ in three sums (within step t, cell-state paths, hidden-state paths), each
        a step of its own: [(its Sym, its formula)]."""
        if w in ("h_0", "c_0"):
            origins = [(w[0], 0, None)]
        else:
            origins = []
            for k in range(1, t + 1):
                state, e = self.direct(w, k)
                origins.append((state, k, factor(f"d{state}_{k}/d{w} (direct)", e, k)))
        groups = {"step": [], "cell": [], "hidden": []}
        for state, k, direct in origins:
            for path in self.paths((state, k), t):
                names = []
                for kind, j in reversed(path):      # from h_t back to the origin
                    names.append(factor(*self.edge(kind, j), j))
                crossings = [kind for kind, _ in path if kind != "hc"]
                which = "step" if not crossings else \
                    "cell" if all(kind == "cc" for kind in crossings) else "hidden"
                chain = mul(*names, direct, chain=True)
                groups[which].append(chain if chain is not ONE else const(1))
        labels = {"step": f"within step {t}", "cell": "cell-state paths",
                  "hidden": "hidden-state paths"}
        out = []
        for which, parts in groups.items():
            if not parts:
                continue
            name = f"dh_{t}/d{w} ({labels[which]})"
            e = add(*parts, bracket=len(parts) > 1)
            steps.append(Step(name, e, t, "factor"))
            out.append((sym(name, e.value), e))
        return out
