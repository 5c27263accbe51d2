"""harness.stats: seed summaries (mean, std, 95% CI) and one-sided tests, against hand figures."""

from __future__ import annotations

import math

import pytest
from scipy import stats as sps

from harness.stats import one_sided_p, run_figures, summarize


def test_summary_of_five_seeds():
    s = summarize([0.80, 0.82, 0.84, 0.81, 0.83])
    assert s.n == 5 and s.mean == pytest.approx(0.82)
    assert s.std == pytest.approx(math.sqrt(0.001 / 4))  # squared deviations sum to 0.001
    # 95% CI of the mean: mean +/- t(0.975, 4) * std / sqrt(5), t(0.975, 4) = 2.7764
    half = 2.7764451 * s.std / math.sqrt(5)
    assert (s.ci_low, s.ci_high) == (pytest.approx(0.82 - half), pytest.approx(0.82 + half))


def test_summary_of_one_run_has_no_spread_and_nan_is_left_out():
    s = summarize([0.7, float("nan"), None])
    assert s.n == 1 and s.mean == 0.7 and s.std is None and s.ci_low is None
    assert summarize([]) is None


def test_welch_matches_scipy_and_is_one_sided():
    base, cur = [0.83, 0.84, 0.82, 0.85, 0.83], [0.79, 0.80, 0.78]
    drop = one_sided_p(cur, base, "less")
    assert drop.test == "Welch t"
    assert drop.p == pytest.approx(sps.ttest_ind(cur, base, equal_var=False).pvalue / 2)
    assert drop.p < 0.01
    assert one_sided_p(cur, base, "greater").p > 0.99


def test_one_run_is_tested_against_the_prediction_interval():
    base = [0.80, 0.82, 0.84, 0.81, 0.83]
    result = one_sided_p([0.70], base, "less")
    t = (0.70 - 0.82) / (summarize(base).std * math.sqrt(1 + 1 / 5))
    assert result.test == "prediction t"
    assert result.p == pytest.approx(sps.t(4).cdf(t))
    # the same single run as the baseline: the statistic is still current minus baseline
    assert one_sided_p(base, [0.70], "greater").p == pytest.approx(result.p)


def test_no_spread_and_too_few_runs():
    assert one_sided_p([0.5, 0.5], [0.8, 0.8], "less").p == 0.0
    assert one_sided_p([0.8, 0.8], [0.8, 0.8], "less").p == 1.0
    assert one_sided_p([0.5], [0.8], "less").p is None


def test_run_figures_take_the_median_epoch_time_after_the_first():
    run = {"history": {"val_acc": [0.7, 0.8, 0.75]}, "epoch_time_s": [30.0, 10.0, 12.0],
           "test": {"acc": 0.77}, "data": {"train_samples": 100}}
    assert run_figures(run) == {"best_val_acc": 0.8, "final_val_acc": 0.75, "test_acc": 0.77,
                                "epoch_time_s": 11.0}
