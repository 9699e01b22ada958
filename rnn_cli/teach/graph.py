"""The unrolled network: one node per quantity and step, with its value and gradient.

The values are the forward pass's; the gradients dL/d(node) are the delta recursion's of
bptt.py (dL/da_t, dL/dh_t, dL/do_t, dL/dy_hat_t, dL/dh_0) and its parameter gradients. A long
sequence folds: the steps between the first `keep[0]` and the last `keep[1]` become one node
that says how many steps it stands for.
"""

from dataclasses import dataclass
from fractions import Fraction

from ..derive.bptt import grad as derive
from ..derive.forward import forward
from ..model.errors import InputError
from ..model.matrix import unit
from ..model.names import PARAMS, Quantity
from ..model.problem import Problem

SHARED = PARAMS                       # w_x w_h w_y b_h b_y h_0: one node each, every step uses
LEVELS = ("x", "a", "h", "o", "y_hat", "L")   # the per-step quantities, from input to loss


@dataclass(frozen=True)
class Node:
    id: str                 # the quantity's name: h_2, w_h, L; a fold is steps_3_8
    kind: str               # param | x | a | h | o | y_hat | L | loss (the total) | fold
    t: int | None = None
    value: object = None
    grad: object = None     # dL/d(node); None where not asked (or for x_t and a fold)
    first: int = 0          # a fold: the steps it stands for
    last: int = 0

    @property
    def steps(self) -> int:
        """How many steps a fold node stands for."""
        return self.last - self.first + 1 if self.kind == "fold" else 1


@dataclass(frozen=True)
class Graph:
    problem: Problem
    nodes: tuple[Node, ...]
    edges: tuple[tuple[str, str], ...]  # (from, to): the value of `from` is used by `to`
    shown: tuple[int, ...]              # the steps drawn in full, in order
    fold: Node | None = None
    grads: bool = False

    @property
    def ids(self) -> set[str]:
        return {n.id for n in self.nodes}

    def node(self, id: str) -> Node:
        return next(n for n in self.nodes if n.id == id)


def shown_steps(T: int, keep: tuple[int, int] | None) -> tuple[tuple[int, ...], tuple | None]:
    """The steps drawn in full and the (first, last) steps folded, if any."""
    if keep is None or T <= keep[0] + keep[1] + 1:
        return tuple(range(1, T + 1)), None
    first, last = keep
    return (*range(1, first + 1), *range(T - last + 1, T + 1)), (first + 1, T - last)


def unroll(problem: Problem, grads: bool = False,
           keep: tuple[int, int] | None = None) -> Graph:
    """The unrolled network of `problem`; with `grads`, each node's dL/d(node).

    >>> from rnn_cli.model.files import load
    >>> g = unroll(load(None, "assignment3"), grads=True)
    >>> g.node("h_2").value, g.node("h_2").grad, g.node("w_h").grad
    (Fraction(3, 1), Fraction(4, 1), Fraction(8, 1))
    """
    p = problem
    if p.cell != "rnn":
        raise InputError(f"graph draws only the plain RNN cell (cell = \"rnn\"); {p.name} is "
                         f"{'an LSTM' if p.cell == 'lstm' else 'a GRU'}: use forward, grad or "
                         "explain for it")
    fwd = forward(p)
    value = fwd.syms
    adjoint: dict[str, object] = {}
    if grads:
        d = derive(fwd, Quantity("L"), [Quantity(n) for n in SHARED if n != "h_0"], "delta")
        adjoint = {s.name.removeprefix("dL/d"): s.value for s in d.shared
                   if s.stage == "adjoint"}
        adjoint.update({g.wrt: g.value for g in d.gradients})

    def zero(base: str):
        return unit(p.size(base)[0], 0) if p.is_vector else Fraction(0)

    def gradient(base: str, t: int):
        """dL/d(base_t) from the recursion; where a quantity has no row of its own it equals
        the one it is the same as (a_t = h_t under identity, o_t = y_hat_t), or it is 0 (an
        output at a step with no target is used by nothing)."""
        if not grads or base == "x":
            return None
        if base == "L":
            return adjoint.get(f"L_{t}", Fraction(1))
        same = {"a": f"h_{t}", "o": f"y_hat_{t}"}
        found = adjoint.get(f"{base}_{t}", adjoint.get(same.get(base, ""), None))
        return zero(base) if found is None else found

    steps, folded = shown_steps(p.T, keep)
    nodes = [Node(n, "param", None, p.params[n], adjoint.get(n) if grads else None)
             for n in SHARED]
    edges: list[tuple[str, str]] = []
    fold = None
    prev = "h_0"
    for i, t in enumerate(steps):
        if folded and i and steps[i - 1] < folded[0] <= t - 1:
            fold = Node(f"steps_{folded[0]}_{folded[1]}", "fold", first=folded[0],
                        last=folded[1])
            nodes.append(fold)
            edges.append((prev, fold.id))
            prev = fold.id
        for base in LEVELS:
            if base == "L" and t not in p.y:
                continue
            nodes.append(Node(f"{base}_{t}", base, t, value[f"{base}_{t}"].value,
                              gradient(base, t)))
        # a_t = w_h h_{t-1} + w_x x_t + b_h, h_t = f(a_t), o_t = w_y h_t + b_y, y_hat_t = g(o_t)
        edges += [(prev, f"a_{t}"), (f"x_{t}", f"a_{t}"), ("w_h", f"a_{t}"),
                  ("w_x", f"a_{t}"), ("b_h", f"a_{t}"), (f"a_{t}", f"h_{t}"),
                  (f"h_{t}", f"o_{t}"), ("w_y", f"o_{t}"), ("b_y", f"o_{t}"),
                  (f"o_{t}", f"y_hat_{t}")]
        if t in p.y:
            edges += [(f"y_hat_{t}", f"L_{t}"), (f"L_{t}", "L")]
        prev = f"h_{t}"
    if fold is not None and any(fold.first <= t <= fold.last for t in p.y):
        edges.append((fold.id, "L"))
    nodes.append(Node("L", "loss", None, value["L"].value, Fraction(1) if grads else None))
    return Graph(p, tuple(nodes), tuple(edges), steps, fold, grads)
