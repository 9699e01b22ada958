"""--format html of forward, grad, explain and check: one self-contained page (or a <div>
with fragment=True), MathML that parses as XML, no script, nothing fetched, and every string
from a file escaped."""

import re
from html.parser import HTMLParser
from xml.etree import ElementTree as ET

import pytest
from typer.testing import CliRunner

from rnn_cli.cli import app
from rnn_cli.derive.gated import run_forward, run_grad
from rnn_cli.model.files import load
from rnn_cli.render import html

runner = CliRunner()


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.attrs = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += attrs


def _parse(page: str) -> Tags:
    t = Tags()
    t.feed(page)
    assert "script" not in t.tags and "iframe" not in t.tags and "link" not in t.tags
    assert not any(k.startswith("on") for k, _ in t.attrs)
    assert not any(k in ("src", "href") for k, _ in t.attrs)      # nothing is fetched
    for m in re.findall(r"<math\b.*?</math>", page, re.S):
        ET.fromstring(m)                                           # well-formed MathML
    return t


@pytest.mark.parametrize("args", [
    ["forward"], ["grad", "--wrt", "all"], ["grad", "--wrt", "w_h", "-p", "softmax_2unit"],
    ["grad", "--wrt", "w_hf", "-p", "lstm_1unit"], ["forward", "--x", ",".join(["1"] * 30), "--outputs", "last", "--y", "1",
                                                    "--activation", "tanh", "--w-h", "0.5"],
    ["explain", "vanishing", "--activation", "tanh", "--w-h", "0.8", "--steps", "12"],
    ["explain", "bptt"], ["explain", "seq2seq"]])
def test_pages_are_self_contained(args):
    r = runner.invoke(app, [*args, "--format", "html"])
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("<!DOCTYPE html>") and r.stdout.rstrip().endswith("</html>")
    t = _parse(r.stdout)
    if args[0] != "explain":
        assert "math" in t.tags
    if args[:2] == ["explain", "vanishing"]:
        assert "svg" in t.tags and "polyline" in t.tags


def test_the_seed_typeset():
    """dL/dw_h of the seed: the fraction of partials, the bracket of paths, the value 8."""
    p = load(None, "assignment3")
    d = run_grad(run_forward(p), p.resolve("L").wrt, [p.resolve("w_h").wrt])
    page = html.grad_html(d)
    assert "<mfrac><mrow><mo>∂</mo><mrow><mi>L</mi></mrow></mrow>" in page
    assert "<mover accent=\"true\"><mi>y</mi><mo>^</mo></mover>" in page     # y_hat
    row = page[page.rindex("<tr>"):]
    assert row.count("<mn>8</mn>") == 1                                      # -4 + 12 = 8
    assert "<mo>−</mo><mn>4</mn></mrow><mo>+</mo><mn>12</mn>" in row


def test_fragments_for_a_notebook():
    p = load(None, "assignment3")
    fwd = run_forward(p)
    from rnn_cli.teach.explain import run
    from rnn_cli.teach.check import check_files
    from conftest import ROOT
    for page in (html.forward_html(fwd, fragment=True),
                 html.grad_html(run_grad(fwd, p.resolve("L").wrt, [p.resolve("w_x").wrt]),
                                fragment=True),
                 html.explain_html(run("bptt", p), fragment=True),
                 html.check_html(check_files([ROOT / "keys" / "assignment3-handwritten.toml"]),
                                 fragment=True)):
        assert page.startswith('<div class="rnn-solve">') and page.endswith("</div>")
        assert "<html" not in page and "<head" not in page
        _parse(page)


def test_strings_from_files_are_escaped(tmp_path):
    f = tmp_path / "p.toml"
    f.write_text('title = "<img src=x onerror=alert(1)> & </math><script>x</script>"\n'
                 '[params]\nw_x = 1\nw_h = 1\nw_y = 1\n[data]\nx = [1]\ny = [1]\n'
                 '[answers]\nh_1 = "<b>2</b>"\n')
    for args in (["forward", "-f", f], ["grad", "--wrt", "w_h", "-f", f]):
        r = runner.invoke(app, [*map(str, args), "--format", "html"])
        assert r.exit_code == 0
        t = _parse(r.stdout)
        assert "img" not in t.tags and "&lt;img src=x onerror=alert(1)&gt; &amp;" in r.stdout
    evil = tmp_path / "<svg onload=alert(1)>.toml"
    evil.write_text(f.read_text())
    r = runner.invoke(app, ["check", str(evil), "--format", "html"])
    t = _parse(r.stdout)
    assert "b" not in t.tags and "&lt;svg onload=alert(1)&gt;" in r.stdout
    assert "svg" not in t.tags          # a plain key has no class charts


def test_control_characters_are_shown_not_sent():
    assert html.esc("a\x1b[2Jb\u202e") == "a\\x1b[2Jb\\u202e"
