"""What the client and the workers of :mod:`harness.cluster` send each other."""

from __future__ import annotations

from dataclasses import dataclass

from ..tasks import Task

TOPIC = "harness-run-progress"  # the event topic a worker sends run files on


@dataclass(frozen=True)
class WorkerTask:
    """A task as it travels to a worker, with what the worker needs to run it as the client
    would: the project paths are recorded against, the data settings, TensorFlow threads."""

    task: Task
    key: str
    project_root: str
    environ: dict[str, str | None]  # None: unset
    threads: dict[str, int]  # worker address -> TensorFlow intra-op threads
