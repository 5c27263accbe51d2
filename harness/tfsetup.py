"""TensorFlow's process settings, made before it is imported: quiet logs, a persistent XLA
compilation cache, and the number of threads a training process may use.

Environment variables are the only way to set these before TensorFlow starts (``TF_XLA_FLAGS``
is read once, at import), so :func:`configure` must run before ``import tensorflow``; after it,
it changes nothing.
"""

from __future__ import annotations

import os
from pathlib import Path

XLA_CACHE_ENV = "HARNESS_XLA_CACHE"  # 0: no persistent XLA cache; a path: the cache folder
XLA_CACHE_FLAG = "--tf_xla_persistent_cache_directory"


def xla_cache_folder() -> Path | None:
    """Where compiled XLA programs are kept between processes: ``$HARNESS_XLA_CACHE``, else
    ``xla/`` in the harness cache folder (``$HARNESS_CACHE_DIR``, else ``~/.cache/keras-harness``);
    None when ``HARNESS_XLA_CACHE=0``."""
    from .data.dataset import cache_root

    chosen = os.environ.get(XLA_CACHE_ENV)
    if chosen == "0":
        return None
    return Path(chosen) if chosen else cache_root(None) / "xla"


def configure(threads: int | None = None) -> None:
    """Settings for a process that is about to import TensorFlow.

    Args:
        threads: intra-op threads (``TF_NUM_INTRAOP_THREADS``) for a process that shares the
            cores with other training processes (``--jobs``); None: TensorFlow's default (all).

    A ``TF_CPP_MIN_LOG_LEVEL`` or ``TF_XLA_FLAGS`` cache directory the user set is kept.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
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


def cores() -> int:
    """The CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


__all__ = ["XLA_CACHE_ENV", "configure", "cores", "xla_cache_folder"]
