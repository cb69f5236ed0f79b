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
import logging
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Generator
from datetime import datetime, timezone, tzinfo
from typing import Any, TypeVar

from asyncz.events import constants as ev
from asyncz.exceptions import MaximumInstancesError, SchedulerNotRunningError, TaskLookupError
from asyncz.executors import base as executor_base
from asyncz.schedulers.base import BaseScheduler
from asyncz.stores.memory import MemoryStore
from asyncz.triggers import CronTrigger, DateTrigger, IntervalTrigger

from .base import ActionFailed, Capabilities, TaskNotFound
from .describe import describe_cron, describe_date, describe_interval, format_absolute
from .index import TaskIndex
from .manual import ManualRuns
from .redact import Redactor, args_repr, kwargs_repr
from .snapshots import (
    ObservedEvent,
    SchedulerSnapshot,
    TaskCounts,
    TaskPage,
    TaskQuery,
    TaskSnapshot,
    TriggerOrder,
    trigger_order,
)

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
_SLICE = 0.005  # seconds of loop-thread CPU a rebuild takes before it lets the loop run others
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
            if known and not live:
                index.clear()  # every task was removed: no need to forget them one by one
                known = []
            stale: list[str] = []
            for start in range(0, len(known), _CHUNK * 256):
                stale.extend(i for i in known[start : start + _CHUNK * 256] if i not in live)
                yield
            for start in range(0, len(stale), _CHUNK * 8):
                index.prune(stale[start : start + _CHUNK * 8])
                yield
        except Exception:
            logger.exception("Could not read the scheduler's tasks")
        index.end_build()
        self._steps = None

    async def _run_steps(self, steps: Generator[None, None, None]) -> None:
        # Not waiting for anything: sleep(0) lets the loop serve others between two slices.
        while not _advance(steps):  # noqa: ASYNC110
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
            self.index.replace_all(self._collect())
        except Exception:
            logger.exception("Could not read the scheduler's tasks")
            self.index.end_build()

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
            return None
        snapshot = self.snapshot(task)
        self.index.upsert(snapshot)
        return snapshot

    def _on_event(self, event: Any) -> None:
        # Called by the scheduler, possibly from an executor thread: never raise into it.
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

    def snapshot(self, task: Any) -> TaskSnapshot:
        """Turn a live Asyncz task into a ``TaskSnapshot`` (display strings computed here)."""
        info = task.snapshot()
        tz = self.tz
        state = info.schedule_state.value
        next_run = info.next_run_time.astimezone(timezone.utc) if info.next_run_time else None
        words, one_off, order = _describe_trigger(task.trigger, tz, next_run)
        task_id = str(info.id)
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
                await asyncio.to_thread(lambda: self.index.replace_all(self._collect()))
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
