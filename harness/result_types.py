"""The typed shape of the results documents: a run's, a bench's and the gate's verdict.

A run file (``reports/<spec>/runs/<run id>.json``, a ``results.json``) is read into a
:class:`RunResult`, a ``harness bench`` document into a :class:`BenchResult`, and the gate's
``--json`` verdict is built as a :class:`VerdictDocument`; code reads and sets their attributes,
not dict keys. The JSON on disk is unchanged (:mod:`harness.results` writes it and upgrades an
older ``schema_version`` before validating):

- every model keeps fields it does not name (``extra="allow"``), so a document from an older or
  newer harness survives a round trip;
- a field a document lacks takes a default and is not written back (``exclude_unset``);
- a document is written back with its keys in the order it was read, fields set later after
  them (the order the pipeline builds a run file in), so load + write gives the same JSON.

The models are lenient on purpose: every field of a run has a default, so a figure can be read
off a partial document (a published reference in a run's layout, a test's hand-built run).
What a results *file* must hold is checked when it is loaded
(:func:`harness.results.check_results`). Nothing here imports TensorFlow.
"""

from __future__ import annotations

from typing import Any, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SerializerFunctionWrapHandler,
    ValidatorFunctionWrapHandler,
    model_serializer,
    model_validator,
)

# A number a document may hold as an int or a float; kept as written (0 stays 0, not 0.0).
Number = int | float


class Document(BaseModel):
    """A results document or one of its sections: extra fields kept, key order kept."""

    model_config = ConfigDict(extra="allow")

    _order: tuple[str, ...] = PrivateAttr(default=())

    @model_validator(mode="wrap")
    @classmethod
    def _remember_order(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        model = handler(data)
        if isinstance(data, dict) and isinstance(model, Document):
            model._order = tuple(data)
        return model

    @model_serializer(mode="wrap")
    def _in_read_order(self, handler: SerializerFunctionWrapHandler) -> Any:
        out = handler(self)
        if not self._order or not isinstance(out, dict):
            return out
        first = [k for k in self._order if k in out]
        return {k: out[k] for k in [*first, *(k for k in out if k not in self._order)]}

    @classmethod
    def of(cls, value: Any) -> Self:
        """``value`` as this model: itself when it is one, else validated (a raw dict)."""
        if isinstance(value, cls):
            return value
        return cls.model_validate(value if value is not None else {})

    def to_json_dict(self) -> dict[str, Any]:
        """The document as JSON-ready Python values (the fields it was read or built with)."""
        return self.model_dump(exclude_unset=True)

    def given(self, name: str, default: Any = None) -> Any:
        """The field ``name`` when the document holds it (even as null), else ``default``: for
        the few readers that tell an absent field from a null one."""
        return getattr(self, name, default) if name in self.model_fields_set else default


# ---------------------------------------------------------------------------------------------
# A run


class SpecRef(Document):
    """Which spec a run was made from: name, path (project-relative), hashes."""

    name: str | None = None
    path: str | None = None
    hash: str | None = None
    section_hashes: dict[str, str] = {}
    description: str | None = None
    source: str | None = None


class RunOptionsRecord(Document):
    """The options of ``harness run`` as the run recorded them (a resume reads them back)."""

    data: str | None = None
    mode: str | None = None
    epochs: int | None = None
    train_samples: int | None = None
    test_samples: int | None = None
    seed: int | None = None
    batch_size: int | None = None


class Schedule(Document):
    """The training schedule that identifies a result (``spec``, ``ci`` or ``custom``)."""

    name: str | None = None
    epochs: int | None = None
    batch_size: int | None = None
    train_samples: int | None = None
    test_samples: int | None = None
    validation_split: Number | None = None

    def identity(self) -> dict[str, Any]:
        """The schedule without its name, as the comparison of two results reads it."""
        found = self.to_json_dict()
        found.pop("name", None)
        return found


class Execution(Document):
    """How the run executed: mode, seed, determinism, the spec's training settings, device."""

    mode: str | None = None
    jit_compile: bool | str | None = None  # schema 0: "auto"
    seed: int | None = None
    deterministic: bool | None = None
    epochs: int | None = None
    batch_size: int | None = None
    validation_split: Number | None = None
    optimizer: Any = None
    loss: Any = None
    metrics: list[Any] = []
    device: str | None = None


class ContractRow(Document):
    check: str | None = None
    ok: bool | None = None
    problem: str | None = None


class DataRecord(Document):
    """The data a run trained on: where from (a project-relative path or a file name, never an
    absolute path: :func:`harness.results.recorded_path`), its sha256, shapes, sample counts,
    the preprocessing the report names, and the data contract's rows."""

    source: str | None = None
    checksum: str | None = None
    dataset: str | None = None
    validation: Any = None
    x_train_shape: list[int | None] | None = None
    x_test_shape: list[int | None] | None = None
    x_dtype: str | None = None  # schema 2 on
    test_samples: int | None = None
    train_samples: int | None = None
    val_samples: int | None = None
    num_words: int | None = None
    maxlen: int | None = None
    padding: str | None = None
    truncating: str | None = None
    reverse: bool | None = None
    naive_baseline_mae: float | None = None
    contract: list[ContractRow] | None = None
    pretrained: dict[str, Any] | None = None


class LayerRow(Document):
    """One layer of the verified architecture: expected and measured shape and parameters."""

    name: str | None = None
    type: str | None = None
    expected_output_shape: list[int | None] | None = None
    output_shape: list[int | None] | None = None
    expected_params: int | None = None
    params: int | None = None
    closed_form_params: int | None = None


class Architecture(Document):
    layers: list[LayerRow] = []
    totals: dict[str, int] = {}
    expected_totals: dict[str, int | None] = {}
    closed_form_totals: dict[str, int | None] | None = None


class Cpu(Document):
    model: str | None = None
    cores: int | None = None


class Gpu(Document):
    name: str | None = None
    compute_capability: Any = None
    memory_bytes: int | None = None
    driver: str | None = None


class Environment(Document):
    """Versions, CPU, GPUs and commit of a run (:func:`harness.results.environment`)."""

    python: str | None = None
    platform: str | None = None
    cpu: Cpu = Cpu()
    numpy: str | None = None
    harness: str | None = None
    git_commit: str | None = None
    git_branch: str | None = None
    tensorflow: str | None = None
    keras: str | None = None
    keras_backend: str | None = None
    cuda: str | None = None
    cudnn: str | None = None
    gpus: list[Gpu] = []


class ReferenceRecord(Document):
    """The spec's published reference as stored with a run (:class:`harness.spec.Reference`)."""

    source: str | None = None
    seconds_per_epoch: float | list[float] | None = None
    train_samples: int | None = None
    val_samples: int | None = None
    test_acc: float | None = None
    test: dict[str, float] = {}
    history: dict[str, list[float]] | None = None
    summary_matches: bool | None = None
    notes: str | None = None


class Checkpoint(Document):
    epoch: int | None = None


class TestFigures(Document):
    """The test evaluation: every evaluated metric (``loss``, ``acc``, ``mae``...), the number
    of samples and the wall time (s). Metrics beyond loss and acc are extra fields."""

    __test__ = False  # not a pytest test class

    loss: float | None = None
    acc: float | None = None
    samples: int | None = None
    time_s: float | None = None

    def items(self) -> dict[str, Any]:
        """Every entry in the document's order."""
        return self.to_json_dict()


class BandVerdict(Document):
    """A band checked against a run: the band's fields, the run's figure and the verdict."""

    metric: str | None = None
    low: float | None = None
    high: float | None = None
    direction: str | None = None
    value: float | None = None
    verdict: str | None = None


class Resumed(Document):
    at_epoch: int | None = None
    utc: str | None = None
    from_status: str | None = None


class RunFigures(Document):
    """What the figures of a run are read from: its per-epoch history and its test. A published
    reference is read in this layout (:func:`harness.figures.reference_run`)."""

    history: dict[str, list[float]] = {}
    test: TestFigures | None = None


class RunResult(RunFigures):
    """A run's results document (schema :data:`harness.results.SCHEMA_VERSION`)."""

    schema_version: int | None = None
    harness_version: str | None = None
    created_utc: str | None = None
    run_id: str | None = None
    spec: SpecRef = SpecRef()
    status: str | None = None
    stop_reason: str | None = None
    process: dict[str, Any] | None = None
    options: RunOptionsRecord | None = None
    schedule: Schedule = Schedule()
    execution: Execution = Execution()
    data: DataRecord = DataRecord()
    architecture: Architecture = Architecture()
    environment: Environment = Environment()
    reference: ReferenceRecord | None = None
    checkpoint: Checkpoint | None = None
    epoch_time_s: list[float] = []
    epochs_done: int = 0
    band: BandVerdict | None = None
    finished_utc: str | None = None
    resumed: list[Resumed] = []


# ---------------------------------------------------------------------------------------------
# What a run *file* must hold
#
# The models above take what a document has. A results file must also hold what the reports and
# the gate cannot do without (its schema_version, spec name, architecture; a band with its
# bounds and verdict), and no null where a value is read. The models below only tighten the
# fields above (their types come from there); :func:`harness.results.check_results` validates
# a file with :class:`RunFileCheck` before it is read as a :class:`RunResult`.


class _SpecRefInFile(SpecRef):
    name: str
    path: str = ""
    hash: str = ""


class _ArchitectureInFile(Architecture):
    layers: list[LayerRow]
    totals: dict[str, int]


class _BandInFile(BandVerdict):
    metric: str
    low: float
    high: float
    verdict: str


class RunFileCheck(RunResult):
    """The checks of a run's results file on load: :class:`RunResult` with its required
    fields required (errors name the field: ``spec.name: field required``)."""

    schema_version: int
    run_id: str = ""
    status: str = "complete"
    spec: _SpecRefInFile
    architecture: _ArchitectureInFile
    epochs_done: int = Field(default=0, ge=0)
    band: _BandInFile | None = None


# What the readers of a run accept: a RunResult, or a raw document they validate on entry
# (``RunResult.of``), as tests and the store's rows hand them.
RunLike = RunResult | dict[str, Any]


def as_run(results: RunLike) -> RunResult:
    """``results`` as a :class:`RunResult` (validated when it is a raw document)."""
    return results if isinstance(results, RunResult) else RunResult.model_validate(results)


# ---------------------------------------------------------------------------------------------
# A bench (harness.bench writes it, harness.bench_report and the history store read it)


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


# ---------------------------------------------------------------------------------------------
# The gate's verdict


class SummaryRecord(Document):
    n: int
    mean: float
    std: float | None = None


class MetricVerdict(Document):
    """One metric of a spec judged by the gate (:class:`harness.gate.Comparison`)."""

    current: SummaryRecord | None = None
    baseline: SummaryRecord | None = None
    change: float | None = None
    p: float | None = None
    test: str = ""
    alpha: float | None = None
    detectable: float | None = None
    min_effect: float | None = None
    gated: bool = False
    verdict: str = ""


class GroupVerdict(Document):
    """One spec judged by the gate."""

    spec: str
    path: str
    state: str
    failures: list[str] = []
    runs: int = 0
    baseline_runs: int = 0
    baseline_note: str | None = None
    environment: list[str] = []
    notes: list[str] = []
    references: list[str] = []
    metrics: dict[str, MetricVerdict] = {}


class VerdictDocument(Document):
    """The gate's verdict for scripts (``harness gate --json``)."""

    schema_version: int = 1
    state: str
    exit_code: int
    headline: str
    missing_baseline: list[str] = []
    groups: list[GroupVerdict] = []
    not_comparable: list[str] = []
    skipped: list[str] = []
    judged_against: list[str] = []


__all__ = ["Architecture", "BandVerdict", "BenchComparison", "BenchData", "BenchDevice",
           "BenchLike", "BenchMachine", "BenchRecord", "BenchResult", "BenchSettings",
           "BenchSpec", "Checkpoint", "CudnnRow", "FlopsFigures", "FlopsLayer", "FullRunSummary",
           "InferenceFigures", "MemoryFigures", "OverheadRatios", "PublishedFigure",
           "SpeedupRatios", "TrainFigures", "TrialRecord",
           "ContractRow", "Cpu", "DataRecord", "Document", "Environment", "Execution", "Gpu",
           "GroupVerdict", "LayerRow", "MetricVerdict", "ReferenceRecord", "Resumed",
           "RunFigures", "RunFileCheck", "RunLike", "RunOptionsRecord", "RunResult", "Schedule",
           "SpecRef",
           "SummaryRecord", "TestFigures", "VerdictDocument", "as_run"]
