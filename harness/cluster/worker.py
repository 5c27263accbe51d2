"""The worker side of :mod:`harness.cluster`: each Dask worker trains in a training process of
its own and sends the run file back after every epoch."""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

from ..tasks import Outcome, execute, process_models
from .messages import TOPIC, WorkerTask

# --- on a worker ------------------------------------------------------------------------------
#
# A worker trains in a child process of its own, never in its own threads: Keras draws the
# seeds of a model's initial weights from Python's global random generator, and the worker's
# event loop draws from the same generator (retry jitter, heartbeats), so a run trained in the
# worker process itself differed from the same seed trained here (measured: seeds 1 and 2 of
# the tests' tiny spec). The child is spawned once per worker and kept: it keeps its compiled
# models across the tasks it runs, as a --jobs worker does, and exits when the worker dies.

_CHILD: Any = None  # this worker's training process: a spawned pool of one


def _child_pool(threads: int | None) -> Any:
    global _CHILD
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    if _CHILD is None:
        # A nanny starts its worker as a daemonic process, and multiprocessing refuses children
        # to those (Dask's own switch is distributed.worker.daemon); this child stops itself
        # when the worker is gone (_exit_with), which is what the rule is for.
        multiprocessing.current_process().daemon = False
        _CHILD = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"),
                                     initializer=_start_child, initargs=(threads, os.getpid()))
    return _CHILD


def _submit_to_child(threads: int | None, function: Any, *args: Any) -> Any:
    """Submit to the training process, starting a new one if the last one died."""
    global _CHILD
    from concurrent.futures.process import BrokenProcessPool

    try:
        return _child_pool(threads).submit(function, *args)
    except BrokenProcessPool:
        _CHILD = None
        return _child_pool(threads).submit(function, *args)


def _start_child(threads: int | None, parent: int) -> None:
    from ..tfsetup import configure

    configure(threads)  # before TensorFlow is imported (by the first task or the check)
    threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()


def _exit_with(parent: int) -> None:
    """A worker killed with SIGKILL cannot stop its child: the child stops itself."""
    import time

    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


def _child_versions() -> dict[str, Any]:
    from ..results import harness_version
    from ..tfsetup import import_quietly

    import_quietly()
    import tensorflow as tf

    return {"harness": harness_version(), "tensorflow": tf.__version__}


def prepare_worker(sharing: dict[str, int], dask_worker: Any = None) -> dict[str, Any]:
    """Run on each worker before any task (``Client.run``): start its training process with
    this worker's share of its machine's cores as TensorFlow threads, and import TensorFlow
    there. Returns the versions and the threads."""
    from ..tfsetup import cores

    threads = max(1, cores() // max(1, sharing.get(dask_worker.address, 1)))
    versions = _submit_to_child(threads, _child_versions).result()
    return {**versions, "threads": threads}


def run_on_worker(payload: WorkerTask) -> Outcome:
    """Run one task on this worker (the function the client submits): in the worker's
    training process, in a scratch folder that is removed after; the run file is sent back to
    the client each time the run rewrites it (after every epoch)."""
    import distributed

    worker = distributed.get_worker()
    threads = payload.threads.get(worker.address, min(payload.threads.values(), default=1))
    scratch = tempfile.mkdtemp(prefix="harness-task-")
    try:
        future = _submit_to_child(threads, _run_in_child, payload, scratch)
        sent: dict[Path, float] = {}
        while True:
            try:
                outcome = future.result(timeout=0.5)
            except TimeoutError:
                outcome = None
            _send_new_run_files(worker, payload, Path(scratch), sent)
            if outcome is not None:
                break
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    # The lines name the scratch folder; the client writes the same files under its --out.
    outcome.log = outcome.log.replace(scratch, str(payload.task.options.out))
    return outcome


def _send_new_run_files(worker: Any, payload: WorkerTask, scratch: Path,
                        sent: dict[Path, float]) -> None:
    import json

    for path in scratch.glob("*/runs/*.json"):
        try:
            mtime = path.stat().st_mtime
            if sent.get(path) == mtime:
                continue
            doc = json.loads(path.read_text())  # written atomically: whole or not yet
        except (OSError, ValueError):
            continue
        sent[path] = mtime
        worker.log_event(TOPIC, {"key": payload.key, "label": payload.task.label(),
                                 "worker": worker.address, "run": doc})


def _run_in_child(payload: WorkerTask, scratch: str) -> Outcome:
    from ..results import PROJECT_ROOT
    from ..tfsetup import import_quietly

    import_quietly()
    for name, value in payload.environ.items():  # the client's settings; this process is ours
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    os.environ["HARNESS_DB"] = "off"  # the client records what comes back
    PROJECT_ROOT.set(payload.project_root)
    task = dataclasses.replace(payload.task, options=dataclasses.replace(
        payload.task.options, out=scratch))
    return execute(task, process_models())


