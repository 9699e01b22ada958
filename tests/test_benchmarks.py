"""The benchmark's own correctness (benchmarks/run.py): it must refuse to time tools that
disagree. Its timings are not tested here: machines are noisy, so they live in its table."""

import json
import sys

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import run as bench   # noqa: E402

# the seed by hand: dL/dy_hat = (-2, 2), dL/dh_2 = 2 w_y = 4, dL/dh_1 = -2 w_y + 4 w_h = 0
SEED = {"w_x": 40, "w_h": 8, "w_y": 2, "b_h": 4, "b_y": 0, "h_0": 0}


def test_agreeing_gradients_pass():
    assert bench.agree(SEED, {k: v * (1 + 1e-12) for k, v in SEED.items()}) == []
    m = {**SEED, "w_h": [[1.0, 2.0], [3.0, 4.0]]}
    assert bench.agree(m, {**m, "w_h": [[1.0, 2.0], [3.0, 4.0 + 1e-10]]}) == []


@pytest.mark.parametrize("change, bad", [({"w_h": 8.001}, ["w_h"]),
                                         ({"w_h": [[8]]}, []),
                                         ({"w_h": [8, 1]}, ["w_h"]),
                                         ({"b_y": -2, "h_0": 1}, ["b_y", "h_0"])])
def test_a_disagreement_is_named(change, bad):
    assert bench.agree(SEED, {**SEED, **change}) == bad


def test_a_missing_gradient_is_a_disagreement():
    theirs = dict(SEED)
    del theirs["b_h"]
    assert bench.agree(SEED, theirs) == ["b_h"]


def test_the_seed_gradients_from_the_cli_agree_with_the_hand_values():
    r = bench.measure([sys.executable, "-m", "rnn_cli", "grad", "--wrt", "all", "--format",
                       "json"], runs=1)
    assert r.note == "" and len(r.seconds) == 1
    assert bench.agree(bench.gradients(r.output), SEED) == []


def test_a_failing_command_is_reported_not_timed():
    r = bench.measure([sys.executable, "-c", "raise SystemExit(3)"], runs=2)
    assert r.note and r.seconds == []


def test_student_keys_have_the_right_answers_by_hand(tmp_path):
    import tomllib
    paths = bench.keys(tmp_path, 20)
    assert len(paths) == 20
    right = 0
    for p in paths:
        answers = tomllib.loads(p.read_text())["answers"]
        right += answers["dL/dw_h"] == 8
    assert 0 < right < 20   # a mix of right and wrong answers, not all of either


def test_largest_difference_is_relative_to_each_gradients_largest_entry():
    ours = {**SEED, "w_h": [[8.0, 4.0]]}
    theirs = {**SEED, "w_h": [[8.0, 4.004]]}      # off by 0.004 on a largest entry of 8
    n, worst = bench.largest_difference(ours, theirs)
    assert n == 7 and abs(worst - 0.0005) < 1e-12
