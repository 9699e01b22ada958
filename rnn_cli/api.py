"""The Python API, for notebooks and scripts: load a problem, run it, check a key.

Each result is a plain frozen dataclass holding the derivation; `to_json()` gives the
command line's `--format json` object, and Jupyter shows a result through `_repr_markdown_`
and `_repr_latex_` (rendered when asked, so importing this module loads no rendering code).

    >>> import rnn_cli
    >>> p = rnn_cli.load({"params": {"w_x": 0.1, "w_h": 1, "w_y": 2, "h_0": 1},
    ...                   "data": {"x": [10, 10], "y": [5, 5]}})
    >>> rnn_cli.forward(p).loss
    Fraction(2, 1)
    >>> rnn_cli.grad(p, wrt="w_h").value
    Fraction(8, 1)
"""

from dataclasses import dataclass
from pathlib import Path

from .derive.bptt import Derivation
from .teach.check import Report, check_files
from .model.errors import InputError
from .derive.forward import Forward
from .derive.gated import run_forward as run
from .derive.gated import run_grad as derive
from .model.problem import Problem, build


def load(source=None, problem: str | None = None) -> Problem:
    """A problem from a dict, a TOML string, a file, or the built-in examples.

    Args:
        source: a dict shaped like a problem table ({"params": ..., "data": ...}) or like a
            file of named problems; a string holding TOML (it has an '=' or a line break);
            a path (a `pathlib.Path`, or a string without '=' or line breaks); or None for
            the built-in problems.
        problem: the problem's name where the source holds several (for None: a built-in
            name, default assignment3).
    Returns:
        The validated Problem. Bad input raises rnn_cli.model.errors.InputError (one clear line).
    """
    from .model import files
    if source is None or isinstance(source, Path) or \
            isinstance(source, str) and "=" not in source and "\n" not in source:
        return files.load(None if source is None else str(source), problem)
    if isinstance(source, str):
        found, where = files.tables(files.parse_toml(source, "TOML text"), "TOML text"), \
            "TOML text"
    elif isinstance(source, dict):
        files.check_depth(source, "dict")
        found, where = files.tables(source, "dict"), "dict"
    else:
        raise InputError(f"expected a dict, a TOML string or a path, found "
                         f"{type(source).__name__}", where="rnn_cli.load")
    name, table = files.pick(found, problem, where)
    return build(table, name if len(found) > 1 or name != where else "problem",
                 f"{where}: [{name}]" if len(found) > 1 else where)


@dataclass(frozen=True)
class ForwardResult:
    """The forward pass: each step's formula and value, and the loss."""
    derivation: Forward

    @property
    def problem(self) -> Problem:
        return self.derivation.problem

    @property
    def loss(self):
        return self.derivation.value("L")

    @property
    def steps(self) -> tuple:
        """Every step written out, in order: each has `name`, `expr` and `value`."""
        return self.derivation.steps

    def value(self, name: str):
        """The value of a quantity: h_2, y_hat_1, L_2, L."""
        q = self.problem.quantity(name, "name")
        return self.derivation.value("L" if q.base == "L" and q.t is None else str(q))

    def to_json(self) -> dict:
        from .render.jsonout import forward_json
        return forward_json(self.derivation)

    def _repr_markdown_(self) -> str:
        from .render.markdown import forward_md
        return forward_md(self.derivation)

    def _repr_latex_(self) -> str:
        from .render.latex import forward_tex
        return forward_tex(self.derivation, math=True)


@dataclass(frozen=True)
class GradResult:
    """Gradients d(of)/d(wrt), each with every chain-rule step."""
    derivation: Derivation

    @property
    def steps(self) -> tuple:
        """Every step, in the order the tables show them: the shared recursion (delta
        style), then each gradient's own steps; each has `name`, `expr` and `value`."""
        return (*self.derivation.shared, *(s for g in self.derivation.gradients
                                           for s in g.steps))

    @property
    def gradients(self) -> dict:
        """wrt name -> value."""
        return {g.wrt: g.value for g in self.derivation.gradients}

    @property
    def value(self):
        """The value, where one gradient was asked for."""
        if len(self.derivation.gradients) != 1:
            raise InputError("several gradients: read .gradients[name]", where="value")
        return self.derivation.gradients[0].value

    def to_json(self) -> dict:
        from .render.jsonout import grad_json
        return grad_json(self.derivation)

    def _repr_markdown_(self) -> str:
        from .render.markdown import grad_md
        return grad_md(self.derivation)

    def _repr_latex_(self) -> str:
        from .render.latex import grad_tex
        return grad_tex(self.derivation, math=True)


@dataclass(frozen=True)
class CheckResult:
    """Checked answer keys: a verdict per answer."""
    report: Report

    @property
    def passed(self) -> bool:
        return self.report.passed

    @property
    def results(self) -> tuple:
        return self.report.results

    def to_json(self) -> dict:
        from .render.checkout import check_json
        return check_json(self.report)

    def _repr_markdown_(self) -> str:
        from .render.checkout import check_md
        return check_md(self.report)

    def _repr_latex_(self) -> str:
        from .render.latex import check_tex
        return check_tex(self.report)


def forward(problem: Problem, all_steps: bool = False) -> ForwardResult:
    """The forward pass of `problem` (from load), step by step. A large problem is evaluated
    in float64 with the first and last steps written out (every step with `all_steps`)."""
    return ForwardResult(run(problem, brief=True, all_steps=all_steps))


def grad(problem: Problem, wrt="w_h", of: str = "L", style: str | None = None,
         progress=None, *, called=("of", "wrt"), all_steps: bool = False) -> GradResult:
    """d(of)/d(wrt) with every chain-rule step.

    Args:
        problem: from load.
        wrt: a name (w_h, h_1, w_y[2,1], ...), 'all' for every parameter, or a list of them.
        of: the quantity differentiated (L, L_2, y_hat_2, h_2, ...).
        style: 'paths' (every chain-rule path, as by hand) or 'delta' (the recursion);
            by default paths up to T = 4 in scalar problems.
        progress: called with (done, total) as the work goes on, or None.
        called: what error messages call `of` and `wrt` (the command line: its flags).
        all_steps: for a large problem (evaluated in float64), write out every step, not
            just the first and last.
    """
    names = [wrt] if isinstance(wrt, str) else list(wrt)
    names = [n for w in names for n in (problem.param_names if w.strip().lower() == "all"
                                        else [w])]
    of_q = problem.quantity(of, called[0], differentiable=True)
    wrts = list(dict.fromkeys(problem.quantity(n, called[1]) for n in names))
    # dL/d(.) of a large problem in float64, writing out only the steps shown
    brief = of_q.base == "L" and of_q.t is None and style != "paths"
    return GradResult(derive(run(problem, brief=brief, all_steps=all_steps), of_q, wrts,
                             style, progress))


def symbolic_forward(problem: Problem):
    """The forward pass of a problem with symbols (`symbols = "all"`, or a list): every
    quantity in the base symbols, each answer's closed form (derive.symbolic)."""
    from .derive.symbolic import symbolic_forward as read
    return read(run(problem))


def symbolic_grad(problem: Problem, wrt="w_h", of: str = "L", style: str | None = None, *,
                  called=("of", "wrt")):
    """d(of)/d(wrt) of a problem with symbols: the numeric derivation's every step read over
    SymPy, each gradient's closed form."""
    from .derive.symbolic import symbolic_grad as read
    return read(grad(problem, wrt, of, style, called=called).derivation)


def general_grad(problem: Problem, wrt="w_h", of: str = "L", *, called=("of", "wrt")):
    """The BPTT formulas for any T (SymPy Sum and Product), each checked against this
    problem's unrolled closed form (derive.general)."""
    from .derive.general import general
    names = [wrt] if isinstance(wrt, str) else list(wrt)
    return general(problem, names, of, called)


def check(paths) -> CheckResult:
    """Check the answer keys in a file or a list of files."""
    paths = [paths] if isinstance(paths, (str, Path)) else list(paths)
    return CheckResult(check_files(paths))
