"""The ``Writer``: hands records to the storages without making the scheduler or the loop wait.

Memory storages are written at once, other storages (SQL) by one background thread in batches,
so neither the scheduler's event dispatch nor the event loop waits for a database. Audit entries
are the exception: they are written at once (``Writer.write_now``), so an acknowledged action is
never lost in a queue.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from typing import Any

from ..storage import Storages
from ..storage.memory import (
    MemoryAuditStorage,
    MemoryEventStorage,
    MemoryLogStorage,
    MemoryRunStorage,
)
from .changes import SharedChanges, change_sources

# Our own storage problems are logged here; the log handler never captures this logger.
storage_logger = logging.getLogger("asyncz_dashboard.storage")

PRUNE_EVERY = 600.0  # seconds between retention passes
KINDS = ("runs", "logs", "events", "audit")  # what the writer stores, one storage each


class Writer:
    """Writes records to the storages: at once for memory storages, else through a bounded
    queue drained in batches by a daemon thread (records are dropped, and counted, when the
    queue is full or the storage is down).

    ``version`` is bumped after every write that lands (and every retention pass), so a live
    page can tell cheaply whether runs, logs, events or audit entries may have changed. Over a
    shared SQL storage it is also bumped, within about a second, after another process's
    write (``SharedChanges``), while someone reads it. ``version_of`` counts the same per kind.
    """

    def __init__(self, storages: Storages, max_queue: int = 100_000):
        self.storages = storages
        self.dropped = 0
        self._version = 0  # every kind's writes
        self._versions = dict.fromkeys(KINDS, 0)  # one counter per kind
        self._version_lock = threading.Lock()
        self.shared = SharedChanges(change_sources(storages), self._bump)
        self._queue: queue.Queue[tuple[str, Any] | None] = queue.Queue(maxsize=max_queue)
        self._thread: threading.Thread | None = None
        self._last_error = 0.0
        self._last_prune = time.monotonic()
        self._pending = 0  # records queued and not yet written (or dropped)
        self._idle = threading.Condition()
        self._direct = {
            "runs": isinstance(storages.runs, MemoryRunStorage),
            "logs": isinstance(storages.logs, MemoryLogStorage),
            "events": isinstance(storages.events, MemoryEventStorage),
            "audit": isinstance(storages.audit, MemoryAuditStorage),
        }

    @property
    def version(self) -> int:
        """The change counter of what this dashboard's storages hold (cheap, any thread)."""
        self.shared.seen()
        return self._version

    def durable(self, kind: str) -> bool:
        """Whether records of ``kind`` outlive this process (not a memory storage)."""
        return not self._direct[kind]

    def put(self, kind: str, record: Any) -> None:
        """Store one record of ``kind`` (runs, logs, events, audit); never raises."""
        if self._direct[kind]:
            try:
                self._write(kind, [record])
            except Exception:
                self.dropped += 1
            return
        self._ensure_thread()
        with self._idle:
            self._pending += 1
        try:
            self._queue.put_nowait((kind, record))
        except queue.Full:
            self.dropped += 1
            self._done(1)

    def write_now(self, kind: str, record: Any) -> None:
        """Store one record of ``kind`` at once, in the calling thread (audit entries, which
        must be durable before an answer says the action was done).

        Raises:
            Exception: whatever the storage raised; the record is not stored.
        """
        self._write(kind, [record])

    def _done(self, count: int) -> None:
        with self._idle:
            self._pending -= count
            if self._pending <= 0:
                self._idle.notify_all()

    def version_of(self, kinds: tuple[str, ...]) -> tuple[int, ...]:
        """The change counters of ``kinds`` (runs, logs, events, audit), in that order: a page
        showing only runs keeps its version while log lines arrive (cheap, any thread)."""
        self.shared.seen()
        versions = self._versions
        return tuple(versions[kind] for kind in kinds)

    def _bump(self, kinds: tuple[str, ...] = KINDS) -> None:
        # After the change is visible, never before: a page read between the two then shows
        # newer data under an older version (one extra refresh), never the reverse.
        with self._version_lock:
            self._version += 1
            for kind in kinds:
                self._versions[kind] += 1

    def _write(self, kind: str, records: list[Any]) -> None:
        try:
            if kind == "runs":
                save_many = getattr(self.storages.runs, "save_many", None)
                if callable(save_many) and len(records) > 1:
                    save_many(records)  # one transaction for the batch (SQL storages)
                    return
                for run in records:
                    self.storages.runs.save(run)
            else:
                getattr(self.storages, kind).add(records)
        finally:
            self._bump((kind,))  # a partly failed batch may have written some records

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(
                target=self._drain, name="asyncz-dashboard-writer", daemon=True
            )
            self._thread.start()

    def _drain(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            batch: dict[str, list[Any]] = {item[0]: [item[1]]}
            deadline = time.monotonic() + 0.1
            while sum(len(v) for v in batch.values()) < 500 and time.monotonic() < deadline:
                try:
                    nxt = self._queue.get(timeout=0.02)
                except queue.Empty:
                    continue
                if nxt is None:
                    self._flush(batch)
                    return
                batch.setdefault(nxt[0], []).append(nxt[1])
            self._flush(batch)
            if time.monotonic() - self._last_prune > PRUNE_EVERY:
                self.prune()

    def _flush(self, batch: dict[str, list[Any]]) -> None:
        for kind, records in batch.items():
            try:
                self._write(kind, records)
            except Exception as exc:
                self.dropped += len(records)
                if time.monotonic() - self._last_error > 60:
                    self._last_error = time.monotonic()
                    storage_logger.warning("Dashboard storage write failed (%s): %s", kind, exc)
            finally:
                self._done(len(records))

    def prune(self) -> None:
        """Apply every storage's retention (in this thread)."""
        self._last_prune = time.monotonic()
        for kind in ("runs", "logs", "events", "audit", "submissions"):
            storage = getattr(self.storages, kind)
            try:
                if storage is not None:  # submissions: None unless shared (SQL)
                    storage.prune()
            except Exception as exc:
                storage_logger.warning("Dashboard storage prune failed (%s): %s", kind, exc)
        self._bump()

    def flush(self, timeout: float = 5.0) -> None:
        """Wait, at most ``timeout`` seconds, until every queued record is written or dropped
        (for tests and shutdown)."""
        with self._idle:
            self._idle.wait_for(lambda: self._pending <= 0, timeout)

    def close(self) -> None:
        """Write what is queued and stop the threads."""
        self.shared.close()
        if self._thread is not None and self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout=5)
