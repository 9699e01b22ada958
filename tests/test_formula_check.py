"""check with formulas in the key (teach/formulas.py): a formula is valued with the problem's
numbers and judged like a number; every output format shows the formula, its value and the
verdict; wrong formulas are diagnosed and carry errors forward; unreadable ones are reported.

Oracles: the seed's values worked out by hand (h_1 = 2, h_2 = 3, y_hat = 4, 6, L = 2,
dL/dw_h = 8, dL/dw_x = 40, dL/dw_y = 2, dL_2/dw_h = 12; shared/reference), and mpmath at 60
digits for the tanh problem.
"""

import json
import os
import subprocess
import sys
from xml.etree import ElementTree as ET

import mpmath
import pytest

from conftest import ROOT, SEED_TABLES
from rnn_cli.model.errors import BadAnswer
from rnn_cli.render.checkout import check_json, check_junit, check_md
from rnn_cli.render.latex import check_tex
from rnn_cli.teach.check import check_files
from rnn_cli.teach.formulas import is_formula, read_answer

FORMULAS = ROOT / "keys" / "assignment3-formulas.toml"


def key(tmp_path, answers: str, tables: str = SEED_TABLES, name: str = "k.toml"):
    path = tmp_path / name
    path.write_text(tables + "[answers]\n" + answers, encoding="utf-8")
    return path


def results(path):
    report = check_files([path])
    return {r.name: r for r in report.results}, report


# -- the answers on the built-in assignment3 -------------------------------------------

def test_the_seed_formula_is_correct(tmp_path):
    rs, report = results(key(tmp_path, """\
"dL_2/dw_h" = "2*(y_hat_2 - y_2)*w_y*(h_1 + w_h*h_0)"
"dL/dw_x" = "2*(4 - 5)*2*10 + 2*(6 - 5)*2*(10 + 1*10)"
"dL/dw_y" = "2*(4 - 5)*2 + 2*(6 - 5)*3"
h_2 = "w_h h_1 + w_x x_2"
"""))
    assert report.passed and not report.errors
    r = rs["dL_2/dw_h"]
    assert (r.verdict, r.answer.given, r.expected) == ("correct", 12, 12)
    # by hand: 2(4-5)2*10 + 2(6-5)2(10+10) = -40 + 80 = 40; 2(4-5)2 + 2(6-5)3 = -4 + 6 = 2
    assert rs["dL/dw_x"].answer.given == 40 and rs["dL/dw_y"].answer.given == 2
    assert rs["h_2"].answer.given == 3


def test_arithmetic_only(tmp_path):
    rs, report = results(key(tmp_path, '"dL_2/dw_h" = "2*(6-5)*2*(2+1*1)"\n'))
    assert report.passed
    assert rs["dL_2/dw_h"].answer.given == 12 and rs["dL_2/dw_h"].rule == "exact"


def test_dropping_the_h0_path_is_wrong_and_diagnosed(tmp_path):
    rs, _ = results(key(tmp_path, '"dL_2/dw_h" = "2*(y_hat_2 - y_2)*w_y*h_1"\n'))
    r = rs["dL_2/dw_h"]
    assert (r.verdict, r.answer.given, r.expected) == ("wrong", 8, 12)   # 2 * 1 * 2 * 2
    assert "the path through h_0 was dropped" in r.diagnosis[0]


def test_a_swapped_weight_is_diagnosed(tmp_path):
    rs, _ = results(key(tmp_path, 'y_hat_1 = "w_h h_1"\n'))
    assert rs["y_hat_1"].verdict == "wrong"
    assert rs["y_hat_1"].diagnosis[0].startswith("w_h was used where w_y belongs")


def test_error_carried_forward_into_a_formula(tmp_path):
    # the key's y_hat_1 = 2 is wrong; L = (2 - 5)^2 + (6 - 5)^2 = 10 follows from it
    rs, _ = results(key(tmp_path, 'y_hat_1 = 2\nL = "(2 - 5)^2 + (6 - 5)^2"\n'))
    assert rs["L"].verdict == "consistent" and rs["L"].follows_from == ("y_hat_1",)


def test_error_carried_forward_from_a_formula(tmp_path):
    # y_hat_1 = w_h h_1 = 2 is wrong; the number L = 10 follows from it
    rs, _ = results(key(tmp_path, 'y_hat_1 = "w_h h_1"\nL = 10\n'))
    assert rs["y_hat_1"].verdict == "wrong"
    assert rs["L"].verdict == "consistent" and rs["L"].follows_from == ("y_hat_1",)


def test_the_formulas_key():
    rs, report = results(FORMULAS)
    by = {(r.problem, r.name): r for r in report.results}
    formulas = [r for r in report.results if r.problem == "formulas"]
    assert len(formulas) == 13 and all(r.verdict == "correct" for r in formulas)
    assert not report.errors
    want = {"h_1": 2, "h_2": 3, "y_hat_1": 4, "y_hat_2": 6, "L": 2, "dL_1/dh_1": -4,
            "dL_2/dh_1": 4, "dL/dh_1": 0, "dL_1/dw_h": -4, "dL_2/dw_h": 12, "dL/dw_h": 8,
            "dL/dw_x": 40, "dL/dw_y": 2}
    assert {r.name: r.answer.given for r in formulas} == want
    assert all(r.answer.formula for r in formulas)
    slips = {r.name: r for r in report.results if r.problem == "slips"}
    assert {n: (r.verdict, r.answer.given) for n, r in slips.items()} == {
        "y_hat_1": ("wrong", 2), "L": ("wrong", 0), "dL_2/dw_h": ("wrong", 8)}
    assert slips["y_hat_1"].diagnosis[0].startswith("w_h was used where w_y belongs")
    assert "the path through h_0 was dropped" in slips["dL_2/dw_h"].diagnosis[0]
    assert by[("formulas", "L")].answer.text == r"(\hat{y}_1 - y_1)^2 + (\hat{y}_2 - y_2)^2"


# -- inexact problems ------------------------------------------------------------------------

TANH = """\
activation = "tanh"
[params]
w_x = 0.5
w_h = 0.8
w_y = 1.5
b_h = 0.1
b_y = -0.2
h_0 = 0.3
[data]
x = [1, -0.5, 2]
y = [0.5, 0, 1]
"""


def test_formulas_in_a_tanh_problem(tmp_path):
    rs, _ = results(key(tmp_path, """\
h_1 = "tanh(0.8*0.3 + 0.5*1 + 0.1)"
a_1 = "w_h h_0 + w_x x_1 + b_h"
y_hat_1 = "w_y tanh(a_1) + b_y"
"dL/da_1" = "dL/dh_1 * (1 - h_1^2)"
L_1 = "(1.5 tanh(0.84) - 0.2 - 0.5)^2"
""", TANH))
    assert {n: r.verdict for n, r in rs.items()} == dict.fromkeys(rs, "correct")
    with mpmath.workdps(60):   # a_1 = 0.24 + 0.5 + 0.1 = 0.84
        h1 = mpmath.tanh(mpmath.mpf("0.84"))
        assert abs(mpmath.mpf(rs["h_1"].answer.given) - h1) < mpmath.mpf(10) ** -45
        L1 = (mpmath.mpf("1.5") * h1 - mpmath.mpf("0.7")) ** 2
        assert abs(mpmath.mpf(rs["L_1"].answer.given) - L1) < mpmath.mpf(10) ** -45
    assert rs["a_1"].rule == "exact" and rs["h_1"].rule == "to 40 digits"


def test_rounded_numbers_in_a_formula_need_a_tolerance(tmp_path):
    # 1.5 * 0.685809 - 0.2 = 0.8287135, while y_hat_1 = 1.5 tanh(0.84) - 0.2 = 0.82871...
    rs, _ = results(key(tmp_path, """\
y_hat_1 = "1.5 * 0.685809 - 0.2"
y_hat_2 = { value = "1.5 * 0.378791 - 0.2", abs = 1e-5 }
""", TANH))
    assert rs["y_hat_1"].verdict == "wrong"
    assert rs["y_hat_2"].verdict == "correct" and rs["y_hat_2"].rule == "within abs 0.00001"


def test_an_entry_of_a_vector_problem(tmp_path):
    tables = (ROOT / "examples.toml").read_text().split("[softmax_2unit]")[1]
    tables = tables.split("# Computed with PyTorch")[0].replace("softmax_2unit.", "")
    # the softmax outputs sum to 1
    rs, report = results(key(tmp_path, '"y_hat_1[1]" = "1 - y_hat_1[2] - y_hat_1[3]"\n'
                                       'L_1 = "-log(y_hat_1[2])"\n', tables))
    assert not report.errors
    assert rs["y_hat_1[1]"].verdict == "correct" and rs["L_1"].verdict == "correct"
    rs, report = results(key(tmp_path, 'L_1 = "2 y_hat_1"\n', tables))
    assert rs["L_1"].verdict == "invalid"
    assert "y_hat_1 is a vector or a matrix" in rs["L_1"].diagnosis[0]
    assert "such as y_hat_1[1]" in rs["L_1"].diagnosis[0]


# -- every format shows the formula, its value and the verdict ---------------------------------

def test_every_format(tmp_path):
    report = check_files([key(tmp_path, '"dL_2/dw_h" = "2*(6-5)*2*(2+1*1)"\n'
                                        '"dL/dw_h" = "2*(y_hat_2 - y_2)*w_y*h_1 - 4"\n')])
    shown = "2*(6-5)*2*(2+1*1) = 12"
    data = check_json(report)
    r = data["results"][0]
    assert (r["given"], r["given_formula"], r["given_text"], r["verdict"]) == \
        (12, "2*(6-5)*2*(2+1*1)", "2*(6-5)*2*(2+1*1)", "correct")
    assert data["results"][1]["given"] == 4 and data["results"][1]["verdict"] == "wrong"
    md = check_md(report)
    assert "| `2*(6-5)*2*(2+1*1)` = 12 | 12 | exact | ✓ correct |" in md
    assert "`2*(y_hat_2 - y_2)*w_y*h_1 - 4` = 4 | 8 | exact | ✗ wrong" in md
    junit = ET.fromstring(check_junit(report).split("\n", 1)[1])
    fail = junit.find(".//failure")
    assert "given 2*(y_hat_2 - y_2)*w_y*h_1 - 4 = 4, correct 8" in fail.get("message")
    from rnn_cli.render.html import check_html
    assert "2*(6-5)*2*(2+1*1) = 12" in check_html(report)
    tex = check_tex(report)
    assert r"2*(6-5)*2*(2+1*1) = 12" in tex
    assert r"y\_hat\_2" in tex      # the formula's text is escaped for LaTeX


def test_the_table_through_the_cli(tmp_path):
    path = key(tmp_path, '"dL_2/dw_h" = "2*(6-5)*2*(2+1*1)"\n')
    env = {**os.environ, "COLUMNS": "150", "PYTHONIOENCODING": "utf-8"}
    r = subprocess.run([sys.executable, "-m", "rnn_cli", "check", str(path)],
                       capture_output=True, text=True, cwd=tmp_path, env=env, encoding="utf-8")
    assert r.returncode == 0, r.stderr
    assert "2*(6-5)*2*(2+1*1) = 12" in r.stdout and "correct" in r.stdout


# -- text that cannot be read ----------------------------------------------------------------

def test_unreadable_answers_are_listed_with_their_reason(tmp_path):
    rs, report = results(key(tmp_path, """\
h_1 = "2*(6-5))"
h_2 = "q_3 + 1"
"dL/dw_h" = "dL/dw_h + 0"
y_hat_1 = "h_5"
y_hat_2 = "y_3"
L = "w_y h_1"
"""))
    # each unreadable answer is an `invalid` verdict with its reason (issue 13's rule)
    why = {n: r.diagnosis[0] for n, r in rs.items() if r.verdict == "invalid"}
    assert why["h_1"] == "could not be read: unexpected ')' at column 8"
    assert why["h_2"] == "could not be read: unknown name 'q_3' at column 1"
    assert why["dL/dw_h"] == ("could not be read: the formula uses dL/dw_h, the quantity it "
                              "answers")
    assert "h_5" in why["y_hat_1"]
    assert why["y_hat_2"].startswith("could not be read: y_3 is not in the problem")
    assert len(why) == 5 and not report.errors and not report.passed
    assert rs["L"].verdict == "wrong"        # the others are still judged (w_y h_1 = 4)


def test_exit_code_of_an_unreadable_answer(tmp_path):
    path = key(tmp_path, 'h_1 = "__import__(\'os\').system(\'touch PWNED\')"\n')
    r = subprocess.run([sys.executable, "-m", "rnn_cli", "check", str(path), "--format", "json"],
                       capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 1 and "Traceback" not in r.stderr + r.stdout
    (result,) = json.loads(r.stdout)["results"]
    assert (result["name"], result["verdict"]) == ("h_1", "invalid")
    assert "unexpected character '_' at column 1" in result["diagnosis"][0]
    assert not (tmp_path / "PWNED").exists()


WORD = "could not be read: expected a number or a formula, found a word 'three'"
NAME = "could not be read: unknown name 'w_q' at column 7"


@pytest.mark.parametrize("symbols", ["", 'symbols = ["w_h"]\n'])
def test_a_word_is_not_an_unknown_name(tmp_path, symbols):
    """A word answer says so in the table and in JSON (numeric and symbolic problems); a
    formula keeps the formula reader's reason."""
    path = key(tmp_path, '"dL/dw_h" = "three"\nh_2 = "w_h + w_q"\n', symbols + SEED_TABLES)
    env = {**os.environ, "COLUMNS": "250", "PYTHONIOENCODING": "utf-8"}
    run = [sys.executable, "-m", "rnn_cli", "check", str(path)]
    r = subprocess.run(run + ["--format", "json"], capture_output=True, text=True,
                       cwd=tmp_path, encoding="utf-8")
    assert r.returncode == 1 and r.stderr == "", r.stderr
    why = {x["name"]: x["diagnosis"] for x in json.loads(r.stdout)["results"]}
    assert why == {"dL/dw_h": [WORD], "h_2": [NAME]}
    r = subprocess.run(run, capture_output=True, text=True, cwd=tmp_path, env=env,
                       encoding="utf-8")
    assert r.returncode == 1 and r.stderr == "", r.stderr
    rows = {line.split("│")[1].strip(): line for line in r.stdout.splitlines() if "│" in line}
    assert WORD in rows["dL/dw_h"] and NAME in rows["h_2"]


def test_read_answer_raises_bad_answer():
    with pytest.raises(BadAnswer, match=r"f.toml: answers.h_1: unexpected '\)' at column 2"):
        read_answer("h_1", "1)", {}, "f.toml", lambda n: 1)


@pytest.mark.parametrize("raw, formula", [
    (2, False), ("2", False), ("1/3", False), ("-2.5e-3", False), ({"value": 0.4}, False),
    ("2*3", True), ("h_1", True), ({"value": "w_h h_1", "abs": 0.1}, True), ([1, 2], False),
])
def test_which_answers_are_formulas(raw, formula):
    assert is_formula(raw) is formula


def test_examples_still_check():
    assert check_files([ROOT / "examples.toml"]).passed


def test_checking_formulas_imports_no_sympy():
    """A numeric problem's formulas are valued without SymPy (check stays as fast as it was)."""
    code = ("import sys\nfrom rnn_cli.teach.check import check_files\n"
            f"r = check_files([{str(FORMULAS)!r}])\n"
            "assert len(r.results) == 16, r\n"
            "print('sympy' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "False"

