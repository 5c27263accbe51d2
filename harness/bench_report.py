"""The benchmark report: Markdown tables and a bar chart from bench results (and pytest-benchmark).

``render_bench_report(results, pytest_json)`` gives the Markdown from a ``harness bench``
results document (see :mod:`harness.bench`) and, optionally, a pytest-benchmark JSON file
(``pytest --benchmark-json``); ``write_bench_report`` also draws ``throughput.png``.
Book figures come from each spec's ``reference.seconds_per_epoch`` (its source is in the spec).
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

from .errors import ResultsError
from .report import _table, environment_section
from .results import write_text_atomic

CHART_PNG = "throughput.png"
MIB = 1024 * 1024


def _f(value: Any, fmt: str) -> str:
    return "-" if value is None else fmt.format(value)


def _verdict(ok: bool | None) -> str:
    return "-" if ok is None else ("yes" if ok else "NO")


def load_pytest_benchmark(path: str | os.PathLike) -> dict[str, Any]:
    """Read a pytest-benchmark JSON file (``pytest --benchmark-json=PATH``).

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
    return data


# ---------------------------------------------------------------------------------------------
# Lookups


def _records(results: dict[str, Any]) -> list[dict[str, Any]]:
    return results.get("benchmarks") or []


def _find(results: dict[str, Any], spec: str, device: str, mode: str) -> dict[str, Any] | None:
    for rec in _records(results):
        if (rec["spec"], rec["device"], rec["mode"]) == (spec, device, mode):
            return rec
    return None


def _comparison(results: dict[str, Any], spec: str, device: str) -> dict[str, Any] | None:
    for comp in results.get("comparisons") or []:
        if (comp["spec"], comp["device"]) == (spec, device):
            return comp
    return None


def _trained_specs(results: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in results.get("specs") or [] if s.get("status") == "ok"]


def _epoch(rec: dict[str, Any] | None) -> float | None:
    if not rec or rec.get("status") != "ok":
        return None
    return rec["train"]["median_epoch_time_s"]


def _skipped(rec: dict[str, Any] | None) -> str:
    if rec is None:
        return "not run"
    return f"skipped: {rec.get('reason') or 'no reason given'}"


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a and b else None


# ---------------------------------------------------------------------------------------------
# Sections


def _spread(comp: dict[str, Any], mode: str) -> float | None:
    """Slowest over fastest whole-fit round of the plain script in ``mode``: the run's noise."""
    rounds = next((t["timed_s"] for t in comp.get("trials", [])
                   if (t["variant"], t["mode"]) == ("plain", mode)), None)
    return max(rounds) / min(rounds) if rounds and min(rounds) > 0 else None


def settings_section(results: dict[str, Any]) -> list[str]:
    s = results.get("settings", {})
    machine = results.get("machine", {})
    devices = []
    for d in results.get("devices") or []:
        devices.append(f"{d['device']} ({d['tf_device']})" if d["status"] == "ok"
                       else f"{d['device']}: skipped: {d['reason']}"
                       + (f" ({d['detail']})" if d.get("detail") else ""))
    if s.get("full_epochs"):
        data = "full epochs (all 25,000 training reviews, split by each spec's validation_split)"
    else:
        data = (f"the first {s.get('train_samples'):,} training reviews of the real IMDB set, "
                "split by each spec's validation_split")
    n = machine.get("matmul_n")
    rates = [f"NumPy {_f(machine.get('numpy_cpu_gflops'), '{:.1f}')} GFLOP/s"]
    for d in results.get("devices") or []:
        value = machine.get(f"tf_{d['device']}_gflops")
        size = machine.get(f"tf_{d['device']}_matmul_n") or n
        rates.append(f"tf.matmul on {d['device']} "
                     + (f"{value:.1f} GFLOP/s" if value else "skipped")
                     + (f" ({size}x{size})" if value and size != n else ""))
    load = [machine.get(f"load_average_{when}") for when in ("start", "end")]
    cores = (results.get("environment", {}).get("cpu") or {}).get("cores")
    return [
        f"- run: {results.get('created_utc')} to {results.get('finished_utc')}, "
        f"{_f(results.get('elapsed_s'), '{:.0f}')} s in all"
        + (f"; load average (1 min) {load[0]:.1f} at the start, {load[1]:.1f} at the end, on "
           f"{cores} cores" if None not in load else "")
        + ("; above the core count: other processes were competing for the CPU, so absolute "
           "times are inflated and the ratios noisy"
           if None not in load and cores and max(load) > cores else ""),
        f"- devices: {'; '.join(devices)}",
        f"- execution modes: {', '.join(f'`{m}`' for m in s.get('modes', []))} (`default`: "
        "Keras's jit_compile=\"auto\"; `xla`: jit_compile=True; `harness run` uses `xla`)",
        f"- data: {data}",
        "- training: each variant (the harness, and a plain Keras script, per mode) builds, "
        "compiles and trains 1 warm-up epoch (the first epoch: tracing and compilation "
        f"included), then {s.get('rounds')} interleaved rounds of {s.get('timed_epochs')} timed "
        "epoch(s) each; epoch time is the median of the timed epochs, validation included; "
        "throughput counts training samples",
        f"- inference: `model.predict_on_batch`, {s.get('latency_repeats')} timed calls per batch "
        f"size after 3 warm-up calls, batch sizes {s.get('latency_batch_sizes')}",
        f"- machine float32 matrix-multiply rate ({n}x{n}, best of a few): {', '.join(rates)}"
        + (" (on a GPU, TensorFlow multiplies float32 in TF32 by default, in the models too)"
           if any(d["device"] == "gpu" and d["status"] == "ok"
                  for d in results.get("devices") or []) else ""),
    ]


def targets_section(results: dict[str, Any]) -> list[str]:
    overhead_rows, speed_rows = [], []
    for comp in results.get("comparisons") or []:
        spec, dev = comp["spec"], comp["device"]
        for mode, o in comp["overhead"].items():
            ratio = o.get("ratio_in_fit")
            plain = comp["plain_best_epoch_time_s"].get(mode)
            overhead_rows.append([
                spec, dev, mode, _f(plain, "{:.2f}"),
                # the harness's best epoch with its saving: the ratio's numerator
                _f(plain * ratio if plain is not None and ratio is not None else None, "{:.2f}"),
                _f(ratio, "{:.3f}"), _f(o.get("ratio_epochs"), "{:.3f}"),
                _f(o.get("ratio_epochs_paired_median"), "{:.3f}"),
                _f(o.get("ratio_epochs_cpu_time"), "{:.3f}"),
                _f(o.get("ratio_total"), "{:.3f}"), _f(_spread(comp, mode), "{:.3f}"),
                f"<= {o['target']:.2f}", _verdict(None if ratio is None else ratio <= o["target"]),
            ])
        s = comp.get("speedup_xla_vs_plain_default")
        if s:
            full = next((e.get("full_run") for e in _trained_specs(results)
                         if e["name"] == spec), None)
            band = (full or {}).get("band") or {}
            in_band = None if not band else band.get("verdict") == "pass"
            xla = _find(results, spec, dev, "xla")
            speed_rows.append([
                spec, dev, _f(comp["plain_best_epoch_time_s"].get("default"), "{:.2f}"),
                _f(min(xla["train"]["epoch_time_s"]) if _epoch(xla) else None, "{:.2f}"),
                _f(s.get("ratio"), "{:.2f}"), _f(s.get("ratio_paired_median"), "{:.2f}"),
                f">= {s['target']:.1f}",
                _verdict(None if s.get("ratio") is None else s["ratio"] >= s["target"]),
                (f"`{full['mode']}`, {full['epochs_done']} epochs"
                 + ("" if full.get("same_spec_hash") else " (spec changed since)")
                 if full else "no full run committed"),
                f"{band['metric']} {_f(band.get('value'), '{:.4f}')}" if band else "-",
                f"[{band['low']:.2f}, {band['high']:.2f}]" if band else "-",
                _verdict(in_band),
            ])
    lines = [
        "## Targets",
        "",
        "The harness against a plain Keras script of the same model, data and settings "
        "(`keras.Sequential`, `compile`, `fit`, verbose=0), trained in the same rounds, "
        "interleaved. Each target is decided on the best (fastest) round of each variant, "
        "since other processes can only add time, so the fastest round is the least disturbed "
        "one; the median over rounds of the pairs measured next to each other is beside it. "
        "Where the two differ much, the rounds were disturbed.",
        "",
        "### Harness overhead (harness / plain script, same mode)",
        "",
        "Per epoch, as the speed-up target is: the epoch inside `fit` (start to end, "
        "validation included) plus, for the harness, what it writes after the epoch (the run "
        "file after every epoch, and the checkpoint for `--resume` as `harness run` writes it: "
        "after the first epoch, then as often as 1% of the training time allows). The epoch "
        "includes the harness's epoch recorder, NaN check and progress line. Other views: "
        "whole `fit` calls per epoch, which add Keras's own set-up and tear-down of each call "
        "(the same code for both variants, but it varied by seconds from call to call on a "
        "busy machine, and `harness run` pays it once per run, not once per epoch), also as "
        "the median of paired rounds; CPU time (this process, all threads); and the whole "
        "trial with build and first epoch. The plain script's slowest whole-`fit` round "
        "against its fastest shows how much the same work varied during the run: a ratio "
        "within that spread is not told apart from noise by these rounds.",
        "",
        _table(overhead_rows, ["spec", "device", "mode", "plain: epoch (s)",
                               "harness: epoch with saving (s)", "ratio (x)",
                               "ratio, whole fit calls (x)",
                               "ratio, whole fit calls, median of paired rounds (x)",
                               "ratio of CPU time (x)",
                               "ratio with build and first epoch (x)",
                               "plain script's own rounds, slowest / fastest (x)",
                               "target (x)", "met"])
        if overhead_rows else "No trials ran.",
        "",
        "### Fastest mode (`xla`) against the plain script with Keras defaults",
        "",
        "Epoch time inside `fit`, start to end of the epoch (validation included; the plain "
        "script's from a stopwatch callback with epoch hooks only), best round. Accuracy from "
        "the committed full run of each spec (`reports/<spec>/results.json`, all 25,000 "
        "training reviews), with the mode it ran.",
        "",
        *([] if (results.get("settings") or {}).get("full_epochs") else [
            "On this slice the speed-up reads lower than on full epochs (on a 2-core CPU the "
            "plain script's default mode slows more per review on the full data than `xla` "
            "does), and the target is per epoch of the book's training: `tox -e bench` also "
            "runs the book's SimpleRNN and LSTM classifiers on full epochs (`harness bench "
            "SPEC --full-epochs`) and writes `reports/bench/full/report.md`.", ""]),
        _table(speed_rows, ["spec", "device", "plain, Keras defaults: epoch (s)",
                            "harness xla: epoch (s)", "speed-up (x)",
                            "speed-up, median of paired rounds (x)", "target (x)", "met",
                            "full run", "accuracy (band metric)", "band", "in band"])
        if speed_rows else "No `xla` trials ran.",
        "",
    ]
    return lines


def training_section(results: dict[str, Any]) -> list[str]:
    rows = []
    specs = {e["name"]: e for e in _trained_specs(results)}
    for rec in _records(results):
        entry = specs.get(rec["spec"], {})
        if rec.get("status") != "ok":
            rows.append([rec["spec"], rec["device"], rec["mode"], _skipped(rec)]
                        + ["-"] * 6)
            continue
        t = rec["train"]
        slice_samples = t["train_samples"] + t["val_samples"]
        full_samples = entry.get("reference_samples") or 25000
        full_est = t["median_epoch_time_s"] * full_samples / slice_samples
        full = entry.get("full_run") or {}
        rows.append([
            rec["spec"], rec["device"], rec["mode"], str(rec["jit_compile"]),
            _f(t["first_epoch_time_s"], "{:.2f}"), _f(t["median_epoch_time_s"], "{:.2f}"),
            _f(t["throughput_samples_per_s"], "{:.0f}"),
            _f(full_est, "{:.1f}"),
            (f"{full['median_epoch_time_s']:.1f} (`{full['mode']}`)"
             if full.get("median_epoch_time_s") and rec["device"] == "cpu" else "-"),
            _f(entry.get("reference_seconds_per_epoch"), "{:.0f}"),
        ])
    full_epochs = (results.get("settings") or {}).get("full_epochs")
    return [
        "## Training",
        "",
        ("Full epochs: the book's 20,000 training + 5,000 validation reviews, so the estimate "
         "is the measured epoch" if full_epochs else
         "A full epoch is estimated from the slice's time per sample, for the book's 20,000 "
         "training + 5,000 validation reviews")
        + "; the committed full run's median epoch (on this project's CPU, in the mode shown; "
        "other jobs on the machine while it ran slow it down) and the book's seconds per "
        "epoch (`reference.seconds_per_epoch` of the spec; the book's machine is not "
        "stated) stand beside it.",
        "",
        _table(rows, ["spec", "device", "mode", "jit_compile", "first epoch (s)",
                      "epoch time (s)", "throughput (samples/s)", "full epoch, estimated (s)",
                      "full run epoch (s)", "book epoch time (s)"]),
        "",
    ]


def device_section(results: dict[str, Any]) -> list[str]:
    rows = []
    for entry in _trained_specs(results):
        for mode in results.get("settings", {}).get("modes", []):
            cpu = _find(results, entry["name"], "cpu", mode)
            gpu = _find(results, entry["name"], "gpu", mode)
            cpu_t, gpu_t = _epoch(cpu), _epoch(gpu)
            rows.append([
                entry["name"], mode,
                _f(cpu_t, "{:.2f}") if cpu_t else _skipped(cpu),
                _f(gpu_t, "{:.2f}") if gpu_t else _skipped(gpu),
                _f(_ratio(cpu_t, gpu_t), "{:.2f}"),
            ])
    return ["## CPU vs GPU", "",
            _table(rows, ["spec", "mode", "CPU epoch time (s)", "GPU epoch time (s)",
                          "GPU speed-up (x)"]), ""]


def xla_section(results: dict[str, Any]) -> list[str]:
    rows = []
    for entry in _trained_specs(results):
        for dev in results.get("devices") or []:
            d = _find(results, entry["name"], dev["device"], "default")
            x = _find(results, entry["name"], dev["device"], "xla")
            if not (_epoch(d) and _epoch(x)):
                reason = _skipped(d if not _epoch(d) else x)
                rows.append([entry["name"], dev["device"], reason, "-", "-", "-", "-"])
                continue
            rows.append([
                entry["name"], dev["device"], _f(_epoch(d), "{:.2f}"), _f(_epoch(x), "{:.2f}"),
                _f(_ratio(_epoch(d), _epoch(x)), "{:.2f}"),
                _f(d["train"]["first_epoch_time_s"], "{:.2f}"),
                _f(x["train"]["first_epoch_time_s"], "{:.2f}"),
            ])
    return ["## XLA vs default", "",
            "Through the harness, same rounds. The first epoch carries the tracing and, for "
            "`xla`, the XLA compilation.", "",
            _table(rows, ["spec", "device", "default epoch time (s)", "xla epoch time (s)",
                          "xla speed-up (x)", "default first epoch (s)",
                          "xla first epoch (s)"]), ""]


def inference_section(results: dict[str, Any]) -> list[str]:
    sizes = results.get("settings", {}).get("latency_batch_sizes", [1, 128])
    headers = ["spec", "device", "mode"]
    for bs in sizes:
        headers += [f"batch {bs}: latency p50 (ms)", f"batch {bs}: latency p95 (ms)"]
    headers.append(f"throughput at batch {sizes[-1]} (samples/s)")
    rows = []
    for rec in _records(results):
        if rec.get("status") != "ok":
            rows.append([rec["spec"], rec["device"], rec["mode"], _skipped(rec)]
                        + ["-"] * (len(headers) - 4))
            continue
        by_size = {i["batch_size"]: i for i in rec["inference"]}
        row = [rec["spec"], rec["device"], rec["mode"]]
        for bs in sizes:
            i = by_size.get(bs, {})
            row += [_f(i.get("latency_ms_p50"), "{:.2f}"), _f(i.get("latency_ms_p95"), "{:.2f}")]
        row.append(_f(by_size.get(sizes[-1], {}).get("throughput_samples_per_s"), "{:.0f}"))
        rows.append(row)
    return ["## Inference", "", _table(rows, headers), ""]


def memory_section(results: dict[str, Any]) -> list[str]:
    rows = []
    for rec in _records(results):
        if rec.get("status") != "ok":
            rows.append([rec["spec"], rec["device"], rec["mode"], _skipped(rec), "-"])
            continue
        m = rec["memory"]
        host = m.get("host_peak_rss_bytes")
        dev = m.get("device_peak_bytes")
        rows.append([rec["spec"], rec["device"], rec["mode"],
                     _f(host / MIB if host else None, "{:.0f}"),
                     _f(dev / MIB if dev is not None else None, "{:.1f}")])
    return ["## Memory", "",
            "Peak resident set size of the bench process while the spec trained and predicted "
            "in that mode (the peak mark is reset before each trial; memory the process "
            "already held counts, TensorFlow keeps freed memory for reuse), and on a GPU the "
            "peak of `tf.config.experimental.get_memory_info`.", "",
            _table(rows, ["spec", "device", "mode", "host peak RSS (MiB)",
                          "device peak memory (MiB)"]), ""]


def flops_section(results: dict[str, Any]) -> list[str]:
    rows, formula_rows, seen = [], [], set()
    for rec in _records(results):
        if rec.get("status") != "ok":
            rows.append([rec["spec"], rec["device"], rec["mode"], "-", "-", _skipped(rec), "-",
                         "-"])
            continue
        f = rec["flops"]
        util = f.get("utilization")
        rows.append([rec["spec"], rec["device"], rec["mode"],
                     f"{f['forward_per_sample']:,}", f"{f['train_per_sample']:,}",
                     _f(f.get("achieved_gflops"), "{:.2f}"), _f(f.get("machine_gflops"), "{:.1f}"),
                     _f(util * 100 if util is not None else None, "{:.2f}")])
        if rec["spec"] not in seen:
            seen.add(rec["spec"])
            formula_rows += [[rec["spec"], f"{x['name']} ({x['type']})", x["formula"],
                              f"{x['forward_per_sample']:,}"] for x in f["layers"]]
    return [
        "## FLOPs and utilization",
        "",
        "FLOPs per sample counted from the architecture (`harness/flops.py`; a multiply-add is "
        "2 FLOPs): Embedding 0, Dense 2*d*u, SimpleRNN 2*T*u*(d+u), LSTM 4x and GRU 3x that; "
        "training = 3x forward (backward ~2x forward), validation samples forward only. "
        "Achieved = FLOPs of an epoch / epoch time; utilization = achieved / the device's "
        "measured float32 matrix-multiply rate (NumPy on the CPU, tf.matmul on a GPU).",
        "",
        _table(rows, ["spec", "device", "mode", "forward FLOPs per sample",
                      "training FLOPs per sample", "achieved (GFLOP/s)",
                      "machine matmul (GFLOP/s)", "utilization (%)"]),
        "",
        _table(formula_rows, ["spec", "layer", "forward FLOPs formula",
                              "forward FLOPs per sample"]) if formula_rows else "",
        "",
    ]


def cudnn_section(results: dict[str, Any]) -> list[str]:
    devices = [d["device"] for d in results.get("devices") or []]
    per_layer: dict[tuple[str, str], dict[str, Any]] = {}
    for rec in _records(results):
        for c in rec.get("cudnn") or []:
            row = per_layer.setdefault((rec["spec"], c["layer"]), {**c, "kernels": {}})
            row["kernels"][rec["device"]] = c.get("kernel")
    status = {d["device"]: d for d in results.get("devices") or []}
    rows = []
    for (spec, layer), c in per_layer.items():
        row = [spec, f"{layer} ({c['type']})", "yes" if c["eligible"] else "no",
               "; ".join(c["reasons"]) or "-"]
        for dev in devices:
            if status[dev]["status"] != "ok":
                row.append(f"skipped: {status[dev].get('reason')}")
            else:
                row.append(c["kernels"].get(dev) or "-")
        rows.append(row)
    if not rows:
        return ["## cuDNN", "", "No LSTM or GRU layer in the benched specs.", ""]
    return ["## cuDNN", "",
            "Whether each LSTM/GRU layer's arguments allow the fused cuDNN kernel (Keras 3 "
            "rules: activation tanh, recurrent_activation sigmoid, recurrent_dropout 0, unroll "
            "False, use_bias True, GRU reset_after True, no mask on left-padded input), and the "
            "kernel in the traced graph on each device (`generic`: Keras's own step loop). On a "
            "GPU, Keras turns XLA off for a model that runs cuDNN.", "",
            _table(rows, ["spec", "layer", "cuDNN allowed", "why not"]
                   + [f"kernel ({d})" for d in devices]), ""]


def pytest_benchmark_section(data: dict[str, Any]) -> list[str]:
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


def render_bench_report(results: dict[str, Any] | None,
                        pytest_json: dict[str, Any] | None = None, chart: bool = True) -> str:
    """The benchmark report in Markdown.

    Args:
        results: a ``harness bench`` results document, or None for a report of a
            pytest-benchmark file alone.
        pytest_json: a pytest-benchmark JSON document (:func:`load_pytest_benchmark`).
        chart: link ``throughput.png`` (written beside the report by
            :func:`write_bench_report`).
    """
    lines = ["# Benchmarks", ""]
    if results is not None:
        skipped = [s for s in results.get("specs") or [] if s.get("status") != "ok"]
        lines += settings_section(results)
        lines += [f"- not benched: `{s['name']}` ({s.get('reason')})" for s in skipped]
        lines.append("")
        lines += targets_section(results)
        lines += training_section(results)
        lines += device_section(results)
        lines += xla_section(results)
        lines += inference_section(results)
        lines += memory_section(results)
        lines += flops_section(results)
        lines += cudnn_section(results)
    if pytest_json is not None:
        lines += pytest_benchmark_section(pytest_json)
    if results is not None:
        if chart:
            lines += ["## Chart", "", f"![Training throughput and epoch time]({CHART_PNG})", ""]
        lines += ["## Environment", "", environment_section(results.get("environment", {})), ""]
    return "\n".join(lines)


def bench_chart(results: dict[str, Any]) -> bytes:
    """PNG: training throughput (samples/s) per spec and variant, and full-epoch time vs book."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    specs = _trained_specs(results)
    names = [e["name"] for e in specs]
    bars: dict[str, list[float]] = {}
    for comp in results.get("comparisons") or []:
        rec = _find(results, comp["spec"], comp["device"], "default") or \
            next(r for r in _records(results) if r["spec"] == comp["spec"])
        n = rec["train"]["train_samples"]
        t = comp["plain_median_epoch_time_s"].get("default")  # inside fit, as the harness's
        bars.setdefault(f"plain Keras, default ({comp['device']})",
                        [0.0] * len(names))[names.index(comp["spec"])] = n / t if t else 0.0
    for rec in _records(results):
        if rec.get("status") != "ok":
            continue
        label = f"harness, {rec['mode']} ({rec['device']})"
        bars.setdefault(label, [0.0] * len(names))[names.index(rec["spec"])] = \
            rec["train"]["throughput_samples_per_s"] or 0.0
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.4), dpi=100)
    x = np.arange(len(names))
    width = 0.8 / max(len(bars), 1)
    for i, (label, values) in enumerate(bars.items()):
        left.bar(x + i * width - 0.4 + width / 2, values, width, label=label)
    left.set_xticks(x, names, rotation=15, fontsize=8)
    left.set_yscale("log")  # the dense baseline is ~30x faster than the recurrent models
    left.set_ylabel("training throughput (samples/s, log scale)")
    skipped = [d for d in results.get("devices") or [] if d["status"] != "ok"]
    title = "Training throughput"
    if skipped:
        title += " (" + ", ".join(f"{d['device']}: skipped, {d['reason']}" for d in skipped) + ")"
    left.set_title(title, fontsize=10)
    if left.get_legend_handles_labels()[0]:  # no bars when every device was skipped
        left.legend(fontsize=7)
    left.grid(axis="y", alpha=0.3)

    ours, book = [], []
    for e in specs:
        epochs = [r["train"] for r in _records(results)
                  if r["spec"] == e["name"] and r["device"] == "cpu" and r.get("status") == "ok"]
        fastest = min(epochs, key=lambda t: t["median_epoch_time_s"], default=None)
        ours.append(fastest["median_epoch_time_s"] * (e.get("reference_samples") or 25000)
                    / (fastest["train_samples"] + fastest["val_samples"]) if fastest else 0.0)
        book.append(e.get("reference_seconds_per_epoch") or 0.0)
    measured = ("measured" if (results.get("settings") or {}).get("full_epochs")
                else "estimated from the slice")
    right.bar(x - 0.2, ours, 0.4, label=f"this CPU, fastest mode ({measured})")
    right.bar(x + 0.2, book, 0.4, label="book", color="0.6")
    right.set_xticks(x, names, rotation=15, fontsize=8)
    right.set_ylabel("full epoch time (s)")
    right.set_title("Seconds per full epoch, this CPU vs the book", fontsize=10)
    right.legend(fontsize=7)
    right.grid(axis="y", alpha=0.3)
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def write_bench_report(results: dict[str, Any] | None, folder: str | os.PathLike,
                       pytest_json: dict[str, Any] | None = None) -> Path:
    """Write ``report.md`` (and ``throughput.png`` for bench results) into ``folder``,
    atomically. Returns the report's path."""
    folder = Path(folder)
    has_chart = results is not None and bool(_records(results))
    if has_chart:
        write_text_atomic(folder / CHART_PNG, bench_chart(results))
    return write_text_atomic(folder / "report.md",
                             render_bench_report(results, pytest_json, chart=has_chart))
