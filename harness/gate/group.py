"""A :class:`Group` (the runs of one spec under test, with the baseline runs they can be compared
with and the band that applies) and :func:`compare`: one metric of a group against its baseline
(one-sided Welch t-test; :class:`Comparison` holds the figures behind the verdict)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

from ..pipeline.bands import check_band
from ..power import detectable_effect, pooled_std
from ..result_types import RunLike, RunResult, as_run
from ..spec import Band, Spec
from ..stats import METRICS, Summary, one_sided_p, run_figures, summarize

CHANCE_ACC = 0.50
LN2 = math.log(2.0)  # binary cross-entropy of a classifier that always says 0.5
STD_FLOOR = 0.005  # below this a baseline's spread is rounding, not noise (deterministic runs)
NO_BASELINE_EXIT = 3  # a gated metric had no comparable baseline (README: exit codes)
ACCURACY_METRICS = ("best_val_acc", "final_val_acc", "test_acc")
Alternative = Literal["less", "greater"]  # the side a one-sided test looks at


@dataclass
class Group:
    """The runs of one spec and schedule under test, with what they are judged against.

    Attributes:
        spec: the spec the runs were made from (same name and hash).
        runs: results documents, one per seed.
        baseline: the baseline runs comparable with ``runs`` on accuracy and loss (same spec
            hash, schedule and data checksum; any machine), may be empty.
        baseline_note: why ``baseline`` is empty (none stored, or not comparable: the reasons).
        timing_baseline: the baseline runs comparable on timings (also the same machine,
            device and execution mode).
        timing_note: why ``timing_baseline`` is empty.
        environment: how the baseline's environment differs from the runs' (CPU, device,
            TensorFlow and Keras versions, mode), one line each.
        band: the band that applies to this schedule, or None.
        band_source: where the band is declared (``specs/x.yaml: ci.band``).
        notes: other things the verdict should say (incomplete runs left out, versions).
        references: the drift guard's comparisons with named references (``--reference``),
            one line each.
    """

    spec: Spec
    runs: list[RunResult]
    baseline: list[RunResult] = field(default_factory=list)
    baseline_note: str | None = None
    timing_baseline: list[RunResult] = field(default_factory=list)
    timing_note: str | None = None
    environment: list[str] = field(default_factory=list)
    band: Band | None = None
    band_source: str = ""
    notes: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        # Runs handed in as raw documents (the store's rows, a test's) are read typed.
        self.runs = [as_run(r) for r in self.runs]
        self.baseline = [as_run(r) for r in self.baseline]
        self.timing_baseline = [as_run(r) for r in self.timing_baseline]

    @cached_property
    def complete(self) -> list[RunResult]:
        return [r for r in self.runs if r.status == "complete"]

    @cached_property
    def summaries(self) -> dict[str, Summary | None]:
        figures = [run_figures(r) for r in self.complete]
        return {m: summarize([f[m] for f in figures]) for m in METRICS}

    @cached_property
    def baseline_summaries(self) -> dict[str, Summary | None]:
        figures = [run_figures(r) for r in self.baseline]
        summaries = {m: summarize([f[m] for f in figures]) for m in ACCURACY_METRICS}
        timing = [run_figures(r)["epoch_time_s"] for r in self.timing_baseline]
        summaries["epoch_time_s"] = summarize(timing)
        return summaries

    @cached_property
    def band_summary(self) -> Summary | None:
        """The band's figure over the complete runs, in the band's direction (any metric)."""
        if self.band is None:
            return None
        return check_band(self.band, self.complete).summary

    @cached_property
    def baseline_band_summary(self) -> Summary | None:
        if self.band is None:
            return None
        return check_band(self.band, self.baseline).summary

    def records_acc(self) -> bool:
        """Whether the spec trains with an accuracy metric (``acc``/``accuracy``): the gated
        accuracy figures are not recorded for one with ``metrics: []`` or other metrics."""
        train = self.spec.train
        return train is not None and "acc" in train.recorded_metrics()

    @property
    def min_effect(self) -> dict[str, float | None]:
        effect = self.spec.ci.min_effect if self.spec.ci is not None else None
        return {
            "best_val_acc": effect.best_val_acc if effect else None,
            "final_val_acc": effect.final_val_acc if effect else None,
            "test_acc": effect.test_acc if effect else None,
            "epoch_time_s": effect.epoch_time_pct if effect else None,
        }

    @property
    def alpha(self) -> float:
        return self.spec.ci.alpha if self.spec.ci is not None else 0.05

    @property
    def gated(self) -> list[str]:
        """The metrics that can fail the gate: those the spec gives a min_effect for, among
        the figures its runs record (no val_acc without validation, no accuracy without
        ``acc``)."""
        names = [m for m in METRICS if self.min_effect[m] is not None]
        if not self.records_acc():
            names = [m for m in names if m not in ACCURACY_METRICS]
        if not any(r.history.get("val_acc") for r in self.runs):
            names = [m for m in names if not m.endswith("val_acc")]
        return names

    @property
    def metric_alpha(self) -> float:
        """The level each gated accuracy metric is tested at: ``ci.alpha`` divided by their
        number (Bonferroni), so the spec's A/A false-alarm rate stays at or below ``ci.alpha``."""
        count = sum(m in ACCURACY_METRICS for m in self.gated)
        return self.alpha / max(count, 1)

    def missing_baseline(self) -> list[str]:
        """The gated metrics that cannot be judged: no comparable baseline, or too few runs
        on a side for the test (one run against one)."""
        return [m for m in self.gated if self.baseline_summaries[m] is None
                or compare(self, m).verdict == "too few runs"]

    def missing_why(self) -> str:
        """Why :meth:`missing_baseline` is not empty, for the verdict's first line."""
        if not self.baseline:
            return str(self.baseline_note)
        metrics = self.missing_baseline()
        if "epoch_time_s" in metrics and self.timing_note:
            return self.timing_note
        current, base = self.summaries[metrics[0]], self.baseline_summaries[metrics[0]]
        return (f"too few runs to test: {current.n if current else 0} run(s) against "
                f"{base.n if base else 0} baseline run(s)")

    def detectable(self, metric: str) -> float | None:
        """The drop of ``metric`` (accuracy) the gate catches with 80% power at
        :attr:`metric_alpha`, from the spread of the runs judged (current and baseline
        pooled): :func:`harness.power.detectable_effect`."""
        current, baseline = self.summaries[metric], self.baseline_summaries[metric]
        if metric not in ACCURACY_METRICS or current is None or baseline is None:
            return None
        std = pooled_std(current.values, baseline.values)
        if std is None:
            return None
        return detectable_effect(std, current.n, baseline.n, self.metric_alpha)


def seeds_of(runs: Sequence[RunLike]) -> list[int | None]:
    return [as_run(r).execution.seed for r in runs]


def seed_list(runs: Sequence[RunResult]) -> str:
    return ", ".join(str(s) for s in seeds_of(runs))


# ---------------------------------------------------------------------------------------------
# Comparing one metric with the baseline


@dataclass(frozen=True)
class Comparison:
    """One metric of a group against its baseline.

    ``change`` is current mean minus baseline mean (accuracy) or the relative change in percent
    (epoch time); ``p`` is the one-sided p-value in the direction of the change (``test`` names
    the test and the direction); ``alpha`` is the level it is held to; ``detectable`` is the
    drop caught with 80% power (accuracy). ``verdict`` is pass, regression, improvement,
    not comparable, no baseline, no result, not recorded (no validation), too few runs, or for
    a metric that is not gated, ``lower``/``higher``/``slower``/``faster (not gated)``.
    """

    metric: str
    current: Summary | None
    baseline: Summary | None
    change: float | None
    p: float | None
    test: str
    min_effect: float | None
    verdict: str
    alpha: float = 0.05
    detectable: float | None = None


def compare(group: Group, metric: str) -> Comparison:
    """Compare ``metric`` of the group's runs with its baseline (see :class:`Comparison`).

    Accuracy: a regression is a significant drop at :attr:`Group.metric_alpha`, whatever its
    size (``min_effect`` is what the gate must be able to see, not a floor). Epoch time: a
    significant rise larger than ``min_effect.epoch_time_pct`` (a shared machine's load moves
    timings by more than noise between seeds would).
    """
    current = group.summaries[metric]
    baseline = group.baseline_summaries[metric]
    effect = group.min_effect[metric]
    gated = metric in group.gated
    alpha = group.metric_alpha if metric in ACCURACY_METRICS else group.alpha
    if current is None or baseline is None:
        if metric != "epoch_time_s" and not group.records_acc():
            verdict = "not recorded"  # metrics: [] or others: no accuracy to gate
        elif metric.endswith("val_acc") and not any(
                r.history.get("val_acc") for r in group.runs):
            verdict = "not recorded"  # a spec without validation_split has no val_acc
        elif current is None:
            verdict = "no result"
        elif metric == "epoch_time_s" and group.timing_note:
            verdict = "not comparable"
        elif (group.baseline_note or "").startswith("not comparable"):
            verdict = "not comparable"
        else:
            verdict = "no baseline"
        return Comparison(metric, current, baseline, None, None, "", effect, verdict, alpha)
    better = METRICS[metric][1]
    harmful: Alternative = "less" if better > 0 else "greater"
    helpful: Alternative = "greater" if better > 0 else "less"
    worse = one_sided_p(current.values, baseline.values, harmful)
    gain = one_sided_p(current.values, baseline.values, helpful)
    if better > 0:
        change = current.mean - baseline.mean
        size = -change  # how much worse, in accuracy
        floor = 0.0  # accuracy: significance decides
    else:
        change = 100.0 * (current.mean / baseline.mean - 1.0) if baseline.mean else math.inf
        size = change  # how much slower, in percent
        floor = effect or 0.0
    if worse.p is None:
        verdict = "too few runs"
    elif worse.p < alpha and size > floor:
        verdict = "regression"
    elif gain.p is not None and gain.p < alpha and -size > floor:
        verdict = "improvement"
    else:
        verdict = "pass"
    if not gated and verdict in ("regression", "improvement"):
        # Reported, never failed: say which way it moved, not "regression".
        worse_word = "lower" if better > 0 else "slower"
        better_word = "higher" if better > 0 else "faster"
        verdict = f"{worse_word if verdict == 'regression' else better_word} (not gated)"
    shown = worse if size >= 0 else gain
    direction = ("drop" if better > 0 else "rise") if size >= 0 else (
        "rise" if better > 0 else "drop")
    return Comparison(metric, current, baseline, change, shown.p, f"{shown.test}, {direction}",
                      effect, verdict, alpha, group.detectable(metric))

