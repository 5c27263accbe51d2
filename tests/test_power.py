"""harness.power: the detectable effect agrees with simulated verdicts, and the gate's test keeps
its false-alarm rate on normal draws and on the committed baseline runs."""

from __future__ import annotations

import numpy as np
import pytest
from support import ROOT

from harness.power import (
    detectable_effect,
    paired_detectable_effect,
    pooled_std,
    simulate,
)


def test_the_detectable_effect_is_caught_four_times_in_five():
    std, alpha = 0.02, 0.05
    effect = detectable_effect(std, 8, 32, alpha)
    assert effect == pytest.approx(0.0210, abs=5e-4)
    values = np.random.default_rng(3).normal(0.83, std, 400)  # a spread of about `std`
    sim = simulate("best_val_acc", values, 8, alpha, [effect], method="normal", n_baseline=32)
    # the simulated power at the computed effect is 80%, within the simulation's error
    assert abs(sim.power[effect] - 0.80) < sim.rate_error(0.80) + 0.02, sim
    assert sim.false_alarm <= alpha + sim.rate_error(alpha), sim


def test_more_runs_see_less_and_a_single_run_is_tested_against_the_prediction_interval():
    assert detectable_effect(0.02, 3, 8, 0.05) > detectable_effect(0.02, 8, 8, 0.05) \
        > detectable_effect(0.02, 8, 32, 0.05)
    assert detectable_effect(0.02, 1, 8, 0.05) > detectable_effect(0.02, 3, 8, 0.05)
    assert detectable_effect(0.02, 3, 1, 0.05) is None
    assert detectable_effect(0.02, 3, 8, 0.01) > detectable_effect(0.02, 3, 8, 0.05)


def test_pairing_helps_only_when_same_seed_runs_agree():
    # differences of two runs of correlation rho have a spread of std * sqrt(2 (1 - rho))
    std = 0.02
    agreeing = paired_detectable_effect(std * np.sqrt(2 * (1 - 0.9)), 8, 0.05)
    unrelated = paired_detectable_effect(std * np.sqrt(2), 8, 0.05)
    assert agreeing < detectable_effect(std, 8, 8, 0.05) < unrelated


def test_pooled_std():
    assert pooled_std([1.0, 3.0], [10.0, 12.0]) == pytest.approx(np.sqrt(2.0))
    assert pooled_std([1.0], [2.0]) is None


def test_the_gate_keeps_its_false_alarm_rate_on_the_committed_baseline_runs():
    """A/A on the stored runs: splits of the baseline into 'current' and 'baseline' runs, no
    change; the gate's test calls at most alpha of them a regression (within the simulation's
    error), and catches an injected drop of 0.04 most of the time."""
    from harness.gate import load_run_files
    from harness.stats import run_figures

    runs = [doc for _, doc in load_run_files([ROOT / "reports" / "baseline" / "imdb_simple_rnn"])]
    values = [run_figures(r)["best_val_acc"] for r in runs]
    assert len(values) >= 16
    sim = simulate("best_val_acc", values, 4, 0.05, [0.04], trials=1000)
    assert sim.false_alarm <= 0.05 + sim.rate_error(0.05), sim
    assert sim.power[0.04] > 0.8, sim


@pytest.mark.parametrize(("values", "n", "message"), [
    ([0.8], 1, "1 stored value"),
    ([0.8, 0.81, 0.82], 2, "cannot be split into 2 current runs"),
])
def test_too_few_values_to_simulate(values, n, message):
    with pytest.raises(ValueError, match=message):
        simulate("best_val_acc", values, n, 0.05)
