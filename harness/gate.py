"""``harness gate``: results against the spec's band and a stored baseline, robust to seed noise.

The runs of one spec are a :class:`Group`: the runs under test (several seeds of one schedule),
the baseline runs they can be compared with, and the band that applies. Small check objects look
at a group and return a failure message or None; every check of every group runs before the
exit code is decided. The checks:

- :class:`CompleteRuns`: at least one run finished;
- :class:`FiniteLoss`: no run stopped at a NaN or infinite loss;
- :class:`StuckAtChance`: no run sits at chance after two epochs (val_acc 0.50 +/- 0.02 and loss
  near ln 2 = 0.693, what a binary classifier that learned nothing shows);
- :class:`BandCheck`: the seed mean of the band's metric is inside the band;
- :class:`RegressionCheck`: per gated metric (an accuracy the spec's ``ci.min_effect`` names), a
  drop against the baseline that is significant: one-sided Welch t-test
  (``scipy.stats.ttest_ind(equal_var=False)``) at ``ci.alpha`` divided by the number of gated
  metrics (Bonferroni: the spec's false-alarm rate stays at or below ``ci.alpha``).
  ``min_effect`` is the drop the gate must be able to see: the verdict prints the drop it detects
  with 80% power (:mod:`harness.power`) beside it and warns when that is larger. The epoch time
  is a regression when it rises significantly and by more than ``min_effect.epoch_time_pct``;
- :class:`CurveCheck`: the seed mean of val_acc and loss stays, epoch by epoch, within the
  baseline's per-epoch mean +/- ``ci.curve_band_std`` standard deviations.

Accuracy and loss are compared with baseline runs of the same spec hash, schedule and data
checksum on any machine; timings only on the same machine, device and mode
(:mod:`harness.comparable`). A gated metric with no comparable baseline is never a pass: the
verdict says NO BASELINE first and the gate exits with :data:`NO_BASELINE_EXIT` unless
``--allow-missing-baseline``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Protocol

from .comparable import (
    changed_sections,
    device_of,
    differences,
    environment_differences,
    identity,
    short,
    timing_identity,
)
from .errors import UsageError
from .figures import band_value, direction_text
from .figures import label as figure_label
from .power import detectable_effect, pooled_std
from .result_types import (
    GroupVerdict,
    MetricVerdict,
    RunLike,
    RunResult,
    SummaryRecord,
    VerdictDocument,
    as_run,
)
from .results import load_run, shown_path
from .spec import Band, Spec
from .stats import METRICS, Summary, one_sided_p, run_figures, summarize

CHANCE_ACC = 0.50
LN2 = math.log(2.0)  # binary cross-entropy of a classifier that always says 0.5
STD_FLOOR = 0.005  # below this a baseline's spread is rounding, not noise (deterministic runs)
NO_BASELINE_EXIT = 3  # a gated metric had no comparable baseline (README: exit codes)
ACCURACY_METRICS = ("best_val_acc", "final_val_acc", "test_acc")

# ---------------------------------------------------------------------------------------------
# A group: the runs of one spec under test, their baseline and their band


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
        return summarize([band_value(self.band, r) for r in self.complete])

    @cached_property
    def baseline_band_summary(self) -> Summary | None:
        if self.band is None:
            return None
        return summarize([band_value(self.band, r) for r in self.baseline])

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


def _seed_list(runs: Sequence[RunResult]) -> str:
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
    harmful, helpful = ("less", "greater") if better > 0 else ("greater", "less")
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


# ---------------------------------------------------------------------------------------------
# The checks: each looks at a group and returns a failure message or None


class Check(Protocol):
    def __call__(self, group: Group) -> str | None: ...


@dataclass(frozen=True)
class CompleteRuns:
    """At least one run finished (a NaN loss is reported by :class:`FiniteLoss`)."""

    def __call__(self, group: Group) -> str | None:
        if group.complete or any(r.status == "nan_loss" for r in group.runs):
            return None
        statuses = ", ".join(sorted({str(r.status) for r in group.runs}))
        return f"no complete run among {len(group.runs)} (status {statuses})"


@dataclass(frozen=True)
class FiniteLoss:
    """No run stopped because its loss became NaN or infinite (train.py records ``nan_loss``)."""

    def __call__(self, group: Group) -> str | None:
        bad = [r for r in group.runs if r.status == "nan_loss"]
        if not bad:
            return None
        first = bad[0].stop_reason or "loss became NaN"
        return (f"NaN or infinite loss in {len(bad)} of {len(group.runs)} runs (seed "
                f"{_seed_list(bad)}); seed {seeds_of(bad)[0]}: {first}")


@dataclass(frozen=True)
class StuckAtChance:
    """No run is at chance after ``epoch`` epochs: val_acc (acc for a spec without validation)
    within 0.50 +/- ``acc_tol`` and the training loss within ln 2 +/- ``loss_tol``. Runs shorter
    than ``epoch`` epochs are not judged."""

    epoch: int = 2
    acc_tol: float = 0.02
    loss_tol: float = 0.02

    def stuck(self, run: RunLike) -> tuple[float, float] | None:
        history = as_run(run).history
        val_acc = history.get("val_acc") or history.get("acc") or []
        loss = history.get("loss") or []
        if len(val_acc) < self.epoch or len(loss) < self.epoch:
            return None
        acc, lo = val_acc[self.epoch - 1], loss[self.epoch - 1]
        if abs(acc - CHANCE_ACC) <= self.acc_tol and abs(lo - LN2) <= self.loss_tol:
            return acc, lo
        return None

    def __call__(self, group: Group) -> str | None:
        found = [(r, self.stuck(r)) for r in group.runs]
        found = [(r, s) for r, s in found if s is not None]
        if not found:
            return None
        accs = ", ".join(f"{s[0]:.4f}" for _, s in found)
        losses = ", ".join(f"{s[1]:.4f}" for _, s in found)
        return (f"stuck at chance: {len(found)} of {len(group.runs)} runs (seed "
                f"{_seed_list([r for r, _ in found])}) after epoch {self.epoch}: val_acc {accs} "
                f"(chance {CHANCE_ACC:.2f} +/- {self.acc_tol}) and loss {losses} "
                f"(ln 2 = {LN2:.3f} +/- {self.loss_tol}); the model learns nothing")


@dataclass(frozen=True)
class BandCheck:
    """The seed mean of the band's metric lies inside the band that applies to the schedule."""

    def __call__(self, group: Group) -> str | None:
        band = group.band
        if band is None:
            return None
        summary = group.band_summary
        if summary is None:
            return f"band miss: no {band.metric} to check against {group.band_source} " \
                   f"[{band.low:.2f}, {band.high:.2f}]"
        if band.low <= summary.mean <= band.high:
            return None
        return (f"band miss: {band.metric} mean {summary.mean:.4f} of {summary.n} runs is "
                f"{'below' if summary.mean < band.low else 'above'} {group.band_source} "
                f"[{band.low:.2f}, {band.high:.2f}]")


@dataclass(frozen=True)
class RegressionCheck:
    """``metric`` did not get significantly worse against the baseline (see :func:`compare`)."""

    metric: str

    def __call__(self, group: Group) -> str | None:
        c = compare(group, self.metric)
        if c.verdict != "regression":
            return None
        label = METRICS[self.metric][0]
        assert c.current is not None and c.baseline is not None and c.p is not None
        if METRICS[self.metric][1] > 0:
            size = f"drop {-c.change:.4f}"
        else:
            size = f"{c.change:+.1f}% > min_effect {c.min_effect:g}%"
        return (f"regression: {label} mean {_fmt(self.metric, c.current.mean)} of {c.current.n} "
                f"runs vs baseline {_fmt(self.metric, c.baseline.mean)} of {c.baseline.n} "
                f"({size}; {c.test.split(',')[0]} one-sided p = {c.p:.2g} < {c.alpha:.3g})")


@dataclass(frozen=True)
class CurveCheck:
    """The seed mean of val_acc (and of loss) stays inside the baseline's per-epoch mean
    +/- ``k`` standard deviations; names the first epoch where it left (val_acc below, or loss
    above: the harmful side). Needs a baseline of two runs or more."""

    k: float = 3.0

    def __call__(self, group: Group) -> str | None:
        if len(group.baseline) < 2:
            return None
        for epoch in range(1, _epochs(group.baseline) + 1):  # val_acc absent: loss only
            for key, sign in (("val_acc", -1), ("loss", +1)):
                now = _at_epoch(group.runs, key, epoch)
                before = _at_epoch(group.baseline, key, epoch)
                if not now or len(before) < 2:
                    continue
                mean_now, base = sum(now) / len(now), summarize(before)
                assert base is not None and base.std is not None
                width = self.k * max(base.std, STD_FLOOR)
                low, high = base.mean - width, base.mean + width
                outside = mean_now < low if sign < 0 else mean_now > high
                if outside:
                    return (f"diverged from the baseline curve at epoch {epoch}: {key} mean "
                            f"{mean_now:.4f} of {len(now)} runs is "
                            f"{'below' if sign < 0 else 'above'} the baseline's "
                            f"{base.mean:.4f} +/- {self.k:g} x {max(base.std, STD_FLOOR):.4f} "
                            f"= [{low:.4f}, {high:.4f}] ({base.n} runs)")
        return None


def _epochs(runs: Sequence[RunResult]) -> int:
    return min(len(r.history.get("loss") or []) for r in runs)


def _at_epoch(runs: Sequence[RunResult], key: str, epoch: int) -> list[float]:
    values = []
    for r in runs:
        seq = r.history.get(key) or []
        if len(seq) >= epoch and math.isfinite(seq[epoch - 1]):
            values.append(seq[epoch - 1])
    return values


def checks_for(spec: Spec) -> list[Check]:
    """Every check of a spec, in the order the verdict lists their failures."""
    k = spec.ci.curve_band_std if spec.ci is not None else 3.0
    return [CompleteRuns(), FiniteLoss(), StuckAtChance(), BandCheck(),
            *(RegressionCheck(m) for m in METRICS), CurveCheck(k)]


# ---------------------------------------------------------------------------------------------
# Grouping results files into groups


def load_run_files(paths: Sequence[str | Path]) -> list[tuple[Path, RunResult]]:
    """Results documents of files and folders (a folder: every ``runs/*.json`` under it).

    Raises:
        UsageError: a path that does not exist, or a folder without run files.
        ResultsError: a file that is not a readable results file.
    """
    found: list[tuple[Path, RunResult]] = []
    seen: set[Path] = set()
    for path in map(Path, paths):
        if path.is_dir():
            files = sorted(path.rglob("runs/*.json"))
            if not files:
                raise UsageError(f"{path}: no run files (runs/*.json) in this folder")
        elif path.exists():
            files = [path]
        else:
            raise UsageError(f"{path}: no such results file or folder")
        for f in files:
            if f.resolve() not in seen:  # a file given also through its folder counts once
                seen.add(f.resolve())
                found.append((f, load_run(f)))
    return found


def baseline_runs(folder: Path, spec: Spec) -> list[RunResult]:
    """Every run file stored for the spec under ``folder/<spec name>/runs/``."""
    runs_dir = folder / spec.name / "runs"
    return [load_run(f) for f in sorted(runs_dir.glob("*.json"))] if runs_dir.is_dir() else []


def make_groups(runs: Sequence[RunLike], specs: Sequence[Spec],
                baseline_dir: Path | None) -> tuple[list[Group], list[str]]:
    """Group runs by spec and identity, and give each group its baseline and band.

    Returns:
        ``(groups, not_comparable)``: runs made with another version of a spec (a different spec
        hash) form no group; they are described in ``not_comparable``.

    Raises:
        UsageError: a run of a spec that is not among ``specs``.
    """
    from .pipeline import band_for

    by_name = {s.name: s for s in specs}
    buckets: dict[tuple[str | None, str], list[RunResult]] = {}
    not_comparable: list[str] = []
    for run in map(as_run, runs):
        name = run.spec.name
        spec = by_name.get(name) if name is not None else None
        if spec is None:
            raise UsageError(f"results of spec '{name}' ({run.run_id}): no spec of that "
                             f"name among {', '.join(s.path for s in specs)}; pass its spec file "
                             "too, or only the results of the specs given (a folder such as "
                             "<baseline>/<spec name>)")
        key = (name, repr(sorted(identity(run).items())))
        buckets.setdefault(key, []).append(run)
    groups = []
    for (name, _), members in buckets.items():
        spec = by_name[str(name)]
        where = shown_path(spec.path)  # the verdict names the spec file relative to the project
        if members[0].spec.hash != spec.content_hash():
            changed = changed_sections(members[0], {"spec": {
                "section_hashes": spec.section_hashes()}})
            not_comparable.append(
                f"{name}: {len(members)} run(s) made with another version of {where} "
                f"({', '.join(changed) or 'spec hash'} changed): not comparable, not gated")
            continue
        group = Group(spec=spec, runs=sorted(members, key=lambda r: seeds_of([r])[0] or 0))
        schedule = members[0].schedule
        group.band = band_for(spec, schedule.to_json_dict())
        group.band_source = (f"{where}: ci.band" if schedule.name == "ci"
                             else f"{where}: band")
        if group.band is None and schedule.name == "ci":
            shown = short(identity(members[0])["schedule"])
            group.notes.append(f"no band applies: {where} no longer declares this CI "
                               f"schedule ({shown})")
        _attach_baseline(group, baseline_dir)
        incomplete = [r for r in members if r.status not in ("complete", "nan_loss")]
        if incomplete:
            group.notes.append(f"left out: {len(incomplete)} run(s) that did not finish (seed "
                               f"{_seed_list(incomplete)}, status "
                               f"{', '.join(sorted({str(r.status) for r in incomplete}))})")
        groups.append(group)
    return groups, not_comparable


def _attach_baseline(group: Group, baseline_dir: Path | None) -> None:
    if baseline_dir is None:
        group.baseline_note = "no baseline given"
        return
    stored = [r for r in baseline_runs(baseline_dir, group.spec) if r.status == "complete"]
    where = shown_path(baseline_dir / group.spec.name / "runs")
    if not stored:
        group.baseline_note = f"no baseline: no complete runs in {where}"
        return
    # A run is not evidence against itself: runs under test that are baseline runs are left
    # out of the baseline (``gate --results <baseline>/...`` would otherwise always pass).
    tested = {r.run_id for r in group.runs}
    own = [r for r in stored if r.run_id in tested]
    if own:
        stored = [r for r in stored if r.run_id not in tested]
        group.notes.append(f"{len(own)} of the runs under test are baseline runs from {where}; "
                           "they are left out of the baseline")
        if not stored:
            group.baseline_note = (f"no baseline: the runs under test are the only complete "
                                   f"runs in {where}")
            return
    mine = identity(group.runs[0])
    comparable = [r for r in stored if identity(r) == mine]
    if not comparable:
        why = differences(group.runs[0], stored[-1])
        group.baseline_note = (f"not comparable: the {len(stored)} baseline run(s) in {where} "
                               f"differ in {'; '.join(why)}")
        group.timing_note = group.baseline_note
        return
    comparable.sort(key=lambda r: seeds_of([r])[0] or 0)  # parallel runs finish in any order
    group.baseline = _baseline_for_this_machine(group, comparable)
    group.environment = environment_differences(group.runs, group.baseline)
    here = timing_identity(group.runs[0])
    group.timing_baseline = [r for r in comparable if timing_identity(r) == here]
    if not group.timing_baseline:
        why = differences(group.runs[0], comparable[-1], timing=True)
        group.timing_note = (f"timings not comparable: the {len(comparable)} baseline run(s) "
                             f"differ in {'; '.join(why)}")


def _baseline_for_this_machine(group: Group, runs: list[RunResult]) -> list[RunResult]:
    """The baseline runs to judge accuracy against: all of them, unless they show that the
    machine kind (CPU model or GPU) shifts a gated metric (one-way ANOVA between kinds at the
    metric's level), which is a finding the verdict reports. Then the runs of this machine's
    kind are used when there are 3 or more of them; else all, with the remedy named."""
    from scipy import stats

    kinds: dict[str, list[RunResult]] = {}
    for run in runs:
        kinds.setdefault(device_of(run.environment), []).append(run)
    if len(kinds) < 2:
        return runs
    here = device_of(group.runs[0].environment)
    for metric in (m for m in group.gated if m in ACCURACY_METRICS):
        samples = {kind: [v for r in members if (v := run_figures(r)[metric]) is not None]
                   for kind, members in kinds.items()}
        samples = {k: v for k, v in samples.items() if len(v) >= 2}
        if len(samples) < 2 or all(len(set(v)) == 1 for v in samples.values()):
            continue
        p = float(stats.f_oneway(*samples.values()).pvalue)
        if not p < group.metric_alpha:
            continue
        means = "; ".join(f"{kind} {sum(v) / len(v):.4f} ({len(v)} runs)"
                          for kind, v in samples.items())
        finding = (f"finding: the machine kind shifts {METRICS[metric][0]} in the baseline "
                   f"({means}; one-way ANOVA p = {p:.2g} < {group.metric_alpha:.3g})")
        own = kinds.get(here, [])
        if len(own) >= 3:
            group.notes.append(f"{finding}; judged against the {len(own)} baseline runs of "
                               f"{here} only")
            return own
        group.notes.append(f"{finding}; {len(own)} baseline run(s) of {here}, too few to judge "
                           f"against alone, so all are used: record more here with "
                           f"harness calibrate {shown_path(group.spec.path)} --extend 8")
        return runs
    return runs


# ---------------------------------------------------------------------------------------------
# Verdict


@dataclass
class Verdict:
    """The outcome of the gate: the groups and, for each, its failure messages.

    Attributes:
        groups: the groups judged.
        failures: ``failures[i]`` lists every failure of ``groups[i]`` (empty: it passed).
        not_comparable: runs that formed no group (another version of their spec).
        skipped: specs not gated, and why (no ci section, nothing to train).
        allow_missing_baseline: a gated metric without a comparable baseline does not fail the
            gate (``--allow-missing-baseline``, to bootstrap a new spec); the verdict still
            says so first.
        judged_against: what the runs were compared with (the stored baseline, and each
            ``--reference`` of the drift guard), one line each.
    """

    groups: list[Group]
    failures: list[list[str]]
    not_comparable: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    allow_missing_baseline: bool = False
    judged_against: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(self.failures)

    @property
    def failure_count(self) -> int:
        return sum(len(f) for f in self.failures)

    def messages(self) -> list[str]:
        return [f"{g.spec.name}: {m}" for g, fs in zip(self.groups, self.failures, strict=True)
                for m in fs]

    def missing(self) -> list[str]:
        """Each spec with a gated metric that had no comparable baseline, with why and the
        remedy; and runs that could not be judged at all (another version of their spec)."""
        found = []
        for group in self.groups:
            metrics = group.missing_baseline()
            if metrics:
                why = group.missing_why()
                labels = ", ".join(METRICS[m][0] for m in metrics)
                found.append(f"{group.spec.name} ({labels}): {why}; remedy: harness calibrate "
                             f"{shown_path(group.spec.path)}")
        if not self.groups:
            found += [f"{n.split(':')[0]}: nothing judged ({n.split(': ', 1)[1]})"
                      for n in self.not_comparable]
        return found

    @property
    def state(self) -> str:
        """FAIL, NO BASELINE, PASS WITHOUT BASELINE (allowed) or PASS."""
        if self.failed:
            return "FAIL"
        if self.missing():
            return "PASS WITHOUT BASELINE" if self.allow_missing_baseline else "NO BASELINE"
        return "PASS"

    def headline(self) -> str:
        """The verdict's first line: the state, the failures' count, and the specs that had no
        baseline with why (never left for a later line)."""
        line = f"# Accuracy gate: {self.state}"
        count = self.failure_count
        if count:
            line += f" ({count} failure{'s' * (count != 1)})"
        missing = self.missing()
        if missing:
            if self.state == "FAIL":
                line += "; NO BASELINE"
            elif self.allow_missing_baseline:
                line += " (--allow-missing-baseline)"
            line += " for " + "; ".join(missing)
        return line


def judge(groups: Sequence[Group], not_comparable: Sequence[str] = (),
          checks: Callable[[Spec], list[Check]] = checks_for) -> Verdict:
    """Run every check of every group and collect every failure before deciding."""
    failures = [[m for check in checks(g.spec) if (m := check(g))] for g in groups]
    return Verdict(list(groups), failures, list(not_comparable))


def _fmt(metric: str, value: float | None, signed: bool = False) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    if metric == "epoch_time_s":
        return f"{value:+.1f}" if signed else f"{value:.1f}"
    return f"{value:+.4f}" if signed else f"{value:.4f}"


def _mean_std(metric: str, s: Summary | None) -> str:
    if s is None:
        return "-"
    if s.std is None:
        return f"{_fmt(metric, s.mean)} (1 run)"
    return f"{_fmt(metric, s.mean)} ± {_fmt(metric, s.std)} ({s.n})"


def _ci(metric: str, s: Summary | None) -> str:
    if s is None or s.ci_low is None:
        return "-"
    return f"[{_fmt(metric, s.ci_low)}, {_fmt(metric, s.ci_high)}]"


def metrics_table(group: Group) -> str:
    """The verdict table of one group: a row per metric, the figures behind each verdict."""
    from .report import _table

    rows = []
    for metric, (label, better) in METRICS.items():
        c = compare(group, metric)
        if better > 0:
            change = _fmt(metric, c.change, signed=True)
            effect = "-" if c.min_effect is None else f"{c.min_effect:.4f}"
        else:
            change = "-" if c.change is None else f"{c.change:+.1f}%"
            effect = "-" if c.min_effect is None else f"{c.min_effect:g}%"
        band = "-"
        if group.band is not None and group.band.metric == metric and c.current is not None:
            inside = group.band.low <= c.current.mean <= group.band.high
            band = f"{'inside' if inside else 'MISS'} [{group.band.low:.2f}, {group.band.high:.2f}]"
        p = "-" if c.p is None else f"{c.p:.3g} ({c.test})"
        detectable = "-" if c.detectable is None else f"{c.detectable:.4f}"
        rows.append([label, _mean_std(metric, c.current), _ci(metric, c.current),
                     _mean_std(metric, c.baseline), change, p, detectable, effect, band,
                     c.verdict])
    if group.band is not None and group.band.metric not in METRICS:
        rows.append(_band_row(group))
    return _table(rows, ["metric", "mean ± std (runs)", "95% CI", "baseline mean ± std (runs)",
                         "change", "p (one-sided)", "detectable (80%)", "min effect", "band",
                         "verdict"])


def power_lines(group: Group) -> list[str]:
    """What the gate can see for each gated accuracy metric: the drop it detects with 80%
    power beside the min_effect it is asked to see, with a warning when it cannot see it."""
    lines = []
    for metric in (m for m in group.gated if m in ACCURACY_METRICS):
        current, baseline = group.summaries[metric], group.baseline_summaries[metric]
        detectable, effect = group.detectable(metric), group.min_effect[metric]
        label = METRICS[metric][0]
        if detectable is None or current is None or baseline is None:
            lines.append(f"- power: {label}: no detectable effect can be computed "
                         f"({'no baseline' if baseline is None else 'too few runs'})")
            continue
        std = pooled_std(current.values, baseline.values) or 0.0
        line = (f"- power: {label}: detects a drop of {detectable:.4f} with 80% power "
                f"({current.n} runs vs {baseline.n}, std {std:.4f}, one-sided alpha "
                f"{group.metric_alpha:.3g}); asked to see {effect}")
        if effect is not None and detectable > effect:
            need = _runs_needed(std, baseline.n, group.metric_alpha, effect)
            line += (f": WARNING: it cannot see a drop of {effect} "
                     + (f"(it would with {need} runs against this baseline)" if need else
                        "(not with any number of runs against this baseline: record more "
                        f"baseline runs, harness calibrate {shown_path(group.spec.path)} "
                        "--extend 16)"))
        lines.append(line)
    return lines


def _runs_needed(std: float, n_baseline: int, alpha: float, effect: float) -> int | None:
    """The fewest runs under test whose detectable drop is at most ``effect`` (None: above 64)."""
    for n in range(2, 65):
        found = detectable_effect(std, n, n_baseline, alpha)
        if found is not None and found <= effect:
            return n
    return None


def _band_row(group: Group) -> list[str]:
    """The verdict table's row of a band on a figure the gate does not test for regressions
    (``best_val_loss``, ``final_val_mae``): its mean, and inside or outside the band."""
    band = group.band
    assert band is not None
    now, before = group.band_summary, group.baseline_band_summary
    change = "-" if now is None or before is None else _fmt(band.metric, now.mean - before.mean,
                                                          signed=True)
    where = "-" if now is None else (
        f"{'inside' if band.low <= now.mean <= band.high else 'MISS'} "
        f"[{band.low:.2f}, {band.high:.2f}]")
    return [f"{figure_label(band.metric)} ({direction_text(band.lower_is_better)})",
            _mean_std(band.metric, now), _ci(band.metric, now), _mean_std(band.metric, before),
            change, "-", "-", where, "band only" if now is not None else "no result"]


def _describe_runs(group: Group) -> str:
    run = group.runs[0]
    name = run.schedule.given("name", "?")
    execution = run.execution
    det = "deterministic" if execution.deterministic else "not deterministic"
    return (f"{len(group.runs)} run(s), seed {_seed_list(group.runs)}; {name} schedule: "
            f"{short(run.schedule.identity())}; mode {execution.mode}, {det}; "
            f"{device_of(run.environment)}")


def verdict_document(verdict: Verdict) -> VerdictDocument:
    """The verdict for scripts (``harness gate --json``): its state and exit code, and per spec
    every metric's figures (means, standard deviations, runs, change, one-sided p, the level it
    was held to, the detectable drop at 80% power, min_effect, verdict)."""
    def summary(s: Summary | None) -> SummaryRecord | None:
        return None if s is None else SummaryRecord(n=s.n, mean=s.mean, std=s.std)

    exit_code = 1 if verdict.failed else (
        NO_BASELINE_EXIT if verdict.state == "NO BASELINE" else 0)
    groups = []
    for group, failures in zip(verdict.groups, verdict.failures, strict=True):
        metrics = {}
        for metric in METRICS:
            c = compare(group, metric)
            metrics[metric] = MetricVerdict(
                current=summary(c.current), baseline=summary(c.baseline), change=c.change,
                p=c.p, test=c.test, alpha=c.alpha, detectable=c.detectable,
                min_effect=c.min_effect, gated=metric in group.gated, verdict=c.verdict)
        groups.append(GroupVerdict(
            spec=group.spec.name, path=shown_path(group.spec.path),
            state=_state(group, failures), failures=failures, runs=len(group.runs),
            baseline_runs=len(group.baseline), baseline_note=group.baseline_note,
            environment=group.environment, notes=group.notes, references=group.references,
            metrics=metrics))
    return VerdictDocument(
        schema_version=1, state=verdict.state, exit_code=exit_code,
        headline=verdict.headline(), missing_baseline=verdict.missing(), groups=groups,
        not_comparable=verdict.not_comparable, skipped=verdict.skipped,
        judged_against=verdict.judged_against)


def _state(group: Group, failures: list[str]) -> str:
    if failures:
        return "FAIL"
    return "NO BASELINE" if group.missing_baseline() else "pass"


def render_verdict(verdict: Verdict) -> str:
    """The verdict as Markdown, ready to paste into a pull request."""
    from .report import _table

    lines = [verdict.headline(), ""]
    summary = []
    for group, failures in zip(verdict.groups, verdict.failures, strict=True):
        baseline = f"{len(group.baseline)} runs" if group.baseline else (
            "not comparable" if (group.baseline_note or "").startswith("not comparable")
            else "none")
        summary.append([group.spec.name, len(group.runs), baseline, _state(group, failures)])
    if summary:
        lines += [_table(summary, ["spec", "runs", "baseline", "verdict"]), ""]
    lines += [f"- judged against: {line}" for line in verdict.judged_against]
    if verdict.judged_against:
        lines.append("")
    for group, failures in zip(verdict.groups, verdict.failures, strict=True):
        lines += [f"## {group.spec.name}: {_state(group, failures)}", "",
                  f"- runs: {_describe_runs(group)}"]
        if group.baseline:
            lines.append(f"- baseline: {len(group.baseline)} comparable runs, seed "
                         f"{_seed_list(group.baseline)}")
            lines += [f"- environment differs: {line}" for line in group.environment]
            if group.timing_note:
                lines.append(f"- epoch time: {group.timing_note}")
        else:
            lines.append(f"- baseline: {group.baseline_note}")
        lines += power_lines(group)
        if group.band is not None:
            lower = " (lower is better)" if group.band.lower_is_better else ""
            lines.append(f"- band: {group.band.metric}{lower} in [{group.band.low:.2f}, "
                         f"{group.band.high:.2f}] ({group.band_source}), checked on the seed mean")
        lines += [f"- note: {n}" for n in group.notes]
        lines += [f"- reference {line}" for line in group.references]
        lines += ["", metrics_table(group), ""]
        if failures:
            lines += ["Failures:", ""] + [f"- {f}" for f in failures] + [""]
    if verdict.not_comparable or verdict.skipped:
        lines += ["## Not gated", ""]
        lines += [f"- {n}" for n in verdict.not_comparable + verdict.skipped] + [""]
    lines += ["Regression: a drop of the seed mean of a gated metric (one the spec's "
              "ci.min_effect names) that is significant: one-sided Welch t-test at ci.alpha "
              "divided by the number of gated metrics. Detectable: the drop caught with 80% "
              "power by these runs; min_effect is the drop the gate must be able to see. Band: "
              "checked on the seed mean. Accuracy and loss are compared with runs of the same "
              "spec hash, schedule and data checksum on any machine (the differences are "
              "listed); epoch times only on the same machine, device and mode.", ""]
    return "\n".join(lines)


__all__ = ["BandCheck", "Check", "Comparison", "CompleteRuns", "CurveCheck", "FiniteLoss",
           "Group", "RegressionCheck", "StuckAtChance", "Verdict", "checks_for", "compare",
           "differences", "identity", "judge", "load_run_files", "make_groups",
           "render_verdict"]
