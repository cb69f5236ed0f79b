"""Capturing log records for the log viewer, tied to the task and run that emitted them.

``DashboardLogHandler`` sits on the root logger and keeps a record when it is from the
``asyncz`` namespace, from a task logger (``get_task_logger``), carries ``extra={"task_id":
...}``, or is emitted while an Asyncz task runs (found by ``adapters.asyncz.current_run``, so
a task's plain ``logging.getLogger(__name__)`` records are tagged with its task and run ids).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from .adapters.asyncz import current_run
from .adapters.redact import Redactor
from .history import Recorder, run_id_for

TASK_LOGGER_PREFIX = "asyncz_dashboard.tasks."
MAX_MESSAGE = 10_000


def get_task_logger(task_id: str) -> logging.LoggerAdapter[logging.Logger]:
    """A logger whose records are tagged with ``task_id`` in the dashboard's log viewer.

    Its level is INFO unless configured otherwise, so its records are kept even when the
    root logger only lets warnings through.
    """
    logger = logging.getLogger(TASK_LOGGER_PREFIX + task_id)
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)
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
        """Keep ``record`` if it belongs to a task or to asyncz."""
        try:
            if record.name.startswith("asyncz_dashboard.storage"):
                return
            entry = self._entry(record)
            if entry is not None:
                self.recorder.log(entry)
        except Exception:
            self.handleError(record)

    def _entry(self, record: logging.LogRecord) -> Any:
        from .storage.base import LogEntry

        task_id = str(getattr(record, "task_id", "") or "")
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
        """Install on the root logger (idempotent)."""
        root = logging.getLogger()
        if self not in root.handlers:
            root.addHandler(self)

    def detach(self) -> None:
        """Remove from the root logger."""
        logging.getLogger().removeHandler(self)
