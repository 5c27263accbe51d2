"""The figures of a run: the best, final and test value of any recorded metric.

A figure is named ``best_KEY``, ``final_KEY`` or ``test_KEY``, as a band's metric is:

- ``best_KEY``: the best epoch's value of the history key ``KEY`` (``val_acc``, ``val_loss``,
  ``mae``): the highest for a higher-is-better metric, the lowest for a lower-is-better one
  (losses and errors, :data:`harness.spec.LOWER_IS_BETTER`, or a band's ``direction``); the
  first such epoch on a tie;
- ``final_KEY``: the last epoch's value;
- ``test_KEY``: the test evaluation's value of the metric ``KEY`` (``test_acc``, ``test_loss``).

A figure of a metric the run did not record is None. The same functions read a published
reference (:func:`reference_run` turns its ``history``, ``test`` and ``test_acc`` into a run's
layout). Nothing here imports TensorFlow.
"""

from __future__ import annotations

import statistics
from typing import Any

from .result_types import (
    BandVerdict,
    ReferenceRecord,
    RunFigures,
    RunLike,
    RunResult,
    TestFigures,
    as_run,
)
from .spec import BAND_METRIC, LOWER_IS_BETTER, Band

ReferenceLike = ReferenceRecord | dict[str, Any]

# What a figure is read from: a run (or a published reference in a run's layout), typed or as
# a raw document (validated on entry).
FigureSource = RunFigures | dict[str, Any]


def as_figures(results: FigureSource) -> RunFigures:
    """``results`` typed: a :class:`RunFigures` (a :class:`RunResult` is one) as it is, a raw
    document validated as a run."""
    return results if isinstance(results, RunFigures) else RunResult.model_validate(results)

# Entries of a run's "test" that are not evaluated metrics.
TEST_INFO = ("samples", "time_s")


def lower_is_better(key: str) -> bool:
    """Whether lower values of a history key are better (loss, mae, val_loss...), as a band
    without ``direction`` reads it."""
    return bool(LOWER_IS_BETTER.search(key))


def best_epoch(values: list[float] | None, lower: bool) -> int | None:
    """1-based epoch of the best value (the first on a tie); None for no values."""
    if not values:
        return None
    pick = min if lower else max
    return pick(range(len(values)), key=values.__getitem__) + 1


def history_order(keys: Any) -> list[str]:
    """History keys in the harness's order: training keys, ``loss`` first, then the ``val_``
    keys, ``val_loss`` first; otherwise as given (Keras logs them alphabetically)."""
    keys = list(keys)

    def lead(group: list[str], first: str) -> list[str]:
        return [k for k in group if k == first] + [k for k in group if k != first]

    return (lead([k for k in keys if not k.startswith("val_")], "loss")
            + lead([k for k in keys if k.startswith("val_")], "val_loss"))


def history_of(results: FigureSource) -> dict[str, list[float]]:
    """A run's history in :func:`history_order`."""
    history = as_figures(results).history
    return {k: history[k] for k in history_order(history)}


def test_metrics(results: FigureSource) -> dict[str, float]:
    """The evaluated metrics of a run's test (loss, acc, mae, ...), without samples and time."""
    test = (as_figures(results).test or TestFigures()).items()
    return {k: float(test[k]) for k in history_order(test) if k not in TEST_INFO
            and isinstance(test[k], (int, float)) and not isinstance(test[k], bool)}


def figure(results: FigureSource, name: str, lower: bool | None = None) -> float | None:
    """The figure ``name`` (``best_val_acc``, ``final_loss``, ``test_mae``) of a run; None when
    the run did not record that metric (or ``name`` is not a figure's name).

    Args:
        lower: whether lower is better for ``best_``; None: read off the metric's name.
    """
    match = BAND_METRIC.match(name)
    if match is None:
        return None
    kind, key = match.groups()
    results = as_figures(results)
    if kind == "test":
        return test_metrics(results).get(key)
    values = history_of(results).get(key) or []
    if not values:
        return None
    if kind == "final":
        return values[-1]
    epoch = best_epoch(values, lower_is_better(key) if lower is None else lower)
    assert epoch is not None
    return values[epoch - 1]


def band_value(band: Band, results: FigureSource) -> float | None:
    """The figure a band checks, in the band's direction; None when the run lacks it."""
    return figure(results, band.metric, band.lower_is_better)


def stored_band(band: BandVerdict | dict[str, Any] | None) -> Band | None:
    """The :class:`Band` of a results document's band verdict (None: none, or unreadable)."""
    if not band:
        return None
    try:
        stored = BandVerdict.of(band)
        if not stored.metric:
            return None
        fields = {k: getattr(stored, k) for k in ("metric", "low", "high", "direction")}
        return Band.model_validate({k: v for k, v in fields.items() if v is not None})
    except ValueError:
        return None


def label(name: str) -> str:
    """``best_val_acc`` -> ``best val_acc``; ``test_loss`` -> ``test loss``."""
    match = BAND_METRIC.match(name)
    return f"{match.group(1)} {match.group(2)}" if match else name


def direction_text(lower: bool) -> str:
    return "lower is better" if lower else "higher is better"


def validated_keys(*histories: dict[str, list[float]]) -> list[str]:
    """The history keys whose best and final values summarize a run: the ``val_`` keys when
    any history validates, else the training keys; in order of appearance."""
    keys: list[str] = []
    for history in histories:
        keys += [k for k in history_order(history or {}) if history[k] and k not in keys]
    validated = [k for k in keys if k.startswith("val_")]
    return validated or keys


def reference_run(reference: ReferenceLike | None) -> RunFigures:
    """A published reference (``spec.reference`` as stored with a run) in a run's layout:
    ``history``, and ``test`` from its ``test`` figures and ``test_acc``."""
    ref = ReferenceRecord.of(reference)
    test: dict[str, Any] = dict(ref.test)
    if ref.test_acc is not None:
        test.setdefault("acc", ref.test_acc)
    return RunFigures(history=ref.history or {}, test=TestFigures.model_validate(test))


def ordered_keys(keys: list[str], first: str | None = None) -> list[str]:
    """``keys`` with ``first`` (a band's key) leading, then accuracy, then the rest in order."""
    lead = [k for k in (first, "val_acc", "acc") if k is not None and k in keys]
    return list(dict.fromkeys([*lead, *keys]))


def headline(results: RunLike) -> tuple[str, bool] | None:
    """The figure that sums a run up, with whether lower is better: its band's metric, else the
    best value of its first validated metric (accuracy first), else its first test metric."""
    results = as_run(results)
    band = stored_band(results.band)
    if band is not None:
        return band.metric, band.lower_is_better
    keys = ordered_keys(validated_keys(history_of(results)))
    if keys:
        return f"best_{keys[0]}", lower_is_better(keys[0])
    tested = list(test_metrics(results))
    return (f"test_{tested[0]}", lower_is_better(tested[0])) if tested else None


def summary_figures(results: RunLike, band: Band | None = None) -> dict[str, Any]:
    """The figures of a run that a report, a bench and the store sum it up with.

    ``best_KEY`` and ``final_KEY`` of every recorded history key, ``test_KEY`` of every evaluated
    metric, ``band.metric`` in the band's direction when a band is given; always (None when not
    recorded) ``best_val_acc``, ``best_epoch`` (of best val_acc), ``final_val_acc``, ``test_acc``,
    ``test_loss``; epoch times (s) and throughput (samples/s).
    """
    results = as_run(results)
    history = history_of(results)
    figures: dict[str, Any] = {}
    for key, values in history.items():
        if values:
            figures[f"best_{key}"] = figure(results, f"best_{key}")
            figures[f"final_{key}"] = figure(results, f"final_{key}")
    figures.update({f"test_{k}": v for k, v in test_metrics(results).items()})
    times = results.epoch_time_s
    train_samples = results.data.train_samples or 0
    # Epoch 1 includes tracing (and XLA compilation); the steady epochs say more about speed.
    steady = times[1:] or times
    median = statistics.median(steady) if steady else None
    figures.update({
        "best_val_acc": figure(results, "best_val_acc"),
        "best_epoch": best_epoch(history.get("val_acc"), lower=False),
        "final_val_acc": figure(results, "final_val_acc"),
        "test_acc": figure(results, "test_acc"),
        "test_loss": figure(results, "test_loss"),
        "first_epoch_time_s": times[0] if times else None,
        "median_epoch_time_s": median,
        "throughput_samples_per_s": (train_samples / median) if median else None,
    })
    if band is not None:
        figures[band.metric] = band_value(band, results)
    return figures


__all__ = ["TEST_INFO", "FigureSource", "as_figures", "band_value", "best_epoch",
           "direction_text", "figure", "headline",
           "history_of", "history_order", "label", "lower_is_better", "ordered_keys",
           "reference_run", "stored_band", "summary_figures", "test_metrics", "validated_keys"]
