"""One training run as a task, and how any worker runs it: in this process, in a local worker
process (:mod:`harness.parallel`) or on a cluster worker (:mod:`harness.cluster`).

A task is a spec, its options and a seed. Whatever runs it, the run is
:func:`harness.pipeline.run_spec`'s, so a seed is a seed wherever it runs: the same seed gives the
same history (on the same CPU model) in this process, in a pool worker and on a cluster worker.
"""

from __future__ import annotations

import dataclasses
import io
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

from .errors import HarnessError, TrainingError, error_line
from .verbosity import QUIET, say

if TYPE_CHECKING:  # pragma: no cover - the pipeline imports Keras; workers import it themselves
    from .pipeline import RunOptions
    from .result_types import RunResult
    from .spec import Spec


@dataclass(frozen=True)
class Task:
    """One training run: a spec, its options (schedule, data, out) and a seed; None: the seed
    of the run that ``options.resume`` continues."""

    spec: Spec
    options: RunOptions
    seed: int | None

    def label(self) -> str:
        """``<spec name> seed <seed>``, as progress lines and errors name the task."""
        return f"{self.spec.name} seed {self.seed if self.seed is not None else '(resumed)'}"


class WorkerError(HarnessError):
    """A run in a worker process stopped with an error; carries its one-line message and exit
    code (exceptions do not cross processes intact)."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass
class Outcome:
    """What a worker sends back for a task: the results document (also of a run that stopped:
    a NaN loss, an error after some epochs, an interrupt), the lines the run printed, and the
    one-line error with its exit code (None and 0 when the run ended normally)."""

    results: RunResult | None
    log: str
    error: str | None = None
    exit_code: int = 0


_MODELS: Any = None  # this worker's compiled models, kept across the tasks it runs


def prepare_process(threads: int | None) -> None:
    """Make this process a training worker: ``threads`` TensorFlow intra-op threads (it shares
    the cores with the other workers), then TensorFlow imported quietly. Once per process: later
    calls change nothing (TensorFlow reads its settings when imported)."""
    from .tfsetup import configure, import_quietly

    configure(threads)
    import_quietly()


def process_models() -> Any:
    """The compiled models this worker process keeps across the tasks it runs
    (:class:`harness.build.CompiledModels`)."""
    global _MODELS
    from .build import CompiledModels

    if _MODELS is None:
        _MODELS = CompiledModels()
    return _MODELS


def run_task(task: Task, stream: TextIO, models: Any) -> RunResult:
    """Run one task here. A seed whose loss turns NaN is recorded (status ``nan_loss``) and
    returned, so that the other seeds go on; any other error is raised.

    Args:
        models: the :class:`harness.build.CompiledModels` this process reuses across seeds.
    """
    from .pipeline import run_spec

    options = dataclasses.replace(task.options, seed=task.seed)
    try:
        return run_spec(task.spec, options, stream, models)
    except TrainingError as exc:
        if exc.results is None or exc.results.status != "nan_loss":
            raise
        say(f"seed {task.seed}: {exc}", stream, at=QUIET)
        return exc.results


def execute(task: Task, models: Any) -> Outcome:
    """Run one task in a worker: its printed lines, its results and any error come back as
    plain data (exceptions do not cross processes intact). SIGTERM stops the run the way
    Ctrl-C does, so the results of an interrupted run keep their finished epochs."""
    from .signals import interrupt_on_signals

    log = io.StringIO()
    try:
        with interrupt_on_signals():
            results = run_task(task, log, models)
    except HarnessError as exc:
        stopped = exc.results if isinstance(exc, TrainingError) else None  # interrupts too
        return Outcome(stopped, log.getvalue(), error_line(exc).removeprefix("error: "),
                       exc.exit_code)
    except KeyboardInterrupt:
        return Outcome(None, log.getvalue(), "interrupted", 130)
    return Outcome(results, log.getvalue())


__all__ = ["Outcome", "Task", "WorkerError", "execute", "prepare_process", "process_models",
           "run_task"]
