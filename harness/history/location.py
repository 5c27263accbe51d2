"""Where the results store is: ``--db``, else ``$HARNESS_DB``, else the SQLite file
``.harness/history.sqlite`` under the current directory.

A plain path is an SQLite file; ``sqlite:///PATH`` and ``postgresql://USER@HOST/DB`` are
SQLAlchemy URLs (PostgreSQL through psycopg2, the ``postgres`` extra). Importing this module
does not import SQLAlchemy (``harness run`` with ``HARNESS_DB=off`` never needs it);
:func:`store_target` does.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import StoreError

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy import URL

DEFAULT_PATH = Path(".harness") / "history.sqlite"
ENV_VAR = "HARNESS_DB"
DEFAULT_TIMEOUT_S = 30.0
IMPORT_HINT = "run `harness history import reports/` first"


@dataclass(frozen=True)
class StoreTarget:
    """A store to open.

    Attributes:
        url: the SQLAlchemy URL (an SQLite file's made absolute; ``postgresql`` with psycopg2).
        where: what messages call the store: the file as given, or the URL without its password.
        path: the SQLite file; None for a server or an in-memory database.
    """

    url: URL
    where: str
    path: Path | None


def mask_url(text_url: str) -> str:
    """A URL that SQLAlchemy could not parse, with anything like a password hidden."""
    return re.sub(r"(://[^:/@]*):[^@]*@", r"\1:***@", text_url)


def store_target(url: str | os.PathLike | None) -> StoreTarget:
    """The store that ``url`` names (None: ``$HARNESS_DB``, else :data:`DEFAULT_PATH`).

    Raises:
        StoreError: not a URL SQLAlchemy reads, or a database other than SQLite or PostgreSQL.
    """
    from sqlalchemy import URL, make_url
    from sqlalchemy.exc import ArgumentError

    given = os.fspath(url) if url is not None else (os.environ.get(ENV_VAR) or None)
    if given is None or (isinstance(given, str) and "://" not in given):
        path = Path(given) if given else DEFAULT_PATH
        path = path.expanduser()
        return StoreTarget(URL.create("sqlite", database=str(path.absolute())), str(path), path)
    try:
        parsed = make_url(given)
    except ArgumentError:
        raise StoreError(f"{mask_url(given)}: not a results store URL; pass an SQLAlchemy URL "
                         "(sqlite:///PATH, postgresql://USER@HOST/DB) or a file path") from None
    backend = parsed.get_backend_name()
    shown = parsed.render_as_string(hide_password=True)
    if backend == "sqlite":
        database = parsed.database
        if not database or database == ":memory:" or parsed.query.get("mode") == "memory":
            return StoreTarget(parsed, shown, None)
        path = Path(database).expanduser()
        return StoreTarget(parsed.set(database=str(path.absolute())), database, path)
    if backend == "postgresql":
        if parsed.drivername == "postgresql":  # SQLAlchemy 2.1 would pick psycopg 3
            parsed = parsed.set(drivername="postgresql+psycopg2")
        return StoreTarget(parsed, shown, None)
    raise StoreError(f"{shown}: the results store is SQLite or PostgreSQL, got {backend}; pass "
                     "sqlite:///PATH, postgresql://USER@HOST/DB or a file path")


__all__ = ["DEFAULT_PATH", "DEFAULT_TIMEOUT_S", "ENV_VAR", "IMPORT_HINT", "StoreTarget",
           "mask_url", "store_target"]
