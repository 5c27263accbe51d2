"""Model weights and optimizer state at the end of an epoch, so a stopped run can resume.

A checkpoint is ``<out>/<spec name>/runs/<run id>.epoch<N>.weights.h5`` (Keras's weights file:
every layer's weights and the optimizer's slots and iteration count). It is written to a temp
file and renamed into place, so it is whole or absent; the run file names the newest
checkpoint, and the one before is deleted once the run file points at the new one.

When: :class:`Checkpointer` writes one after the first epoch, then whenever the training time
since the last one reaches 1 / :data:`MAX_OVERHEAD` times what that one took to write (so
checkpoints cost at most 1% of training time: every epoch of a recurrent model's full run, whose
epochs take 6-30 s against 15-40 ms per checkpoint on a 2-core CPU, but not every 0.1 s epoch of
a small slice).
``every_epoch`` writes one after each epoch. A run stopped between checkpoints keeps the history
of every finished epoch in its run file; ``--resume`` goes on from its newest checkpoint.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import ResultsError, UsageError, first_line

if TYPE_CHECKING:  # pragma: no cover
    import keras

SUFFIX = ".weights.h5"  # Keras 3 requires it for save_weights
MAX_OVERHEAD = 0.01  # the share of training time that checkpoints may take


def checkpoint_path(runs_folder: Path, run_id: str, epoch: int) -> Path:
    """Where the checkpoint of ``run_id`` after ``epoch`` finished epochs lives."""
    return runs_folder / f"{run_id}.epoch{epoch}{SUFFIX}"


def save_checkpoint(model: keras.Model, path: Path) -> Path:
    """Write the model's weights and optimizer state to ``path`` atomically.

    Raises:
        ResultsError: the file cannot be written (a full disk, say); no temp file is left.
    """
    tmp = path.with_name(f".{path.name[: -len(SUFFIX)]}.{os.getpid()}.tmp{SUFFIX}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        model.save_weights(tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except (OSError, RuntimeError) as exc:  # h5py reports write failures as OSError/RuntimeError
        raise ResultsError(f"{path}: cannot write the checkpoint ({_reason(exc)})",
                           getattr(exc, "errno", None)) from None
    finally:
        tmp.unlink(missing_ok=True)
    return path


def restore_checkpoint(model: keras.Model, path: Path) -> None:
    """Load weights and optimizer state saved by :func:`save_checkpoint` into a compiled model.

    Raises:
        UsageError: the checkpoint is missing, unreadable, or does not fit the model.
    """
    if not path.is_file():
        raise UsageError(f"{path}: checkpoint is missing; run without --resume to start over")
    # The optimizer makes its slots lazily; they must exist for their saved values to load.
    model.optimizer.build(model.trainable_variables)
    try:
        model.load_weights(path)
    except (OSError, ValueError, RuntimeError) as exc:
        raise UsageError(f"{path}: cannot restore the checkpoint ({_reason(exc)}); run without "
                         "--resume to start over") from None


class Checkpointer:
    """Writes a run's checkpoints as its epochs finish, on the schedule in the module docstring.

    Args:
        runs_folder, run_id: where the checkpoints go (:func:`checkpoint_path`).
        every_epoch: write one after every epoch instead.
        epoch: the epoch of the run's newest checkpoint (a resumed run), None for none.
        max_overhead: the share of training time checkpoints may take.
        clock: seconds, for the cost of a write (tests pass a fake one).
    """

    def __init__(self, runs_folder: Path, run_id: str, *, every_epoch: bool = False,
                 epoch: int | None = None, max_overhead: float = MAX_OVERHEAD,
                 clock: Callable[[], float] = time.perf_counter):
        self.runs_folder, self.run_id = runs_folder, run_id
        self.every_epoch, self.max_overhead, self.clock = every_epoch, max_overhead, clock
        self.epoch = epoch
        self.written_s: list[float] = []  # time (s) of each checkpoint written
        self._cost_s: float | None = None  # of the last write; None: none written by this run
        self._since_s = 0.0  # training time (s) since then

    def due(self, epoch_time_s: float) -> bool:
        """Whether the epoch that just finished (taking ``epoch_time_s``) gets a checkpoint."""
        self._since_s += epoch_time_s
        return (self.every_epoch or self._cost_s is None
                or self._since_s * self.max_overhead >= self._cost_s)

    def after_epoch(self, model: keras.Model, epochs_done: int, epoch_time_s: float,
                    write_run: Callable[[int | None], None]) -> None:
        """Checkpoint if due, then ``write_run(epoch of the newest checkpoint)`` (the run file,
        written after every epoch), then drop the checkpoint before. A crash at any point leaves
        a run file whose checkpoint exists.

        Raises:
            ResultsError: the checkpoint cannot be written (nothing else is changed).
        """
        if not self.due(epoch_time_s):
            write_run(self.epoch)
            return
        t0 = self.clock()
        save_checkpoint(model, checkpoint_path(self.runs_folder, self.run_id, epochs_done))
        self._cost_s, self._since_s = self.clock() - t0, 0.0
        self.written_s.append(self._cost_s)
        before, self.epoch = self.epoch, epochs_done
        write_run(epochs_done)
        if before is not None and before != epochs_done:
            checkpoint_path(self.runs_folder, self.run_id, before).unlink(missing_ok=True)

    def drop(self) -> None:
        """Delete the newest checkpoint (the run completed: nothing to resume)."""
        if self.epoch is not None:
            checkpoint_path(self.runs_folder, self.run_id, self.epoch).unlink(missing_ok=True)
            self.epoch = None


def _reason(exc: BaseException) -> str:
    """The OS's reason (``No space left on device``), else the message's first line."""
    strerror = getattr(exc, "strerror", None)  # h5py's errors may lack it
    return str(strerror) if strerror else first_line(exc)
