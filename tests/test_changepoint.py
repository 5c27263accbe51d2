"""Change-point detection: the commit where a metric shifted, and what the method can detect."""

from __future__ import annotations

import numpy as np

from harness.history.changepoint import (
    DEFAULT_ALPHA,
    CommitSample,
    detect,
    simulate,
    simulation_report,
)


def _history(levels, seeds=5, sd=0.01, seed=0):
    rng = np.random.default_rng(seed)
    return [CommitSample(f"c{i:02d}", tuple(rng.normal(level, sd, seeds)))
            for i, level in enumerate(levels)]


def test_a_flat_history_has_no_change_point():
    assert detect(_history([0.85] * 20)) == []


def test_a_shift_is_named_at_its_commit_with_the_ranges_compared():
    (point,) = detect(_history([0.85] * 12 + [0.82] * 8))  # a drop of 3 seed sds at c12
    assert (point.index, point.commit, point.last_before) == (12, "c12", "c11")
    assert (point.before, point.after) == ("c00..c11", "c12..c19")
    assert (point.runs_before, point.runs_after) == (60, 40)
    assert abs(point.shift + 0.03) < 0.01 and point.p_value < DEFAULT_ALPHA


def test_two_shifts_are_both_found():
    points = detect(_history([0.85] * 8 + [0.80] * 8 + [0.86] * 8))
    assert [p.commit for p in points] == ["c08", "c16"]
    assert points[0].after == "c08..c15" and points[1].before == "c08..c15"


def test_one_run_per_commit_estimates_noise_from_successive_differences():
    (point,) = detect(_history([0.85] * 10 + [0.80] * 10, seeds=1, sd=0.005))
    assert point.commit == "c10"


def test_too_short_or_identical_histories():
    assert detect(_history([0.85, 0.80, 0.80])) == []  # fewer than two commits per side
    same = [CommitSample(f"c{i}", (0.5, 0.5)) for i in range(6)]
    assert detect(same) == []
    steps = same[:3] + [CommitSample(f"d{i}", (0.6, 0.6)) for i in range(3)]
    assert [p.commit for p in detect(steps)] == ["d0"]


def test_false_change_point_rate_and_power_by_simulation():
    flat = simulate(0.0, trials=300, seed=1)
    assert flat.rate <= 0.06  # alpha 0.05 and the simulation's error
    big = simulate(2.0, trials=100, seed=2)
    assert big.rate >= 0.95 and big.within_one >= 0.95
    small = simulate(0.5, trials=100, seed=3)
    assert small.rate < big.rate  # what it cannot reliably detect is printed, not hidden


def test_the_report_says_what_it_can_and_cannot_detect():
    text = simulation_report([(12, 3)], trials=20)
    assert text.startswith("# Change-point detection: what it can and cannot detect")
    assert "false change-point rate on flat histories" in text and "| 0.5 " in text
    assert "## 12 commits x 3 seed(s) per commit" in text
