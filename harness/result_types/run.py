"""A run's results document (:class:`RunResult`) and its sections; :class:`RunFileCheck`, what
a run *file* must hold when it is loaded.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from .document import Document, Number


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


__all__ = ["Architecture", "BandVerdict", "Checkpoint", "ContractRow", "Cpu", "DataRecord",
           "Environment", "Execution", "Gpu", "LayerRow", "ReferenceRecord", "Resumed",
           "RunFigures", "RunFileCheck", "RunLike", "RunOptionsRecord", "RunResult", "Schedule",
           "SpecRef", "TestFigures", "as_run"]
