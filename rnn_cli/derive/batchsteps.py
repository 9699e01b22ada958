"""The derivation of an array problem as the courses write it: the loss over the minibatch,
the BPTT recursion over steps and sequences (dL/dh_t^(n) = ... + dh_next), and each
gradient as a sum Σ_n Σ_t, named and shaped in the problem's convention.

Formulas are plain text in the spec's names (a superscript (n) is the sequence); each line
carries its value: the array the convention stores, or for a recursion line the value at the
last step of the first sequence (every value is in the float64 Run).
"""

from dataclasses import dataclass

from ..model.conventions import from_canonical
from .numeric import Run


@dataclass(frozen=True)
class Line:
    name: str            # what is computed: L, dL/dh_t^(n), dWhh
    formula: str         # in symbols
    value: object        # a float, or a numpy array
    kind: str            # loss | recursion | gradient
    canonical: tuple = ()    # the canonical parameters it holds (w_h, or w_xi..w_xo stacked)
    shape: tuple = ()


@dataclass(frozen=True)
class Derivation:
    run: Run
    losses: tuple        # Line: each L^(n), then L
    recursion: tuple     # Line: the BPTT recursion
    gradients: tuple     # Line: one per gradient array of the convention


def _weight(p) -> str:
    """The factor with which dL_t^(n) enters L: 1/N for a batch mean, 1/|targets| for a mean
    over steps."""
    parts = []
    if p.batch == "mean" and (p.batched or p.N > 1):
        parts.append(f"1/N (N = {p.N})")
    if p.reduction == "mean":
        parts.append(f"1/{int(p.has.sum())} (the steps with a target)")
    return " · ".join(parts)


def losses(r: Run) -> tuple:
    p = r.problem
    per_t = f"1/{int(p.has.sum())} Σ_t L_t^(n)" if p.reduction == "mean" else "Σ_t L_t^(n)"
    out = [Line(f"L^({n + 1})", per_t.replace("(n)", f"({n + 1})"), float(r.L_n[n]), "loss")
           for n in range(p.N)]
    if p.N > 1 or p.batched:
        total = "1/N Σ_n L^(n)" if p.batch == "mean" else "Σ_n L^(n)"
        out.append(Line("L", total, r.L, "loss"))
    else:
        out[-1] = Line("L", per_t.replace("^(n)", ""), r.L, "loss")
    return tuple(out)


def _recursion(r: Run) -> tuple:
    p = r.problem
    n = "^(n)" if p.N > 1 or p.batched else ""
    w = _weight(p)
    wtxt = f"{w.split(' (')[0]} " if w and " · " not in w else f"({w}) " if w else ""
    if p.output == "softmax" and p.loss == "cross_entropy":
        do = f"{wtxt}(y_hat_t{n} - y_t{n})" if wtxt else f"y_hat_t{n} - y_t{n}"
    elif p.loss == "squared":
        do = f"{wtxt}2 (y_hat_t{n} - y_t{n})" + ("" if p.output == "identity" else " ⊙ g'(o_t)")
    else:
        do = f"{wtxt}dL_t/dy_hat_t{n} through g'(o_t{n})"
    last = p.T - 1
    lines = [Line(f"dL/do_t{n}", do, r.adjoints["o"][0, last], "recursion")]
    dnext = p.convention.dh_next
    if p.cell == "rnn":
        slope = {"tanh": f" ⊙ (1 - h_t{n}²)", "sigmoid": f" ⊙ h_t{n} ⊙ (1 - h_t{n})",
                 "relu": f" ⊙ relu'(a_t{n})", "identity": ""}[p.activation]
        lines += [Line(f"dL/dh_t{n}", f"w_y^T dL/do_t{n} + w_h^T dL/da_(t+1){n}   "
                       f"(the second term is {dnext}, 0 at t = T)", r.adjoints["h"][0, p.T],
                       "recursion"),
                  Line(f"dL/da_t{n}", f"dL/dh_t{n}{slope}", r.adjoints["a"][0, last],
                       "recursion")]
    elif p.cell == "lstm":
        lines += [Line(f"dL/dh_t{n}", f"w_y^T dL/do_t{n} + Σ_gates w_h*^T dL/da*_(t+1){n}"
                       f"   ({dnext})", r.adjoints["h"][0, p.T], "recursion"),
                  Line(f"dL/dc_t{n}", f"dL/dh_t{n} ⊙ og_t{n} ⊙ (1 - tanh(c_t{n})²) + "
                       f"dL/dc_(t+1){n} ⊙ f_(t+1){n}", r.adjoints["c"][0, p.T], "recursion"),
                  Line(f"dL/dai_t{n}", f"dL/dc_t{n} ⊙ g_t{n} ⊙ i_t{n} (1 - i_t{n})",
                       r.adjoints["ai"][0, last], "recursion"),
                  Line(f"dL/daf_t{n}", f"dL/dc_t{n} ⊙ c_(t-1){n} ⊙ f_t{n} (1 - f_t{n})",
                       r.adjoints["af"][0, last], "recursion"),
                  Line(f"dL/dag_t{n}", f"dL/dc_t{n} ⊙ i_t{n} ⊙ (1 - g_t{n}²)",
                       r.adjoints["ag"][0, last], "recursion"),
                  Line(f"dL/dao_t{n}", f"dL/dh_t{n} ⊙ tanh(c_t{n}) ⊙ og_t{n} (1 - og_t{n})",
                       r.adjoints["ao"][0, last], "recursion")]
    else:
        lines += [Line(f"dL/dh_t{n}", f"w_y^T dL/do_t{n} + dL/dh_(t+1){n} ⊙ z_(t+1){n} + "
                       f"w_hr^T dL/dar_(t+1){n} + w_hz^T dL/daz_(t+1){n} + w_hn^T "
                       f"dL/dhn_(t+1){n}   ({dnext})", r.adjoints["h"][0, p.T], "recursion"),
                  Line(f"dL/dan_t{n}", f"dL/dh_t{n} ⊙ (1 - z_t{n}) ⊙ (1 - n_t{n}²)",
                       r.adjoints["an"][0, last], "recursion"),
                  Line(f"dL/dhn_t{n}", f"dL/dan_t{n} ⊙ r_t{n}", r.adjoints["hn"][0, last],
                       "recursion"),
                  Line(f"dL/dar_t{n}", f"dL/dan_t{n} ⊙ hn_t{n} ⊙ r_t{n} (1 - r_t{n})",
                       r.adjoints["ar"][0, last], "recursion"),
                  Line(f"dL/daz_t{n}", f"dL/dh_t{n} ⊙ (h_(t-1){n} - n_t{n}) ⊙ z_t{n} "
                       f"(1 - z_t{n})", r.adjoints["az"][0, last], "recursion")]
    return tuple(lines)


def _param_formula(param: str, cell: str, n: str) -> str:
    """dL/d(param) as a sum over sequences and steps, in the column layout."""
    s = "Σ_n Σ_t " if n else "Σ_t "
    at = {"w_y": "o", "b_y": "o"}.get(param)
    if at is None:
        if cell == "rnn":
            at = "a"
        elif param == "w_hn" or param == "b_hn":
            at = "hn"
        else:
            at = "a" + param[-1]
    if param.startswith("w_x"):
        return f"{s}dL/d{at}_t{n} x_t{n}^T"
    if param.startswith("w_h"):
        return f"{s}dL/d{at}_t{n} h_(t-1){n}^T"
    if param == "w_y":
        return f"{s}dL/do_t{n} h_t{n}^T"
    if param in ("h_0", "c_0"):
        return f"dL/d{param[0]}_0{n} (from the recursion at t = 0)"
    return f"{s}dL/d{at}_t{n}"


def derivation(r: Run, wrt=None) -> Derivation:
    """The derivation of L's gradients; `wrt`: the convention's gradient names wanted (all
    by default)."""
    p = r.problem
    conv = p.convention
    n = "^(n)" if p.N > 1 or p.batched else ""
    arrays = from_canonical(conv, p.cell, r.grads, only=wrt)
    lines = []
    for a in conv.table(p.cell):
        if a.grad not in arrays:
            continue
        parts = [_param_formula(q, p.cell, n) for q in a.parts]
        formula = parts[0] if len(parts) == 1 else \
            "[" + "; ".join(f"dL/d{q}" for q in a.parts) + ("]" if a.stack == "rows" else "]")
        if len(a.parts) > 1:
            formula += " stacked" if a.stack == "rows" else " side by side"
            formula += ", each " + "; ".join(f"dL/d{q} = {f}" for q, f in zip(a.parts, parts))
        if a.transposed:
            formula = f"({formula})^T" if len(a.parts) == 1 else f"({formula}), transposed"
        if a.name != a.grad or conv.name != "canonical":
            formula = f"{formula}   (the gradient of {a.name})"
        if a.states and a.parts[0] in p.shared and (p.N > 1 or p.batched):
            formula += "; one state shared by every sequence: Σ_n of each sequence's"
        v = arrays[a.grad]
        if conv.name == "canonical" and p.layout == "row" and a.parts[0].startswith("w_"):
            v = v.T                     # the row layout holds the transpose (x W_x + h W_h)
            formula = f"({formula})^T   (row layout)"
        lines.append(Line(a.grad, formula, v, "gradient", a.parts, tuple(v.shape)))
    return Derivation(r, losses(r), _recursion(r), tuple(lines))


def solve(problem, wrt=(), of: str | None = "L"):
    """An array problem in float64: its forward pass (`of` None: a numeric.Run) or the
    derivation of dL/d(wrt), the gradients named and shaped in its convention. `wrt`: 'all',
    the convention's gradient or array names (dWhh, Whh, weight_hh_l0) or canonical names."""
    from ..model.arrays import wanted
    from ..model.errors import InputError
    from .numeric import run
    if of is not None and of.strip() not in ("L", "E", "J"):
        raise InputError(f"an array problem differentiates L (found --of {of}); per-step "
                         "quantities are for problems written out in TOML", where="--of")
    want = wanted(problem, wrt) if of is not None else None
    r = run(problem)
    return r if of is None else derivation(r, want)
