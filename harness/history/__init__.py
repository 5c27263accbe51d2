"""The results history: every run, bench and gate verdict stored with its commit and machine.

``store`` keeps them in a database (SQLite by default, PostgreSQL on a server) and answers
history queries by spec and metric (``location``: where the store is; ``engine``: the database
engine and its errors; ``schema``: the tables; ``rows``: the rows as typed values);
``documents`` turns a results document into the store's rows and ``intake`` checks it first;
``record`` records each run as it finishes. ``trend`` and ``changepoint`` make a metric's
history per commit, ``command`` and ``publish`` (``site``, ``html``) show it. Nothing here
imports TensorFlow.

The names below are imported on first use (PEP 562), so that importing one module of the
package (``harness.history.changepoint``) does not import SQLAlchemy, and ``harness --help``
stays fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ..errors import NoHistory, StoreError

if TYPE_CHECKING:  # pragma: no cover
    from .documents import BENCH, GATE, KINDS, RUN
    from .location import DEFAULT_PATH, DEFAULT_TIMEOUT_S, ENV_VAR
    from .rows import FileProblem, ImportSummary, RunRow, SpecSummary
    from .schema import STORE_SCHEMA_VERSION
    from .store import Store, open_store

_WHERE = {
    **dict.fromkeys(("BENCH", "GATE", "KINDS", "RUN"), "documents"),
    "STORE_SCHEMA_VERSION": "schema",
    **dict.fromkeys(("DEFAULT_PATH", "DEFAULT_TIMEOUT_S", "ENV_VAR"), "location"),
    **dict.fromkeys(("FileProblem", "ImportSummary", "RunRow", "SpecSummary"), "rows"),
    **dict.fromkeys(("Store", "open_store"), "store"),
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
    "NoHistory",
    "RunRow",
    "SpecSummary",
    "Store",
    "StoreError",
    "open_store",
]
