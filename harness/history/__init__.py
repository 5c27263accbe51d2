"""The results history: every run, bench and gate verdict stored with its commit and machine.

``store`` keeps them in a database (SQLite by default, PostgreSQL on a server) and answers
history queries by spec and metric; ``documents`` turns a results document into the store's
rows; ``schema`` holds the tables. Nothing here imports TensorFlow.

The names below are imported on first use (PEP 562), so that importing one module of the
package (``harness.history.changepoint``) does not import SQLAlchemy, and ``harness --help``
stays fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from .documents import BENCH, GATE, KINDS, RUN
    from .schema import STORE_SCHEMA_VERSION
    from .store import (
        DEFAULT_PATH,
        DEFAULT_TIMEOUT_S,
        ENV_VAR,
        FileProblem,
        ImportSummary,
        RunRow,
        SpecSummary,
        Store,
        StoreError,
        open_store,
    )

_WHERE = {
    **dict.fromkeys(("BENCH", "GATE", "KINDS", "RUN"), "documents"),
    "STORE_SCHEMA_VERSION": "schema",
    **dict.fromkeys(("DEFAULT_PATH", "DEFAULT_TIMEOUT_S", "ENV_VAR", "FileProblem",
                     "ImportSummary", "RunRow", "SpecSummary", "Store", "StoreError",
                     "open_store"), "store"),
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])


__all__ = [
    "BENCH",
    "DEFAULT_PATH",
    "DEFAULT_TIMEOUT_S",
    "ENV_VAR",
    "GATE",
    "KINDS",
    "RUN",
    "STORE_SCHEMA_VERSION",
    "FileProblem",
    "ImportSummary",
    "RunRow",
    "SpecSummary",
    "Store",
    "StoreError",
    "open_store",
]
