"""Versioned results JSON: write atomically, load with a schema check, capture the environment.

A results file is ``{"schema_version": 1, "harness_version": ..., "created_utc": ...,
"environment": {...}, ...}``. :func:`load_results` refuses a newer schema with a clear message,
upgrades older ones, names the line of a hand-broken JSON file, and checks the type of every
field the report and the gate read (:func:`check_results`). :func:`folder_lock` serializes
writers of one reports folder across processes.

Paths (:func:`recorded_path`): a results document never holds the machine's absolute path. A
file under the project (the working directory the harness runs in) is recorded relative to it,
in POSIX form (``specs/imdb_lstm.yaml``); a file outside it by its name alone
(``aclImdb_v1_labeled.tar.gz``), which with its sha256 (``data.checksum``, the gate's data
identity) says which file it was. This holds for ``spec.path``, ``options.data``,
``data.source`` (``archive:aclImdb_v1_labeled.tar.gz``), ``data.file`` and a pretrained
Embedding's ``file``.

Schema history:
    0: per-epoch figures under Keras's log names: ``history.accuracy``/``val_accuracy`` and
       ``epoch_times`` (seconds, unit not in the name).
    1: the harness's standard terms: ``history.acc``/``val_acc`` and ``epoch_time_s``.
    2: paths as above (schema 1 recorded absolute ones; the upgrade rewrites them, relative to
       the working directory it runs in), and ``data.x_dtype``, the dtype of the model's input
       arrays (``int32`` word indices, ``float32`` multi-hot or windows; absent when upgraded).
"""

from __future__ import annotations

import contextvars
import datetime as _dt
import json
import os
import platform
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

from .errors import ResultsError

if TYPE_CHECKING:  # pragma: no cover
    from .result_types import RunResult

SCHEMA_VERSION = 2
LOCK_NAME = ".harness.lock"

# The project that paths are recorded relative to: the working directory, unless a run made on
# a cluster worker records them as the submitting machine would (harness.cluster sets it).
PROJECT_ROOT: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "harness_project_root", default=None)


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


def _from_v1(data: dict[str, Any]) -> dict[str, Any]:
    """Schema 1 -> 2: absolute paths become what :func:`recorded_path` records (a bench
    document is left as it is: its settings name the files its own report reads)."""
    if data.get("kind") == "bench":
        return data
    if isinstance(data.get("spec"), dict) and data["spec"].get("path"):
        data["spec"] = {**data["spec"], "path": recorded_path(data["spec"]["path"])}
    if isinstance(data.get("options"), dict) and data["options"].get("data"):
        data["options"] = {**data["options"], "data": recorded_path(data["options"]["data"])}
    if isinstance(data.get("data"), dict):
        data["data"] = recorded_data(data["data"])
    return data


# schema_version -> the step that brings a document of that version to the next one.
_UPGRADES = {0: _from_v0, 1: _from_v1}


# ---------------------------------------------------------------------------------------------
# Paths, as results record them


def relative_to_project(path: str | os.PathLike, root: str | os.PathLike | None = None
                        ) -> str | None:
    """``path`` relative to ``root`` (default: :data:`PROJECT_ROOT`, else the working
    directory), POSIX form, when it is under it; None when it is outside. Compared as written (``..`` resolved, links not
    followed), so ``/x/project/../shared/f`` is outside ``/x/project``."""
    if root is None:
        root = PROJECT_ROOT.get() or os.getcwd()
    base = os.path.abspath(root)
    full = os.path.abspath(os.path.join(base, os.fspath(path)))
    if full != base and not full.startswith(base.rstrip(os.sep) + os.sep):
        return None
    return Path(os.path.relpath(full, base)).as_posix()


def recorded_path(path: str | os.PathLike, root: str | os.PathLike | None = None) -> str:
    """How a results document names a file: relative to the project when under it
    (``specs/imdb_lstm.yaml``), else its file name alone (``aclImdb_v1.tar.gz``: the sha256
    beside it says which file it was); never the machine's absolute path."""
    inside = relative_to_project(path, root)
    if inside is not None:
        return inside
    return PurePath(os.fspath(path).replace("\\", "/")).name or os.fspath(path)


def shown_path(path: str | os.PathLike, root: str | os.PathLike | None = None) -> str:
    """How a verdict or message names a file the reader may act on (``harness calibrate
    <spec>``): relative to the project when under it, else as given."""
    return relative_to_project(path, root) or os.fspath(path)


SOURCE_KINDS = ("archive", "folder", "file")  # data sources that name a path


def recorded_source(source: str | None, root: str | os.PathLike | None = None) -> str | None:
    """A data source (``archive:<path>``, ``folder:<path>``, ``file:<path>``, or a name such as
    ``keras.datasets.imdb``) with its path as :func:`recorded_path` records it."""
    if not source:
        return source
    kind, sep, rest = str(source).partition(":")
    if sep and kind in SOURCE_KINDS and rest:
        return f"{kind}:{recorded_path(rest, root)}"
    return source


def recorded_data(data: dict[str, Any], root: str | os.PathLike | None = None
                  ) -> dict[str, Any]:
    """A results document's ``data`` section with its paths as recorded: the source, a data
    file (``file``) and each pretrained Embedding's ``file``."""
    data = dict(data)
    if isinstance(data.get("source"), str):
        data["source"] = recorded_source(data["source"], root)
    if isinstance(data.get("file"), str):
        data["file"] = recorded_path(data["file"], root)
    if isinstance(data.get("pretrained"), dict):
        data["pretrained"] = {
            name: ({**info, "file": recorded_path(info["file"], root)}
                   if isinstance(info, dict) and isinstance(info.get("file"), str) else info)
            for name, info in data["pretrained"].items()}
    return data


def upgrade(data: dict[str, Any]) -> dict[str, Any]:
    """Bring a results document of an older schema to :data:`SCHEMA_VERSION`, step by step."""
    data = dict(data)
    for version in range(data["schema_version"], SCHEMA_VERSION):
        data = _UPGRADES[version](data)
    data["schema_version"] = SCHEMA_VERSION
    return data


def check_results(data: dict[str, Any], path: str | os.PathLike = "<results>") -> None:
    """Check the type of every field that reports and the gate read, after :func:`upgrade`
    (a run's document with :class:`harness.result_types.RunFileCheck`, the fields of
    :class:`~harness.result_types.RunResult` with those a file must hold required; or with
    ``"kind": "bench"`` a bench's).

    Raises:
        ResultsError: ``FILE: field.path: what is wrong, got X`` for each wrong field (a
            hand-edited ``"val_acc": "high"``, say), joined on one line.
    """
    from pydantic import ValidationError

    from ._results_schema import BenchDocument
    from .result_types import RunFileCheck

    schema = BenchDocument if data.get("kind") == "bench" else RunFileCheck
    try:
        schema.model_validate(data)
    except ValidationError as exc:
        raise invalid_results(path, exc) from None


def invalid_results(path: str | os.PathLike, exc: Any) -> ResultsError:
    """The one-line error of a results document that fails validation (a pydantic
    ``ValidationError``): ``FILE: not a valid results file: field.path: what is wrong, got X``
    for up to five fields."""
    problems = []
    for err in exc.errors()[:5]:
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err["loc"])
        where = where.lstrip(".")
        problems.append(f"{where}: {err['msg'].lower()}, got "
                        f"{json.dumps(err.get('input'), default=str)}"[:200])
    return ResultsError(f"{path}: not a valid results file: {'; '.join(problems)}; fix the "
                        "field or re-run the spec")


def load_run(path: str | os.PathLike) -> RunResult:
    """Read a run's results file (:func:`load_results`) as a typed :class:`RunResult`.

    Raises:
        ResultsError: as :func:`load_results`, or a bench document given as a run; one line
            naming the file (and the field, for a wrong type).
    """
    from pydantic import ValidationError

    from .result_types import RunResult

    data = load_results(path)  # checked with RunFileCheck: RunResult, its required fields set
    if data.get("kind") == "bench":
        raise ResultsError(f"{path}: a bench results file, not a run's; pass a run file "
                           "(reports/<spec>/runs/*.json or a results.json)")
    try:
        return RunResult.model_validate(data)
    except ValidationError as exc:  # pragma: no cover - RunFileCheck checked the same types
        raise invalid_results(path, exc) from None


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


def _nvidia_smi() -> list[dict[str, Any]]:
    """Name, total memory (bytes) and driver of each GPU per ``nvidia-smi``; [] without it."""
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=name,memory.total,driver_version",
             "--format=csv,noheader,nounits"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return []
    if out.returncode != 0:
        return []
    gpus = []
    for line in out.stdout.strip().splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) == 3:
            memory = int(parts[1]) * 1024 * 1024 if parts[1].isdigit() else None  # MiB
            gpus.append({"name": parts[0], "memory_bytes": memory, "driver": parts[2]})
    return gpus


def environment(with_tensorflow: bool = True) -> dict[str, Any]:
    """Versions, CPU, GPU and commit of this run.

    Returns a dict with ``python``, ``platform``, ``cpu`` (model, cores), ``numpy``,
    ``tensorflow``, ``keras``, ``cuda``/``cudnn`` (TensorFlow's build), ``gpus`` (name, compute
    capability, and total memory in bytes and driver version where ``nvidia-smi`` tells them),
    ``git_commit`` (the working directory's repository, ``-dirty`` when its tracked files other
    than ``reports/`` and ``.harness/`` changed; see :func:`git_state`) and ``git_branch``.
    """
    import numpy as np

    env: dict[str, Any] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": {"model": _cpu_model(), "cores": os.cpu_count()},
        "numpy": np.__version__,
        "harness": harness_version(),
    }
    from .gitinfo import git_state

    git = git_state()
    env["git_commit"] = (git["commit"] + ("-dirty" if git["dirty"] else "")
                         if git["commit"] else None)
    env["git_branch"] = git["branch"]
    if with_tensorflow:
        import keras
        import tensorflow as tf

        build = tf.sysconfig.get_build_info()
        gpus = []
        smi = _nvidia_smi()
        for i, dev in enumerate(tf.config.list_physical_devices("GPU")):
            details = tf.config.experimental.get_device_details(dev)
            gpu = {"name": details.get("device_name", dev.name),
                   "compute_capability": details.get("compute_capability")}
            if i < len(smi):
                gpu.update(memory_bytes=smi[i]["memory_bytes"], driver=smi[i]["driver"])
            gpus.append(gpu)
        env.update(
            tensorflow=tf.__version__,
            keras=keras.__version__,
            keras_backend=keras.backend.backend(),
            cuda=build.get("cuda_version"),
            cudnn=build.get("cudnn_version"),
            gpus=gpus,
        )
    return env
