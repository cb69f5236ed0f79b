"""The fleet demo's workers: the demo scheduler's tasks dealt out to three schedulers, so each
task is held by one worker (``asyncz-dashboard demo --fleet``)."""

from __future__ import annotations

from asyncz.schedulers.asyncio import AsyncIOScheduler

from ..demo import build_demo_scheduler

WORKERS = 3


def _share(number: int) -> AsyncIOScheduler:
    """A not-yet-started demo scheduler keeping every third task, from the ``number``-th."""
    scheduler = build_demo_scheduler()
    for position, task in enumerate(sorted(scheduler.get_tasks(), key=lambda t: str(t.id))):
        if position % WORKERS != number - 1:
            scheduler.delete_task(task.id)
    return scheduler


def worker_1() -> AsyncIOScheduler:
    """The first demo worker's scheduler."""
    return _share(1)


def worker_2() -> AsyncIOScheduler:
    """The second demo worker's scheduler."""
    return _share(2)


def worker_3() -> AsyncIOScheduler:
    """The third demo worker's scheduler."""
    return _share(3)
