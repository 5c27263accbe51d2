"""``harness bench``: training and inference speed, memory and FLOPs per spec x device x mode.

For every trained spec, device (``cpu``, ``gpu``) and execution mode (``default``: the Keras
default ``jit_compile="auto"``; ``xla``: ``jit_compile=True``; see
:data:`harness.train.EXECUTION_MODES`) the bench measures:

- training: each variant builds and compiles a model and trains one warm-up epoch (tracing and
  XLA compilation included; reported on its own as the first epoch time), then ``rounds`` rounds
  train ``timed_epochs`` more epochs of each variant in turn; seconds per epoch and throughput
  (training samples/s) are the median over those timed epochs, validation included. By default
  on a fixed slice of the real reviews (the first :data:`DEFAULT_TRAIN_SAMPLES`, split by the
  spec's validation_split), so the whole catalog takes minutes; ``train_samples=None`` uses all
  25,000;
- the variants: training through the harness, and the same training as a plain Keras script
  (``keras.Sequential`` of the spec's layers, ``compile``, ``fit``, no harness code), per mode;
  their rounds are interleaved (the order reversed every other round) so that both see the same
  machine load. Printed ratios, both per epoch inside ``fit`` (best rounds): harness overhead
  (harness epoch plus its saving after the epoch / plain epoch, same mode; target
  <= :data:`OVERHEAD_TARGET`) and the xla speed-up over the plain script with Keras defaults
  (target >= :data:`SPEEDUP_TARGET`);
- inference: latency per batch (ms, p50 and p95) of ``model.predict_on_batch`` at batch sizes
  :data:`LATENCY_BATCH_SIZES`, and throughput (samples/s);
- peak host memory (RSS, bytes) and on a GPU peak device memory (bytes,
  ``tf.config.experimental.get_memory_info``);
- for LSTM and GRU layers whether the cuDNN kernel is allowed (:mod:`harness.cudnn`) and which
  kernel the graph holds on the device;
- FLOPs per sample from the architecture (:mod:`harness.flops`) and the achieved GFLOP/s beside
  the device's own float32 matrix-multiply rate measured in the same run.

A requested device that is not present is recorded as skipped with the reason.

One timing engine: the epoch time is :meth:`HarnessTraining.clock`'s, the epoch inside ``fit``.
The pytest-benchmark tests (tests/bench) build their runners with :func:`training_runner` and
time their rounds with that clock, so their figures are this measurement, not whole ``fit``
calls (which add Keras's per-call set-up and tear-down: on a shared 2-core machine a call
sometimes ends 0.6 s or more after its epoch).
"""

from __future__ import annotations

import io
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from .checkpoint import Checkpointer
from .errors import MissingDataFile, TrainingError, UsageError
from .machine import (
    DEVICES,
    GPU_MATMUL_N,
    MATMUL_N,
    DeviceStatus,
    PeakMemory,
    device_statuses,
    gpu_visible,
    numpy_matmul_gflops,
    tf_matmul_gflops,
    timed_call,
)
from .result_types import (
    BenchComparison,
    BenchDevice,
    BenchMachine,
    BenchRecord,
    BenchResult,
    BenchSettings,
    BenchSpec,
    Environment,
    FullRunSummary,
    PublishedFigure,
)

if TYPE_CHECKING:  # pragma: no cover
    import keras

    from .data import Dataset as ImdbData
    from .spec import Spec

DEFAULT_TRAIN_SAMPLES = 2560  # 2,048 train + 512 validation at validation_split 0.2: whole batches
LATENCY_BATCH_SIZES = (1, 128)
OVERHEAD_TARGET = 1.03
SPEEDUP_TARGET = 1.5
BENCH_KIND = "bench"
# What a train-epoch figure is, as the pytest-benchmark tests record it (extra_info "clock"):
# the report compares only figures of this measurement.
EPOCH_CLOCK = "harness.bench HarnessTraining.clock: the epoch inside fit, validation included"


@dataclass(frozen=True)
class BenchOptions:
    """Options of ``harness bench``.

    Attributes:
        devices: ``cpu`` and/or ``gpu``.
        modes: execution modes, keys of :data:`harness.train.EXECUTION_MODES`.
        train_samples: the first N training reviews (train + validation); None: all 25,000.
        rounds: trials per spec x device x variant, interleaved.
        timed_epochs: epochs timed after the warm-up epoch in each trial.
        latency_repeats: timed ``predict_on_batch`` calls per batch size (after 3 warm-up calls).
        latency_batch_sizes: batch sizes of the latency measurement.
        matmul_n: size of the square float32 matrices whose product measures the machine rate.
        data: the Stanford archive or folder (None: $HARNESS_IMDB_DATA, then Keras's download).
        out: folder of ``results.json``, ``report.md`` and the chart.
        reports: folder of the committed full runs (``<reports>/<spec>/results.json``), read for
            the accuracy side of the speed-up target.
        benchmark_json: a pytest-benchmark JSON file to add to the report.
    """

    devices: tuple[str, ...] = ("cpu", "gpu")
    modes: tuple[str, ...] = ("default", "xla")
    train_samples: int | None = DEFAULT_TRAIN_SAMPLES
    rounds: int = 4
    timed_epochs: int = 1
    latency_repeats: int = 20
    latency_batch_sizes: tuple[int, ...] = LATENCY_BATCH_SIZES
    matmul_n: int = MATMUL_N
    data: str | None = None
    out: str = "reports/bench"
    reports: str = "reports"
    benchmark_json: str | None = None


# ---------------------------------------------------------------------------------------------
# Options


def _parse_list(text: str, option: str, what: str, known) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(p.strip().lower() for p in text.split(",") if p.strip()))
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        raise UsageError(f"{option}: unknown {what} {', '.join(unknown) or '(none)'}; "
                         f"use a comma-separated list of {', '.join(known)}")
    return names


def parse_devices(text: str) -> tuple[str, ...]:
    """``"cpu,gpu"`` -> ``("cpu", "gpu")``.

    Raises:
        UsageError: an unknown device name, or none given.
    """
    return _parse_list(text, "--devices", "device", DEVICES)


def parse_modes(text: str) -> tuple[str, ...]:
    """``"default,xla"`` -> ``("default", "xla")``.

    Raises:
        UsageError: an unknown execution mode, or none given.
    """
    from .train import EXECUTION_MODES

    return _parse_list(text, "--modes", "execution mode", EXECUTION_MODES)


def pin_generic_kernels(model: keras.Model) -> None:
    """Keep LSTM/GRU layers off cuDNN (``use_cudnn=False``) for a CPU run on a GPU machine.

    With a GPU visible, Keras puts the cuDNN op into the graph even under ``tf.device('/CPU:0')``
    and TensorFlow's soft placement then runs it on the GPU: the "CPU" figures would be partly
    GPU ones. Pinned, the layers run Keras's generic loop, as on a machine without a GPU, and may
    be compiled with XLA again.
    """
    for layer in model.layers:
        if type(layer).__name__ in ("LSTM", "GRU"):
            layer.use_cudnn = False
            layer.supports_jit = True


# ---------------------------------------------------------------------------------------------
# Training: through the harness, and as a plain Keras script


@dataclass
class Trial:
    """One variant's training of one model: set up once, warmed up, then timed in rounds.

    Attributes:
        variant: ``harness`` (build_model, compile_model, train_model) or ``plain`` (a plain
            Keras script).
        mode: execution mode.
        setup_s: build + compile wall time (s).
        first_epoch_s: wall time of the warm-up fit of one epoch (tracing/compilation included).
        timed_s: wall time of each round's fit of the timed epochs (s).
        timed_cpu_s: CPU time of this process (all threads) over each of those fits (s): less
            sensitive than wall time to other processes on a shared machine.
        epoch_time_s: every timed epoch (s), timed inside ``fit`` from the start to the end of
            the epoch (validation included): the harness's own per-epoch times; for the plain
            script, a stopwatch callback's (epoch hooks only, so Keras's batch-level dispatch
            is left as it is).
        epoch_save_s: the harness only: time (s) of its per-epoch saving (checkpoint and run
            file), which runs after its recorder has taken the epoch's time.
        jit_compile: what the model compiled with after Keras resolved it (``model.jit_compile``).
        model: the trained model (not in the results).
    """

    variant: str
    mode: str
    setup_s: float = 0.0
    first_epoch_s: float = 0.0
    timed_s: list[float] = field(default_factory=list)
    timed_cpu_s: list[float] = field(default_factory=list)
    epoch_time_s: list[float] = field(default_factory=list)
    epoch_save_s: list[float] = field(default_factory=list)
    jit_compile: bool = False
    model: Any = field(default=None, repr=False)

    @property
    def total_s(self) -> float:
        """Build, compile, the first epoch and every timed epoch (s)."""
        return self.setup_s + self.first_epoch_s + sum(self.timed_s)

    def as_dict(self) -> dict[str, Any]:
        return {"variant": self.variant, "mode": self.mode, "setup_s": self.setup_s,
                "first_epoch_s": self.first_epoch_s, "timed_s": self.timed_s,
                "timed_cpu_s": self.timed_cpu_s, "epoch_time_s": self.epoch_time_s,
                "epoch_save_s": self.epoch_save_s, "jit_compile": self.jit_compile}

    @property
    def epoch_with_saving_s(self) -> list[float]:
        """Each timed epoch with the harness's per-epoch saving after it (s)."""
        if not self.epoch_save_s:  # the plain script saves nothing
            return list(self.epoch_time_s)
        return [e + s for e, s in zip(self.epoch_time_s, self.epoch_save_s, strict=True)]


class HarnessTraining:
    """Training through the harness as ``harness run`` does it: ``build_model``,
    ``compile_model`` and ``train_model`` with its per-epoch recorder, NaN check and progress
    lines (printed to a buffer), and after every epoch the run file and, on the schedule of
    :class:`harness.checkpoint.Checkpointer`, a checkpoint (weights and optimizer state), written
    atomically (in a temporary folder)."""

    variant = "harness"

    def __init__(self, spec: Spec, data: ImdbData, mode: str, device: DeviceStatus,
                 pin_generic: bool = False):
        self.spec, self.data, self.device, self.pin = spec, data, device, pin_generic
        self.trial = Trial(self.variant, mode)
        self.sink = io.StringIO()
        self._folder = tempfile.TemporaryDirectory(prefix="harness-bench-")
        self._epochs_done = 0
        self._last_saves: list[float] = []
        # one checkpoint schedule across the warm-up and every round, as in one `harness run`
        self._checkpoints = Checkpointer(Path(self._folder.name), "bench")

    def setup(self) -> None:
        """Build, compile and train the warm-up epoch."""
        import keras
        import tensorflow as tf

        keras.utils.set_random_seed(self.spec.train.seed)
        with tf.device(self.device.tf_device):
            t0 = time.perf_counter()
            model = self.build()
            t1 = time.perf_counter()
            self._fit(model, 1)
            t2 = time.perf_counter()
        self.trial.model, self.trial.setup_s, self.trial.first_epoch_s = model, t1 - t0, t2 - t1
        self.trial.jit_compile = bool(model.jit_compile)

    def clock(self) -> float:
        """The bench's clock: seconds of timed epochs so far, each timed inside ``fit`` from
        the start to the end of the epoch (validation included), as :attr:`Trial.epoch_time_s`
        records them.

        It stands still outside those epochs (Keras's per-``fit`` set-up and tear-down, the
        harness's saving after each epoch), so ``clock() - before`` around :meth:`timed` is the
        epoch time ``harness bench`` reports. The pytest-benchmark tests (tests/bench) time
        their rounds with this clock, so their figures are the same measurement.
        """
        return float(sum(self.trial.epoch_time_s))

    def timed(self, epochs: int) -> float:
        """Train ``epochs`` more epochs; record and return their wall time (s), the whole
        ``fit`` call (:meth:`clock` counts only the epochs inside it)."""
        import tensorflow as tf

        with tf.device(self.device.tf_device):
            c0, t0 = time.process_time(), time.perf_counter()
            per_epoch = self._fit(self.trial.model, epochs)
            t1, c1 = time.perf_counter(), time.process_time()
        self.trial.timed_s.append(t1 - t0)
        self.trial.timed_cpu_s.append(c1 - c0)
        self.trial.epoch_time_s.extend(per_epoch)
        self.trial.epoch_save_s.extend(self._last_saves)
        return t1 - t0

    def build(self):
        """The compiled model of this variant and mode (untrained; kernels pinned when asked)."""
        from .build import build_model, compile_model
        from .train import EXECUTION_MODES

        model = build_model(self.spec)
        if self.pin:
            pin_generic_kernels(model)
        compile_model(model, self.spec, jit_compile=EXECUTION_MODES[self.trial.mode])
        return model

    def _fit(self, model, epochs: int) -> list[float]:
        from .results import SCHEMA_VERSION, write_json_atomic
        from .train import train_model

        folder = Path(self._folder.name)
        before = self._epochs_done

        def save_epoch(outcome) -> None:
            # as pipeline.run_spec's: a checkpoint when due, and the run file
            t0 = time.perf_counter()
            done = before + outcome.epochs_done

            def write_run(epoch: int | None) -> None:
                write_json_atomic(folder / "run.json", {
                    "schema_version": SCHEMA_VERSION, "status": "running",
                    "history": outcome.history, "epoch_time_s": outcome.epoch_time_s,
                    "epochs_done": done,
                    "checkpoint": None if epoch is None else {"epoch": epoch}})

            self._checkpoints.after_epoch(model, done, outcome.epoch_time_s[-1], write_run)
            saves.append(time.perf_counter() - t0)

        saves: list[float] = []
        outcome = train_model(model, self.spec, self.data, epochs=epochs,
                              on_epoch=save_epoch, stream=self.sink)
        if outcome.status != "complete":
            raise TrainingError(f"{self.spec.name}: bench training stopped: "
                                f"{outcome.stop_reason}")
        self._epochs_done += outcome.epochs_done
        self._last_saves = saves
        return list(outcome.epoch_time_s)


def training_runner(variant: str, spec: Spec, data: ImdbData, mode: str,
                    device: DeviceStatus) -> HarnessTraining:
    """The trial runner ``harness bench`` uses for one variant (``harness`` or ``plain``) and
    mode on a device; on the CPU of a machine with a GPU its LSTM/GRU layers are pinned to the
    generic kernels (:func:`pin_generic_kernels`). The pytest-benchmark tests use it too."""
    cls = HarnessTraining if variant == "harness" else PlainKerasTraining
    return cls(spec, data, mode, device, pin_generic=device.name == "cpu" and gpu_visible())


def _plain_layer(layer):
    """A layer as a plain script writes it: ``keras.layers.LSTM(32)``, a wrapper around its
    wrapped layer (``keras.layers.Bidirectional(keras.layers.LSTM(32))``)."""
    import keras

    config = layer.keras_config()
    if layer.layer is not None:
        config["layer"] = _plain_layer(layer.layer)
    return getattr(keras.layers, layer.type)(**config)


class PlainKerasTraining(HarnessTraining):
    """The same model, data and settings as a plain Keras script would write them:
    ``keras.Sequential`` of the spec's layers, ``compile`` with the spec's optimizer, loss and
    metrics, ``fit`` with its batch_size and validation_split, ``verbose=0``; no harness code."""

    variant = "plain"

    def build(self):
        import keras

        from .train import EXECUTION_MODES

        spec, train = self.spec, self.spec.train
        model = keras.Sequential(
            [keras.Input(shape=tuple(spec.model.input.shape), dtype=spec.model.input.dtype)]
            + [_plain_layer(layer) for layer in spec.model.layers]
        )
        if self.pin:
            pin_generic_kernels(model)
        optimizer = keras.optimizers.get(train.optimizer)
        if train.learning_rate is not None:
            optimizer.learning_rate = train.learning_rate
        model.compile(optimizer=optimizer, loss=train.loss, metrics=list(train.metrics),
                      jit_compile=EXECUTION_MODES[self.trial.mode])
        return model

    def _fit(self, model, epochs: int) -> list[float]:
        train = self.spec.train
        stopwatch = _stopwatch()
        model.fit(self.data.x_train, self.data.y_train, epochs=epochs,
                  batch_size=train.batch_size, validation_split=train.validation_split,
                  verbose=0, callbacks=[stopwatch])
        self._last_saves = []
        return stopwatch.epoch_time_s


def _stopwatch():
    """A callback that times epochs and nothing else (no batch hooks)."""
    import keras

    class Stopwatch(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.epoch_time_s: list[float] = []

        def on_epoch_begin(self, epoch, logs=None):
            self._t0 = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.epoch_time_s.append(time.perf_counter() - self._t0)

    return Stopwatch()


# ---------------------------------------------------------------------------------------------
# Inference


INFERENCE_WARMUP_CALLS = 3


def inference_batch(x, batch_size: int):
    """The first ``batch_size`` rows of ``x``: the batch whose latency is measured.

    Raises:
        UsageError: ``x`` has fewer rows.
    """
    batch = x[:batch_size]
    if len(batch) < batch_size:
        raise UsageError(f"inference at batch_size {batch_size} needs {batch_size} test samples, "
                         f"got {len(batch)}")
    return batch


def warm_up_inference(model: keras.Model, batch) -> None:
    """The untimed ``predict_on_batch`` calls before latency is timed (tracing; XLA compiles
    each batch shape once)."""
    for _ in range(INFERENCE_WARMUP_CALLS):
        model.predict_on_batch(batch)


def inference_latency(model: keras.Model, x, batch_size: int, repeats: int,
                      device: DeviceStatus) -> dict[str, Any]:
    """Latency of ``model.predict_on_batch`` on ``x[:batch_size]``.

    :data:`INFERENCE_WARMUP_CALLS` untimed calls first (:func:`warm_up_inference`), then
    ``repeats`` calls timed one by one.

    Returns:
        ``batch_size``, ``repeats``, ``latency_ms_p50``, ``latency_ms_p95`` (ms per batch) and
        ``throughput_samples_per_s`` (samples over the summed latencies).
    """
    import numpy as np
    import tensorflow as tf

    batch = inference_batch(x, batch_size)
    with tf.device(device.tf_device):
        warm_up_inference(model, batch)
        times = [timed_call(lambda: model.predict_on_batch(batch)) for _ in range(repeats)]
    ms = np.array(times) * 1e3
    return {"batch_size": batch_size, "repeats": repeats,
            "latency_ms_p50": float(np.percentile(ms, 50)),
            "latency_ms_p95": float(np.percentile(ms, 95)),
            "throughput_samples_per_s": batch_size * repeats / float(np.sum(times))}


# ---------------------------------------------------------------------------------------------
# One spec on one device


def _median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def _paired_ratio(num: list[float], den: list[float]) -> float | None:
    """Median over rounds of num/den, each pair measured next to each other."""
    return _median([a / b for a, b in zip(num, den, strict=False) if b])


def _round_means(trial: Trial, k: int) -> list[float]:
    """Mean epoch time (s) of each round (``k`` timed epochs a round)."""
    e = trial.epoch_time_s
    return [statistics.fmean(e[i:i + k]) for i in range(0, len(e), k)]


def bench_spec_on_device(spec: Spec, data: ImdbData, device: DeviceStatus,
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

    from .cudnn import cudnn_eligibility, kernel_in_use
    from .flops import model_flops

    keras.backend.clear_session()
    variants = [("plain", m) for m in options.modes] + [("harness", m) for m in options.modes]
    if "default" not in options.modes:
        variants.insert(0, ("plain", "default"))  # the baseline of the speed-up target
    runners: dict[tuple[str, str], HarnessTraining] = {}
    memory: dict[str, PeakMemory] = {}
    for variant, mode in variants:
        runner = runners[(variant, mode)] = training_runner(variant, spec, data, mode, device)
        with PeakMemory(device.name) as mem:
            runner.setup()
        if variant == "harness":
            _keep_peak(memory, mode, mem)
        print(f"  {device.name} {mode:7} {variant:7} build + compile "
              f"{runner.trial.setup_s:.2f} s, first epoch {runner.trial.first_epoch_s:.2f} s "
              f"(jit_compile={runner.trial.jit_compile})", file=stream, flush=True)
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

    flops = model_flops(spec)
    cudnn = cudnn_eligibility(spec)
    kernels: dict[str, str] = {}
    records = []
    for mode in options.modes:
        trial = runners[("harness", mode)].trial
        kernels = kernels or kernel_in_use(trial.model, spec, device.tf_device)
        with PeakMemory(device.name) as mem:
            inference = [inference_latency(trial.model, data.x_test, bs, options.latency_repeats,
                                           device) for bs in options.latency_batch_sizes]
        _keep_peak(memory, mode, mem)
        trial.model = None
        records.append({
            "spec": spec.name, "spec_hash": spec.content_hash(), "device": device.name,
            "tf_device": device.tf_device, "mode": mode, "status": "ok",
            "jit_compile": trial.jit_compile,
            "train": _training_figures(trial, spec, len(data.x_train), options),
            "inference": inference,
            "memory": {"host_peak_rss_bytes": memory[mode].host_peak_bytes,
                       "host_rss_before_bytes": memory[mode].host_before_bytes,
                       "host_peak_scope": memory[mode].host_scope,
                       "device_peak_bytes": memory[mode].device_peak_bytes},
            "cudnn": [{**c, "kernel": kernels.get(c["layer"])} for c in cudnn],
            "generic_kernels_pinned": runners[("harness", mode)].pin,
        })
        records[-1]["flops"] = _flops_figures(flops, records[-1]["train"], machine_gflops)
    trials = {key: runner.trial for key, runner in runners.items()}
    for trial in trials.values():
        trial.model = None
    comparison = _comparison(spec, device, trials, options)
    return ([BenchRecord.model_validate(r) for r in records],
            BenchComparison.model_validate(comparison))


def _training_figures(trial: Trial, spec: Spec, n: int, options: BenchOptions) -> dict[str, Any]:
    """Epoch times (s) and throughput (training samples/s) of the harness's trial."""
    val = int(n * spec.train.validation_split)
    median_epoch = _median(trial.epoch_time_s)
    return {
        "train_samples": n - val, "val_samples": val,
        "batch_size": spec.train.batch_size, "rounds": options.rounds,
        "timed_epochs": options.timed_epochs,
        "setup_time_s": trial.setup_s,
        "first_epoch_time_s": trial.first_epoch_s,
        "epoch_time_s": trial.epoch_time_s,
        "median_epoch_time_s": median_epoch,
        "throughput_samples_per_s": (n - val) / median_epoch if median_epoch else None,
    }


def _flops_figures(flops, train: dict[str, Any], machine_gflops: float | None) -> dict[str, Any]:
    """FLOPs per sample and of an epoch; achieved GFLOP/s and its share of the machine rate."""
    epoch = flops.epoch_flops(train["train_samples"], train["val_samples"])
    median = train["median_epoch_time_s"]
    achieved = epoch / median / 1e9 if median else None
    return {**flops.as_dict(), "epoch": epoch, "achieved_gflops": achieved,
            "machine_gflops": machine_gflops,
            "utilization": achieved / machine_gflops if achieved and machine_gflops else None}


def _comparison(spec: Spec, device: DeviceStatus, trials: dict[tuple[str, str], Trial],
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

    def best(values: list[float]) -> float | None:
        return min(values) if values else None

    comparison: dict[str, Any] = {
        "spec": spec.name, "device": device.name,
        "trials": [t.as_dict() for t in trials.values()],
        # epoch times inside fit (the harness's own; the plain script's stopwatch)
        "plain_median_epoch_time_s": {m: _median(trials[("plain", m)].epoch_time_s)
                                      for m in plain_modes},
        "plain_best_epoch_time_s": {m: best(trials[("plain", m)].epoch_time_s)
                                    for m in plain_modes},
        # wall time of whole fit calls, per epoch: a view that adds Keras's per-call set-up
        "plain_best_fit_time_per_epoch_s": {m: best(per_epoch(trials[("plain", m)]))
                                            for m in plain_modes},
        "harness_best_fit_time_per_epoch_s": {m: best(per_epoch(trials[("harness", m)]))
                                              for m in options.modes},
        "overhead": {}, "speedup_xla_vs_plain_default": None,
    }
    for m in options.modes:
        h, p = trials[("harness", m)], trials[("plain", m)]
        comparison["overhead"][m] = {
            "ratio_epochs": _ratio(best(h.timed_s), best(p.timed_s)),
            "ratio_epochs_paired_median": _paired_ratio(h.timed_s, p.timed_s),
            "ratio_epochs_cpu_time": _ratio(best(h.timed_cpu_s), best(p.timed_cpu_s)),
            # decides the target: per epoch inside fit plus the harness's saving after it, free
            # of Keras's fit set-up and tear-down, which vary by seconds from call to call
            "ratio_in_fit": _ratio(best(h.epoch_with_saving_s), best(p.epoch_time_s)),
            "ratio_total": _ratio(h.total_s, p.total_s),
            "target": OVERHEAD_TARGET}
    if "xla" in options.modes:
        plain, xla = trials[("plain", "default")], trials[("harness", "xla")]
        comparison["speedup_xla_vs_plain_default"] = {
            "ratio": _ratio(best(plain.epoch_time_s), best(xla.epoch_time_s)),
            "ratio_paired_median": _paired_ratio(_round_means(plain, k), _round_means(xla, k)),
            "target": SPEEDUP_TARGET}
    return comparison


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def _keep_peak(memory: dict[str, PeakMemory], mode: str, mem: PeakMemory) -> None:
    """Keep the highest peaks seen for a mode."""
    old = memory.get(mode)
    if old is None:
        memory[mode] = mem
        return
    for attr in ("host_peak_bytes", "device_peak_bytes"):
        values = [v for v in (getattr(old, attr), getattr(mem, attr)) if v is not None]
        setattr(old, attr, max(values) if values else None)


# ---------------------------------------------------------------------------------------------
# The whole bench


def load_bench_data(spec: Spec, data_path: str | None, train_samples: int | None,
                    test_samples: int = max(LATENCY_BATCH_SIZES)) -> ImdbData:
    """The spec's data, checked against the data contract as ``harness run`` checks it, then
    the first ``train_samples`` training reviews (None: all) and ``test_samples`` test reviews
    (for the latency batches), copied so that the full arrays can be freed.

    Raises:
        DataError: the data cannot be loaded or breaks the contract (:mod:`harness.contract`).
        UsageError: ``train_samples`` is more than the data has.
    """
    from dataclasses import replace

    import numpy as np

    from .contract import check_data
    from .data import load_data

    data = load_data(spec, data_path)
    check_data(spec, data)
    if data.generator:
        raise UsageError(f"{spec.path}: bench times training on arrays; data.dataset "
                         f"{data.dataset} makes batches from a generator, which it does not "
                         "time yet")
    if train_samples is not None and train_samples > len(data.x_train):
        raise UsageError(f"--train-samples {train_samples}: {data.source} has only "
                         f"{len(data.x_train):,} training reviews; pass at most "
                         f"{len(data.x_train)} or --full-epochs")
    data = data.head(train_samples, test_samples)
    return replace(data, x_train=np.ascontiguousarray(data.x_train),
                   y_train=np.ascontiguousarray(data.y_train),
                   x_test=np.ascontiguousarray(data.x_test),
                   y_test=np.ascontiguousarray(data.y_test))


def portable_path(path: str | os.PathLike) -> str:
    """A path as a results file records it: relative to the working directory (the project,
    for ``tox -e bench``) when it lies under it, else the file's name alone; never absolute."""
    path = Path(path)
    if not path.is_absolute():
        path = Path.cwd() / path
    path = Path(os.path.normpath(path))
    try:
        return path.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        try:
            return path.relative_to(Path.cwd()).as_posix()
        except ValueError:
            return path.name


def portable_source(source: str) -> str:
    """A data source (``archive:PATH``, ``folder:PATH``, ``file:PATH``) with its path made
    portable (:func:`portable_path`); the data's checksum, recorded beside it, names the data."""
    kind, sep, rest = source.partition(":")
    if sep and rest and (os.path.isabs(rest) or rest.startswith(".")):
        return f"{kind}:{portable_path(rest)}"
    return source


def published_figure(spec: Spec, metric: str | None) -> PublishedFigure | None:
    """The published value of a band metric (``best_val_acc``, ``test_acc``) from the spec's
    ``reference`` and where it is printed; None when the reference does not give it."""
    from .figures import figure, reference_run

    if spec.reference is None or not metric:
        return None
    value = figure(reference_run(spec.reference.model_dump()), metric)
    if value is None:
        return None
    return PublishedFigure(metric=metric, value=value, source=spec.reference.source)


def full_run_summary(spec: Spec, reports: str | os.PathLike) -> FullRunSummary | None:
    """Mode, accuracy, epoch time and band verdict of the committed full run
    ``<reports>/<spec>/results.json`` (None when there is none), with its path (relative) and
    when it ran, so that a report says which run each copied figure comes from: the accuracy
    side of the speed-up target."""
    from .errors import ResultsError
    from .report import summary_figures
    from .results import load_run

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


def _data_skip_reason(spec: Spec) -> str | None:
    """Why a spec's data cannot be benchmarked, or None: bench times epochs over arrays, and a
    generator source (jena_climate) makes its batches on the fly."""
    if spec.data is not None and spec.data.dataset == "jena_climate":
        return ("its data is windowed by a generator (jena_climate); bench times epochs over "
                "arrays only")
    return None


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
    from .bench_report import load_pytest_benchmark, write_bench_report
    from .pipeline import check_writable
    from .results import SCHEMA_VERSION, environment, harness_version, utc_now, write_json_atomic

    stream = stream or sys.stdout
    out = Path(options.out)
    check_writable(out)
    pytest_json = load_pytest_benchmark(options.benchmark_json) if options.benchmark_json else None
    started = time.perf_counter()
    devices = device_statuses(options.devices)
    print("measuring the machine's float32 matrix-multiply rate ...", file=stream, flush=True)
    n = options.matmul_n
    rates: dict[str, Any] = {"load_average_start": _load_average(), "matmul_n": n,
                             "numpy_cpu_gflops": numpy_matmul_gflops(n)}
    for dev in devices:
        size = n if dev.name == "cpu" else max(n, GPU_MATMUL_N)
        rates[f"tf_{dev.name}_matmul_n"] = size
        rates[f"tf_{dev.name}_gflops"] = tf_matmul_gflops(dev.tf_device, size) \
            if dev.available else None
    print("  " + ", ".join(f"{k} {v:.1f}" for k, v in rates.items()
                           if k.endswith("gflops") and v), file=stream, flush=True)
    machine = BenchMachine.model_validate(rates)

    results = BenchResult(
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
    for spec in specs:
        # built as a dict, then typed: its keys keep the order they were set in
        entry: dict[str, Any] = {"name": spec.name,
                                 "path": portable_path(spec.path) if spec.path else spec.path,
                                 "hash": spec.content_hash()}
        if not spec.trains:
            entry["status"] = "skipped"
            entry["reason"] = "architecture only (no train section)"
            results.specs.append(BenchSpec.model_validate(entry))
            print(f"== {spec.name}: skipped, {entry['reason']}", file=stream, flush=True)
            continue
        skip = _data_skip_reason(spec)
        if skip:
            entry["status"] = "skipped"
            entry["reason"] = skip
            results.specs.append(BenchSpec.model_validate(entry))
            print(f"== {spec.name}: skipped, {skip}", file=stream, flush=True)
            continue
        entry.update(status="ok",
                     reference_seconds_per_epoch=(spec.reference.epoch_seconds()
                                                  if spec.reference else None),
                     reference_samples=((spec.reference.train_samples or 0)
                                        + (spec.reference.val_samples or 0)
                                        if spec.reference else None) or None,
                     reference_source=spec.reference.source if spec.reference else None,
                     full_run=full_run_summary(spec, options.reports))
        try:
            data = load_bench_data(spec, options.data, options.train_samples,
                                   max(options.latency_batch_sizes))
        except MissingDataFile as exc:
            entry.update(status="skipped", reason=f"data not on this machine: {exc}")
            results.specs.append(BenchSpec.model_validate(entry))
            print(f"== {spec.name}: skipped, {entry['reason']}", file=stream, flush=True)
            continue
        entry["data"] = {"source": portable_source(data.source), "checksum": data.checksum,
                         "x_train_shape": list(data.x_train.shape)}
        results.specs.append(BenchSpec.model_validate(entry))
        print(f"== {spec.name}: {len(data.x_train)} training reviews "
              f"(batch_size {spec.train.batch_size}, validation_split "
              f"{spec.train.validation_split})", file=stream, flush=True)
        for dev in devices:
            if not dev.available:
                for mode in options.modes:
                    results.benchmarks.append(BenchRecord(
                        spec=spec.name, device=dev.name, mode=mode, status="skipped",
                        reason=dev.reason))
                print(f"  {dev.name}: skipped: {dev.reason}", file=stream, flush=True)
                continue
            rate = machine.numpy_cpu_gflops if dev.name == "cpu" \
                else machine.tf_gflops(dev.name)
            records, comparison = bench_spec_on_device(spec, data, dev, options, rate, stream)
            results.benchmarks.extend(records)
            results.comparisons.append(comparison)
            print_ratios(comparison, stream)
        del data
    results.elapsed_s = time.perf_counter() - started
    machine.load_average_end = _load_average()
    results.finished_utc = utc_now()
    document = results.to_json_dict()
    write_json_atomic(out / "results.json", document)
    from .history.record import record as record_history

    record_history(document, out / "results.json")
    report = write_bench_report(results, out, pytest_json)
    print(f"bench: {results.elapsed_s:.0f} s; results {out / 'results.json'}; report {report}",
          file=stream, flush=True)
    return document


def _load_average() -> float | None:
    """The 1-minute load average: how many processes wanted a CPU (None where unknown)."""
    try:
        return os.getloadavg()[0]
    except (OSError, AttributeError):
        return None


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


__all__ = ["EPOCH_CLOCK", "BenchOptions", "HarnessTraining", "PlainKerasTraining", "Trial",
           "bench_spec_on_device", "inference_batch", "inference_latency", "portable_path",
           "run_bench", "training_runner", "warm_up_inference"]
