"""The bench report's folded sections on training speed: the method, the targets in detail,
the training figures of every trial, and CPU against GPU."""

from __future__ import annotations

from ...formatting import cell, markdown_table
from ...result_types import BenchLike, TrainFigures
from .load import as_bench
from .lookups import (
    data_text,
    details,
    epoch,
    find,
    measured,
    measured_devices,
    spec_entry,
    spread,
    trained_specs,
    verdict,
)


def method_section(results: BenchLike) -> list[str]:
    """How the figures were measured: data, modes, variants, rounds, clocks, the machine's
    matrix-multiply rate and load (folded)."""
    results = as_bench(results)
    s = results.settings
    machine = results.machine
    n = machine.matmul_n
    rates = [f"NumPy {cell(machine.numpy_cpu_gflops, '{:.1f}')} GFLOP/s"]
    for dev in measured_devices(results):
        value = machine.tf_gflops(dev)
        size = machine.tf_matmul_n(dev) or n
        rates.append(f"tf.matmul on {dev} {cell(value, '{:.1f}')} GFLOP/s"
                     + (f" ({size}x{size})" if value and size != n else ""))
    load = [machine.load_average_start, machine.load_average_end]
    cores = results.environment.cpu.cores
    lines = [
        f"- data: {data_text(results)}",
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
    return details("Method", lines)


def targets_section(results: BenchLike) -> list[str]:
    """Every ratio behind the overhead and speed-up targets, each way it was taken (folded)."""
    results = as_bench(results)
    overhead_rows, speed_rows = [], []
    for comp in results.comparisons:
        spec, dev = comp.spec, comp.device
        for mode, o in comp.overhead.items():
            ratio = o.ratio_in_fit
            plain = comp.plain_best_epoch_time_s.get(mode)
            overhead_rows.append([
                spec, dev, mode, cell(plain, "{:.2f}"),
                cell(plain * ratio if plain is not None and ratio is not None else None, "{:.2f}"),
                cell(ratio, "{:.3f}"), cell(o.ratio_epochs, "{:.3f}"),
                cell(o.ratio_epochs_paired_median, "{:.3f}"),
                cell(o.ratio_epochs_cpu_time, "{:.3f}"),
                cell(o.ratio_total, "{:.3f}"), cell(spread(comp, mode), "{:.3f}"),
                f"<= {o.target:.2f}",
                verdict(None if ratio is None or o.target is None else ratio <= o.target),
            ])
        sp = comp.speedup_xla_vs_plain_default
        if sp:
            xla = find(results, spec, dev, "xla")
            speed_rows.append([
                spec, dev, cell(comp.plain_best_epoch_time_s.get("default"), "{:.2f}"),
                cell(min(xla.train.epoch_time_s) if xla and xla.train else None, "{:.2f}"),
                cell(sp.ratio, "{:.2f}"), cell(sp.ratio_paired_median, "{:.2f}"),
                f">= {sp.target:.1f}",
                verdict(None if sp.ratio is None or sp.target is None
                         else sp.ratio >= sp.target),
            ])
    body = [
        "The harness against the plain Keras script, trained in the same interleaved rounds. "
        "Each target is decided on the fastest round of each variant.",
        "",
        "### Harness overhead (harness / plain script, same mode)",
        "",
        markdown_table(overhead_rows, ["spec", "device", "mode", "plain: fastest epoch (s)",
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
        markdown_table(speed_rows, ["spec", "device", "plain, default: fastest epoch (s)",
                                    "harness, xla: fastest epoch (s)", "speed-up (x)",
                                    "paired median (x)", "target (x)", "met"])
        if speed_rows else "No `xla` trials ran.",
        "",
    ]
    return details("Targets in detail", body)


def training_section(results: BenchLike) -> list[str]:
    """Per trial: first and median epoch (s), their range, throughput (samples/s), beside the
    committed full run's and the book's epoch (folded)."""
    results = as_bench(results)
    rows = []
    for rec in measured(results):
        entry = spec_entry(results, rec.spec)
        t = rec.train or TrainFigures()
        full = entry.full_run
        epochs = t.epoch_time_s
        rows.append([
            rec.spec, rec.device, rec.mode, str(rec.jit_compile),
            cell(t.first_epoch_time_s, "{:.2f}"), cell(t.median_epoch_time_s, "{:.2f}"),
            f"{min(epochs):.2f}-{max(epochs):.2f}" if epochs else "-",
            cell(t.throughput_samples_per_s, "{:.0f}"),
            (f"{full.median_epoch_time_s:.1f} (`{full.mode}`)"
             if full and full.median_epoch_time_s and rec.device == "cpu" else "-"),
            cell(entry.reference_seconds_per_epoch, "{:.0f}"),
        ])
    full_epochs = results.settings.full_epochs
    body = [
        markdown_table(rows, ["spec", "device", "mode", "jit_compile", "first epoch (s)",
                              "epoch, median (s)", "epoch, range (s)", "throughput (samples/s)",
                              "committed full run: epoch (s)", "book: epoch (s)"])
        if rows else "No trials ran.",
        "",
        f"- epochs on {data_text(results, short=True)}"
        + ("" if full_epochs else " (not full epochs: see full/report.md for those)"),
        "- committed full run: another run, each spec's `reports/<spec>/results.json` named "
        "under the headline (its date there), median of its epochs after the first, in the "
        "mode shown, on the CPU it ran on",
        "- book: the published seconds per epoch (median), from each spec's reference (the "
        "notebook's printed log; the book's machine is not stated)",
        "",
    ]
    return details("Training", body)


def device_section(results: BenchLike) -> list[str]:
    """CPU against GPU epoch times per spec and mode (folded); nothing unless both ran."""
    results = as_bench(results)
    devices = measured_devices(results)
    if "cpu" not in devices or "gpu" not in devices:
        return []  # a device that was not measured is one line under the headline
    rows = []
    for entry in trained_specs(results):
        for mode in results.settings.modes:
            cpu_t = epoch(find(results, entry.name, "cpu", mode))
            gpu_t = epoch(find(results, entry.name, "gpu", mode))
            rows.append([entry.name, mode, cell(cpu_t, "{:.2f}"), cell(gpu_t, "{:.2f}"),
                         cell(cpu_t / gpu_t if cpu_t and gpu_t else None, "{:.2f}")])
    return details("CPU vs GPU", [
        markdown_table(rows, ["spec", "mode", "CPU: epoch (s)", "GPU: epoch (s)",
                              "GPU speed-up (x)"]), ""])


__all__ = ["device_section", "method_section", "targets_section", "training_section"]
