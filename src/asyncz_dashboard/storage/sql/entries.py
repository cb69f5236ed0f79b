"""Append-only SQL storages: log records, scheduler events, audit entries."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, Table, delete, insert, select, update

from ..base import (
    AUDIT_FIELDS_DISTINCT,
    AUDIT_RETENTION,
    DISTINCT_LIMIT,
    EVENT_FIELDS_DISTINCT,
    EVENT_RETENTION,
    LOG_RETENTION,
    AuditEntry,
    AuditFilter,
    EventEntry,
    EventFilter,
    LogEntry,
    LogFilter,
    Retention,
    check_distinct_field,
)
from .engine import Database
from .query import (
    clamp,
    clean_text,
    contains_exact,
    contains_folded,
    distinct_statement,
    level_number,
)
from .schema import TABLES


class _SqlEntries:
    """Shared by the append-only kinds: insert, newest-first select, retention by age and
    count (rows beyond ``max_rows`` go oldest-inserted first, as in memory)."""

    table: Table
    kind: str  # the change counter its writes raise

    def __init__(self, database: Database, retention: Retention) -> None:
        self.database = database
        self.retention = retention
        self.readers = database.readers  # where the views run this storage's reads
        self.changes = database.changes  # moves when any process commits a write

    def _clean(self, row: dict[str, Any]) -> dict[str, Any]:
        if not self.database.is_postgresql:
            return row
        return {k: clean_text(v, True) if isinstance(v, str) else v for k, v in row.items()}

    def _insert(self, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        rows = [self._clean(row) for row in rows]
        self.database.write(lambda conn: conn.execute(insert(self.table), rows), self.kind)

    def _select(self, where: list[ColumnElement[bool]], limit: int) -> list[dict[str, Any]]:
        table = self.table
        stmt: Select[Any] = (
            select(table)
            .where(*where)
            .order_by(table.c.created.desc(), table.c.id.desc())
            .limit(clamp(limit))
        )
        names = [column.name for column in table.columns]
        rows = self.database.read(lambda conn: conn.execute(stmt).all())
        return [dict(zip(names, row, strict=True)) for row in rows]

    def _distinct(self, field: str, allowed: tuple[str, ...], limit: int) -> list[str]:
        check_distinct_field(field, allowed)
        stmt = distinct_statement(self.table, field, limit)
        return [str(v) for v in self.database.read(lambda conn: conn.execute(stmt).scalars().all())]

    def prune(self) -> int:
        """Delete entries older than ``max_age``, then all but the last ``max_rows`` added."""
        return self.database.write(self._prune, self.kind)

    def _prune(self, conn: Connection) -> int:
        table = self.table
        cutoff = datetime.now(timezone.utc) - timedelta(seconds=self.retention.max_age)
        removed = conn.execute(delete(table).where(table.c.created < cutoff)).rowcount
        boundary = conn.execute(
            select(table.c.id)
            .order_by(table.c.id.desc())
            .offset(max(0, self.retention.max_rows))
            .limit(1)
        ).scalar()
        if boundary is not None:
            removed += conn.execute(delete(table).where(table.c.id <= boundary)).rowcount
        return int(removed)


LOGS = TABLES["logs"]


class SqlLogStorage(_SqlEntries):
    """Log records in SQL (default retention 7 days, 1,000,000 records)."""

    table = LOGS
    kind = "logs"

    def __init__(self, database: Database, retention: Retention = LOG_RETENTION) -> None:
        super().__init__(database, retention)

    def add(self, entries: list[LogEntry]) -> None:
        """Append records; ids are assigned by the database."""
        self._insert(
            [
                {
                    "created": e.created,
                    "level": e.level,
                    "levelno": e.levelno,
                    "logger": e.logger,
                    "message": e.message,
                    "task_id": e.task_id,
                    "run_id": e.run_id,
                    "exception": e.exception,
                }
                for e in entries
            ]
        )

    def query(self, flt: LogFilter) -> list[LogEntry]:
        """Newest first, filtered, at most ``flt.limit`` (capped at ``MAX_LIMIT``)."""
        where: list[ColumnElement[bool]] = []
        if flt.task_id:
            where.append(LOGS.c.task_id == flt.task_id)
        if flt.run_id:
            where.append(LOGS.c.run_id == flt.run_id)
        if minimum := level_number(flt.level):
            where.append(LOGS.c.levelno >= minimum)
        if flt.since is not None:
            where.append(LOGS.c.created >= flt.since)
        if flt.until is not None:
            where.append(LOGS.c.created <= flt.until)
        if flt.q:
            where.append(contains_folded(LOGS.c.message, flt.q, self.database.dialect))
        return [LogEntry(**row) for row in self._select(where, flt.limit)]


EVENTS = TABLES["events"]


class SqlEventStorage(_SqlEntries):
    """Scheduler events in SQL (default retention 7 days, 200,000 events)."""

    table = EVENTS
    kind = "events"

    def __init__(self, database: Database, retention: Retention = EVENT_RETENTION) -> None:
        super().__init__(database, retention)

    def add(self, entries: list[EventEntry]) -> None:
        """Append events."""
        self._insert(
            [
                {
                    "created": e.created,
                    "code": e.code,
                    "name": e.name,
                    "task_id": e.task_id,
                    "store": e.store,
                    "detail": e.detail,
                }
                for e in entries
            ]
        )

    def query(self, flt: EventFilter) -> list[EventEntry]:
        """Newest first; ``name`` and ``task_id`` match exactly."""
        where: list[ColumnElement[bool]] = []
        if flt.name:
            where.append(EVENTS.c.name == flt.name)
        if flt.task_id:
            where.append(EVENTS.c.task_id == flt.task_id)
        return [EventEntry(**row) for row in self._select(where, flt.limit)]

    def distinct(self, field: str, limit: int = DISTINCT_LIMIT) -> list[str]:
        """The distinct values of ``field`` (``name`` or ``task_id``), sorted, from its index.

        Raises:
            ValueError: another field.
        """
        return self._distinct(field, EVENT_FIELDS_DISTINCT, limit)


AUDIT = TABLES["audit"]


class SqlAuditStorage(_SqlEntries):
    """Dashboard actions in SQL (default retention 365 days, 100,000 entries)."""

    table = AUDIT
    kind = "audit"

    def __init__(self, database: Database, retention: Retention = AUDIT_RETENTION) -> None:
        super().__init__(database, retention)

    @property
    def token(self) -> str:
        """Names this storage's database (its URL without the password): processes sharing it
        agree on it, so any of them may settle an entry another one added (``set_outcome``)."""
        return "sql:" + self.database.engine.url.render_as_string(hide_password=True)

    def add(self, entries: list[AuditEntry]) -> None:
        """Append entries; ``changes`` is stored as JSON text."""
        self._insert([_audit_row(e) for e in entries])

    def add_one(self, entry: AuditEntry) -> int:
        """Append one entry and return its id (for ``set_outcome``)."""
        stmt = insert(AUDIT).values(**self._clean(_audit_row(entry))).returning(AUDIT.c.id)
        return int(self.database.write(lambda conn: conn.execute(stmt).scalar_one(), self.kind))

    def set_outcome(self, entry_id: int, outcome: str, message: str) -> bool:
        """Give entry ``entry_id`` its final outcome and message; False when it is gone."""
        values = self._clean({"outcome": outcome, "message": message})
        stmt = update(AUDIT).where(AUDIT.c.id == entry_id).values(**values)
        return bool(self.database.write(lambda conn: conn.execute(stmt).rowcount, self.kind) == 1)

    def query(self, flt: AuditFilter) -> list[AuditEntry]:
        """Newest first; ``user`` and ``action`` match exactly, ``target`` as a substring."""
        where: list[ColumnElement[bool]] = []
        if flt.user:
            where.append(AUDIT.c.user == flt.user)
        if flt.action:
            where.append(AUDIT.c.action == flt.action)
        if flt.target:
            where.append(contains_exact(AUDIT.c.target, flt.target, self.database.dialect))
        rows = self._select(where, flt.limit)
        return [AuditEntry(**{**row, "changes": _changes(row["changes"])}) for row in rows]

    def distinct(self, field: str, limit: int = DISTINCT_LIMIT) -> list[str]:
        """The distinct values of ``field`` (``user`` or ``action``), sorted, from its index.

        Raises:
            ValueError: another field.
        """
        return self._distinct(field, AUDIT_FIELDS_DISTINCT, limit)


def _audit_row(entry: AuditEntry) -> dict[str, Any]:
    return {
        "created": entry.created,
        "user": entry.user,
        "action": entry.action,
        "target": entry.target,
        "outcome": entry.outcome,
        "message": entry.message,
        "changes": json.dumps(entry.changes, ensure_ascii=False),
    }


def _changes(raw: str) -> dict[str, list[str]]:
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
