"""The ``band`` and ``ci`` sections of a spec: where training must land, and the gate's short CI
schedule with the effects it must be able to see."""

from __future__ import annotations

import math
import re
from typing import Annotated, Literal

from pydantic import Field, model_validator

from .base import Fraction, Frozen, PositiveInt

# Metrics for which lower is better; every other recorded metric is higher-is-better.
LOWER_IS_BETTER = re.compile(
    r"(loss|error|mae|mse|mape|msle|crossentropy|hinge|divergence|kld|poisson|log_?cosh"
    r"|false_?(positives|negatives))$", re.IGNORECASE)
BAND_METRIC = re.compile(r"^(best|final|test)_(.+)$")
ACCURACY = re.compile(r"(^|_)acc(uracy)?$")


class Band(Frozen):
    """The band training must land in: ``low <= metric <= high``.

    ``metric`` is ``best_``, ``final_`` or ``test_`` followed by a recorded history key:
    ``best_val_acc`` (the best epoch's val_acc), ``final_val_loss``, ``test_acc``, ``best_val_mae``.
    "Best" follows ``direction``: ``higher`` is better for accuracies, ``lower`` for losses and
    errors; left out, it is read off the metric's name (:data:`LOWER_IS_BETTER`).
    """

    metric: str = "best_val_acc"
    low: float
    high: float
    direction: Literal["higher", "lower"] | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Band:
        if not BAND_METRIC.match(self.metric):
            raise ValueError(f"metric: must be best_, final_ or test_ and a recorded metric "
                             f"(best_val_acc, final_val_loss, test_acc), got {self.metric!r}")
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            raise ValueError(f"low and high must be numbers, got low={self.low}, "
                             f"high={self.high}")
        if self.low > self.high:
            raise ValueError(f"low must be <= high, got low={self.low} > high={self.high}")
        if ACCURACY.search(self.key) and not (0.0 <= self.low and self.high <= 1.0):
            raise ValueError(f"an accuracy lies in [0, 1], got low={self.low}, high={self.high}")
        return self

    @property
    def key(self) -> str:
        """The history key the band reads (``val_acc`` for ``best_val_acc``); for ``test_``,
        the evaluated metric (``acc`` for ``test_acc``)."""
        match = BAND_METRIC.match(self.metric)
        assert match is not None
        return match.group(2)

    @property
    def lower_is_better(self) -> bool:
        if self.direction is not None:
            return self.direction == "lower"
        return bool(LOWER_IS_BETTER.search(self.key))


class MinEffect(Frozen):
    """The gated metrics, and for each the drop the gate must be able to see.

    Accuracies are absolute (0.03 = three points of accuracy): a significant drop of a gated
    accuracy fails the gate, and the verdict warns when the drop it can detect with 80% power is
    larger than this. ``epoch_time_pct`` is a relative increase of the epoch time in percent, a
    floor: a significant rise beyond it fails the gate. A metric left out is reported but never
    fails the gate.
    """

    best_val_acc: Fraction | None = None
    final_val_acc: Fraction | None = None
    test_acc: Fraction | None = None
    epoch_time_pct: Annotated[float, Field(gt=0)] | None = None


class CiSpec(Frozen):
    """A short training schedule for CI (``harness gate --run``), with its own band.

    The schedule (epochs, train_samples, test_samples, batch_size) identifies a CI result: the gate
    compares CI runs only to baseline runs of the same schedule. ``seeds`` is how many seeds
    ``harness gate --run`` trains; the band is checked against their mean.
    """

    epochs: PositiveInt
    train_samples: PositiveInt | None = Field(
        default=None, description="use only the first N training reviews (before "
        "validation_split); None: all")
    test_samples: PositiveInt | None = Field(
        default=None, description="evaluate on the first N test reviews; None: all")
    batch_size: PositiveInt | None = Field(default=None, description="None: train.batch_size")
    seeds: PositiveInt = 3
    band: Band
    min_effect: MinEffect
    alpha: Annotated[float, Field(gt=0.0, lt=0.5)] = Field(
        default=0.05, description="the spec's false-alarm rate: the one-sided Welch t-test of "
        "each gated metric runs at alpha divided by their number")
    curve_band_std: Annotated[float, Field(gt=0)] = Field(
        default=3.0, description="a run diverges from its baseline curve when the seed mean of "
        "an epoch leaves the baseline's per-epoch mean +/- this many standard deviations")
