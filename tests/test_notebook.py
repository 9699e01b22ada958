"""docs/notebook.ipynb, the worked assignment, run cell by cell in a real Jupyter kernel: no
cell fails, the numbers are the handwritten solution's, and each result displays as HTML
(the chart as a PNG). Needs the notebook extra: pip install '.[notebook,plot]'."""

import copy

import pytest

from conftest import ROOT

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("matplotlib")

NOTEBOOK = ROOT / "docs" / "notebook.ipynb"


@pytest.fixture(scope="module")
def cells() -> dict:
    """Each tagged code cell's outputs after running the notebook from docs/, as a user
    opening it there would."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    run = copy.deepcopy(nb)
    nbclient.NotebookClient(run, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT / "docs")}}).execute()
    out = {}
    for cell in run.cells:
        if cell.cell_type == "code":
            for tag in cell.metadata.get("tags", []):
                out[tag] = cell.outputs
    return out


def _result(outputs) -> dict:
    """The data of a cell's execute_result (what the last line displays)."""
    found = [o for o in outputs if o.output_type == "execute_result"]
    assert len(found) == 1, outputs
    return found[0]["data"]


def test_the_stored_notebook_has_no_outputs():
    """Kept without outputs: what readers see is what the tests produce."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
    nbformat.validate(nb)


def test_no_cell_fails(cells):
    for tag, outputs in cells.items():
        assert not [o for o in outputs if o.output_type == "error"], tag


@pytest.mark.parametrize("tag, summary", [
    ("forward", "<ForwardResult assignment3: L = 2,"),
    ("paths", "<GradResult dL/dw_h = 8,"),
    ("delta", "<GradResult dL/dw_h = 8,"),
    ("explain", "<ExplainResult vanishing:"),
    ("check", "<CheckResult 11 answers: 4 correct"),
])
def test_results_display_as_html(cells, tag, summary):
    data = _result(cells[tag])
    assert data["text/plain"].startswith(summary), data["text/plain"]
    html = data["text/html"]
    assert html.lstrip().startswith("<") and len(html) > 200
    assert "text/markdown" in data and "text/latex" in data
    if tag in ("forward", "paths", "delta"):
        assert "<math" in html and "<script" not in html      # typeset formulas, as MathML
    if tag == "explain":
        assert "<svg" in html                                   # the chart, inline
    if tag == "check":
        assert "<table" in html and "wrong" in html


def test_the_numbers_are_the_handwritten_solutions(cells):
    """h_1 = 1*1 + 0.1*10 = 2, h_2 = 3, y_hat_2 = 6, L = 1 + 1 = 2; dL/dw_h = 0*1 + 4*2 = 8
    both ways."""
    assert _result(cells["forward-values"])["text/plain"] == \
        "(Fraction(2, 1), Fraction(3, 1), Fraction(6, 1), Fraction(2, 1))"
    assert _result(cells["agree"])["text/plain"] == "(Fraction(8, 1), Fraction(8, 1), True)"
    html = _result(cells["paths"])["text/html"]
    assert "<mn>12</mn>" in html and "<mn>8</mn>" in html   # -4 + 12 = 8, in MathML


def test_numpy_gradients_come_back_shaped(cells):
    text = _result(cells["numpy"])["text/plain"]
    assert text.startswith("array([[") and text.count("[") == 3     # 2 x 2, like w_h


def test_the_chart_is_an_image(cells):
    data = _result(cells["chart"])
    assert "image/png" in data and len(data["image/png"]) > 1000


def test_the_key_check_names_the_wrong_answers(cells):
    text = _result(cells["verdicts"])["text/plain"]
    assert "'wrong'" in text and "'consistent'" in text
