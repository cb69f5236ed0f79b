"""Recording what happens: runs from scheduler events, observed events, log records and audit
entries (``recorder.py``), written to the storages by a ``Writer`` (``writer.py``).

``asyncz_dashboard.history`` re-exports these names, as it held them before this package.
"""

from .outcomes import Outcomes
from .recorder import FAILURE_LOGGER, FAILURE_TEXT, Recorder, run_id_for
from .writer import PRUNE_EVERY, Writer, storage_logger

__all__ = [
    "FAILURE_LOGGER",
    "FAILURE_TEXT",
    "PRUNE_EVERY",
    "Outcomes",
    "Recorder",
    "Writer",
    "run_id_for",
    "storage_logger",
]
