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

One module per job: :mod:`.options` (what to measure, targets, portable paths),
:mod:`.inputs` (the data slice and the committed full run), :mod:`.training` (the trial runners
and their clock), :mod:`.inference`, :mod:`.on_device` (one spec on one device: rounds and
ratios), :mod:`.run` (the whole bench, :func:`run_bench`) and :mod:`.report` (the Markdown
report and chart). Every public name is importable from ``harness.bench`` itself.
"""

from __future__ import annotations

from .inference import (
    INFERENCE_WARMUP_CALLS,
    inference_batch,
    inference_latency,
    warm_up_inference,
)
from .inputs import full_run_summary, load_bench_data, published_figure
from .on_device import bench_spec_on_device, print_ratios
from .options import (
    BENCH_KIND,
    DEFAULT_TRAIN_SAMPLES,
    EPOCH_CLOCK,
    LATENCY_BATCH_SIZES,
    OVERHEAD_TARGET,
    SPEEDUP_TARGET,
    BenchOptions,
    parse_devices,
    parse_modes,
    portable_path,
    portable_source,
)
from .run import run_bench
from .training import (
    HarnessTraining,
    PlainKerasTraining,
    TrainingRun,
    Trial,
    pin_generic_kernels,
    training_runner,
)

__all__ = ["BENCH_KIND", "DEFAULT_TRAIN_SAMPLES", "EPOCH_CLOCK", "INFERENCE_WARMUP_CALLS",
           "LATENCY_BATCH_SIZES", "OVERHEAD_TARGET", "SPEEDUP_TARGET", "BenchOptions",
           "HarnessTraining", "PlainKerasTraining", "Trial", "TrainingRun",
           "bench_spec_on_device", "full_run_summary", "inference_batch", "inference_latency",
           "load_bench_data", "parse_devices", "parse_modes", "pin_generic_kernels",
           "portable_path", "portable_source", "print_ratios", "published_figure", "run_bench",
           "training_runner", "warm_up_inference"]
