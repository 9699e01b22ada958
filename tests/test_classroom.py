"""`check SUBMISSIONS... --keys`: a class of submissions made here from the variants (answers
computed by the hand oracle of test_variants, never by rnn-solve), some right, some with the
seed page's mistakes, some copied, one with edited weights, one naming no student."""

import csv
import io
import json
import tomllib
from fractions import Fraction
from html.parser import HTMLParser

import pytest
from typer.testing import CliRunner

from rnn_cli.cli import app
from test_variants import oracle

runner = CliRunner()
N = 200
MISTAKES = range(101, 151)     # the seed page's two mistakes
COPIES = range(151, 176)       # copied from the next student
EDITED = 176                   # weights edited to fit its answers
RIGHT = [i for i in range(1, N + 1) if i not in MISTAKES and i not in COPIES and i != EDITED]


def _run(*args):
    return runner.invoke(app, [str(a) for a in args])


def _text(v: Fraction) -> str:
    return str(v.numerator) if v.denominator == 1 else f'"{v.numerator}/{v.denominator}"'


def _submit(path, problem_text: str, answers: dict, extra: str = ""):
    lines = [problem_text, extra, "[answers]"]
    lines += [f'{json.dumps(k)} = {_text(v) if isinstance(v, Fraction) else v}'
              for k, v in answers.items()]
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def klass(tmp_path_factory):
    """200 variants and 200 submissions: most right; s101-s150 with the seed page's
    mistakes (y_hat_1 = w_h h_1, the h_0 path of dL_2/dw_h dropped); s151-s175 copied from
    the next student; s176 with its weights edited to fit wrong answers."""
    root = tmp_path_factory.mktemp("klass")
    assert _run("variants", "assignment3", "--count", N, "--seed", 7, "-o",
                root / "v").exit_code == 0
    keys = tomllib.loads((root / "v" / "keys.toml").read_text())
    subs = root / "subs"
    subs.mkdir()
    truth = {}
    for i in range(1, N + 1):
        sid = f"s{i:03}"
        text = (root / "v" / "problems" / f"{sid}.toml").read_text()
        answers, paths = oracle(keys[sid]["params"], keys[sid]["data"])
        truth[sid] = answers
        if i in MISTAKES:
            p = {k: Fraction(str(v)) for k, v in keys[sid]["params"].items()}
            answers = dict(answers)
            answers["y_hat_1"] = p["w_h"] * answers["h_1"]        # question 2's slip
            answers["dL_2/dw_h"] = paths[1]                       # the h_0 path dropped
            answers = {k: answers[k] for k in ("h_1", "h_2", "y_hat_1", "dL_2/dw_h")}
        elif i in COPIES:
            other = f"s{i + 1:03}"
            answers, _ = oracle(keys[other]["params"], keys[other]["data"])
        elif i == EDITED:
            edited = {k: Fraction(str(v)) * 3 for k, v in keys[sid]["params"].items()}
            answers, _ = oracle(edited, keys[sid]["data"])
            text = text.replace("[params]", "[params]\n# edited") + ""
            import re
            for k, v in edited.items():
                text = re.sub(rf"(?m)^{k} = .*$", f"{k} = {_text(v)}", text)
        _submit(subs / f"{sid}.toml", text, answers)
    return root, keys, truth


def _check(root, *extra):
    files = sorted((root / "subs").glob("*.toml"))
    return _run("check", *files, "--keys", root / "v" / "keys.toml", *extra)


def test_scores_match_the_variants(klass):
    root, keys, truth = klass
    r = _check(root, "--format", "json")
    assert r.exit_code == 1, r.output
    out = json.loads(r.stdout)
    by = {}
    for x in out["results"]:
        by.setdefault(x["student"], []).append(x)
    assert len(by) == N
    for i in RIGHT:
        sid = f"s{i:03}"
        assert [x["verdict"] for x in by[sid]] == ["correct"] * 17, sid
        assert not any(x.get("matches_student") for x in by[sid])
    for i in MISTAKES:
        v = {x["name"]: x for x in by[f"s{i:03}"]}
        assert v["h_1"]["verdict"] == v["h_2"]["verdict"] == "correct"
        assert v["y_hat_1"]["verdict"] == "wrong"
        assert v["dL_2/dw_h"]["verdict"] == "wrong"
        assert any("path through h_0 was dropped" in d for d in v["dL_2/dw_h"]["diagnosis"])


def test_copies_are_flagged_with_the_student_they_match(klass):
    root, keys, truth = klass
    out = json.loads(_check(root, "--format", "json").stdout)
    for i in COPIES:
        sid, other = f"s{i:03}", f"s{i + 1:03}"
        rs = [x for x in out["results"] if x["student"] == sid]
        wrong = [x for x in rs if x["verdict"] != "correct"]
        # every answer that differs between the two variants is wrong and names the source
        differ = [k for k in truth[sid] if truth[sid][k] != truth[other][k]]
        assert sorted(x["name"] for x in wrong) == sorted(differ)
        assert all(x["matches_student"] == other for x in wrong), wrong


def test_edited_weights_are_judged_on_the_variant(klass):
    root, keys, truth = klass
    out = json.loads(_check(root, "--format", "json").stdout)
    rs = [x for x in out["results"] if x["student"] == f"s{EDITED}"]
    assert all(x["differs_from_variant"] for x in rs)
    # the answers fit the edited weights, not the variant: every one that differs is wrong
    assert sum(x["verdict"] == "correct" for x in rs) < 17
    for x in rs:
        assert Fraction(x["expected_exact"]) == truth[f"s{EDITED}"][x["name"]]
    sub = [s for s in out["submissions"] if s["student"] == f"s{EDITED}"][0]
    assert sub["differs_from_variant"] and any("w_h" in d for d in sub["differences"])
    table = _check(root)
    assert f"differ from s{EDITED}'s variant" in table.stdout


def test_a_submission_with_no_student_is_its_own_error(klass, tmp_path):
    root, keys, truth = klass
    (tmp_path / "ghost.toml").write_text('student = "s999"\n[answers]\nh_1 = 2\n')
    (tmp_path / "none.toml").write_text('[answers]\nh_1 = 2\n')
    widened = (root / "v" / "problems" / "s001.toml").read_text()
    (tmp_path / "wide.toml").write_text(widened + '\n[answers]\nh_1 = { value = 1000, abs = '
                                        '10000 }\n[tolerance]\nabs = 100000\n')
    r = _run("check", tmp_path / "ghost.toml", tmp_path / "none.toml", tmp_path / "wide.toml",
             root / "subs" / "s001.toml", "--keys", root / "v" / "keys.toml", "--format", "json")
    assert r.exit_code == 2
    out = json.loads(r.stdout)
    assert [x["student"] for x in out["results"]].count("s001") == 18
    assert any("ghost.toml" in e and "s999" in e for e in out["errors"])
    assert any("none.toml" in e and "student" in e for e in out["errors"])
    wide = [x for x in out["results"] if x["file"].endswith("wide.toml")]
    assert [x["verdict"] for x in wide] == ["wrong"]      # its own tolerance is not used


def test_csv_gradebook(klass):
    root, keys, truth = klass
    r = _check(root, "--format", "csv")
    rows = list(csv.reader(io.StringIO(r.stdout)))
    assert rows[0][:4] == ["student", "score", "score_ecf", "out_of"]
    assert rows[0][4:] == list(truth["s001"])
    assert len(rows) == N + 1
    first = dict(zip(rows[0], rows[1]))
    assert first["student"] == "s001" and first["score"] == "17" and first["out_of"] == "17"
    slip = dict(zip(rows[0], rows[MISTAKES[0]]))
    assert (slip["score"], slip["out_of"], slip["y_hat_1"]) == ("2", "4", "wrong")


def test_csv_cells_never_run_as_formulas(tmp_path, monkeypatch):
    from rnn_cli.render.csv import cell
    assert [cell(s) for s in ("=1+1", "+1", "-2", "@SUM(A1)", "\tx", "s001")] == \
        ["'=1+1", "'+1", "'-2", "'@SUM(A1)", "'\\tx", "s001"]
    bad = tmp_path / "=HYPERLINK(1).toml"
    bad.write_text("[params]\nw_x = 1\nw_h = 1\nw_y = 1\n[data]\nx = [1]\ny = [1]\n"
                   "[answers]\nh_1 = 1\n")
    monkeypatch.chdir(tmp_path)
    r = _run("check", bad.name, "--format", "csv")
    rows = list(csv.reader(io.StringIO(r.stdout)))
    assert rows[1][0].startswith("'=")


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.attrs = set(), []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attrs += [k for k, _ in attrs]


def test_html_report(klass, tmp_path):
    root, keys, truth = klass
    r = _check(root, "--format", "html", "-o", tmp_path / "report.html")
    assert r.exit_code == 1
    page = (tmp_path / "report.html").read_text()
    # the seed page's dropped path: made by s101-s150, 50 of the 200 submissions
    assert "the path through h_0 was dropped in dL_2/dw_h: <strong>50 of 200</strong>" in page
    assert page.index("dropped in dL_2/dw_h") < page.index("in y_hat_1:")   # the most common
    assert "<svg" in page and "<math" in page
    p = Tags()
    p.feed(page)
    assert "script" not in p.tags and not any(a.startswith("on") for a in p.attrs)
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "") \
        and "https://" not in page
    for i in COPIES:
        assert f"<td>s{i:03}</td><td>" in page


def test_every_string_of_a_submission_is_escaped(klass, tmp_path):
    root, keys, truth = klass
    evil = tmp_path / '<img src=x onerror=alert(1)>.toml'
    text = (root / "v" / "problems" / "s001.toml").read_text()
    evil.write_text(text.replace('title = "', 'title = "<script>alert(1)</script>') +
                    '\n[answers]\nh_1 = 1\n"<b>x</b>" = 2\n')
    ghost = tmp_path / 'g"<svg onload=1>.toml'
    ghost.write_text('student = "<svg/onload=alert(1)>"\n[answers]\nh_1 = 1\n')
    for fmt in ("html", "markdown", "csv", "json", "table"):
        r = _run("check", evil, ghost, "--keys", root / "v" / "keys.toml", "--format", fmt)
        assert r.exit_code == 2
        if fmt == "html":
            p = Tags()
            p.feed(r.stdout)
            assert not p.tags & {"img", "script", "b"}
            assert "svg" in p.tags and not any(a.startswith("on") for a in p.attrs)
            assert "&lt;img src=x onerror=alert(1)&gt;" in r.stdout
