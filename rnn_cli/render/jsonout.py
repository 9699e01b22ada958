"""JSON output (spec section 5): numbers as JSON numbers, exact values also as strings."""

import json

from .. import numbers as num
from ..expr import text
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


def value_fields(x, key: str = "value", matrix: bool = False) -> dict:
    """{"value": 0.5, "value_exact": "1/2"}: the exact string only where x is exact;
    vectors and matrices as nested lists."""
    out = {key: _nested(x, _number, matrix)}
    if _exact(x):
        out[f"{key}_exact"] = _nested(x, num.exact_text, matrix)
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


def forward_json(fwd, all_steps: bool = False) -> dict:
    p, v = fwd.problem, fwd.syms
    steps = []
    n = lambda x: _nested(x, _number)
    for t in range(1, p.T + 1):
        has = t in p.y
        # every per-step quantity of the cell (a, h; or the gates, c and h), then the output
        steps.append({"t": t, "x": n(p.x[t - 1]),
                      **{b: n(v[f"{b}_{t}"].value) for b in p.step_bases},
                      "y": n(p.y[t]) if has else None,
                      "loss": n(v[f"L_{t}"].value) if has else None})
    loss = v["L"].value
    return {"problem": p.name, "title": p.title, "cell": p.cell,
            "activation": p.activation if p.cell == "rnn" else None,
            "output": p.output, "loss_function": p.loss, "reduction": p.reduction,
            "steps": steps, "loss": _number(loss),
            **({"loss_exact": num.exact_text(loss)} if num.is_exact(loss) else {}),
            "derivation": [step_json(s, all_steps) for s in fwd.steps]}


def grad_json(d, all_steps: bool = False) -> dict:
    out = {"problem": d.forward.problem.name, "of": d.of, "style": d.style,
           "gradients": {g.wrt: {**value_fields(g.value, matrix=is_matrix(g.wrt)),
                                 "terms": [step_json(s, all_steps) for s in g.steps]}
                         for g in d.gradients}}
    if d.shared:
        out["recursion"] = [step_json(s, all_steps) for s in d.shared]
    return out


def dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2)
