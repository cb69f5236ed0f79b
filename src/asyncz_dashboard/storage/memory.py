"""Bounded in-memory storages: the default, kept per process and lost at restart."""

from __future__ import annotations

import itertools
import logging
import os
import threading
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, timezone
from typing import Generic, TypeVar

from .base import (
    AUDIT_FIELDS_DISTINCT,
    DISTINCT_LIMIT,
    EVENT_FIELDS_DISTINCT,
    MAX_LIMIT,
    RUN_FIELDS_DISTINCT,
    AuditEntry,
    AuditFilter,
    EventEntry,
    EventFilter,
    LogEntry,
    LogFilter,
    Revocation,
    Run,
    RunFilter,
    check_distinct_field,
)

T = TypeVar("T", LogEntry, EventEntry, AuditEntry)


def _distinct(values: Iterable[str], limit: int) -> list[str]:
    """The sorted distinct non-empty ``values``, at most ``limit`` (capped at ``MAX_LIMIT``)."""
    return sorted({v for v in values if v})[: max(0, min(limit, MAX_LIMIT))]


def _level_number(name: str) -> int:
    number = logging.getLevelName(name.upper()) if name else 0
    return number if isinstance(number, int) else 0


class MemoryRunStorage:
    """Runs in process memory, at most ``max_rows`` (oldest dropped first).

    Args:
        max_rows: how many runs to keep.
        max_age: seconds after which a run is dropped by ``prune``.
    """

    def __init__(self, max_rows: int = 10_000, max_age: float = 30 * 86400):
        self.max_rows = max_rows
        self.max_age = max_age
        self._runs: OrderedDict[str, Run] = OrderedDict()
        self._by_task: dict[str, deque[str]] = {}
        self._lock = threading.Lock()

    def save(self, run: Run) -> None:
        """Insert or replace one run (a replaced run keeps its place)."""
        with self._lock:
            if run.run_id not in self._runs:
                self._by_task.setdefault(run.task_id, deque(maxlen=50)).append(run.run_id)
            self._runs[run.run_id] = run
            while len(self._runs) > self.max_rows:
                self._runs.popitem(last=False)

    def get(self, run_id: str) -> Run | None:
        """One run by id."""
        return self._runs.get(run_id)

    def query(self, flt: RunFilter) -> list[Run]:
        """Newest first, filtered, at most ``flt.limit`` after ``flt.offset``."""
        needle = flt.q.lower()
        with self._lock:
            runs = list(reversed(self._runs.values()))
        matches = (
            r
            for r in runs
            if (not flt.task_id or r.task_id == flt.task_id)
            and (not flt.status or r.status == flt.status)
            and (not flt.source or r.source == flt.source)
            and (
                not needle
                or needle in r.task_name.lower()
                or needle in r.task_id.lower()
                or needle in r.exception_message.lower()
            )
        )
        return list(itertools.islice(matches, flt.offset, flt.offset + flt.limit))

    def recent_for_tasks(self, task_ids: list[str], per_task: int) -> dict[str, list[Run]]:
        """The last ``per_task`` runs of each task, newest first."""
        result: dict[str, list[Run]] = {}
        with self._lock:
            for task_id in task_ids:
                ids = self._by_task.get(task_id, ())
                runs = [self._runs[i] for i in reversed(ids) if i in self._runs]
                result[task_id] = runs[:per_task]
        return result

    def distinct(self, field: str, limit: int = DISTINCT_LIMIT) -> list[str]:
        """The distinct values of ``field`` (only ``task_id``), sorted.

        Raises:
            ValueError: another field.
        """
        check_distinct_field(field, RUN_FIELDS_DISTINCT)
        with self._lock:
            runs = list(self._runs.values())
        return _distinct((getattr(r, field) for r in runs), limit)

    def prune(self) -> int:
        """Drop runs older than ``max_age``."""
        cutoff = datetime.now(timezone.utc) - timedelta(seconds=self.max_age)
        with self._lock:
            old = [k for k, r in self._runs.items() if r.submitted_at and r.submitted_at < cutoff]
            for key in old:
                del self._runs[key]
        return len(old)


class _MemoryLog(Generic[T]):
    def __init__(self, max_rows: int, max_age: float):
        self.max_rows = max_rows
        self.max_age = max_age
        self._rows: deque[T] = deque(maxlen=max_rows)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def _append(self, entries: Iterable[T], renumber: Callable[[T, int], T]) -> None:
        with self._lock:
            for entry in entries:
                self._rows.append(renumber(entry, next(self._ids)))

    def _select(self, keep: Callable[[T], bool], limit: int) -> list[T]:
        with self._lock:
            rows = list(self._rows)
        return list(itertools.islice((r for r in reversed(rows) if keep(r)), limit))

    def _distinct(self, field: str, allowed: tuple[str, ...], limit: int) -> list[str]:
        check_distinct_field(field, allowed)
        with self._lock:
            rows = list(self._rows)
        return _distinct((getattr(r, field) for r in rows), limit)

    def prune(self) -> int:
        """Drop entries older than ``max_age``."""
        cutoff = datetime.now(timezone.utc) - timedelta(seconds=self.max_age)
        removed = 0
        with self._lock:
            while self._rows and self._rows[0].created < cutoff:
                self._rows.popleft()
                removed += 1
        return removed


def _with_id(entry: T, number: int) -> T:
    from dataclasses import replace

    return replace(entry, id=number)


class MemoryLogStorage(_MemoryLog[LogEntry]):
    """Log records in process memory, at most ``max_rows`` (default 50,000)."""

    def __init__(self, max_rows: int = 50_000, max_age: float = 7 * 86400):
        super().__init__(max_rows, max_age)

    def add(self, entries: list[LogEntry]) -> None:
        """Append records."""
        self._append(entries, _with_id)

    def query(self, flt: LogFilter) -> list[LogEntry]:
        """Newest first, filtered, at most ``flt.limit``."""
        minimum = _level_number(flt.level)
        needle = flt.q.lower()

        def keep(e: LogEntry) -> bool:
            return (
                (not flt.task_id or e.task_id == flt.task_id)
                and (not flt.run_id or e.run_id == flt.run_id)
                and e.levelno >= minimum
                and (flt.since is None or e.created >= flt.since)
                and (flt.until is None or e.created <= flt.until)
                and (not needle or needle in e.message.lower())
            )

        return self._select(keep, flt.limit)


class MemoryEventStorage(_MemoryLog[EventEntry]):
    """Scheduler events in process memory, at most ``max_rows`` (default 20,000)."""

    def __init__(self, max_rows: int = 20_000, max_age: float = 7 * 86400):
        super().__init__(max_rows, max_age)

    def add(self, entries: list[EventEntry]) -> None:
        """Append events."""
        self._append(entries, _with_id)

    def query(self, flt: EventFilter) -> list[EventEntry]:
        """Newest first, filtered."""
        return self._select(
            lambda e: (
                (not flt.name or e.name == flt.name)
                and (not flt.task_id or e.task_id == flt.task_id)
            ),
            flt.limit,
        )

    def distinct(self, field: str, limit: int = DISTINCT_LIMIT) -> list[str]:
        """The distinct values of ``field`` (``name`` or ``task_id``), sorted.

        Raises:
            ValueError: another field.
        """
        return self._distinct(field, EVENT_FIELDS_DISTINCT, limit)


class MemoryAuditStorage(_MemoryLog[AuditEntry]):
    """Audit entries in process memory, at most ``max_rows`` (default 10,000)."""

    def __init__(self, max_rows: int = 10_000, max_age: float = 365 * 86400):
        super().__init__(max_rows, max_age)

    def add(self, entries: list[AuditEntry]) -> None:
        """Append entries."""
        self._append(entries, _with_id)

    @property
    def token(self) -> str:
        """Names this storage (this process only): see ``SqlAuditStorage.token``."""
        return f"memory:{os.getpid()}:{id(self)}"

    def add_one(self, entry: AuditEntry) -> int:
        """Append one entry and return its id (for ``set_outcome``)."""
        with self._lock:
            number = next(self._ids)
            self._rows.append(_with_id(entry, number))
        return number

    def set_outcome(self, entry_id: int, outcome: str, message: str) -> bool:
        """Give entry ``entry_id`` its final outcome and message; False when it is gone."""
        from dataclasses import replace

        with self._lock:
            for index, row in enumerate(self._rows):
                if row.id == entry_id:
                    self._rows[index] = replace(row, outcome=outcome, message=message)
                    return True
        return False

    def query(self, flt: AuditFilter) -> list[AuditEntry]:
        """Newest first, filtered."""
        return self._select(
            lambda e: (
                (not flt.user or e.user == flt.user)
                and (not flt.action or e.action == flt.action)
                and (not flt.target or flt.target in e.target)
            ),
            flt.limit,
        )

    def distinct(self, field: str, limit: int = DISTINCT_LIMIT) -> list[str]:
        """The distinct values of ``field`` (``user`` or ``action``), sorted.

        Raises:
            ValueError: another field.
        """
        return self._distinct(field, AUDIT_FIELDS_DISTINCT, limit)


class MemorySessionStorage:
    """Ended sessions in process memory: honoured by this process only, until it restarts.

    Args:
        max_rows: how many revocations to keep; beyond it expired ones are dropped first, then
            the oldest.
    """

    shared = False  # nothing to refresh from: every revocation here was made by this process

    def __init__(self, max_rows: int = 100_000):
        self.max_rows = max_rows
        self._rows: OrderedDict[str, Revocation] = OrderedDict()
        self._lock = threading.Lock()

    def revoke(self, session_id: str, expires_at: datetime) -> None:
        """Record that ``session_id`` ended."""
        with self._lock:
            if session_id in self._rows:
                return
            self._rows[session_id] = Revocation(
                session_id=session_id, expires_at=expires_at, revoked_at=datetime.now(timezone.utc)
            )
        if len(self._rows) > self.max_rows:
            self.prune()
            with self._lock:
                while len(self._rows) > self.max_rows:
                    self._rows.popitem(last=False)

    def revoked_since(self, since: datetime | None) -> list[Revocation]:
        """Unexpired revocations made at or after ``since`` (all when None)."""
        now = datetime.now(timezone.utc)
        with self._lock:
            rows = list(self._rows.values())
        return [r for r in rows if r.expires_at > now and (since is None or r.revoked_at >= since)]

    def prune(self) -> int:
        """Forget expired revocations."""
        now = datetime.now(timezone.utc)
        with self._lock:
            expired = [k for k, r in self._rows.items() if r.expires_at <= now]
            for key in expired:
                del self._rows[key]
        return len(expired)
