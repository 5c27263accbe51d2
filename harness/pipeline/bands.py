"""The band check, in one place: which band applies to a result, and whether a figure (one run's,
or the seed mean of several) lies inside it.

Three places report it, each in its own words: a run's results (:func:`band_verdict`, pass, fail
or no result), ``harness run`` over its seeds (:func:`band_miss`) and the gate
(:class:`harness.gate.BandCheck`, which names where the band is declared). All of them read the
figure with :func:`harness.figures.band_value` and decide with :func:`inside` on the
:class:`BandResult` of :func:`check_band`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..figures import band_value
from ..result_types import RunLike
from ..spec import Band, Spec
from ..stats import Summary, summarize
from .options import RunOptions


def band_for(spec: Spec, schedule: dict[str, Any]) -> Band | None:
    """The band that applies to a result of this schedule: ``ci.band`` for the CI schedule as the
    spec declares it now (none for a CI schedule the spec no longer declares), else the spec's
    ``band``, which a run that shortens the spec's training is held to as well."""
    if schedule.get("name") == "ci":
        if spec.ci is None or schedule != RunOptions.for_ci(spec).schedule_of(spec):
            return None
        return spec.ci.band
    return spec.band


def inside(band: Band, value: float) -> bool:
    """Whether ``value`` lies in the band, ends included (a NaN never does)."""
    return band.low <= value <= band.high


@dataclass(frozen=True)
class BandResult:
    """A band checked on the seed mean of runs (the value itself for one run).

    Attributes:
        band: the band checked.
        summary: the band's figure over the runs (non-finite values left out); None when no run
            recorded it.
    """

    band: Band
    summary: Summary | None

    @property
    def ok(self) -> bool:
        """Inside the band (False when there is no figure to check)."""
        return self.summary is not None and inside(self.band, self.summary.mean)

    @property
    def side(self) -> str:
        """``below`` or ``above`` the band, for a mean outside it."""
        assert self.summary is not None
        return "below" if self.summary.mean < self.band.low else "above"


def check_band(band: Band, runs: Sequence[RunLike]) -> BandResult:
    """Check ``band`` on the seed mean of ``runs`` (:func:`harness.figures.band_value` of each)."""
    return BandResult(band, summarize([band_value(band, r) for r in runs]))


def band_verdict(band: Band | None, results: RunLike) -> dict[str, Any] | None:
    """Check a band against a run: ``verdict`` is pass, fail or no result (the run did not
    record the band's metric, or stopped before it was measured). ``best_`` follows the band's
    direction (:mod:`harness.figures`)."""
    if band is None:
        return None
    value = band_value(band, results)
    fields = band.model_dump()
    if value is None:
        return {**fields, "value": None, "verdict": "no result"}
    verdict = "pass" if inside(band, value) else "fail"
    return {**fields, "value": value, "verdict": verdict}


def band_miss(band: Band | None, runs: Sequence[RunLike]) -> str | None:
    """``harness run``'s band check on the seed mean (the value itself for one run): the
    message of a miss, None when inside (or no band applies)."""
    if band is None:
        return None
    result = check_band(band, runs)
    summary = result.summary
    if summary is None:
        return f"no {band.metric} to check against the band [{band.low}, {band.high}]"
    if result.ok:
        return None
    what = f"mean of {summary.n} seeds " if summary.n > 1 else ""
    return (f"{band.metric} {what}= {summary.mean:.4f} outside the band "
            f"[{band.low}, {band.high}]")


__all__ = ["BandResult", "band_for", "band_miss", "band_verdict", "check_band", "inside"]
