"""One spec on one device: every variant and mode trained in interleaved rounds, then inference,
memory, FLOPs and cuDNN per mode, and the ratios of the harness against the plain script."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

from ..machine import DeviceStatus, PeakMemory
from ..result_types import BenchComparison, BenchRecord
from .inference import inference_latency
from .inputs import latency_inputs, train_arrays, train_section
from .options import OVERHEAD_TARGET, SPEEDUP_TARGET, BenchOptions
from .training import TrainingRun, Trial, training_runner

if TYPE_CHECKING:  # pragma: no cover
    from ..data import Dataset
    from ..flops import ModelFlops
    from ..spec import Spec

Variant = tuple[str, str]  # (variant, mode): ("plain", "default"), ("harness", "xla")


def _median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def _paired_ratio(num: list[float], den: list[float]) -> float | None:
    """Median over rounds of num/den, each pair measured next to each other."""
    return _median([a / b for a, b in zip(num, den, strict=False) if b])


def _round_means(trial: Trial, k: int) -> list[float]:
    """Mean epoch time (s) of each round (``k`` timed epochs a round)."""
    e = trial.epoch_time_s
    return [statistics.fmean(e[i:i + k]) for i in range(0, len(e), k)]


def _keep_peak(memory: dict[str, PeakMemory], mode: str, mem: PeakMemory) -> None:
    """Keep the highest peaks seen for a mode."""
    old = memory.get(mode)
    if old is None:
        memory[mode] = mem
        return
    for attr in ("host_peak_bytes", "device_peak_bytes"):
        values = [v for v in (getattr(old, attr), getattr(mem, attr)) if v is not None]
        setattr(old, attr, max(values) if values else None)


def bench_spec_on_device(spec: Spec, data: Dataset, device: DeviceStatus,
                         options: BenchOptions, machine_gflops: float | None,
                         stream: TextIO) -> tuple[list[BenchRecord], BenchComparison]:
    """All modes of one spec on one device: records per mode, and the comparison ratios.

    Every variant (harness and plain script, per mode) builds, compiles and trains its warm-up
    epoch first; then ``rounds`` rounds time ``timed_epochs`` epochs of each variant in turn, the
    order reversed every other round, so that a drift in machine load favours no variant.

    Returns:
        ``(records, comparison)``: one record per mode (training, inference, memory, FLOPs,
        cuDNN), and ``{"overhead": {mode: ...}, "speedup_xla_vs_plain_default": ...}``.
    """
    import keras

    keras.backend.clear_session()
    variants = [("plain", m) for m in options.modes] + [("harness", m) for m in options.modes]
    if "default" not in options.modes:
        variants.insert(0, ("plain", "default"))  # the baseline of the speed-up target
    memory: dict[str, PeakMemory] = {}  # the harness's peaks per mode
    runners = _set_up(spec, data, device, variants, memory, stream)
    _timed_rounds(runners, variants, device, options, memory, stream)
    records = _mode_records(spec, data, device, options, runners, memory, machine_gflops)
    trials = {key: runner.trial for key, runner in runners.items()}
    for trial in trials.values():
        trial.model = None
    comparison = _comparison(spec, device, trials, options)
    return ([BenchRecord.model_validate(r) for r in records],
            BenchComparison.model_validate(comparison))


def _set_up(spec: Spec, data: Dataset, device: DeviceStatus, variants: list[Variant],
            memory: dict[str, PeakMemory], stream: TextIO) -> dict[Variant, TrainingRun]:
    """Build, compile and train the warm-up epoch of every variant, one after the other."""
    runners: dict[Variant, TrainingRun] = {}
    for variant, mode in variants:
        runner = runners[(variant, mode)] = training_runner(variant, spec, data, mode, device)
        with PeakMemory(device.name) as mem:
            runner.setup()
        if variant == "harness":
            _keep_peak(memory, mode, mem)
        print(f"  {device.name} {mode:7} {variant:7} build + compile "
              f"{runner.trial.setup_s:.2f} s, first epoch {runner.trial.first_epoch_s:.2f} s "
              f"(jit_compile={runner.trial.jit_compile})", file=stream, flush=True)
    return runners


def _timed_rounds(runners: dict[Variant, TrainingRun], variants: list[Variant],
                  device: DeviceStatus, options: BenchOptions, memory: dict[str, PeakMemory],
                  stream: TextIO) -> None:
    """``rounds`` rounds of ``timed_epochs`` epochs of each variant, the order reversed every
    other round."""
    for r in range(options.rounds):
        order = variants if r % 2 == 0 else variants[::-1]
        times = []
        for variant, mode in order:
            with PeakMemory(device.name) as mem:
                times.append(runners[(variant, mode)].timed(options.timed_epochs))
            if variant == "harness":
                _keep_peak(memory, mode, mem)
        print(f"  {device.name} round {r + 1}/{options.rounds}: "
              + ", ".join(f"{m} {v} {t:.2f} s" for (v, m), t in zip(order, times, strict=True)),
              file=stream, flush=True)


def _mode_records(spec: Spec, data: Dataset, device: DeviceStatus, options: BenchOptions,
                  runners: dict[Variant, TrainingRun], memory: dict[str, PeakMemory],
                  machine_gflops: float | None) -> list[dict[str, Any]]:
    """One record per mode of the harness's trained model: training figures, inference latency
    (which frees the model), memory peaks, cuDNN eligibility and kernel, FLOPs."""
    from ..cudnn import cudnn_eligibility, kernel_in_use
    from ..flops import model_flops

    flops = model_flops(spec)
    cudnn = cudnn_eligibility(spec)
    kernels: dict[str, str] = {}
    x_train, _ = train_arrays(data)
    records = []
    for mode in options.modes:
        trial = runners[("harness", mode)].trial
        kernels = kernels or kernel_in_use(trial.model, spec, device.tf_device)
        with PeakMemory(device.name) as mem:
            inference = [inference_latency(trial.model, latency_inputs(data), bs,
                                           options.latency_repeats, device)
                         for bs in options.latency_batch_sizes]
        _keep_peak(memory, mode, mem)
        trial.model = None
        train = _training_figures(trial, spec, len(x_train), options)
        records.append({
            "spec": spec.name, "spec_hash": spec.content_hash(), "device": device.name,
            "tf_device": device.tf_device, "mode": mode, "status": "ok",
            "jit_compile": trial.jit_compile,
            "train": train,
            "inference": inference,
            "memory": {"host_peak_rss_bytes": memory[mode].host_peak_bytes,
                       "host_rss_before_bytes": memory[mode].host_before_bytes,
                       "host_peak_scope": memory[mode].host_scope,
                       "device_peak_bytes": memory[mode].device_peak_bytes},
            "cudnn": [{**c, "kernel": kernels.get(c["layer"])} for c in cudnn],
            "generic_kernels_pinned": runners[("harness", mode)].pin,
            "flops": _flops_figures(flops, train, machine_gflops),
        })
    return records


def _training_figures(trial: Trial, spec: Spec, n: int, options: BenchOptions) -> dict[str, Any]:
    """Epoch times (s) and throughput (training samples/s) of the harness's trial."""
    train = train_section(spec)
    val = int(n * train.validation_split)
    median_epoch = _median(trial.epoch_time_s)
    return {
        "train_samples": n - val, "val_samples": val,
        "batch_size": train.batch_size, "rounds": options.rounds,
        "timed_epochs": options.timed_epochs,
        "setup_time_s": trial.setup_s,
        "first_epoch_time_s": trial.first_epoch_s,
        "epoch_time_s": trial.epoch_time_s,
        "median_epoch_time_s": median_epoch,
        "throughput_samples_per_s": (n - val) / median_epoch if median_epoch else None,
    }


def _flops_figures(flops: ModelFlops, train: dict[str, Any],
                   machine_gflops: float | None) -> dict[str, Any]:
    """FLOPs per sample and of an epoch; achieved GFLOP/s and its share of the machine rate."""
    epoch = flops.epoch_flops(train["train_samples"], train["val_samples"])
    median = train["median_epoch_time_s"]
    achieved = epoch / median / 1e9 if median else None
    return {**flops.as_dict(), "epoch": epoch, "achieved_gflops": achieved,
            "machine_gflops": machine_gflops,
            "utilization": achieved / machine_gflops if achieved and machine_gflops else None}


def _best(values: list[float]) -> float | None:
    """The fastest round: other processes on the machine can only add time."""
    return min(values) if values else None


def _comparison(spec: Spec, device: DeviceStatus, trials: dict[Variant, Trial],
                options: BenchOptions) -> dict[str, Any]:
    """The harness against the plain script: overhead per mode, and the xla speed-up.

    Each ratio is given two ways: of the best (fastest) round of each variant, the headline,
    since other processes on the machine can only add time, so the fastest round is the least
    disturbed one; and the median over rounds of the pairs measured next to each other.
    """
    k = options.timed_epochs
    plain_modes = [m for (v, m) in trials if v == "plain"]

    def per_epoch(trial: Trial) -> list[float]:
        return [t / k for t in trial.timed_s]

    comparison: dict[str, Any] = {
        "spec": spec.name, "device": device.name,
        "trials": [t.as_dict() for t in trials.values()],
        # epoch times inside fit (the harness's own; the plain script's stopwatch)
        "plain_median_epoch_time_s": {m: _median(trials[("plain", m)].epoch_time_s)
                                      for m in plain_modes},
        "plain_best_epoch_time_s": {m: _best(trials[("plain", m)].epoch_time_s)
                                    for m in plain_modes},
        # wall time of whole fit calls, per epoch: a view that adds Keras's per-call set-up
        "plain_best_fit_time_per_epoch_s": {m: _best(per_epoch(trials[("plain", m)]))
                                            for m in plain_modes},
        "harness_best_fit_time_per_epoch_s": {m: _best(per_epoch(trials[("harness", m)]))
                                              for m in options.modes},
        "overhead": {}, "speedup_xla_vs_plain_default": None,
    }
    for m in options.modes:
        h, p = trials[("harness", m)], trials[("plain", m)]
        comparison["overhead"][m] = {
            "ratio_epochs": _ratio(_best(h.timed_s), _best(p.timed_s)),
            "ratio_epochs_paired_median": _paired_ratio(h.timed_s, p.timed_s),
            "ratio_epochs_cpu_time": _ratio(_best(h.timed_cpu_s), _best(p.timed_cpu_s)),
            # decides the target: per epoch inside fit plus the harness's saving after it, free
            # of Keras's fit set-up and tear-down, which vary by seconds from call to call
            "ratio_in_fit": _ratio(_best(h.epoch_with_saving_s), _best(p.epoch_time_s)),
            "ratio_total": _ratio(h.total_s, p.total_s),
            "target": OVERHEAD_TARGET}
    if "xla" in options.modes:
        plain, xla = trials[("plain", "default")], trials[("harness", "xla")]
        comparison["speedup_xla_vs_plain_default"] = {
            "ratio": _ratio(_best(plain.epoch_time_s), _best(xla.epoch_time_s)),
            "ratio_paired_median": _paired_ratio(_round_means(plain, k), _round_means(xla, k)),
            "target": SPEEDUP_TARGET}
    return comparison


def print_ratios(comparison: BenchComparison | dict[str, Any], stream: TextIO) -> None:
    """Print the overhead and speed-up ratios of one spec on one device against their targets."""
    comparison = BenchComparison.of(comparison)
    name, dev = comparison.spec, comparison.device
    for mode, o in comparison.overhead.items():
        ratio, target = o.ratio_in_fit, o.target
        if ratio is None or target is None:
            continue
        verdict = "met" if ratio <= target else "NOT met"
        print(f"  {name} {dev}: harness overhead ({mode}): {ratio:.3f}x the plain Keras script "
              f"per epoch, saving included, best rounds (whole fit calls "
              f"{o.ratio_epochs:.3f}x, median of paired rounds "
              f"{o.ratio_epochs_paired_median:.3f}x, CPU time "
              f"{o.ratio_epochs_cpu_time:.3f}x, with build and first epoch "
              f"{o.ratio_total:.3f}x); target <= {target:.2f}x {verdict}",
              file=stream, flush=True)
    s = comparison.speedup_xla_vs_plain_default
    if s and s.ratio is not None and s.target is not None:
        verdict = "met" if s.ratio >= s.target else "NOT met"
        print(f"  {name} {dev}: xla speed-up over the plain Keras script (Keras defaults): "
              f"{s.ratio:.2f}x per epoch, best rounds (median of paired rounds "
              f"{s.ratio_paired_median:.2f}x); target >= {s.target:.1f}x {verdict}",
              file=stream, flush=True)


__all__ = ["bench_spec_on_device", "print_ratios"]
