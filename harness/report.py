"""Markdown reports with plots, from a results document alone.

``render_report(results)`` gives the Markdown; ``write_report(results, folder)`` also draws the
notebook's two figures (training and validation accuracy, training and validation loss, per
epoch; training as dots, validation as a line) with the book's curves beside this run's.
"""

from __future__ import annotations

import io
import statistics
from pathlib import Path
from typing import Any

from .results import write_text_atomic

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


def architecture_section(arch: dict[str, Any]) -> str:
    rows = []
    for layer in arch["layers"]:
        ok = (layer["expected_output_shape"] in (None, layer["output_shape"])
              and layer["expected_params"] in (None, layer["params"]))
        rows.append([
            f"{layer['name']} ({layer['type']})",
            _shape(layer["expected_output_shape"]), _shape(layer["output_shape"]),
            _int(layer["expected_params"]), _int(layer["params"]),
            "yes" if ok else "NO",
        ])
    for key, value in arch["totals"].items():
        want = arch["expected_totals"].get(key)
        rows.append([key.replace("_", " "), "", "", _int(want), _int(value),
                     "yes" if want in (None, value) else "NO"])
    return _table(rows, ["layer (type)", "output shape (expected)", "output shape (measured)",
                         "params (expected)", "params (measured)", "match"])


def summary_figures(results: dict[str, Any]) -> dict[str, Any]:
    """Best/final val_acc, test acc, epoch times (s) and throughput (samples/s) of a run."""
    history = results.get("history", {})
    val_acc = history.get("val_acc") or []
    times = results.get("epoch_time_s") or []
    train_samples = results.get("data", {}).get("train_samples") or 0
    # Epoch 1 includes tracing (and XLA compilation); the steady epochs say more about speed.
    steady = times[1:] or times
    median = statistics.median(steady) if steady else None
    best_epoch = max(range(len(val_acc)), key=val_acc.__getitem__) + 1 if val_acc else None
    return {
        "best_val_acc": max(val_acc) if val_acc else None,
        "best_epoch": best_epoch,
        "final_val_acc": val_acc[-1] if val_acc else None,
        "test_acc": (results.get("test") or {}).get("acc"),
        "test_loss": (results.get("test") or {}).get("loss"),
        "first_epoch_time_s": times[0] if times else None,
        "median_epoch_time_s": median,
        "throughput_samples_per_s": (train_samples / median) if median else None,
    }


def _reference_figures(ref: dict[str, Any] | None) -> dict[str, Any]:
    if not ref:
        return {}
    hist = ref.get("history") or {}
    val_acc = hist.get("val_acc") or []
    sec = ref.get("seconds_per_epoch")
    n = ref.get("train_samples")
    return {
        "best_val_acc": max(val_acc) if val_acc else None,
        "best_epoch": max(range(len(val_acc)), key=val_acc.__getitem__) + 1 if val_acc else None,
        "final_val_acc": val_acc[-1] if val_acc else None,
        "test_acc": ref.get("test_acc"),
        "median_epoch_time_s": sec,
        "throughput_samples_per_s": (n / sec) if (n and sec) else None,
    }


def comparison_section(results: dict[str, Any]) -> str:
    ours = summary_figures(results)
    book = _reference_figures(results.get("reference"))
    rows = [
        ["best val_acc", ours["best_val_acc"], book.get("best_val_acc")],
        ["epoch of best val_acc", ours["best_epoch"], book.get("best_epoch")],
        ["final val_acc", ours["final_val_acc"], book.get("final_val_acc")],
        ["test acc", ours["test_acc"], book.get("test_acc")],
        ["test loss", ours["test_loss"], None],
        ["first epoch time (s)", ours["first_epoch_time_s"], None],
        ["median epoch time after the first (s)", ours["median_epoch_time_s"],
         book.get("median_epoch_time_s")],
        ["training throughput (samples/s)", ours["throughput_samples_per_s"],
         book.get("throughput_samples_per_s")],
    ]
    fmt_rows = []
    for name, a, b in rows:
        fa = _cell(a, "{:.1f}" if "(s" in name else "{:.4f}")
        fb = _cell(b, "{:.1f}" if "(s" in name else "{:.4f}")
        fmt_rows.append([name, fa, fb])
    return _table(fmt_rows, ["figure", "this run", "book"])


def history_section(results: dict[str, Any]) -> str:
    hist = results.get("history", {})
    ref = (results.get("reference") or {}).get("history") or {}
    times = results.get("epoch_time_s") or []
    book_sec = (results.get("reference") or {}).get("seconds_per_epoch")
    n = max(len(times), len(ref.get("val_acc") or []))
    rows = []
    for i in range(n):
        def at(seq, i=i):
            return seq[i] if seq and i < len(seq) else None

        rows.append([
            i + 1,
            at(hist.get("loss")), at(hist.get("acc")), at(hist.get("val_loss")),
            at(hist.get("val_acc")), _cell(at(times), "{:.1f}"),
            at(ref.get("loss")), at(ref.get("acc")), at(ref.get("val_loss")),
            at(ref.get("val_acc")), _cell(book_sec, "{:.0f}") if book_sec and i < len(
                ref.get("val_acc") or []) else "-",
        ])
    return _table(rows, ["epoch", "loss", "acc", "val_loss", "val_acc", "epoch time (s)",
                         "book loss", "book acc", "book val_loss", "book val_acc",
                         "book epoch time (s)"])


def _gpu_text(gpu: dict[str, Any]) -> str:
    extra = []
    if gpu.get("memory_bytes"):
        extra.append(f"{gpu['memory_bytes'] / 2**30:.0f} GiB")
    if gpu.get("driver"):
        extra.append(f"driver {gpu['driver']}")
    return gpu.get("name", "?") + (f" ({', '.join(extra)})" if extra else "")


def environment_section(env: dict[str, Any]) -> str:
    gpus = env.get("gpus") or []
    cpu = env.get("cpu") or {}
    rows = [
        ["Python", env.get("python")],
        ["TensorFlow", env.get("tensorflow")],
        ["Keras", f"{env.get('keras')} (backend {env.get('keras_backend')})"],
        ["NumPy", env.get("numpy")],
        ["CUDA / cuDNN (TensorFlow build)", f"{env.get('cuda') or '-'} / "
                                            f"{env.get('cudnn') or '-'}"],
        ["CPU", f"{cpu.get('model')}, {cpu.get('cores')} cores"],
        ["GPU", ", ".join(_gpu_text(g) for g in gpus) if gpus else "none visible"],
        ["platform", env.get("platform")],
        ["harness", f"{env.get('harness')} (commit {env.get('git_commit') or 'unknown'})"],
    ]
    return _table(rows, ["", "version"])


def runs_section(runs: list[dict[str, Any]], current: str | None) -> str:
    """Every run file of the folder, oldest first: status and figures of each."""
    rows = []
    for run in runs:
        done, total = run.get("epochs_done"), run.get("epochs")
        rows.append([
            run["run_id"] + (" (this report)" if run["run_id"] == current else ""),
            run["status"] + (f": {run['note']}" if run.get("note") else ""),
            run.get("created_utc") or "-",
            "-" if done is None else f"{done} of {total}" if total else str(done),
            _cell(run.get("best_val_acc")), _cell(run.get("test_acc")), run.get("band") or "-",
        ])
    return _table(rows, ["run", "status", "started (UTC)", "epochs", "best val_acc", "test acc",
                         "band"])


def render_report(results: dict[str, Any], figures: bool = True,
                  runs: list[dict[str, Any]] | None = None) -> str:
    """The Markdown report of one run.

    Args:
        results: a results document (see :mod:`harness.results`).
        figures: link the accuracy and loss PNGs (written beside the report by
            :func:`write_report`).
        runs: rows of :func:`harness.runs.run_summaries`: adds a "Runs in this folder" table.
    """
    spec = results["spec"]
    band = results.get("band") or {}
    execution = results.get("execution", {})
    data = results.get("data", {})
    lines = [f"# {spec['name']}: {spec.get('description') or ''}".rstrip(": "), ""]
    status = results.get("status", "complete")
    verdict = band.get("verdict", "no band")
    lines += [
        f"- status: **{status}**" + (f" ({results['stop_reason']})"
                                     if results.get("stop_reason") else "")
        + "".join(f"; resumed at epoch {r.get('at_epoch')} ({r.get('utc')}) after it was "
                  f"{r.get('from_status')}" for r in results.get("resumed") or []),
        f"- band: **{verdict}**"
        + (f": {band['metric']} = {_cell(band.get('value'))}, "
           f"{'inside' if verdict == 'pass' else 'not inside'} "
           f"[{band['low']:.2f}, {band['high']:.2f}]" if band.get("metric") else ""),
        f"- execution: mode `{execution.get('mode')}` (jit_compile={execution.get('jit_compile')}),"
        + (f" device {execution['device']}," if execution.get("device") else "")
        + f" seed {execution.get('seed')}, {results.get('epochs_done', 0)} of "
        f"{execution.get('epochs')} epochs, batch_size {execution.get('batch_size')}, "
        f"validation_split {execution.get('validation_split')}"
        + ("" if "deterministic" not in execution else
           ", deterministic (op determinism on)" if execution["deterministic"] else
           ", not deterministic (op determinism off)"),
        f"- data: {data.get('source')} (sha256 {str(data.get('checksum'))[:16]}...): "
        f"{data.get('train_samples')} train / {data.get('val_samples')} validation / "
        f"{data.get('test_samples')} test; num_words {data.get('num_words')}, maxlen "
        f"{data.get('maxlen')}, padding `{data.get('padding')}`, truncating "
        f"`{data.get('truncating')}`, representation `{data.get('representation')}`",
        f"- spec: `{spec.get('path')}` (sha256 {spec.get('hash', '')[:16]}...)",
        f"- run: {results.get('run_id')}, {results.get('created_utc')}",
        "",
        "## Architecture",
        "",
        "Expected figures from the spec; measured ones from the built model "
        "(`layer.count_params()`).",
        "",
        architecture_section(results["architecture"]),
        "",
    ]
    contract = data.get("contract")
    if contract:
        lines += [
            "## Data contract",
            "",
            "Checked on the encoded arrays before training "
            f"(padding `{data.get('padding')}`, truncating `{data.get('truncating')}`).",
            "",
            _table([[row["check"], (row["problem"] or "ok") if row["ok"]
                     else f"FAILED: {row['problem']}"] for row in contract], ["check", "result"]),
            "",
        ]
    ref = results.get("reference") or {}
    if results.get("history"):
        lines += [
            "## This run beside the book",
            "",
            comparison_section(results),
            "",
            f"Book figures: {ref.get('source', 'none declared')}".replace("\n", " "),
            "",
        ]
        if ref.get("notes"):
            lines += [f"Book text: {ref['notes']}.", ""]
        lines += ["## Per-epoch history", "", history_section(results), ""]
        if figures:
            lines += [
                "## Figures",
                "",
                "Training as dots, validation as lines; this run in blue, the book in grey.",
                "",
                f"![Training and validation accuracy]({ACCURACY_PNG})",
                "",
                f"![Training and validation loss]({LOSS_PNG})",
                "",
            ]
    if runs:
        lines += ["## Runs in this folder", "", runs_section(runs, results.get("run_id")), ""]
    lines += ["## Environment", "", environment_section(results.get("environment", {})), ""]
    return "\n".join(lines)


def plot_history(results: dict[str, Any], metric: str) -> bytes:
    """One of the notebook's figures as PNG bytes: ``metric`` is ``acc`` or ``loss``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    hist = results.get("history", {})
    ref = (results.get("reference") or {}).get("history") or {}
    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=100)
    label = "acc" if metric == "acc" else "loss"
    for source, h, colour in (("book", ref, "0.55"), ("this run", hist, "tab:blue")):
        train, val = h.get(metric) or [], h.get(f"val_{metric}") or []
        if train:
            ax.plot(range(1, len(train) + 1), train, "o", color=colour,
                    label=f"Training {label} ({source})")
        if val:
            ax.plot(range(1, len(val) + 1), val, "-", color=colour,
                    label=f"Validation {label} ({source})")
    title = "accuracy" if metric == "acc" else "loss"
    # A run without validation_split (the dense baseline) has no validation curve to name.
    has_val = bool(hist.get(f"val_{metric}") or ref.get(f"val_{metric}"))
    ax.set_title(f"Training and validation {title}" if has_val else f"Training {title}")
    ax.xaxis.get_major_locator().set_params(integer=True)  # epochs are whole numbers
    ax.set_xlabel("epoch")
    ax.set_ylabel(label)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def write_report(results: dict[str, Any], folder: str | Path,
                 runs: list[dict[str, Any]] | None = None) -> Path:
    """Write ``report.md`` (and the two PNGs when the run has a history) into ``folder``.

    Every file is written atomically (:func:`harness.runs.publish` also holds the folder lock).
    Returns the report's path.
    """
    folder = Path(folder)
    has_history = bool(results.get("history", {}).get("loss"))
    if has_history:
        write_text_atomic(folder / ACCURACY_PNG, plot_history(results, "acc"))
        write_text_atomic(folder / LOSS_PNG, plot_history(results, "loss"))
    return write_text_atomic(folder / "report.md",
                             render_report(results, figures=has_history, runs=runs))


def seeds_section(runs: list[dict[str, Any]]) -> str:
    """Mean, standard deviation and 95% CI over seeds of each metric, with every seed's value."""
    from .stats import METRICS, run_figures, summarize

    figures = [run_figures(r) for r in runs]
    seeds = ", ".join(str((r.get("execution") or {}).get("seed")) for r in runs)
    rows = []
    for metric, (label, _) in METRICS.items():
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
