"""The store's rows as typed values: a stored run (:class:`RunRow`), a spec's summary, and what
an import did. No database here: the store (:mod:`harness.history.store`) fills them, the
trends and the site (:mod:`.trend`, :mod:`.publish`) read them without SQLAlchemy.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RunRow:
    """One stored run (a bench row: one spec x device x mode of a bench; a gate row: one spec
    of a verdict), as :meth:`Store.runs` returns it.

    Attributes:
        value: the queried metric's value when :meth:`Store.runs` was given one, else None.
        metrics: every figure of the run, name -> value.
        created_utc: when the run started (timezone-aware, UTC).
    """

    run_id: str
    kind: str
    spec_name: str
    spec_hash: str | None
    schedule: str | None
    epochs: int | None
    batch_size: int | None
    train_samples: int | None
    test_samples: int | None
    validation_split: float | None
    schedule_key: str | None
    data_checksum: str | None
    git_commit: str | None
    git_branch: str | None
    git_dirty: bool | None
    machine: str | None
    host: str | None
    cpu_model: str | None
    cpu_cores: int | None
    gpus: str | None
    device: str | None
    mode: str | None
    deterministic: bool | None
    tensorflow: str | None
    keras: str | None
    harness_version: str | None
    created_utc: _dt.datetime
    status: str | None
    seed: int | None
    epochs_done: int | None
    source_path: str | None
    value: float | None = None
    metrics: dict[str, float] = field(default_factory=dict)

    @property
    def identity(self) -> tuple[str | None, str | None, str | None]:
        """What must be equal for accuracy figures to be compared (spec hash, schedule, data
        checksum), as :func:`harness.comparable.identity`."""
        return (self.spec_hash, self.schedule_key, self.data_checksum)

    @property
    def timing_identity(self) -> tuple[Any, ...]:
        """:attr:`identity` with the machine fingerprint, device and execution mode, as
        :func:`harness.comparable.timing_identity`."""
        return (*self.identity, self.machine, self.device, self.mode, self.deterministic)


# the columns of ``runs`` a RunRow holds, in its field order
ROW_COLUMNS = [name for name in RunRow.__dataclass_fields__ if name not in ("value", "metrics")]


@dataclass(frozen=True)
class SpecSummary:
    """A spec with stored runs: how many, the first and the last (UTC)."""

    name: str
    runs: int
    first_utc: _dt.datetime
    last_utc: _dt.datetime


@dataclass(frozen=True)
class FileProblem:
    """A file :meth:`Store.import_folder` did not record, and why (one line)."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass
class ImportSummary:
    """What :meth:`Store.import_folder` did, counted in files.

    Attributes:
        new: files recorded for the first time.
        updated: files whose run was stored at an earlier stage (fewer epochs, or still
            running) and now replaced.
        present: files already stored.
        skipped: ``results.json`` files that are not complete runs (nothing lost: their run
            files are imported).
        unreadable: files that are broken, of a newer schema or not results, with the reason.
    """

    new: int = 0
    updated: int = 0
    present: int = 0
    skipped: list[FileProblem] = field(default_factory=list)
    unreadable: list[FileProblem] = field(default_factory=list)

    @property
    def files(self) -> int:
        return self.new + self.updated + self.present + len(self.skipped) + len(self.unreadable)

    def __str__(self) -> str:
        parts = [f"{self.new} new", f"{self.present} already present"]
        if self.updated:
            parts.insert(1, f"{self.updated} updated")
        if self.skipped:
            parts.append(f"{len(self.skipped)} skipped")
        parts.append(f"{len(self.unreadable)} unreadable")
        return ", ".join(parts)


__all__ = ["ROW_COLUMNS", "FileProblem", "ImportSummary", "RunRow", "SpecSummary"]
