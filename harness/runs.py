"""The run files of one reports folder: listing, resuming, and publishing the latest run.

Every ``harness run`` writes its own ``<out>/<spec name>/runs/<run id>.json``, so runs writing
one folder at once never share a file. The shared files, ``results.json`` and ``report.md`` (the
latest complete run, and a table of every run file), are written by :func:`publish` under
:func:`harness.results.folder_lock`.

Statuses of a run file: ``running`` (training, or its process died), ``complete``,
``interrupted`` (Ctrl-C or SIGTERM), ``failed`` (TensorFlow stopped training), ``nan_loss``.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ResultsError, UsageError
from .result_types import Resumed, RunLike, RunResult, as_run
from .results import folder_lock, load_run, utc_now, write_json_atomic
from .spec import Spec

RUNS = "runs"
RESUMABLE = ("interrupted", "failed")  # and "running" whose process is gone ("crashed")


@dataclass(frozen=True)
class RunFile:
    """One run file: its path and document (a raw document is read as a :class:`RunResult`),
    or why it cannot be read."""

    path: Path
    doc: RunResult | None
    problem: str | None = None

    def __post_init__(self) -> None:
        if self.doc is not None and not isinstance(self.doc, RunResult):
            object.__setattr__(self, "doc", as_run(self.doc))

    @property
    def state(self) -> str:
        """The status, with ``running`` split into ``running`` and ``crashed``."""
        if self.doc is None:
            return "unreadable"
        status = str(self.doc.status)
        if status == "running" and not process_alive(self.doc.process):
            return "crashed"
        return status


def this_process() -> dict[str, Any]:
    """Who writes a run file: checked by :func:`process_alive` before a run counts as crashed."""
    return {"pid": os.getpid(), "host": socket.gethostname()}


def process_alive(process: dict[str, Any] | None) -> bool:
    """Whether the process that wrote a run file still runs (unknown or another host: yes)."""
    if not process or process.get("host") != socket.gethostname() or os.name != "posix":
        return True  # os.kill(pid, 0) would end the process on Windows
    try:
        os.kill(int(process["pid"]), 0)
    except ProcessLookupError:
        return False
    except (OSError, ValueError, TypeError, KeyError):
        return True
    return True


def run_files(folder: Path) -> list[RunFile]:
    """Every run file in ``folder/runs``, oldest first (run ids start with their UTC time)."""
    found = []
    for path in sorted((folder / RUNS).glob("[!.]*.json")):
        try:
            found.append(RunFile(path, load_run(path)))
        except ResultsError as exc:
            found.append(RunFile(path, None, str(exc)))
    return found


def run_summaries(folder: Path, headline: tuple[str, bool] | None = None) -> list[dict[str, Any]]:
    """One row per run file for the report's "Runs in this folder" table.

    Args:
        headline: a figure and whether lower is better (``("best_val_loss", True)``, see
            :func:`harness.figures.headline`): each row's ``headline`` is that run's value.
    """
    from .figures import figure
    from .report import summary_figures

    rows: list[dict[str, Any]] = []
    for run in run_files(folder):
        if run.doc is None:
            rows.append({"run_id": run.path.stem, "status": "unreadable", "note": run.problem})
            continue
        doc = run.doc
        figures = summary_figures(doc)
        rows.append({
            "run_id": doc.run_id or run.path.stem,
            "status": run.state,
            "created_utc": doc.created_utc,
            "epochs_done": doc.epochs_done,
            "epochs": doc.execution.epochs,
            "best_val_acc": figures["best_val_acc"],
            "test_acc": figures["test_acc"],
            "headline": None if headline is None else figure(doc, *headline),
            "band": doc.band.verdict if doc.band is not None else None,
        })
    return rows


def publish(folder: Path, results: RunLike, *, results_json: bool = True) -> Path:
    """Make ``results`` the folder's latest run: ``results.json`` and ``report.md`` (with a table
    of every run file), written together under the folder lock. Returns the report's path."""
    from .figures import headline
    from .report import write_report

    results = as_run(results)
    with folder_lock(folder):
        if results_json:
            write_json_atomic(folder / "results.json", results.to_json_dict())
        runs = run_summaries(folder, headline(results)) if (folder / RUNS).is_dir() else None
        return write_report(results, folder, runs=runs)


def find_resumable(folder: Path, spec: Spec) -> tuple[Path, RunResult]:
    """The newest run of ``spec`` in ``folder`` that ``--resume`` can go on with.

    Resumable: ``interrupted``, ``failed``, or ``running`` whose process is gone (``crashed``:
    killed, out of memory, the machine went down). Its spec hash must be the spec's, and the
    checkpoint it names must exist.

    Raises:
        UsageError: no such run, the spec changed since, or its checkpoint is missing; the
            message says what to do.
    """
    from .checkpoint import checkpoint_path

    runs_folder = folder / RUNS
    runs = [r for r in run_files(folder) if r.doc is None or r.doc.spec.name == spec.name]
    candidates = [r for r in runs if r.state in (*RESUMABLE, "crashed")]
    if not candidates:
        counts: dict[str, int] = {}
        for r in runs:
            counts[r.state] = counts.get(r.state, 0) + 1
        seen = ", ".join(f"{n} {state}" for state, n in sorted(counts.items())) or "none"
        raise UsageError(f"{runs_folder}: no interrupted run of {spec.name} to resume (run "
                         f"files: {seen}); run without --resume to start a new one")
    run = candidates[-1]
    doc = run.doc
    assert doc is not None  # an unreadable file is never a candidate
    if doc.spec.hash != spec.content_hash():
        raise UsageError(
            f"{run.path}: run {doc.run_id} was made from another version of "
            f"{spec.path} (its model, data or train section changed since); run without "
            "--resume to start over"
        )
    checkpoint = doc.checkpoint
    if checkpoint is not None:
        path = checkpoint_path(runs_folder, str(doc.run_id), int(checkpoint.epoch or 0))
        if not path.is_file():
            raise UsageError(f"{path}: checkpoint of run {doc.run_id} (epoch "
                             f"{checkpoint.epoch}) is missing; run without --resume to "
                             "start over")
    elif doc.epochs_done:
        raise UsageError(f"{run.path}: run {doc.run_id} has no checkpoint (it was "
                         "made by an older harness); run without --resume to start over")
    return run.path, doc


def claim_run(folder: Path, run_file: Path) -> RunResult:
    """Mark a resumable run as ``running`` by this process, under the folder lock.

    A second ``--resume`` of the same run at the same time then finds it running and stops
    instead of training it twice.

    Returns:
        The run's document as it was before the claim (to :func:`release_run` it).

    Raises:
        UsageError: another process claimed it first.
    """
    with folder_lock(folder):
        doc = load_run(run_file)
        run = RunFile(run_file, doc)
        if run.state not in (*RESUMABLE, "crashed"):
            raise UsageError(f"{run_file}: run {doc.run_id} is {run.state} now "
                             "(another 'harness run --resume'?); nothing to resume")
        checkpoint = doc.checkpoint
        claimed = doc.model_copy(deep=True)
        claimed.resumed = [*doc.resumed, Resumed.model_validate({
            "from_status": run.state,
            "at_epoch": int(checkpoint.epoch or 0) if checkpoint is not None else 0,
            "utc": utc_now()})]
        claimed.status = "running"
        claimed.stop_reason = None
        claimed.process = this_process()
        write_json_atomic(run_file, claimed.to_json_dict())
    return doc


def release_run(run_file: Path, doc: RunResult) -> None:
    """Give back a claimed run that did not start training (its file as it was)."""
    write_json_atomic(run_file, doc.to_json_dict())
