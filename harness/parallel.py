"""Many training runs at once: ``--jobs N`` and ``--cluster ADDRESS`` of ``run``, ``gate --run``
and ``calibrate``.

An :class:`Engine` says where the runs go. By default a matrix of (spec, seed) tasks is shared
among ``N`` worker processes of the standard library's ``concurrent.futures.ProcessPoolExecutor``
(spawned, since TensorFlow does not survive a fork), each with ``cores / N`` TensorFlow threads,
so that small recurrent models, which keep two threads of one process only partly busy, fill the
cores. Each worker keeps its compiled models across the seeds it runs
(:class:`harness.build.CompiledModels`); with ``HARNESS_XLA_CACHE`` set, the workers share a
persistent XLA cache (:mod:`harness.tfsetup`, off by default: why is there). With ``N = 1`` the
tasks run in this process, one after the other. With a cluster address they go to the workers of
a Dask distributed cluster (:mod:`harness.cluster`).

Every run writes its own run file (atomic writes, under the folder lock of :mod:`harness.runs`),
exactly as a run in this process does; a seed is a seed wherever it runs.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

from .errors import UsageError
from .tasks import Outcome, Task, WorkerError, execute, prepare_process, process_models, run_task
from .verbosity import say

if TYPE_CHECKING:  # pragma: no cover
    from .result_types import RunResult


@dataclass(frozen=True)
class Engine:
    """Where training runs go.

    Attributes:
        jobs: local worker processes (None: one per core, no more than there are tasks; 1: this
            process, one run after the other).
        cluster: the address of a Dask distributed scheduler (``tcp://host:8786``); when given,
            ``jobs`` is not used.
    """

    jobs: int | None = None
    cluster: str | None = None

    def describe(self) -> str:
        """The option that chose this engine, as a report quotes it (``--jobs 2``)."""
        if self.cluster:
            return f"--cluster {self.cluster}"
        return f"--jobs {self.jobs}" if self.jobs else "--jobs one per core"


def default_jobs(tasks: int) -> int:
    """One process per core, no more than there are tasks."""
    from .tfsetup import cores

    return max(1, min(cores(), tasks))


def run_tasks(tasks: Sequence[Task], engine: Engine | int | None = None,
              stream: TextIO | None = None) -> list[RunResult]:
    """Run every task on ``engine`` (an int: that many local processes; None: one per core) and
    return their results documents in task order.

    A seed whose loss turns NaN is recorded (status ``nan_loss``) and the others go on, as does
    a run whose cluster worker was lost more often than the cluster retries it (recorded
    ``failed``, with the epochs it finished); any other error stops the remaining tasks and is
    raised once the running ones have ended (their run files are kept).

    Raises:
        UsageError: ``jobs`` below 1.
        ClusterError: the cluster cannot be reached or a worker cannot train
            (:mod:`harness.cluster`).
        HarnessError: the first error of a task (from a worker: :class:`WorkerError`, with the
            task's exit code).
    """
    stream = stream or sys.stdout
    if not isinstance(engine, Engine):
        engine = Engine(jobs=engine)
    if engine.cluster:
        from .cluster import run_on_cluster

        return run_on_cluster(tasks, engine.cluster, stream)
    jobs = default_jobs(len(tasks)) if engine.jobs is None else engine.jobs
    if jobs < 1:
        raise UsageError(f"--jobs: must be 1 or more, got {jobs}")
    if jobs == 1 or len(tasks) <= 1:
        return _run_here(tasks, stream)
    return _run_in_pool(tasks, jobs, stream)


def _run_here(tasks: Sequence[Task], stream: TextIO) -> list[RunResult]:
    from .tfsetup import import_quietly

    import_quietly()  # before harness.build imports Keras
    from .build import CompiledModels

    models = CompiledModels()
    return [run_task(task, stream, models) for task in tasks]


def _run_in_pool(tasks: Sequence[Task], jobs: int, stream: TextIO) -> list[RunResult]:
    import multiprocessing
    from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, wait

    from .tfsetup import cores

    threads = max(1, cores() // jobs)
    say(f"running {len(tasks)} run(s) in {jobs} processes, {threads} TensorFlow thread(s) "
        "each", stream)
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"),
                               initializer=prepare_process, initargs=(threads,))
    results: list[RunResult | None] = [None] * len(tasks)
    try:
        futures = {pool.submit(_work, task): i for i, task in enumerate(tasks)}
        pending = set(futures)
        while pending:
            done, pending = wait(pending, return_when=FIRST_EXCEPTION)
            for future in done:
                outcome = future.result()  # a worker that died raises BrokenProcessPool here
                print(outcome.log, end="", file=stream, flush=True)
                if outcome.error is not None:  # its run file is written: the worker is here
                    raise WorkerError(outcome.error, outcome.exit_code)
                results[futures[future]] = outcome.results
    except BaseException:
        _stop(pool)
        raise
    pool.shutdown(wait=True)
    return [r for r in results if r is not None]


def _stop(pool: Any, grace_s: float = 60.0) -> None:
    """Stop the workers after an error or Ctrl-C/SIGTERM here: pending tasks are dropped, and
    each worker gets SIGTERM, which stops its run the way Ctrl-C does (the run file says
    ``interrupted`` and keeps its finished epochs); one still alive after ``grace_s`` is killed.
    """
    import os
    import signal

    # The executor has no public way to signal its workers; its process table is the only
    # handle (a dict of pid -> Process in every CPython release that has the executor).
    processes = list(getattr(pool, "_processes", {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            try:
                os.kill(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    for process in processes:
        process.join(grace_s)
        if process.is_alive():
            process.kill()
            process.join()


# --- in the worker process -------------------------------------------------------------------

def _work(task: Task) -> Outcome:
    """Run one task in a worker; its printed lines and any error come back as text."""
    return execute(task, process_models())


__all__ = ["Engine", "Task", "WorkerError", "default_jobs", "run_tasks"]
