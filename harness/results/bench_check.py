"""The check of a bench results document on load: the fields the bench report reads, with
their types.

Everything else in the document is free (``extra="allow"``): a bench file may carry more than
this, never less or differently typed. Used by :func:`harness.results.check_results`. A run's
results file is checked with :class:`harness.result_types.RunFileCheck` (the fields of
:class:`~harness.result_types.RunResult`, written down once there).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


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


__all__ = ["BenchDocument", "BenchRecord"]
