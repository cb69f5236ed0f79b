"""Which runs a "Run now" started, whatever order the executor's events arrive in.

Asyncz (checked against 0.17.2) marks only the submission event of ``run_task`` with
``source="manual"``; the execution event (``TASK_EXECUTED``, ``TASK_ERROR``, ``TASK_MISSED``)
carries no source, and may arrive first: the DebugExecutor runs the task inside ``run_task``,
and a thread-pool task can finish before the submission event is dispatched. ``ManualRuns``
holds what the adapter knows, so every event of a forced run is read as manual and a
scheduled run of the same task at another time is not.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone


@dataclass(eq=False)
class _Window:
    """One ``run_task`` call in progress: its run is at ``since`` or later."""

    since: datetime
    ended: set[datetime] = field(default_factory=set)  # runs that ended inside the window


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc)


class ManualRuns:
    """Remembers the runs of forced ("Run now") submissions until they end (thread-safe).

    Args:
        limit: at most this many run times are remembered (the oldest are forgotten).
    """

    def __init__(self, limit: int = 10_000):
        self.limit = limit
        self._lock = threading.Lock()
        self._windows: dict[str, list[_Window]] = {}
        self._times: OrderedDict[tuple[str, datetime], None] = OrderedDict()

    @contextmanager
    def expect(self, task_id: str, since: datetime) -> Iterator[None]:
        """While the block runs, any run of ``task_id`` at ``since`` or later is the forced one.

        ``since`` is the task's next run time when that is already due, else the time just
        before Asyncz's ``run_task`` (Asyncz runs the due times, or one run at its own "now").
        Call it on the scheduler's loop thread around ``run_task``: that thread is the only one
        that submits tasks, so no scheduled run of the task starts meanwhile, and any run
        submitted earlier has a run time before the task's next run time.
        """
        window = _Window(since=_utc(since))
        with self._lock:
            self._windows.setdefault(task_id, []).append(window)
        try:
            yield
        finally:
            with self._lock:
                windows = self._windows.get(task_id, [])
                if window in windows:
                    windows.remove(window)
                if not windows:
                    self._windows.pop(task_id, None)

    def submitted(self, task_id: str, run_times: Iterable[datetime], source: str) -> bool:
        """A submission (or a refused one) of ``task_id``: True when it is manual, that is
        marked so by the scheduler or made while a forced submission of that task is under
        way. Its run times are remembered until their runs end."""
        with self._lock:
            windows = self._windows.get(task_id, [])
            if not (source == "manual" or (not source and windows)):
                return False
            ended = set().union(*(w.ended for w in windows))
            for moment in map(_utc, run_times):
                if moment not in ended:
                    self._times[(task_id, moment)] = None
            while len(self._times) > self.limit:
                self._times.popitem(last=False)
        return True

    def ended(self, task_id: str, run_time: datetime) -> bool:
        """The run of ``task_id`` at ``run_time`` ended: True when it was a forced run."""
        moment = _utc(run_time)
        with self._lock:
            if (task_id, moment) in self._times:
                del self._times[(task_id, moment)]
                return True
            for window in self._windows.get(task_id, ()):
                if moment >= window.since:
                    window.ended.add(moment)  # its submission event may still come
                    return True
        return False

    def forget(self, task_id: str, run_times: Iterable[datetime]) -> None:
        """Drop the run times of a submission that will never run (refused at its limit)."""
        with self._lock:
            for moment in map(_utc, run_times):
                self._times.pop((task_id, moment), None)
