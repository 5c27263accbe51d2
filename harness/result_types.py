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


# What the readers of a run accept: a RunResult, or a raw document they validate on entry
# (``RunResult.of``), as tests and the store's rows hand them.
RunLike = RunResult | dict[str, Any]


def as_run(results: RunLike) -> RunResult:
    """``results`` as a :class:`RunResult` (validated when it is a raw document)."""
    return results if isinstance(results, RunResult) else RunResult.model_validate(results)


# ---------------------------------------------------------------------------------------------
# A bench


class BenchRecord(Document):
    """One spec x device x mode of a bench: measured (``ok``) or ``skipped`` with a reason."""

    spec: str | None = None
    device: str | None = None
    mode: str | None = None
    status: str | None = None
    reason: str | None = None
    train: dict[str, Any] | None = None
    inference: list[dict[str, Any]] = []


class BenchResult(Document):
    """A ``harness bench`` results document (``"kind": "bench"``)."""

    schema_version: int | None = None
    kind: str | None = None
    settings: dict[str, Any] = {}
    devices: list[dict[str, Any]] = []
    machine: dict[str, Any] = {}
    specs: list[dict[str, Any]] = []
    benchmarks: list[BenchRecord] = []
    comparisons: list[dict[str, Any]] = []
    environment: dict[str, Any] = {}


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


__all__ = ["Architecture", "BandVerdict", "BenchRecord", "BenchResult", "Checkpoint",
           "ContractRow", "Cpu", "DataRecord", "Document", "Environment", "Execution", "Gpu",
           "GroupVerdict", "LayerRow", "MetricVerdict", "ReferenceRecord", "Resumed",
           "RunFigures", "RunLike", "RunOptionsRecord", "RunResult", "Schedule", "SpecRef",
           "SummaryRecord", "TestFigures", "VerdictDocument", "as_run"]
