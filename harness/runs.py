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
from .results import folder_lock, load_results, utc_now, write_json_atomic
from .spec import Spec

RUNS = "runs"
RESUMABLE = ("interrupted", "failed")  # and "running" whose process is gone ("crashed")


@dataclass(frozen=True)
class RunFile:
    """One run file: its path and document, or why it cannot be read."""

    path: Path
    doc: dict[str, Any] | None
    problem: str | None = None

    @property
    def state(self) -> str:
        """The status, with ``running`` split into ``running`` and ``crashed``."""
        if self.doc is None:
            return "unreadable"
        status = str(self.doc.get("status"))
        if status == "running" and not process_alive(self.doc.get("process")):
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
            found.append(RunFile(path, load_results(path)))
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

    rows = []
    for run in run_files(folder):
        if run.doc is None:
            rows.append({"run_id": run.path.stem, "status": "unreadable", "note": run.problem})
            continue
        figures = summary_figures(run.doc)
        rows.append({
            "run_id": run.doc.get("run_id") or run.path.stem,
            "status": run.state,
            "created_utc": run.doc.get("created_utc"),
            "epochs_done": run.doc.get("epochs_done", 0),
            "epochs": (run.doc.get("execution") or {}).get("epochs"),
            "best_val_acc": figures["best_val_acc"],
            "test_acc": figures["test_acc"],
            "headline": None if headline is None else figure(run.doc, *headline),
            "band": (run.doc.get("band") or {}).get("verdict"),
        })
    return rows


def publish(folder: Path, results: dict[str, Any], *, results_json: bool = True) -> Path:
    """Make ``results`` the folder's latest run: ``results.json`` and ``report.md`` (with a table
    of every run file), written together under the folder lock. Returns the report's path."""
    from .figures import headline
    from .report import write_report

    with folder_lock(folder):
        if results_json:
            write_json_atomic(folder / "results.json", results)
        runs = run_summaries(folder, headline(results)) if (folder / RUNS).is_dir() else None
        return write_report(results, folder, runs=runs)


def find_resumable(folder: Path, spec: Spec) -> tuple[Path, dict[str, Any]]:
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
    runs = [r for r in run_files(folder)
            if r.doc is None or r.doc.get("spec", {}).get("name") == spec.name]
    candidates = [r for r in runs if r.state in (*RESUMABLE, "crashed")]
    if not candidates:
        counts: dict[str, int] = {}
        for r in runs:
            counts[r.state] = counts.get(r.state, 0) + 1
        seen = ", ".join(f"{n} {state}" for state, n in sorted(counts.items())) or "none"
        raise UsageError(f"{runs_folder}: no interrupted run of {spec.name} to resume (run "
                         f"files: {seen}); run without --resume to start a new one")
    run = candidates[-1]
    doc = dict(run.doc)
    if doc["spec"].get("hash") != spec.content_hash():
        raise UsageError(
            f"{run.path}: run {doc.get('run_id')} was made from another version of "
            f"{spec.path} (its model, data or train section changed since); run without "
            "--resume to start over"
        )
    checkpoint = doc.get("checkpoint")
    if checkpoint:
        path = checkpoint_path(runs_folder, doc["run_id"], int(checkpoint["epoch"]))
        if not path.is_file():
            raise UsageError(f"{path}: checkpoint of run {doc['run_id']} (epoch "
                             f"{checkpoint['epoch']}) is missing; run without --resume to "
                             "start over")
    elif doc.get("epochs_done"):
        raise UsageError(f"{run.path}: run {doc.get('run_id')} has no checkpoint (it was "
                         "made by an older harness); run without --resume to start over")
    return run.path, doc


def claim_run(folder: Path, run_file: Path) -> dict[str, Any]:
    """Mark a resumable run as ``running`` by this process, under the folder lock.

    A second ``--resume`` of the same run at the same time then finds it running and stops
    instead of training it twice.

    Returns:
        The run's document as it was before the claim (to :func:`release_run` it).

    Raises:
        UsageError: another process claimed it first.
    """
    with folder_lock(folder):
        run = RunFile(run_file, load_results(run_file))
        if run.state not in (*RESUMABLE, "crashed"):
            raise UsageError(f"{run_file}: run {run.doc.get('run_id')} is {run.state} now "
                             "(another 'harness run --resume'?); nothing to resume")
        doc = dict(run.doc)
        checkpoint = doc.get("checkpoint")
        claimed = dict(doc)
        claimed["resumed"] = [*doc.get("resumed", []),
                              {"from_status": run.state,
                               "at_epoch": int(checkpoint["epoch"]) if checkpoint else 0,
                               "utc": utc_now()}]
        claimed.update(status="running", stop_reason=None, process=this_process())
        write_json_atomic(run_file, claimed)
    return doc


def release_run(run_file: Path, doc: dict[str, Any]) -> None:
    """Give back a claimed run that did not start training (its file as it was)."""
    write_json_atomic(run_file, doc)
