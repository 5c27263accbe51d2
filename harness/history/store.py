"""The results store: every run, bench and gate verdict in one database, queryable by spec and
metric without reading JSON.

``open_store()`` opens (or creates) the store at an SQLAlchemy URL: by default ``$HARNESS_DB``,
else the SQLite file ``.harness/history.sqlite`` under the current directory; a plain path is an
SQLite file there; ``postgresql://user@host/db`` is a PostgreSQL server (through psycopg2, the
``postgres`` extra). Where it is: :mod:`.location`; its engine and errors: :mod:`.engine`; its
tables and their schema version: :mod:`.schema`; its rows as values: :mod:`.rows`.

Several processes may write one SQLite file at once (WAL mode, one ``BEGIN IMMEDIATE``
transaction per write; a writer waits up to ``timeout_s`` for the lock before giving up with
:class:`StoreError`). A run recorded twice is one row (``runs.run_id`` is unique; ``INSERT ...
ON CONFLICT DO NOTHING``).

Every problem of the store itself (missing, corrupt, locked, newer, unreachable) is a one-line
:class:`StoreError`, so that a ``harness run`` that also records can catch it and go on.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, and_, delete, func, insert, select, text, update

from ..errors import ResultsError, StoreError, UsageError
from .documents import BENCH, DocumentError, RowData, parse_utc, rows_of
from .engine import WRITE_OPTION, make_engine, store_errors
from .intake import checked_document, files_to_import, stage, without_path
from .location import (
    DEFAULT_PATH,
    DEFAULT_TIMEOUT_S,
    ENV_VAR,
    IMPORT_HINT,
    StoreTarget,
    store_target,
)
from .rows import ROW_COLUMNS, FileProblem, ImportSummary, RunRow, SpecSummary
from .schema import (
    STORE_SCHEMA_VERSION,
    create_tables,
    metrics,
    runs,
    stored_version,
    upgrade_tables,
)

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy.dialects.postgresql import Insert as PostgresInsert
    from sqlalchemy.dialects.sqlite import Insert as SqliteInsert

PG_LOCK_KEY = 0x6B68_6973  # pg_advisory_xact_lock key serializing schema creation


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
    target = store_target(url)
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
        store.check_schema(create)
    except BaseException:
        store.close()
        raise
    return store


class Store:
    """An open results store; use :func:`open_store`. A context manager (closes on exit)."""

    def __init__(self, target: StoreTarget, create: bool, timeout_s: float):
        self.target = target
        self.timeout_s = timeout_s
        self.dialect = target.url.get_backend_name()
        with self._errors():
            self._engine = make_engine(target, create, timeout_s)
        # every write is one BEGIN IMMEDIATE transaction on SQLite (see engine.make_engine)
        self._writer = self._engine.execution_options(**{WRITE_OPTION: True})

    @property
    def where(self) -> str:
        """The store as messages name it: the SQLite file as given, or the URL without its
        password."""
        return self.target.where

    def _errors(self) -> AbstractContextManager[None]:
        """Database and driver errors inside the block as one-line :class:`StoreError`."""
        return store_errors(self.where, self.dialect, self.timeout_s)

    # -- schema -----------------------------------------------------------------------------

    def check_schema(self, create: bool) -> None:
        """Make sure the store is at this harness's store schema: create its tables (with
        ``create``), upgrade an older one.

        Raises:
            StoreError: no store (without ``create``), a store of a newer harness, or tables
                of another application.
        """
        with self._errors():
            with self._engine.connect() as conn:
                version = stored_version(conn, self.where)
            if version is None:
                if not create:
                    raise StoreError(f"no results history at {self.where}: {IMPORT_HINT}")
                with self._writer.begin() as conn:
                    if self.dialect == "postgresql":
                        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                                     {"key": PG_LOCK_KEY})
                    version = stored_version(conn, self.where)  # another process may have won
                    if version is None:
                        create_tables(conn)
                        version = STORE_SCHEMA_VERSION
            if version > STORE_SCHEMA_VERSION:
                raise StoreError(
                    f"{self.where} was written by a newer harness (store schema {version}, this "
                    f"harness reads up to {STORE_SCHEMA_VERSION}): upgrade keras-harness")
            if version < STORE_SCHEMA_VERSION:
                with self._writer.begin() as conn:
                    upgrade_tables(conn, version, self.where)

    @property
    def schema_version(self) -> int:
        """The store schema this store is at (:data:`STORE_SCHEMA_VERSION` once opened)."""
        with self._errors(), self._engine.connect() as conn:
            return stored_version(conn, self.where) or STORE_SCHEMA_VERSION

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
            document = checked_document(document, source)
        rows = rows_of(document, source)
        outcomes = []
        with self._errors(), self._writer.begin() as conn:
            for row in rows:
                outcomes.append(self._put(conn, row))
        return "new" if "new" in outcomes else "updated" if "updated" in outcomes else "present"

    def _insert(self) -> PostgresInsert | SqliteInsert:
        """The dialect's INSERT into ``runs``, which has ``on_conflict_do_nothing``."""
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as postgres_insert

            return postgres_insert(runs)
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(runs)

    def _put(self, conn: Connection, row: RowData) -> str:
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
                or stage(values["epochs_done"], values["status"])
                <= stage(stored.epochs_done, stored.status)):
            return "present"
        conn.execute(update(runs).where(runs.c.id == stored.id)
                     .values({k: v for k, v in values.items() if k != "run_id"}))
        conn.execute(delete(metrics).where(metrics.c.run_row == stored.id))
        self._put_metrics(conn, stored.id, row.metrics)
        return "updated"

    @staticmethod
    def _put_metrics(conn: Connection, row_id: int, figures: dict[str, float]) -> None:
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

        summary = ImportSummary()
        for file in files_to_import(path):
            try:
                document = load_results(file)
            except ResultsError as exc:
                summary.unreadable.append(FileProblem(str(file), without_path(exc, file)))
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
        query = select(*(runs.c[name] for name in ROW_COLUMNS), runs.c.id)
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
            fields = {name: data[name] for name in ROW_COLUMNS}
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


def _utc_now() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc).replace(tzinfo=None)


def _aware(value: _dt.datetime) -> _dt.datetime:
    return value.replace(tzinfo=_dt.timezone.utc) if value.tzinfo is None else value


# FileProblem ... ENV_VAR are the rows' and the location's: importable from here as before.
__all__ = ["DEFAULT_PATH", "DEFAULT_TIMEOUT_S", "ENV_VAR", "FileProblem", "ImportSummary",
           "RunRow", "SpecSummary", "Store", "StoreError", "open_store"]
