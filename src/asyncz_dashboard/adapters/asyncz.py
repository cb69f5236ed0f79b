"""The Asyncz adapter: the only module that imports ``asyncz``.

It keeps a ``TaskIndex`` current from the scheduler's events (design notes in the brief,
checked against asyncz 0.17.2): after each action it re-reads the task it touched, re-reads a
task on its own events, and rebuilds on ``ALL_TASKS_REMOVED`` and store changes. A rebuild runs
on the scheduler's event loop in slices of a few milliseconds (Asyncz task objects are read on
that thread only), so it never holds the loop long, whatever the number of tasks. Stores shared
between processes are re-read in a worker thread at a bounded interval, never per request.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Generator
from datetime import datetime, timedelta, timezone, tzinfo
from itertools import islice
from typing import Any, TypeVar

from asyncz.events import constants as ev
from asyncz.exceptions import (
    AsynczException,
    AsynczLookupError,
    ConflictIdError,
    MaximumInstancesError,
    SchedulerNotRunningError,
    TaskLookupError,
)
from asyncz.executors import base as executor_base
from asyncz.schedulers.base import BaseScheduler
from asyncz.stores.memory import MemoryStore
from asyncz.triggers import CronTrigger, DateTrigger, IntervalTrigger
from asyncz.utils import check_callable_args, ref_to_obj

from .base import ActionFailed, Capabilities, TaskNotFound
from .changes import JSON_CHARS, ChangePreview, InvalidChanges, TaskForm
from .describe import (
    describe_cron,
    describe_date,
    describe_interval,
    distribution_version,
    format_absolute,
)
from .index import TaskIndex
from .manual import ManualRuns
from .preview import (
    FollowingCache,
    Merged,
    fire_times_from,
    merge_fire_times,
    next_fire_times,
)
from .redact import Redactor, args_repr, kwargs_repr
from .snapshots import (
    Component,
    ObservedEvent,
    RuntimeSnapshot,
    SchedulerSnapshot,
    TaskCounts,
    TaskPage,
    TaskQuery,
    TaskSnapshot,
    TimelineSlice,
    TriggerOrder,
    trigger_order,
)
from .values import TriggerSpec, format_interval, mask_json, to_json, unmask_json

logger = logging.getLogger("asyncz_dashboard")
T = TypeVar("T")

_REBUILD_EVENTS = ev.ALL_TASKS_REMOVED | ev.SCHEDULER_START | ev.STORE_ADDED | ev.STORE_REMOVED
_TASK_EVENTS = (
    ev.TASK_ADDED
    | ev.TASK_REMOVED
    | ev.TASK_MODIFIED
    | ev.TASK_SUBMITTED
    | ev.TASK_MAX_INSTANCES
    | ev.TASK_EXECUTED
    | ev.TASK_ERROR
    | ev.TASK_MISSED
)
_STATES = {0: "stopped", 1: "running", 2: "paused"}
# How far ahead a new trigger's fire times are searched: a cron expression that never fires
# (30 February) would otherwise search to the year 9999, seconds of CPU.
HORIZON = timedelta(days=100 * 366)
PREVIEW_COUNT = 5
_SLICE = 0.005  # seconds of loop-thread CPU a rebuild takes before it lets the loop run others
_YIELDS = 4  # turns of the loop a rebuild then leaves to others (their next steps)
_CHUNK = 16  # tasks read between two looks at the clock (~40 us each, more on a busy machine)
# Event names by code, from asyncz's own constants (SCHEDULER_START aliases SCHEDULER_STARTED).
EVENT_NAMES = {
    value: name.lower()
    for name, value in vars(ev).items()
    if name.isupper() and isinstance(value, int) and name not in ("ALL_EVENTS", "SCHEDULER_START")
}
# The executor entry points whose frames hold the running task and its scheduled run time.
_RUN_CODES = frozenset({executor_base.run_task.__code__, executor_base.run_coroutine_task.__code__})
Subscriber = Callable[[ObservedEvent], None]


class AsynczAdapter:
    """Serves an Asyncz scheduler to the dashboard.

    Args:
        scheduler: an Asyncz scheduler (``AsyncIOScheduler`` first of all), started or not.
        redactor: masks secrets in task arguments.
        show_args: False hides task arguments entirely.
        refresh_interval: seconds between background re-reads when a store is shared between
            processes (Redis, SQLAlchemy); memory stores are never polled.
    """

    capabilities = Capabilities()

    def __init__(
        self,
        scheduler: BaseScheduler,
        *,
        redactor: Redactor | None = None,
        show_args: bool = True,
        refresh_interval: float = 30.0,
    ):
        self.raw = scheduler
        self.redactor = redactor or Redactor()
        self.show_args = show_args
        self.refresh_interval = refresh_interval
        self.index = TaskIndex()
        self._attached = False
        self._stopped_key: tuple[tuple[int, Any], ...] | None = None
        self._poller: asyncio.Task[None] | None = None
        self._lock = threading.Lock()
        self._subscribers: list[Subscriber] = []
        self._removed: OrderedDict[str, TaskSnapshot] = OrderedDict()
        # Each task's trigger as last read (never called off the loop thread, never changed):
        # the timeline asks it for fire times without touching the stores.
        self._triggers: dict[str, Any] = {}
        self.last_event_at: datetime | None = None
        self._following = FollowingCache()
        self._build: asyncio.Future[None] | None = None
        self._steps: Generator[None, None, None] | None = None
        self.manual_runs = ManualRuns()
        self.attach()

    # -- lifecycle -----------------------------------------------------------------------
    def attach(self) -> None:
        """Listen to the scheduler and build the index (idempotent)."""
        with self._lock:
            if self._attached:
                return
            self.raw.add_listener(self._on_event, ev.ALL_EVENTS)
            self._attached = True
        self.rebuild()

    def close(self) -> None:
        """Stop listening and stop the background refresh (idempotent)."""
        with self._lock:
            if self._attached:
                self.raw.remove_listener(self._on_event)
                self._attached = False
        if self._poller is not None:
            self._poller.cancel()
            self._poller = None
        self._cancel_build()

    # -- snapshots -------------------------------------------------------------------------
    @property
    def tz(self) -> tzinfo:
        """The scheduler's timezone (UTC when it has none)."""
        return getattr(self.raw, "timezone", None) or timezone.utc

    def _collect(self) -> list[TaskSnapshot]:
        return [self.snapshot(task) for task in self.raw.get_tasks()]

    def rebuild(self) -> None:
        """Re-read every task into the index without holding the event loop (from any thread).

        On the scheduler's loop thread, the first slice (``_SLICE`` seconds) runs at once, so a
        small scheduler is fully read when this returns; the rest runs in slices with the loop
        free between them, and pages say "Loading N tasks" until the first build is done.
        Called from another thread, the rebuild is handed to the scheduler's loop; with no
        event loop at all, the first read from one continues it. A new rebuild replaces one
        under way. Stores shared between processes are read in a worker thread.
        """
        loop = _loop_of(self.raw)
        if loop is not None and not _on_thread_of(loop):
            self.index.begin_build(0)  # pages say "loading" until the loop has started it
            loop.call_soon_threadsafe(self.rebuild)
            return
        self._cancel_build()
        if self._shared_stores():
            self.index.begin_build(0)
            if loop is None:
                self._read_shared()
            else:
                self._build = loop.create_task(asyncio.to_thread(self._read_shared))
            return
        steps = self._build_steps()
        if not _advance(steps):
            self._steps = steps
            if loop is not None:
                self._build = loop.create_task(self._run_steps(steps))

    def _build_steps(self) -> Generator[None, None, None]:
        """A rebuild, yielding between steps of a fraction of a millisecond or so: read every
        task, then forget those the index holds that no longer exist."""
        index = self.index
        try:
            tasks = self.raw.get_tasks()
            index.begin_build(len(tasks))
            known = index.ids()
            yield
            live: set[str] = set()
            for start in range(0, len(tasks), _CHUNK):
                snapshots = [self.snapshot(task) for task in tasks[start : start + _CHUNK]]
                live.update(snapshot.id for snapshot in snapshots)
                index.load(snapshots)
                yield
            cleared = bool(known) and not live
            if cleared:
                index.clear()  # every task was removed: no need to forget them one by one
            stale: list[str] = []
            for start in range(0, len(known), _CHUNK * 256):
                stale.extend(i for i in known[start : start + _CHUNK * 256] if i not in live)
                yield
            for start in range(0, len(stale), _CHUNK * 8):
                chunk = stale[start : start + _CHUNK * 8]
                if not cleared:
                    index.prune(chunk)
                for task_id in chunk:
                    self._triggers.pop(task_id, None)
                yield
        except Exception:
            logger.exception("Could not read the scheduler's tasks")
        index.end_build()
        self._steps = None

    async def _run_steps(self, steps: Generator[None, None, None]) -> None:
        # Not waiting for anything: sleep(0) lets the loop serve others between two slices.
        # Once would let a request run one step per slice (a page awaits 10-20 times, so it
        # waited 10-20 slices during a build): _YIELDS times lets it run several. (A timed
        # sleep would also do it, but costs the build a timer wake-up per slice: far more than
        # a millisecond on a busy machine.)
        while not _advance(steps):
            for _ in range(_YIELDS):
                await asyncio.sleep(0)

    def _cancel_build(self) -> None:
        if self._build is not None:
            self._build.cancel()
            self._build = None
        if self._steps is not None:
            with contextlib.suppress(ValueError):  # closing it from inside itself
                self._steps.close()
            self._steps = None

    def _read_shared(self) -> None:
        try:
            self._replace_all(self._collect())
        except Exception:
            logger.exception("Could not read the scheduler's tasks")
            self.index.end_build()

    def _replace_all(self, snapshots: list[TaskSnapshot]) -> None:
        self.index.replace_all(snapshots)
        known = {s.id for s in snapshots}
        for task_id in list(self._triggers):
            if task_id not in known:
                self._triggers.pop(task_id, None)

    def refresh_task(self, task_id: str) -> TaskSnapshot | None:
        """Re-read one task into the index; None when it no longer exists."""
        task = self.raw.get_task(task_id)
        if task is None:
            gone = self.index.get(task_id)
            if gone is not None:
                with self._lock:
                    self._removed[task_id] = gone
                    while len(self._removed) > 1000:
                        self._removed.popitem(last=False)
            self.index.discard(task_id)
            self._triggers.pop(task_id, None)
            return None
        snapshot = self.snapshot(task)
        self.index.upsert(snapshot)
        return snapshot

    def _on_event(self, event: Any) -> None:
        # Called by the scheduler, possibly from an executor thread: never raise into it.
        self.last_event_at = datetime.now(timezone.utc)
        try:
            if event.code & _REBUILD_EVENTS:
                self.rebuild()
            elif event.code & _TASK_EVENTS and getattr(event, "task_id", None):
                self.refresh_task(str(event.task_id))
        except Exception:
            logger.exception("Dashboard index update failed for event %s", event)
        if self._subscribers:
            self._publish(event)

    def subscribe(self, callback: Subscriber) -> None:
        """Call ``callback(ObservedEvent)`` for every scheduler event (from any thread)."""
        if callback not in self._subscribers:
            self._subscribers.append(callback)

    def unsubscribe(self, callback: Subscriber) -> None:
        """Stop calling ``callback``."""
        if callback in self._subscribers:
            self._subscribers.remove(callback)

    def known_task(self, task_id: str) -> TaskSnapshot | None:
        """The task's snapshot, or its last one if it was removed recently."""
        return self.index.get(task_id) or self._removed.get(task_id)

    def _publish(self, event: Any) -> None:
        try:
            task_id = str(getattr(event, "task_id", "") or "")
            run_times = getattr(event, "scheduled_run_times", None)
            if run_times is None and getattr(event, "scheduled_run_time", None) is not None:
                run_times = [event.scheduled_run_time]
            observed = ObservedEvent(
                name=EVENT_NAMES.get(event.code, f"event_{event.code}"),
                code=int(event.code),
                task_id=task_id,
                store=str(getattr(event, "store", "") or ""),
                alias=str(getattr(event, "alias", "") or ""),
                run_times=(times := tuple(t for t in run_times or () if isinstance(t, datetime))),
                source=self._source(event, task_id, times),
                return_value=getattr(event, "return_value", None),
                exception=getattr(event, "exception", None),
                traceback=str(getattr(event, "traceback", "") or ""),
                scheduler=self.identity,
                task=self.known_task(task_id) if task_id else None,
            )
        except Exception:
            logger.exception("Could not translate scheduler event %s", event)
            return
        for callback in list(self._subscribers):
            try:
                callback(observed)
            except Exception:
                logger.exception("Dashboard event subscriber failed")

    def _source(self, event: Any, task_id: str, run_times: tuple[datetime, ...]) -> str:
        # Asyncz marks only a submission as manual, and a forced run's execution event may come
        # first (see adapters/manual.py): both are read against what run_task told ManualRuns.
        source = str(getattr(event, "source", "") or "")
        if not task_id or not run_times:
            return source
        if event.code & (ev.TASK_SUBMITTED | ev.TASK_MAX_INSTANCES):
            manual = self.manual_runs.submitted(task_id, run_times, source)
            if event.code & ev.TASK_MAX_INSTANCES:
                self.manual_runs.forget(task_id, run_times)
            return "manual" if manual else source
        if event.code & (ev.TASK_EXECUTED | ev.TASK_ERROR | ev.TASK_MISSED):
            return "manual" if self.manual_runs.ended(task_id, run_times[0]) else source
        return source

    @property
    def identity(self) -> str:
        """The scheduler's identity string."""
        return str(getattr(self.raw, "identity", "") or "")

    def running_instances(self, task_id: str) -> int:
        """How many runs of the task are executing now (the executors' instance count)."""
        instances = getattr(self.raw, "instances", None) or {}
        return int(instances.get(task_id, 0))

    def running(self) -> dict[str, int]:
        """Every task executing now, with how many of its runs are (a copy, safe to read
        from another thread: the executors change the scheduler's counts under their lock)."""
        instances = getattr(self.raw, "instances", None) or {}
        for _ in range(10):
            try:
                return {str(k): int(n) for k, n in list(instances.items()) if n}
            except RuntimeError:  # changed size while copied: an executor started or ended one
                continue
        return {}

    def running_now(self) -> int:
        """Runs under way now, of every task."""
        return sum(self.running().values())

    def snapshot(self, task: Any) -> TaskSnapshot:
        """Turn a live Asyncz task into a ``TaskSnapshot`` (display strings computed here)."""
        info = task.snapshot()
        tz = self.tz
        state = info.schedule_state.value
        next_run = info.next_run_time.astimezone(timezone.utc) if info.next_run_time else None
        trigger = task.trigger
        words, one_off, order = _describe_trigger(trigger, tz, next_run)
        task_id = str(info.id)
        self._triggers[task_id] = trigger
        # A name can hold a DSN and be of any length: masked and bounded once, here.
        name = self.redactor.mask_name(str(info.name or info.callable_name or task_id))
        reference = info.callable_reference or info.callable_name or ""
        args = args_repr(info.args, self.redactor) if self.show_args else ""
        kwargs = kwargs_repr(info.kwargs, self.redactor) if self.show_args else ""
        return TaskSnapshot(
            id=task_id,
            name=name,
            callable_name=info.callable_name or "",
            callable_reference=reference,
            trigger_alias=info.trigger_alias or (info.trigger_name or "").lower(),
            trigger_text=words,
            trigger_raw=info.trigger_description or "",
            next_run_time=next_run,
            next_run_text=format_absolute(next_run, tz),
            store=info.store_alias or "",
            executor=info.executor or "",
            state=state if state in ("pending", "paused", "scheduled") else "scheduled",
            coalesce=bool(info.coalesce),
            max_instances=int(info.max_instances or 1),
            misfire_grace_time=info.mistrigger_grace_time,
            args_repr=args,
            kwargs_repr=kwargs,
            one_off_run_at=one_off,
            one_off_run_at_text=format_absolute(one_off, tz),
            # The callable's name, not its module path: "sync" must not match every task of
            # a package whose path contains "asyncz".
            search_text=" ".join((task_id, name, info.callable_name or "", words)).lower(),
            trigger_order=order,
        )

    # -- reads -------------------------------------------------------------------------------
    def _fresh(self) -> TaskIndex:
        # A rebuild started where there was no event loop goes on here (on one, in slices).
        steps = self._steps
        if steps is not None and self._build is None:
            loop = _loop_of(self.raw)
            if loop is None:
                for _ in steps:
                    pass
            elif _on_thread_of(loop):
                self._build = loop.create_task(self._run_steps(steps))
        # A stopped scheduler keeps tasks in a pending list and sends no events for them: rebuild
        # only when that list changed (a cheap pass over identities, not a re-snapshot of all).
        if self.raw.state == 0:
            pending = getattr(self.raw, "pending_tasks", ())
            key = tuple((id(entry[0]), entry[0].next_run_time) for entry in pending)
            if key != self._stopped_key:
                self._stopped_key = key
                self.rebuild()
        self._ensure_poller()
        return self.index

    def scheduler(self) -> SchedulerSnapshot:
        """Identity, state, timezone, executors and stores (cost independent of task count)."""
        raw = self.raw
        started = getattr(raw, "started_at", None)
        return SchedulerSnapshot(
            identity=str(getattr(raw, "identity", "") or ""),
            state=_STATES.get(int(raw.state), "stopped"),  # type: ignore[arg-type]
            timezone=str(self.tz),
            executors=tuple(sorted(raw.executors)),
            stores=tuple(sorted(raw.stores)),
            started_at=started.astimezone(timezone.utc) if started else None,
            index_built_at=self.index.built_at,
            index_refresh_interval=self.refresh_interval if self._shared_stores() else None,
        )

    def counts(self) -> TaskCounts:
        """Task totals by state, from the index."""
        return self._fresh().counts()

    def list_tasks(self, query: TaskQuery) -> TaskPage:
        """One page of tasks, from the index."""
        return self._fresh().query(query)

    def upcoming(self, limit: int) -> tuple[TaskSnapshot, ...]:
        """The next ``limit`` tasks due."""
        return self._fresh().upcoming(limit)

    def version(self) -> int:
        """The index's change counter (after the stopped-scheduler check, which may rebuild)."""
        return self._fresh().version

    def facets(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Executor and trigger aliases for the filter menus."""
        executors, triggers = self._fresh().facets()
        return tuple(sorted(set(executors) | set(self.raw.executors))), triggers

    def get_task(self, task_id: str) -> TaskSnapshot:
        """One task's snapshot.

        Raises:
            TaskNotFound: no such task.
        """
        snapshot = self._fresh().get(task_id)
        if snapshot is None:
            raise TaskNotFound(task_id)
        return snapshot

    # -- upcoming runs and the runtime -----------------------------------------------------------
    async def preview_runs(self, task_id: str, count: int = 10) -> tuple[datetime, ...]:
        """The task's next ``count`` (1 to 50) run times in the scheduler's zone, from Asyncz's
        ``preview_task_runs`` (which changes nothing), on the loop thread. A paused task has no
        next run time: its times are those it would have if resumed now.

        Raises:
            TaskNotFound: no such task.
        """
        tz = self.tz

        def compute() -> tuple[datetime, ...]:
            preview = getattr(self.raw, "preview_task_runs", None)  # Asyncz >= 0.17
            result = preview(task_id, count=count) if preview is not None else None
            if result is not None:
                return tuple(t.astimezone(tz) for t in result.run_times)
            # Older Asyncz, or a stopped scheduler (whose lookups find no task): the trigger
            # and next run time as last read.
            trigger, snapshot = self._triggers.get(task_id), self.index.get(task_id)
            if trigger is None or snapshot is None:
                raise TaskNotFound(task_id)
            if snapshot.next_run_time is None:
                return tuple(next_fire_times(trigger, datetime.now(tz), count, tz))
            return tuple(islice(fire_times_from(trigger, snapshot.next_run_time, tz), count))

        def guarded() -> tuple[datetime, ...]:
            try:
                return compute()
            except TaskNotFound:
                raise
            except Exception:  # a custom trigger's own failure must not break the page
                logger.warning("Could not preview the runs of task %r", task_id, exc_info=True)
                return ()

        return await self._on_loop(guarded)

    async def timeline(
        self, query: TaskQuery, end: datetime, limit: int, skip: int = 0
    ) -> TimelineSlice:
        """Runs ``skip`` to ``skip + limit`` of the tasks matching ``query``'s filters, due
        before ``end``, in time order: a k-way merge over each trigger's fire times from the
        task's next run time (paused tasks have none), O((skip + limit) * log tasks), computed
        on the loop thread within a 0.5 s budget; no trigger is changed."""
        order = self._fresh().by_next_run(query)
        tz = self.tz

        def following(task: TaskSnapshot, moment: datetime) -> datetime | None:
            trigger = self._triggers.get(task.id)
            if trigger is None:
                return None
            return self._following.following(task.id, trigger, moment, tz)

        def compute() -> Merged[TaskSnapshot]:
            return merge_fire_times(
                order,
                lambda s: s.next_run_time,
                following,
                tz,
                end=end,
                limit=limit,
                skip=skip,
                budget=TIMELINE_BUDGET,
            )

        merged = await self._on_loop(compute)
        return TimelineSlice(runs=merged.rows, more=merged.more, cut=merged.cut)

    def runtime(self) -> RuntimeSnapshot:
        """The scheduler's class, identity, state, zone, task defaults, stores and executors
        with their task counts (from the index: cost independent of the task count)."""
        raw = self.raw
        base = self.scheduler()
        per_store, per_executor = self._fresh().per_store_and_executor()
        defaults = getattr(raw, "task_defaults", None)
        names = ("mistrigger_grace_time", "coalesce", "max_instances")
        return RuntimeSnapshot(
            scheduler_class=_class_name(raw),
            identity=base.identity,
            state=base.state,
            timezone=base.timezone,
            started_at=base.started_at,
            task_defaults=tuple(
                (_DEFAULT_LABELS[n], repr(getattr(defaults, n))) for n in names if defaults
            ),
            stores=_components(raw.stores, per_store),
            executors=_components(raw.executors, per_executor),
            asyncz_version=distribution_version("asyncz"),
            last_event_at=self.last_event_at,
        )

    # -- background refresh for shared stores ----------------------------------------------
    def _shared_stores(self) -> bool:
        return any(not isinstance(store, MemoryStore) for store in self.raw.stores.values())

    def _ensure_poller(self) -> None:
        if self._poller is not None or not self._attached or not self._shared_stores():
            return
        with contextlib.suppress(RuntimeError):
            self._poller = asyncio.get_running_loop().create_task(self._poll())

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.refresh_interval)
            try:
                await asyncio.to_thread(lambda: self._replace_all(self._collect()))
            except Exception:
                logger.exception("Background refresh of the task index failed")

    # -- actions -------------------------------------------------------------------------------
    async def _on_loop(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` on the scheduler's event loop thread (Asyncz requires it for actions)."""
        loop = getattr(self.raw, "event_loop", None)
        running = asyncio.get_running_loop()
        if loop is None or loop is running or not loop.is_running():
            return fn()

        async def call() -> T:
            return fn()

        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(call(), loop))

    async def _act(self, task_id: str, fn: Callable[[], Any]) -> TaskSnapshot | None:
        try:
            await self._on_loop(fn)
        except TaskLookupError as exc:
            if not self.is_running():
                # A stopped Asyncz scheduler finds no task at all: say why, not "no such task".
                raise ActionFailed("The scheduler is not running.") from exc
            self.index.discard(task_id)
            raise TaskNotFound(task_id) from exc
        except SchedulerNotRunningError as exc:
            raise ActionFailed("The scheduler is not running.") from exc
        except MaximumInstancesError as exc:
            snapshot = self.index.get(task_id)
            limit = snapshot.max_instances if snapshot else "its"
            raise ActionFailed(
                f"The task is already running its maximum of {limit} instance(s)."
            ) from exc
        finally:
            with contextlib.suppress(Exception):
                self.refresh_task(task_id)
        return self.index.get(task_id)

    async def run_task(self, task_id: str) -> TaskSnapshot | None:
        """Run a task now with ``run_task(id, remove_finished=False)``: one extra run.

        As the brief decides: Asyncz resumes a paused recurring task when it runs it, so this
        pauses it again; a one-off (date) task has used up its trigger and stays listed,
        paused (resuming re-arms it at its original run time). A scheduled recurring task
        keeps its next run time: Asyncz would restart an interval's cadence from "now", which
        an operator asking for one extra run does not expect.
        """

        def run() -> None:
            task = self.raw.get_task(task_id)
            if task is None:
                raise TaskLookupError(task_id)
            before = task.next_run_time
            now = datetime.now(timezone.utc)
            # Asyncz gives this run the times already due (from ``before`` on), else its "now".
            with self.manual_runs.expect(task_id, min(before, now) if before else now):
                self.raw.run_task(task_id, remove_finished=False)
            after = self.raw.get_task(task_id)
            if after is None or after.next_run_time is None:
                return
            if before is None:
                self.raw.pause_task(task_id)
            elif before > now and after.next_run_time != before:
                self.raw.update_task(task_id, next_run_time=before)

        return await self._act(task_id, run)

    async def pause_task(self, task_id: str) -> TaskSnapshot | None:
        """Pause one task."""
        return await self._act(task_id, lambda: self.raw.pause_task(task_id))

    async def resume_task(self, task_id: str) -> TaskSnapshot | None:
        """Resume one task; a finished one-off task is re-armed at its original run time."""
        return await self._act(task_id, lambda: self.raw.resume_task(task_id))

    async def remove_task(self, task_id: str) -> None:
        """Remove one task."""
        await self._act(task_id, lambda: self.raw.delete_task(task_id))

    async def pause_scheduler(self) -> None:
        """Pause the scheduler's processing (running tasks continue).

        Raises:
            ActionFailed: the scheduler is stopped, or already paused.
        """
        if int(self.raw.state) == 2:
            raise ActionFailed("The scheduler is already paused.")
        try:
            await self._on_loop(self.raw.pause)
        except SchedulerNotRunningError as exc:
            raise ActionFailed("The scheduler is not running.") from exc

    async def resume_scheduler(self) -> None:
        """Resume the scheduler's processing.

        Raises:
            ActionFailed: the scheduler is stopped, or already running.
        """
        if int(self.raw.state) == 1:
            raise ActionFailed("The scheduler is already running.")
        try:
            await self._on_loop(self.raw.resume)
        except SchedulerNotRunningError as exc:
            raise ActionFailed("The scheduler is not running.") from exc

    def is_running(self) -> bool:
        """True when the scheduler is started (running or paused)."""
        return int(self.raw.state) != 0

    # -- editing and creating tasks (the task form) ---------------------------------------------
    def task_form(self, task_id: str) -> TaskForm:
        """A task's editable fields as the form shows them (secrets masked).

        Raises:
            TaskNotFound: no such task.
            ActionFailed: the scheduler is stopped (Asyncz then finds no task at all).
        """
        task = self.raw.get_task(task_id)
        if task is None and not self.is_running():
            raise ActionFailed("The scheduler is not running.")
        if task is None:
            raise TaskNotFound(task_id)
        snapshot = self.snapshot(task)
        kind, value = trigger_form(task.trigger, self.tz)
        args = kwargs = ""
        if self.show_args:
            args = _form_json(mask_json(list(task.args), self.redactor)) or snapshot.args_repr
            kwargs = _form_json(mask_json(dict(task.kwargs), self.redactor)) or snapshot.kwargs_repr
        grace = task.mistrigger_grace_time
        return TaskForm(
            name=str(task.name or ""),
            callable_path=snapshot.callable_reference,
            args=args,
            kwargs=kwargs,
            executor=str(task.executor or ""),
            coalesce=bool(task.coalesce),
            max_instances=str(task.max_instances or 1),
            misfire_grace_time="" if grace is None else _number(grace),
            trigger_type=kind,
            trigger_value=value,
            store=snapshot.store,
            id=snapshot.id,
            paused=task.next_run_time is None,
        )

    def new_task_form(self) -> TaskForm:
        """The create form's starting values: the scheduler's task defaults."""
        defaults = self.raw.task_defaults
        grace = getattr(defaults, "mistrigger_grace_time", None)
        return TaskForm(
            coalesce=bool(getattr(defaults, "coalesce", True)),
            max_instances=str(getattr(defaults, "max_instances", 1) or 1),
            misfire_grace_time="" if grace is None else _number(grace),
        )

    async def preview_changes(self, task_id: str | None, changes: dict[str, Any]) -> ChangePreview:
        """Check ``changes`` (from ``read_task_form``; ``fn`` the callable or import path to
        use) against the scheduler and compute the next run times, changing nothing.
        ``task_id`` None previews a new task. Runs in a worker thread (a cron search is CPU).

        Raises:
            TaskNotFound: no such task.
            InvalidChanges: the scheduler refuses a value (field -> message).
        """
        return await asyncio.to_thread(self._preview, task_id, changes)

    def _preview(self, task_id: str | None, changes: dict[str, Any]) -> ChangePreview:
        task = None
        if task_id is not None:
            task = self.raw.get_task(task_id)
            if task is None:
                raise TaskNotFound(task_id)
        elif changes.get("id") and self.raw.get_task(changes["id"]) is not None:
            raise InvalidChanges({"id": "A task with this id exists already."})
        spec: TriggerSpec | None = changes.get("trigger")
        trigger = self.build_trigger(spec) if spec else task.trigger if task else None
        first = task.next_run_time if task is not None and spec is None else None
        times, words = preview_trigger(trigger, self.tz, first, spec)
        if task is None or {"fn", "args", "kwargs"} & changes.keys():
            self._check_call(task, changes)
        paused = bool(changes.get("paused")) if task is None else task.next_run_time is None
        return ChangePreview(run_times=times, trigger_text=words, paused=paused)

    def build_trigger(self, spec: TriggerSpec) -> Any:
        """An Asyncz trigger for ``spec`` in the scheduler's timezone (see ``build_trigger``).

        Raises:
            InvalidChanges: Asyncz refuses the value (a cron field out of range).
        """
        return build_trigger(spec, self.tz)

    def _check_call(self, task: Any, changes: dict[str, Any]) -> None:
        fn = changes.get("fn", task.fn if task is not None else None)
        if isinstance(fn, str):
            try:
                fn = ref_to_obj(fn)  # an import path from the host's allowlist, nothing else
            except (AsynczException, AsynczLookupError, ImportError, AttributeError) as exc:
                raise InvalidChanges({"callable_path": str(exc)[:300]}) from None
        if not callable(fn):
            raise InvalidChanges({"callable_path": "Choose a callable."})
        args, kwargs = self._arguments(task, changes)
        try:
            check_callable_args(fn, args, kwargs)
        except ValueError as exc:
            key = "kwargs" if "kwargs" in changes and "args" not in changes else "args"
            raise InvalidChanges({key: str(exc)[:300]}) from None

    def _arguments(self, task: Any, changes: dict[str, Any]) -> tuple[Any, Any]:
        old_args = tuple(task.args) if task is not None else ()
        old_kwargs = dict(task.kwargs) if task is not None else {}
        args = (
            unmask_json(changes["args"], old_args, self.redactor) if "args" in changes else old_args
        )
        kwargs = (
            unmask_json(changes["kwargs"], old_kwargs, self.redactor)
            if "kwargs" in changes
            else old_kwargs
        )
        return args, kwargs

    async def update_task(self, task_id: str, changes: dict[str, Any]) -> TaskSnapshot | None:
        """Apply checked ``changes`` with one Asyncz ``update_task`` call on the loop thread.

        A new trigger gets its first fire time as the next run time (what Asyncz's
        ``reschedule_task`` does), except on a paused task, which stays paused.

        Raises:
            TaskNotFound: no such task.
            ActionFailed: the scheduler refused (stopped, or a value it rejects).
        """

        def update() -> None:
            task = self.raw.get_task(task_id)
            if task is None:
                raise TaskLookupError(task_id)
            updates: dict[str, Any] = {
                key: changes[key]
                for key in ("name", "executor", "coalesce", "max_instances")
                if key in changes
            }
            if "misfire_grace_time" in changes:
                updates["mistrigger_grace_time"] = changes["misfire_grace_time"]
            if "fn" in changes:
                updates["fn"] = changes["fn"]
            if {"args", "kwargs"} & changes.keys():
                updates["args"], updates["kwargs"] = self._arguments(task, changes)
            if "trigger" in changes:
                updates["trigger"] = trigger = self.build_trigger(changes["trigger"])
                if task.next_run_time is not None:
                    now = datetime.now(self.tz)
                    times = next_fire_times(_bounded(trigger, now), now, 1, self.tz)
                    updates["next_run_time"] = times[0] if times else None
            try:
                self.raw.update_task(task_id, **updates)
            except (ValueError, TypeError, AttributeError) as exc:
                raise ActionFailed(f"The scheduler refused the change: {str(exc)[:300]}") from exc

        return await self._act(task_id, update)

    async def add_task(self, changes: dict[str, Any]) -> TaskSnapshot:
        """Add a task from checked ``changes`` (``fn``: a callable or an allowed import path)
        on the loop thread, scheduled or paused.

        Raises:
            InvalidChanges: the id is taken.
            ActionFailed: the scheduler refused it.
        """
        spec: TriggerSpec = changes["trigger"]

        def add() -> str:
            if not self.is_running():  # Asyncz would keep it pending, outside every store
                raise ActionFailed("The scheduler is not running: no task was added.")
            trigger = self.build_trigger(spec)
            now = datetime.now(self.tz)
            times = next_fire_times(_bounded(trigger, now), now, 1, self.tz)
            args, kwargs = self._arguments(None, changes)
            try:
                task = self.raw.add_task(
                    changes["fn"],
                    trigger=trigger,
                    args=args,
                    kwargs=kwargs,
                    id=changes.get("id"),
                    name=changes.get("name"),
                    mistrigger_grace_time=changes.get("misfire_grace_time"),
                    coalesce=changes.get("coalesce", True),
                    max_instances=changes.get("max_instances", 1),
                    next_run_time=None if changes.get("paused") or not times else times[0],
                    store=changes.get("store", "default"),
                    executor=changes.get("executor", "default"),
                )
            except ConflictIdError:
                raise InvalidChanges({"id": "A task with this id exists already."}) from None
            except (ValueError, TypeError, KeyError, AsynczException) as exc:
                raise ActionFailed(f"The scheduler refused the task: {str(exc)[:300]}") from exc
            return str(task.id)

        task_id = await self._on_loop(add)
        snapshot = self.refresh_task(task_id)
        if snapshot is None:
            raise ActionFailed("The task was added but could not be read back.")
        return snapshot


def build_trigger(spec: TriggerSpec, tz: tzinfo) -> Any:
    """An Asyncz trigger for ``spec`` in zone ``tz``; nothing is scheduled (the fleet
    dashboard builds one to preview a worker's task from the submitted values).

    Raises:
        InvalidChanges: Asyncz refuses the value (a cron field out of range).
    """
    try:
        if spec.kind == "interval" and spec.interval is not None:
            return IntervalTrigger(seconds=int(spec.interval.total_seconds()), timezone=tz)
        if spec.kind == "cron":
            return CronTrigger.from_crontab(" ".join(spec.cron), timezone=tz)
        return DateTrigger(run_at=spec.run_at, timezone=tz)
    except (ValueError, TypeError, KeyError) as exc:
        message = str(exc).removeprefix("Error validating expression ")[:300]
        raise InvalidChanges({"trigger_value": message or "Not a valid trigger."}) from None


def preview_trigger(
    trigger: Any, tz: tzinfo, first: datetime | None, spec: TriggerSpec | None
) -> tuple[tuple[datetime, ...], str]:
    """The next ``PREVIEW_COUNT`` fire times of ``trigger`` (aware, UTC) from ``first`` (a
    task's next run time) or from now, and the trigger in words; a cron search stops 100
    years ahead (CPU: call it in a thread).

    Raises:
        InvalidChanges: ``spec`` (a new trigger) never fires, or its date has passed.
    """
    now = datetime.now(tz)
    times = tuple(next_fire_times(_bounded(trigger, now), first or now, PREVIEW_COUNT, tz))
    if spec is not None and (not times or times[0] < now):
        raise InvalidChanges({"trigger_value": _never(spec)})
    words = _describe_trigger(trigger, tz, None)[0] if trigger is not None else "no trigger"
    return tuple(t.astimezone(timezone.utc) for t in times), words


TIMELINE_BUDGET = 0.5  # seconds of trigger arithmetic per timeline page at most
_DEFAULT_LABELS = {
    "mistrigger_grace_time": "misfire grace time (s)",
    "coalesce": "coalesce",
    "max_instances": "max instances",
}


def _class_name(value: object) -> str:
    kind = type(value)
    return f"{kind.__module__}.{kind.__qualname__}"


def _components(parts: dict[str, Any], counts: dict[str, int]) -> tuple[Component, ...]:
    return tuple(
        Component(alias=alias, class_name=_class_name(part), tasks=counts.get(alias, 0))
        for alias, part in sorted(parts.items())
    )


def _describe_trigger(
    trigger: Any, tz: tzinfo, next_run: datetime | None
) -> tuple[str, datetime | None, TriggerOrder]:
    """The trigger in words, a date trigger's run time, and its sort key by meaning (a cron
    or date trigger fires next at the task's next run time; a paused one at none)."""
    try:
        if isinstance(trigger, CronTrigger):
            fields = {f.name: str(f) for f in trigger.fields}
            words = describe_cron(fields) or str(trigger)
            return words, None, trigger_order("cron", fires_at=next_run)
        if isinstance(trigger, IntervalTrigger):
            seconds = trigger.interval.total_seconds()
            return (
                describe_interval(trigger.interval),
                None,
                trigger_order("interval", seconds=seconds),
            )
        if isinstance(trigger, DateTrigger):
            run_at = trigger.run_at.astimezone(timezone.utc)
            words = describe_date(run_at, tz)
            return words, run_at, trigger_order("date", fires_at=next_run or run_at)
    except Exception:
        logger.debug("Could not describe trigger %r", trigger, exc_info=True)
    words = str(trigger) if trigger is not None else "no trigger"
    return words, None, trigger_order(type(trigger).__name__.lower(), text=words)


def _loop_of(scheduler: Any) -> asyncio.AbstractEventLoop | None:
    """The running loop Asyncz tasks are read on: the scheduler's, else this thread's."""
    loop = getattr(scheduler, "event_loop", None)
    if isinstance(loop, asyncio.AbstractEventLoop) and loop.is_running():
        return loop
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _on_thread_of(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


def _advance(steps: Generator[None, None, None]) -> bool:
    """Run ``steps`` for about ``_SLICE`` seconds of this thread's CPU time (the same work
    however busy the machine is); True when they are all done."""
    deadline = time.thread_time() + _SLICE
    for _ in steps:
        if time.thread_time() >= deadline:
            return False
    return True


def default_scheduler() -> BaseScheduler:
    """A new, not started ``AsyncIOScheduler`` with a memory store (the reference dashboard's
    default when it is given no scheduler)."""
    from asyncz.schedulers.asyncio import AsyncIOScheduler

    return AsyncIOScheduler(stores={"default": {"type": "memory"}})


def _bounded(trigger: Any, now: datetime) -> Any:
    """``trigger``, or for a cron trigger a copy that stops searching ``HORIZON`` from now."""
    if not isinstance(trigger, CronTrigger):
        return trigger
    limit = now + HORIZON
    if trigger.end_at is not None and trigger.end_at <= limit:
        return trigger
    bounded = copy.copy(trigger)
    bounded.end_at = limit
    return bounded


def _form_json(value: Any) -> str | None:
    """JSON text for the form, None when the value is not JSON or too long to edit there (the
    bounded repr is shown instead, and the arguments are kept unless replaced)."""
    text = to_json(value)
    return text if text is not None and len(text) <= JSON_CHARS else None


def _never(spec: TriggerSpec) -> str:
    if spec.kind == "date":
        return "This time has passed; choose one in the future."
    return "This trigger never fires (no run time within 100 years)."


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def trigger_form(trigger: Any, tz: tzinfo) -> tuple[str, str]:
    """A trigger as the form's ``trigger_type`` and ``trigger_value`` (the short forms)."""
    if isinstance(trigger, IntervalTrigger):
        return "interval", format_interval(trigger.interval)
    if isinstance(trigger, DateTrigger):
        return "date", trigger.run_at.astimezone(tz).isoformat(timespec="seconds")
    if isinstance(trigger, CronTrigger):
        fields = {f.name: str(f) for f in trigger.fields}
        extra = (
            fields.get("second") != "0" or fields.get("year") != "*" or fields.get("week") != "*"
        )
        if not extra:
            return "cron", " ".join(
                fields[name] for name in ("minute", "hour", "day", "month", "day_of_week")
            )
        return "cron", str(trigger)
    alias = str(getattr(trigger, "alias", "") or type(trigger).__name__).lower()
    return alias, str(trigger)


def settings_config() -> dict[str, Any]:
    """Values of ``asyncz.settings.dashboard_config`` that our ``DashboardConfig`` knows.

    Only values the user changed from Asyncz's own defaults are taken: Asyncz's defaults
    (title, favicon path, ...) describe its own dashboard, not ours. Asyncz's dashboard config
    needs Lilya; when it cannot be built, only Asyncz's ``secret_key`` setting is used.
    """
    from asyncz.conf import settings

    values: dict[str, Any] = {}
    try:
        config = settings.dashboard_config
    except Exception:
        config = None
    names = (
        *("dashboard_url_prefix", "title", "header_title", "description", "session_cookie"),
        *("same_site", "https_only", "secret_key", "max_age", "path", "domain", "favicon"),
    )
    try:
        defaults = type(config)() if config is not None else None
    except Exception:
        defaults = None
    for name in names:
        value = getattr(config, name, None) if config is not None else None
        if value is None or (name != "secret_key" and value == getattr(defaults, name, value)):
            continue
        values[name] = value
    secret = getattr(settings, "secret_key", None)
    if secret and "secret_key" not in values:
        values["secret_key"] = secret
    return values


def current_run() -> tuple[str, datetime] | None:
    """The (task id, scheduled run time) of the Asyncz task running in this context, if any.

    Found without the task's help (see the brief's design notes): a coroutine task runs inside
    ``run_coroutine_task``, the coroutine of the current asyncio task; a thread-executor task
    runs inside ``run_task`` on the current thread's stack. Both frames hold ``task`` and the
    ``run_time`` being executed. Checked against asyncz 0.17; finds nothing (None) elsewhere.
    """
    try:
        current = asyncio.current_task()
    except RuntimeError:
        current = None
    if current is not None:
        frame = getattr(current.get_coro(), "cr_frame", None)
        if frame is not None and frame.f_code in _RUN_CODES:
            return _run_from_locals(frame.f_locals)
    frame = sys._getframe(1)
    for _ in range(80):
        if frame is None:
            break
        if frame.f_code in _RUN_CODES:
            return _run_from_locals(frame.f_locals)
        frame = frame.f_back
    return None


def _run_from_locals(values: Any) -> tuple[str, datetime] | None:
    task = values.get("task")
    run_time = values.get("run_time")
    if task is None or not isinstance(run_time, datetime) or getattr(task, "id", None) is None:
        return None
    return str(task.id), run_time
