"""The scheduler adapter protocol, its capability flags and its errors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any, Protocol

from .changes import ChangePreview, TaskForm
from .snapshots import (
    RuntimeSnapshot,
    SchedulerSnapshot,
    TaskCounts,
    TaskPage,
    TaskQuery,
    TaskSnapshot,
    TimelineSlice,
)


class TaskNotFound(LookupError):
    """No task with this id exists (any more)."""

    def __init__(self, task_id: str):
        self.task_id = task_id
        super().__init__(f"There is no task with id {task_id!r}.")


class ActionFailed(Exception):
    """An action could not be carried out; the message is safe to show to the operator."""


class NotAvailable(LookupError):
    """The adapter cannot show this page (a fleet dashboard has no single runtime, say); the
    message says why and is safe to show. The views answer 404 with it."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Capabilities:
    """Which optional features an adapter supports: what it cannot do is treated like a
    permission nobody has (controls hidden, routes answer 403)."""

    run_now: bool = True
    pause_resume: bool = True
    remove: bool = True
    pause_scheduler: bool = True
    edit: bool = True
    create: bool = True

    def actions(self) -> frozenset[str]:
        """The permission names these capabilities allow (``view`` always)."""
        flags = {
            "run": self.run_now,
            "pause": self.pause_resume,
            "resume": self.pause_resume,
            "remove": self.remove,
            "pause_scheduler": self.pause_scheduler,
            "edit": self.edit,
            "create": self.create,
        }
        return frozenset({"view"} | {k for k, on in flags.items() if on})


class SchedulerAdapter(Protocol):
    """What the views need from a scheduler. Reads are cheap and synchronous (served from an
    index the adapter keeps current); actions are coroutines and raise ``TaskNotFound`` or
    ``ActionFailed``."""

    capabilities: Capabilities

    def scheduler(self) -> SchedulerSnapshot:
        """The scheduler's identity, state and timezone."""
        ...

    def counts(self) -> TaskCounts:
        """Task totals by state."""
        ...

    def list_tasks(self, query: TaskQuery) -> TaskPage:
        """One filtered, sorted page of tasks."""
        ...

    def upcoming(self, limit: int) -> tuple[TaskSnapshot, ...]:
        """The next ``limit`` tasks by next run time."""
        ...

    def facets(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The executor aliases and trigger aliases in use, for the filter menus."""
        ...

    def get_task(self, task_id: str) -> TaskSnapshot:
        """One task; raises ``TaskNotFound``."""
        ...

    @property
    def tz(self) -> tzinfo:
        """The scheduler's timezone: the zone pages show times in."""
        ...

    async def preview_runs(self, task_id: str, count: int = 10) -> tuple[datetime, ...]:
        """The task's next ``count`` run times, changing nothing; raises ``TaskNotFound``."""
        ...

    async def timeline(
        self, query: TaskQuery, end: datetime, limit: int, skip: int = 0
    ) -> TimelineSlice:
        """Upcoming runs of the tasks matching ``query`` before ``end``, in time order."""
        ...

    def runtime(self) -> RuntimeSnapshot:
        """The scheduler's class, defaults, stores and executors with task counts."""
        ...

    async def run_task(self, task_id: str) -> TaskSnapshot | None:
        """Run now, keeping the task's paused/scheduled state."""
        ...

    async def pause_task(self, task_id: str) -> TaskSnapshot | None:
        """Pause one task."""
        ...

    async def resume_task(self, task_id: str) -> TaskSnapshot | None:
        """Resume one task; None when the scheduler removed it because it had finished."""
        ...

    async def remove_task(self, task_id: str) -> None:
        """Remove one task."""
        ...

    async def pause_scheduler(self) -> str | None:
        """Pause the whole scheduler's processing; what was done, when there is more to say
        than that (a fleet: which workers), else None."""
        ...

    async def resume_scheduler(self) -> str | None:
        """Resume the whole scheduler's processing; see ``pause_scheduler``."""
        ...

    def task_form(self, task_id: str) -> TaskForm:
        """A task's editable fields as the form shows them; raises ``TaskNotFound``."""
        ...

    def new_task_form(self) -> TaskForm:
        """The create form's starting values."""
        ...

    async def preview_changes(self, task_id: str | None, changes: dict[str, Any]) -> ChangePreview:
        """Check changes (None: a new task) and compute next run times, changing nothing;
        raises ``InvalidChanges`` or ``TaskNotFound``."""
        ...

    async def update_task(self, task_id: str, changes: dict[str, Any]) -> TaskSnapshot | None:
        """Apply checked changes to one task (a paused task stays paused)."""
        ...

    async def add_task(self, changes: dict[str, Any]) -> TaskSnapshot:
        """Add a task from checked changes; raises ``InvalidChanges`` for a taken id."""
        ...

    def running_instances(self, task_id: str) -> int:
        """How many runs of the task are executing now."""
        ...

    def running_now(self) -> int:
        """How many runs, of every task, are executing now."""
        ...

    def version(self) -> int:
        """A counter that changes after every change of a task snapshot (cheap: no pass over
        the tasks), so a live page can tell whether its tasks may have changed."""
        ...

    def close(self) -> None:
        """Detach from the scheduler."""
        ...
