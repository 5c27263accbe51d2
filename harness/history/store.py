"""The results store: every run, bench and gate verdict in one database, queryable by spec and
metric without reading JSON.

``open_store()`` opens (or creates) the store at an SQLAlchemy URL: by default ``$HARNESS_DB``,
else the SQLite file ``.harness/history.sqlite`` under the current directory; a plain path is an
SQLite file there; ``postgresql://user@host/db`` is a PostgreSQL server (through psycopg2, the
``postgres`` extra).

Several processes may write one SQLite file at once: it is in WAL mode (readers never wait for a
writer), each write is one ``BEGIN IMMEDIATE`` transaction (writers queue for the lock instead
of failing when a read turns into a write) and a writer waits up to ``timeout_s`` for the lock
before giving up with :class:`StoreError`. A run recorded twice is one row (``runs.run_id`` is
unique; ``INSERT ... ON CONFLICT DO NOTHING``).

Every problem of the store itself (missing, corrupt, locked, newer, unreachable) is a one-line
:class:`StoreError`, so that a ``harness run`` that also records can catch it and go on.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import (
    URL,
    Engine,
    and_,
    create_engine,
    delete,
    event,
    func,
    insert,
    inspect,
    make_url,
    select,
    text,
    update,
)
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from ..errors import HarnessError, ResultsError, UsageError
from .documents import BENCH, GATE, DocumentError, RowData, kind_of, parse_utc, rows_of
from .schema import STORE_SCHEMA_VERSION, UPGRADES, meta, metadata, metrics, runs

DEFAULT_PATH = Path(".harness") / "history.sqlite"
ENV_VAR = "HARNESS_DB"
DEFAULT_TIMEOUT_S = 30.0
IMPORT_HINT = "run `harness history import reports/` first"
_PG_LOCK_KEY = 0x6B68_6973  # pg_advisory_xact_lock key serializing schema creation
# A run file is rewritten after every epoch (status ``running``) and once more at the end: a
# later copy of the same run replaces the stored one only when it got further.
_RUNNING = "running"


class StoreError(HarnessError):
    """The results store cannot be opened, read or written: missing, corrupt, locked, written
    by a newer harness, unreachable; or a document it cannot record. One line, no password."""


# ---------------------------------------------------------------------------------------------
# Typed rows


@dataclass(frozen=True)
class RunRow:
    """One stored run (a bench row: one spec x device x mode of a bench; a gate row: one spec
    of a verdict), as :meth:`Store.runs` returns it.

    Attributes:
        value: the queried metric's value when :meth:`Store.runs` was given one, else None.
        metrics: every figure of the run, name -> value.
        created_utc: when the run started (timezone-aware, UTC).
    """

    run_id: str
    kind: str
    spec_name: str
    spec_hash: str | None
    schedule: str | None
    epochs: int | None
    batch_size: int | None
    train_samples: int | None
    test_samples: int | None
    validation_split: float | None
    schedule_key: str | None
    data_checksum: str | None
    git_commit: str | None
    git_branch: str | None
    git_dirty: bool | None
    machine: str | None
    host: str | None
    cpu_model: str | None
    cpu_cores: int | None
    gpus: str | None
    device: str | None
    mode: str | None
    deterministic: bool | None
    tensorflow: str | None
    keras: str | None
    harness_version: str | None
    created_utc: _dt.datetime
    status: str | None
    seed: int | None
    epochs_done: int | None
    source_path: str | None
    value: float | None = None
    metrics: dict[str, float] = field(default_factory=dict)

    @property
    def identity(self) -> tuple[str | None, str | None, str | None]:
        """What must be equal for accuracy figures to be compared (spec hash, schedule, data
        checksum), as :func:`harness.comparable.identity`."""
        return (self.spec_hash, self.schedule_key, self.data_checksum)

    @property
    def timing_identity(self) -> tuple[Any, ...]:
        """:attr:`identity` with the machine fingerprint, device and execution mode, as
        :func:`harness.comparable.timing_identity`."""
        return (*self.identity, self.machine, self.device, self.mode, self.deterministic)


_ROW_COLUMNS = [name for name in RunRow.__dataclass_fields__ if name not in ("value", "metrics")]


@dataclass(frozen=True)
class SpecSummary:
    """A spec with stored runs: how many, the first and the last (UTC)."""

    name: str
    runs: int
    first_utc: _dt.datetime
    last_utc: _dt.datetime


@dataclass(frozen=True)
class FileProblem:
    """A file :meth:`Store.import_folder` did not record, and why (one line)."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass
class ImportSummary:
    """What :meth:`Store.import_folder` did, counted in files.

    Attributes:
        new: files recorded for the first time.
        updated: files whose run was stored at an earlier stage (fewer epochs, or still
            running) and now replaced.
        present: files already stored.
        skipped: ``results.json`` files that are not complete runs (nothing lost: their run
            files are imported).
        unreadable: files that are broken, of a newer schema or not results, with the reason.
    """

    new: int = 0
    updated: int = 0
    present: int = 0
    skipped: list[FileProblem] = field(default_factory=list)
    unreadable: list[FileProblem] = field(default_factory=list)

    @property
    def files(self) -> int:
        return self.new + self.updated + self.present + len(self.skipped) + len(self.unreadable)

    def __str__(self) -> str:
        parts = [f"{self.new} new", f"{self.present} already present"]
        if self.updated:
            parts.insert(1, f"{self.updated} updated")
        if self.skipped:
            parts.append(f"{len(self.skipped)} skipped")
        parts.append(f"{len(self.unreadable)} unreadable")
        return ", ".join(parts)


# ---------------------------------------------------------------------------------------------
# Opening


@dataclass(frozen=True)
class _Target:
    url: URL
    where: str              # what messages call the store: the file as given, or the URL
    path: Path | None       # the SQLite file; None for a server or an in-memory database


def _mask(text_url: str) -> str:
    """A URL that SQLAlchemy could not parse, with anything like a password hidden."""
    return re.sub(r"(://[^:/@]*):[^@]*@", r"\1:***@", text_url)


def _target(url: str | os.PathLike | None) -> _Target:
    given = os.fspath(url) if url is not None else (os.environ.get(ENV_VAR) or None)
    if given is None or (isinstance(given, str) and "://" not in given):
        path = Path(given) if given else DEFAULT_PATH
        path = path.expanduser()
        return _Target(URL.create("sqlite", database=str(path.absolute())), str(path), path)
    try:
        parsed = make_url(given)
    except ArgumentError:
        raise StoreError(f"{_mask(given)}: not a results store URL; pass an SQLAlchemy URL "
                         "(sqlite:///PATH, postgresql://USER@HOST/DB) or a file path") from None
    backend = parsed.get_backend_name()
    shown = parsed.render_as_string(hide_password=True)
    if backend == "sqlite":
        database = parsed.database
        if not database or database == ":memory:" or parsed.query.get("mode") == "memory":
            return _Target(parsed, shown, None)
        path = Path(database).expanduser()
        return _Target(parsed.set(database=str(path.absolute())), database, path)
    if backend == "postgresql":
        if parsed.drivername == "postgresql":  # SQLAlchemy 2.1 would pick psycopg 3
            parsed = parsed.set(drivername="postgresql+psycopg2")
        return _Target(parsed, shown, None)
    raise StoreError(f"{shown}: the results store is SQLite or PostgreSQL, got {backend}; pass "
                     "sqlite:///PATH, postgresql://USER@HOST/DB or a file path")


def open_store(url: str | os.PathLike | None = None, *, create: bool = True,
               timeout_s: float = DEFAULT_TIMEOUT_S) -> Store:
    """Open the results store.

    Args:
        url: an SQLAlchemy URL (``sqlite:///PATH``, ``postgresql://USER@HOST/DB``) or the path
            of an SQLite file; None: ``$HARNESS_DB``, else ``.harness/history.sqlite`` under the
            current directory.
        create: create the store (its folder, file and tables) when it does not exist; False
            for queries, which fail on a missing store instead of making an empty one.
        timeout_s: how long a writer waits for another writer's lock on an SQLite file (and
            for a PostgreSQL server to answer) before giving up.

    Raises:
        StoreError: the store is missing (with ``create=False``), is not an SQLite database, is
            locked beyond ``timeout_s``, was written by a newer harness, or its server cannot
            be reached; the URL is not one.
    """
    target = _target(url)
    if target.path is not None:
        if not create and not target.path.is_file():
            raise StoreError(f"no results history at {target.where}: {IMPORT_HINT}")
        if create:
            try:
                target.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create the results history at {target.where}: "
                                 f"{exc.strerror or exc}") from None
    store = Store(target, create=create, timeout_s=timeout_s)
    try:
        store._check_schema(create)
    except BaseException:
        store.close()
        raise
    return store


# ---------------------------------------------------------------------------------------------
# The store


class Store:
    """An open results store; use :func:`open_store`. A context manager (closes on exit)."""

    def __init__(self, target: _Target, create: bool, timeout_s: float):
        self._target = target
        self.timeout_s = timeout_s
        self.dialect = target.url.get_backend_name()
        with self._errors():
            self._engine = self._make_engine(create)
        # every write is one BEGIN IMMEDIATE transaction on SQLite (see _make_engine)
        self._writer = self._engine.execution_options(harness_write=True)

    @property
    def where(self) -> str:
        """The store as messages name it: the SQLite file as given, or the URL without its
        password."""
        return self._target.where

    def _make_engine(self, create: bool) -> Engine:
        if self.dialect == "sqlite":
            engine = create_engine(self._target.url, connect_args={"timeout": self.timeout_s})

            @event.listens_for(engine, "connect")
            def _connect(dbapi_connection: Any, _record: Any) -> None:
                # SQLAlchemy's documented recipe: sqlite3 issues no BEGIN of its own (it would
                # begin a deferred transaction only at the first write), the begin event does.
                dbapi_connection.isolation_level = None
                cursor = dbapi_connection.cursor()
                try:
                    cursor.execute("PRAGMA foreign_keys=ON")
                    if create and self._target.path is not None:
                        if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                            cursor.execute("PRAGMA journal_mode=WAL")
                        cursor.execute("PRAGMA synchronous=NORMAL")  # WAL: safe on a crash
                finally:
                    cursor.close()

            @event.listens_for(engine, "begin")
            def _begin(conn: Any) -> None:
                write = conn.get_execution_options().get("harness_write")
                conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

            return engine
        connect_args: dict[str, Any] = {}
        if "connect_timeout" not in self._target.url.query:
            connect_args["connect_timeout"] = max(1, round(self.timeout_s))
        return create_engine(self._target.url, connect_args=connect_args)

    # -- errors -----------------------------------------------------------------------------

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Turn every database and driver error into a one-line :class:`StoreError`."""
        try:
            yield
        except StoreError:
            raise
        except (ModuleNotFoundError, NoSuchModuleError) as exc:
            raise StoreError(f"the results store at {self.where} needs a driver this "
                             f"environment lacks ({exc}): pip install "
                             "'keras-harness[postgres]'") from None
        except (SQLAlchemyError, sqlite3.Error) as exc:
            raise self._error(exc) from None
        except OSError as exc:
            raise StoreError(f"results history at {self.where}: {exc.strerror or exc}") from None

    def _error(self, exc: BaseException) -> StoreError:
        orig = getattr(exc, "orig", None) or exc
        message = " ".join(str(orig).split()) or type(orig).__name__
        low = message.lower()
        if self.dialect == "sqlite":
            if "file is not a database" in low or "malformed" in low:
                return StoreError(f"{self.where} is not an SQLite database (file is corrupt or "
                                  "not a database)")
            if "locked" in low or "busy" in low:
                return StoreError(f"the results history at {self.where} is locked by another "
                                  f"process (waited {self.timeout_s:g} s); try again when it "
                                  "has finished")
            if "unable to open database file" in low:
                return StoreError(f"cannot open the results history at {self.where}: check "
                                  "that its folder exists and can be written")
            if "readonly" in low:
                return StoreError(f"cannot write the results history at {self.where}: the "
                                  "file or its folder is read-only")
            return StoreError(f"results history at {self.where}: {message}")
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
                return StoreError(f"cannot reach the results store at {self.where}: {short}")
        reason = reason.split(" Is the server running")[0]
        if "connection to server" in low or "could not connect" in low:
            return StoreError(f"cannot open the results store at {self.where}: {reason}")
        return StoreError(f"results store at {self.where}: {reason}")

    # -- schema -----------------------------------------------------------------------------

    def _stored_version(self, conn: Any) -> int | None:
        """The store schema written in ``meta``; None when there is no ``meta`` table.

        Raises:
            StoreError: tables of another application, or an unreadable version.
        """
        tables = set(inspect(conn).get_table_names())
        if "meta" not in tables:
            if tables & {"runs", "metrics"}:
                raise StoreError(f"{self.where} has a runs or metrics table but no meta table: "
                                 "it is not a results history of this harness; use another "
                                 "database")
            return None
        value = conn.execute(select(meta.c.value).where(meta.c.key == "schema_version")
                             ).scalar_one_or_none()
        try:
            return int(value)
        except (TypeError, ValueError):
            raise StoreError(f"{self.where}: its meta table holds no readable schema_version "
                             f"(got {value!r}); the store is damaged") from None

    def _check_schema(self, create: bool) -> None:
        with self._errors():
            with self._engine.connect() as conn:
                version = self._stored_version(conn)
            if version is None:
                if not create:
                    raise StoreError(f"no results history at {self.where}: {IMPORT_HINT}")
                with self._writer.begin() as conn:
                    if self.dialect == "postgresql":
                        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                                     {"key": _PG_LOCK_KEY})
                    version = self._stored_version(conn)  # another process may have won
                    if version is None:
                        self._create(conn)
                        version = STORE_SCHEMA_VERSION
            if version > STORE_SCHEMA_VERSION:
                raise StoreError(
                    f"{self.where} was written by a newer harness (store schema {version}, this "
                    f"harness reads up to {STORE_SCHEMA_VERSION}): upgrade keras-harness")
            if version < STORE_SCHEMA_VERSION:
                self._upgrade(version)

    def _create(self, conn: Any) -> None:
        from .. import __version__

        metadata.create_all(conn)
        now = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        conn.execute(insert(meta), [
            {"key": "schema_version", "value": str(STORE_SCHEMA_VERSION)},
            {"key": "created_utc", "value": now},
            {"key": "created_by", "value": f"keras-harness {__version__}"},
        ])

    def _upgrade(self, version: int) -> None:
        with self._writer.begin() as conn:
            for step_from in range(version, STORE_SCHEMA_VERSION):
                step = UPGRADES.get(step_from)
                if step is None:
                    raise StoreError(f"{self.where}: store schema {version} cannot be upgraded "
                                     f"by this harness (it reads {STORE_SCHEMA_VERSION})")
                step(conn)  # type: ignore[operator]
            conn.execute(update(meta).where(meta.c.key == "schema_version")
                         .values(value=str(STORE_SCHEMA_VERSION)))

    @property
    def schema_version(self) -> int:
        """The store schema this store is at (:data:`STORE_SCHEMA_VERSION` once opened)."""
        with self._errors(), self._engine.connect() as conn:
            return self._stored_version(conn) or STORE_SCHEMA_VERSION

    # -- writing ----------------------------------------------------------------------------

    def record(self, document: dict[str, Any], source_path: str | os.PathLike | None = None
               ) -> bool:
        """Store a results document (a run's, a bench's or a gate verdict).

        A run already stored is not stored again; a later stage of the same run (more epochs
        done, or finished after ``running``) replaces the stored one.

        Args:
            document: the document as written to its JSON file (an older results schema is
                upgraded first).
            source_path: the file it was read from, kept with the row.

        Returns:
            True when the document was new to the store, False when it was already there.

        Raises:
            StoreError: the store cannot be written (locked, unreachable, ...), or the document
                is not a results document this harness can read.
        """
        source = None if source_path is None else os.fspath(source_path)
        try:
            return self._record(document, source, checked=False) == "new"
        except DocumentError as exc:
            raise StoreError(f"{source or 'document'}: cannot record it: {exc}") from None

    def _record(self, document: Any, source: str | None, checked: bool) -> str:
        """``new``, ``updated`` or ``present``. Raises DocumentError for a bad document."""
        if not checked:
            document = _checked(document, source)
        rows = rows_of(document, source)
        outcomes = []
        with self._errors(), self._writer.begin() as conn:
            for row in rows:
                outcomes.append(self._put(conn, row))
        return "new" if "new" in outcomes else "updated" if "updated" in outcomes else "present"

    def _insert(self) -> Any:  # the dialect's Insert, which has on_conflict_do_nothing
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as dialect_insert
        else:
            from sqlalchemy.dialects.sqlite import insert as dialect_insert
        return dialect_insert(runs)

    def _put(self, conn: Any, row: RowData) -> str:
        values = {**row.values, "recorded_utc": _utc_now()}
        run_id = values["run_id"]
        done = conn.execute(self._insert().values(**values)
                            .on_conflict_do_nothing(index_elements=["run_id"]))
        if done.rowcount == 1:
            row_id = conn.execute(select(runs.c.id).where(runs.c.run_id == run_id)).scalar_one()
            self._put_metrics(conn, row_id, row.metrics)
            return "new"
        query = select(runs.c.id, runs.c.status, runs.c.epochs_done, runs.c.document_sha256
                       ).where(runs.c.run_id == run_id)
        if self.dialect == "postgresql":
            query = query.with_for_update()
        stored = conn.execute(query).one()
        if (stored.document_sha256 == values["document_sha256"]
                or _stage(values["epochs_done"], values["status"])
                <= _stage(stored.epochs_done, stored.status)):
            return "present"
        conn.execute(update(runs).where(runs.c.id == stored.id)
                     .values({k: v for k, v in values.items() if k != "run_id"}))
        conn.execute(delete(metrics).where(metrics.c.run_row == stored.id))
        self._put_metrics(conn, stored.id, row.metrics)
        return "updated"

    @staticmethod
    def _put_metrics(conn: Any, row_id: int, figures: dict[str, float]) -> None:
        if figures:
            conn.execute(insert(metrics), [{"run_row": row_id, "name": name, "value": value}
                                           for name, value in figures.items()])

    def import_folder(self, path: str | os.PathLike) -> ImportSummary:
        """Record every run file (``runs/*.json``) under ``path``, and every ``results.json``
        that is a complete run or a bench; a bad file is listed with its reason, never stops
        the import.

        Raises:
            UsageError: ``path`` is not a folder or a file.
            StoreError: the store cannot be written (locked, unreachable, ...).
        """
        from ..results import load_results

        root = Path(path)
        if root.is_file():
            files = [root]
        elif root.is_dir():
            files = sorted(root.glob("*.json")) if root.name == "runs" else []
            files += sorted(root.rglob("runs/*.json"))
            files += sorted(root.rglob("results.json"))
        else:
            raise UsageError(f"{root}: no such folder; pass the reports folder (reports/)")
        summary = ImportSummary()
        for file in dict.fromkeys(f for f in files if not f.name.startswith(".")):
            try:
                document = load_results(file)
            except ResultsError as exc:
                summary.unreadable.append(FileProblem(str(file), _reason(exc, file)))
                continue
            is_run_file = file.parent.name == "runs"
            if (not is_run_file and document.get("kind") != BENCH
                    and document.get("status", "complete") != "complete"):
                summary.skipped.append(FileProblem(
                    str(file), f"not a complete run (status {document.get('status')}); its run "
                               "file is imported from runs/"))
                continue
            try:
                outcome = self._record(document, str(file), checked=True)
            except DocumentError as exc:
                summary.unreadable.append(FileProblem(str(file), str(exc)))
                continue
            if outcome == "new":
                summary.new += 1
            elif outcome == "updated":
                summary.updated += 1
            else:
                summary.present += 1
        return summary

    # -- reading ----------------------------------------------------------------------------

    def runs(self, spec_name: str, metric: str | None = None,
             since: _dt.datetime | str | None = None, kind: str | None = None) -> list[RunRow]:
        """The stored runs of a spec, oldest first (by created time, then by when recorded).

        Args:
            metric: only runs that recorded this figure (``best_val_acc``, ``epoch_time_s``);
                its value is each row's ``value``.
            since: only runs created at or after this time (a datetime, naive is UTC, or ISO
                8601 text such as ``2026-11-29`` or ``2026-11-29T16:00:00Z``).
            kind: only runs of this kind (``run``, ``bench``, ``gate``).

        Raises:
            UsageError: ``since`` is not a time.
            StoreError: the store cannot be read.
        """
        where = [runs.c.spec_name == spec_name]
        if since is not None:
            when = parse_utc(since)
            if when is None:
                raise UsageError(f"since: not a time, got {since!r}; pass an ISO 8601 time "
                                 "such as 2026-11-29 or 2026-11-29T16:00:00Z")
            where.append(runs.c.created_utc >= when)
        if kind is not None:
            where.append(runs.c.kind == kind)
        query = select(*(runs.c[name] for name in _ROW_COLUMNS), runs.c.id)
        if metric is not None:
            query = query.add_columns(metrics.c.value).join(
                metrics, and_(metrics.c.run_row == runs.c.id, metrics.c.name == metric))
        query = query.where(*where).order_by(runs.c.created_utc, runs.c.id)
        figures_query = (select(metrics.c.run_row, metrics.c.name, metrics.c.value)
                         .join(runs, runs.c.id == metrics.c.run_row).where(*where))
        with self._errors(), self._engine.connect() as conn:
            rows = conn.execute(query).all()
            figures: dict[int, dict[str, float]] = {}
            for run_row, name, value in conn.execute(figures_query):
                figures.setdefault(run_row, {})[name] = value
        found = []
        for row in rows:
            data = row._mapping
            fields = {name: data[name] for name in _ROW_COLUMNS}
            fields["created_utc"] = _aware(fields["created_utc"])
            found.append(RunRow(**fields, value=data["value"] if metric is not None else None,
                                metrics=figures.get(data["id"], {})))
        return found

    def specs(self, kind: str | None = None) -> list[SpecSummary]:
        """Every spec with stored runs (of ``kind`` when given), by name."""
        query = select(runs.c.spec_name, func.count(), func.min(runs.c.created_utc),
                       func.max(runs.c.created_utc)).group_by(runs.c.spec_name
                                                              ).order_by(runs.c.spec_name)
        if kind is not None:
            query = query.where(runs.c.kind == kind)
        with self._errors(), self._engine.connect() as conn:
            return [SpecSummary(name, count, _aware(first), _aware(last))
                    for name, count, first, last in conn.execute(query)]

    def metric_names(self, spec_name: str) -> list[str]:
        """The figures stored for a spec's runs, by name."""
        query = (select(metrics.c.name).distinct().join(runs, runs.c.id == metrics.c.run_row)
                 .where(runs.c.spec_name == spec_name).order_by(metrics.c.name))
        with self._errors(), self._engine.connect() as conn:
            return list(conn.execute(query).scalars())

    def document(self, run_id: str) -> dict[str, Any] | None:
        """The stored document of a run (a bench or gate row: its part of the document)."""
        query = select(runs.c.document).where(runs.c.run_id == run_id)
        with self._errors(), self._engine.connect() as conn:
            found = conn.execute(query).scalar_one_or_none()
        return None if found is None else json.loads(found)

    # -- lifetime ---------------------------------------------------------------------------

    def close(self) -> None:
        """Close every connection of the store (idempotent)."""
        engine = getattr(self, "_engine", None)
        if engine is not None:
            engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Store {self.where}>"


# ---------------------------------------------------------------------------------------------
# Helpers


def _checked(document: Any, source: str | None) -> dict[str, Any]:
    """A results document upgraded to this harness's results schema and type-checked.

    Raises:
        DocumentError: it is not a results document, is of a newer schema, or a field has
            the wrong type.
    """
    from ..results import SCHEMA_VERSION, check_results, upgrade

    if not isinstance(document, dict):
        raise DocumentError(f"not a results document (a JSON {type(document).__name__})")
    if kind_of(document) == GATE:
        return document
    version = document.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        raise DocumentError(f"not a harness results document (schema_version {version!r})")
    if version > SCHEMA_VERSION:
        raise DocumentError(f"written with results schema {version}, this harness reads up to "
                            f"{SCHEMA_VERSION}; upgrade keras-harness to record it")
    try:
        document = upgrade(document)
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise DocumentError(f"cannot upgrade it from results schema {version} ({exc})") from None
    try:
        check_results(document, source or "document")
    except ResultsError as exc:
        raise DocumentError(_reason(exc, source or "document")) from None
    return document


def _reason(exc: Exception, path: str | os.PathLike) -> str:
    """An error's message without the leading ``PATH: `` (the summary names the file)."""
    message = " ".join(str(exc).split())
    prefix = f"{path}: "
    return message[len(prefix):] if message.startswith(prefix) else message


def _stage(epochs_done: int | None, status: str | None) -> tuple[int, bool]:
    return (epochs_done or 0, status != _RUNNING)


def _utc_now() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc).replace(tzinfo=None)


def _aware(value: _dt.datetime) -> _dt.datetime:
    return value.replace(tzinfo=_dt.timezone.utc) if value.tzinfo is None else value


__all__ = ["DEFAULT_PATH", "DEFAULT_TIMEOUT_S", "ENV_VAR", "FileProblem", "ImportSummary",
           "RunRow", "SpecSummary", "Store", "StoreError", "open_store"]
