"""Every output format holds every column and every step (issue 13, item 5), and the API's
results print as text outside Jupyter (item 6)."""

import json
import re
from xml.etree import ElementTree as ET

import pytest

import rnn_cli
from rnn_cli.render import checkout, latex, markdown
from rnn_cli.render.jsonout import grad_json
from rnn_cli.render.latex import check_tex, grad_tex, name
from rnn_cli.render.mathtext import sentence
from rnn_cli.render.table import grad_view, plain

KEY = "keys/assignment3-handwritten.toml"
COLUMNS = ("answer", "given", "correct value", "rule", "verdict", "diagnosis")

BCE = """
activation = "tanh"
output = "sigmoid"
loss = "cross_entropy"
[params]
w_x = 0.5
w_h = -1.5
w_y = 2
b_h = 0.2
h_0 = 0.5
[data]
x = [1.2, -0.7]
y = [1, 0]
"""


@pytest.fixture(scope="module")
def report():
    return rnn_cli.check(KEY).report


def test_check_table_markdown_latex_have_every_column(report):
    table = plain(checkout.check_view(report), width=200)
    md = checkout.check_md(report)
    tex = check_tex(report)
    head_md = next(line for line in md.splitlines() if line.startswith("| answer"))
    head_tex = next(line for line in tex.splitlines() if line.startswith("answer &"))
    for col in COLUMNS:
        assert col in table.splitlines()[2] or col in table, col
        assert f"| {col} |" in head_md + " |", col
        assert col in head_tex, col
    # and every answer with its verdict and rule, in every format
    for r in report.results:
        assert f"`{r.name}`" in md
        assert name(r.name) in tex
        row = next(line for line in md.splitlines() if line.startswith(f"| `{r.name}` |"))
        assert r.rule in row and r.verdict in row


def test_check_json_and_junit_have_every_field(report):
    doc = checkout.check_json(report)
    for res in doc["results"]:
        for key in ("name", "given", "expected", "rule", "verdict", "diagnosis"):
            assert key in res
    root = ET.fromstring(checkout.check_junit(report).split("\n", 1)[1])
    assert len(root.findall(".//testcase")) == len(report.results)


def test_check_latex_typesets_diagnoses_as_maths(report):
    tex = check_tex(report)
    # the seed page's mistake, with y_hat_1 = w_h h_1 as maths, never an escaped caret
    assert r"$\hat{y}_{1} = w_{h} \cdot h_{1} = 2$" in tex
    assert r"\textasciicircum" not in tex and r"\_" not in tex.split(r"\end{longtable}")[0]
    assert sentence("1 - a_t^2 instead of 1 - h_t^2") == r"$1 - a_{t}^{2}$ instead of $1 - h_{t}^{2}$"


def test_an_unreadable_answer_stays_text_in_latex(tmp_path):
    f = tmp_path / "k.toml"
    f.write_text('[params]\nw_x = 1\nw_h = 1\nw_y = 1\n[data]\nx = [1]\ny = [1]\n'
                 '[answers]\nh_1 = "$\\\\input{x}$ * h_1"\n')
    tex = check_tex(rnn_cli.check(f).report)
    assert r"\input" not in tex.replace(r"\textbackslash{}input", "")


@pytest.mark.parametrize("source", [None, BCE])
def test_grad_every_step_and_chain_in_every_format(source):
    p = rnn_cli.load(source) if source else rnn_cli.load()
    d = rnn_cli.grad(p, wrt="all").derivation
    steps = [*d.shared, *(s for g in d.gradients for s in g.steps)]
    table = plain(grad_view(d), width=250)
    md = markdown.grad_md(d)
    tex = grad_tex(d)
    js = json.dumps(grad_json(d))
    for s in steps:
        assert s.name in table, s.name
        assert f"`{s.name}`" in md, s.name
        assert name(s.name) in tex, s.name
        assert json.dumps(s.name) in js, s.name
        if s.chain is not None:     # the chain of derivative names, in every format
            chain = latex.latex(s.chain).replace(latex.BR, "")
            assert _flat(chain) in _flat(tex), (s.name, chain)
            assert chain in md, (s.name, chain)


def _flat(tex: str) -> str:
    """LaTeX without the line breaks equation() puts into long lines."""
    return re.sub(r"\s+|\\\\|&\\quad|&|\\right\.|\\left\.", "", tex)


def test_cross_entropy_shows_the_shortcut():
    d = rnn_cli.grad(rnn_cli.load(BCE), wrt="w_h")
    text = str(d)
    assert "= y_hat_1 - y_1" in text and "= y_hat_2 - y_2" in text
    # used downstream: the term for L_1 reads dL_1/do_1
    assert re.search(r"dL_1/dw_h\s+│ dL_1/do_1 \* do_1/dh_1", text), text


def test_str_is_the_plain_table_and_repr_is_short():
    p = rnn_cli.load()
    g = rnn_cli.grad(p, wrt="w_h")
    assert repr(g) == "<GradResult dL/dw_h = 8, 10 steps>"
    s = str(g)
    assert "\x1b" not in s and "dL_2/dw_h" in s and "2(6 - 5) * 2 * [2 + 1 * 1]" in s
    # the same table, line for line (trailing spaces aside)
    assert s.splitlines() == [line.rstrip() for line in plain(grad_view(g.derivation))
                              .rstrip("\n").splitlines()]
    f = rnn_cli.forward(p)
    assert repr(f) == "<ForwardResult assignment3: L = 2, 7 steps>" and "y_hat_2" in str(f)
    c = rnn_cli.check(KEY)
    assert repr(c) == "<CheckResult 11 answers: 4 correct, 5 consistent (error carried forward), 2 wrong>"
    assert "score 4/11" in str(c) and "\x1b" not in str(c)


def test_an_invalid_answer_is_listed_and_scored_in_every_format():
    report = rnn_cli.check("docs/examples/unreadable.toml").report
    outputs = {"table": plain(checkout.check_view(report), width=200),
               "markdown": checkout.check_md(report), "latex": check_tex(report),
               "junit": checkout.check_junit(report),
               "json": json.dumps(checkout.check_json(report), ensure_ascii=False)}
    why = "could not be read: expected a number or a formula, found a word 'three'"
    for fmt, out in outputs.items():
        assert "invalid" in out and "three" in out, fmt
        assert why in out.replace("\n", " "), fmt
    assert "score 2/3" in outputs["table"] and "score 2/3" in outputs["markdown"]
    assert not report.passed and not report.errors
    assert checkout.check_json(report)["summary"]["invalid"] == 1
