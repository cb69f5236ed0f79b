"""``Outcomes``: each task's last run and the tasks failing now, as runs arrive.

The local ``Recorder`` feeds it every run it saves; a fleet dashboard's ``FleetAdapter`` feeds
it the finished runs its workers wrote to the shared storage. Both pages (the task list's "Last
run" column and the overview's "Failing now") read it without touching a storage.
"""

from __future__ import annotations

import threading
from datetime import datetime, timezone

from ..storage.base import Run

_EPOCH = datetime.min.replace(tzinfo=timezone.utc)


class Outcomes:
    """The last run of each task (``last_runs``: task id -> run) and the tasks failing now
    (``failing``: task id -> its failed run): a task fails from a failed run until a run of it
    succeeds (a run under way, missed or cancelled since does not clear it). A run counts
    when it was submitted no earlier than the task's last run (a run without a submission
    time counts as submitted now). Safe from any thread."""

    def __init__(self) -> None:
        self.last_runs: dict[str, Run] = {}
        self.failing: dict[str, Run] = {}
        self._lock = threading.Lock()

    def apply(self, run: Run) -> bool:
        """Take ``run`` (a new state of one run); False when it changed nothing (older than
        the task's last run, or equal to it)."""
        with self._lock:
            previous = self.last_runs.get(run.task_id)
            if previous == run:
                return False
            submitted = run.submitted_at or datetime.now(timezone.utc)
            if previous is not None and submitted < (previous.submitted_at or _EPOCH):
                return False
            self.last_runs[run.task_id] = run
            if run.status == "failed":
                self.failing[run.task_id] = run
            elif run.status == "succeeded":
                self.failing.pop(run.task_id, None)
            return True

    def failing_runs(self) -> list[Run]:
        """The failed run of each task failing now (a copy)."""
        with self._lock:
            return list(self.failing.values())
