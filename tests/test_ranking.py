"""Diagnoses agree with the key and come likeliest first (teach/ranking.py), measured on the
labelled wrong answers of tests/mistake_cases.py."""

from rnn_cli.teach.check import check_files
from rnn_cli.teach.ranking import agrees, order, prior

from conftest import SOFTMAX
from mistake_cases import BCE, Case, cases, forward, hand_grad, r, toml

TARGET = 0.9


def _first(tmp_path, case: Case, i: int = 0):
    f = tmp_path / f"case{i}.toml"
    f.write_text(case.problem + "[answers]\n" + case.key + "\n")
    report = check_files([f])
    assert not report.errors, report.errors
    return next(x for x in report.results if x.name == case.name)


def test_the_labelled_set_is_large_enough():
    cs = cases()
    assert len(cs) >= 30
    assert len({c.label for c in cs}) == len(cs)


def test_share_of_first_diagnoses_that_name_the_mistake(tmp_path, capsys):
    cs = cases()
    hits, misses = 0, []
    for i, c in enumerate(cs):
        res = _first(tmp_path, c, i)
        assert res.verdict == "wrong", (c.label, res.verdict)
        if res.diagnosis and c.named in res.diagnosis[0]:
            hits += 1
        else:
            misses.append((c.label, res.diagnosis))
    share = hits / len(cs)
    with capsys.disabled():
        print(f"\ndiagnosis ranking: {hits}/{len(cs)} = {share:.0%} first diagnoses name the "
              f"labelled mistake; misses: {misses}")
    assert share >= TARGET, misses


def test_a_right_h2_rules_out_slips_that_would_change_it(tmp_path):
    """Done when: tanh/sigmoid/cross-entropy, h_2 right, dL/dw_h without the h_0 path:
    the dropped path is the only diagnosis."""
    _, h, _ = forward(BCE)
    wrong = hand_grad(BCE, "w_h", drop_h0_path_at=2)
    case = Case("", toml(BCE), f'h_2 = {r(h[2], 4)}\n"dL/dw_h" = {r(wrong)}', "dL/dw_h",
                "path through h_0")
    res = _first(tmp_path, case)
    assert len(res.diagnosis) == 1 and "path through h_0 was dropped" in res.diagnosis[0], \
        res.diagnosis


def test_a_left_out_term_before_a_swapped_weight(tmp_path):
    case = Case("", toml(dict(act="identity", out="identity", loss="squared", w_x=0.1,
                              w_h=1.0, w_y=2.0, b_h=0.0, b_y=0.0, h_0=1.0, x=[10, 10],
                              y=[5, 5])), '"dL/dw_x" = 80', "dL/dw_x", "")
    res = _first(tmp_path, case)
    assert "dL_1/dw_x was left out" in res.diagnosis[0]
    assert prior(res.diagnosis[0]) < prior("w_y was used where w_h belongs: ...")


def test_agreement_and_order_units():
    class Right:
        def matches(self, v):
            return v == 3
    assert agrees({"h_2": 3, "a_2": 9}, {"h_2": Right()})
    assert not agrees({"h_2": 4}, {"h_2": Right()})
    assert agrees({"a_2": 4}, {"h_2": Right()})          # not recomputed: cannot disagree
    ranked = order([(1, "w_y was used where w_h belongs"), (2, "dL_1/dw_x was left out"),
                    (2, "dL_1/dw_x was left out")])
    assert [s for _, s in ranked] == ["dL_1/dw_x was left out", "w_y was used where w_h belongs"]


def _softmax_by_hand(fill, sign=1):
    """dL/dw_y = sum_t (y_hat_t - target_t) h_t^T in numpy, the target made from the class
    k (1-based) by `fill`; sign -1 writes target_t - y_hat_t."""
    import numpy as np
    w_x = np.array([[0.5], [-0.3]])
    w_h = np.array([[0.1, -0.4], [0.7, 0.2]])
    w_y = np.array([[1, -1], [0.5, 0.3], [-0.2, 0.8]])
    h, total = np.zeros((2, 1)), np.zeros((3, 2))
    for x, k in ((1, 2), (-2, 3)):
        h = np.tanh(w_h @ h + w_x * x)
        o = w_y @ h
        y_hat = np.exp(o) / np.exp(o).sum()
        total += sign * (y_hat - fill(k)) @ h.T
    return "[" + ", ".join("[" + ", ".join(f"{v:.6f}" for v in r) + "]" for r in total) + "]"


def test_softmax_shortcut_slips(tmp_path):
    import numpy as np
    one_hot = lambda k: np.eye(3)[:, [k - 1]]
    slips = [(_softmax_by_hand(lambda k: np.full((3, 1), float(k))), "the class number k"),
             (_softmax_by_hand(lambda k: np.ones((3, 1))), "the 1 of the target"),
             (_softmax_by_hand(one_hot, sign=-1), "sign of the cross-entropy shortcut")]
    for i, (wrong, words) in enumerate(slips):
        res = _first(tmp_path, Case("", SOFTMAX, f'"dL/dw_y" = {wrong}', "dL/dw_y", words), i)
        assert res.verdict == "wrong" and res.diagnosis and words in res.diagnosis[0], \
            res.diagnosis
    right = Case("", SOFTMAX, f'"dL/dw_y" = {_softmax_by_hand(one_hot)}', "dL/dw_y", "")
    assert _first(tmp_path, right, 9).verdict == "correct"


def test_a_slip_that_would_change_a_right_answer_is_not_offered(tmp_path):
    """y_hat_2 = 4 on the seed (right: 6) is w_y h_1 (a time index off by one in y_hat_2), or
    h_2 = w_h h_0 + w_x x_2 = 2 then 2 * 2; the second would have made h_2 = 2, so a key
    with h_2 = 3 right rules it out."""
    seed = toml(dict(act="identity", out="identity", loss="squared", w_x=0.1, w_h=1.0,
                     w_y=2.0, b_h=0.0, b_y=0.0, h_0=1.0, x=[10, 10], y=[5, 5]))
    alone = _first(tmp_path, Case("", seed, "y_hat_2 = 4", "y_hat_2", ""), 1)
    assert any("h_2 = w_h * h_0" in d for d in alone.diagnosis), alone.diagnosis
    with_h2 = _first(tmp_path, Case("", seed, "h_2 = 3\ny_hat_2 = 4", "y_hat_2", ""), 2)
    assert len(with_h2.diagnosis) == 1 and with_h2.diagnosis[0].startswith(
        "h_1 was used where h_2 belongs (a time index off by one): y_hat_2 = w_y * h_1"), \
        with_h2.diagnosis
