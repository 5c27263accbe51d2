"""Versioned results JSON: written atomically, loaded with a schema check, with the environment
it was made in.

A results file is ``{"schema_version": 2, "harness_version": ..., "created_utc": ...,
"environment": {...}, ...}``. One module per job:

- :mod:`.files`: :func:`write_json_atomic`, :func:`write_text_atomic` (temp file +
  ``os.replace``), :func:`load_results` (refuses a newer schema with a clear message, upgrades
  an older one, names the line of a hand-broken JSON file) and :func:`load_run`;
- :mod:`.schema`: :data:`SCHEMA_VERSION`, the upgrades (:func:`upgrade`) and the type check of
  every field the report and the gate read (:func:`check_results`); :mod:`.bench_check` holds
  a bench document's;
- :mod:`.paths`: how a document names a file, never by the machine's absolute path
  (:func:`recorded_path`, relative to :data:`PROJECT_ROOT` or the working directory);
- :mod:`.lock`: :func:`folder_lock`, which serializes writers of one reports folder across
  processes;
- :mod:`.env`: :func:`environment`, the versions, CPU, GPUs and commit of a run.

Every name is importable from ``harness.results`` itself. Nothing here imports TensorFlow,
pydantic or filelock until a function needs them.
"""

from __future__ import annotations

from .env import cpu_model, environment
from .files import jsonable, load_results, load_run, write_json_atomic, write_text_atomic
from .lock import LOCK_NAME, LOCK_TIMEOUT_S, folder_lock
from .paths import (
    PROJECT_ROOT,
    SOURCE_KINDS,
    recorded_data,
    recorded_path,
    recorded_source,
    relative_to_project,
    shown_path,
)
from .schema import (
    SCHEMA_VERSION,
    UPGRADES,
    check_results,
    harness_version,
    invalid_results,
    upgrade,
    utc_now,
)

__all__ = [
    "LOCK_NAME", "LOCK_TIMEOUT_S", "PROJECT_ROOT", "SCHEMA_VERSION", "SOURCE_KINDS", "UPGRADES",
    "check_results", "cpu_model", "environment", "folder_lock", "harness_version",
    "invalid_results", "jsonable", "load_results", "load_run", "recorded_data", "recorded_path",
    "recorded_source", "relative_to_project", "shown_path", "upgrade", "utc_now",
    "write_json_atomic", "write_text_atomic",
]
