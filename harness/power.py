"""What the gate can see: the detectable effect of its test, and simulations that check it.

The gate calls a metric a regression when a one-sided test of "the current seed mean is worse
than the baseline's" gives p < alpha (:func:`harness.stats.worse`). How small a drop that catches
depends on the seed-to-seed spread and on how many runs stand on each side:

- :func:`detectable_effect`: the drop caught with 80% power at level alpha, from the noncentral t
  distribution of Welch's statistic (``scipy.stats.nct``), with the spread of the runs judged;
- :func:`paired_detectable_effect`: the same for a paired t-test on same-seed differences;
- :func:`simulate`: the procedure itself, run on stored runs: the A/A false-alarm rate (random
  splits of the stored runs into "current" and "baseline", no change) and the power against
  shifts injected into the "current" side. It also runs on normal draws with the measured spread
  at the real sample sizes, so a verdict can be checked both ways.

Nothing here imports TensorFlow.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

POWER = 0.80  # the conventional target: a drop of the detectable size is caught 4 times in 5
TRIALS = 2000  # per simulated rate: a rate of 0.05 is then known to about +/- 0.01 (95%)


def welch_df(n_current: int, n_baseline: int) -> float:
    """Welch-Satterthwaite degrees of freedom for two samples of one spread."""
    a, b = 1.0 / n_current, 1.0 / n_baseline
    return (a + b) ** 2 / (a * a / (n_current - 1) + b * b / (n_baseline - 1))


def _noncentrality(df: float, alpha: float, power: float) -> float:
    """The noncentrality at which a one-sided t-test of level ``alpha`` rejects with ``power``."""
    from scipy import optimize, stats

    critical = stats.t.ppf(1.0 - alpha, df)
    return float(optimize.brentq(lambda nc: stats.nct.sf(critical, df, nc) - power, 0.0, 100.0))


def detectable_effect(std: float, n_current: int, n_baseline: int, alpha: float,
                      power: float = POWER) -> float | None:
    """The smallest true drop of the mean that Welch's one-sided test catches with ``power``.

    Args:
        std: the seed-to-seed standard deviation of the metric (its units: 0.02 = two points
            of accuracy), assumed the same on both sides.
        n_current, n_baseline: runs under test and baseline runs.
        alpha: the test's level (the spec's ``ci.alpha``, divided by the number of gated
            metrics when there are several).

    Returns:
        The drop in the metric's units, or None with fewer than two baseline runs. A single
        current run is tested as the gate tests it, against the baseline's prediction
        interval (t on ``n_baseline - 1`` degrees of freedom).
    """
    if n_current < 1 or n_baseline < 2 or not math.isfinite(std):
        return None
    if n_current == 1:
        df = float(n_baseline - 1)
        scale = std * math.sqrt(1.0 + 1.0 / n_baseline)
    else:
        df = welch_df(n_current, n_baseline)
        scale = std * math.sqrt(1.0 / n_current + 1.0 / n_baseline)
    return _noncentrality(df, alpha, power) * scale


def paired_detectable_effect(std_difference: float, n_pairs: int, alpha: float,
                             power: float = POWER) -> float | None:
    """The drop a one-sided paired t-test on ``n_pairs`` same-seed differences catches with
    ``power``; ``std_difference`` is the standard deviation of those differences."""
    if n_pairs < 2 or not math.isfinite(std_difference):
        return None
    return _noncentrality(n_pairs - 1, alpha, power) * std_difference / math.sqrt(n_pairs)


def pooled_std(*samples: Sequence[float]) -> float | None:
    """The pooled sample standard deviation of several samples (None without any spread)."""
    import numpy as np

    squares, df = 0.0, 0
    for sample in samples:
        if len(sample) > 1:
            squares += float(np.var(sample, ddof=1)) * (len(sample) - 1)
            df += len(sample) - 1
    return math.sqrt(squares / df) if df else None


@dataclass(frozen=True)
class Simulation:
    """The gate's test run on simulated verdicts of one metric.

    Attributes:
        metric: the figure (``best_val_acc``).
        method: ``resampled`` (splits of the stored runs) or ``normal`` (draws with ``std``).
        n_current, n_baseline: runs per side in each simulated verdict.
        alpha: the level the test ran at.
        trials: simulated verdicts per rate.
        false_alarm: the share of A/A verdicts (no change) called a regression.
        power: injected drop (metric units) -> share of verdicts called a regression.
        std: the spread the draws used (normal), or that of the stored runs (resampled).
    """

    metric: str
    method: str
    n_current: int
    n_baseline: int
    alpha: float
    trials: int
    false_alarm: float
    power: dict[float, float] = field(default_factory=dict)
    std: float | None = None

    def rate_error(self, rate: float) -> float:
        """Half the 95% interval of a simulated rate (binomial, normal approximation)."""
        return 1.96 * math.sqrt(max(rate * (1.0 - rate), 1e-12) / self.trials)


def simulate(metric: str, values: Sequence[float], n_current: int, alpha: float,
             shifts: Sequence[float] = (), *, higher_is_better: bool = True,
             method: str = "resampled", n_baseline: int | None = None, trials: int = TRIALS,
             seed: int = 0) -> Simulation:
    """Simulate the gate's verdict on one metric.

    ``resampled``: every trial shuffles the stored ``values`` and splits them into ``n_current``
    "current" runs and the rest as the baseline, so the runs' real distribution is used (the
    baseline side is then ``len(values) - n_current`` runs, smaller than the real one).
    ``normal``: every trial draws ``n_current`` and ``n_baseline`` values from a normal
    distribution with the spread of ``values``. A power trial moves the current side by the
    shift in the harmful direction. The decision is :func:`harness.stats.worse` at ``alpha``,
    the gate's own test.

    Raises:
        ValueError: fewer than ``n_current + 2`` values to resample, or fewer than 2 to measure
            a spread from.
    """
    import numpy as np

    from .stats import worse

    data = np.asarray([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    if len(data) < 2:
        raise ValueError(f"{metric}: {len(data)} stored value(s); a spread needs 2 or more")
    rng = np.random.default_rng(seed)
    std = float(np.std(data, ddof=1))
    sign = 1.0 if higher_is_better else -1.0
    if method == "resampled":
        if len(data) < n_current + 2:
            raise ValueError(f"{metric}: {len(data)} stored runs cannot be split into "
                             f"{n_current} current runs and a baseline of 2 or more")
        n_base = len(data) - n_current
    elif method == "normal":
        n_base = n_baseline or len(data)
    else:
        raise ValueError(f"unknown simulation method {method!r} (resampled or normal)")

    def draw() -> tuple[np.ndarray, np.ndarray]:
        if method == "resampled":
            order = rng.permutation(data)
            return order[:n_current], order[n_current:]
        return (rng.normal(0.0, std, n_current), rng.normal(0.0, std, n_base))

    def rate(shift: float) -> float:
        hits = 0
        for _ in range(trials):
            current, baseline = draw()
            hits += worse(current - sign * shift, baseline, alpha, higher_is_better)
        return hits / trials

    return Simulation(metric, method, n_current, n_base, alpha, trials, rate(0.0),
                      {float(s): rate(s) for s in shifts}, std)


__all__ = ["POWER", "Simulation", "detectable_effect", "paired_detectable_effect",
           "pooled_std", "simulate", "welch_df"]
