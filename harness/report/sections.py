"""The tables of a run's report: architecture, this run beside the book, per-epoch history,
environment, the runs of a folder, and statistics over seeds.

Each function returns one GitHub Markdown table (:func:`harness.formatting.markdown_table`);
:func:`harness.report.render.render_report` puts them under their headings.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from ..formatting import cell, markdown_table
from ..result_types import (
    Architecture,
    Environment,
    Gpu,
    ReferenceRecord,
    RunFigures,
    RunLike,
    RunResult,
    as_run,
)

if TYPE_CHECKING:  # pragma: no cover
    from ..spec import Band

_T = TypeVar("_T")


def _shape(shape: Sequence[int | None] | None) -> str:
    if shape is None:
        return "-"
    inner = ", ".join("None" if s is None else str(s) for s in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


def _int(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def architecture_section(arch: Architecture | dict[str, Any]) -> str:
    """Every layer's output shape and parameter count: expected (the spec), measured
    (``count_params``) and from the layer's equations (closed form), then the totals."""
    arch = Architecture.of(arch)
    rows = []
    for layer in arch.layers:
        ok = (layer.expected_output_shape in (None, layer.output_shape)
              and layer.expected_params in (None, layer.params))
        closed = layer.closed_form_params
        rows.append([
            f"{layer.name} ({layer.type})",
            _shape(layer.expected_output_shape), _shape(layer.output_shape),
            _int(layer.expected_params), _int(layer.params),
            "no closed form" if closed is None else _int(closed),
            "yes" if ok else "NO",
        ])
    closed_totals = arch.closed_form_totals or {}
    for key, value in arch.totals.items():
        want = arch.expected_totals.get(key)
        closed_total = closed_totals.get(key)
        rows.append([key.replace("_", " "), "", "", _int(want), _int(value),
                     _int(closed_total) if closed_total is not None else "",
                     "yes" if want in (None, value) else "NO"])
    return markdown_table(rows, ["layer (type)", "output shape (expected)",
                                 "output shape (measured)", "params (expected)",
                                 "params (count_params)", "params (closed form)", "match"])


def reference_epoch_seconds(ref: ReferenceRecord | dict[str, Any] | None) -> float | None:
    """The typical published epoch time (s) of a stored reference
    (:meth:`harness.spec.Reference.epoch_seconds`: one figure, or the median of per-epoch ones)."""
    from ..spec import Reference

    sec = ReferenceRecord.of(ref).seconds_per_epoch
    if sec is None:
        return None
    try:
        return Reference(source="", seconds_per_epoch=sec).epoch_seconds()
    except ValueError:
        return None


def _compared_keys(results: RunResult, book: RunFigures, band: Band | None) -> list[str]:
    """The history keys the comparison shows: every validated metric of this run and the book,
    the band's first, accuracy next."""
    from ..figures import history_of, ordered_keys, validated_keys

    keys = validated_keys(history_of(results), history_of(book))
    first = None
    if band is not None and not band.metric.startswith("test_"):
        first = band.key
        if first not in keys:
            keys = [first, *keys]
    return ordered_keys(keys, first)


def _lower(key: str, band: Band | None) -> bool:
    """Whether lower is better for ``key``: the band's direction for its key, else the name's."""
    from ..figures import lower_is_better

    if band is not None and band.key == key and band.direction is not None:
        return band.lower_is_better
    return lower_is_better(key)


def comparison_section(results: RunLike) -> str:
    """This run beside the published figures: best (with its epoch) and final value of each
    validated metric, every test figure, epoch time and throughput."""
    from ..figures import (
        best_epoch,
        figure,
        history_of,
        reference_run,
        stored_band,
        summary_figures,
        test_metrics,
    )

    results = as_run(results)
    ref = results.reference or ReferenceRecord()
    book = reference_run(ref)
    band = stored_band(results.band)
    keys = _compared_keys(results, book, band)
    ours_hist, book_hist = history_of(results), history_of(book)
    rows: list[list[str]] = []
    for key in keys:
        lower = _lower(key, band)
        best = f"best_{key}"
        rows += [
            [f"best {key} ({'lowest' if lower else 'highest'})",
             cell(figure(results, best, lower)), cell(figure(book, best, lower))],
            [f"epoch of best {key}", cell(best_epoch(ours_hist.get(key), lower)),
             cell(best_epoch(book_hist.get(key), lower))],
            [f"final {key}", cell(figure(results, f"final_{key}")),
             cell(figure(book, f"final_{key}"))],
        ]
    plain = [k[4:] if k.startswith("val_") else k for k in keys]
    tested = list(dict.fromkeys([*(k for k in plain if k in test_metrics(results)
                                   or k in test_metrics(book)),
                                 *test_metrics(results), *test_metrics(book)]))
    for key in tested:
        rows.append([f"test {key}", cell(figure(results, f"test_{key}")),
                     cell(figure(book, f"test_{key}"))])
    ours = summary_figures(results)
    sec = reference_epoch_seconds(ref)
    n = ref.train_samples
    rows += [
        ["first epoch time (s)", cell(ours["first_epoch_time_s"], "{:.1f}"), "-"],
        ["median epoch time after the first (s)", cell(ours["median_epoch_time_s"], "{:.1f}"),
         cell(sec, "{:.1f}")],
        ["training throughput (samples/s)", cell(ours["throughput_samples_per_s"], "{:.1f}"),
         cell(n / sec if (n and sec) else None, "{:.1f}")],
    ]
    return markdown_table(rows, ["figure", "this run", "book"])


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    value = float(value)
    return f"{value:.0f}" if value.is_integer() else f"{value:.1f}"


def _at(seq: Sequence[_T] | None, i: int) -> _T | None:
    """``seq[i]``, None past its end (a run stopped early, a book that printed fewer epochs)."""
    return seq[i] if seq and i < len(seq) else None


def history_section(results: RunLike) -> str:
    """Every recorded key per epoch, with the epoch time, beside every key the book printed."""
    from ..figures import history_of, reference_run

    results = as_run(results)
    hist = {k: v for k, v in history_of(results).items() if v}
    ref = results.reference or ReferenceRecord()
    book = {k: v for k, v in history_of(reference_run(ref)).items() if v}
    times = results.epoch_time_s
    sec = ref.seconds_per_epoch
    book_epochs = max([len(v) for v in book.values()]
                      + [len(sec) if isinstance(sec, list) else 0], default=0)
    n = max([len(times), book_epochs, *(len(v) for v in hist.values())])

    rows: list[list[object]] = []
    for i in range(n):
        row: list[object] = [i + 1, *(_at(hist[k], i) for k in hist),
                             cell(_at(times, i), "{:.1f}")]
        row += [_at(book[k], i) for k in book]
        if sec is not None:
            row.append(_seconds(_at(sec, i) if isinstance(sec, list)
                                else sec if i < book_epochs else None))
        rows.append(row)
    headers = ["epoch", *hist, "epoch time (s)", *(f"book {k}" for k in book)]
    if sec is not None:
        headers.append("book epoch time (s)")
    return markdown_table(rows, headers)


def _gpu_text(gpu: Gpu) -> str:
    extra = []
    if gpu.memory_bytes:
        extra.append(f"{gpu.memory_bytes / 2**30:.0f} GiB")
    if gpu.driver:
        extra.append(f"driver {gpu.driver}")
    return gpu.given("name", "?") + (f" ({', '.join(extra)})" if extra else "")


def environment_section(env: Environment | dict[str, Any]) -> str:
    """The versions, CPU, GPUs, platform and harness commit a run (or a bench) was made with."""
    env = Environment.of(env)
    gpus = env.gpus
    cpu = env.cpu
    rows: list[list[str | None]] = [
        ["Python", env.python],
        ["TensorFlow", env.tensorflow],
        ["Keras", f"{env.keras} (backend {env.keras_backend})"],
        ["NumPy", env.numpy],
        ["CUDA / cuDNN (TensorFlow build)", f"{env.cuda or '-'} / {env.cudnn or '-'}"],
        ["CPU", f"{cpu.model}, {cpu.cores} cores"],
        ["GPU", ", ".join(_gpu_text(g) for g in gpus) if gpus else "none visible"],
        ["platform", env.platform],
        ["harness", f"{env.harness} (commit {env.git_commit or 'unknown'})"],
    ]
    return markdown_table(rows, ["", "version"])


def runs_section(runs: list[dict[str, Any]], current: str | None,
                 headline: tuple[str, bool] | None = None) -> str:
    """Every run file of the folder, oldest first: status and figures of each.

    Args:
        headline: the figure that sums the current run up (:func:`harness.figures.headline`),
            read from each row's ``headline``; a column unless it is best val_acc or test acc
            (columns whenever a run records them).
    """
    from ..figures import label

    acc = any(r.get("best_val_acc") is not None or r.get("test_acc") is not None for r in runs)
    extra = headline is not None and not (acc and headline[0] in ("best_val_acc", "test_acc"))
    acc = acc or not extra
    rows = []
    for run in runs:
        done, total = run.get("epochs_done"), run.get("epochs")
        row = [
            run["run_id"] + (" (this report)" if run["run_id"] == current else ""),
            run["status"] + (f": {run['note']}" if run.get("note") else ""),
            run.get("created_utc") or "-",
            "-" if done is None else f"{done} of {total}" if total else str(done),
        ]
        if acc:
            row += [cell(run.get("best_val_acc")), cell(run.get("test_acc"))]
        if extra:
            row.append(cell(run.get("headline")))
        rows.append([*row, run.get("band") or "-"])
    headers = ["run", "status", "started (UTC)", "epochs"]
    if acc:
        headers += ["best val_acc", "test acc"]
    if extra:
        assert headline is not None
        headers.append(label(headline[0]))
    return markdown_table(rows, [*headers, "band"])


def seeds_section(runs: Sequence[RunLike], extra: tuple[str, ...] = ()) -> str:
    """Mean, standard deviation and 95% CI over seeds of each figure
    (:func:`harness.stats.seed_metrics`: accuracy's, or those of the recorded metrics, and
    ``extra``), with every seed's value."""
    from ..stats import run_figures, seed_metrics, summarize

    typed = [as_run(r) for r in runs]
    metrics = seed_metrics(typed, extra)
    figures = [run_figures(r, list(metrics)) for r in typed]
    seeds = ", ".join(str(r.execution.seed) for r in typed)
    rows = []
    for metric, (label, _) in metrics.items():
        fmt = "{:.1f}" if metric == "epoch_time_s" else "{:.4f}"
        s = summarize([f[metric] for f in figures])
        if s is None:
            rows.append([label, "0", "-", "-", "-", "-"])
            continue
        ci = "-" if s.ci_low is None else f"[{fmt.format(s.ci_low)}, {fmt.format(s.ci_high)}]"
        rows.append([label, str(s.n), fmt.format(s.mean),
                     "-" if s.std is None else fmt.format(s.std), ci,
                     ", ".join(cell(f[metric], fmt) for f in figures)])
    return markdown_table(rows, ["metric", "runs", "mean", "std", "95% CI",
                                 f"per seed ({seeds})"])


__all__ = ["architecture_section", "comparison_section", "environment_section",
           "history_section", "reference_epoch_seconds", "runs_section", "seeds_section"]
