"""The ``Recorder``: runs from scheduler events, observed events, log records and audit entries.

It subscribes to the adapter's events (called from any thread, never raising into the
scheduler) and hands records to a ``Writer`` (``recording/writer.py``).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
import traceback
import uuid
from collections import OrderedDict
from dataclasses import replace
from datetime import datetime, timezone

from ..adapters.redact import Redactor, bounded_repr, clip
from ..adapters.snapshots import ObservedEvent
from ..storage.base import MAX_LIMIT, AuditEntry, EventEntry, LogEntry, Run, RunFilter
from .outcomes import Outcomes
from .writer import Writer, storage_logger

_RUN_NAMESPACE = uuid.UUID("6f1d1a52-5a4c-4c41-9b0e-0f6f4b6c2a11")
FAILURE_LOGGER = "asyncz_dashboard.runs"  # the logger name on a failed run's ERROR record
FAILURE_TEXT = 10_000  # characters kept of that record's message, and of its traceback
# Why a run ended without a result from its task (the run's error message).
CANCELLED = "Cancelled before it finished: the executor or the scheduler shut down."
SHUT_DOWN = "The scheduler shut down before the run finished."
INTERRUPTED = (
    "The process running it stopped before the run ended (found when scheduler {identity} "
    "started again)."
)
WRAPPER_FAILED = "The executor ended the run without a result: {error}"


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
        # Each task's last run and the tasks failing now (see ``Outcomes``).
        self.outcomes = Outcomes()
        self.last_runs = self.outcomes.last_runs
        self.failing = self.outcomes.failing
        self._lock = threading.Lock()
        self._asyncz_errors: OrderedDict[str, None] = OrderedDict()  # runs Asyncz logged failing
        self.started_at = _now()  # runs submitted before this are another life's
        self._submission: dict[str, int] = {}  # running run id -> its submission's number
        self._submissions = itertools.count()
        self._swept: set[str] = set()  # scheduler identities checked for interrupted runs

    # -- scheduler events ----------------------------------------------------------------------
    def on_event(self, event: ObservedEvent) -> None:
        """The adapter's subscriber: record the event and the runs it starts or ends."""
        self.writer.put("events", self._event_entry(event))
        if event.scheduler not in self._swept:
            self.close_interrupted(event.scheduler)
        if event.name == "task_submitted":
            submission = next(self._submissions)
            for run_time in event.run_times:
                self._start(event, run_time, submission)
        elif event.name == "scheduler_shutdown":
            self._shut_down()
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

    def _start(self, event: ObservedEvent, run_time: datetime, submission: int) -> None:
        run = replace(self._base_run(event, run_time), status="running", submitted_at=_now())
        with self._lock:
            if run.run_id in self._finished:
                return  # a thread executor finished it before its submission event arrived
            self._running[run.run_id] = run
            self._submission[run.run_id] = submission
            while len(self._running) > 10_000:
                self._submission.pop(self._running.popitem(last=False)[0], None)
        self._save(run)

    def _ended(self, run_id: str) -> Run | None:
        # Under the lock: the run (if it was running here) leaves the running ones for good.
        started = self._running.pop(run_id, None)
        self._submission.pop(run_id, None)
        self._finished[run_id] = None
        while len(self._finished) > 10_000:
            self._finished.popitem(last=False)
        return started

    def _finish(self, event: ObservedEvent, run_time: datetime) -> None:
        base = self._base_run(event, run_time)
        finished = _now()
        with self._lock:
            started = self._ended(base.run_id)
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
        self._close(
            run,
            status,
            finished,
            exception_type=type(exc).__name__ if exc is not None else "",
            message=_text(exc, 2000) if exc is not None else "",
            trace=event.traceback,
            return_value=self._safe_repr(event.return_value) if status == "succeeded" else "",
        )

    def _close(
        self,
        run: Run,
        status: str,
        finished: datetime,
        *,
        exception_type: str = "",
        message: str = "",
        trace: str = "",
        return_value: str = "",
    ) -> None:
        """Store ``run`` as ended with ``status`` (its error masked), and log a failure."""
        run = replace(
            run,
            status=status,
            finished_at=finished,
            duration=(finished - run.submitted_at).total_seconds() if run.submitted_at else None,
            return_value=return_value,
            exception_type=exception_type,
            exception_message=self.redactor.mask_text(message, 2000),
            traceback=self.redactor.mask_text(trace, 20_000),
        )
        self._save(run)
        if status == "failed":
            self._log_failure(run)

    # -- runs that end without an execution event ------------------------------------------------
    def executor_failed(self, task_id: str, executor: str, exc: BaseException | None) -> None:
        """Asyncz's executor ended a submission of ``task_id`` without a result (it logs "Error
        running task", and dispatches no event): its wrapper raised, or the run raised a
        ``BaseException`` such as ``CancelledError`` (the executor shut down). The oldest
        submission of the task running here on ``executor`` (an alias, "" for any) ends:
        "cancelled" for a cancellation, else "failed" with the error."""
        with self._lock:
            mine = [
                run_id
                for run_id, run in self._running.items()
                if run.task_id == task_id and (not executor or run.executor == executor)
            ]
            if not mine:
                return
            first = self._submission.get(mine[0])
            ended = [
                run
                for run_id in mine
                if self._submission.get(run_id) == first and (run := self._ended(run_id))
            ]
        cancelled = exc is None or isinstance(exc, asyncio.CancelledError)
        frames = "".join(traceback.format_tb(exc.__traceback__)) if exc is not None else ""
        for run in ended:
            self._close(
                run,
                "cancelled" if cancelled else "failed",
                _now(),
                exception_type=type(exc).__name__ if exc is not None else "",
                message=CANCELLED
                if cancelled
                else WRAPPER_FAILED.format(error=_text(exc, 1000) or type(exc).__name__),
                trace=frames,
            )

    def _shut_down(self) -> None:
        # The scheduler has shut its executors down: what still runs here was cancelled, or (a
        # thread pool told not to wait) still runs unwatched. They are stored "cancelled" and
        # stay known as running, so a late execution event still gives the real outcome.
        with self._lock:
            running = list(self._running.values())
        finished = _now()
        for run in running:
            self._close(run, "cancelled", finished, message=SHUT_DOWN)

    def close_interrupted(self, identity: str) -> None:
        """Close, as "interrupted", the runs that a previous life of scheduler ``identity``
        left "running" in a durable run storage: those submitted before this recorder started
        and not running here. Asyncz's identity names one scheduler process (a new random one
        per process unless configured), so no other live process's runs are touched; a
        restarted process with a configured identity closes what it left behind. Runs once per
        identity, in a background thread (at most ``MAX_LIMIT`` runs; never raises)."""
        with self._lock:
            if not identity or identity in self._swept:
                return
            self._swept.add(identity)
        if not self.writer.durable("runs"):
            return  # memory: nothing outlived its process
        threading.Thread(
            target=self._close_interrupted,
            args=(identity,),
            name="asyncz-dashboard-interrupted",
            daemon=True,
        ).start()

    def _close_interrupted(self, identity: str) -> None:
        try:
            left = self.writer.storages.runs.query(RunFilter(status="running", limit=MAX_LIMIT))
        except Exception as exc:
            storage_logger.warning("Could not look for interrupted runs: %s", exc)
            return
        finished = _now()
        reason = INTERRUPTED.format(identity=identity)
        for run in left:
            with self._lock:
                mine = run.run_id in self._running or run.run_id in self._finished
            before = run.submitted_at is not None and run.submitted_at < self.started_at
            if run.scheduler == identity and before and not mine:
                self._close(run, "interrupted", finished, message=reason)

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
        self.outcomes.apply(run)
        self.writer.put("runs", run)

    def failing_runs(self) -> list[Run]:
        """The failed run of each task failing now (a copy, safe from any thread)."""
        return self.outcomes.failing_runs()

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
