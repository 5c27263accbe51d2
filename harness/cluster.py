"""Training runs on a Dask distributed cluster: ``--cluster ADDRESS`` of ``run``, ``gate --run``
and ``calibrate``.

Why Dask distributed (and not Ray): the tasks here are whole training runs, each an ordinary
Python call that returns a results document, which is what Dask's futures are; its scheduler and
workers are two commands (``dask scheduler``, ``dask worker ADDRESS --nthreads 1``) and one pure
Python package, its nanny restarts a worker that dies and the scheduler gives the lost task to
another worker (``distributed.scheduler.allowed-failures`` times), and a worker can stream events
back to the client. Ray serves the same purpose but brings a 240 MB wheel, its own object store
and dashboard processes, which on 2-core CI machines cost more than the trainings they run.

How a run goes:

* The client (this process) checks that every worker imports the harness and TensorFlow
  (:func:`prepare_worker`, which also sets each worker's TensorFlow threads to its share of its
  machine's cores) and runs one training at a time (``--nthreads 1``).
* Each task runs :func:`harness.pipeline.run_spec` in the worker's training process (a child of
  the worker, see below), in a scratch folder, with paths recorded relative to the client's
  project and the client's data settings (``HARNESS_IMDB_DATA``, ``HARNESS_JENA_DATA``,
  ``HARNESS_GLOVE``, ``HARNESS_DATA_DIR``: the data must be at the same path on every worker,
  or the worker's own copy is used). Each time the run rewrites its run file (after every
  epoch) the worker sends it back as an event.
* The returned document is written here exactly as a local run writes it: its run file, the
  spec's ``results.json``/``report.md`` (or the stopped run's report), the results store. The
  commit recorded is the client's (the code and specs submitted).
* A worker that dies (killed, out of memory, its machine gone) loses its task to another worker,
  which runs it again from the start with the same seed; the lost attempt is kept as a
  ``failed`` run with the epochs it finished. A task lost more often than the cluster allows is
  kept the same way and the others go on.
"""

from __future__ import annotations

import dataclasses
import os
import secrets
import shutil
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from .errors import HarnessError, UsageError
from .tasks import Outcome, Task, execute, process_models
from .verbosity import QUIET, say

if TYPE_CHECKING:  # pragma: no cover
    from .result_types import RunResult

TOPIC = "harness-run-progress"  # the event topic a worker sends run documents on
CONNECT_TIMEOUT_S = 10.0
WORKERS_TIMEOUT_S = 30.0  # how long a scheduler without workers is waited on
DATA_ENV = ("HARNESS_IMDB_DATA", "HARNESS_JENA_DATA", "HARNESS_GLOVE", "HARNESS_DATA_DIR")


class ClusterError(HarnessError):
    """The cluster cannot run the tasks: no scheduler at the address, no workers, a worker
    without the harness or TensorFlow, or a worker that runs several tasks at once."""

    exit_code = 2


@dataclass(frozen=True)
class WorkerTask:
    """A task as it travels to a worker, with what the worker needs to run it as the client
    would: the project paths are recorded against, the data settings, TensorFlow threads."""

    task: Task
    key: str
    project_root: str
    environ: dict[str, str]
    threads: dict[str, int]  # worker address -> TensorFlow intra-op threads


# --- on the client ----------------------------------------------------------------------------

def connect(address: str) -> Any:
    """A Dask client of the scheduler at ``address`` (``tcp://host:8786``).

    Raises:
        UsageError: Dask distributed is not installed.
        ClusterError: nothing answers at the address within :data:`CONNECT_TIMEOUT_S`.
    """
    try:
        import distributed
    except ImportError:
        raise UsageError(f"--cluster {address}: Dask distributed is not installed; "
                         "pip install 'keras-harness[cluster]'") from None
    from .errors import error_line

    try:
        return distributed.Client(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        reason = error_line(HarnessError(str(exc) or type(exc).__name__)).removeprefix("error: ")
        raise ClusterError(
            f"--cluster {address}: no Dask scheduler answered within {CONNECT_TIMEOUT_S:.0f} s "
            f"({type(exc).__name__}: {reason}); start one with 'dask scheduler' and workers "
            f"with 'dask worker {address} --nthreads 1', or check the address") from None


def check_workers(client: Any, address: str) -> dict[str, int]:
    """Check that the cluster can train, and prepare its workers.

    Every worker must run one task at a time and import the harness and TensorFlow; each gets
    ``cores / (workers on its machine)`` TensorFlow threads.

    Returns:
        Worker address -> its TensorFlow threads.

    Raises:
        ClusterError: no worker joined within :data:`WORKERS_TIMEOUT_S`, a worker with more
            than one thread, or a worker that cannot import the harness or TensorFlow.
    """
    try:
        client.wait_for_workers(1, timeout=WORKERS_TIMEOUT_S)
    except TimeoutError:
        raise ClusterError(f"--cluster {address}: the scheduler has no workers (waited "
                           f"{WORKERS_TIMEOUT_S:.0f} s); start them with 'dask worker {address} "
                           "--nthreads 1'") from None
    workers = client.scheduler_info(n_workers=-1)["workers"]
    busy = sorted(a for a, w in workers.items() if w.get("nthreads", 1) != 1)
    if busy:
        raise ClusterError(f"--cluster {address}: worker {busy[0]} runs "
                           f"{workers[busy[0]]['nthreads']} tasks at once; a worker trains one "
                           "model at a time: start workers with --nthreads 1 (and --nworkers N "
                           "for more per machine)")
    per_host: dict[str, int] = {}
    for info in workers.values():
        per_host[info.get("host", "")] = per_host.get(info.get("host", ""), 0) + 1
    sharing = {a: per_host[w.get("host", "")] for a, w in workers.items()}
    replies = client.run(prepare_worker, sharing, on_error="return")
    threads: dict[str, int] = {}
    for worker, reply in sorted(replies.items()):
        if isinstance(reply, BaseException):
            from .errors import error_line

            reason = error_line(HarnessError(str(reply) or "")).removeprefix("error: ")
            raise ClusterError(f"--cluster {address}: worker {worker} cannot train "
                               f"({type(reply).__name__}: {reason}); install keras-harness "
                               "(with TensorFlow) on every worker")
        threads[worker] = reply["threads"]
        from .results import harness_version

        if reply["harness"] != harness_version():
            say(f"warning: worker {worker} runs harness {reply['harness']}, this machine "
                f"{harness_version()}: its runs may differ from local ones", at=QUIET)
    return threads


def run_on_cluster(tasks: Sequence[Task], address: str,
                   stream: TextIO | None = None) -> list[RunResult]:
    """Run every task on the cluster at ``address``; keep each run here as a local run would
    (see the module's description) and return the results documents in task order.

    Raises:
        UsageError, ClusterError: see :func:`connect` and :func:`check_workers`; an output
            folder that cannot be written (before anything is submitted).
        WorkerError: the first task that stopped with an error (its run file is kept); the
            tasks not started yet are cancelled.
    """
    import sys

    from .pipeline import check_writable
    from .runs import RUNS

    stream = stream or sys.stdout
    for folder in sorted({Path(t.options.out) / t.spec.name for t in tasks}):
        check_writable(folder / RUNS)  # here, before any worker trains
    client = connect(address)
    try:
        threads = check_workers(client, address)
        say(f"running {len(tasks)} run(s) on the cluster at {address}, {len(threads)} "
            "worker(s)", stream)
        return _submit(client, tasks, threads, stream)
    finally:
        client.close()


@dataclass
class _Progress:
    """The run documents workers sent, per task key and run id (the lost attempts of a task
    have their own run ids)."""

    stream: TextIO
    runs: dict[str, dict[str, tuple[str, dict[str, Any]]]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def heard(self, event: tuple[float, dict[str, Any]]) -> None:
        message = event[1]
        doc = message["run"]
        with self.lock:
            attempts = self.runs.setdefault(message["key"], {})
            before = attempts.get(doc["run_id"], ("", {}))[1].get("epochs_done") or 0
            attempts[doc["run_id"]] = (message["worker"], doc)
        done, epochs = doc.get("epochs_done") or 0, (doc.get("execution") or {}).get("epochs")
        if done > before:  # the file is written again after the last epoch: said once
            say(f"{message['label']}: epoch {done}/{epochs} done on {message['worker']}",
                self.stream)

    def attempts(self, key: str) -> dict[str, tuple[str, dict[str, Any]]]:
        with self.lock:
            return dict(self.runs.get(key, {}))


def _submit(client: Any, tasks: Sequence[Task], threads: dict[str, int],
            stream: TextIO) -> list[RunResult]:
    from distributed import KilledWorker, as_completed

    from .gitinfo import git_state
    from .parallel import WorkerError

    git = git_state()
    commit = (git["commit"] + ("-dirty" if git["dirty"] else "")) if git["commit"] else None
    # The client's data settings, as paths every worker can open when it shares them.
    environ = {name: os.path.abspath(value) for name in DATA_ENV
               if (value := os.environ.get(name))}
    payloads = [WorkerTask(_with_absolute_data(t), task_key(t), os.getcwd(), environ, threads)
                for t in tasks]
    progress = _Progress(stream)
    client.subscribe_topic(TOPIC, progress.heard)
    futures = {client.submit(run_on_worker, p, key=p.key, pure=False): i
               for i, p in enumerate(payloads)}
    results: list[RunResult | None] = [None] * len(tasks)
    try:
        for future in as_completed(list(futures), loop=client.loop):
            i = futures[future]
            task, key = tasks[i], payloads[i].key
            try:
                outcome: Outcome | None = future.result()
            except KilledWorker:
                outcome = None  # lost with its worker more often than the cluster retries
            except Exception as exc:  # the task itself broke (its training process died)
                from .errors import error_line

                reason = error_line(HarnessError(str(exc))).removeprefix("error: ")
                outcome = Outcome(None, "", f"{task.label()}: failed on the cluster "
                                  f"({type(exc).__name__}: {reason})", 1)
            kept = None
            if outcome is not None and outcome.results is not None:
                kept = outcome.results
                keep_run(task, kept, commit, git["branch"])
            lost = [_keep_lost(task, worker, doc, kept, commit, git["branch"])
                    for run_id, (worker, doc) in progress.attempts(key).items()
                    if kept is None or run_id != kept.run_id]
            if outcome is None:
                say(f"{task.label()}: its worker was lost on every try (the cluster's "
                    "distributed.scheduler.allowed-failures); "
                    + (f"kept as failed, with the epochs it finished: {lost[-1][1]}" if lost
                       else "no epoch had finished"), stream, at=QUIET)
                results[i] = lost[-1][0] if lost else None
                continue
            print(outcome.log, end="", file=stream, flush=True)
            for _, path in lost:
                say(f"{task.label()}: a lost try is kept as failed in {path}", stream)
            if outcome.error is not None:
                raise WorkerError(outcome.error, outcome.exit_code)
            results[i] = outcome.results
    except BaseException:
        client.cancel(list(futures))
        raise
    finally:
        client.unsubscribe_topic(TOPIC)
    return [r for r in results if r is not None]


def _with_absolute_data(task: Task) -> Task:
    data = task.options.data
    if data is None or os.path.isabs(data):
        return task
    return dataclasses.replace(task, options=dataclasses.replace(
        task.options, data=os.path.abspath(data)))


def keep_run(task: Task, results: RunResult, commit: str | None, branch: str | None) -> Path:
    """Write a run that came back from a worker as a local run writes it: its run file, the
    spec's ``results.json`` and ``report.md`` when it completed (else the stopped run's report
    beside its run file), and the results store. Returns the run file."""
    from .history.record import record
    from .pipeline import write_run
    from .report import write_report
    from .runs import RUNS, publish

    results.environment.git_commit = commit  # the code and specs this machine submitted
    results.environment.git_branch = branch
    folder = Path(task.options.out) / task.spec.name
    run_file = folder / RUNS / f"{results.run_id}.json"
    write_run(run_file, results)
    if results.status == "complete":
        publish(folder, results)
    else:
        write_report(results, run_file.with_suffix(""))
    record(results.to_json_dict(), run_file)
    return run_file


def _keep_lost(task: Task, worker: str, doc: dict[str, Any], retried: RunResult | None,
               commit: str | None, branch: str | None) -> tuple[RunResult, Path]:
    """Keep a try whose worker died: ``failed``, with the epochs it had sent."""
    from .result_types import RunResult
    from .results import utc_now

    results = RunResult.model_validate(doc)
    then = (f"run again from the start as run {retried.run_id}" if retried is not None
            else "the cluster gave up on it")
    results.status = "failed"
    results.stop_reason = (f"worker {worker} lost (it died or was killed) after epoch "
                           f"{results.epochs_done} of {results.execution.epochs}; {then}")
    results.checkpoint = None  # it was on the lost worker's disk
    results.finished_utc = utc_now()
    return results, keep_run(task, results, commit, branch)


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
    from .tfsetup import configure

    configure(threads)  # before TensorFlow is imported (by the first task or the check)
    threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()


def _exit_with(parent: int) -> None:
    """A worker killed with SIGKILL cannot stop its child: the child stops itself."""
    import time

    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


def _child_versions() -> dict[str, Any]:
    from .results import harness_version
    from .tfsetup import import_quietly

    import_quietly()
    import tensorflow as tf

    return {"harness": harness_version(), "tensorflow": tf.__version__}


def prepare_worker(sharing: dict[str, int], dask_worker: Any = None) -> dict[str, Any]:
    """Run on each worker before any task (``Client.run``): start its training process with
    this worker's share of its machine's cores as TensorFlow threads, and import TensorFlow
    there. Returns the versions and the threads."""
    from .tfsetup import cores

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
    from .results import PROJECT_ROOT
    from .tfsetup import import_quietly

    import_quietly()
    os.environ.update(payload.environ)  # the client's data settings; this process is ours
    os.environ["HARNESS_DB"] = "off"  # the client records what comes back
    PROJECT_ROOT.set(payload.project_root)
    task = dataclasses.replace(payload.task, options=dataclasses.replace(
        payload.task.options, out=scratch))
    return execute(task, process_models())


def task_key(task: Task) -> str:
    """A unique Dask key for a task (the scheduler never mistakes two submissions for one)."""
    return f"harness-{task.spec.name}-seed{task.seed}-{secrets.token_hex(4)}"


__all__ = ["ClusterError", "WorkerTask", "check_workers", "connect", "prepare_worker",
           "run_on_cluster", "run_on_worker", "task_key"]
