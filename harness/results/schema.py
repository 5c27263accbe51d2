"""The results schema: its version, the fields every document starts with, the upgrades of an
older document and the type check of every field the reports and the gate read.

Schema history:
    0: per-epoch figures under Keras's log names: ``history.accuracy``/``val_accuracy`` and
       ``epoch_times`` (seconds, unit not in the name).
    1: the harness's standard terms: ``history.acc``/``val_acc`` and ``epoch_time_s``.
    2: paths as :mod:`harness.results.paths` records them (schema 1 recorded absolute ones; the
       upgrade rewrites them, relative to the working directory it runs in), and
       ``data.x_dtype``, the dtype of the model's input arrays (``int32`` word indices,
       ``float32`` multi-hot or windows; absent when upgraded).

pydantic (the type check's) is imported inside the functions that need it.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..errors import ResultsError
from .paths import recorded_data, recorded_path

if TYPE_CHECKING:  # pragma: no cover
    from pydantic import ValidationError

SCHEMA_VERSION = 2


def harness_version() -> str:
    """This harness's version (``harness_version`` of the documents it writes)."""
    from .. import __version__

    return __version__


def utc_now() -> str:
    """The current UTC time as documents record it (``created_utc``): ``2026-11-29T16:01:44Z``."""
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


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
UPGRADES: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {0: _from_v0, 1: _from_v1}


def upgrade(data: dict[str, Any]) -> dict[str, Any]:
    """Bring a results document of an older schema to :data:`SCHEMA_VERSION`, step by step."""
    data = dict(data)
    for version in range(data["schema_version"], SCHEMA_VERSION):
        data = UPGRADES[version](data)
    data["schema_version"] = SCHEMA_VERSION
    return data


def check_results(data: dict[str, Any], path: str | os.PathLike = "<results>") -> None:
    """Check the type of every field that reports and the gate read, after :func:`upgrade`
    (a run's document with :class:`harness.result_types.RunFileCheck`, the fields of
    :class:`~harness.result_types.RunResult` with those a file must hold required; or with
    ``"kind": "bench"`` a bench's, :class:`harness.results.bench_check.BenchDocument`).

    Raises:
        ResultsError: ``FILE: field.path: what is wrong, got X`` for each wrong field (a
            hand-edited ``"val_acc": "high"``, say), joined on one line.
    """
    from pydantic import BaseModel, ValidationError

    from ..result_types import RunFileCheck
    from .bench_check import BenchDocument

    schema: type[BaseModel] = BenchDocument if data.get("kind") == "bench" else RunFileCheck
    try:
        schema.model_validate(data)
    except ValidationError as exc:
        raise invalid_results(path, exc) from None


def invalid_results(path: str | os.PathLike, exc: ValidationError) -> ResultsError:
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


__all__ = ["SCHEMA_VERSION", "UPGRADES", "check_results", "harness_version", "invalid_results",
           "upgrade", "utc_now"]
