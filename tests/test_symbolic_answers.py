"""check of symbolic problems' keys (teach/symbolic_answers.py): formulas in the problem's
symbols compared by equivalence, and wrong ones diagnosed by value at random points.

PENDING: this file needs symbolic problems (`symbols = ...` in a file, the `symbolic` branch),
which main does not have yet, so pytest does not collect it under this name. Once they land,
rename it tests/test_symbolic_answers.py (its 5 tests passed on a merge of both branches).

Oracles: the seed's derivatives expanded and factored by hand (tests/test_equivalent.py has
the same), SymPy's unroll-and-differentiate written here, and the seed's values (dL/dw_h = 8,
dL_2/dw_h = 12) substituted by hand.
"""

import json

import pytest

sympy = pytest.importorskip("sympy")

from conftest import SEED_TABLES  # noqa: E402
from rnn_cli.render.checkout import check_json, check_md  # noqa: E402
from rnn_cli.teach.check import check_files  # noqa: E402

w_x, w_h, w_y, h_0, x_1, x_2, y_1, y_2 = sympy.symbols("w_x w_h w_y h_0 x_1 x_2 y_1 y_2")
H1 = w_h * h_0 + w_x * x_1
H2 = w_h * H1 + w_x * x_2
L = (w_y * H1 - y_1) ** 2 + (w_y * H2 - y_2) ** 2
SEED = {w_x: sympy.Rational(1, 10), w_h: 1, w_y: 2, h_0: 1, x_1: 10, x_2: 10, y_1: 5, y_2: 5}


def check(tmp_path, answers: str, symbols: str = '"all"'):
    path = tmp_path / "k.toml"
    path.write_text(f"symbols = {symbols}\n" + SEED_TABLES + "[answers]\n" + answers,
                    encoding="utf-8")
    report = check_files([path])
    return {r.name: r for r in report.results}, report


def test_forms_of_one_answer_are_all_correct(tmp_path):
    rs, report = check(tmp_path, """\
"dL_2/dw_h" = "2*(y_hat_2 - y_2)*w_y*(h_1 + w_h*h_0)"
"dL/dw_h" = "2(y_hat_1 - y_1) w_y h_0 + 2(y_hat_2 - y_2) w_y (h_1 + w_h h_0)"
"dL/dw_y" = "2 (w_y h_1 - y_1) h_1 + 2 (w_y h_2 - y_2) h_2"
h_2 = "w_h^2 h_0 + w_h w_x x_1 + w_x x_2"
"dL_1/dw_h" = "2 w_y^2 w_h h_0^2 + 2 w_y^2 w_x x_1 h_0 - 2 w_y y_1 h_0"
"dL/dw_x" = '2\\left(\\hat{y}_1 - y_1\\right) w_y x_1 + 2(\\hat{y}_2 - y_2) w_y (x_2 + w_h x_1)'
""")
    assert not report.errors
    assert {n: r.verdict for n, r in rs.items()} == dict.fromkeys(rs, "correct")
    # the right values are the unroll-and-diff oracle's, and give the seed's numbers
    for name, wrt, seed in (("dL/dw_h", w_h, 8), ("dL/dw_y", w_y, 2), ("dL/dw_x", w_x, 40)):
        assert sympy.expand(rs[name].expected - sympy.diff(L, wrt)) == 0
        assert rs[name].expected.subs(SEED) == seed
    assert rs["dL_2/dw_h"].expected.subs(SEED) == 12


def test_a_different_formula_is_wrong_and_diagnosed(tmp_path):
    rs, _ = check(tmp_path, """\
"dL_2/dw_h" = "2*(y_hat_2 - y_2)*w_y*h_1"
y_hat_1 = "w_h h_1"
"dL/dw_y" = "2 w_y^2 w_h h_0^2"
""")
    assert {n: r.verdict for n, r in rs.items()} == dict.fromkeys(rs, "wrong")
    assert rs["dL_2/dw_h"].diagnosis[0] == "the path through h_0 was dropped"
    assert rs["y_hat_1"].diagnosis[0] == "w_h was used where w_y belongs"
    assert rs["dL/dw_y"].diagnosis[-1].startswith("differs from the expected formula at ")
    assert len(rs["dL/dw_y"].diagnosis) == 1


def test_in_terms_of_one_symbol(tmp_path):
    # symbols = ["w_h"]: the others keep the seed's numbers; dL/dw_h is a polynomial in w_h:
    # 2*2*1*(2*(w_h + 1) - 5) + 2*2*(2 w_h + 1)(2 (w_h^2 + w_h + 1) - 5), by hand
    rs, report = check(tmp_path, """\
"dL/dw_h" = "4 (2 w_h - 3) + 4 (2 w_h + 1)(2 w_h^2 + 2 w_h - 3)"
h_1 = "w_h + 1"
"dL_2/dw_h" = "12"
""", '["w_h"]')
    assert not report.errors
    assert rs["dL/dw_h"].verdict == "correct" and rs["h_1"].verdict == "correct"
    assert rs["dL_2/dw_h"].verdict == "wrong"      # 12 only at w_h = 1
    assert rs["dL/dw_h"].expected.subs({w_h: 1}) == 8


def test_outputs(tmp_path):
    _, report = check(tmp_path, 'h_1 = "w_h h_0 + w_x x_1"\ny_hat_1 = "w_h h_1"\n')
    data = json.loads(json.dumps(check_json(report)))
    r = data["results"][0]
    assert r["given_text"] == "w_h h_0 + w_x x_1" and r["verdict"] == "correct"
    assert r["expected"] == "h_0*w_h + w_x*x_1"
    md = check_md(report)
    assert "| `h_1` | `w_h h_0 + w_x x_1` | `h_0*w_h + w_x*x_1` | equivalent | ✓ correct |" in md


def test_unreadable_and_hostile(tmp_path):
    rs, report = check(tmp_path, """\
h_1 = "__import__('os').system('touch PWNED')"
h_2 = "(w_h + w_x + w_y + h_0)^11"
y_hat_1 = "w_y h_1"
""")
    # unreadable text is an invalid verdict with its reason, counted in the score
    assert rs["h_1"].verdict == rs["h_2"].verdict == "invalid" and not report.errors
    assert "unexpected character '_' at column 1" in rs["h_1"].diagnosis[0]
    assert "a power of an expression in symbols is at most 10" in rs["h_2"].diagnosis[0]
    assert rs["y_hat_1"].verdict == "correct"
    assert not (tmp_path / "PWNED").exists()
