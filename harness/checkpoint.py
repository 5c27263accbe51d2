"""Model weights and optimizer state after each finished epoch, so a stopped run can resume.

A checkpoint is ``<out>/<spec name>/runs/<run id>.epoch<N>.weights.h5`` (Keras's weights file:
every layer's weights and the optimizer's slots and iteration count). It is written to a temp
file and renamed into place, so it is whole or absent; the run file names the checkpoint of its
last finished epoch, and the one before is deleted once the run file points at the new one.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import ResultsError, UsageError

if TYPE_CHECKING:  # pragma: no cover
    import keras

SUFFIX = ".weights.h5"  # Keras 3 requires it for save_weights


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


def _reason(exc: BaseException) -> str:
    if getattr(exc, "strerror", None):
        return exc.strerror
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
