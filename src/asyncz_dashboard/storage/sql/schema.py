"""The tables (all named ``asyncz_dashboard_*``) and their versioned, forward-only migrations.

``asyncz_dashboard_schema`` holds one row with the version applied. ``migrate`` applies the
missing migrations in order, each in its own transaction, under a lock (PostgreSQL advisory
lock, SQLite ``BEGIN IMMEDIATE``) so that processes starting at once do not race.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    DateTime,
    Dialect,
    Engine,
    Float,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    TypeDecorator,
    inspect,
    select,
    text,
)

from .engine import IMMEDIATE, WRITE_TIMEOUT, bounded_transaction

PREFIX = "asyncz_dashboard_"
_ADVISORY_LOCK = zlib.crc32(b"asyncz_dashboard_schema")  # one key per database


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out (naive values are taken as UTC).

    PostgreSQL stores ``timestamptz``; SQLite stores the UTC wall time as sortable text.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Normalise to UTC; drop the zone for SQLite, which would otherwise keep local text."""
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        """Attach or convert to UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)  # type: ignore[no-any-return]
        return value.astimezone(timezone.utc)  # type: ignore[no-any-return]


_Id = BigInteger().with_variant(Integer, "sqlite")  # SQLite: INTEGER PRIMARY KEY is the rowid


def _index(table: str, *columns: str) -> Index:
    return Index(f"ix_{PREFIX}{table}_{'_'.join(columns)}", *columns)


def define_tables(metadata: MetaData) -> dict[str, Table]:
    """The tables as migration 1 creates them (later migrations add only indexes so far)."""
    runs = Table(
        f"{PREFIX}runs",
        metadata,
        Column("run_id", Text, primary_key=True),
        Column("task_id", Text, nullable=False),
        Column("task_name", Text, nullable=False),
        Column("callable", Text, nullable=False),
        Column("store", Text, nullable=False),
        Column("executor", Text, nullable=False),
        Column("scheduler", Text, nullable=False),
        Column("scheduled_run_time", UtcDateTime),
        Column("source", Text, nullable=False),
        Column("status", Text, nullable=False),
        Column("submitted_at", UtcDateTime),
        Column("finished_at", UtcDateTime),
        Column("duration", Float),
        Column("return_value", Text, nullable=False),
        Column("exception_type", Text, nullable=False),
        Column("exception_message", Text, nullable=False),
        Column("traceback", Text, nullable=False),
        # The sort key: submitted_at, or when the run was first saved if it has none.
        Column("ordered_at", UtcDateTime, nullable=False),
        # run_id last: the order's tie-breaker, so the index alone gives the order.
        _index("runs", "ordered_at", "run_id"),
        _index("runs", "task_id", "ordered_at", "run_id"),
        _index("runs", "status", "ordered_at", "run_id"),
        _index("runs", "source", "ordered_at", "run_id"),
    )
    logs = Table(
        f"{PREFIX}logs",
        metadata,
        Column("id", _Id, primary_key=True, autoincrement=True),
        Column("created", UtcDateTime, nullable=False),
        Column("level", Text, nullable=False),
        Column("levelno", Integer, nullable=False),
        Column("logger", Text, nullable=False),
        Column("message", Text, nullable=False),
        Column("task_id", Text, nullable=False),
        Column("run_id", Text, nullable=False),
        Column("exception", Text, nullable=False),
        _index("logs", "created"),
        _index("logs", "task_id", "created"),
        _index("logs", "run_id", "created"),
        _index("logs", "levelno", "created"),
    )
    events = Table(
        f"{PREFIX}events",
        metadata,
        Column("id", _Id, primary_key=True, autoincrement=True),
        Column("created", UtcDateTime, nullable=False),
        Column("code", Integer, nullable=False),
        Column("name", Text, nullable=False),
        Column("task_id", Text, nullable=False),
        Column("store", Text, nullable=False),
        Column("detail", Text, nullable=False),
        _index("events", "created"),
        _index("events", "task_id", "created"),
        _index("events", "name", "created"),
    )
    audit = Table(
        f"{PREFIX}audit",
        metadata,
        Column("id", _Id, primary_key=True, autoincrement=True),
        Column("created", UtcDateTime, nullable=False),
        Column("user", Text, nullable=False),
        Column("action", Text, nullable=False),
        Column("target", Text, nullable=False),
        Column("outcome", Text, nullable=False),
        Column("message", Text, nullable=False),
        Column("changes", Text, nullable=False),  # JSON object of field -> [old, new]
        _index("audit", "created"),
        _index("audit", "user", "created"),
        _index("audit", "action", "created"),
    )
    return {"runs": runs, "logs": logs, "events": events, "audit": audit}


def define_revoked_sessions(metadata: MetaData) -> Table:
    """Sessions ended by logout (migration 3), read by every process sharing the database.
    ``revoked_at`` comes from the database's clock, so processes on machines whose clocks
    differ read the same order."""
    return Table(
        f"{PREFIX}revoked_sessions",
        metadata,
        Column("session_id", Text, primary_key=True),
        Column("expires_at", UtcDateTime, nullable=False),
        Column("revoked_at", UtcDateTime, nullable=False),
        _index("revoked_sessions", "revoked_at"),
        _index("revoked_sessions", "expires_at"),
    )


def define_fleet_tables(metadata: MetaData) -> dict[str, Table]:
    """The fleet's tables (migration 4): the workers' instances, their mirrored task snapshots
    (a change feed ordered by ``version``, from the one-row ``fleet_version`` counter, whose row
    lock makes versions commit in order) and the commands addressed to them."""
    instances = Table(
        f"{PREFIX}instances",
        metadata,
        Column("id", Text, primary_key=True),
        Column("name", Text, nullable=False),
        Column("host", Text, nullable=False),
        Column("pid", Integer, nullable=False),
        Column("started_at", UtcDateTime, nullable=False),
        Column("heartbeat_at", UtcDateTime, nullable=False),
        Column("heartbeat_seconds", Float, nullable=False),
        Column("stopped_at", UtcDateTime),
        Column("state", Text, nullable=False),  # running | paused | stopped (the scheduler's)
        Column("timezone", Text, nullable=False),
        Column("versions", Text, nullable=False),  # JSON object: package -> version
        Column("scheduler_class", Text, nullable=False),
        Column("detail", Text, nullable=False),  # JSON object: executors, stores
    )
    tasks = Table(
        f"{PREFIX}fleet_tasks",
        metadata,
        Column("instance_id", Text, primary_key=True),
        Column("task_id", Text, primary_key=True),
        Column("snapshot", Text, nullable=False),  # TaskSnapshot.to_json()
        Column("version", BigInteger, nullable=False),
        Column("removed", Integer, nullable=False),  # 1: the task is gone (a tombstone)
        Column("updated_at", UtcDateTime, nullable=False),
        _index("fleet_tasks", "version"),
    )
    counter = Table(
        f"{PREFIX}fleet_version",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("value", BigInteger, nullable=False),
    )
    commands = Table(
        f"{PREFIX}commands",
        metadata,
        Column("id", _Id, primary_key=True, autoincrement=True),
        Column("instance_id", Text, nullable=False),
        Column("verb", Text, nullable=False),
        Column("task_id", Text, nullable=False),
        Column("requested_by", Text, nullable=False),
        Column("requested_at", UtcDateTime, nullable=False),
        Column("status", Text, nullable=False),  # pending | claimed | done | failed
        Column("claimed_at", UtcDateTime),
        Column("finished_at", UtcDateTime),
        Column("message", Text, nullable=False),
        _index("commands", "instance_id", "status"),
        _index("commands", "status", "requested_at"),
    )
    return {
        "instances": instances,
        "fleet_tasks": tasks,
        "fleet_version": counter,
        "commands": commands,
    }


CHANGE_KINDS = ("runs", "logs", "events", "audit")


def define_changes(metadata: MetaData) -> Table:
    """One change counter per kind of record (migration 5), raised in the transaction of every
    write of that kind, so another process sharing the database can tell cheaply, and only
    once the write is committed, that its pages may be stale."""
    return Table(
        f"{PREFIX}changes",
        metadata,
        Column("kind", Text, primary_key=True),
        Column("value", BigInteger, nullable=False),
    )


def define_submissions(metadata: MetaData) -> Table:
    """Single-use submission ids shared by every web process (migration 5): a row is claimed
    by the first process a form's POST reaches; ``outcome`` (JSON) is its answer for repeats."""
    return Table(
        f"{PREFIX}submissions",
        metadata,
        Column("key", Text, primary_key=True),
        Column("expires_at", UtcDateTime, nullable=False),
        Column("outcome", Text),  # NULL while the first submission acts
        _index("submissions", "expires_at"),
    )


METADATA = MetaData()
TABLES = define_tables(METADATA)
TABLES["revoked_sessions"] = define_revoked_sessions(METADATA)
TABLES.update(define_fleet_tables(METADATA))
TABLES["changes"] = define_changes(METADATA)
TABLES["submissions"] = define_submissions(METADATA)
# Migration 6's columns of the commands table: a create or edit command's values (JSON), and
# the audit entry recording the command while its outcome is awaited (``audit_store`` names
# the audit storage holding entry ``audit_id``; "" once the entry shows the outcome).
COMMAND_COLUMNS = (
    ("payload", Text, "TEXT NOT NULL DEFAULT ''"),
    ("audit_store", Text, "TEXT NOT NULL DEFAULT ''"),
    ("audit_id", BigInteger, "BIGINT"),
)
for _name, _kind, _ddl in COMMAND_COLUMNS:
    _nullable = _name == "audit_id"
    TABLES["commands"].append_column(
        Column(_name, _kind, nullable=_nullable, default=None if _nullable else "")
    )
SCHEMA = Table(f"{PREFIX}schema", MetaData(), Column("version", Integer, nullable=False))


def _migration_1(conn: Connection) -> None:
    """The first schema: runs, logs, events and audit with the indexes for their filters."""
    metadata = MetaData()
    define_tables(metadata)
    metadata.create_all(conn)


def _migration_2(conn: Connection) -> None:
    """Indexes for looking runs up by exception type and logs by logger."""
    conn.execute(
        text(
            f"CREATE INDEX IF NOT EXISTS ix_{PREFIX}runs_exception_type ON {PREFIX}runs "
            "(exception_type, ordered_at)"
        )
    )
    conn.execute(
        text(
            f"CREATE INDEX IF NOT EXISTS ix_{PREFIX}logs_logger_created ON {PREFIX}logs "
            "(logger, created)"
        )
    )


def _migration_3(conn: Connection) -> None:
    """The revoked sessions table, so that a logout holds in every process."""
    define_revoked_sessions(MetaData()).create(conn, checkfirst=True)


def _migration_4(conn: Connection) -> None:
    """The fleet tables: instances, mirrored task snapshots, their version counter, commands."""
    metadata = MetaData()
    define_fleet_tables(metadata)
    metadata.create_all(conn)
    counter = metadata.tables[f"{PREFIX}fleet_version"]
    if conn.execute(select(counter.c.value)).first() is None:
        conn.execute(counter.insert().values(id=1, value=0))


def _migration_5(conn: Connection) -> None:
    """The change counters of runs, logs, events and audit (see ``define_changes``), and the
    shared submission ids (``define_submissions``)."""
    define_submissions(MetaData()).create(conn, checkfirst=True)
    table = define_changes(MetaData())
    table.create(conn, checkfirst=True)
    present = set(conn.execute(select(table.c.kind)).scalars())
    for kind in CHANGE_KINDS:
        if kind not in present:
            conn.execute(table.insert().values(kind=kind, value=0))


def _migration_6(conn: Connection) -> None:
    """Commands carry a payload (create and edit) and a link to their audit entry."""
    table = f"{PREFIX}commands"
    present = {column["name"] for column in inspect(conn).get_columns(table)}
    for name, _, ddl in COMMAND_COLUMNS:
        if name not in present:
            conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {name} {ddl}"))
    conn.execute(
        text(f"CREATE INDEX IF NOT EXISTS ix_{table}_audit_store ON {table} (audit_store)")
    )


def _migration_7(conn: Connection) -> None:
    """An index of runs by the time they finished: what a fleet dashboard follows."""
    conn.execute(
        text(
            f"CREATE INDEX IF NOT EXISTS ix_{PREFIX}runs_finished_at_run_id ON {PREFIX}runs "
            "(finished_at, run_id)"
        )
    )


# Forward migrations; entry N-1 upgrades version N-1 to N. Never edit one that has shipped:
# append a new one (explicit DDL, since the table definitions above are migration 1's). Each must
# be idempotent (IF NOT EXISTS, checkfirst): ``migrate(repair=True)`` runs them again.
MIGRATIONS: tuple[Callable[[Connection], None], ...] = (
    _migration_1,
    _migration_2,
    _migration_3,
    _migration_4,
    _migration_5,
    _migration_6,
    _migration_7,
)
LATEST_VERSION = len(MIGRATIONS)


def _locked_version(conn: Connection) -> int:
    """Take the schema lock for this transaction and read the version (0 for a new database)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK})
    SCHEMA.create(conn, checkfirst=True)
    version = conn.execute(select(SCHEMA.c.version)).scalar()
    if version is None:
        conn.execute(SCHEMA.insert().values(version=0))
        return 0
    return int(version)


def migrate(engine: Engine, target: int = LATEST_VERSION, *, repair: bool = False) -> int:
    """Apply the migrations up to ``target``, one transaction each; returns the version.

    A database already at or past ``target`` (a newer dashboard ran) is left as it is. Each
    statement may wait up to ``WRITE_TIMEOUT`` (another process migrating holds the lock).
    ``repair`` first runs the applied migrations again, in one transaction: it restores tables
    dropped while the recorded version stayed (a partly emptied database).
    """
    while True:
        with engine.connect() as conn:
            conn.execution_options(**{IMMEDIATE: True})
            with bounded_transaction(conn, WRITE_TIMEOUT):
                version = _locked_version(conn)
                if repair and version <= LATEST_VERSION:
                    for applied in MIGRATIONS[:version]:
                        applied(conn)
                repair = False
                if version >= target:
                    return version
                MIGRATIONS[version](conn)
                conn.execute(SCHEMA.update().values(version=version + 1))


def schema_version(engine: Engine) -> int:
    """The version recorded in the database (0 when it has no schema yet)."""
    with engine.connect() as conn:
        if not engine.dialect.has_table(conn, SCHEMA.name):
            return 0
        return int(conn.execute(select(SCHEMA.c.version)).scalar() or 0)
