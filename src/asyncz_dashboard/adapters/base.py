"""The scheduler adapter protocol, its capability flags and its errors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from .snapshots import SchedulerSnapshot, TaskCounts, TaskPage, TaskQuery, TaskSnapshot


class TaskNotFound(LookupError):
    """No task with this id exists (any more)."""

    def __init__(self, task_id: str):
        self.task_id = task_id
        super().__init__(f"There is no task with id {task_id!r}.")


class ActionFailed(Exception):
    """An action could not be carried out; the message is safe to show to the operator."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Capabilities:
    """Which optional features an adapter supports: what it cannot do is treated like a
    permission nobody has (controls hidden, routes answer 403)."""

    run_now: bool = True
    pause_resume: bool = True
    remove: bool = True
    pause_scheduler: bool = True

    def actions(self) -> frozenset[str]:
        """The permission names these capabilities allow (``view`` always)."""
        flags = {
            "run": self.run_now,
            "pause": self.pause_resume,
            "resume": self.pause_resume,
            "remove": self.remove,
            "pause_scheduler": self.pause_scheduler,
        }
        return frozenset({"view", "edit", "create"} | {k for k, on in flags.items() if on})


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

    async def pause_scheduler(self) -> None:
        """Pause the whole scheduler's processing."""
        ...

    async def resume_scheduler(self) -> None:
        """Resume the whole scheduler's processing."""
        ...

    def running_instances(self, task_id: str) -> int:
        """How many runs of the task are executing now."""
        ...

    def version(self) -> int:
        """A counter that changes after every change of a task snapshot (cheap: no pass over
        the tasks), so a live page can tell whether its tasks may have changed."""
        ...

    def close(self) -> None:
        """Detach from the scheduler."""
        ...
