"""What the dashboard records (runs, log records, scheduler events, audit entries, ended
sessions) and the storage interface for each kind.

Every storage is synchronous and thread-safe: scheduler listeners and the logging handler may
call it from executor threads, and views call it through a bounded pool of reader threads
(``storage.readers``) so a slow database never blocks the event loop. Queries are filtered and
limited by the storage itself (in SQL for the SQL storage), never in Python over everything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol, runtime_checkable

RunStatus = Literal[
    "running", "succeeded", "failed", "missed", "max_instances", "cancelled", "interrupted"
]
RUN_STATUSES: tuple[str, ...] = (
    "running",
    "succeeded",
    "failed",
    "missed",
    "max_instances",
    "cancelled",
    "interrupted",
)
RUN_SOURCES: tuple[str, ...] = ("scheduled", "manual")
LOG_LEVELS: tuple[str, ...] = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
MAX_LIMIT = 500
DISTINCT_LIMIT = 200  # values a filter's drop-down offers at most
RUN_FIELDS_DISTINCT: tuple[str, ...] = ("task_id",)
EVENT_FIELDS_DISTINCT: tuple[str, ...] = ("name", "task_id")
AUDIT_FIELDS_DISTINCT: tuple[str, ...] = ("user", "action")


def check_distinct_field(field: str, allowed: tuple[str, ...]) -> None:
    """Raise ``ValueError`` unless ``field`` is one of ``allowed`` (a storage's ``distinct``)."""
    if field not in allowed:
        raise ValueError(f"no distinct values for {field!r}: choose one of {', '.join(allowed)}")


class StorageUnavailable(Exception):
    """The storage cannot be reached; pages say so instead of failing."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Run:
    """One execution of a task. Times are aware UTC datetimes; ``duration`` is in seconds."""

    run_id: str
    task_id: str
    task_name: str = ""
    callable: str = ""
    store: str = ""
    executor: str = ""
    scheduler: str = ""
    scheduled_run_time: datetime | None = None
    source: str = "scheduled"
    status: str = "running"
    submitted_at: datetime | None = None
    finished_at: datetime | None = None
    duration: float | None = None
    return_value: str = ""
    exception_type: str = ""
    exception_message: str = ""
    traceback: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class LogEntry:
    """One captured log record; ``message`` is already formatted and redacted."""

    id: int = 0
    created: datetime
    level: str
    levelno: int
    logger: str
    message: str
    task_id: str = ""
    run_id: str = ""
    exception: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class EventEntry:
    """One scheduler event as observed by the dashboard."""

    id: int = 0
    created: datetime
    code: int
    name: str
    task_id: str = ""
    store: str = ""
    detail: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditEntry:
    """One action taken through the dashboard: who, what, on what, with which outcome."""

    id: int = 0
    created: datetime
    user: str
    action: str
    target: str
    outcome: str
    message: str = ""
    changes: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Revocation:
    """A session ended by logout: refused until ``expires_at``, when its cookie would have
    expired anyway. ``revoked_at`` is by the storage's clock (the database's, for SQL)."""

    session_id: str
    expires_at: datetime
    revoked_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class RunFilter:
    """Run history filters; empty strings mean "any". ``q`` searches name, id and error."""

    task_id: str = ""
    status: str = ""
    source: str = ""
    q: str = ""
    limit: int = 50
    offset: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class LogFilter:
    """Log viewer filters; ``level`` is a minimum level name; times are aware UTC."""

    task_id: str = ""
    run_id: str = ""
    level: str = ""
    q: str = ""
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 200


@dataclass(frozen=True, slots=True, kw_only=True)
class EventFilter:
    """Event list filters."""

    name: str = ""
    task_id: str = ""
    limit: int = 200


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditFilter:
    """Audit list filters."""

    user: str = ""
    action: str = ""
    target: str = ""
    limit: int = 200


@dataclass(frozen=True, slots=True, kw_only=True)
class Retention:
    """Keep at most ``max_rows`` rows and nothing older than ``max_age`` seconds."""

    max_age: float
    max_rows: int


RUN_RETENTION = Retention(max_age=30 * 86400, max_rows=100_000)
LOG_RETENTION = Retention(max_age=7 * 86400, max_rows=1_000_000)
EVENT_RETENTION = Retention(max_age=7 * 86400, max_rows=200_000)
AUDIT_RETENTION = Retention(max_age=365 * 86400, max_rows=100_000)


@runtime_checkable
class RunStorage(Protocol):
    """Run history: ``save`` inserts or replaces by ``run_id``."""

    def save(self, run: Run) -> None:
        """Insert or replace one run."""
        ...

    def get(self, run_id: str) -> Run | None:
        """One run by id."""
        ...

    def query(self, flt: RunFilter) -> list[Run]:
        """Runs matching ``flt``, newest first, at most ``flt.limit``."""
        ...

    def recent_for_tasks(self, task_ids: list[str], per_task: int) -> dict[str, list[Run]]:
        """The last ``per_task`` runs of each task, newest first."""
        ...

    def distinct(self, field: str, limit: int = DISTINCT_LIMIT) -> list[str]:
        """The distinct non-empty values of ``field`` (one of ``RUN_FIELDS_DISTINCT``), for a
        filter's drop-down: sorted, at most ``limit`` (capped at ``MAX_LIMIT``).

        Raises:
            ValueError: ``field`` is not one of them.
        """
        ...

    def prune(self) -> int:
        """Apply retention; returns how many rows were removed."""
        ...


@runtime_checkable
class LogStorage(Protocol):
    """Captured log records."""

    def add(self, entries: list[LogEntry]) -> None:
        """Append records (ids are assigned by the storage)."""
        ...

    def query(self, flt: LogFilter) -> list[LogEntry]:
        """Records matching ``flt``, newest first, at most ``flt.limit``."""
        ...

    def prune(self) -> int:
        """Apply retention; returns how many rows were removed."""
        ...


@runtime_checkable
class EventStorage(Protocol):
    """Observed scheduler events."""

    def add(self, entries: list[EventEntry]) -> None:
        """Append events."""
        ...

    def query(self, flt: EventFilter) -> list[EventEntry]:
        """Events matching ``flt``, newest first."""
        ...

    def distinct(self, field: str, limit: int = DISTINCT_LIMIT) -> list[str]:
        """The distinct non-empty values of ``field`` (one of ``EVENT_FIELDS_DISTINCT``), for a
        filter's drop-down: sorted, at most ``limit`` (capped at ``MAX_LIMIT``).

        Raises:
            ValueError: ``field`` is not one of them.
        """
        ...

    def prune(self) -> int:
        """Apply retention."""
        ...


@runtime_checkable
class AuditStorage(Protocol):
    """Dashboard actions."""

    def add(self, entries: list[AuditEntry]) -> None:
        """Append entries."""
        ...

    def query(self, flt: AuditFilter) -> list[AuditEntry]:
        """Entries matching ``flt``, newest first."""
        ...

    def distinct(self, field: str, limit: int = DISTINCT_LIMIT) -> list[str]:
        """The distinct non-empty values of ``field`` (one of ``AUDIT_FIELDS_DISTINCT``), for a
        filter's drop-down: sorted, at most ``limit`` (capped at ``MAX_LIMIT``).

        Raises:
            ValueError: ``field`` is not one of them.
        """
        ...

    def prune(self) -> int:
        """Apply retention."""
        ...


@runtime_checkable
class SessionStorage(Protocol):
    """Sessions ended by logout, shared by every process that uses the same storage."""

    def revoke(self, session_id: str, expires_at: datetime) -> None:
        """Record that ``session_id`` ended (again: no error, the first record stays)."""
        ...

    def revoked_since(self, since: datetime | None) -> list[Revocation]:
        """Unexpired revocations recorded at or after ``since`` (all when None)."""
        ...

    def prune(self) -> int:
        """Forget expired revocations; returns how many were removed."""
        ...
