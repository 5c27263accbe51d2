"""The lock of a reports folder: writers of its shared files take turns, across processes.

``filelock`` holds an OS lock on ``<folder>/.harness.lock`` (``flock`` on POSIX, ``msvcrt``
locking on Windows); the OS drops it when its process ends, however it ends, so a lock is only
ever held by a live process.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import ResultsError

LOCK_NAME = ".harness.lock"
# A writer holds the lock for about a second (results.json and report.md); a queue of runs of one
# spec finishing at once waits for each other's. Ten minutes without a turn means a process that
# holds it and does not finish.
LOCK_TIMEOUT_S = 600.0


@contextmanager
def folder_lock(folder: str | os.PathLike, timeout_s: float = LOCK_TIMEOUT_S) -> Iterator[None]:
    """Hold an exclusive lock on a reports folder (``filelock`` on ``.harness.lock``).

    Two ``harness run`` processes that finish at once update ``results.json`` and ``report.md``
    one after the other, so the pair always comes from the same run and the report lists every
    run file. Waits while another process holds the lock (writers hold it for about a second),
    up to ``timeout_s``.

    Raises:
        ResultsError: the folder or its lock file cannot be created; another process held the
            lock for longer than ``timeout_s``.
    """
    from filelock import FileLock, Timeout

    folder = Path(folder)
    lock = FileLock(folder / LOCK_NAME, timeout=timeout_s)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        lock.acquire()
    except Timeout:
        raise ResultsError(f"{folder}: another process has held its lock ({LOCK_NAME}) for over "
                           f"{timeout_s:g} s; wait for that harness process to finish, or stop "
                           "it, and run again") from None
    except OSError as exc:
        raise ResultsError(f"{folder}: cannot lock the folder ({exc.strerror or exc})") from None
    try:
        yield
    finally:
        lock.release()


__all__ = ["LOCK_NAME", "LOCK_TIMEOUT_S", "folder_lock"]
