"""Gated cells, LSTM and GRU: the forward pass and the delta recursion, step by step.

LSTM (gates in PyTorch's order i, f, g, o; σ the sigmoid, ⊙ entry by entry):
    ai_t = w_xi x_t + w_hi h_{t-1} + b_i     i_t  = σ(ai_t)       input gate
    af_t = w_xf x_t + w_hf h_{t-1} + b_f     f_t  = σ(af_t)       forget gate
    ag_t = w_xg x_t + w_hg h_{t-1} + b_g     g_t  = tanh(ag_t)    candidate
    ao_t = w_xo x_t + w_ho h_{t-1} + b_o     og_t = σ(ao_t)       output gate
    c_t  = f_t ⊙ c_{t-1} + i_t ⊙ g_t        h_t  = og_t ⊙ tanh(c_t)
GRU (PyTorch's convention: the reset gate multiplies w_hn h_{t-1} + b_hn):
    ar_t = w_xr x_t + w_hr h_{t-1} + b_r     r_t = σ(ar_t)        reset gate
    az_t = w_xz x_t + w_hz h_{t-1} + b_z     z_t = σ(az_t)        update gate
    hn_t = w_hn h_{t-1} + b_hn
    an_t = w_xn x_t + b_xn + r_t ⊙ hn_t      n_t = tanh(an_t)     candidate
    h_t  = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}
The output layer, the losses and their derivatives are the plain RNN's (forward.py, bptt.py).
"""

from fractions import Fraction

from .bptt import ONE, ZERO, Derivation, Gradient, _Local
from .expr import Expr, add, call, const, div, had, index, mul, power, sub, sym, trans
from .forward import Forward, Step, output_layer
from ..model.matrix import unit
from ..model.names import Quantity
from ..model.problem import Problem

LSTM_GATES = (("i", "i", "sigmoid"), ("f", "f", "sigmoid"), ("g", "g", "tanh"),
              ("o", "og", "sigmoid"))        # (parameter suffix, gate name, function)
GRU_GATES = (("r", "r", "sigmoid"), ("z", "z", "sigmoid"))
A_CELL = {"lstm": "an LSTM", "gru": "a GRU"}


def _hp(vector: bool):
    """The entry-by-entry product: ⊙ for vectors, a chain-rule product for numbers."""
    return had if vector else (lambda *fs: mul(*fs, chain=True))


def forward_gated(problem: Problem) -> Forward:
    """The forward pass of an LSTM or GRU problem, every gate's step a formula."""
    from ..model.errors import TooLarge
    from ..model.shapes import MAX_WORK, gated_work
    p, s = problem, {}
    if gated_work(p) > MAX_WORK:
        G = 4 if p.cell == "lstm" else 3
        raise TooLarge(f"T x ({G} (H^2 + H D) + K H) = {gated_work(p):,} multiplications per "
                       f"pass is more than the {MAX_WORK:,} that exact or 50-digit arithmetic "
                       "finishes in seconds (forward and grad of L evaluate a gated problem "
                       "this large in float64; check and explain do not); use fewer steps or "
                       "units", where=f"{p.source}: data.x" if p.source else "--x")
    for name, v in p.params.items():
        s[name] = sym(name, v)
    steps = []
    hp, one = _hp(p.is_vector), const(1)

    def define(name: str, expr: Expr, t, stage: str, same=()):
        steps.append(Step(name, expr, t, stage, same))
        for n in (name, *same):
            s[n] = sym(n, expr.value)

    def bias(name: str):
        return [s[name]] if name in p.given else []   # a zero bias never written is left out

    def gate(k: str, gname: str, fn: str, t: int):
        pre = add(mul(s[f"w_x{k}"], s[f"x_{t}"]), mul(s[f"w_h{k}"], s[f"h_{t - 1}"]),
                  *bias(f"b_{k}"))
        define(f"a{k}_{t}", pre, t, "hidden")
        define(f"{gname}_{t}", call(fn, s[f"a{k}_{t}"]), t, "hidden")

    for t in range(1, p.T + 1):
        s[f"x_{t}"] = sym(f"x_{t}", p.x[t - 1])
        if p.cell == "lstm":
            for k, gname, fn in LSTM_GATES:
                gate(k, gname, fn, t)
            # the cell state keeps f_t of the old one and adds i_t of the candidate
            define(f"c_{t}", add(hp(s[f"f_{t}"], s[f"c_{t - 1}"]), hp(s[f"i_{t}"], s[f"g_{t}"])),
                   t, "hidden")
            define(f"h_{t}", hp(s[f"og_{t}"], call("tanh", s[f"c_{t}"])), t, "hidden")
        else:
            for k, gname, fn in GRU_GATES:
                gate(k, gname, fn, t)
            define(f"hn_{t}", add(mul(s["w_hn"], s[f"h_{t - 1}"]), *bias("b_hn")), t, "hidden")
            an = add(mul(s["w_xn"], s[f"x_{t}"]), *bias("b_xn"), hp(s[f"r_{t}"], s[f"hn_{t}"]))
            define(f"an_{t}", an, t, "hidden")
            define(f"n_{t}", call("tanh", s[f"an_{t}"]), t, "hidden")
            # the update gate blends the candidate with the old state
            define(f"h_{t}", add(hp(sub(one, s[f"z_{t}"]), s[f"n_{t}"]),
                                 hp(s[f"z_{t}"], s[f"h_{t - 1}"])), t, "hidden")
        output_layer(p, s, t, define)
    losses = [s[f"L_{t}"] for t in p.targets]
    total = add(*losses)
    if p.reduction == "mean" and len(losses) > 1:
        total = div(total, const(len(losses)))
    define("L", total, None, "total")
    return Forward(p, tuple(steps), s)


# -- the delta recursion ----------------------------------------------------------------------

def _sources(cell: str) -> dict[str, tuple[str, str | None]]:
    """Each parameter: (the quantity whose gradient it collects, its input there: 'x' for
    x_t, 'h' for h_{t-1}, 'y' for h_t, None for a bias)."""
    out = {"w_y": ("o", "y"), "b_y": ("o", None)}
    gates = "ifgo" if cell == "lstm" else "rz"
    for k in gates:
        out.update({f"w_x{k}": (f"a{k}", "x"), f"w_h{k}": (f"a{k}", "h"),
                    f"b_{k}": (f"a{k}", None)})
    if cell == "gru":
        out.update({"w_xn": ("an", "x"), "b_xn": ("an", None), "w_hn": ("hn", "h"),
                    "b_hn": ("hn", None)})
    return out


def _into_prev_h(cell: str) -> tuple[tuple[str, str], ...]:
    """The quantities of step t that read h_{t-1} through a weight: (quantity, weight)."""
    if cell == "lstm":
        return tuple((f"a{k}", f"w_h{k}") for k in "ifgo")
    return (("ar", "w_hr"), ("az", "w_hz"), ("hn", "w_hn"))


def grad_gated(fwd: Forward, of: Quantity, wrts: list[Quantity], style: str | None = None,
               progress=None) -> Derivation:
    """d(of)/d(wrt) for each wrt by the delta recursion: dL/dh_t and dL/dc_t from the last
    step down, each gate's pre-activation on the way, then each parameter's sum over steps.

    >>> from rnn_cli.model.files import load
    >>> d = grad_gated(forward_gated(load(None, "lstm_1unit")), Quantity("L"), [Quantity("b_f")])
    >>> d.style
    'delta'
    """
    p = fwd.problem
    if style == "paths":
        from .gated_paths import grad_paths
        return grad_paths(fwd, of, wrts)
    loc = _Local(fwd)
    s, vector, cell = loc.s, loc.vector, p.cell
    hp, one = _hp(vector), const(1)
    Q = str(of)
    shared: list[Step] = []
    adj: dict[str, Expr] = {}          # quantity name -> the Sym of dQ/d(quantity)

    def row(name: str, e: Expr, t) -> Expr:
        shared.append(Step(f"d{Q}/d{name}", e, t, "adjoint"))
        adj[name] = sym(f"d{Q}/d{name}", e.value)
        return adj[name]

    def zero(base: str) -> Expr:
        return const(unit(p.size(base)[0], 0)) if vector else ZERO

    def dsigmoid(v: Expr) -> Expr:       # σ' = σ (1 - σ), from the gate's own value
        return hp(v, sub(one, v))

    def dtanh(v: Expr) -> Expr:          # tanh' = 1 - tanh^2
        return sub(one, power(v, 2))

    if of.base == "L" and of.t is None:
        heads, top, weight = set(p.targets), p.T, loc.weight
    else:
        heads, top, weight = ({of.t} if of.base == "L" else set()), of.t, None
    # the seed d(of)/d(of): 1, or for one entry of a vector the unit vector e_i
    start = f"{of.base}_{of.t}" if of.base != "L" else None
    seed = const(unit(p.size(of.base)[0], of.index[0])) if of.index else ONE

    def node(name: str, t: int, parts) -> Expr | None:
        """dQ/d(name): the seed, or the sum of what reaches it from the quantities that read
        it (parts: (their name, how the gradient passes back)); None where nothing does."""
        if name == start:
            return row(name, seed, t)
        es = [back(adj[src]) for src, back in parts if src in adj]
        return row(name, add(*es), t) if es else None

    for t in range(top, 0, -1):
        if progress:
            progress(top - t + 1, top)
        if t in heads:        # the loss at t reaches h_t through the output layer
            if weight:
                row(f"L_{t}", div(ONE, const(weight.value.denominator)), t)
            g = row(f"y_hat_{t}", mul(weight, loc.dloss(t), chain=True), t)
            if loc.dout(t) is not None:
                g = row(f"o_{t}", loc.into_o(g, t), t)
            adj[f"o_{t}"] = g
        elif t == top and of.base in ("y_hat", "o"):
            g = row(f"y_hat_{t}", seed, t) if of.base == "y_hat" else None
            if of.base == "o" or loc.dout(t) is not None:
                g = row(f"o_{t}", loc.into_o(g, t) if g else seed, t)
            adj[f"o_{t}"] = g
        # h_t: read by the output layer, and by every gate of step t+1
        into_h = [(f"o_{t}", lambda g: loc.back(s["w_y"], g))]
        if t < top:
            if cell == "gru":   # h_{t+1} keeps z_{t+1} of h_t
                into_h.append((f"h_{t + 1}", lambda g: hp(g, s[f"z_{t + 1}"])))
            into_h += [(f"{q}_{t + 1}", lambda g, w=w: loc.back(s[w], g))
                       for q, w in _into_prev_h(cell)]
        node(f"h_{t}", t, into_h)
        if cell == "lstm":
            tc = call("tanh", s[f"c_{t}"])
            node(f"og_{t}", t, [(f"h_{t}", lambda g: hp(g, tc))])
            # c_t reaches L through h_t (past the output gate) and through c_{t+1} (past f_{t+1})
            node(f"c_{t}", t, [(f"h_{t}", lambda g: hp(g, s[f"og_{t}"], dtanh(tc))),
                               (f"c_{t + 1}", lambda g: hp(g, s[f"f_{t + 1}"]))])
            node(f"i_{t}", t, [(f"c_{t}", lambda g: hp(g, s[f"g_{t}"]))])
            node(f"f_{t}", t, [(f"c_{t}", lambda g: hp(g, s[f"c_{t - 1}"]))])
            node(f"g_{t}", t, [(f"c_{t}", lambda g: hp(g, s[f"i_{t}"]))])
            node(f"ai_{t}", t, [(f"i_{t}", lambda g: hp(g, dsigmoid(s[f"i_{t}"])))])
            node(f"af_{t}", t, [(f"f_{t}", lambda g: hp(g, dsigmoid(s[f"f_{t}"])))])
            node(f"ag_{t}", t, [(f"g_{t}", lambda g: hp(g, dtanh(s[f"g_{t}"])))])
            node(f"ao_{t}", t, [(f"og_{t}", lambda g: hp(g, dsigmoid(s[f"og_{t}"])))])
        else:
            node(f"n_{t}", t, [(f"h_{t}", lambda g: hp(g, sub(one, s[f"z_{t}"])))])
            node(f"z_{t}", t, [(f"h_{t}", lambda g: hp(g, sub(s[f"h_{t - 1}"], s[f"n_{t}"])))])
            node(f"an_{t}", t, [(f"n_{t}", lambda g: hp(g, dtanh(s[f"n_{t}"])))])
            node(f"r_{t}", t, [(f"an_{t}", lambda g: hp(g, s[f"hn_{t}"]))])
            node(f"hn_{t}", t, [(f"an_{t}", lambda g: hp(g, s[f"r_{t}"]))])
            node(f"ar_{t}", t, [(f"r_{t}", lambda g: hp(g, dsigmoid(s[f"r_{t}"])))])
            node(f"az_{t}", t, [(f"z_{t}", lambda g: hp(g, dsigmoid(s[f"z_{t}"])))])
    # the initial states: h_0 read by every gate of step 1, c_0 kept by f_1
    into_h0 = [("h_1", lambda g: hp(g, s["z_1"]))] if cell == "gru" else []
    into_h0 += [(f"{q}_1", lambda g, w=w: loc.back(s[w], g)) for q, w in _into_prev_h(cell)]
    if node("h_0", 0, into_h0) is None:
        row("h_0", zero("h"), 0)
    if cell == "lstm" and node("c_0", 0, [("c_1", lambda g: hp(g, s["f_1"]))]) is None:
        row("c_0", zero("h"), 0)
    grads = [_gradient(p, s, adj, shared, Q, of, wrt, top, heads, weight) for wrt in wrts]
    return Derivation(fwd, Q, "delta", tuple(shared), tuple(grads))


def _gradient(p, s, adj, shared, Q, of, wrt, top, heads, weight) -> Gradient:
    """One gradient read off the recursion: a parameter's sum over steps, or an adjoint."""
    name = f"d{Q}/d{wrt}"
    zero = (lambda: const(unit(p.size(wrt.base)[0], 0)) if p.is_vector and not wrt.index
            and not wrt.base.startswith("w_") else ZERO)

    def pick(e: Expr) -> Expr:
        return index(e, (wrt.index[0],)) if wrt.index else e

    sources = _sources(p.cell)
    if wrt.base in sources:
        at, source = sources[wrt.base]
        terms = []
        for t in range(1, top + 1):
            if f"{at}_{t}" not in adj:
                continue
            g = pick(adj[f"{at}_{t}"])
            if source is None:
                terms.append(g)
                continue
            x = {"x": s[f"x_{t}"], "h": s[f"h_{t - 1}"], "y": s[f"h_{t}"]}[source]
            # dθ = Σ_t (gradient at the gate) (its input)^T; one entry: Σ_t g[i] input[j]
            x = index(x, (wrt.index[1],)) if wrt.index else trans(x)
            terms.append(mul(g, x, chain=True))
        if terms:
            e = add(*terms)
        elif wrt.base.startswith("w_") and p.is_vector and not wrt.index:
            m, n = p.size(wrt.base)
            from ..model.matrix import Mat
            e = const(Mat([[Fraction(0)] * n for _ in range(m)]))
        else:
            e = zero()
        return Gradient(Q, str(wrt), e.value, (Step(name, e, None, "total"),))
    key = wrt.base if wrt.t is None else f"{wrt.base}_{wrt.t}"
    if wrt == of:
        e = ONE
    elif wrt.base == "L":
        e = (weight or ONE) if Q == "L" and wrt.t in heads else ZERO
    elif key in adj:
        if not wrt.index:
            return Gradient(Q, str(wrt), adj[key].value,
                            tuple(st for st in shared if st.name == name))
        e = pick(adj[key])
    else:
        e = ZERO if wrt.index else zero()  # after `of`, or off every path to it
    return Gradient(Q, str(wrt), e.value, (Step(name, e, None, "total"),))


# -- dispatch by cell -------------------------------------------------------------------------

def run_forward(problem: Problem, brief: bool = False, all_steps: bool = False) -> Forward:
    """The forward pass of any cell (`brief`, `all_steps`: see forward.forward)."""
    if problem.cell == "rnn":
        from .forward import forward
        return forward(problem, brief, all_steps)
    return forward_gated(problem)


def run_grad(fwd: Forward, of: Quantity, wrts: list[Quantity], style: str | None = None,
             progress=None) -> Derivation:
    """Gradients of any cell (in the row layout, a weight's gradient as the notebook has it)."""
    if fwd.problem.cell == "rnn":
        from .bptt import grad
        d = grad(fwd, of, wrts, style, progress)
    else:
        d = grad_gated(fwd, of, wrts, style, progress)
    return row_layout(d) if fwd.problem.layout == "row" else d


def row_layout(d: Derivation) -> Derivation:
    """The row layout (x W_x + h W_h) holds each weight transposed, so its gradient is the
    transpose of the column layout's: one more step, (dL/dw_h)^T, whose value it is."""
    from dataclasses import replace
    grads = []
    for g in d.gradients:
        if g.wrt.startswith("w_") and hasattr(g.value, "rows"):
            e = trans(sym(f"d{g.of}/d{g.wrt}", g.value))
            step = Step(f"d{g.of}/d{g.wrt} {ROW_LAYOUT}", e, None, "total")
            g = replace(g, value=e.value, steps=(*g.steps, step))
        grads.append(g)
    return replace(d, gradients=tuple(grads))


ROW_LAYOUT = "(row layout)"   # the name of a weight's gradient step as a notebook holds it
