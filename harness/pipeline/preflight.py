"""What can be known before a run trains: an output folder that cannot be written, a disk without
room for the run's files. Each check fails with a one-line :class:`UsageError` and creates
nothing."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from ..errors import UsageError

# Room a run needs beyond its checkpoints: run file, results.json, report.md, two PNGs.
RESULTS_BYTES = 4 << 20


def _nearest_existing(folder: Path) -> Path:
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    return existing


def check_writable(folder: Path, remedy: str = "pass --out DIR") -> None:
    """Fail before anything runs when ``folder`` cannot be created or written; creates nothing.

    Args:
        remedy: the end of the message, what the user should do (the option to pass).

    Raises:
        UsageError: names the folder and the reason.
    """
    existing = _nearest_existing(folder)
    if not existing.is_dir():
        raise UsageError(f"{folder}: cannot be an output folder: {existing} is a file, not a "
                         f"folder; {remedy}")
    try:
        with tempfile.TemporaryFile(dir=existing, prefix=".write-probe-"):
            pass
    except OSError as exc:
        raise UsageError(f"{folder}: output folder is not writable ({exc.strerror or exc}); "
                         f"{remedy}") from None


def check_free_space(folder: Path, params: int) -> None:
    """Fail before training when the output disk cannot hold the run's files.

    A run keeps two checkpoints at a time (weights and up to two optimizer slots each, float32)
    and its results and report: about ``24 * params`` bytes + 4 MiB.

    Raises:
        UsageError: names the folder, the free and the needed space.
    """
    need = 24 * params + RESULTS_BYTES
    free = shutil.disk_usage(_nearest_existing(folder)).free
    if free < need:
        raise UsageError(f"{folder}: {free / 1e6:.1f} MB free on its disk, this run needs about "
                         f"{need / 1e6:.1f} MB (checkpoints, results, report); free some space "
                         "or pass --out DIR on another disk")


__all__ = ["RESULTS_BYTES", "check_free_space", "check_writable"]
