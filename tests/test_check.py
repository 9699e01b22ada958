"""check: verdicts, error carried forward, diagnoses, precision rules, outputs, exit codes.

Every expected number here is worked out by hand or with the independent oracle; planted
mistakes are computed from the oracle's values, never from rnn_cli.
"""

import json
import math
import subprocess
import sys
from decimal import Decimal
from fractions import Fraction
from xml.etree import ElementTree as ET

import mpmath
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from conftest import ROOT
from oracle import derivative, evaluate
from rnn_cli.teach.answers import parse_answer
from rnn_cli.teach.check import check_files
from strategies import problem_to_toml, scalar_problems

HANDWRITTEN = ROOT / "keys" / "assignment3-handwritten.toml"


def verdicts(report):
    return {r.name: (r.verdict, r.diagnosis) for r in report.results}


def write_key(tmp_path, problem: dict, answers: dict, name="p", extra=""):
    text = problem_to_toml(name, problem) + f"\n[{name}.answers]\n"
    for k, v in answers.items():
        text += f'"{k}" = {v}\n'
    path = tmp_path / f"{name}.toml"
    path.write_text(text + extra)
    return path


# -- the handwritten key ----------------------------------------------------------------------

def test_handwritten_key_verdicts():
    v = verdicts(check_files([HANDWRITTEN]))
    for name in ("h_1", "h_2", "y_hat_2", "dL_2/dh_1"):
        assert v[name] == ("correct", ()), name
    for name in ("L", "dL_1/dh_1", "dL/dh_1", "dL_1/dw_h", "dL/dw_h"):
        assert v[name][0] == "consistent", name
    assert v["y_hat_1"][0] == "wrong"
    assert v["y_hat_1"][1][0].startswith("w_h was used where w_y belongs")
    assert "w_h * h_1 = 2" in v["y_hat_1"][1][0]
    assert v["dL_2/dw_h"][0] == "wrong"
    first = v["dL_2/dw_h"][1][0]
    assert "path through h_0 was dropped" in first and "w_h * h_0" in first


def test_handwritten_consistent_answers_name_their_source():
    r = {x.name: x for x in check_files([HANDWRITTEN]).results}
    assert r["L"].follows_from == ("y_hat_1",)
    assert r["dL/dh_1"].follows_from == ("dL_1/dh_1",)
    assert set(r["dL/dw_h"].follows_from) == {"dL_1/dw_h", "dL_2/dw_h"}
    assert "9 + 1 = 10" in r["L"].diagnosis[0]


def test_examples_keys_all_correct():
    report = check_files([ROOT / "examples.toml"])
    assert report.passed and not report.errors
    assert len(report.results) > 80


# -- error carried forward needs a wrong source -----------------------------------------------

SEED = {"params": {"w_x": "0.1", "w_h": 1, "w_y": 2, "h_0": 1},
        "data": {"x": [10, 10], "y": [5, 5]}}


def test_zero_earns_nothing(tmp_path):
    # L = 0 is wrong, and nothing stated in the key makes it follow
    v = verdicts(check_files([write_key(tmp_path, SEED, {"L": 0})]))
    assert v["L"][0] == "wrong"


def test_consistent_only_from_a_wrong_answer(tmp_path):
    # h_1 stated right; L = 3 follows from nothing wrong -> wrong, with an arithmetic slip
    key = write_key(tmp_path, SEED, {"L_1": 1, "L_2": 1, "L": 3})
    v = verdicts(check_files([key]))
    assert v["L"][0] == "wrong"
    assert any("arithmetic slip" in d and "1 + 1" in d for d in v["L"][1])


def test_chain_of_carried_errors(tmp_path):
    # h_1 = 3.5 (wrong: 2); then y_hat_1 = w_y h_1 = 7 and L_1 = (7 - 5)^2 = 4 follow from it
    v = verdicts(check_files([write_key(tmp_path, SEED, {"h_1": 3.5, "y_hat_1": 7, "L_1": 4})]))
    assert v["h_1"][0] == "wrong" and v["y_hat_1"][0] == "consistent"
    assert v["L_1"][0] == "consistent"


def test_one_element_lists_answer_a_scalar_problem(tmp_path):
    """[2] and [[2]] answer h_1 = 2 of the scalar SEED problem as the number 2 (they were
    judged wrong, and a wrong [3.5] leaked a list into the replay of y_hat_1): h_1 = 0.1 x 10
    + 1 x 1 = 2, y_hat_1 = 2 x 2 = 4, L_1 = (4 - 5)^2 = 1; with h_1 = 3.5, y_hat_1 = 7."""
    v = verdicts(check_files([write_key(tmp_path, SEED, {"h_1": "[2]", "y_hat_1": "[[4]]",
                                                         "L_1": "[1.0]"})]))
    assert [v[n][0] for n in ("h_1", "y_hat_1", "L_1")] == ["correct"] * 3
    report = check_files([write_key(tmp_path, SEED, {"h_1": "[3.5]", "y_hat_1": "[7]"})])
    v = verdicts(report)
    assert v["h_1"][0] == "wrong" and v["y_hat_1"][0] == "consistent"
    assert "[" not in " ".join(v["y_hat_1"][1]) and report.errors == ()


def test_many_wrong_forward_answers_share_their_replays(tmp_path):
    """T = 200: 30 wrong h_t (each off by 0.5) and dL/dw_h without the squared loss's factor
    2 (half the oracle's value). Each h_t replayed every mistake with the key's other answers
    in place, once per answer: 20 of them spent the run's diagnosis budget, and the gradient
    was 'not diagnosed'. Replayed once for the key, the gradient's mistake is named."""
    T = 200
    d = {"activation": "tanh", "loss": "squared",
         "params": {"w_x": "0.5", "w_h": "0.8", "w_y": 1, "b_h": "0.1"},
         "data": {"x": [str(Fraction((7 * i) % 11 - 5, 10)) for i in range(T)],
                  "y": [str(Fraction((3 * i) % 7 - 3, 10)) for i in range(T)]}}
    q = evaluate(d)
    with mpmath.workdps(60):
        answers = {f"h_{t}": f'"{_dec(q[f"h_{t}"] + mpmath.mpf("0.5"))}"' for t in range(1, 31)}
        answers["dL/dw_h"] = f'"{_dec(derivative(d, "L", "w_h") / 2)}"'
    report = check_files([write_key(tmp_path, d, answers)])
    v = verdicts(report)
    assert [v[f"h_{t}"][0] for t in range(1, 31)] == ["wrong"] * 30
    assert v["dL/dw_h"][0] == "wrong"
    assert any("factor 2" in s for s in v["dL/dw_h"][1]), v["dL/dw_h"][1]
    assert all(r.diagnosed for r in report.results)


@pytest.mark.parametrize("T", [3, 38, 200])
def test_a_one_place_mistake_early_in_a_long_sequence_is_named(tmp_path, T):
    """h_3 with w_h in place of w_x: its derivation is a few steps whatever T is (the
    forward graph held all 4T of them, and past 150 the one-place mistakes were not tried:
    from T = 38 the answer was 'wrong' with no diagnosis)."""
    d = {"activation": "tanh", "loss": "squared",
         "params": {"w_x": "0.6", "w_h": "0.5", "w_y": "1.2", "b_h": "0.1"},
         "data": {"x": ["0.5"] * T, "y": ["0.1"] * T}}
    with mpmath.workdps(60):
        h2 = evaluate(d)["h_2"]
        planted = mpmath.tanh(mpmath.mpf("0.5") * h2 + mpmath.mpf("0.5") * mpmath.mpf("0.5")
                              + mpmath.mpf("0.1"))
    r = _planted(tmp_path, d, "h_3", f'"{_dec(planted, 8)}"')
    assert r.verdict == "wrong"
    assert any("w_h was used where w_x belongs" in s for s in r.diagnosis), r.diagnosis


def test_an_unreadable_answer_is_shown_as_written(tmp_path):
    """[[[0.5370]]] is too deep for any quantity: it is shown as the key writes it, not as
    Python's [[[Decimal('0.5370')]]]."""
    (r,) = check_files([write_key(tmp_path, SEED, {"h_1": "[[[0.5370]]]"})]).results
    assert (r.verdict, r.answer.text) == ("invalid", "[[[0.5370]]]")


# -- each mistake planted on purpose ----------------------------------------------------------

def _dec(x, places=20):
    """x written with `places` decimals, so it is compared at that precision."""
    with mpmath.workdps(60):
        return str(Decimal(mpmath.nstr(x, 50, min_fixed=-100, max_fixed=100))
                   .quantize(Decimal(1).scaleb(-places)))


def _generic(d):
    """Weights that are distinct and not 0 or ±1: otherwise several mistakes give the same
    number, and the checker rightly names none of them."""
    ws = [Fraction(str(d["params"][k])) for k in ("w_x", "w_h", "w_y")]
    assume(len(set(map(abs, ws))) == 3 and not {abs(w) for w in ws} & {0, 1})


def _planted(tmp_path, d, name, value):
    report = check_files([write_key(tmp_path, d, {name: value})])
    assert not report.errors, report.errors
    (r,) = report.results
    return r


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(scalar_problems(max_steps=3))
def test_planted_weight_swap(tmp_path_factory, d):
    d = {**d, "output": "identity", "loss": "squared"}
    _generic(d)
    T = len(d["data"]["x"])
    q = evaluate(d)
    wrong = evaluate({**d, "params": {**d["params"], "w_y": d["params"]["w_h"]}})
    with mpmath.workdps(60):   # a zero is explained by many mistakes at once: not a test
        assume(abs(wrong[f"y_hat_{T}"] - q[f"y_hat_{T}"]) > 1e-6)
        assume(abs(wrong[f"y_hat_{T}"]) > 1e-6)
    r = _planted(tmp_path_factory.mktemp("k"), d, f"y_hat_{T}", f'"{_dec(wrong[f"y_hat_{T}"])}"')
    assert r.verdict == "wrong"
    assert any("w_h was used where w_y belongs" in s for s in r.diagnosis), r.diagnosis


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(scalar_problems(max_steps=3), st.sampled_from(["h_1", "y_hat_1", "L", "dL/dw_h"]),
       st.booleans())
def test_a_one_element_list_is_judged_as_its_number(tmp_path_factory, d, name, right):
    """In a scalar problem, [v] and [[v]] get v's verdict and diagnosis: the oracle's value
    (correct) or its negation (wrong, unless it is 0)."""
    d = {**d, "loss": "squared"}
    q = evaluate(d) if name != "dL/dw_h" else {name: derivative(d, "L", "w_h")}
    with mpmath.workdps(60):
        assume(right or abs(q[name]) > 1e-6)
        text = _dec(q[name] if right else -q[name])
    seen = [_planted(tmp_path_factory.mktemp("k"), d, name, form.format(f'"{text}"'))
            for form in ("{}", "[{}]", "[[{}]]")]
    assert seen[0].verdict == ("correct" if right else "wrong")
    assert {(r.verdict, r.diagnosis) for r in seen} == {(seen[0].verdict, seen[0].diagnosis)}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(scalar_problems(max_steps=4))
def test_planted_sign_flip_and_factor_two(tmp_path_factory, d):
    d = {**d, "loss": "squared"}
    _generic(d)
    g = derivative(d, "L", "w_h")
    with mpmath.workdps(60):
        assume(abs(g) > 1e-6)
        flipped, halved = -g, g / 2
    r = _planted(tmp_path_factory.mktemp("k"), d, "dL/dw_h", f'"{_dec(flipped)}"')
    assert r.verdict == "wrong"
    assert any("sign of (y_hat - y) was flipped" in s for s in r.diagnosis), r.diagnosis
    r = _planted(tmp_path_factory.mktemp("k"), d, "dL/dw_h", f'"{_dec(halved)}"')
    assert any("factor 2" in s for s in r.diagnosis), r.diagnosis


def test_planted_path_dropped_tanh(tmp_path):
    # T = 2, tanh, target at the last step: dL/dw_h keeps only the direct term
    d = {"activation": "tanh", "outputs": "last", "params": {"w_x": "0.5", "w_h": "0.8",
         "w_y": "1.5", "h_0": "0.3"}, "data": {"x": [1, -1], "y": [0]}}
    q = evaluate(d)
    with mpmath.workdps(60):
        direct = 2 * q["y_hat_2"] * 1.5 * (1 - q["h_2"] ** 2) * q["h_1"]
    r = _planted(tmp_path, d, "dL/dw_h", f'"{_dec(direct)}"')
    assert r.verdict == "wrong"
    assert "path through h_0 was dropped" in r.diagnosis[0], r.diagnosis


def test_planted_derivative_at_preactivation(tmp_path):
    d = {"activation": "tanh", "params": {"w_x": "0.5", "w_h": "0.8", "w_y": "1.5",
         "h_0": "0.3"}, "data": {"x": [1], "y": [0]}}
    q = evaluate(d)
    with mpmath.workdps(60):   # dL/dw_h = 2 y_hat_1 w_y f'(a_1) h_0, f' taken as 1 - a_1^2
        wrong = 2 * q["y_hat_1"] * 1.5 * (1 - q["a_1"] ** 2) * q["h_0"]
        other = 2 * q["y_hat_1"] * 1.5 * q["h_1"] * (1 - q["h_1"]) * q["h_0"]
    r = _planted(tmp_path, d, "dL/dw_h", f'"{_dec(wrong)}"')
    assert any("taken at the pre-activation" in s for s in r.diagnosis), r.diagnosis
    r = _planted(tmp_path, d, "dL/dw_h", f'"{_dec(other)}"')
    assert any("derivative of sigmoid was used for tanh" in s for s in r.diagnosis)


def test_planted_index_off_by_one(tmp_path):
    # y_hat_2 written as w_y h_1 = 2 x 2 = 4 instead of w_y h_2 = 6
    r = _planted(tmp_path, SEED, "y_hat_2", 4)
    assert any("h_1 was used where h_2 belongs" in s for s in r.diagnosis), r.diagnosis


def test_truncated_not_rounded(tmp_path):
    d = {"activation": "tanh", "params": {"w_x": 1, "w_h": 0, "w_y": 1},
         "data": {"x": [1], "y": [0]}}
    # tanh(1) = 0.76159415...: rounds to 0.7616, truncates to 0.7615
    assert math.isclose(math.tanh(1), 0.76159415, rel_tol=1e-8)
    r = _planted(tmp_path, d, "h_1", "0.7615")
    assert r.verdict == "wrong"
    assert any("truncated instead of rounded" in s for s in r.diagnosis)
    assert _planted(tmp_path, d, "h_1", "0.7616").verdict == "correct"


def test_correct_keys_get_no_diagnosis():
    for r in check_files([ROOT / "examples.toml"]).results:
        assert r.verdict == "correct" and r.diagnosis == ()


# -- precision rules --------------------------------------------------------------------------

@pytest.mark.parametrize("written,value,ok", [
    ("0.462", Fraction(4621, 10000), True),
    ("0.462", Fraction(4625, 10000), True),       # the boundary rounds either way: accepted
    ("0.462", Fraction(46251, 100000), False),
    ("0.462", Fraction(4615, 10000), True),
    ("0.462", Fraction(46149, 100000), False),
    ("0.5", Fraction(1, 2), True),
    ("2", Fraction(2), True),
    ("2", Fraction(20001, 10000), False),         # an integer must match exactly
    ('"1/3"', Fraction(1, 3), True),
    ('"1/3"', Fraction(3333, 10000), False),
    ('"0.333"', Fraction(1, 3), True),
    ("1.50e-3", Fraction(15, 10000), True),       # five decimals written: 0.00150
    ("1.50e-3", Fraction(15051, 10000000), False),
])
def test_written_precision(written, value, ok):
    import tomllib
    raw = tomllib.loads(f"v = {written}", parse_float=Decimal)["v"]
    assert parse_answer("h_1", raw, {}, "k").matches(value) is ok


def test_tolerances():
    a = parse_answer("h_1", {"value": Decimal("0.46"), "abs": Decimal("0.01")}, {}, "k")
    assert a.matches(Fraction(469, 1000)) and not a.matches(Fraction(471, 1000))
    b = parse_answer("h_1", Decimal("100"), {"rel": Decimal("0.01")}, "k")
    assert b.matches(Fraction(1009, 10)) and not b.matches(Fraction(102))
    assert "rel 0.01" in b.rule


def test_inexact_value_never_equals_an_integer_exactly():
    a = parse_answer("h_1", 1, {}, "k")
    assert not a.matches(mpmath.mpf("0.99999999999999999999"))


# -- outputs and exit codes -------------------------------------------------------------------

def _run(*args, cwd):
    return subprocess.run([sys.executable, "-m", "rnn_cli", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, env={"PYTHONPATH": str(ROOT),
                                                               "PATH": "/usr/bin:/bin"})


def test_exit_codes_and_json(tmp_path):
    ok = _run("check", ROOT / "examples.toml", "--format", "json", cwd=tmp_path)
    assert ok.returncode == 0 and json.loads(ok.stdout)["passed"] is True
    bad = _run("check", HANDWRITTEN, "--format", "json", cwd=tmp_path)
    assert bad.returncode == 1
    doc = json.loads(bad.stdout)
    y1 = next(r for r in doc["results"] if r["name"] == "y_hat_1")
    assert y1["given"] == 2 and y1["expected"] == 4 and y1["verdict"] == "wrong"
    assert y1["diagnosis"][0].startswith("w_h was used where w_y belongs")


def test_bad_input_is_reported_and_other_files_still_checked(tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text("[p]\nparams = {w_x = 1, w_h = 1, w_y = 1}\ndata = {x = [1], y = [1]}\n"
                      "[p.answers]\nh_9 = 1\nw_hh = 1\n\"dL/dw_q\" = 2\nh_1 = \"abc\"\n")
    before = broken.read_bytes()
    missing = tmp_path / "missing.toml"
    r = _run("check", broken, HANDWRITTEN, missing, "--format", "json", cwd=tmp_path)
    # unreadable answers are scored invalid (spec revision 2); only a file that cannot be
    # read at all is an input error
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "missing.toml" in lines[0]
    assert "Traceback" not in r.stderr
    doc = json.loads(r.stdout)
    bad = {x["name"]: x for x in doc["results"] if x["file"].endswith("broken.toml")}
    assert {n for n, x in bad.items() if x["verdict"] == "invalid"} == {"h_9", "dL/dw_q", "h_1"}
    assert "h_1" in bad["h_9"]["diagnosis"][0]                       # lists the valid names
    assert "abc" in bad["h_1"]["diagnosis"][0] and bad["h_1"]["expected"] == 1
    assert any(x["problem"] == "handwritten" for x in doc["results"])
    assert broken.read_bytes() == before                            # never writes its inputs
    r = _run("check", broken, HANDWRITTEN, "--format", "json", cwd=tmp_path)
    assert r.returncode == 1 and r.stderr == ""


def test_junit_parses(tmp_path):
    out = tmp_path / "r.xml"
    r = _run("check", HANDWRITTEN, "--format", "junit", "--output", out, cwd=tmp_path)
    assert r.returncode == 1 and r.stdout == ""
    root = ET.parse(out).getroot()
    cases = root.findall(".//testcase")
    assert len(cases) == 11
    failed = {c.get("name") for c in cases if c.find("failure") is not None}
    assert failed == {"y_hat_1", "L", "dL_1/dh_1", "dL/dh_1", "dL_1/dw_h", "dL_2/dw_h",
                      "dL/dw_h"}


def test_markdown(tmp_path):
    r = _run("check", HANDWRITTEN, "--format", "markdown", cwd=tmp_path)
    assert "| `y_hat_1` | 2 | 4 |" in r.stdout and "score 4/11" in r.stdout


def test_huge_values_against_written_decimals(tmp_path):
    # h_1 = 0.5 * 1e1000 = 5e999: far more digits than a decimal context holds. The report
    # still prints (found by the fuzz test: it used to raise decimal.InvalidOperation).
    path = tmp_path / "huge.toml"
    path.write_text('params = {w_x = 0.5, w_h = 0.5, w_y = 0.5}\n'
                    'data = {x = ["1e1000"], y = [-1]}\n'
                    'answers = {h_1 = 0.1, "dL/dw_y" = 1e-77}\n')
    r = _run("check", path, cwd=tmp_path)
    assert r.returncode == 1, r.stderr
    assert "Traceback" not in r.stderr
    assert "5e+999" in r.stdout


@pytest.mark.parametrize("given, shown", [
    ("[1, 3]", None),                      # written exactly: no rounded form
    ("[0.8, 3]", "[0.8; {t}]"),            # the first entry to 1 decimal, the second exact
])
def test_a_vector_answers_rounded_form_shows_every_entry(tmp_path, given, shown):
    """h_1 = tanh([1; 1] * 1) = [tanh 1; tanh 1], an inexact value: an entry written as an
    integer shows the value itself beside the rounded ones (it showed '[; ]')."""
    from rnn_cli.teach.check import expected_text
    (tmp_path / "k.toml").write_text('activation = "tanh"\n[params]\nw_x = [[1], [1]]\n'
                                     'w_h = [[0, 0], [0, 0]]\nw_y = [[1, 1]]\n[data]\nx = [1]\n'
                                     f'y = [0]\n[answers]\nh_1 = {given}\n')
    (r,) = check_files([tmp_path / "k.toml"]).results
    t = f"{math.tanh(1):.6f}"
    exact = f"[{t}; {t}]"
    assert expected_text(r) == (exact if shown is None else f"{exact} → {shown.format(t=t)}")


@pytest.mark.parametrize("given, verdict, note", [
    ("[6, 12]", "correct", ""),              # a flat list answers the 1 x 2 row
    ("[[6, 12]]", "correct", ""),            # the row written as one
    ("[6, 13]", "wrong", "dL/dw_y[1,2]"),    # the entry that differs, named as a matrix's
    ("[[6], [12]]", "invalid", "expected a 1 x 2 matrix, found 2 numbers"),   # a column
])
def test_a_one_row_matrix_answered_as_a_flat_list(tmp_path, given, verdict, note):
    """relu, w_x = [1; 2], x_1 = 1, w_h = 0: h_1 = [1; 2], y_hat_1 = [1 1] h_1 = 3 (K = 1),
    L = 3^2, dL/dy_hat_1 = 6, dL/dw_y = 6 h_1^T = [6 12] (by hand)."""
    (tmp_path / "k.toml").write_text('activation = "relu"\n[params]\nw_x = [[1], [2]]\n'
                                     'w_h = [[0, 0], [0, 0]]\nw_y = [[1, 1]]\n[data]\nx = [1]\n'
                                     f'y = [0]\n[answers]\n"dL/dw_y" = {given}\n')
    report = check_files([tmp_path / "k.toml"])
    (r,) = report.results
    assert (r.verdict, report.errors) == (verdict, ())
    assert note in " ".join(r.diagnosis)
