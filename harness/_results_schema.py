"""The fields of a results document that reports and the gate read, with their types.

Everything else in the document is free (``extra="allow"``): a results file may carry more than
this, never less or differently typed. Used by :func:`harness.results.check_results`.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class SpecRef(_Open):
    name: str
    path: str = ""
    hash: str = ""


class Architecture(_Open):
    layers: list[dict]
    totals: dict[str, int]
    expected_totals: dict[str, int | None] = {}


class TestFigures(_Open):
    loss: float | None = None
    acc: float | None = None
    samples: int | None = None


class BandVerdict(_Open):
    metric: str
    low: float
    high: float
    value: float | None = None
    verdict: str


class DataRecord(_Open):
    """The data a run trained on: where from (a project-relative path or a file name, never an
    absolute path: :func:`harness.results.recorded_path`), its sha256, the input's dtype."""

    source: str | None = None
    checksum: str | None = None
    x_dtype: str | None = None  # schema 2 on


class ResultsDocument(_Open):
    schema_version: int
    run_id: str = ""
    status: str = "complete"
    spec: SpecRef
    execution: dict = {}
    data: DataRecord = DataRecord()
    architecture: Architecture
    history: dict[str, list[float]] = {}
    epoch_time_s: list[float] = []
    epochs_done: int = Field(default=0, ge=0)
    test: TestFigures | None = None
    band: BandVerdict | None = None
    reference: dict | None = None
    environment: dict = {}


class BenchRecord(_Open):
    """One spec x device x mode of a bench: measured (``ok``) or ``skipped`` with a reason."""

    spec: str
    device: str
    mode: str
    status: str
    reason: str | None = None
    train: dict | None = None
    inference: list[dict] = []


class BenchDocument(_Open):
    """A ``harness bench`` results document (``"kind": "bench"``), read by the bench report."""

    schema_version: int
    kind: str
    settings: dict
    devices: list[dict]
    machine: dict = {}
    specs: list[dict]
    benchmarks: list[BenchRecord]
    comparisons: list[dict] = []
    environment: dict = {}
