"""Recording what happens: runs from scheduler events, observed events, and audit entries.

The ``Recorder`` subscribes to the adapter's events (called from any thread, never raising into
the scheduler) and hands records to a ``Writer``: memory storages are written at once, other
storages (SQL) by one background thread in batches, so neither the scheduler's event dispatch
nor the event loop waits for a database. Audit entries are the exception: they are written at
once (``Writer.write_now``), so an acknowledged action is never lost in a queue.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

from .adapters.redact import Redactor, bounded_repr, clip
from .adapters.snapshots import ObservedEvent
from .storage import Storages
from .storage.base import AuditEntry, EventEntry, LogEntry, Run
from .storage.memory import (
    MemoryAuditStorage,
    MemoryEventStorage,
    MemoryLogStorage,
    MemoryRunStorage,
)

# Our own storage problems are logged here; the log handler never captures this logger.
storage_logger = logging.getLogger("asyncz_dashboard.storage")

_RUN_NAMESPACE = uuid.UUID("6f1d1a52-5a4c-4c41-9b0e-0f6f4b6c2a11")
PRUNE_EVERY = 600.0  # seconds between retention passes
KINDS = ("runs", "logs", "events", "audit")  # what the writer stores, one storage each
FAILURE_LOGGER = "asyncz_dashboard.runs"  # the logger name on a failed run's ERROR record
FAILURE_TEXT = 10_000  # characters kept of that record's message, and of its traceback


def run_id_for(scheduler: str, task_id: str, run_time: datetime) -> str:
    """The id of one run: stable for (scheduler, task, scheduled run time), so the recorder and
    the log handler name the same run without talking to each other."""
    moment = run_time.astimezone(timezone.utc).isoformat()
    return uuid.uuid5(_RUN_NAMESPACE, f"{scheduler}\x00{task_id}\x00{moment}").hex


def _is_asyncz(logger: str) -> bool:
    return logger == "asyncz" or logger.startswith("asyncz.")


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _utc_text(moment: datetime) -> str:
    """``2026-12-02 02:37:19 UTC``: an event's run time as its detail text shows it."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _text(value: object, limit: int) -> str:
    """``str(value)`` cut to what masking it for ``limit`` characters reads."""
    try:
        return clip(str(value), limit)
    except Exception:
        return f"<{type(value).__name__}: str() failed>"


class Writer:
    """Writes records to the storages: at once for memory storages, else through a bounded
    queue drained in batches by a daemon thread (records are dropped, and counted, when the
    queue is full or the storage is down).

    ``version`` is bumped after every write that lands (and every retention pass), so a live
    page can tell cheaply whether runs, logs, events or audit entries may have changed;
    ``versions`` counts the same per kind.
    """

    def __init__(self, storages: Storages, max_queue: int = 100_000):
        self.storages = storages
        self.dropped = 0
        self.version = 0  # every kind's writes
        self.versions = dict.fromkeys(KINDS, 0)  # one counter per kind
        self._version_lock = threading.Lock()
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

    def _bump(self, kinds: tuple[str, ...] = KINDS) -> None:
        # After the change is visible, never before: a page read between the two then shows
        # newer data under an older version (one extra refresh), never the reverse.
        with self._version_lock:
            self.version += 1
            for kind in kinds:
                self.versions[kind] += 1

    def version_of(self, kinds: tuple[str, ...]) -> tuple[int, ...]:
        """The change counters of ``kinds`` (runs, logs, events, audit), in that order: a page
        showing only runs keeps its version while log lines arrive."""
        versions = self.versions
        return tuple(versions[kind] for kind in kinds)

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
        for kind in ("runs", "logs", "events", "audit"):
            try:
                getattr(self.storages, kind).prune()
            except Exception as exc:
                storage_logger.warning("Dashboard storage prune failed (%s): %s", kind, exc)
        self._bump()

    def flush(self, timeout: float = 5.0) -> None:
        """Wait, at most ``timeout`` seconds, until every queued record is written or dropped
        (for tests and shutdown)."""
        with self._idle:
            self._idle.wait_for(lambda: self._pending <= 0, timeout)

    def close(self) -> None:
        """Write what is queued and stop the thread."""
        if self._thread is not None and self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout=5)


class Recorder:
    """Turns scheduler events into runs and event entries; records audit entries.

    Args:
        writer: where records go.
        redactor: masks secrets in return values and exception text before storage.
    """

    def __init__(self, writer: Writer, redactor: Redactor):
        self.writer = writer
        self.redactor = redactor
        self._running: OrderedDict[str, Run] = OrderedDict()
        self._finished: OrderedDict[str, None] = OrderedDict()
        self.last_runs: dict[str, Run] = {}
        # Tasks failing now: from a failed run until a run of the task succeeds (a run under
        # way or missed since does not clear it). Task id -> that failed run.
        self.failing: dict[str, Run] = {}
        self._lock = threading.Lock()
        self._asyncz_errors: OrderedDict[str, None] = OrderedDict()  # runs Asyncz logged failing

    # -- scheduler events ----------------------------------------------------------------------
    def on_event(self, event: ObservedEvent) -> None:
        """The adapter's subscriber: record the event and the runs it starts or ends."""
        self.writer.put("events", self._event_entry(event))
        if event.name == "task_submitted":
            for run_time in event.run_times:
                self._start(event, run_time)
        elif event.name in ("task_executed", "task_error", "task_missed"):
            for run_time in event.run_times:
                self._finish(event, run_time)
        elif event.name == "task_max_instances":
            for run_time in event.run_times:
                self._finish(event, run_time)

    def _event_entry(self, event: ObservedEvent) -> EventEntry:
        details = []
        if event.run_times:
            details.append("at " + ", ".join(_utc_text(t) for t in event.run_times[:3]))
        if event.source:
            details.append(f"source {event.source}")
        if event.exception is not None:
            details.append(f"{type(event.exception).__name__}: {_text(event.exception, 1000)}")
        if event.alias:
            details.append(f"alias {event.alias[:200]}")
        detail = self.redactor.mask_text("; ".join(details), 1000)
        return EventEntry(
            created=_now(),
            code=event.code,
            name=event.name,
            task_id=event.task_id,
            store=event.store,
            detail=detail,
        )

    def _base_run(self, event: ObservedEvent, run_time: datetime) -> Run:
        task = event.task
        return Run(
            run_id=run_id_for(event.scheduler, event.task_id, run_time),
            task_id=event.task_id,
            task_name=task.name if task else event.task_id,
            callable=(task.callable_reference or task.callable_name) if task else "",
            store=event.store or (task.store if task else ""),
            executor=task.executor if task else "",
            scheduler=event.scheduler,
            scheduled_run_time=run_time.astimezone(timezone.utc),
            source=event.source or "scheduled",
        )

    def _start(self, event: ObservedEvent, run_time: datetime) -> None:
        run = replace(self._base_run(event, run_time), status="running", submitted_at=_now())
        with self._lock:
            if run.run_id in self._finished:
                return  # a thread executor finished it before its submission event arrived
            self._running[run.run_id] = run
            while len(self._running) > 10_000:
                self._running.popitem(last=False)
        self._save(run)

    def _finish(self, event: ObservedEvent, run_time: datetime) -> None:
        base = self._base_run(event, run_time)
        finished = _now()
        with self._lock:
            started = self._running.pop(base.run_id, None)
            self._finished[base.run_id] = None
            while len(self._finished) > 10_000:
                self._finished.popitem(last=False)
        status = {
            "task_executed": "succeeded",
            "task_error": "failed",
            "task_missed": "missed",
            "task_max_instances": "max_instances",
        }[event.name]
        run = started or replace(base, submitted_at=finished)
        if event.source:
            run = replace(run, source=event.source)
        exc = event.exception
        run = replace(
            run,
            status=status,
            finished_at=finished,
            duration=(finished - run.submitted_at).total_seconds() if run.submitted_at else None,
            return_value=self._safe_repr(event.return_value) if status == "succeeded" else "",
            exception_type=type(exc).__name__ if exc is not None else "",
            exception_message=(
                self.redactor.mask_text(_text(exc, 2000), 2000) if exc is not None else ""
            ),
            traceback=self.redactor.mask_text(event.traceback, 20_000),
        )
        self._save(run)
        if status == "failed":
            self._log_failure(run)

    def _log_failure(self, run: Run) -> None:
        # A failed run is also one ERROR record in the log viewer. Asyncz 0.17 logs no record of
        # a task's exception; a version that logs one on its own loggers is not doubled.
        with self._lock:
            if run.run_id in self._asyncz_errors:
                del self._asyncz_errors[run.run_id]
                return
        failure = f"{run.exception_type}: {run.exception_message}"
        frames = f"Traceback (most recent call last):\n{run.traceback}" if run.traceback else ""
        self.log(
            LogEntry(
                created=run.finished_at or _now(),
                level="ERROR",
                levelno=logging.ERROR,
                logger=FAILURE_LOGGER,
                message=f"Run of '{run.task_name}' failed: {failure}"[:FAILURE_TEXT],
                task_id=run.task_id,
                run_id=run.run_id,
                exception=(frames + failure)[-FAILURE_TEXT:],  # the end names the error
            )
        )

    def _safe_repr(self, value: object) -> str:
        return "" if value is None else bounded_repr(self.redactor.redact(value))

    def _save(self, run: Run) -> None:
        with self._lock:
            previous = self.last_runs.get(run.task_id)
            if previous is None or (run.submitted_at or _now()) >= (
                previous.submitted_at or datetime.min.replace(tzinfo=timezone.utc)
            ):
                self.last_runs[run.task_id] = run
                if run.status == "failed":
                    self.failing[run.task_id] = run
                elif run.status == "succeeded":
                    self.failing.pop(run.task_id, None)
        self.writer.put("runs", run)

    def failing_runs(self) -> list[Run]:
        """The failed run of each task failing now (a copy, safe from any thread)."""
        with self._lock:
            return list(self.failing.values())

    # -- logs and audit --------------------------------------------------------------------------
    def log(self, entry: LogEntry) -> None:
        """Store one captured log record."""
        if entry.run_id and entry.levelno >= logging.ERROR and _is_asyncz(entry.logger):
            with self._lock:
                self._asyncz_errors[entry.run_id] = None
                while len(self._asyncz_errors) > 10_000:
                    self._asyncz_errors.popitem(last=False)
        self.writer.put("logs", entry)

    def audit(
        self,
        *,
        user: str,
        action: str,
        target: str,
        outcome: str,
        message: str = "",
        changes: dict[str, list[str]] | None = None,
    ) -> None:
        """Record one dashboard action durably: written (committed, for SQL storages) before
        this returns, never queued, so an answer that follows it cannot outlive its record.
        Blocking: call it off the event loop (``asyncio.to_thread``).

        Raises:
            Exception: whatever the audit storage raised (``StorageUnavailable`` when it is
                down); the entry is then not stored.
        """
        entry = AuditEntry(
            created=_now(),
            user=user,
            action=action,
            target=target,
            outcome=outcome,
            message=self.redactor.mask_text(message, 1000),
            changes=changes or {},
        )
        self.writer.write_now("audit", entry)
