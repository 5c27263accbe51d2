"""Statistics over seeds: per-run figures, mean / standard deviation / 95% CI, one-sided tests.

A single run of these models swings by several points of val_acc between seeds, so the harness
judges a model by several seeds: :func:`summarize` gives the mean, the sample standard deviation
and a Student-t 95% confidence interval of the mean (``scipy.stats.t.interval``);
:func:`one_sided_p` says how likely a drop (or a rise) of the seed mean is under noise alone
(Welch's t-test, ``scipy.stats.ttest_ind(equal_var=False)``).

Nothing here imports TensorFlow.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from .result_types import RunLike, as_run

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    from numpy.typing import NDArray

    # The values of one metric over seeds: a list, or an array (the power simulations' draws).
    Values: TypeAlias = Sequence[float] | NDArray[np.float64]

# metric -> (label with unit, +1 when higher is better / -1 when lower is better)
METRICS: dict[str, tuple[str, int]] = {
    "best_val_acc": ("best val_acc", +1),
    "final_val_acc": ("final val_acc", +1),
    "test_acc": ("test acc", +1),
    "epoch_time_s": ("epoch time (s)", -1),
}
CONFIDENCE = 0.95
ACC_KEYS = ("acc", "val_acc")


def run_figures(results: RunLike, names: Sequence[str] = ()) -> dict[str, float | None]:
    """The gated figures of one run: best and final val_acc, test acc, epoch time (s); and
    any other figure ``names`` (``best_val_loss``, ``test_mae``: see :mod:`harness.figures`).

    ``epoch_time_s`` is the median epoch time after the first (the first epoch includes tracing
    and XLA compilation, and only the first seed of a spec pays for it), or the only epoch's time.
    """
    from .figures import figure, summary_figures

    results = as_run(results)
    figures = summary_figures(results)
    out = {
        "best_val_acc": figures["best_val_acc"],
        "final_val_acc": figures["final_val_acc"],
        "test_acc": figures["test_acc"],
        "epoch_time_s": figures["median_epoch_time_s"],
    }
    out.update({name: figure(results, name) for name in names if name not in out})
    return out


def records_acc(runs: Sequence[RunLike]) -> bool:
    """Whether any of the runs records accuracy (``acc``/``val_acc``, or a test acc)."""
    typed = [as_run(r) for r in runs]
    return any(any(r.history.get(k) for k in ACC_KEYS)
               or (r.test is not None and r.test.acc is not None) for r in typed)


def seed_metrics(runs: Sequence[RunLike],
                 extra: Sequence[str] = ()) -> dict[str, tuple[str, int]]:
    """The figures to summarize over seeds, ``name -> (label, +1 higher / -1 lower is better)``:
    :data:`METRICS` for runs that record accuracy; else the best and final value of each
    validated metric and every test metric (``best_val_loss``, ``final_val_mae``,
    ``test_loss``), and the epoch time; then ``extra`` (a band's metric) where missing."""
    from .figures import label, lower_is_better, test_metrics, validated_keys

    typed = [as_run(r) for r in runs]
    if records_acc(typed):
        metrics = dict(METRICS)
    else:
        keys = validated_keys(*(r.history for r in typed))
        names = [f"{kind}_{key}" for key in keys for kind in ("best", "final")]
        names += [f"test_{k}" for r in typed for k in test_metrics(r)]
        metrics = {n: (label(n), -1 if lower_is_better(n.split("_", 1)[1]) else +1)
                   for n in dict.fromkeys(names)}
        metrics["epoch_time_s"] = METRICS["epoch_time_s"]
    for name in extra:
        if name not in metrics:
            metrics[name] = (label(name), -1 if lower_is_better(name.split("_", 1)[1]) else +1)
    return metrics


@dataclass(frozen=True)
class Summary:
    """Mean, sample standard deviation (ddof=1) and 95% CI of the mean over ``n`` seeds.

    ``std`` and the CI are None for a single value (no spread can be measured from one run).
    """

    values: tuple[float, ...]
    mean: float
    std: float | None
    ci_low: float | None
    ci_high: float | None

    @property
    def n(self) -> int:
        return len(self.values)

    def as_dict(self) -> dict[str, Any]:
        return {"n": self.n, "mean": self.mean, "std": self.std, "ci95": (
            None if self.ci_low is None else [self.ci_low, self.ci_high]), "values": self.values}


def summarize(values: Sequence[float | None]) -> Summary | None:
    """Summary of the finite values (None when there are none)."""
    import numpy as np
    from scipy import stats

    vals = tuple(float(v) for v in values if v is not None and math.isfinite(v))
    if not vals:
        return None
    mean = float(np.mean(vals))
    if len(vals) < 2:
        return Summary(vals, mean, None, None, None)
    std = float(np.std(vals, ddof=1))
    if std == 0.0:
        return Summary(vals, mean, 0.0, mean, mean)
    low, high = stats.t.interval(CONFIDENCE, len(vals) - 1, loc=mean, scale=stats.sem(vals))
    return Summary(vals, mean, std, float(low), float(high))


@dataclass(frozen=True)
class OneSided:
    """A one-sided p-value and the name of the test that gave it."""

    p: float | None
    test: str


def one_sided_p(current: Values, baseline: Values,
                alternative: Literal["less", "greater"]) -> OneSided:
    """p-value of "the current mean is ``alternative`` than the baseline mean" under noise.

    Welch's t-test (``scipy.stats.ttest_ind(equal_var=False)``) when both sides have two or more
    runs. When one side has a single run, that run is tested against the other side's spread with
    the prediction interval of a new observation, t = (x - mean) / (s * sqrt(1 + 1/n)) on n - 1
    degrees of freedom (Welch's test is not defined for one run). With no spread on either side,
    p is 0 or 1 by whether the means differ in that direction; with one run on each side, None.
    """
    import numpy as np
    from scipy import stats

    cur = np.asarray(current, dtype=float)
    base = np.asarray(baseline, dtype=float)
    if len(cur) == 0 or len(base) == 0 or (len(cur) < 2 and len(base) < 2):
        return OneSided(None, "too few runs")
    diff = cur.mean() - base.mean()
    spread = (cur.std(ddof=1) if len(cur) > 1 else 0.0) + (
        base.std(ddof=1) if len(base) > 1 else 0.0)
    if spread == 0.0:
        hit = diff < 0 if alternative == "less" else diff > 0
        return OneSided(0.0 if hit else 1.0, "no spread")
    if len(cur) > 1 and len(base) > 1:
        res = stats.ttest_ind(cur, base, equal_var=False, alternative=alternative)
        return OneSided(float(res.pvalue), "Welch t")
    single, many = (cur, base) if len(cur) == 1 else (base, cur)
    scale = many.std(ddof=1) * math.sqrt(1 + 1 / len(many))
    t = (single[0] - many.mean()) / scale
    if len(cur) != 1:
        t = -t  # the statistic is current minus baseline either way
    dist = stats.t(len(many) - 1)
    p = dist.cdf(t) if alternative == "less" else dist.sf(t)
    return OneSided(float(p), "prediction t")


def worse(current: Values, baseline: Values, alpha: float,
          higher_is_better: bool = True) -> bool:
    """The gate's test of one metric: is the current mean worse than the baseline's, at level
    ``alpha`` (one-sided :func:`one_sided_p`)? False when there are too few runs to tell."""
    result = one_sided_p(current, baseline, "less" if higher_is_better else "greater")
    return result.p is not None and result.p < alpha


__all__ = ["METRICS", "Summary", "OneSided", "one_sided_p", "worse", "records_acc", "run_figures",
           "seed_metrics", "summarize"]
