"""Capturing log records for the log viewer, tied to the task and run that emitted them.

``DashboardLogHandler`` sits on the root logger and keeps a record when it carries a task id
(``extra={"task_id": ...}``, or APScheduler's ``job_id``, or ``asyncz_task_id``) or is emitted
while an Asyncz task runs (found by ``adapters.asyncz.current_run``, so a task's plain
``logging.getLogger(__name__)`` records are tagged with its task and run ids).

The ``asyncz`` namespace and the task loggers (``get_task_logger``) are captured at INFO by a
``NamespaceTap`` on their own logger instead, without touching the host's logging: Python's
default root level (WARNING) would never create their INFO records, and lowering the root
would make the host's handlers print them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any, ClassVar

from .adapters.asyncz import current_run
from .adapters.redact import Redactor
from .recording import Recorder, run_id_for

TASK_LOGGER_PREFIX = "asyncz_dashboard.tasks."
# Captured at INFO by a tap on their own logger, whatever the host's root level.
TAPPED = ("asyncz", TASK_LOGGER_PREFIX[:-1])
# Record attributes that name a task: ours, Asyncz-style, APScheduler-style.
TASK_ID_EXTRAS = ("task_id", "asyncz_task_id", "job_id")
MAX_MESSAGE = 10_000
# Asyncz's executors log this (with the exception) when a run ends without a result, and
# dispatch no event: the recorder ends the run (``Recorder.executor_failed``).
EXECUTOR_LOGGER = "asyncz.executors."
RUN_ERROR = "Error running task "


def under(name: str, namespace: str) -> bool:
    """True when logger ``name`` is ``namespace`` or below it."""
    return name == namespace or name.startswith(namespace + ".")


class NamespaceTap(logging.Handler):
    """One handler on a logger namespace that hands its records, from INFO up, to the
    dashboards subscribed, while the host's handlers print exactly what they printed before.

    When the namespace's effective level is above INFO, its logger is lowered to INFO (so its
    INFO records are created) and stops propagating; the tap then passes each record on to the
    handlers above it, as propagation would, only when the record's level reaches the level
    its logger had without us. ``unsubscribe`` of the last dashboard restores the logger's
    level and propagation (unless the host changed them meanwhile). Handlers the host put on
    the namespace's own loggers, under an unset level, do see the INFO records.
    """

    _taps: ClassVar[dict[str, NamespaceTap]] = {}  # one per namespace, shared by dashboards
    _taps_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, name: str):
        super().__init__(level=logging.DEBUG)
        self.logger = logging.getLogger(name)
        self.sinks: list[Callable[[logging.LogRecord], None]] = []
        self.saved_level: int | None = None  # the logger's own level, when we lowered it
        self.relaying = False

    @classmethod
    def subscribe(cls, name: str, sink: Callable[[logging.LogRecord], None]) -> None:
        """Hand ``name``'s records to ``sink`` (idempotent); the first sink installs the tap."""
        with cls._taps_lock:
            tap = cls._taps.get(name)
            if tap is None:
                tap = cls._taps[name] = cls(name)
                tap._install()
            if sink not in tap.sinks:
                tap.sinks = [*tap.sinks, sink]  # copied: handle() reads it without the lock

    @classmethod
    def unsubscribe(cls, name: str, sink: Callable[[logging.LogRecord], None]) -> None:
        """Stop handing records to ``sink``; the last one out removes the tap."""
        with cls._taps_lock:
            tap = cls._taps.get(name)
            if tap is None or sink not in tap.sinks:
                return
            tap.sinks = [s for s in tap.sinks if s != sink]
            if not tap.sinks:
                del cls._taps[name]
                tap._remove()

    def _install(self) -> None:
        logger = self.logger
        logger.addHandler(self)
        if logger.getEffectiveLevel() > logging.INFO:
            self.saved_level = logger.level
            logger.setLevel(logging.INFO)
            if logger.propagate:
                logger.propagate = False
                self.relaying = True

    def _remove(self) -> None:
        logger = self.logger
        logger.removeHandler(self)
        if self.saved_level is not None and logger.level == logging.INFO:
            logger.setLevel(self.saved_level)
        if self.relaying and not logger.propagate:
            logger.propagate = True

    def handle(self, record: logging.LogRecord) -> bool:
        """Capture ``record``, then pass it up if the host's levels would have let it be."""
        for sink in self.sinks:
            sink(record)
        if self.relaying and record.levelno >= self._host_level(record.name):
            self._propagate(record)
        return True

    def emit(self, record: logging.LogRecord) -> None:
        """Unused: ``handle`` does the work without holding this handler's lock."""

    def _host_level(self, name: str) -> int:
        # The effective level the record's logger had without us (logging.Logger's own walk).
        found = logging.Logger.manager.loggerDict.get(name)
        node: logging.Logger | None = found if isinstance(found, logging.Logger) else self.logger
        while node is not None:
            level = node.level
            if node is self.logger and level == logging.INFO and self.saved_level is not None:
                level = self.saved_level
            if level:
                return level
            node = node.parent
        return logging.NOTSET

    def _propagate(self, record: logging.LogRecord) -> None:
        # What Logger.callHandlers would have done above our logger; our root handlers skip
        # the tapped namespaces anyway.
        node = self.logger.parent
        while node is not None:
            for handler in node.handlers:
                if record.levelno >= handler.level and not isinstance(handler, DashboardLogHandler):
                    handler.handle(record)
            node = node.parent if node.propagate else None


def get_task_logger(task_id: str) -> logging.LoggerAdapter[logging.Logger]:
    """A logger whose records are tagged with ``task_id`` in the dashboard's log viewer.

    While a dashboard is attached, its INFO records are kept even when the root logger only
    lets warnings through, and the host's handlers print only what the host's levels allow.
    """
    logger = logging.getLogger(TASK_LOGGER_PREFIX + task_id)
    return logging.LoggerAdapter(logger, {"task_id": task_id})


class DashboardLogHandler(logging.Handler):
    """Hands the records the dashboard cares about to the recorder (never raises).

    Args:
        recorder: where entries go.
        redactor: masks secrets in the message and exception text.
        scheduler: returns the scheduler's identity (read at each record, as the recorder
            does), for run ids.
    """

    def __init__(self, recorder: Recorder, redactor: Redactor, scheduler: Callable[[], str]):
        super().__init__(level=logging.DEBUG)
        self.recorder = recorder
        self.redactor = redactor
        self.scheduler = scheduler

    def emit(self, record: logging.LogRecord) -> None:
        """Keep ``record`` (reaching the root logger) if it belongs to a task."""
        if any(under(record.name, name) for name in TAPPED):
            return  # the namespace's tap has it already
        self.capture(record)

    def capture(self, record: logging.LogRecord) -> None:
        """Keep ``record`` if it belongs to a task or to asyncz; never raises."""
        try:
            if record.name.startswith("asyncz_dashboard.storage"):
                return
            if record.name.startswith(EXECUTOR_LOGGER) and record.levelno >= logging.ERROR:
                self._executor_failed(record)
            entry = self._entry(record)
            if entry is not None:
                self.recorder.log(entry)
        except Exception:
            self.handleError(record)

    def _executor_failed(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith(RUN_ERROR):
            exc = record.exc_info[1] if record.exc_info else None
            executor = record.name[len(EXECUTOR_LOGGER) :]
            self.recorder.executor_failed(message[len(RUN_ERROR) :], executor, exc)

    def _entry(self, record: logging.LogRecord) -> Any:
        from .storage.base import LogEntry

        task_id = next((str(v) for k in TASK_ID_EXTRAS if (v := getattr(record, k, None))), "")
        run_id = str(getattr(record, "run_id", "") or "")
        if not run_id:
            found = current_run()
            if found is not None and (not task_id or task_id == found[0]):
                task_id = found[0]
                run_id = run_id_for(self.scheduler(), found[0], found[1])
        if not task_id and record.name.startswith(TASK_LOGGER_PREFIX):
            task_id = record.name[len(TASK_LOGGER_PREFIX) :]
        is_asyncz = record.name == "asyncz" or record.name.startswith("asyncz.")
        if not task_id and not is_asyncz:
            return None
        # Cut before masking: masking reads at most MAX_MESSAGE (+ a margin) characters.
        message = self.redactor.mask_text(record.getMessage(), MAX_MESSAGE)
        exception = ""
        if record.exc_info:
            exception = self.redactor.mask_text(
                logging.Formatter().formatException(record.exc_info), MAX_MESSAGE
            )
        return LogEntry(
            created=datetime.fromtimestamp(record.created, timezone.utc),
            level=record.levelname,
            levelno=record.levelno,
            logger=record.name,
            message=message,
            task_id=task_id,
            run_id=run_id,
            exception=exception,
        )

    def attach(self) -> None:
        """Install on the root logger and tap the captured namespaces (idempotent)."""
        root = logging.getLogger()
        if self not in root.handlers:
            root.addHandler(self)
        for name in TAPPED:
            NamespaceTap.subscribe(name, self.capture)

    def detach(self) -> None:
        """Remove from the root logger and the taps (the last one out restores its logger)."""
        logging.getLogger().removeHandler(self)
        for name in TAPPED:
            NamespaceTap.unsubscribe(name, self.capture)
