"""What a bench trains on and copies from elsewhere: the slice of a spec's data, its train
section, and the committed full run whose accuracy the report shows beside the speed."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import UsageError
from ..result_types import FullRunSummary, PublishedFigure
from .options import LATENCY_BATCH_SIZES, portable_path

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from ..data import Dataset
    from ..spec import Spec, TrainSpec


def train_section(spec: Spec) -> TrainSpec:
    """``spec.train``: the bench times only specs that train (it skips the others first)."""
    assert spec.train is not None, f"{spec.name}: no train section to bench"
    return spec.train


def train_arrays(data: Dataset) -> tuple[np.ndarray, np.ndarray]:
    """``(x_train, y_train)``: :func:`load_bench_data` refuses a generator source, so a bench's
    data are arrays."""
    assert data.x_train is not None and data.y_train is not None, "bench data are arrays"
    return data.x_train, data.y_train


def latency_inputs(data: Dataset) -> np.ndarray:
    """``x_test``, the rows the latency batches are cut from (arrays, as :func:`train_arrays`)."""
    assert data.x_test is not None, "bench data are arrays"
    return data.x_test


def load_bench_data(spec: Spec, data_path: str | None, train_samples: int | None,
                    test_samples: int = max(LATENCY_BATCH_SIZES)) -> Dataset:
    """The spec's data, checked against the data contract as ``harness run`` checks it, then
    the first ``train_samples`` training reviews (None: all) and ``test_samples`` test reviews
    (for the latency batches), copied so that the full arrays can be freed.

    Raises:
        DataError: the data cannot be loaded or breaks the contract (:mod:`harness.contract`).
        UsageError: ``train_samples`` is more than the data has.
    """
    from dataclasses import replace

    import numpy as np

    from ..contract import check_data
    from ..data import load_data

    data = load_data(spec, data_path)
    check_data(spec, data)
    if data.generator:
        raise UsageError(f"{spec.path}: bench times training on arrays; data.dataset "
                         f"{data.dataset} makes batches from a generator, which it does not "
                         "time yet")
    x_train = data.x_train
    assert x_train is not None  # arrays: a generator source is refused above
    if train_samples is not None and train_samples > len(x_train):
        raise UsageError(f"--train-samples {train_samples}: {data.source} has only "
                         f"{len(x_train):,} training reviews; pass at most "
                         f"{len(x_train)} or --full-epochs")
    data = data.head(train_samples, test_samples)
    return replace(data, x_train=np.ascontiguousarray(data.x_train),
                   y_train=np.ascontiguousarray(data.y_train),
                   x_test=np.ascontiguousarray(data.x_test),
                   y_test=np.ascontiguousarray(data.y_test))


def data_skip_reason(spec: Spec) -> str | None:
    """Why a spec's data cannot be benchmarked, or None: bench times epochs over arrays, and a
    generator source (jena_climate) makes its batches on the fly."""
    if spec.data is not None and spec.data.dataset == "jena_climate":
        return ("its data is windowed by a generator (jena_climate); bench times epochs over "
                "arrays only")
    return None


def published_figure(spec: Spec, metric: str | None) -> PublishedFigure | None:
    """The published value of a band metric (``best_val_acc``, ``test_acc``) from the spec's
    ``reference`` and where it is printed; None when the reference does not give it."""
    from ..figures import figure, reference_run

    if spec.reference is None or not metric:
        return None
    value = figure(reference_run(spec.reference.model_dump()), metric)
    if value is None:
        return None
    return PublishedFigure(metric=metric, value=value, source=spec.reference.source)


def full_run_summary(spec: Spec, reports: str | os.PathLike[str]) -> FullRunSummary | None:
    """Mode, accuracy, epoch time and band verdict of the committed full run
    ``<reports>/<spec>/results.json`` (None when there is none), with its path (relative) and
    when it ran, so that a report says which run each copied figure comes from: the accuracy
    side of the speed-up target."""
    from ..errors import ResultsError
    from ..figures import summary_figures
    from ..results import load_run

    path = Path(reports) / spec.name / "results.json"
    if not path.is_file():
        return None
    try:
        run = load_run(path)
    except ResultsError:
        return None
    figures = summary_figures(run)
    band = run.band if run.band is not None and run.band.to_json_dict() else None
    return FullRunSummary(
        path=portable_path(path), run_id=run.run_id, created_utc=run.created_utc,
        finished_utc=run.finished_utc, mode=run.execution.mode,
        epochs_done=run.given("epochs_done"), status=run.status,
        best_val_acc=figures["best_val_acc"], test_acc=figures["test_acc"],
        median_epoch_time_s=figures["median_epoch_time_s"], band=band,
        published=published_figure(spec, band.metric if band else None),
        # a different hash: model, data or train settings changed since that run
        same_spec_hash=run.spec.hash == spec.content_hash())


__all__ = ["data_skip_reason", "full_run_summary", "latency_inputs", "load_bench_data",
           "published_figure", "train_arrays", "train_section"]
