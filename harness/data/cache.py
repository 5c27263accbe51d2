"""The cache of encoded data: reviews turned into word indices once, read back in a second.

A cache file is made from the data's text, so it lives outside the project and is never
committed: in ``$HARNESS_CACHE_DIR`` when set, else in the user's cache folder as
``platformdirs`` names it (``$XDG_CACHE_HOME/keras-harness``, by default
``~/.cache/keras-harness`` on Linux). Each file is keyed by a hash of what it was made from (the
archive's sha256 and the encoder's options), so a changed archive or encoder never gets stale
data: it misses and rebuilds.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

CACHE_ENV = "HARNESS_CACHE_DIR"
CACHE_APP = "keras-harness"  # the folder's name in the user's cache folder


def cache_root(cache_dir: str | os.PathLike | None) -> Path:
    """The cache folder: ``cache_dir`` when given, else ``$HARNESS_CACHE_DIR``, else the user's
    cache folder (``platformdirs.user_cache_dir``, which honours ``$XDG_CACHE_HOME``)."""
    if cache_dir:
        return Path(cache_dir)
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    import platformdirs

    return Path(platformdirs.user_cache_dir(CACHE_APP, appauthor=False))


def cache_path(cache_dir: str | os.PathLike | None, prefix: str, meta: dict) -> Path:
    """``<cache>/<prefix>-<key>.npz``, the key a hash of ``meta`` (checksum and options)."""
    key = hashlib.sha256(json.dumps(meta, sort_keys=True).encode()).hexdigest()[:24]
    return cache_root(cache_dir) / f"{prefix}-{key}.npz"


def read_cache(path: Path, meta: dict) -> dict[str, np.ndarray] | None:
    """The cached arrays, or None when missing, corrupt, or made with other ``meta``."""
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            if json.loads(str(z["meta"])) != meta:
                return None
            return {k: z[k] for k in z.files if k != "meta"}
    except Exception:  # noqa: BLE001 - any damage to a cache file means: rebuild it
        return None


def write_cache(path: Path, meta: dict, arrays: dict[str, np.ndarray]) -> None:
    """Write atomically; a cache that cannot be written only costs the next run a few seconds."""
    payload = {"meta": np.array(json.dumps(meta, sort_keys=True)), **arrays}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with open(tmp, "wb") as f:
            np.savez(f, **payload)  # type: ignore[arg-type]  # numpy's stub: a key could be allow_pickle
        os.replace(tmp, path)
    except OSError:
        return


__all__ = ["CACHE_APP", "CACHE_ENV", "cache_path", "cache_root", "read_cache", "write_cache"]
