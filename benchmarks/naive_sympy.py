"""The obvious implementation, for comparison: unroll the network into one SymPy expression
of the parameters and differentiate it. Scalar problems only. Prints {"w_h": value, ...}."""

import json
import sys
import tomllib
from fractions import Fraction

import sympy as sp

ACT = {"identity": lambda a: a, "tanh": sp.tanh, "relu": lambda a: sp.Max(a, 0),
       "sigmoid": lambda a: 1 / (1 + sp.exp(-a))}
PARAMS = ("w_x", "w_h", "w_y", "b_h", "b_y", "h_0")


def main(path: str) -> None:
    doc = tomllib.loads(open(path).read())
    given = {k: sp.Rational(str(Fraction(str(v)))) for k, v in doc["params"].items()}
    s = {k: sp.Symbol(k) for k in PARAMS}
    f = ACT[doc.get("activation", "identity")]
    h, L = s["h_0"], 0
    for x, y in zip(doc["data"]["x"], doc["data"]["y"]):
        h = f(s["w_h"] * h + s["w_x"] * sp.Rational(str(x)) + s["b_h"])
        L += (s["w_y"] * h + s["b_y"] - sp.Rational(str(y))) ** 2
    at = {s[k]: given.get(k, 0) for k in PARAMS}
    print(json.dumps({k: float(sp.diff(L, s[k]).subs(at).evalf(30)) for k in PARAMS}))


if __name__ == "__main__":
    main(sys.argv[1])
