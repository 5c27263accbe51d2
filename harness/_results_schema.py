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


class ResultsDocument(_Open):
    schema_version: int
    run_id: str = ""
    status: str = "complete"
    spec: SpecRef
    execution: dict = {}
    data: dict = {}
    architecture: Architecture
    history: dict[str, list[float]] = {}
    epoch_time_s: list[float] = []
    epochs_done: int = Field(default=0, ge=0)
    test: TestFigures | None = None
    band: BandVerdict | None = None
    reference: dict | None = None
    environment: dict = {}
