"""The benchmark report: Markdown and a chart from bench results (or a pytest-benchmark file).

``render_bench_report(results)`` gives the Markdown of a ``harness bench`` results document (see
:mod:`harness.bench`); ``write_bench_report`` also draws ``throughput.png``. The report leads
with the answer: one headline table (per spec and measured device: epoch time per mode, the
``xla`` speed-up over the plain Keras script, the harness overhead, the committed full run's
accuracy in its band beside the published figure), a few one-line notes and the chart, all on
one screen; the method and the long tables follow, folded in ``<details>`` blocks.

Rules the layout keeps (tests/test_bench_report.py checks them):

- every figure of a measurement comes from one run, the bench's own; a figure copied from
  another run (the committed full run's accuracy and epoch time) names the run file, relative
  to the project, and when it ran. A pytest-benchmark file is a separate run: the report names
  it, its time, and how far its train-epoch medians are from this run's, and repeats none of its
  figures (``harness report --benchmark-json FILE`` alone renders them);
- a device that was not measured is one line, never a column or rows of skipped cells;
- no absolute path, no file outside the project; published figures cite the book and the
  notebook (each spec's ``reference.source``);
- charts have linear axes from zero; no line is longer than :data:`MAX_LINE` characters.
"""

from __future__ import annotations

import io
import json
import os
import statistics
from pathlib import Path
from typing import Any

from .errors import ResultsError
from .report import _table, environment_section
from .result_types import (
    BenchComparison,
    BenchDevice,
    BenchLike,
    BenchRecord,
    BenchResult,
    BenchSettings,
    BenchSpec,
    FlopsFigures,
    InferenceFigures,
    MemoryFigures,
    TrainFigures,
)
from .results import write_text_atomic

CHART_PNG = "throughput.png"
MIB = 1024 * 1024
MAX_LINE = 300  # the longest line the report writes (tables included)


def _f(value: Any, fmt: str) -> str:
    return "-" if value is None else fmt.format(value)


def _verdict(ok: bool | None) -> str:
    return "-" if ok is None else ("yes" if ok else "NO")


class PytestBenchmarkFile(dict):
    """A pytest-benchmark JSON document, and ``path``: where it was read from, as a report
    names it (relative to the working directory; see :func:`harness.bench.portable_path`)."""

    path: str | None = None


def load_pytest_benchmark(path: str | os.PathLike) -> dict[str, Any]:
    """Read a pytest-benchmark JSON file (``pytest --benchmark-json=PATH``); the document
    remembers its path (:class:`PytestBenchmarkFile`).

    Raises:
        ResultsError: the file is missing, broken JSON, or has no ``benchmarks`` list.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ResultsError(f"{path}: no such pytest-benchmark JSON file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ResultsError(f"{path}: cannot read ({exc})") from None
    except json.JSONDecodeError as exc:
        raise ResultsError(f"{path}: line {exc.lineno}, column {exc.colno}: broken JSON "
                           f"({exc.msg})") from None
    if not isinstance(data, dict) or not isinstance(data.get("benchmarks"), list):
        raise ResultsError(f"{path}: not a pytest-benchmark JSON file (no 'benchmarks' list); "
                           "write one with pytest --benchmark-json=PATH")
    from .bench import portable_path

    document = PytestBenchmarkFile(data)
    document.path = portable_path(path)
    return document


def load_bench(path: str | os.PathLike) -> BenchResult:
    """Read a ``harness bench`` results file (:func:`harness.results.load_results`) as a typed
    :class:`BenchResult`.

    Raises:
        ResultsError: as :func:`harness.results.load_results`, a run's file given as a bench's,
            or a field of the wrong type; one line naming the file (and the field).
    """
    from pydantic import ValidationError

    from .results import invalid_results, load_results

    data = load_results(path)
    if data.get("kind") != "bench":
        raise ResultsError(f"{path}: a run's results file, not a bench's; pass the "
                           "results.json of `harness bench` (reports/bench/results.json)")
    try:
        return BenchResult.model_validate(data)
    except ValidationError as exc:
        raise invalid_results(path, exc) from None


def _bench(results: BenchLike) -> BenchResult:
    """``results`` as a :class:`BenchResult`; a raw document of the wrong shape is a one-line
    :class:`ResultsError` naming the field."""
    from pydantic import ValidationError

    from .results import invalid_results

    try:
        return BenchResult.of(results)
    except ValidationError as exc:
        raise invalid_results("bench results", exc) from None


# ---------------------------------------------------------------------------------------------
# Lookups


def _measured(results: BenchResult) -> list[BenchRecord]:
    """The records of trials that ran (a device that was not there has none here)."""
    return [r for r in results.benchmarks if r.status == "ok"]


def _find(results: BenchResult, spec: str | None, device: str | None,
          mode: str | None) -> BenchRecord | None:
    for rec in _measured(results):
        if (rec.spec, rec.device, rec.mode) == (spec, device, mode):
            return rec
    return None


def _trained_specs(results: BenchResult) -> list[BenchSpec]:
    return [s for s in results.specs if s.status == "ok"]


def _spec_entry(results: BenchResult, name: str | None) -> BenchSpec:
    return next((e for e in results.specs if e.name == name), BenchSpec())


def _epoch(rec: BenchRecord | None) -> float | None:
    return rec.train.median_epoch_time_s if rec and rec.train else None


def _measured_devices(results: BenchResult) -> list[str]:
    return [d.device or "?" for d in results.devices if d.status == "ok"]


def _missing_devices(results: BenchResult) -> list[BenchDevice]:
    return [d for d in results.devices if d.status != "ok"]


def _settings(results: BenchResult) -> BenchSettings:
    return results.settings


def _date(stamp: str | None) -> str:
    """``2026-12-01T02:17:22Z`` -> ``2026-12-01 02:17 UTC``."""
    if not stamp:
        return "date not recorded"
    return stamp.replace("T", " ")[:16] + " UTC"


def _spread(comp: BenchComparison, mode: str) -> float | None:
    """Slowest over fastest whole-fit round of the plain script in ``mode``: the run's noise."""
    rounds = next((t.timed_s for t in comp.trials if (t.variant, t.mode) == ("plain", mode)),
                  None)
    return max(rounds) / min(rounds) if rounds and min(rounds) > 0 else None


def _data_text(results: BenchResult, short: bool = False) -> str:
    s = _settings(results)
    if s.full_epochs:
        return ("full epochs (all 25,000 IMDB training reviews)" if short else
                "full epochs: all 25,000 training reviews of the real IMDB set, split by each "
                "spec's validation_split (the book's 20,000 + 5,000)")
    n = s.train_samples
    text = f"the first {n:,} IMDB training reviews" if n else "a slice of the IMDB reviews"
    return text if short else text + " (real reviews), split by each spec's validation_split"


# ---------------------------------------------------------------------------------------------
# The headline


def _accuracy_cells(entry: BenchSpec) -> list[str]:
    """``accuracy: ours / published``, band and in-band cells from the committed full run."""
    full = entry.full_run
    if not full:
        return ["no full run committed", "-", "-"]
    band = full.band
    if not band or not band.to_json_dict():
        return ["no band", "-", "-"]
    published = full.published.value if full.published else None
    ours = f"{band.metric} {_f(band.value, '{:.4f}')} / {_f(published, '{:.4f}')}"
    in_band = None if band.verdict is None else band.verdict == "pass"
    return [ours, f"[{band.low:.2f}, {band.high:.2f}]", _verdict(in_band)]


def headline_table(results: BenchLike) -> str:
    """Per spec and measured device: the harness's epoch time per mode, the ``xla`` speed-up
    over the plain Keras script, the harness overhead per mode, and the committed full run's
    accuracy with the published figure and the band."""
    results = _bench(results)
    s = _settings(results)
    modes = s.modes
    speedup_target = s.speedup_target
    overhead_target = s.overhead_target
    rows = []
    for comp in results.comparisons:
        spec, dev = comp.spec, comp.device
        speed = _speedup_ratio(comp)
        overhead = [o.ratio_in_fit if (o := comp.overhead.get(m)) else None for m in modes]
        missed = [m for m, o in zip(modes, overhead, strict=True)
                  if o is not None and overhead_target and o > overhead_target]
        overhead_text = " / ".join(_f(o, "{:.3f}") for o in overhead)
        if any(o is not None for o in overhead) and overhead_target:
            overhead_text += f" (NOT met: {', '.join(missed)})" if missed else " (met)"
        speed_text = _f(speed, "{:.2f}")
        if speed is not None and speedup_target:
            speed_text += " (met)" if speed >= speedup_target else " (NOT met)"
        rows.append([spec, dev,
                     *[_f(_epoch(_find(results, spec, dev, m)), "{:.2f}") for m in modes],
                     speed_text, overhead_text, *_accuracy_cells(_spec_entry(results, spec))])
    if not rows:
        return "No device was measured."
    target = f", >= {speedup_target:g}" if speedup_target else ""
    limit = f", <= {overhead_target:g}" if overhead_target else ""
    return _table(rows, ["spec", "device"] + [f"epoch, {m} (s)" for m in modes]
                  + [f"xla speed-up over plain Keras (x{target})",
                     f"harness overhead, {' / '.join(modes)} (x{limit})",
                     "accuracy: ours / published", "band", "in band"])


def _speedup_ratio(comp: BenchComparison) -> float | None:
    speed = comp.speedup_xla_vs_plain_default
    return speed.ratio if speed else None


def _targets_line(results: BenchResult) -> str | None:
    comps = results.comparisons
    speed = [x.ratio >= x.target for c in comps if (x := c.speedup_xla_vs_plain_default)
             and x.ratio is not None and x.target is not None]
    over = [o.ratio_in_fit <= o.target for c in comps for o in c.overhead.values()
            if o.ratio_in_fit is not None and o.target is not None]
    if not speed and not over:
        return None
    parts = []
    if speed:
        parts.append(f"xla speed-up met in {sum(speed)} of {len(speed)} (spec x device)")
    if over:
        parts.append(f"harness overhead met in {sum(over)} of {len(over)} "
                     "(spec x device x mode)")
    return ("- targets: " + "; ".join(parts) + ". Epoch: the median of the timed epochs through "
            "the harness; ratios: the fastest round of each variant (see Targets in detail)")


def _source_lines(results: BenchResult) -> list[str]:
    """Where the accuracy columns come from: each spec's committed full run (another run: path
    and date) and its published reference."""
    lines = []
    for comp_spec in dict.fromkeys(c.spec for c in results.comparisons):
        entry = _spec_entry(results, comp_spec)
        full = entry.full_run
        if not full:
            continue
        text = (f"  - `{comp_spec}`: `{full.path}` "
                f"({_date(full.finished_utc or full.created_utc)}, "
                f"`{full.mode}`, {full.epochs_done} epochs"
                + ("" if full.same_spec_hash else "; the spec changed since")
                + ")")
        if full.published and full.published.source:
            text += f"; published: {full.published.source}"
        lines.append(text)
    if not lines:
        return []
    return ["- accuracy, not measured by the bench: ours is each spec's committed full run "
            "(another run, all 25,000 reviews), beside the published figure:"] + lines


def _pytest_benchmark_line(results: BenchResult, pytest_json: dict[str, Any] | None,
                           path: str | None) -> str | None:
    """One line on a pytest-benchmark file given with the bench: a separate run, so none of its
    figures are repeated; how far its train-epoch medians are from this run's."""
    if pytest_json is None:
        return None
    from .bench import EPOCH_CLOCK

    where = f"`{path}`" if path else "the pytest-benchmark file"
    commit = str((pytest_json.get("commit_info") or {}).get("id") or "")[:12]
    head = (f"- pytest-benchmark: {where} is a separate run "
            f"({_date(str(pytest_json.get('datetime') or '')[:19] or None)}"
            + (f", commit {commit}" if commit else "") + ")")
    repeated = "its figures are not repeated here"
    epochs = [b for b in pytest_json.get("benchmarks") or []
              if (b.get("extra_info") or {}).get("measure") == "train_epoch"]
    same = [b for b in epochs if (b.get("extra_info") or {}).get("clock") == EPOCH_CLOCK]
    if epochs and not same:
        return head + ("; its train epochs time whole `fit` calls, not the epoch this report "
                       f"times, so they are not comparable; {repeated}")
    diffs = []
    for b in same:
        extra = b["extra_info"]
        ours = _epoch(_find(results, extra.get("spec"), extra.get("device"), extra.get("mode")))
        theirs = (b.get("stats") or {}).get("median")
        if ours and theirs:
            diffs.append((abs(theirs - ours) / ours,
                          f"{extra['spec']} {extra['device']} {extra['mode']}"))
    if not diffs:
        return head + f"; no train epoch of it matches this run's; {repeated}"
    worst, typical = max(diffs), statistics.median(d for d, _ in diffs)
    return (head + f" of the same measurement (the harness's epoch clock); {repeated}\n"
            f"  - its train-epoch medians ({len(diffs)}) differ from this run's by "
            f"{typical:.0%} (median), at most {worst[0]:.0%} ({worst[1]})")


def headline_section(results: BenchLike, pytest_json: dict[str, Any] | None = None,
                     pytest_path: str | None = None, chart: bool = True) -> list[str]:
    results = _bench(results)
    cpu = results.environment.cpu
    measured = _measured_devices(results)
    title = (f"# Benchmarks: {_data_text(results, short=True)}, on "
             f"{' and '.join(d.upper() for d in measured) or 'no device'}")
    start, end = results.created_utc, results.finished_utc
    until = _date(end)[11:] if end else "?"
    run = (f"Measured by `harness bench` from {_date(start)} to {until} "
           f"({_f(results.elapsed_s, '{:.0f}')} s) on {cpu.model or 'an unknown CPU'}"
           f" ({cpu.cores or '?'} cores); every figure is from this run unless it names "
           "another.")
    lines = [title, "", run, "", headline_table(results), ""]
    lines += [x for x in [_targets_line(results)] if x]
    lines += _source_lines(results)
    for d in _missing_devices(results):
        lines.append(f"- {d.device}: not measured: {d.reason or 'no reason given'}"
                     + (f" ({d.detail})" if d.detail else ""))
    skipped = [s for s in results.specs if s.status != "ok"]
    reasons: dict[str, list[str]] = {}
    for s in skipped:
        reasons.setdefault(s.reason or "no reason given", []).append(f"`{s.name}`")
    lines += [f"- not benched, {reason}: {', '.join(names)}" for reason, names in reasons.items()]
    if not _settings(results).full_epochs:
        lines.append("- on this slice the speed-up reads lower than on full epochs; the targets "
                     "are per epoch of the book's training, decided on full epochs by `tox -e "
                     "bench`: [full/report.md](full/report.md)")
    lines += [x for x in [_pytest_benchmark_line(results, pytest_json, pytest_path)] if x]
    lines.append("")
    if chart:
        lines += [f"![Epoch time per spec and mode, and the xla speed-up (linear axes from "
                  f"zero)]({CHART_PNG})", ""]
    return lines


# ---------------------------------------------------------------------------------------------
# Folded sections


def _details(summary: str, body: list[str]) -> list[str]:
    return [f"<details><summary>{summary}</summary>", "", *body, "</details>", ""]


def method_section(results: BenchLike) -> list[str]:
    results = _bench(results)
    s = _settings(results)
    machine = results.machine
    n = machine.matmul_n
    rates = [f"NumPy {_f(machine.numpy_cpu_gflops, '{:.1f}')} GFLOP/s"]
    for dev in _measured_devices(results):
        value = machine.tf_gflops(dev)
        size = machine.tf_matmul_n(dev) or n
        rates.append(f"tf.matmul on {dev} {_f(value, '{:.1f}')} GFLOP/s"
                     + (f" ({size}x{size})" if value and size != n else ""))
    load = [machine.load_average_start, machine.load_average_end]
    cores = results.environment.cpu.cores
    lines = [
        f"- data: {_data_text(results)}",
        f"- execution modes: {', '.join(f'`{m}`' for m in s.modes)} (`default`: "
        "Keras's jit_compile=\"auto\"; `xla`: jit_compile=True, what `harness run` uses)",
        "- variants: training through the harness (build, compile, `train_model` with its "
        "recorder, NaN check and progress lines, and its saving after each epoch), and a plain "
        "Keras script of the same model (`keras.Sequential`, `compile`, `fit`, verbose=0)",
        f"- rounds: each variant trains 1 warm-up epoch (tracing and compilation: the first "
        f"epoch), then {s.rounds} interleaved rounds of {s.timed_epochs} timed "
        "epoch(s), the order reversed every other round",
        "- epoch time: timed inside `fit` from the start to the end of the epoch, validation "
        "included (`HarnessTraining.clock` in harness/bench.py; the plain script's by a "
        "stopwatch callback); throughput counts training samples",
        "- ratios: the fastest round of each variant (other processes only add time); the "
        "median of the rounds measured next to each other is in Targets in detail",
        f"- inference: `model.predict_on_batch`, {s.latency_repeats} calls timed one by "
        f"one after 3 warm-up calls, batch sizes {s.latency_batch_sizes}",
        f"- machine float32 matrix-multiply rate ({n}x{n}, best of a few): {', '.join(rates)}",
    ]
    if load[0] is not None and load[1] is not None:
        lines.append(f"- load average (1 min): {load[0]:.1f} at the start, {load[1]:.1f} at the "
                     f"end, on {cores} cores"
                     + ("; above the core count, other processes competed for the CPU: absolute "
                        "times are inflated and ratios noisy"
                        if cores and max(load[0], load[1]) > cores else ""))
    if s.full_epochs:
        lines.append("- the pytest-benchmark tests (tests/bench) time the same epoch with the same "
                     "clock, but on the slice of `harness bench` without --full-epochs (its "
                     "report), not on full epochs")
    else:
        lines.append("- the pytest-benchmark tests (tests/bench) time the same epoch with the same "
                     "clock, slice, warm-up and rounds; `pytest --benchmark-compare` tracks it "
                     "between commits")
    return _details("Method", lines)


def targets_section(results: BenchLike) -> list[str]:
    results = _bench(results)
    overhead_rows, speed_rows = [], []
    for comp in results.comparisons:
        spec, dev = comp.spec, comp.device
        for mode, o in comp.overhead.items():
            ratio = o.ratio_in_fit
            plain = comp.plain_best_epoch_time_s.get(mode)
            overhead_rows.append([
                spec, dev, mode, _f(plain, "{:.2f}"),
                _f(plain * ratio if plain is not None and ratio is not None else None, "{:.2f}"),
                _f(ratio, "{:.3f}"), _f(o.ratio_epochs, "{:.3f}"),
                _f(o.ratio_epochs_paired_median, "{:.3f}"),
                _f(o.ratio_epochs_cpu_time, "{:.3f}"),
                _f(o.ratio_total, "{:.3f}"), _f(_spread(comp, mode), "{:.3f}"),
                f"<= {o.target:.2f}",
                _verdict(None if ratio is None or o.target is None else ratio <= o.target),
            ])
        sp = comp.speedup_xla_vs_plain_default
        if sp:
            xla = _find(results, spec, dev, "xla")
            speed_rows.append([
                spec, dev, _f(comp.plain_best_epoch_time_s.get("default"), "{:.2f}"),
                _f(min(xla.train.epoch_time_s) if xla and xla.train else None, "{:.2f}"),
                _f(sp.ratio, "{:.2f}"), _f(sp.ratio_paired_median, "{:.2f}"),
                f">= {sp.target:.1f}",
                _verdict(None if sp.ratio is None or sp.target is None
                         else sp.ratio >= sp.target),
            ])
    body = [
        "The harness against the plain Keras script, trained in the same interleaved rounds. "
        "Each target is decided on the fastest round of each variant.",
        "",
        "### Harness overhead (harness / plain script, same mode)",
        "",
        _table(overhead_rows, ["spec", "device", "mode", "plain: fastest epoch (s)",
                               "harness: fastest epoch + saving (s)", "ratio (x)",
                               "whole fit calls (x)", "paired median (x)", "CPU time (x)",
                               "with build (x)", "plain spread (x)", "target (x)", "met"])
        if overhead_rows else "No trials ran.",
        "",
        "- ratio: the harness's epoch plus its saving after the epoch (the run file every "
        "epoch; the `--resume` checkpoint after the first, then as 1% of the training time "
        "allows), over the plain script's epoch",
        "- whole fit calls: per epoch of whole `fit` calls, which add Keras's set-up and "
        "tear-down of each call (the same code in both variants; `harness run` pays it once "
        "per run); paired median: their median over the rounds, pair by pair",
        "- CPU time: this process, all threads; with build: the whole trial, build and first "
        "epoch included",
        "- plain spread: the plain script's slowest whole-fit round over its fastest: a ratio "
        "within it is not told apart from noise by these rounds",
        "",
        "### `xla` against the plain script with Keras defaults",
        "",
        _table(speed_rows, ["spec", "device", "plain, default: fastest epoch (s)",
                            "harness, xla: fastest epoch (s)", "speed-up (x)",
                            "paired median (x)",
                            "target (x)", "met"])
        if speed_rows else "No `xla` trials ran.",
        "",
    ]
    return _details("Targets in detail", body)


def training_section(results: BenchLike) -> list[str]:
    results = _bench(results)
    rows = []
    for rec in _measured(results):
        entry = _spec_entry(results, rec.spec)
        t = rec.train or TrainFigures()
        full = entry.full_run
        epochs = t.epoch_time_s
        rows.append([
            rec.spec, rec.device, rec.mode, str(rec.jit_compile),
            _f(t.first_epoch_time_s, "{:.2f}"), _f(t.median_epoch_time_s, "{:.2f}"),
            f"{min(epochs):.2f}-{max(epochs):.2f}" if epochs else "-",
            _f(t.throughput_samples_per_s, "{:.0f}"),
            (f"{full.median_epoch_time_s:.1f} (`{full.mode}`)"
             if full and full.median_epoch_time_s and rec.device == "cpu" else "-"),
            _f(entry.reference_seconds_per_epoch, "{:.0f}"),
        ])
    full_epochs = _settings(results).full_epochs
    body = [
        _table(rows, ["spec", "device", "mode", "jit_compile", "first epoch (s)",
                      "epoch, median (s)", "epoch, range (s)", "throughput (samples/s)",
                      "committed full run: epoch (s)", "book: epoch (s)"])
        if rows else "No trials ran.",
        "",
        f"- epochs on {_data_text(results, short=True)}"
        + ("" if full_epochs else " (not full epochs: see full/report.md for those)"),
        "- committed full run: another run, each spec's `reports/<spec>/results.json` named "
        "under the headline (its date there), median of its epochs after the first, in the "
        "mode shown, on the CPU it ran on",
        "- book: the published seconds per epoch (median), from each spec's reference (the "
        "notebook's printed log; the book's machine is not stated)",
        "",
    ]
    return _details("Training", body)


def device_section(results: BenchLike) -> list[str]:
    results = _bench(results)
    measured = _measured_devices(results)
    if "cpu" not in measured or "gpu" not in measured:
        return []  # a device that was not measured is one line under the headline
    rows = []
    for entry in _trained_specs(results):
        for mode in _settings(results).modes:
            cpu_t = _epoch(_find(results, entry.name, "cpu", mode))
            gpu_t = _epoch(_find(results, entry.name, "gpu", mode))
            rows.append([entry.name, mode, _f(cpu_t, "{:.2f}"), _f(gpu_t, "{:.2f}"),
                         _f(cpu_t / gpu_t if cpu_t and gpu_t else None, "{:.2f}")])
    return _details("CPU vs GPU", [
        _table(rows, ["spec", "mode", "CPU: epoch (s)", "GPU: epoch (s)",
                      "GPU speed-up (x)"]), ""])


def inference_section(results: BenchLike) -> list[str]:
    results = _bench(results)
    sizes = _settings(results).latency_batch_sizes
    headers = ["spec", "device", "mode"]
    for bs in sizes:
        headers += [f"batch {bs}: p50 (ms)", f"batch {bs}: p95 (ms)"]
    headers.append(f"batch {sizes[-1]}: samples/s")
    rows = []
    for rec in _measured(results):
        by_size = {i.batch_size: i for i in rec.inference}
        row = [rec.spec, rec.device, rec.mode]
        for bs in sizes:
            i = by_size.get(bs) or InferenceFigures()
            row += [_f(i.latency_ms_p50, "{:.2f}"), _f(i.latency_ms_p95, "{:.2f}")]
        row.append(_f((by_size.get(sizes[-1]) or InferenceFigures()).throughput_samples_per_s,
                      "{:.0f}"))
        rows.append(row)
    return _details("Inference", [
        "Latency per batch of `model.predict_on_batch` (the trained model of each mode).", "",
        _table(rows, headers) if rows else "No trials ran.", ""])


def memory_section(results: BenchLike) -> list[str]:
    results = _bench(results)
    rows = []
    for rec in _measured(results):
        m = rec.memory or MemoryFigures()
        host, dev = m.host_peak_rss_bytes, m.device_peak_bytes
        rows.append([rec.spec, rec.device, rec.mode,
                     _f(host / MIB if host else None, "{:.0f}"),
                     _f(dev / MIB if dev is not None else None, "{:.1f}")])
    return _details("Memory", [
        _table(rows, ["spec", "device", "mode", "host peak RSS (MiB)",
                      "device peak (MiB)"]) if rows else "No trials ran.",
        "",
        "- host: peak resident set size of the bench process while the spec trained and "
        "predicted in that mode (the peak mark is reset before each trial; memory the process "
        "already held counts, and TensorFlow keeps freed memory for reuse)",
        "- device: on a GPU, the peak of `tf.config.experimental.get_memory_info`",
        ""])


def flops_section(results: BenchLike) -> list[str]:
    results = _bench(results)
    rows, formula_rows, seen = [], [], set()
    for rec in _measured(results):
        f = rec.flops or FlopsFigures()
        util = f.utilization
        rows.append([rec.spec, rec.device, rec.mode,
                     f"{f.forward_per_sample:,}", f"{f.train_per_sample:,}",
                     _f(f.achieved_gflops, "{:.2f}"), _f(f.machine_gflops, "{:.1f}"),
                     _f(util * 100 if util is not None else None, "{:.2f}")])
        if rec.spec not in seen:
            seen.add(rec.spec)
            formula_rows += [[rec.spec, f"{x.name} ({x.type})", x.formula,
                              f"{x.forward_per_sample:,}"] for x in f.layers]
    return _details("FLOPs and utilization", [
        "- FLOPs per sample counted from the architecture (`harness/flops.py`; a multiply-add "
        "is 2 FLOPs): Embedding 0, Dense 2*d*u, SimpleRNN 2*T*u*(d+u), LSTM 4x and GRU 3x that",
        "- training = 3x forward (backward ~2x forward), validation samples forward only",
        "- achieved = FLOPs of an epoch / epoch time; utilization = achieved / the device's "
        "measured float32 matrix-multiply rate (NumPy on the CPU, tf.matmul on a GPU)",
        "",
        _table(rows, ["spec", "device", "mode", "forward FLOPs/sample", "training FLOPs/sample",
                      "achieved (GFLOP/s)", "machine matmul (GFLOP/s)", "utilization (%)"])
        if rows else "No trials ran.",
        "",
        _table(formula_rows, ["spec", "layer", "forward FLOPs formula",
                              "forward FLOPs/sample"]) if formula_rows else "",
        ""])


def cudnn_section(results: BenchLike) -> list[str]:
    results = _bench(results)
    devices = _measured_devices(results)
    per_layer: dict[tuple[str | None, str | None], dict[str, Any]] = {}
    for rec in _measured(results):
        for c in rec.cudnn:
            row = per_layer.setdefault((rec.spec, c.layer),
                                       {**c.to_json_dict(), "kernels": {}})
            row["kernels"][rec.device] = c.kernel
    rows = [[spec, f"{layer} ({c['type']})", "yes" if c["eligible"] else "no",
             "; ".join(c["reasons"]) or "-"] + [c["kernels"].get(d) or "-" for d in devices]
            for (spec, layer), c in per_layer.items()]
    if not rows:
        return _details("cuDNN", ["No LSTM or GRU layer in the benched specs.", ""])
    return _details("cuDNN", [
        _table(rows, ["spec", "layer", "cuDNN allowed", "why not"]
               + [f"kernel ({d})" for d in devices]), "",
        "- cuDNN allowed: the layer's arguments meet Keras 3's rules for the fused kernel "
        "(activation tanh, recurrent_activation sigmoid, recurrent_dropout 0, unroll False, "
        "use_bias True, GRU reset_after True, no mask on left-padded input)",
        "- kernel: the one in the traced graph on each measured device (`generic`: Keras's own "
        "step loop); on a GPU, Keras turns XLA off for a model that runs cuDNN", ""])


def pytest_benchmark_section(data: dict[str, Any]) -> list[str]:
    """The figures of a pytest-benchmark file, for a report of that file alone."""
    rows = []
    for b in data.get("benchmarks") or []:
        stats = b.get("stats") or {}
        extra = b.get("extra_info") or {}
        rate = extra.get("samples_per_s")
        rows.append([b.get("name"), extra.get("spec", "-"), extra.get("device", "-"),
                     extra.get("mode", "-"), extra.get("measure", "-"),
                     _f(stats.get("median"), "{:.4f}"), _f(stats.get("iqr"), "{:.4f}"),
                     str(stats.get("rounds", "-")), _f(rate, "{:.0f}")])
    machine = data.get("machine_info") or {}
    commit = data.get("commit_info") or {}
    cpu = (machine.get("cpu") or {}).get("brand_raw") or machine.get("processor") or "-"
    return ["## pytest-benchmark", "",
            f"From `pytest --benchmark-json` ({data.get('datetime', '-')}, pytest-benchmark "
            f"{data.get('version', '-')}, CPU {cpu}, commit "
            f"{str(commit.get('id') or '-')[:12]}): one row per benchmark; median and IQR of "
            "its rounds.", "",
            _table(rows, ["benchmark", "spec", "device", "mode", "measure", "median (s)",
                          "IQR (s)", "rounds", "throughput (samples/s)"])
            if rows else "No benchmarks in the file.", ""]


def render_bench_report(results: BenchLike | None,
                        pytest_json: dict[str, Any] | None = None, chart: bool = True,
                        pytest_path: str | None = None) -> str:
    """The benchmark report in Markdown.

    Args:
        results: a ``harness bench`` results document, or None for a report of a
            pytest-benchmark file alone (then its figures are the report).
        pytest_json: a pytest-benchmark JSON document (:func:`load_pytest_benchmark`); beside
            bench results it is a separate run, named in one line, its figures not repeated.
        chart: link ``throughput.png`` (written beside the report by
            :func:`write_bench_report`).
        pytest_path: the pytest-benchmark file's path as the report names it (default: the
            path it was read from, else the one the results record, ``settings.benchmark_json``).
    """
    if results is None:
        lines = ["# Benchmarks: a pytest-benchmark run", ""]
        if pytest_json is not None:
            lines += pytest_benchmark_section(pytest_json)
        return "\n".join(lines)
    results = _bench(results)
    path = (pytest_path or getattr(pytest_json, "path", None)
            or _settings(results).benchmark_json)
    lines = headline_section(results, pytest_json, path, chart)
    lines += method_section(results)
    lines += targets_section(results)
    lines += training_section(results)
    lines += device_section(results)
    lines += inference_section(results)
    lines += memory_section(results)
    lines += flops_section(results)
    lines += cudnn_section(results)
    lines += _details("Environment", [environment_section(results.environment), ""])
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# The chart


def _chart_series(results: BenchResult) -> tuple[list[str], dict[str, list[float]],
                                                   dict[str, list[float]]]:
    """Bar labels, epoch times (s) per series and the xla speed-up per device."""
    comps = results.comparisons
    several = len({c.device for c in comps}) > 1
    labels = [f"{c.spec}" + (f" ({c.device})" if several else "") for c in comps]
    modes = _settings(results).modes
    epochs: dict[str, list[float]] = {"plain Keras, default": []}
    epochs.update({f"harness, {m}": [] for m in modes})
    speedups: dict[str, list[float]] = {"harness xla over plain Keras default": []}
    for comp in comps:
        epochs["plain Keras, default"].append(
            comp.plain_median_epoch_time_s.get("default") or 0.0)
        for m in modes:
            epochs[f"harness, {m}"].append(
                _epoch(_find(results, comp.spec, comp.device, m)) or 0.0)
        speedups["harness xla over plain Keras default"].append(_speedup_ratio(comp) or 0.0)
    if _settings(results).full_epochs:  # the book's epochs are full epochs too
        epochs["book (published)"] = [
            _spec_entry(results, c.spec).reference_seconds_per_epoch or 0.0 for c in comps]
    return labels, epochs, speedups


def chart_figure(results: BenchLike):
    """The matplotlib figure of :func:`bench_chart`: epoch time per spec and series, and the
    xla speed-up against its target; both axes linear from zero."""
    results = _bench(results)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    labels, epochs, speedups = _chart_series(results)
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.6), dpi=100,
                                      gridspec_kw={"width_ratios": [3, 2]})
    x = np.arange(len(labels))
    width = 0.8 / max(len(epochs), 1)
    for i, (label, values) in enumerate(epochs.items()):
        bars = left.bar(x + i * width - 0.4 + width / 2, values, width, label=label)
        left.bar_label(bars, fmt="%.2f", fontsize=6, padding=1)
    left.set_xticks(x, labels, rotation=15, fontsize=8)
    left.set_ylabel("epoch time (s), median")
    left.set_title(f"Epoch time, {_data_text(results, short=True)}", fontsize=10)
    if labels:
        left.legend(fontsize=7, loc="upper left")
    top = max([v for values in epochs.values() for v in values] + [0.0])
    left.set_ylim(0, top * 1.25 if top else 1.0)
    left.grid(axis="y", alpha=0.3)

    target = _settings(results).speedup_target
    for label, values in speedups.items():
        bars = right.bar(x, values, 0.5, label=label, color="tab:green")
        right.bar_label(bars, fmt="%.2f", fontsize=7, padding=1)
    right.axhline(1.0, color="0.4", linewidth=0.8, label="plain Keras default (1x)")
    if target:
        right.axhline(target, color="tab:red", linestyle="--", linewidth=0.8,
                      label=f"target ({target:g}x)")
    right.set_xticks(x, labels, rotation=15, fontsize=8)
    right.set_ylabel("speed-up (x), fastest rounds")
    right.set_title("xla speed-up over the plain Keras script", fontsize=10)
    top = max([v for values in speedups.values() for v in values] + [target or 1.0, 1.0])
    right.set_ylim(0, top * 1.3)  # room above the bars for the legend
    if labels:
        right.legend(fontsize=7, loc="upper left")
    right.grid(axis="y", alpha=0.3)
    missing = _missing_devices(results)
    if missing:
        fig.suptitle("; ".join(f"{d.device}: not measured, {d.reason}"
                               for d in missing), fontsize=8)
    fig.tight_layout()
    return fig


def bench_chart(results: BenchLike) -> bytes:
    """PNG of :func:`chart_figure`."""
    import matplotlib.pyplot as plt

    fig = chart_figure(results)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def write_bench_report(results: BenchLike | None, folder: str | os.PathLike,
                       pytest_json: dict[str, Any] | None = None,
                       pytest_path: str | None = None) -> Path:
    """Write ``report.md`` (and ``throughput.png`` for bench results) into ``folder``,
    atomically. Returns the report's path."""
    folder = Path(folder)
    bench = None if results is None else _bench(results)
    has_chart = bench is not None and bool(bench.comparisons)
    if bench is not None and has_chart:
        write_text_atomic(folder / CHART_PNG, bench_chart(bench))
    return write_text_atomic(folder / "report.md",
                             render_bench_report(bench, pytest_json, chart=has_chart,
                                                 pytest_path=pytest_path))


__all__ = ["bench_chart", "chart_figure", "load_bench", "load_pytest_benchmark",
           "render_bench_report", "write_bench_report"]
