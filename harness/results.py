"""Versioned results JSON: write atomically, load with a schema check, capture the environment.

A results file is ``{"schema_version": 1, "harness_version": ..., "created_utc": ...,
"environment": {...}, ...}``. :func:`load_results` refuses a newer schema with a clear message,
upgrades older ones, names the line of a hand-broken JSON file, and checks the type of every
field the report and the gate read (:func:`check_results`). :func:`folder_lock` serializes
writers of one reports folder across processes.

Schema history:
    0: per-epoch figures under Keras's log names: ``history.accuracy``/``val_accuracy`` and
       ``epoch_times`` (seconds, unit not in the name).
    1: the harness's standard terms: ``history.acc``/``val_acc`` and ``epoch_time_s``.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .errors import ResultsError

SCHEMA_VERSION = 1
LOCK_NAME = ".harness.lock"


def harness_version() -> str:
    from . import __version__

    return __version__


def utc_now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_json_atomic(path: str | os.PathLike, payload: Any) -> Path:
    """Write JSON to a temp file beside ``path`` and ``os.replace`` it in.

    A reader sees the old file or the new one, never half of one; a crash leaves at most a
    hidden ``.tmp`` file, which is removed on the way out of an exception.

    Raises:
        ResultsError: the folder cannot be created or written (names the path and the reason).
    """
    path = Path(path)
    text = json.dumps(payload, indent=2, sort_keys=False, allow_nan=False, default=_jsonable)
    write_text_atomic(path, text + "\n")
    return path


def write_text_atomic(path: str | os.PathLike, text: str | bytes) -> Path:
    """Like :func:`write_json_atomic` for text or bytes (reports, PNGs)."""
    path = Path(path)
    tmp_name = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp's 0600 would hide results from other users
        mode = "wb" if isinstance(text, bytes) else "w"
        with os.fdopen(fd, mode, **({} if mode == "wb" else {"encoding": "utf-8"})) as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_name, path)
        tmp_name = None
    except OSError as exc:
        raise ResultsError(f"{path}: cannot write ({exc.strerror or exc})", exc.errno) from None
    finally:
        if tmp_name is not None:
            try:
                os.unlink(tmp_name)
            except OSError:
                pass
    return path


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _jsonable(value: Any) -> Any:
    try:
        import numpy as np

        if isinstance(value, np.generic):
            return value.item()
        if isinstance(value, np.ndarray):
            return value.tolist()
    except ImportError:  # pragma: no cover
        pass
    if isinstance(value, (set, tuple)):
        return list(value)
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def load_results(path: str | os.PathLike) -> dict[str, Any]:
    """Read a results file, upgrading an older schema.

    Raises:
        ResultsError: the file is missing, is broken JSON (with its line and column), is not a
            results file, or comes from a newer schema than this harness reads.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ResultsError(f"{path}: no such results file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ResultsError(f"{path}: cannot read ({exc})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ResultsError(
            f"{path}: line {exc.lineno}, column {exc.colno}: broken JSON ({exc.msg})"
        ) from None
    if not isinstance(data, dict) or "schema_version" not in data:
        raise ResultsError(f"{path}: not a harness results file (no schema_version)")
    version = data["schema_version"]
    if not isinstance(version, int) or version < 0:
        raise ResultsError(f"{path}: schema_version must be a positive integer, got {version!r}")
    if version > SCHEMA_VERSION:
        raise ResultsError(
            f"{path}: written with results schema {version}, this harness reads up to "
            f"{SCHEMA_VERSION}; upgrade keras-harness to read it"
        )
    data = upgrade(data)
    check_results(data, path)
    return data


def _from_v0(data: dict[str, Any]) -> dict[str, Any]:
    """Schema 0 -> 1: Keras's log names become the standard terms, units go into names."""
    history = dict(data.get("history") or {})
    for old, new in (("accuracy", "acc"), ("val_accuracy", "val_acc")):
        if old in history:
            history[new] = history.pop(old)
    data["history"] = history
    if "epoch_times" in data:
        data["epoch_time_s"] = data.pop("epoch_times")
    return data


# schema_version -> the step that brings a document of that version to the next one.
_UPGRADES = {0: _from_v0}


def upgrade(data: dict[str, Any]) -> dict[str, Any]:
    """Bring a results document of an older schema to :data:`SCHEMA_VERSION`, step by step."""
    data = dict(data)
    for version in range(data["schema_version"], SCHEMA_VERSION):
        data = _UPGRADES[version](data)
    data["schema_version"] = SCHEMA_VERSION
    return data


def check_results(data: dict[str, Any], path: str | os.PathLike = "<results>") -> None:
    """Check the type of every field that reports and the gate read, after :func:`upgrade`.

    Raises:
        ResultsError: ``FILE: field.path: what is wrong, got X`` for each wrong field (a
            hand-edited ``"val_acc": "high"``, say), joined on one line.
    """
    from pydantic import ValidationError

    from ._results_schema import ResultsDocument

    try:
        ResultsDocument.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors()[:5]:
            where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err["loc"])
            where = where.lstrip(".")
            problems.append(f"{where}: {err['msg'].lower()}, got {json.dumps(err.get('input'))}"
                            [:200])
        raise ResultsError(f"{path}: not a valid results file: {'; '.join(problems)}; fix the "
                           "field or re-run the spec") from None


@contextmanager
def folder_lock(folder: str | os.PathLike) -> Iterator[None]:
    """Hold an exclusive lock on a reports folder (``fcntl.flock`` on ``.harness.lock``).

    Two ``harness run`` processes that finish at once update ``results.json`` and ``report.md``
    one after the other, so the pair always comes from the same run and the report lists every
    run file. Blocks until the lock is free (writers hold it for about a second).

    Raises:
        ResultsError: the folder or its lock file cannot be created.
    """
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle = open(folder / LOCK_NAME, "a")  # closed in the finally below
    except OSError as exc:
        raise ResultsError(f"{folder}: cannot lock the folder ({exc.strerror or exc})") from None
    try:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX: atomic replaces only
            yield
            return
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    finally:
        handle.close()


# ---------------------------------------------------------------------------------------------
# Environment


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5,
            cwd=Path(__file__).resolve().parent,
        )
        if out.returncode == 0:
            commit = out.stdout.strip()
            dirty = subprocess.run(
                ["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                text=True, timeout=5, cwd=Path(__file__).resolve().parent,
            ).stdout.strip()
            return commit + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        pass
    return None


def environment(with_tensorflow: bool = True) -> dict[str, Any]:
    """Versions, CPU, GPU and commit of this run.

    Returns a dict with ``python``, ``platform``, ``cpu`` (model, cores), ``numpy``,
    ``tensorflow``, ``keras``, ``cuda``/``cudnn`` (TensorFlow's build), ``gpus`` (name, memory in
    bytes where known), ``git_commit``.
    """
    import numpy as np

    env: dict[str, Any] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": {"model": _cpu_model(), "cores": os.cpu_count()},
        "numpy": np.__version__,
        "harness": harness_version(),
        "git_commit": _git_commit(),
    }
    if with_tensorflow:
        import keras
        import tensorflow as tf

        build = tf.sysconfig.get_build_info()
        gpus = []
        for dev in tf.config.list_physical_devices("GPU"):
            details = tf.config.experimental.get_device_details(dev)
            gpus.append({"name": details.get("device_name", dev.name),
                         "compute_capability": details.get("compute_capability")})
        env.update(
            tensorflow=tf.__version__,
            keras=keras.__version__,
            keras_backend=keras.backend.backend(),
            cuda=build.get("cuda_version"),
            cudnn=build.get("cudnn_version"),
            gpus=gpus,
        )
    return env
