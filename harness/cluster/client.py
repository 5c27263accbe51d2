"""The client side of :mod:`harness.cluster`: connect, check the workers, submit the tasks,
keep what comes back as a local run is kept."""

from __future__ import annotations

import dataclasses
import os
import secrets
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from ..errors import HarnessError, UsageError, joined_lines
from ..tasks import Outcome, Task
from ..verbosity import QUIET, VERBOSITY_ENV, say
from .messages import TOPIC, WorkerTask

if TYPE_CHECKING:  # pragma: no cover
    from ..result_types import RunResult

CONNECT_TIMEOUT_S = 10.0
WORKERS_TIMEOUT_S = 30.0  # how long a scheduler without workers is waited on
DATA_ENV = ("HARNESS_IMDB_DATA", "HARNESS_JENA_DATA", "HARNESS_GLOVE", "HARNESS_DATA_DIR")


class ClusterError(HarnessError):
    """The cluster cannot run the tasks: no scheduler at the address, no workers, a worker
    without the harness or TensorFlow, or a worker that runs several tasks at once."""

    exit_code = 2


# --- on the client ----------------------------------------------------------------------------

def connect(address: str) -> Any:
    """A Dask client of the scheduler at ``address`` (``tcp://host:8786``).

    Raises:
        UsageError: Dask distributed is not installed, or ``address`` is not a scheduler's
            address (``tcp://HOST:PORT``).
        ClusterError: nothing answers at the address within :data:`CONNECT_TIMEOUT_S`.
    """
    try:
        import distributed
    except ImportError:
        raise UsageError(f"--cluster {address}: Dask distributed is not installed; "
                         "pip install 'keras-harness[cluster]'") from None
    check_address(address)
    try:
        return distributed.Client(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        reason = joined_lines(str(exc)) or type(exc).__name__
        raise ClusterError(
            f"--cluster {address}: no Dask scheduler answered within {CONNECT_TIMEOUT_S:.0f} s "
            f"({type(exc).__name__}: {reason}); start one with 'dask scheduler' and workers "
            f"with 'dask worker {address} --nthreads 1', or check the address") from None


def check_address(address: str) -> None:
    """Refuse what is not a scheduler's address before connecting: a client made for it fails
    only after its timeout, and its clean-up prints a traceback of its own.

    Raises:
        UsageError: no host and port, or a scheme Dask does not know (``http://``).
    """
    from distributed.comm import get_address_host_port, parse_address
    from distributed.comm.registry import get_backend

    try:
        get_backend(parse_address(address)[0])
        get_address_host_port(address)
    except ValueError as exc:
        raise UsageError(f"--cluster {address}: not a Dask scheduler address ({exc}); give the "
                         "one 'dask scheduler' prints, such as tcp://HOST:8786") from None


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
    from .worker import prepare_worker

    replies = client.run(prepare_worker, sharing, on_error="return")
    threads: dict[str, int] = {}
    for worker, reply in sorted(replies.items()):
        if isinstance(reply, BaseException):
            reason = joined_lines(str(reply))
            raise ClusterError(f"--cluster {address}: worker {worker} cannot train "
                               f"({type(reply).__name__}: {reason}); install keras-harness "
                               "(with TensorFlow) on every worker")
        threads[worker] = reply["threads"]
        from ..results import harness_version

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

    from ..pipeline import check_writable
    from ..runs import RUNS

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
        from ..result_types import RunResult

        run = RunResult.model_validate(doc)
        done, epochs = run.epochs_done, run.execution.epochs
        if done > before:  # the file is written again after the last epoch: said once
            say(f"{message['label']}: epoch {done}/{epochs} done on {message['worker']}",
                self.stream)

    def attempts(self, key: str) -> dict[str, tuple[str, dict[str, Any]]]:
        with self.lock:
            return dict(self.runs.get(key, {}))


def _submit(client: Any, tasks: Sequence[Task], threads: dict[str, int],
            stream: TextIO) -> list[RunResult]:
    from distributed import KilledWorker, as_completed

    from ..gitinfo import git_state
    from ..tasks import WorkerError

    git = git_state()
    commit = (git["commit"] + ("-dirty" if git["dirty"] else "")) if git["commit"] else None
    # The client's data settings, as paths every worker can open when it shares them, and its
    # -q/-v (None: unset there too, as a worker's training process serves many clients).
    environ: dict[str, str | None] = {
        name: os.path.abspath(value) if (value := os.environ.get(name)) else None
        for name in DATA_ENV}
    environ[VERBOSITY_ENV] = os.environ.get(VERBOSITY_ENV)
    payloads = [WorkerTask(_with_absolute_data(t), task_key(t), os.getcwd(), environ, threads)
                for t in tasks]
    progress = _Progress(stream)
    client.subscribe_topic(TOPIC, progress.heard)
    from .worker import run_on_worker

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
                reason = joined_lines(str(exc))
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
    from ..history.record import record
    from ..pipeline import write_run
    from ..report import write_report
    from ..runs import RUNS, publish

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
    from ..result_types import RunResult
    from ..results import utc_now

    results = RunResult.model_validate(doc)
    then = (f"run again from the start as run {retried.run_id}" if retried is not None
            else "the cluster gave up on it")
    results.status = "failed"
    results.stop_reason = (f"worker {worker} lost (it died or was killed) after epoch "
                           f"{results.epochs_done} of {results.execution.epochs}; {then}")
    results.checkpoint = None  # it was on the lost worker's disk
    results.finished_utc = utc_now()
    return results, keep_run(task, results, commit, branch)


def task_key(task: Task) -> str:
    """A unique Dask key for a task (the scheduler never mistakes two submissions for one)."""
    return f"harness-{task.spec.name}-seed{task.seed}-{secrets.token_hex(4)}"
