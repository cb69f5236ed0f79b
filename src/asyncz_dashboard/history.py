"""Moved to ``asyncz_dashboard.recording``; these names stay importable from here."""

from .recording import (
    FAILURE_LOGGER,
    FAILURE_TEXT,
    PRUNE_EVERY,
    Recorder,
    Writer,
    run_id_for,
    storage_logger,
)

__all__ = [
    "FAILURE_LOGGER",
    "FAILURE_TEXT",
    "PRUNE_EVERY",
    "Recorder",
    "Writer",
    "run_id_for",
    "storage_logger",
]
