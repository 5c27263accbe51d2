"""TensorFlow's process settings, made before it is imported: quiet logs, the number of threads
a training process may use, and (opt-in) a persistent XLA compilation cache.

Environment variables are the only way to set these before TensorFlow starts (``TF_XLA_FLAGS``
is read once, at import), so :func:`configure` must run before ``import tensorflow``; after it,
it changes nothing.
"""

from __future__ import annotations

import os
from pathlib import Path

XLA_CACHE_ENV = "HARNESS_XLA_CACHE"  # a folder: keep compiled XLA programs there (opt-in)
XLA_CACHE_FLAG = "--tf_xla_persistent_cache_directory"
LOGS_ENV = "HARNESS_TF_LOGS"  # 1: TensorFlow's start-up lines shown (harness --debug)


def xla_cache_folder() -> Path | None:
    """Where compiled XLA programs are kept between processes: ``$HARNESS_XLA_CACHE`` when set
    (``auto``: ``xla/`` in the harness cache folder), else None.

    Off by default: measured with TensorFlow 2.21 on a 2-core AMD EPYC, every program loaded
    back from the cache logs "Error parsing text-format tensorflow.XlaSerializedCacheEntry" and
    "Target machine feature +prefer-no-scatter is not supported on the host machine ... could
    lead to execution errors such as SIGILL", even on the machine that wrote it; a cache in a
    home folder shared by machines of other CPU models would risk exactly that.
    """
    from .data.cache import cache_root

    chosen = os.environ.get(XLA_CACHE_ENV)
    if not chosen or chosen == "0":
        return None
    return cache_root(None) / "xla" if chosen == "auto" else Path(chosen)


def configure(threads: int | None = None) -> None:
    """Settings for a process that is about to import TensorFlow.

    Args:
        threads: intra-op threads (``TF_NUM_INTRAOP_THREADS``) for a process that shares the
            cores with other training processes (``--jobs``); None: TensorFlow's default (all).

    A ``TF_XLA_FLAGS`` cache directory the user set is kept (the log level is
    :func:`import_quietly`'s).
    """
    flags = os.environ.get("TF_XLA_FLAGS", "")
    folder = xla_cache_folder()
    if folder is not None and XLA_CACHE_FLAG not in flags:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            folder = None  # an unwritable cache only costs compile time
        if folder is not None:
            os.environ["TF_XLA_FLAGS"] = f"{flags} {XLA_CACHE_FLAG}={folder}".strip()
    if threads is not None:
        os.environ["TF_NUM_INTRAOP_THREADS"] = str(threads)
        os.environ["TF_NUM_INTEROP_THREADS"] = "1"


def import_quietly() -> None:
    """Import TensorFlow with its start-up lines silenced: the absl lines it prints while
    importing (oneDNN, CUDA drivers, "All log messages before absl::InitializeLog()") ignore
    ``TF_CPP_MIN_LOG_LEVEL``, so standard error is pointed at the null device for the import;
    ``TF_CPP_MIN_LOG_LEVEL=3`` (unless the user set it) hides the "failed call to cuInit" line
    a machine without a GPU logs later. ``harness --debug`` (``HARNESS_TF_LOGS=1``, which worker
    processes inherit) imports it plainly and shows them all.
    """
    import sys

    if "tensorflow" in sys.modules:
        return
    if os.environ.get(LOGS_ENV) == "1":  # harness --debug, inherited by worker processes
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "0")
        import tensorflow  # noqa: F401
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.stderr.flush()
    saved = os.dup(2)
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 2)
        import tensorflow  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)


def cores() -> int:
    """The CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


__all__ = ["XLA_CACHE_ENV", "configure", "cores", "import_quietly", "xla_cache_folder"]
