"""The whole bench: the machine's rates, every spec on every device, then ``results.json``,
the results history and the report."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from ..errors import MissingDataFile
from ..machine import (
    GPU_MATMUL_N,
    DeviceStatus,
    device_statuses,
    numpy_matmul_gflops,
    tf_matmul_gflops,
)
from ..result_types import (
    BenchDevice,
    BenchMachine,
    BenchRecord,
    BenchResult,
    BenchSettings,
    BenchSpec,
    Environment,
)
from .inputs import (
    data_skip_reason,
    full_run_summary,
    load_bench_data,
    train_arrays,
    train_section,
)
from .on_device import bench_spec_on_device, print_ratios
from .options import (
    BENCH_KIND,
    OVERHEAD_TARGET,
    SPEEDUP_TARGET,
    BenchOptions,
    portable_path,
    portable_source,
)

if TYPE_CHECKING:  # pragma: no cover
    from ..spec import Spec


def run_bench(specs: Sequence[Spec], options: BenchOptions,
              stream: TextIO | None = None) -> dict[str, Any]:
    """Bench every trained spec on every requested device and mode; write the results and report.

    Specs without a ``train`` section are listed as skipped. Writes ``<out>/results.json``,
    ``<out>/report.md`` and ``<out>/throughput.png`` atomically.

    Returns:
        The results document, as written to ``results.json`` (:meth:`BenchResult.to_json_dict`).

    Raises:
        HarnessError: a data or training problem, an unwritable output folder, a broken
            pytest-benchmark JSON file.
    """
    from ..history.record import record as record_history
    from ..pipeline import check_writable
    from ..results import utc_now, write_json_atomic
    from .report import load_pytest_benchmark, write_bench_report

    stream = stream or sys.stdout
    out = Path(options.out)
    check_writable(out)
    pytest_json = load_pytest_benchmark(options.benchmark_json) if options.benchmark_json else None
    started = time.perf_counter()
    devices = device_statuses(options.devices)
    machine = _machine_rates(devices, options.matmul_n, stream)
    results = _new_results(options, devices, machine)
    for spec in specs:
        _bench_spec(spec, devices, options, results, stream)
    results.elapsed_s = time.perf_counter() - started
    machine.load_average_end = _load_average()
    results.finished_utc = utc_now()
    document = results.to_json_dict()
    write_json_atomic(out / "results.json", document)
    record_history(document, out / "results.json")
    report = write_bench_report(results, out, pytest_json)
    print(f"bench: {results.elapsed_s:.0f} s; results {out / 'results.json'}; report {report}",
          file=stream, flush=True)
    return document


def _machine_rates(devices: list[DeviceStatus], n: int, stream: TextIO) -> BenchMachine:
    """The load average and the float32 matrix-multiply rate of NumPy and of TensorFlow on each
    available device (GFLOP/s); a GPU's matrices are at least :data:`GPU_MATMUL_N` wide."""
    print("measuring the machine's float32 matrix-multiply rate ...", file=stream, flush=True)
    rates: dict[str, Any] = {"load_average_start": _load_average(), "matmul_n": n,
                             "numpy_cpu_gflops": numpy_matmul_gflops(n)}
    for dev in devices:
        size = n if dev.name == "cpu" else max(n, GPU_MATMUL_N)
        rates[f"tf_{dev.name}_matmul_n"] = size
        rates[f"tf_{dev.name}_gflops"] = tf_matmul_gflops(dev.tf_device, size) \
            if dev.available else None
    print("  " + ", ".join(f"{k} {v:.1f}" for k, v in rates.items()
                           if k.endswith("gflops") and v), file=stream, flush=True)
    return BenchMachine.model_validate(rates)


def _new_results(options: BenchOptions, devices: list[DeviceStatus],
                 machine: BenchMachine) -> BenchResult:
    """The results document before any spec is benched: settings, environment, devices."""
    from ..results import SCHEMA_VERSION, environment, harness_version, utc_now

    return BenchResult(
        schema_version=SCHEMA_VERSION, kind=BENCH_KIND,
        harness_version=harness_version(), created_utc=utc_now(),
        settings=BenchSettings(
            devices=list(options.devices), modes=list(options.modes),
            train_samples=options.train_samples, full_epochs=options.train_samples is None,
            rounds=options.rounds, timed_epochs=options.timed_epochs,
            latency_batch_sizes=list(options.latency_batch_sizes),
            latency_repeats=options.latency_repeats,
            overhead_target=OVERHEAD_TARGET, speedup_target=SPEEDUP_TARGET,
            # so that `harness report` re-renders the report with it
            benchmark_json=(portable_path(options.benchmark_json)
                            if options.benchmark_json else None)),
        environment=Environment.model_validate(environment()),
        devices=[BenchDevice.model_validate(d.as_dict()) for d in devices],
        machine=machine,
        specs=[], benchmarks=[], comparisons=[],
    )


def _skipped(results: BenchResult, entry: dict[str, Any], reason: str, stream: TextIO) -> None:
    """List a spec as skipped, with the reason (printed too)."""
    entry["status"] = "skipped"
    entry["reason"] = reason
    results.specs.append(BenchSpec.model_validate(entry))
    print(f"== {entry['name']}: skipped, {reason}", file=stream, flush=True)


def _bench_spec(spec: Spec, devices: list[DeviceStatus], options: BenchOptions,
                results: BenchResult, stream: TextIO) -> None:
    """One spec on every device: its entry in ``results.specs``, then its records and
    comparisons (a device that is not there: a skipped record per mode)."""
    # built as a dict, then typed: its keys keep the order they were set in
    entry: dict[str, Any] = {"name": spec.name,
                             "path": portable_path(spec.path) if spec.path else spec.path,
                             "hash": spec.content_hash()}
    if not spec.trains:
        _skipped(results, entry, "architecture only (no train section)", stream)
        return
    skip = data_skip_reason(spec)
    if skip:
        _skipped(results, entry, skip, stream)
        return
    ref = spec.reference
    entry.update(status="ok",
                 reference_seconds_per_epoch=ref.epoch_seconds() if ref else None,
                 reference_samples=((ref.train_samples or 0) + (ref.val_samples or 0)
                                    if ref else None) or None,
                 reference_source=ref.source if ref else None,
                 full_run=full_run_summary(spec, options.reports))
    try:
        data = load_bench_data(spec, options.data, options.train_samples,
                               max(options.latency_batch_sizes))
    except MissingDataFile as exc:
        _skipped(results, entry, f"data not on this machine: {exc}", stream)
        return
    x_train, _ = train_arrays(data)
    entry["data"] = {"source": portable_source(data.source), "checksum": data.checksum,
                     "x_train_shape": list(x_train.shape)}
    results.specs.append(BenchSpec.model_validate(entry))
    train = train_section(spec)
    print(f"== {spec.name}: {len(x_train)} training reviews (batch_size {train.batch_size}, "
          f"validation_split {train.validation_split})", file=stream, flush=True)
    for dev in devices:
        if not dev.available:
            for mode in options.modes:
                results.benchmarks.append(BenchRecord(
                    spec=spec.name, device=dev.name, mode=mode, status="skipped",
                    reason=dev.reason))
            print(f"  {dev.name}: skipped: {dev.reason}", file=stream, flush=True)
            continue
        machine = results.machine
        rate = machine.numpy_cpu_gflops if dev.name == "cpu" else machine.tf_gflops(dev.name)
        records, comparison = bench_spec_on_device(spec, data, dev, options, rate, stream)
        results.benchmarks.extend(records)
        results.comparisons.append(comparison)
        print_ratios(comparison, stream)


def _load_average() -> float | None:
    """The 1-minute load average: how many processes wanted a CPU (None where unknown)."""
    try:
        return os.getloadavg()[0]
    except (OSError, AttributeError):
        return None


__all__ = ["run_bench"]
