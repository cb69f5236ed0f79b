"""Scheduler adapters: the only layer that knows a scheduler; views see snapshots only."""

from .base import ActionFailed, Capabilities, SchedulerAdapter, TaskNotFound
from .snapshots import SchedulerSnapshot, TaskCounts, TaskPage, TaskQuery, TaskSnapshot

__all__ = [
    "ActionFailed",
    "Capabilities",
    "SchedulerAdapter",
    "SchedulerSnapshot",
    "TaskCounts",
    "TaskNotFound",
    "TaskPage",
    "TaskQuery",
    "TaskSnapshot",
]
