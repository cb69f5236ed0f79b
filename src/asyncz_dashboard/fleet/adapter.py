"""``FleetAdapter``: every worker of a fleet database as one scheduler adapter.

What it shows comes from its change feed (``feed.py``: the task rows, the instances and the
finished runs, read by a daemon thread, so a request never reads the database for the task
list); an action on a task goes, as a command row (``commands.py``), to a worker holding it
that is reachable; editing and creating are commands too (``editing.py``); workers that are
gone are swept after (``liveness.py``). This module holds the adapter's protocol: reads,
actions and closing.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterable
from datetime import datetime, tzinfo
from typing import Any

from ..adapters.base import ActionFailed, Capabilities, NotAvailable, TaskNotFound
from ..adapters.index import TaskIndex
from ..adapters.snapshots import (
    RuntimeSnapshot,
    SchedulerSnapshot,
    TaskCounts,
    TaskPage,
    TaskQuery,
    TaskSnapshot,
    TimelineSlice,
)
from ..recording.outcomes import Outcomes
from ..storage.readers import DEFAULT_TIMEOUT
from ..storage.sql.engine import Database, create_sql_engine
from .commands import Commands
from .db import TASKS_CHANNEL, Instance, Waker
from .editing import Editing, FleetAllowlist, command_values, zone
from .feed import FEED_ROWS, RUNS_OVERLAP, Feed
from .liveness import SWEEP_SECONDS, Liveness, WorkerRow

# Re-exported: where they were before the adapter was split.
__all__ = [
    "FEED_ROWS",
    "RUNS_OVERLAP",
    "SWEEP_SECONDS",
    "FleetAdapter",
    "FleetAllowlist",
    "WorkerRow",
    "command_values",
]

logger = logging.getLogger("asyncz_dashboard.fleet")

_NOT_MIRRORED = (
    "{page} is not available for a fleet dashboard: each worker's scheduler runs in its own "
    "process. The Workers page lists them."
)


class FleetAdapter(Feed, Liveness, Editing):
    """Serves the tasks that the workers of the fleet database at ``url`` publish.

    Args:
        url: the database the workers' ``FleetWorker`` write to.
        poll_seconds: how often the change feed is read (PostgreSQL ``NOTIFY`` wakes it sooner).
        confirm_seconds: how long an action waits for its worker's outcome.
        timeout: seconds a read may take.

    Raises:
        ValueError: ``url`` is not a SQLite or PostgreSQL URL.
    """

    # Editing and creating are commands that a worker carries out within its own allowlist (its
    # callables stay in its process). Pausing the scheduler is a command to each live worker
    # (one, or all).
    capabilities = Capabilities()

    def __init__(
        self,
        url: str,
        *,
        poll_seconds: float = 0.5,
        confirm_seconds: float = 3.0,
        timeout: float = DEFAULT_TIMEOUT,
    ):
        self.database = Database(create_sql_engine(url, timeout), timeout)
        self.poll_seconds = poll_seconds
        self.index = TaskIndex()
        self.instances: dict[str, Instance] = {}
        self.feed_version = 0  # the last change-feed version applied
        self._revision = 0  # bumped whenever what the dashboard shows changed
        self.polled_at: datetime | None = None
        self._held: dict[str, dict[str, TaskSnapshot]] = {}  # task id -> instance id -> snapshot
        self.task_counts: dict[str, int] = {}  # instance id -> tasks it holds
        self._lock = threading.Lock()  # one reader of the feed at a time
        self._last_sweep = 0.0
        self._interrupted: set[str] = set()  # gone instances whose runs were closed
        self.commands = Commands(self, confirm_seconds)
        self.audit_storage: Any = None  # pending audit entries settled by the feed (``settle``)
        # Each task's last finished run and the tasks failing now, from the runs the workers
        # record in this database (``_follow_runs``): the task list and overview read them.
        self.outcomes = Outcomes()
        self._runs_counter: int | None = None  # the "runs" change counter last read
        self._runs_after: datetime | None = None  # the latest finished_at read (None: none yet)
        self._closed = threading.Event()
        self.waker = Waker(self.database, (TASKS_CHANNEL,))
        self._thread = threading.Thread(
            target=self._follow, name="asyncz-dashboard-fleet-feed", daemon=True
        )
        self._thread.start()

    def link_audit(self, command_id: int, entry_id: int) -> None:
        """Audit entry ``entry_id`` (of ``audit_storage``) records command ``command_id`` as
        pending; the feed gives it the command's outcome. Blocking: call it from a thread."""
        token = getattr(self.audit_storage, "token", "")
        if token:
            self.commands.link_audit(command_id, token, entry_id)
            self._revision += 1

    # -- reads --------------------------------------------------------------------------------
    @property
    def identity(self) -> str:
        """What the fleet is called on the page."""
        return "fleet"

    def scheduler(self) -> SchedulerSnapshot:
        """The fleet as one scheduler: running while any worker's scheduler runs."""
        live = [i for i in self.instances.values() if i.reachable]
        states = {i.state for i in live}
        state = "running" if "running" in states else "paused" if "paused" in states else "stopped"
        return SchedulerSnapshot(
            identity=f"fleet of {len(live)} live worker(s)",
            state=state,  # type: ignore[arg-type]
            timezone=live[0].timezone if live else "UTC",
            executors=_union(i.executors for i in live),
            stores=_union(i.stores for i in live),
            started_at=min((i.started_at for i in live), default=None),
            index_built_at=self.polled_at,
            index_refresh_interval=self.poll_seconds,
        )

    def counts(self) -> TaskCounts:
        """Task totals by state, from the index."""
        return self.index.counts()

    def list_tasks(self, query: TaskQuery) -> TaskPage:
        """One page of tasks, from the index."""
        return self.index.query(query)

    def upcoming(self, limit: int) -> tuple[TaskSnapshot, ...]:
        """The next ``limit`` tasks due."""
        return self.index.upcoming(limit)

    def facets(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Executor and trigger aliases for the filter menus."""
        return self.index.facets()

    def get_task(self, task_id: str) -> TaskSnapshot:
        """One task's snapshot.

        Raises:
            TaskNotFound: no worker holds it.
        """
        snapshot = self.index.get(task_id)
        if snapshot is None:
            raise TaskNotFound(task_id)
        return snapshot

    @property
    def tz(self) -> tzinfo:
        """The zone pages show times in: the first live worker's (UTC when none or unknown)."""
        return zone(self.scheduler().timezone)

    def version(self) -> int:
        """Changes whenever a task or an instance shown changed (no pass over the tasks): both
        counters only grow, so their sum changes when either does."""
        return self._revision + self.index.version

    async def preview_runs(self, task_id: str, count: int = 10) -> tuple[datetime, ...]:
        """Not mirrored (a worker's trigger objects stay in its process): none.

        Raises:
            TaskNotFound: no worker holds the task.
        """
        self.get_task(task_id)
        return ()

    async def timeline(
        self, query: TaskQuery, end: datetime, limit: int, skip: int = 0
    ) -> TimelineSlice:
        """Not mirrored (a worker's triggers stay in its process).

        Raises:
            NotAvailable: always.
        """
        raise NotAvailable(_NOT_MIRRORED.format(page="The timeline"))

    def runtime(self) -> RuntimeSnapshot:
        """Not one scheduler: the Workers page shows each worker's.

        Raises:
            NotAvailable: always.
        """
        raise NotAvailable(_NOT_MIRRORED.format(page="The runtime page"))

    def running_now(self) -> int:
        """Runs under way in every reachable worker."""
        return sum(i.running_now for i in self.instances.values())

    def is_running(self) -> bool:
        """True while any worker's scheduler is started."""
        return self.scheduler().state != "stopped"

    # -- actions (commands to the workers) ---------------------------------------------------
    async def run_task(self, task_id: str) -> TaskSnapshot | None:
        """Run a task now, in the worker that holds it."""
        return await self.commands.send("run", task_id)

    async def pause_task(self, task_id: str) -> TaskSnapshot | None:
        """Pause one task."""
        return await self.commands.send("pause", task_id)

    async def resume_task(self, task_id: str) -> TaskSnapshot | None:
        """Resume one task."""
        return await self.commands.send("resume", task_id)

    async def remove_task(self, task_id: str) -> None:
        """Remove one task."""
        await self.commands.send("remove", task_id)

    async def pause_scheduler(self) -> str:
        """Pause the scheduler of every live worker whose scheduler runs: one command each,
        sent at once; returns what was done.

        Raises:
            ActionFailed: no live worker's scheduler runs, or a worker did not confirm or
                refused (the message names each outcome; the others were still paused).
        """
        return await self._every_worker("pause", "running")

    async def resume_scheduler(self) -> str:
        """Resume the scheduler of every live worker whose scheduler is paused; see
        ``pause_scheduler``."""
        return await self._every_worker("resume", "paused")

    async def pause_worker(self, instance_id: str) -> str:
        """Pause one worker's scheduler (its runs under way go on); returns what was done.

        Raises:
            KeyError: no such instance.
            ActionFailed: it is unreachable (nothing sent), refused (its message), or did not
                confirm in time (``NotConfirmed``).
        """
        return await self._worker_command("pause", self.instances[instance_id])

    async def resume_worker(self, instance_id: str) -> str:
        """Resume one worker's scheduler; see ``pause_worker``."""
        return await self._worker_command("resume", self.instances[instance_id])

    async def _worker_command(self, verb: str, worker: Instance) -> str:
        await self.commands.send(f"{verb}_scheduler", "", worker=worker)
        return f"{verb.capitalize()}d the scheduler of {worker.name}."

    async def _every_worker(self, verb: str, state: str) -> str:
        targets = sorted(
            (i for i in self.instances.values() if i.reachable and i.state == state),
            key=lambda i: i.name,
        )
        if not targets:
            raise ActionFailed(f"no live worker's scheduler is {state}: nothing was sent")
        outcomes = await asyncio.gather(
            *(self._worker_command(verb, i) for i in targets), return_exceptions=True
        )
        failed = [
            f"{i.name}: {o}"
            for i, o in zip(targets, outcomes, strict=True)
            if isinstance(o, Exception)
        ]
        done = len(targets) - len(failed)
        names = ", ".join(i.name for i in targets)
        if failed:
            raise ActionFailed(f"{verb}d {done} of {len(targets)} workers; " + "; ".join(failed))
        return f"{verb.capitalize()}d the scheduler of {len(targets)} worker(s): {names}."

    # -- events (none: the workers record their own) ---------------------------------------
    def subscribe(self, callback: object) -> None:
        """The fleet's events are recorded by the workers: nothing to subscribe to here."""

    def unsubscribe(self, callback: object) -> None:
        """See ``subscribe``."""

    def close(self) -> None:
        """Stop following the feed and close the pool. Safe to call twice."""
        if self._closed.is_set():
            return
        self._closed.set()
        self.waker.close()
        self._thread.join(5.0)
        self.database.dispose()


def _union(groups: Iterable[tuple[str, ...]]) -> tuple[str, ...]:
    return tuple(sorted({x for group in groups for x in group}))
