"""JSON output (spec section 5): numbers as JSON numbers, exact values also as strings."""

import json
import re

from ..model import numbers as num
from ..model.safe import INVISIBLE
from ..derive.expr import text
from ..derive.forward import EDGE
from .rows import is_matrix


def _number(x):
    """A JSON number: an exact integer as an integer, anything else as the nearest double."""
    if num.is_exact(x) and x.denominator == 1 and abs(x.numerator) < 2**53:
        return x.numerator
    try:
        f = num.to_float(x)
    except OverflowError:
        return None
    return f if f not in (float("inf"), float("-inf")) and f == f else None


def _nested(x, leaf, matrix: bool = False):
    """A vector as a list, a matrix as a list of rows (`matrix`: even with one column), a
    number as itself (through leaf)."""
    if hasattr(x, "rows"):
        if x.shape[1] == 1 and not matrix:
            return [leaf(r[0]) for r in x.rows]
        return [[leaf(v) for v in r] for r in x.rows]
    return leaf(x)


def _exact(x) -> bool:
    return all(num.is_exact(v) for v in x.entries()) if hasattr(x, "rows") else num.is_exact(x)


def approx_fields(x, key: str, matrix: bool = False) -> dict:
    """{"loss_approx": "4.0e+4000"} where a value is beyond the range of a double (its JSON
    number is then null): the value to 17 significant digits, as a string; else {}."""
    leaves = list(x.entries()) if hasattr(x, "rows") else [x]
    if x is None or all(v is None or _number(v) is not None for v in leaves):
        return {}
    return {f"{key}_approx": _nested(x, lambda v: num.approx_text(v, 17), matrix)}


def value_fields(x, key: str = "value", matrix: bool = False) -> dict:
    """{"value": 0.5, "value_exact": "1/2"}: the exact string only where x is exact, the
    value as a string where it is inexact and beyond a double's range; vectors and matrices
    as nested lists."""
    out = {key: _nested(x, _number, matrix)}
    if _exact(x):
        out[f"{key}_exact"] = _nested(x, num.exact_text, matrix)
    else:
        out.update(approx_fields(x, key, matrix))
    return out


def step_json(step, all_terms: bool = False) -> dict:
    out = {"name": step.name, "t": step.t, "kind": step.stage,
           "formula": text(step.expr, all_terms=all_terms),
           "substituted": text(step.expr, numeric=True, digits=17, all_terms=all_terms),
           **value_fields(step.value, matrix=is_matrix(step.name))}
    if step.same:
        out["same_as"] = list(step.same)
    if step.chain is not None:
        out["chain"] = text(step.chain, all_terms=all_terms)
    return out


def _row(arr, vector: bool):
    """Step t's value from a float64 array row: a list for a vector, else a number."""
    return [float(v) for v in arr] if vector else float(arr[0])


def forward_json(fwd, all_steps: bool = False) -> dict:
    p, v, num_ = fwd.problem, fwd.syms, fwd.numeric
    steps = []
    n = lambda x: _nested(x, _number)
    for t in range(1, p.T + 1):
        has = t in p.y
        if num_ is not None:   # a large problem: every value from its float64 arrays
            r = lambda a: _row(a[t - 1], p.is_vector)
            steps.append({"t": t, "x": n(p.x[t - 1]), "a": r(num_.a), "h": r(num_.h[1:]),
                          "o": r(num_.o), "y_hat": r(num_.y_hat),
                          "y": n(p.y[t]) if has else None,
                          "loss": float(num_.L_t[t - 1]) if has else None})
            continue
        # every per-step quantity of the cell (a, h; or the gates, c and h), then the output
        steps.append({"t": t, "x": n(p.x[t - 1]),
                      **{b: n(v[f"{b}_{t}"].value) for b in p.step_bases},
                      "y": n(p.y[t]) if has else None,
                      "loss": n(v[f"L_{t}"].value) if has else None})
        for b in (*p.step_bases, "loss"):          # a value beyond a double's range
            name = f"L_{t}" if b == "loss" else f"{b}_{t}"
            if name in v and (b != "loss" or has):
                steps[-1].update(approx_fields(v[name].value, b))
    loss = v["L"].value
    return {"problem": p.name, "title": p.title, "cell": p.cell, "layout": p.layout,
            "activation": p.activation if p.cell == "rnn" else None,
            "output": p.output, "loss_function": p.loss, "reduction": p.reduction,
            "steps": steps, "loss": _number(loss),
            **({"loss_exact": num.exact_text(loss)} if num.is_exact(loss) else
               approx_fields(loss, "loss")),
            "derivation": [step_json(s, all_steps) for s in fwd.steps],
            **_float64(fwd)}


def _float64(fwd) -> dict:
    """For a large problem: which steps the derivation leaves out, and that its numbers are
    float64."""
    if fwd.numeric is None or fwd.all_steps or fwd.problem.T <= 2 * EDGE + 1:
        return {"arithmetic": "float64"} if fwd.numeric is not None else {}
    return {"arithmetic": "float64", "left_out": {"first": EDGE + 1,
                                                  "last": fwd.problem.T - EDGE}}


def grad_json(d, all_steps: bool = False) -> dict:
    out = {"problem": d.forward.problem.name, "of": d.of, "style": d.style,
           "layout": d.forward.problem.layout,
           "gradients": {g.wrt: {**value_fields(g.value, matrix=is_matrix(g.wrt)),
                                 "terms": [step_json(s, all_steps) for s in g.steps]}
                         for g in d.gradients}}
    if d.shared:
        out["recursion"] = [step_json(s, all_steps) for s in d.shared]
    fwd = d.forward
    out.update(_float64(fwd))
    if fwd.numeric is not None:   # every step's dL/dh_t and dL/da_t, written out or not
        vec = fwd.problem.is_vector
        out["adjoints"] = {"h": [_row(r, vec) for r in fwd.numeric.dh[1:]],
                           "a": [_row(r, vec) for r in fwd.numeric.da]}
    return out


def dumps(obj, ascii: bool | None = None) -> str:
    """JSON text; C1 controls and the invisible characters (model/safe.py: bidirectional
    overrides, zero-width spaces, U+2028; JSON itself would pass them through raw) are
    written as \\u escapes, and everything beyond ASCII too with `ascii`
    (by default: where standard output cannot encode it)."""
    if ascii is None:
        import sys
        try:
            "→✓".encode(getattr(sys.stdout, "encoding", None) or "ascii")
            ascii = False
        except (UnicodeEncodeError, LookupError):
            ascii = True
    text = json.dumps(obj, ensure_ascii=ascii, indent=2)
    return text if ascii else _RAW.sub(lambda m: json.dumps(m[0])[1:-1], text)


_RAW = re.compile(f"[\x7f-\x9f{INVISIBLE}\ud800-\udfff]")   # lone surrogates: a file name's bytes
