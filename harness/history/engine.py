"""The database engine of the results store, and its errors as one-line :class:`StoreError`.

Several processes may write one SQLite file at once: it is in WAL mode (readers never wait for a
writer), each write is one ``BEGIN IMMEDIATE`` transaction (writers queue for the lock instead
of failing when a read turns into a write) and a writer waits up to ``timeout_s`` for the lock
before giving up. A PostgreSQL server gets ``timeout_s`` to answer.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import NoSuchModuleError, SQLAlchemyError

from ..errors import StoreError
from .location import StoreTarget

WRITE_OPTION = "harness_write"  # execution option of a writing connection: BEGIN IMMEDIATE


def make_engine(target: StoreTarget, create: bool, timeout_s: float) -> Engine:
    """The engine of ``target``. On SQLite: foreign keys on, WAL mode and ``synchronous=NORMAL``
    for a file that ``create`` may set up, and every transaction begun by the engine itself
    (``BEGIN IMMEDIATE`` on a connection with :data:`WRITE_OPTION`, else ``BEGIN``)."""
    if target.url.get_backend_name() == "sqlite":
        engine = create_engine(target.url, connect_args={"timeout": timeout_s})

        @event.listens_for(engine, "connect")
        def _connect(dbapi_connection: Any, _record: Any) -> None:
            # SQLAlchemy's documented recipe: sqlite3 issues no BEGIN of its own (it would
            # begin a deferred transaction only at the first write), the begin event does.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute("PRAGMA foreign_keys=ON")
                if create and target.path is not None:
                    if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                        cursor.execute("PRAGMA journal_mode=WAL")
                    cursor.execute("PRAGMA synchronous=NORMAL")  # WAL: safe on a crash
            finally:
                cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            write = conn.get_execution_options().get(WRITE_OPTION)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

        return engine
    connect_args: dict[str, Any] = {}
    if "connect_timeout" not in target.url.query:
        connect_args["connect_timeout"] = max(1, round(timeout_s))
    return create_engine(target.url, connect_args=connect_args)


@contextmanager
def store_errors(where: str, dialect: str, timeout_s: float) -> Iterator[None]:
    """Turn every database and driver error inside the block into a one-line
    :class:`StoreError` naming the store (``where``)."""
    try:
        yield
    except StoreError:
        raise
    except (ModuleNotFoundError, NoSuchModuleError) as exc:
        raise StoreError(f"the results store at {where} needs a driver this "
                         f"environment lacks ({exc}): pip install "
                         "'keras-harness[postgres]'") from None
    except (SQLAlchemyError, sqlite3.Error) as exc:
        raise store_error(exc, where, dialect, timeout_s) from None
    except OSError as exc:
        raise StoreError(f"results history at {where}: {exc.strerror or exc}") from None


def store_error(exc: BaseException, where: str, dialect: str, timeout_s: float) -> StoreError:
    """A database error as the user can act on it: a corrupt, locked, unopenable or read-only
    SQLite file; a PostgreSQL server that refuses, times out or is not found."""
    orig = getattr(exc, "orig", None) or exc
    message = " ".join(str(orig).split()) or type(orig).__name__
    low = message.lower()
    if dialect == "sqlite":
        return _sqlite_error(message, where, timeout_s)
    reason = re.sub(r"^.*? failed: ", "", message)
    reason = re.sub(r"^(FATAL|ERROR): +", "", reason).strip()
    for needle, short in (("connection refused", "connection refused"),
                          ("timeout expired", "timed out"),
                          ("could not translate host name", "unknown host"),
                          ("name or service not known", "unknown host"),
                          ("no route to host", "no route to host"),
                          ("network is unreachable", "network is unreachable"),
                          ("no such file or directory", "no server listens there")):
        if needle in low:
            return StoreError(f"cannot reach the results store at {where}: {short}")
    reason = reason.split(" Is the server running")[0]
    if "connection to server" in low or "could not connect" in low:
        return StoreError(f"cannot open the results store at {where}: {reason}")
    return StoreError(f"results store at {where}: {reason}")


def _sqlite_error(message: str, where: str, timeout_s: float) -> StoreError:
    low = message.lower()
    if "file is not a database" in low or "malformed" in low:
        return StoreError(f"{where} is not an SQLite database (file is corrupt or "
                          "not a database)")
    if "locked" in low or "busy" in low:
        return StoreError(f"the results history at {where} is locked by another "
                          f"process (waited {timeout_s:g} s); try again when it "
                          "has finished")
    if "unable to open database file" in low:
        return StoreError(f"cannot open the results history at {where}: check "
                          "that its folder exists and can be written")
    if "readonly" in low:
        return StoreError(f"cannot write the results history at {where}: the "
                          "file or its folder is read-only")
    return StoreError(f"results history at {where}: {message}")


__all__ = ["WRITE_OPTION", "make_engine", "store_error", "store_errors"]
