"""The gate's checks: each looks at a :class:`~harness.gate.group.Group` and returns a failure
message or None (:func:`checks_for` lists a spec's, in the order the verdict lists their
failures)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from ..pipeline.bands import BandResult
from ..result_types import RunLike, RunResult, as_run
from ..spec import Spec
from ..stats import METRICS, summarize
from .cells import figure_cell
from .group import CHANCE_ACC, LN2, STD_FLOOR, Group, compare, seed_list, seeds_of


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
                f"{seed_list(bad)}); seed {seeds_of(bad)[0]}: {first}")


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
        found = [(r, s) for r in group.runs if (s := self.stuck(r)) is not None]
        if not found:
            return None
        accs = ", ".join(f"{s[0]:.4f}" for _, s in found)
        losses = ", ".join(f"{s[1]:.4f}" for _, s in found)
        return (f"stuck at chance: {len(found)} of {len(group.runs)} runs (seed "
                f"{seed_list([r for r, _ in found])}) after epoch {self.epoch}: val_acc {accs} "
                f"(chance {CHANCE_ACC:.2f} +/- {self.acc_tol}) and loss {losses} "
                f"(ln 2 = {LN2:.3f} +/- {self.loss_tol}); the model learns nothing")


@dataclass(frozen=True)
class BandCheck:
    """The seed mean of the band's metric lies inside the band that applies to the schedule."""

    def __call__(self, group: Group) -> str | None:
        band = group.band
        if band is None:
            return None
        result = BandResult(band, group.band_summary)
        summary = result.summary
        if summary is None:
            return f"band miss: no {band.metric} to check against {group.band_source} " \
                   f"[{band.low:.2f}, {band.high:.2f}]"
        if result.ok:
            return None
        return (f"band miss: {band.metric} mean {summary.mean:.4f} of {summary.n} runs is "
                f"{result.side} {group.band_source} [{band.low:.2f}, {band.high:.2f}]")


@dataclass(frozen=True)
class RegressionCheck:
    """``metric`` did not get significantly worse against the baseline (see :func:`compare`)."""

    metric: str

    def __call__(self, group: Group) -> str | None:
        c = compare(group, self.metric)
        if c.verdict != "regression":
            return None
        label = METRICS[self.metric][0]
        # a regression was measured: both sides summarized, a change and its p-value
        assert c.current is not None and c.baseline is not None and c.p is not None
        assert c.change is not None
        if METRICS[self.metric][1] > 0:
            size = f"drop {-c.change:.4f}"
        else:
            size = f"{c.change:+.1f}% > min_effect {c.min_effect:g}%"
        now, before = (figure_cell(self.metric, s.mean) for s in (c.current, c.baseline))
        return (f"regression: {label} mean {now} of {c.current.n} "
                f"runs vs baseline {before} of {c.baseline.n} "
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
        for epoch in range(1, epochs_of(group.baseline) + 1):  # val_acc absent: loss only
            for key, sign in (("val_acc", -1), ("loss", +1)):
                now = at_epoch(group.runs, key, epoch)
                before = at_epoch(group.baseline, key, epoch)
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


def epochs_of(runs: Sequence[RunResult]) -> int:
    return min(len(r.history.get("loss") or []) for r in runs)


def at_epoch(runs: Sequence[RunResult], key: str, epoch: int) -> list[float]:
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

