"""The tables of the results store, in SQLAlchemy Core.

Core rather than the ORM: the store appends rows with one idempotent statement per run
(``INSERT ... ON CONFLICT DO NOTHING``, a dialect's Core construct) from several processes at
once, and reads them back with a few filtered queries into frozen dataclasses
(:class:`harness.history.rows.RunRow`). A session, identity map and mapped classes would add a
second model of the same rows and state to keep in step, and buy nothing here.

Store schema history (:data:`STORE_SCHEMA_VERSION`, kept in ``meta``; an older store is
upgraded on open by :data:`UPGRADES` (:func:`upgrade_tables`), a newer one refused):
    1: ``meta``, ``runs`` (one row per run, keyed by the document's run id), ``metrics``
       (one row per figure of a run).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    insert,
    inspect,
    select,
    update,
)

from ..errors import StoreError

STORE_SCHEMA_VERSION = 1

# store schema -> the step that brings a store of that schema to the next one (in the
# transaction of the connection it is given); empty until schema 2 exists.
UPGRADES: dict[int, Callable[[Connection], None]] = {}

metadata = MetaData()

meta = Table(
    "meta", metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

runs = Table(
    "runs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # The run id of the document (``20261129T160144Z-037847``); a bench row's is the bench's id
    # with its spec, device and mode. Unique: a run file recorded twice is one row.
    Column("run_id", String(255), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),            # run, bench, gate
    Column("spec_name", String(255), nullable=False),
    Column("spec_hash", String(64)),
    # The schedule (harness.comparable.identity): its name (ci, spec, custom; bench) and parts.
    Column("schedule", String(32)),
    Column("epochs", Integer),
    Column("batch_size", Integer),
    Column("train_samples", Integer),                      # requested; None: all
    Column("test_samples", Integer),
    Column("validation_split", Float),
    Column("schedule_key", Text),                          # canonical JSON, for equality
    Column("data_checksum", String(64)),
    Column("git_commit", String(64)),
    Column("git_branch", String(255)),
    Column("git_dirty", Boolean),
    # The machine fingerprint: harness.comparable.device_of (CPU model and cores, or GPUs).
    Column("machine", String(255)),
    Column("host", String(255)),
    Column("cpu_model", String(255)),
    Column("cpu_cores", Integer),
    Column("gpus", String(255)),
    Column("device", String(16)),                          # cpu, gpu, auto
    Column("mode", String(16)),                            # xla, default
    Column("deterministic", Boolean),
    Column("tensorflow", String(32)),
    Column("keras", String(32)),
    Column("harness_version", String(32)),
    Column("created_utc", DateTime, nullable=False),       # naive, UTC
    Column("status", String(32)),
    Column("seed", Integer),
    Column("epochs_done", Integer),
    Column("source_path", Text),
    Column("recorded_utc", DateTime, nullable=False),
    Column("document_sha256", String(64), nullable=False),
    Column("document", Text, nullable=False),              # the whole document, JSON
    Index("ix_runs_spec_created", "spec_name", "created_utc"),
)

metrics = Table(
    "metrics", metadata,
    Column("run_row", Integer, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("name", String(128), primary_key=True),
    Column("value", Float, nullable=False),
    # (spec name, metric) queries go through ix_runs_spec_created, then this table's primary
    # key (run_row, name); a metric across every spec goes through this one.
    Index("ix_metrics_name", "name", "run_row"),
)



# ---------------------------------------------------------------------------------------------
# The store schema a database is at


def stored_version(conn: Connection, where: str) -> int | None:
    """The store schema written in ``meta``; None when there is no ``meta`` table.

    Raises:
        StoreError: tables of another application, or an unreadable version.
    """
    tables = set(inspect(conn).get_table_names())
    if "meta" not in tables:
        if tables & {"runs", "metrics"}:
            raise StoreError(f"{where} has a runs or metrics table but no meta table: "
                             "it is not a results history of this harness; use another "
                             "database")
        return None
    value = conn.execute(select(meta.c.value).where(meta.c.key == "schema_version")
                         ).scalar_one_or_none()
    if value is not None:
        try:
            return int(value)
        except (TypeError, ValueError):
            pass
    raise StoreError(f"{where}: its meta table holds no readable schema_version "
                     f"(got {value!r}); the store is damaged")


def create_tables(conn: Connection) -> None:
    """Create the tables of :data:`STORE_SCHEMA_VERSION` and record it in ``meta``."""
    from .. import __version__

    metadata.create_all(conn)
    now = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    conn.execute(insert(meta), [
        {"key": "schema_version", "value": str(STORE_SCHEMA_VERSION)},
        {"key": "created_utc", "value": now},
        {"key": "created_by", "value": f"keras-harness {__version__}"},
    ])


def upgrade_tables(conn: Connection, version: int, where: str) -> None:
    """Bring a store of schema ``version`` to :data:`STORE_SCHEMA_VERSION`, step by step.

    Raises:
        StoreError: no step from one of the versions on the way.
    """
    for step_from in range(version, STORE_SCHEMA_VERSION):
        step = UPGRADES.get(step_from)
        if step is None:
            raise StoreError(f"{where}: store schema {version} cannot be upgraded "
                             f"by this harness (it reads {STORE_SCHEMA_VERSION})")
        step(conn)
    conn.execute(update(meta).where(meta.c.key == "schema_version")
                 .values(value=str(STORE_SCHEMA_VERSION)))


__all__ = ["STORE_SCHEMA_VERSION", "UPGRADES", "create_tables", "meta", "metadata", "metrics",
           "runs", "stored_version", "upgrade_tables"]
