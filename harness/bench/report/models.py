"""The bench report's folded sections on the trained models: inference latency, memory peaks,
FLOPs and utilization, and which layers may run cuDNN's kernel."""

from __future__ import annotations

from typing import Any

from ...formatting import cell, markdown_table
from ...result_types import BenchLike, FlopsFigures, InferenceFigures, MemoryFigures
from .load import as_bench
from .lookups import details, measured, measured_devices

MIB = 1024 * 1024


def inference_section(results: BenchLike) -> list[str]:
    """Latency per batch (ms, p50 and p95) and throughput of ``predict_on_batch`` (folded)."""
    results = as_bench(results)
    sizes = results.settings.latency_batch_sizes
    headers = ["spec", "device", "mode"]
    for bs in sizes:
        headers += [f"batch {bs}: p50 (ms)", f"batch {bs}: p95 (ms)"]
    headers.append(f"batch {sizes[-1]}: samples/s")
    rows = []
    for rec in measured(results):
        by_size = {i.batch_size: i for i in rec.inference}
        row = [rec.spec, rec.device, rec.mode]
        for bs in sizes:
            i = by_size.get(bs) or InferenceFigures()
            row += [cell(i.latency_ms_p50, "{:.2f}"), cell(i.latency_ms_p95, "{:.2f}")]
        row.append(cell((by_size.get(sizes[-1]) or InferenceFigures()).throughput_samples_per_s,
                      "{:.0f}"))
        rows.append(row)
    return details("Inference", [
        "Latency per batch of `model.predict_on_batch` (the trained model of each mode).", "",
        markdown_table(rows, headers) if rows else "No trials ran.", ""])


def memory_section(results: BenchLike) -> list[str]:
    """Peak host RSS and device memory (MiB) per trial (folded)."""
    results = as_bench(results)
    rows = []
    for rec in measured(results):
        m = rec.memory or MemoryFigures()
        host, dev = m.host_peak_rss_bytes, m.device_peak_bytes
        rows.append([rec.spec, rec.device, rec.mode,
                     cell(host / MIB if host else None, "{:.0f}"),
                     cell(dev / MIB if dev is not None else None, "{:.1f}")])
    return details("Memory", [
        markdown_table(rows, ["spec", "device", "mode", "host peak RSS (MiB)",
                              "device peak (MiB)"]) if rows else "No trials ran.",
        "",
        "- host: peak resident set size of the bench process while the spec trained and "
        "predicted in that mode (the peak mark is reset before each trial; memory the process "
        "already held counts, and TensorFlow keeps freed memory for reuse)",
        "- device: on a GPU, the peak of `tf.config.experimental.get_memory_info`",
        ""])


def flops_section(results: BenchLike) -> list[str]:
    """FLOPs per sample, achieved GFLOP/s and utilization, with each layer's formula
    (folded)."""
    results = as_bench(results)
    rows, formula_rows, seen = [], [], set()
    for rec in measured(results):
        f = rec.flops or FlopsFigures()
        util = f.utilization
        rows.append([rec.spec, rec.device, rec.mode,
                     f"{f.forward_per_sample:,}", f"{f.train_per_sample:,}",
                     cell(f.achieved_gflops, "{:.2f}"), cell(f.machine_gflops, "{:.1f}"),
                     cell(util * 100 if util is not None else None, "{:.2f}")])
        if rec.spec not in seen:
            seen.add(rec.spec)
            formula_rows += [[rec.spec, f"{x.name} ({x.type})", x.formula,
                              f"{x.forward_per_sample:,}"] for x in f.layers]
    return details("FLOPs and utilization", [
        "- FLOPs per sample counted from the architecture (`harness/flops.py`; a multiply-add "
        "is 2 FLOPs): Embedding 0, Dense 2*d*u, SimpleRNN 2*T*u*(d+u), LSTM 4x and GRU 3x that",
        "- training = 3x forward (backward ~2x forward), validation samples forward only",
        "- achieved = FLOPs of an epoch / epoch time; utilization = achieved / the device's "
        "measured float32 matrix-multiply rate (NumPy on the CPU, tf.matmul on a GPU)",
        "",
        markdown_table(rows, ["spec", "device", "mode", "forward FLOPs/sample",
                              "training FLOPs/sample", "achieved (GFLOP/s)",
                              "machine matmul (GFLOP/s)", "utilization (%)"])
        if rows else "No trials ran.",
        "",
        markdown_table(formula_rows, ["spec", "layer", "forward FLOPs formula",
                                      "forward FLOPs/sample"]) if formula_rows else "",
        ""])


def cudnn_section(results: BenchLike) -> list[str]:
    """Per LSTM/GRU layer: whether cuDNN is allowed, why not, the kernel in use on each
    measured device (folded)."""
    results = as_bench(results)
    devices = measured_devices(results)
    per_layer: dict[tuple[str | None, str | None], dict[str, Any]] = {}
    for rec in measured(results):
        for c in rec.cudnn:
            row = per_layer.setdefault((rec.spec, c.layer),
                                       {**c.to_json_dict(), "kernels": {}})
            row["kernels"][rec.device] = c.kernel
    rows = [[spec, f"{layer} ({c['type']})", "yes" if c["eligible"] else "no",
             "; ".join(c["reasons"]) or "-"] + [c["kernels"].get(d) or "-" for d in devices]
            for (spec, layer), c in per_layer.items()]
    if not rows:
        return details("cuDNN", ["No LSTM or GRU layer in the benched specs.", ""])
    return details("cuDNN", [
        markdown_table(rows, ["spec", "layer", "cuDNN allowed", "why not"]
                       + [f"kernel ({d})" for d in devices]), "",
        "- cuDNN allowed: the layer's arguments meet Keras 3's rules for the fused kernel "
        "(activation tanh, recurrent_activation sigmoid, recurrent_dropout 0, unroll False, "
        "use_bias True, GRU reset_after True, no mask on left-padded input)",
        "- kernel: the one in the traced graph on each measured device (`generic`: Keras's own "
        "step loop); on a GPU, Keras turns XLA off for a model that runs cuDNN", ""])


__all__ = ["cudnn_section", "flops_section", "inference_section", "memory_section"]
