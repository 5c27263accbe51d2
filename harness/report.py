"""Markdown reports with plots, from a results document alone.

``render_report(results)`` gives the Markdown: the band's verdict with this run's figure beside
the book's first, then this run beside the published figures for every recorded metric (best,
final and test values; every key per epoch). ``write_report(results, folder)`` also draws the
notebook's figures, one per metric (training and validation loss; accuracy when it is recorded;
any other metric such as mae), training as dots and validation as a line, with the book's curves
beside this run's. Reports name the data file, never its machine path, and cite no file of the
shared folder beside the project.
"""

from __future__ import annotations

import io
import re
import statistics
from collections.abc import Sequence
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

from .result_types import (
    Architecture,
    DataRecord,
    Environment,
    Gpu,
    ReferenceRecord,
    RunFigures,
    RunLike,
    RunResult,
    as_run,
)
from .results import write_text_atomic

if TYPE_CHECKING:  # pragma: no cover
    from .spec import Band

ACCURACY_PNG = "accuracy.png"
LOSS_PNG = "loss.png"


def _cell(value: Any, fmt: str = "{:.4f}") -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return fmt.format(value)
    return str(value).replace("|", "\\|").replace("\n", " ")


def _table(rows: list[list[Any]], headers: list[str]) -> str:
    from tabulate import tabulate

    cleaned = [[_cell(v) if not isinstance(v, str) else _cell(v) for v in row] for row in rows]
    return tabulate(cleaned, headers=headers, tablefmt="github", disable_numparse=True)


def _shape(shape) -> str:
    if shape is None:
        return "-"
    inner = ", ".join("None" if s is None else str(s) for s in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


def _int(value) -> str:
    return "-" if value is None else f"{value:,}"


def architecture_section(arch: Architecture | dict[str, Any]) -> str:
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
        rows.append([key.replace("_", " "), "", "", _int(want), _int(value),
                     _int(closed_totals.get(key)) if closed_totals.get(key) is not None else "",
                     "yes" if want in (None, value) else "NO"])
    return _table(rows, ["layer (type)", "output shape (expected)", "output shape (measured)",
                         "params (expected)", "params (count_params)", "params (closed form)",
                         "match"])


def summary_figures(results: RunLike, band: Band | None = None) -> dict[str, Any]:
    """The figures of a run (see :mod:`harness.figures`).

    ``best_KEY`` and ``final_KEY`` of every recorded history key, ``test_KEY`` of every evaluated
    metric, ``band.metric`` in the band's direction when a band is given; always (None when not
    recorded) ``best_val_acc``, ``best_epoch`` (of best val_acc), ``final_val_acc``, ``test_acc``,
    ``test_loss``; epoch times (s) and throughput (samples/s).
    """
    from .figures import band_value, best_epoch, figure, history_of, test_metrics

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


def reference_epoch_seconds(ref: ReferenceRecord | dict[str, Any] | None) -> float | None:
    """The typical published epoch time (s) of a stored reference
    (:meth:`harness.spec.Reference.epoch_seconds`: one figure, or the median of per-epoch ones)."""
    from .spec import Reference

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
    from .figures import history_of, ordered_keys, validated_keys

    keys = validated_keys(history_of(results), history_of(book))
    first = None
    if band is not None and not band.metric.startswith("test_"):
        first = band.key
        if first not in keys:
            keys = [first, *keys]
    return ordered_keys(keys, first)


def _lower(key: str, band: Band | None) -> bool:
    """Whether lower is better for ``key``: the band's direction for its key, else the name's."""
    from .figures import lower_is_better

    if band is not None and band.key == key and band.direction is not None:
        return band.lower_is_better
    return lower_is_better(key)


def comparison_section(results: RunLike) -> str:
    """This run beside the published figures: best (with its epoch) and final value of each
    validated metric, every test figure, epoch time and throughput."""
    from .figures import best_epoch, figure, history_of, reference_run, stored_band, test_metrics

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
             _cell(figure(results, best, lower)), _cell(figure(book, best, lower))],
            [f"epoch of best {key}", _cell(best_epoch(ours_hist.get(key), lower)),
             _cell(best_epoch(book_hist.get(key), lower))],
            [f"final {key}", _cell(figure(results, f"final_{key}")),
             _cell(figure(book, f"final_{key}"))],
        ]
    plain = [k[4:] if k.startswith("val_") else k for k in keys]
    tested = list(dict.fromkeys([*(k for k in plain if k in test_metrics(results)
                                   or k in test_metrics(book)),
                                 *test_metrics(results), *test_metrics(book)]))
    for key in tested:
        rows.append([f"test {key}", _cell(figure(results, f"test_{key}")),
                     _cell(figure(book, f"test_{key}"))])
    ours = summary_figures(results)
    sec = reference_epoch_seconds(ref)
    n = ref.train_samples
    rows += [
        ["first epoch time (s)", _cell(ours["first_epoch_time_s"], "{:.1f}"), "-"],
        ["median epoch time after the first (s)", _cell(ours["median_epoch_time_s"], "{:.1f}"),
         _cell(sec, "{:.1f}")],
        ["training throughput (samples/s)", _cell(ours["throughput_samples_per_s"], "{:.1f}"),
         _cell(n / sec if (n and sec) else None, "{:.1f}")],
    ]
    return _table(rows, ["figure", "this run", "book"])


def _seconds(value: Any) -> str:
    if value is None:
        return "-"
    value = float(value)
    return f"{value:.0f}" if value.is_integer() else f"{value:.1f}"


def history_section(results: RunLike) -> str:
    """Every recorded key per epoch, with the epoch time, beside every key the book printed."""
    from .figures import history_of, reference_run

    results = as_run(results)
    hist = {k: v for k, v in history_of(results).items() if v}
    ref = results.reference or ReferenceRecord()
    book = {k: v for k, v in history_of(reference_run(ref)).items() if v}
    times = results.epoch_time_s
    sec = ref.seconds_per_epoch
    book_epochs = max([len(v) for v in book.values()]
                      + [len(sec) if isinstance(sec, list) else 0], default=0)
    n = max([len(times), book_epochs, *(len(v) for v in hist.values())])

    def at(seq, i):
        return seq[i] if seq and i < len(seq) else None

    rows = []
    for i in range(n):
        row = [i + 1, *(at(hist[k], i) for k in hist), _cell(at(times, i), "{:.1f}")]
        row += [at(book[k], i) for k in book]
        if sec is not None:
            row.append(_seconds(at(sec, i) if isinstance(sec, list)
                                else sec if i < book_epochs else None))
        rows.append(row)
    headers = ["epoch", *hist, "epoch time (s)", *(f"book {k}" for k in book)]
    if sec is not None:
        headers.append("book epoch time (s)")
    return _table(rows, headers)


def _gpu_text(gpu: Gpu) -> str:
    extra = []
    if gpu.memory_bytes:
        extra.append(f"{gpu.memory_bytes / 2**30:.0f} GiB")
    if gpu.driver:
        extra.append(f"driver {gpu.driver}")
    return gpu.given("name", "?") + (f" ({', '.join(extra)})" if extra else "")


def environment_section(env: Environment | dict[str, Any]) -> str:
    env = Environment.of(env)
    gpus = env.gpus
    cpu = env.cpu
    rows = [
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
    return _table(rows, ["", "version"])


def runs_section(runs: list[dict[str, Any]], current: str | None,
                 headline: tuple[str, bool] | None = None) -> str:
    """Every run file of the folder, oldest first: status and figures of each.

    Args:
        headline: the figure that sums the current run up (:func:`harness.figures.headline`),
            read from each row's ``headline``; a column unless it is best val_acc or test acc
            (columns whenever a run records them).
    """
    from .figures import label

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
            row += [_cell(run.get("best_val_acc")), _cell(run.get("test_acc"))]
        if extra:
            row.append(_cell(run.get("headline")))
        rows.append([*row, run.get("band") or "-"])
    headers = ["run", "status", "started (UTC)", "epochs"]
    if acc:
        headers += ["best val_acc", "test acc"]
    if extra:
        assert headline is not None
        headers.append(label(headline[0]))
    return _table(rows, [*headers, "band"])


# A path to a file in the shared folder beside the project (../shared/..., /x/../shared/...),
# with the word that leads to it ("quoted in ..."): machine-local, never cited in a report.
_SHARED_PATH = re.compile(r"(\s+(of|in|at|from|see))?\s*\S*\.\./shared/\S*", re.IGNORECASE)


def public_text(text: str) -> str:
    """``text`` without paths into ../shared: a path is dropped (with the preposition before
    it), and so is a clause left with less than two words ("tabulated in ../shared/X.md")."""
    if "../shared/" not in text:
        return text
    clauses = []
    for clause in text.split(";"):
        if "../shared/" in clause:
            clause = " " + re.sub(r"\s{2,}", " ", _SHARED_PATH.sub("", clause)).strip(" ,")
            if len(clause.split()) < 2:
                continue
        clauses.append(clause)
    return ";".join(clauses).strip()


def data_source(source: Any) -> str:
    """Where the data came from, without machine paths: ``archive:/x/aclImdb_v1.tar.gz`` and
    ``archive:aclImdb_v1.tar.gz`` -> ``archive aclImdb_v1.tar.gz``; a name without a path as
    it is."""
    from .results import SOURCE_KINDS

    if source is None:
        return "-"
    text = str(source)
    kind, sep, rest = text.partition(":")
    if sep and rest and (kind in SOURCE_KINDS or (("/" in rest or "\\" in rest)
                                                  and "/" not in kind)):
        return f"{kind} {PurePath(rest.replace(chr(92), '/')).name}"
    if "/" in text:
        return PurePath(text).name
    return text


def _bound(value: float) -> str:
    text = f"{value:.2f}"
    return text if float(text) == value else f"{value:g}"


def band_line(results: RunLike) -> str:
    """The report's first line: the band's verdict, this run's figure, the book's figure.

    ``band: **pass**: best val_loss (lower is better) 0.2643 in [0.25, 0.29]; book 0.2600``;
    without a band, the run's headline figure (:func:`harness.figures.headline`).
    """
    from .figures import direction_text, figure, headline, label, reference_run, stored_band

    results = as_run(results)
    stored = results.band
    verdict = "no band" if stored is None else stored.given("verdict", "no band")
    band = stored_band(stored)
    book = reference_run(results.reference)
    if band is None:
        shown = headline(results)
        if shown is None:
            return f"- band: **{verdict}**"
        name, lower = shown
        theirs = figure(book, name, lower)
        return (f"- band: **{verdict}**; {label(name)} ({direction_text(lower)}) "
                f"{_cell(figure(results, name, lower))}; book {_cell(theirs)}")
    lower = band.lower_is_better
    value = None if stored is None else stored.value
    bounds = f"[{_bound(band.low)}, {_bound(band.high)}]"
    if value is None:
        where = f"not recorded, band {bounds}"
    else:
        where = f"{_cell(value)} {'in' if verdict == 'pass' else 'not in'} {bounds}"
    theirs = figure(book, band.metric, lower)
    return (f"- band: **{verdict}**: {label(band.metric)} ({direction_text(lower)}) {where}; "
            f"book {_cell(theirs)}")


_DATA_FIELDS = (("num_words", "num_words {}"), ("maxlen", "maxlen {}"),
                ("padding", "padding `{}`"), ("truncating", "truncating `{}`"),
                ("representation", "representation `{}`"), ("lookback", "lookback {}"),
                ("step", "step {}"), ("delay", "delay {}"), ("target", "target `{}`"),
                ("validation_samples", "validation: the first {} training samples"),
                ("x_dtype", "input dtype `{}`"))


def _data_line(data: DataRecord) -> str:
    details = [fmt.format(getattr(data, key, None)) for key, fmt in _DATA_FIELDS
               if getattr(data, key, None) is not None]
    if data.reverse:
        details.append("each sample reversed in time")
    naive = data.naive_baseline_mae
    return (f"- data: {data_source(data.source)} (sha256 "
            f"{str(data.checksum)[:16]}...): {data.train_samples} train / "
            f"{data.val_samples} validation / {data.test_samples} test"
            + (f"; {', '.join(details)}" if details else "")
            # notebook 6.3's yardstick: "the temperature 24 h later is the last one seen"
            + (f"; naive baseline val MAE {naive:.4f} (the last value of each window)"
               if naive is not None else ""))


def render_report(results: RunLike, figures: bool = True,
                  runs: list[dict[str, Any]] | None = None) -> str:
    """The Markdown report of one run: the band's verdict with this run's figure beside the
    book's first, then the run's setup, architecture, comparison with the book, history.

    Args:
        results: a results document (see :mod:`harness.results`).
        figures: link the PNGs of :func:`plotted_metrics` (written beside the report by
            :func:`write_report`).
        runs: rows of :func:`harness.runs.run_summaries`: adds a "Runs in this folder" table.
    """
    from .figures import headline

    results = as_run(results)
    spec = results.spec
    execution = results.execution
    data = results.data
    lines = [f"# {spec.name}: {spec.description or ''}".rstrip(": "), ""]
    status = results.given("status", "complete")
    lines += [
        band_line(results),
        f"- status: **{status}**" + (f" ({results.stop_reason})"
                                     if results.stop_reason else "")
        + "".join(f"; resumed at epoch {r.at_epoch} ({r.utc}) after it was "
                  f"{r.from_status}" for r in results.resumed),
        f"- execution: mode `{execution.mode}` (jit_compile={execution.jit_compile}),"
        + (f" device {execution.device}," if execution.device else "")
        + f" seed {execution.seed}, {results.epochs_done} of "
        f"{execution.epochs} epochs, batch_size {execution.batch_size}, "
        f"validation_split {execution.validation_split}"
        + ("" if "deterministic" not in execution.model_fields_set else
           ", deterministic (op determinism on)" if execution.deterministic else
           ", not deterministic (op determinism off)"),
        _data_line(data),
        f"- spec: `{spec.path}` (sha256 {spec.given('hash', '')[:16]}...)",
        f"- run: {results.run_id}, {results.created_utc}",
        "",
        "## Architecture",
        "",
        "Expected figures from the spec; measured ones from the built model "
        "(`layer.count_params()`) and from the layer's equations (closed form).",
        "",
        architecture_section(results.architecture),
        "",
    ]
    contract = data.contract
    if contract:
        lines += [
            "## Data contract",
            "",
            "Checked on the data before training"
            + (f" (padding `{data.padding}`, truncating `{data.truncating}`)."
               if data.padding else "."),
            "",
            _table([[row.check, (row.problem or "ok") if row.ok
                     else f"FAILED: {row.problem}"] for row in contract], ["check", "result"]),
            "",
        ]
    ref = results.reference or ReferenceRecord()
    if results.history:
        source = public_text(str(ref.source or "none declared"))
        lines += [
            "## This run beside the book",
            "",
            comparison_section(results),
            "",
            f"Book figures: {source}".replace("\n", " "),
            "",
        ]
        if ref.notes:
            lines += [f"Book text: {public_text(str(ref.notes))}.", ""]
        lines += ["## Per-epoch history", "", history_section(results), ""]
        if figures:
            lines += ["## Figures", "",
                      "Training as dots, validation as lines; this run in blue, the book in grey.",
                      ""]
            for metric in plotted_metrics(results):
                lines += [f"![{_plot_title(results, metric)}]({png_name(metric)})", ""]
    if runs:
        lines += ["## Runs in this folder", "",
                  runs_section(runs, results.run_id, headline(results)), ""]
    lines += ["## Environment", "", environment_section(results.environment), ""]
    return "\n".join(lines)


def plotted_metrics(results: RunLike) -> list[str]:
    """The metrics drawn, one PNG each: ``acc`` when accuracy is recorded, ``loss``, then every
    other recorded metric (``mae``), training and validation in one figure."""
    from .figures import history_of

    names = [k[4:] if k.startswith("val_") else k for k, v in history_of(results).items() if v]
    if not names:
        return []
    return list(dict.fromkeys([*(["acc"] if "acc" in names else []), "loss", *names]))


def png_name(metric: str) -> str:
    """``accuracy.png``, ``loss.png``, ``mae.png``: the file of one metric's figure."""
    if metric == "acc":
        return ACCURACY_PNG
    if metric == "loss":
        return LOSS_PNG
    return re.sub(r"[^\w.-]", "_", metric) + ".png"


def _book_history(results: RunResult) -> dict[str, list[float]]:
    return (results.reference.history if results.reference is not None else None) or {}


def _plot_title(results: RunResult, metric: str) -> str:
    word = "accuracy" if metric == "acc" else metric
    hist = results.history
    ref = _book_history(results)
    # A run without validation_split (the dense baseline) has no validation curve to name.
    has_val = bool(hist.get(f"val_{metric}") or ref.get(f"val_{metric}"))
    return f"Training and validation {word}" if has_val else f"Training {word}"


def plot_history(results: RunLike, metric: str) -> bytes:
    """One metric's figure as PNG bytes, as the notebooks draw it: training as dots, validation
    as a line, the book's in grey; ``metric`` is a history key (``acc``, ``loss``, ``mae``)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    results = as_run(results)
    hist = results.history
    ref = _book_history(results)
    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=100)
    for source, h, colour in (("book", ref, "0.55"), ("this run", hist, "tab:blue")):
        train, val = h.get(metric) or [], h.get(f"val_{metric}") or []
        if train:
            ax.plot(range(1, len(train) + 1), train, "o", color=colour,
                    label=f"Training {metric} ({source})")
        if val:
            ax.plot(range(1, len(val) + 1), val, "-", color=colour,
                    label=f"Validation {metric} ({source})")
    ax.set_title(_plot_title(results, metric))
    ax.xaxis.get_major_locator().set_params(integer=True)  # epochs are whole numbers
    ax.set_xlabel("epoch")
    ax.set_ylabel(metric)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def write_report(results: RunLike, folder: str | Path,
                 runs: list[dict[str, Any]] | None = None) -> Path:
    """Write ``report.md`` and, when the run has a history, a PNG per plotted metric
    (:func:`plotted_metrics`: ``loss.png``, ``accuracy.png`` when accuracy is recorded, ...)
    into ``folder``.

    Every file is written atomically (:func:`harness.runs.publish` also holds the folder lock).
    Returns the report's path.
    """
    folder = Path(folder)
    results = as_run(results)
    has_history = bool(results.history.get("loss"))
    if has_history:
        for metric in plotted_metrics(results):
            write_text_atomic(folder / png_name(metric), plot_history(results, metric))
    return write_text_atomic(folder / "report.md",
                             render_report(results, figures=has_history, runs=runs))


def seeds_section(runs: Sequence[RunLike], extra: tuple[str, ...] = ()) -> str:
    """Mean, standard deviation and 95% CI over seeds of each figure
    (:func:`harness.stats.seed_metrics`: accuracy's, or those of the recorded metrics, and
    ``extra``), with every seed's value."""
    from .stats import run_figures, seed_metrics, summarize

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
                     ", ".join(_cell(f[metric], fmt) for f in figures)])
    return _table(rows, ["metric", "runs", "mean", "std", "95% CI", f"per seed ({seeds})"])
