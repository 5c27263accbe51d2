"""The gate's verdict for scripts (``harness gate --json``): :class:`VerdictDocument`."""

from __future__ import annotations

from .document import Document


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


__all__ = ["GroupVerdict", "MetricVerdict", "SummaryRecord", "VerdictDocument"]
