"""Results files on disk: written atomically, read back with their schema checked.

A reader sees the old file or the new one, never half of one (temp file beside it +
``os.replace``); :func:`load_results` refuses a newer schema with a clear message, upgrades an
older one, names the line of a hand-broken JSON file, and checks the type of every field the
report and the gate read (:func:`harness.results.schema.check_results`).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ..errors import ResultsError
from .schema import SCHEMA_VERSION, check_results, invalid_results, upgrade

if TYPE_CHECKING:  # pragma: no cover
    from ..result_types import RunResult


def write_json_atomic(path: str | os.PathLike, payload: Any) -> Path:
    """Write JSON to a temp file beside ``path`` and ``os.replace`` it in.

    A reader sees the old file or the new one, never half of one; a crash leaves at most a
    hidden ``.tmp`` file, which is removed on the way out of an exception.

    Raises:
        ResultsError: the folder cannot be created or written (names the path and the reason).
    """
    path = Path(path)
    text = json.dumps(payload, indent=2, sort_keys=False, allow_nan=False, default=jsonable)
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
        out: IO[Any] = (os.fdopen(fd, "wb") if isinstance(text, bytes)
                        else os.fdopen(fd, "w", encoding="utf-8"))
        with out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
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


def jsonable(value: Any) -> Any:
    """``json.dumps``'s ``default``: NumPy scalars and arrays, sets, tuples and paths as JSON
    values.

    Raises:
        TypeError: anything else (as ``json.dumps`` expects).
    """
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


def load_run(path: str | os.PathLike) -> RunResult:
    """Read a run's results file (:func:`load_results`) as a typed :class:`RunResult`.

    Raises:
        ResultsError: as :func:`load_results`, or a bench document given as a run; one line
            naming the file (and the field, for a wrong type).
    """
    from pydantic import ValidationError

    from ..result_types import RunResult

    data = load_results(path)  # checked with RunFileCheck: RunResult, its required fields set
    if data.get("kind") == "bench":
        raise ResultsError(f"{path}: a bench results file, not a run's; pass a run file "
                           "(reports/<spec>/runs/*.json or a results.json)")
    try:
        return RunResult.model_validate(data)
    except ValidationError as exc:  # pragma: no cover - RunFileCheck checked the same types
        raise invalid_results(path, exc) from None


__all__ = ["jsonable", "load_results", "load_run", "write_json_atomic", "write_text_atomic"]
