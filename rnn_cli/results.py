"""What the Python API returns: a result per command, holding the derivation it came from.

Every result renders itself the ways the command line does, each format made when asked (so
building a result loads no rendering library): `str()` the plain-text tables, `repr()` one
line, `to_dict()` / `to_json()` the `--format json` object and text, and for Jupyter
`_repr_html_` (the typeset page of `--format html`), `_repr_markdown_`, `_repr_latex_`, and
`__rich__` for `rich.print`. Values come out as Python and NumPy values: a Fraction where
the problem is exact and rational, a float where it is not (tanh, sigmoid), a float64 NumPy
array for a vector or matrix.

    >>> import rnn_cli
    >>> g = rnn_cli.grad("assignment3", wrt="w_h")
    >>> g
    <GradResult dL/dw_h = 8, 10 steps>
    >>> g.value, g.to_numpy()
    (Fraction(8, 1), array(8.))
    >>> g.to_dict()["gradients"]["w_h"]["value"]        # the JSON of rnn-solve grad
    8
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any, ClassVar, Union

from .model.errors import InputError

if TYPE_CHECKING:
    import numpy
    import numpy.typing

    from .model.problem import Problem

Value = Union[Fraction, float, "numpy.typing.NDArray[numpy.float64]"]


def python_value(x: Any, matrix: bool = False) -> Value:
    """A derivation's value for Python: a Fraction stays, an mpmath number becomes the
    nearest float, a vector a 1-D float64 array, a matrix (or `matrix`) a 2-D one."""
    if isinstance(x, Fraction):
        return x
    if hasattr(x, "rows"):
        import numpy as np
        arr = np.array([[float(v) for v in r] for r in x.rows], dtype=np.float64)
        return arr[:, 0] if x.shape[1] == 1 and not matrix else arr
    return float(x)


def _array(x: Value) -> numpy.typing.NDArray[numpy.float64]:
    import numpy as np
    return np.asarray(x, dtype=np.float64)


def _short(x: Value) -> str:
    if isinstance(x, Fraction):
        return str(x)
    if isinstance(x, float):
        return f"{x:.6g}"
    if type(x).__module__.startswith("sympy"):      # a closed form, on one line
        text = str(x)
        return text if len(text) <= 60 else text[:57] + "..."
    return "x".join(str(n) for n in x.shape) + " array"


def _plain_text(renderable: Any) -> str:
    """A Rich renderable as plain text, 120 columns wide, no colour."""
    import io

    from rich.console import Console
    buf = io.StringIO()
    Console(file=buf, width=120, color_system=None, highlight=False, soft_wrap=False,
            force_jupyter=False, force_terminal=False).print(renderable)   # in a kernel too
    return "\n".join(line.rstrip() for line in buf.getvalue().rstrip("\n").splitlines())


def _html(function: str, *args: Any, fallback: str) -> str:
    """The page of `--format html` as a fragment for Jupyter (MathML formulas, inline SVG
    charts): rnn_cli.render.html's `function`; where that is not there, the plain-text
    tables in a <pre>."""
    try:
        from .render import html as page
        out: str = getattr(page, function)(*args, fragment=True)
    except ImportError:    # the page's renderer, or a part of it, is not installed
        return f'<pre class="rnn-solve">{html.escape(fallback)}</pre>'
    return out


def _dumps(obj: dict[str, Any]) -> str:
    from .render.jsonout import dumps
    text: str = dumps(obj)
    return text


class _Result:
    """What every result does alike: the JSON text is its `to_dict()` dumped, the plain
    text its Rich view printed without colour."""

    def to_dict(self) -> dict[str, Any]:
        raise NotImplementedError

    def __rich__(self) -> Any:
        raise NotImplementedError

    def to_json(self) -> str:
        """The text of `--format json`."""
        return _dumps(self.to_dict())

    def __str__(self) -> str:
        return _plain_text(self.__rich__())


@dataclass(frozen=True)
class _DerivationResult(_Result):
    """What a forward pass and a gradient have in common: one derivation, printed by the
    render functions named after the command (`forward_json`, `forward_view`, ... or
    `grad_json`, `grad_view`, ...), so that the Python value and the command line can never
    show two different things."""
    derivation: Any
    digits: int = 6
    all_steps: bool = False
    notation: str = "canonical"

    command: ClassVar[str]     # "forward" or "grad": the command and its render functions

    def to_dict(self) -> dict[str, Any]:
        """The object `rnn-solve forward --format json` (or `grad`) prints."""
        from .render import jsonout
        out: dict[str, Any] = getattr(jsonout, f"{self.command}_json")(self.derivation,
                                                                       self.all_steps)
        return out

    def _view(self) -> Any:
        from .render.rows import View
        return View(self.digits, self.all_steps, self.notation)

    def __rich__(self) -> Any:
        from .render import table
        return getattr(table, f"{self.command}_view")(self.derivation, self._view())

    def _repr_html_(self) -> str:
        return _html(f"{self.command}_html", self.derivation, self._view(), fallback=str(self))

    def _repr_markdown_(self) -> str:
        from .render import markdown
        out: str = getattr(markdown, f"{self.command}_md")(self.derivation, self._view())
        return out

    def _repr_latex_(self) -> str:
        from .render import latex
        out: str = getattr(latex, f"{self.command}_tex")(self.derivation, self._view(),
                                                          math=True)
        return out


@dataclass(frozen=True)
class ForwardResult(_DerivationResult):
    """The forward pass: each step's formula and value, and the loss.

    `.value` is the loss L; `result["h_2"]` any quantity of the problem."""
    command: ClassVar[str] = "forward"

    @property
    def problem(self) -> Problem:
        p: Problem = self.derivation.problem
        return p

    @property
    def loss(self) -> Value:
        """The total loss L."""
        return python_value(self.derivation.value("L"))

    @property
    def value(self) -> Value:
        """The total loss L (as `rnn-solve forward` ends with)."""
        return self.loss

    @property
    def steps(self) -> tuple[Any, ...]:
        """Every step written out, in order: each has `name`, `expr` and `value`."""
        steps: tuple[Any, ...] = self.derivation.steps
        return steps

    def __getitem__(self, name: str) -> Value:
        """The value of a quantity: h_2, y_hat_1, L_2, L."""
        if not isinstance(name, str):
            from .model.errors import WrongType
            raise WrongType(f"expected a quantity's name such as 'h_2', found "
                            f"{type(name).__name__}", where="name")
        q = self.problem.quantity(name, "name")
        key = "L" if q.base == "L" and q.t is None else str(q)
        return python_value(self.derivation.value(key))

    def to_numpy(self) -> dict[str, numpy.typing.NDArray[numpy.float64]]:
        """Each per-step quantity stacked over the steps (shape (T,) or (T, size)), the
        per-step losses L_t (NaN at a step with no target) and L."""
        import numpy as np
        d = self.to_dict()
        out = {b: np.array([s[b] for s in d["steps"]], dtype=np.float64)
               for b in (*self.problem.step_bases,)}
        out["L_t"] = np.array([np.nan if s["loss"] is None else s["loss"] for s in d["steps"]],
                              dtype=np.float64)
        out["L"] = np.asarray(d["loss"], dtype=np.float64)
        return out

    def __repr__(self) -> str:
        return f"<ForwardResult {self.problem.name}: L = {_short(self.loss)}, " \
               f"{len(self.steps)} steps>"


@dataclass(frozen=True)
class GradResult(_DerivationResult):
    """Gradients d(of)/d(wrt), each with every chain-rule step; in symbols (`symbolic`),
    each value is its closed form, a SymPy expression."""
    command: ClassVar[str] = "grad"

    @property
    def symbolic(self) -> bool:
        """Whether the derivation is in symbols (derive/symbolic.py) rather than numbers."""
        from .derive.symbolic import SymbolicDerivation
        return isinstance(self.derivation, SymbolicDerivation)

    @property
    def problem(self) -> Problem:
        p: Problem = self.derivation.forward.problem
        return p

    @property
    def steps(self) -> tuple[Any, ...]:
        """Every step, in the order the tables show them: the shared recursion (delta
        style), then each gradient's own steps; each has `name`, `expr` and `value`."""
        return (*self.derivation.shared, *(s for g in self.derivation.gradients
                                           for s in g.steps))

    @property
    def gradients(self) -> dict[str, Value]:
        """wrt name -> value (a weight's gradient has the weight's shape; in symbols, the
        SymPy closed form)."""
        if self.symbolic:
            return {g.wrt: g.closed for g in self.derivation.gradients}
        from .render.rows import is_matrix
        return {g.wrt: python_value(g.value, is_matrix(g.wrt))
                for g in self.derivation.gradients}

    @property
    def value(self) -> Value:
        """The value, where one gradient was asked for (else read `.gradients[name]`)."""
        values = self.gradients
        if len(values) != 1:
            raise InputError(f"{len(values)} gradients ({', '.join(values)}): read "
                             ".gradients[name]", where="value")
        return next(iter(values.values()))

    def to_numpy(self) -> numpy.typing.NDArray[numpy.float64]:
        """The value as a float64 array (one gradient; shaped like the quantity)."""
        if self.symbolic:
            raise InputError("a gradient in symbols has no numbers: substitute them first, "
                             ".value.subs({'w_h': 1, ...})", where="to_numpy")
        return _array(self.value)

    # in symbols the tables, JSON and Markdown come from render/symbolic.py
    def to_dict(self) -> dict[str, Any]:
        """The object `rnn-solve grad --format json` prints."""
        if self.symbolic:
            from .render.symbolic import grad_json as symbolic_json
            out: dict[str, Any] = symbolic_json(self.derivation)
            return out
        return super().to_dict()

    def __rich__(self) -> Any:
        if self.symbolic:
            from .render.symbolic import grad_view as symbolic_view
            return symbolic_view(self.derivation, self._view())
        return super().__rich__()

    def __repr__(self) -> str:
        of = self.derivation.of
        values = ", ".join(f"d{of}/d{k} = {_short(v)}" for k, v in self.gradients.items())
        return f"<GradResult {values}, {len(self.steps)} steps>"

    # in symbols there is no HTML page nor a MathJax-ready LaTeX: None, and Jupyter shows
    # the Markdown (its formulas as $...$)
    def _repr_html_(self) -> str | None:  # type: ignore[override]
        return None if self.symbolic else super()._repr_html_()

    def _repr_markdown_(self) -> str:
        if self.symbolic:
            from .render.symbolic import grad_md as symbolic_md
            out: str = symbolic_md(self.derivation, self._view())
            return out
        return super()._repr_markdown_()

    def _repr_latex_(self) -> str | None:  # type: ignore[override]
        return None if self.symbolic else super()._repr_latex_()


class Chart:
    """A topic's chart: a PNG in a notebook (`_repr_png_`), `.figure` for matplotlib."""

    def __init__(self, topic: Any) -> None:
        self.topic = topic

    @property
    def figure(self) -> Any:
        """The chart as a matplotlib Figure."""
        from .render.explainout import topic_figure
        from .teach.explain import CHARTED
        return topic_figure(self.topic, CHARTED, "chart")

    def to_png(self) -> bytes:
        """The chart as PNG bytes."""
        from .render.explainout import topic_png
        from .teach.explain import CHARTED
        png: bytes = topic_png(self.topic, CHARTED, "chart")
        return png

    def _repr_png_(self) -> bytes:
        return self.to_png()

    def __repr__(self) -> str:
        return f"<Chart {self.topic.chart.title}>"


@dataclass(frozen=True)
class ExplainResult(_Result):
    """A topic worked with the problem's numbers: prose, tables, an answer, maybe a chart."""
    topic: Any

    @property
    def answer(self) -> str:
        """The closing answer, as a student could hand it in."""
        answer: str = self.topic.answer
        return answer

    @property
    def tables(self) -> tuple[Any, ...]:
        """The tables: each with `title`, `columns` and `rows`."""
        tables: tuple[Any, ...] = self.topic.tables
        return tables

    def chart(self) -> Chart:
        """The chart (vanishing, exploding, lstm, gru): Jupyter shows it as a PNG. Needs
        matplotlib (pip install 'rnn-solve[plot]')."""
        from .teach.explain import CHARTED
        if self.topic.chart is None:
            raise InputError(f"the topic {self.topic.name!r} has no chart; charts come "
                             "with: " + ", ".join(CHARTED), where="chart")
        return Chart(self.topic)

    def to_dict(self) -> dict[str, Any]:
        """The object `rnn-solve explain TOPIC --format json` prints."""
        from .render.explainout import topic_json
        out: dict[str, Any] = topic_json(self.topic)
        return out

    def __rich__(self) -> Any:
        from .render.explainout import topic_view
        return topic_view(self.topic)

    def __repr__(self) -> str:
        return f"<ExplainResult {self.topic.name}: {self.topic.title}>"

    def _repr_html_(self) -> str:
        return _html("explain_html", self.topic, fallback=str(self))

    def _repr_markdown_(self) -> str:
        from .render.explainout import topic_md
        out: str = topic_md(self.topic)
        return out

    def _repr_latex_(self) -> str:
        from .render.latex import topic_tex
        out: str = topic_tex(self.topic, False)
        return out


@dataclass(frozen=True)
class GraphResult(_Result):
    """The unrolled network: nodes (quantities and weights, with values and gradients) and
    the edges between them."""
    graph: Any
    digits: int = 4

    @property
    def nodes(self) -> tuple[Any, ...]:
        """Each node: `id`, `kind`, `t`, `value`, `grad` (None where not asked)."""
        nodes: tuple[Any, ...] = self.graph.nodes
        return nodes

    @property
    def edges(self) -> tuple[tuple[str, str], ...]:
        edges: tuple[tuple[str, str], ...] = self.graph.edges
        return edges

    def node(self, id: str) -> Any:
        """The node named `id` (h_2, w_h, L), its values as Python values."""
        from dataclasses import replace
        for n in self.graph.nodes:
            if n.id == id:
                return replace(n, value=None if n.value is None else python_value(n.value),
                               grad=None if n.grad is None else python_value(n.grad))
        from .model.errors import unknown
        raise unknown("node", id, [n.id for n in self.graph.nodes], where="node")

    def to_dot(self) -> str:
        """Graphviz DOT text (`rnn-solve graph --format dot`)."""
        from .render.graph import graph_dot
        dot: str = graph_dot(self.graph, self.digits)
        return dot

    def to_svg(self) -> str:
        """An SVG drawing (needs Graphviz's dot program)."""
        from .render.graph import render_image
        svg: bytes = render_image(self.to_dot(), "svg")
        return svg.decode("utf-8")

    def to_dict(self) -> dict[str, Any]:
        """Nodes and edges, values as JSON numbers (exact ones also as strings)."""
        from .render.jsonout import value_fields
        nodes = []
        for n in self.graph.nodes:
            item: dict[str, Any] = {"id": n.id, "kind": n.kind, "t": n.t}
            if n.value is not None:
                item.update(value_fields(n.value))
            if n.grad is not None:
                item.update(value_fields(n.grad, "grad"))
            nodes.append(item)
        return {"problem": self.graph.problem.name, "nodes": nodes,
                "edges": [list(e) for e in self.graph.edges]}

    def __rich__(self) -> Any:
        from .render.graph import graph_view
        return graph_view(self.graph, self.digits)

    def __str__(self) -> str:
        from .render.graph import graph_text
        text: str = graph_text(self.graph, self.digits)
        return text.rstrip("\n")

    def __repr__(self) -> str:
        return f"<GraphResult {self.graph.problem.name}: {len(self.graph.nodes)} nodes, " \
               f"{len(self.graph.edges)} edges>"

    def _repr_svg_(self) -> str | None:
        """Jupyter draws the graph where Graphviz is installed (else shows the text)."""
        try:
            return self.to_svg()
        except InputError:
            return None


@dataclass(frozen=True)
class CheckResult(_Result):
    """Checked answer keys: a verdict per answer, and the files that could not be read."""
    report: Any
    digits: int = 6

    @property
    def passed(self) -> bool:
        """Every answer correct, and every file read."""
        passed: bool = self.report.passed
        return passed

    @property
    def results(self) -> tuple[Any, ...]:
        """Each answer: `file`, `problem`, `name`, `verdict`, `expected`, `diagnosis`."""
        results: tuple[Any, ...] = self.report.results
        return results

    @property
    def errors(self) -> tuple[str, ...]:
        """The files or problems that could not be checked, one line each."""
        errors: tuple[str, ...] = self.report.errors
        return errors

    @property
    def value(self) -> Fraction:
        """The score: the fraction of answers correct."""
        n = len(self.results)
        return Fraction(sum(r.verdict == "correct" for r in self.results), n or 1)

    def to_dict(self) -> dict[str, Any]:
        """The object `rnn-solve check --format json` prints."""
        from .render.checkout import check_json
        out: dict[str, Any] = check_json(self.report)
        return out

    def __rich__(self) -> Any:
        from .render.checkout import check_view
        return check_view(self.report, self.digits)

    def __repr__(self) -> str:
        from .render.checkout import summary
        return f"<CheckResult {summary(self.report).partition(';')[0]}>"

    def _repr_html_(self) -> str:
        return _html("check_html", self.report, self.digits, fallback=str(self))

    def _repr_markdown_(self) -> str:
        from .render.checkout import check_md
        out: str = check_md(self.report, self.digits)
        return out

    def _repr_latex_(self) -> str:
        from .render.latex import check_tex
        out: str = check_tex(self.report, self.digits)
        return out


