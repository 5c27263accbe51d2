"""A ``harness bench`` document (:class:`BenchResult`): :mod:`harness.bench` writes it,
:mod:`harness.bench.report` and the history store read it.
"""

from __future__ import annotations

from typing import Any

from .document import Document, Number
from .run import BandVerdict, Environment


class BenchSettings(Document):
    """The options a bench ran with (:class:`harness.bench.BenchOptions`) and its targets."""

    devices: list[str] = []
    modes: list[str] = []
    train_samples: int | None = None
    full_epochs: bool | None = None
    rounds: int | None = None
    timed_epochs: int | None = None
    latency_batch_sizes: list[int] = [1, 128]
    latency_repeats: int | None = None
    overhead_target: Number | None = None
    speedup_target: Number | None = None
    benchmark_json: str | None = None


class BenchDevice(Document):
    """A requested device: measured (``ok``) or ``skipped`` with the reason."""

    device: str | None = None
    tf_device: str | None = None
    status: str | None = None
    reason: str | None = None
    detail: str | None = None


class BenchMachine(Document):
    """The machine's load and float32 matrix-multiply rates; per measured device also
    ``tf_<device>_matmul_n`` and ``tf_<device>_gflops`` (read with :meth:`tf_gflops`)."""

    load_average_start: Number | None = None
    matmul_n: int | None = None
    numpy_cpu_gflops: Number | None = None
    load_average_end: Number | None = None

    def tf_gflops(self, device: str) -> Number | None:
        """tf.matmul's rate on ``device`` (GFLOP/s), None when not measured."""
        value = getattr(self, f"tf_{device}_gflops", None)
        return value if isinstance(value, int | float) else None

    def tf_matmul_n(self, device: str) -> int | None:
        """The matrix size of tf.matmul's rate on ``device``."""
        value = getattr(self, f"tf_{device}_matmul_n", None)
        return value if isinstance(value, int) else None


class PublishedFigure(Document):
    metric: str | None = None
    value: Number | None = None
    source: str | None = None


class FullRunSummary(Document):
    """The committed full run of a spec, as a bench copies its figures
    (:func:`harness.bench.full_run_summary`)."""

    path: str | None = None
    run_id: str | None = None
    created_utc: str | None = None
    finished_utc: str | None = None
    mode: str | None = None
    epochs_done: int | None = None
    status: str | None = None
    best_val_acc: Number | None = None
    test_acc: Number | None = None
    median_epoch_time_s: Number | None = None
    band: BandVerdict | None = None
    published: PublishedFigure | None = None
    same_spec_hash: bool | None = True


class BenchData(Document):
    source: str | None = None
    checksum: str | None = None
    x_train_shape: list[int | None] | None = None


class BenchSpec(Document):
    """A spec of a bench: benched (``ok``) or ``skipped`` with the reason."""

    name: str | None = None
    path: str | None = None
    hash: str | None = None
    status: str | None = None
    reason: str | None = None
    reference_seconds_per_epoch: Number | None = None
    reference_samples: int | None = None
    reference_source: str | None = None
    full_run: FullRunSummary | None = None
    data: BenchData | None = None


class TrainFigures(Document):
    """The harness's training in one mode: samples, epoch times (s), throughput (samples/s)."""

    train_samples: int | None = None
    val_samples: int | None = None
    batch_size: int | None = None
    rounds: int | None = None
    timed_epochs: int | None = None
    setup_time_s: Number | None = None
    first_epoch_time_s: Number | None = None
    epoch_time_s: list[Number] = []
    median_epoch_time_s: Number | None = None
    throughput_samples_per_s: Number | None = None


class InferenceFigures(Document):
    batch_size: int | None = None
    repeats: int | None = None
    latency_ms_p50: Number | None = None
    latency_ms_p95: Number | None = None
    throughput_samples_per_s: Number | None = None


class MemoryFigures(Document):
    host_peak_rss_bytes: int | None = None
    host_rss_before_bytes: int | None = None
    host_peak_scope: str | None = None
    device_peak_bytes: int | None = None


class CudnnRow(Document):
    layer: str | None = None
    type: str | None = None
    eligible: bool | None = None
    reasons: list[str] = []
    kernel: str | None = None


class FlopsLayer(Document):
    name: str | None = None
    type: str | None = None
    formula: str | None = None
    forward_per_sample: int | None = None


class FlopsFigures(Document):
    forward_per_sample: int | None = None
    train_per_sample: int | None = None
    train_factor: Number | None = None
    layers: list[FlopsLayer] = []
    not_counted: list[Any] = []
    epoch: Number | None = None
    achieved_gflops: Number | None = None
    machine_gflops: Number | None = None
    utilization: Number | None = None


class BenchRecord(Document):
    """One spec x device x mode of a bench: measured (``ok``) or ``skipped`` with a reason."""

    spec: str | None = None
    spec_hash: str | None = None
    device: str | None = None
    tf_device: str | None = None
    mode: str | None = None
    status: str | None = None
    reason: str | None = None
    jit_compile: bool | None = None
    train: TrainFigures | None = None
    inference: list[InferenceFigures] = []
    memory: MemoryFigures | None = None
    cudnn: list[CudnnRow] = []
    generic_kernels_pinned: bool | None = None
    flops: FlopsFigures | None = None


class TrialRecord(Document):
    """One variant x mode's trial (:class:`harness.bench.Trial`)."""

    variant: str | None = None
    mode: str | None = None
    setup_s: Number | None = None
    first_epoch_s: Number | None = None
    timed_s: list[Number] = []
    timed_cpu_s: list[Number] = []
    epoch_time_s: list[Number] = []
    epoch_save_s: list[Number] = []
    jit_compile: bool | None = None


class OverheadRatios(Document):
    ratio_epochs: Number | None = None
    ratio_epochs_paired_median: Number | None = None
    ratio_epochs_cpu_time: Number | None = None
    ratio_in_fit: Number | None = None
    ratio_total: Number | None = None
    target: Number | None = None


class SpeedupRatios(Document):
    ratio: Number | None = None
    ratio_paired_median: Number | None = None
    target: Number | None = None


class BenchComparison(Document):
    """One spec on one device: the harness against the plain Keras script."""

    spec: str | None = None
    device: str | None = None
    trials: list[TrialRecord] = []
    plain_median_epoch_time_s: dict[str, Number | None] = {}
    plain_best_epoch_time_s: dict[str, Number | None] = {}
    plain_best_fit_time_per_epoch_s: dict[str, Number | None] = {}
    harness_best_fit_time_per_epoch_s: dict[str, Number | None] = {}
    overhead: dict[str, OverheadRatios] = {}
    speedup_xla_vs_plain_default: SpeedupRatios | None = None


class BenchResult(Document):
    """A ``harness bench`` results document (``"kind": "bench"``)."""

    schema_version: int | None = None
    kind: str | None = None
    harness_version: str | None = None
    created_utc: str | None = None
    settings: BenchSettings = BenchSettings()
    environment: Environment = Environment()
    devices: list[BenchDevice] = []
    machine: BenchMachine = BenchMachine()
    specs: list[BenchSpec] = []
    benchmarks: list[BenchRecord] = []
    comparisons: list[BenchComparison] = []
    elapsed_s: Number | None = None
    finished_utc: str | None = None


# What the bench's readers accept: a BenchResult, or a raw document validated on entry.
BenchLike = BenchResult | dict[str, Any]


__all__ = ["BenchComparison", "BenchData", "BenchDevice", "BenchLike", "BenchMachine",
           "BenchRecord", "BenchResult", "BenchSettings", "BenchSpec", "CudnnRow", "FlopsFigures",
           "FlopsLayer", "FullRunSummary", "InferenceFigures", "MemoryFigures", "OverheadRatios",
           "PublishedFigure", "SpeedupRatios", "TrainFigures", "TrialRecord"]
