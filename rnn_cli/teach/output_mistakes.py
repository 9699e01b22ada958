"""The classic slips of the cross-entropy shortcut dL_t/do_t = y_hat_t - y_t.

With a sigmoid or softmax output and cross-entropy, the derivation writes dL_t/do_t as the
product of dL_t/dy_hat_t and dy_hat_t/do_t, then as y_hat_t - y_t (derive/bptt.py). The slips
students make there, each made at every step (a habit, not a one-off):
- the sign: y_t - y_hat_t;
- a softmax target not made one-hot: the class number k subtracted from every entry
  (y_hat_t - k), or the 1 of the target subtracted from every entry (y_hat_t - 1).
"""

from ..derive.expr import Diff, Sym, const, sub
from ..model.matrix import Mat


def _shortcut_steps(graph):
    """The steps dL_t/do_t written as y_hat_t - y_t, with t."""
    for s in graph.steps:
        e = s.expr
        if isinstance(e, Diff) and isinstance(e.left, Sym) and isinstance(e.right, Sym) and \
                e.left.name.startswith("y_hat_") and e.right.name == "y_" + e.left.name[6:] \
                and "/do_" in s.name:
            yield s, int(e.left.name[6:])


def candidates(graph, problem, env):
    """(rank, swap, say) of each slip, in the form mistakes.py tries them."""
    p = problem
    if p.loss != "cross_entropy" or p.output not in ("sigmoid", "softmax"):
        return
    steps = list(_shortcut_steps(graph))
    if not steps:
        return
    yield 1, {s.name: Diff(-s.expr.value, s.expr.right, s.expr.left) for s, _ in steps}, \
        lambda v: ("the sign of the cross-entropy shortcut was flipped: dL_t/do_t = "
                   "y_t - y_hat_t was used instead of y_hat_t - y_t")
    if p.output != "softmax":
        return

    def filled(t, fill):
        y = env.get(f"y_{t}")
        if not isinstance(y, Mat):
            return None
        entries = list(y.entries())
        k = next((i + 1 for i, v in enumerate(entries) if v == 1), None)
        if k is None:
            return None
        return Mat.column([fill(k)] * len(entries))

    for fill, words in ((lambda k: k, "the class number k was subtracted from every entry: "
                                      "y_hat_t - k"),
                        (lambda k: 1, "the 1 of the target was subtracted from every entry: "
                                      "y_hat_t - 1")):
        swap = {}
        for s, t in steps:
            m = filled(t, fill)
            if m is not None:
                swap[s.name] = sub(s.expr.left, const(m))
        yield 1, swap or None, lambda v, w=words: (
            f"the target was not made one-hot: {w} instead of y_hat_t - y_t")

