"""``FleetAdapter``: every worker of a fleet database as one scheduler adapter.

Its ``TaskIndex`` follows the change feed: a daemon thread reads the task rows whose version
is past the last one it applied (every ``poll_seconds``, sooner on a PostgreSQL ``NOTIFY``), and
the instances (a handful of rows), so a request never reads the database for the task list.
A task held by several workers (a store they share) is listed once, with their names; an
action on it goes to one that is reachable. Actions are command rows; see ``commands.py``.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone, tzinfo
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Connection, select, update

from ..adapters.asyncz import _number, build_trigger, preview_trigger
from ..adapters.base import ActionFailed, Capabilities, NotAvailable, TaskNotFound
from ..adapters.changes import ChangePreview, InvalidChanges, TaskForm
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
from ..adapters.values import CallableAllowlist, TriggerSpec, parse_trigger
from ..recording.outcomes import Outcomes
from ..storage.base import MAX_LIMIT, Run
from ..storage.readers import DEFAULT_TIMEOUT
from ..storage.sql.engine import Database, create_sql_engine
from ..storage.sql.runs import finished_since, latest_outcomes
from ..storage.sql.schema import TABLES
from .commands import Commands
from .db import (
    COMMANDS,
    FLEET_TASKS,
    INSTANCES,
    TASKS_CHANNEL,
    Instance,
    Waker,
    db_now,
    publish_tasks,
    read_instances,
)
from .liveness import fail_commands, gone, interrupt_runs, orphaned

logger = logging.getLogger("asyncz_dashboard.fleet")

_NOT_MIRRORED = (
    "{page} is not available for a fleet dashboard: each worker's scheduler runs in its own "
    "process. The Workers page lists them."
)

FEED_ROWS = 5000  # task rows read per round of the change feed
SWEEP_SECONDS = 2.0  # how often commands of dead workers are failed
# Finished runs are read again this far back: a worker's batch may commit after one that
# finished later (or on a clock a little behind), so a run is never missed for that.
RUNS_OVERLAP = timedelta(seconds=10)
_RUNS_FLOOR = datetime(2000, 1, 1, tzinfo=timezone.utc)
_CHANGES = TABLES["changes"]


_ORDER = {"live": 0, "unreachable": 1, "stopped": 2}


@dataclass(frozen=True, slots=True)
class WorkerRow:
    """One instance as the overview and the Workers page show it: with the number of tasks it
    holds and of runs under way in it (0 once it is not reachable)."""

    instance: Instance
    tasks: int
    running: int


class FleetAdapter:
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

    # -- the change feed ----------------------------------------------------------------------
    def _follow(self) -> None:
        while not self._closed.is_set():
            try:
                self.catch_up()
            except Exception as exc:
                logger.warning("fleet: could not read the change feed: %s", exc)
            self.waker.wait(self.poll_seconds)

    def catch_up(self) -> None:
        """Apply the instances and every task change past ``feed_version`` (blocking: call it
        from a thread)."""
        with self._lock:
            instances = self.database.read(read_instances)
            old = self.instances
            changed = {i for i, new in instances.items() if _moved(old.get(i), new)}
            # A worker's state or its running tasks show without re-showing its tasks.
            status = any(_status(old.get(i)) != _status(new) for i, new in instances.items())
            touched = self._read_feed()
            touched |= {t for t, held in self._held.items() if changed & held.keys()}
            for task_id in touched:
                self._show(task_id, instances)
            # After its tasks: a worker is never shown unreachable with its tasks not greyed.
            self.instances = instances
            if touched or changed or status:
                self._revision += 1
            self.polled_at = datetime.now(timezone.utc)
        try:
            self._sweep()  # first: the runs it interrupts show in this round's outcomes
        except Exception as exc:
            logger.warning("fleet: could not sweep after gone workers: %s", exc)
        try:
            if self._follow_runs():
                self._revision += 1  # live task lists and overviews show the outcomes
        except Exception as exc:
            logger.warning("fleet: could not read the finished runs: %s", exc)
        if self.audit_storage is not None and self.commands.settle(self.audit_storage):
            self._revision += 1  # live audit pages show the outcomes

    def _read_feed(self) -> set[str]:
        """Apply the task rows past ``feed_version``; the ids of the tasks they touched."""
        touched: set[str] = set()
        while True:
            rows = self.database.read(self._changes)
            for instance_id, task_id, snapshot, version, removed in rows:
                touched.add(task_id)
                held = self._held.setdefault(task_id, {})
                had = instance_id in held
                if removed:
                    held.pop(instance_id, None)
                else:
                    try:
                        held[instance_id] = TaskSnapshot.from_json(snapshot)
                    except ValueError:
                        logger.warning("fleet: unreadable snapshot of %r", task_id)
                if (instance_id in held) != had:
                    change = 1 if instance_id in held else -1
                    self.task_counts[instance_id] = self.task_counts.get(instance_id, 0) + change
                self.feed_version = max(self.feed_version, int(version))
            if len(rows) < FEED_ROWS:
                return touched

    def _changes(self, conn: Connection) -> list[tuple[str, str, str, int, int]]:
        stmt = (
            select(
                FLEET_TASKS.c.instance_id,
                FLEET_TASKS.c.task_id,
                FLEET_TASKS.c.snapshot,
                FLEET_TASKS.c.version,
                FLEET_TASKS.c.removed,
            )
            .where(FLEET_TASKS.c.version > self.feed_version)
            .order_by(FLEET_TASKS.c.version)
            .limit(FEED_ROWS)
        )
        return [tuple(row) for row in conn.execute(stmt)]

    def _follow_runs(self) -> bool:
        """Apply the runs that finished since the last read to ``outcomes``; whether any
        changed what it shows. Nothing is read past one counter row while no process wrote a
        run; the first read takes each task's last outcomes, later ones the runs finished
        since (``RUNS_OVERLAP`` before the latest seen, by the ``finished_at`` index)."""
        counter, runs = self.database.read(self._runs_round)
        changed = False
        for run in runs:
            changed |= self.outcomes.apply(run)
        # Never past this clock: a worker whose clock runs ahead cannot hide the others' runs.
        ends = [r.finished_at for r in runs if r.finished_at is not None]
        latest = max([self._runs_after or _RUNS_FLOOR, *ends])
        self._runs_after = min(latest, datetime.now(timezone.utc))
        self._runs_counter = counter
        return changed

    def _runs_round(self, conn: Connection) -> tuple[int | None, list[Run]]:
        stmt = select(_CHANGES.c.value).where(_CHANGES.c.kind == "runs")
        counter = conn.execute(stmt).scalar()
        if counter is not None and counter == self._runs_counter:
            return counter, []
        if self._runs_after is None:
            return counter, latest_outcomes(conn)
        runs: list[Run] = []
        after = (max(self._runs_after - RUNS_OVERLAP, _RUNS_FLOOR), "")
        while True:
            page = finished_since(conn, after, FEED_ROWS)
            runs += page
            if len(page) < FEED_ROWS or page[-1].finished_at is None:
                return counter, runs
            after = (page[-1].finished_at, page[-1].run_id)

    def _show(self, task_id: str, instances: dict[str, Instance]) -> None:
        held = self._held.get(task_id)
        if not held:
            self._held.pop(task_id, None)
            self.index.discard(task_id)
            return
        holders = sorted((instances[i] for i in held if i in instances), key=lambda i: i.name)
        if not holders:
            return  # its instance row is not visible yet: the next round shows it
        live = [i for i in holders if i.reachable]
        source = held[(live or holders)[0].id]
        names = ", ".join(i.name for i in holders)
        stale = None if live else max(i.heartbeat_at for i in holders)
        self.index.upsert(
            replace(
                source,
                worker=names,
                stale_since=stale,
                search_text=f"{source.search_text} {names.lower()}",
            )
        )

    def _sweep(self) -> None:
        """Fail the commands waiting on (or claimed by) a worker that is gone: never re-run;
        and close as "interrupted" the runs it left "running" (once each time it goes)."""
        instances = self.instances
        self._interrupted &= {i.id for i in gone(instances.values())}  # came back: again
        dead = [i.id for i in gone(instances.values())]
        if not dead or time.monotonic() - self._last_sweep < SWEEP_SECONDS:
            return
        self._last_sweep = time.monotonic()
        self.database.write(partial(fail_commands, instance_ids=dead))
        owners = {
            identity: instance
            for identity, instance in orphaned(instances.values()).items()
            if instance.id not in self._interrupted
        }
        if not owners:
            return
        closed = self.database.write(partial(interrupt_runs, owners=owners), changes="runs")
        if closed < MAX_LIMIT:  # else more are left: the next sweep closes them
            self._interrupted |= {i.id for i in owners.values()}
        if closed:
            logger.info("fleet: %d run(s) of gone workers marked interrupted", closed)

    def link_audit(self, command_id: int, entry_id: int) -> None:
        """Audit entry ``entry_id`` (of ``audit_storage``) records command ``command_id`` as
        pending; the feed gives it the command's outcome. Blocking: call it from a thread."""
        token = getattr(self.audit_storage, "token", "")
        if token:
            self.commands.link_audit(command_id, token, entry_id)
            self._revision += 1

    def forget(self, instance_id: str) -> Instance:
        """Forget an instance that is unreachable or stopped: its mirrored tasks leave the
        list (tombstones on the change feed, so every replica drops them), its waiting
        commands fail "worker forgotten", and its row goes. Returns it as it was. Blocking:
        call it from a thread. A live instance is refused: it would re-register at its next
        heartbeat anyway (``FleetWorker`` does so when its row is gone), and so does one that
        comes back later.

        Raises:
            LookupError: no such instance.
            ActionFailed: it is live.
        """

        def forget(conn: Connection) -> Instance:
            instance = read_instances(conn).get(instance_id)
            if instance is None:
                raise LookupError(instance_id)
            if instance.reachable:
                raise ActionFailed(
                    f"worker {instance.name} is live: only an unreachable or stopped worker "
                    "can be forgotten"
                )
            held = select(FLEET_TASKS.c.task_id).where(
                FLEET_TASKS.c.instance_id == instance_id, FLEET_TASKS.c.removed == 0
            )
            publish_tasks(conn, instance_id, [(str(t), None) for (t,) in conn.execute(held)])
            conn.execute(
                update(COMMANDS)
                .where(
                    COMMANDS.c.instance_id == instance_id,
                    COMMANDS.c.status.in_(("pending", "claimed")),
                )
                .values(status="failed", finished_at=db_now(conn), message="worker forgotten")
            )
            conn.execute(INSTANCES.delete().where(INSTANCES.c.id == instance_id))
            return instance

        instance = self.database.write(forget)
        self.catch_up()
        return instance

    def holders(self, task_id: str) -> list[Instance]:
        """The instances holding a task, reachable ones first."""
        held = self._held.get(task_id, {})
        found = [self.instances[i] for i in held if i in self.instances]
        return sorted(found, key=lambda i: (not i.reachable, i.name))

    def worker_rows(self) -> list[WorkerRow]:
        """Every instance, live first then by name, with its task and running counts."""
        shown = sorted(self.instances.values(), key=lambda i: (_ORDER[i.status], i.name))
        return [WorkerRow(i, self.task_counts.get(i.id, 0), i.running_now) for i in shown]

    def workers(self) -> tuple[str, ...]:
        """The names of the instances that are not stopped, for the Worker filter."""
        return tuple(sorted({i.name for i in self.instances.values() if i.stopped_at is None}))

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
        return _zone(self.scheduler().timezone)

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

    # -- editing and creating (commands carried out by a worker, within its allowlist) ------
    def task_form(self, task_id: str) -> TaskForm:
        """A task's form, from its mirrored snapshot: the arguments as their masked repr (kept
        unless replaced), the trigger as the worker wrote it (``trigger_form``).

        Raises:
            TaskNotFound: no worker holds it.
            ActionFailed: every worker holding it is unreachable.
        """
        snap = self.get_task(task_id)
        self.commands.target(task_id)
        grace = snap.misfire_grace_time
        return TaskForm(
            name=snap.name,
            callable_path=snap.callable_reference,
            args=snap.args_repr,
            kwargs=snap.kwargs_repr,
            executor=snap.executor,
            coalesce=snap.coalesce,
            max_instances=str(snap.max_instances),
            misfire_grace_time="" if grace is None else _number(grace),
            trigger_type=snap.trigger_alias,
            trigger_value=snap.trigger_form or snap.trigger_raw,
            store=snap.store,
            id=snap.id,
            paused=snap.state == "paused",
        )

    def new_task_form(self) -> TaskForm:
        """The create form's starting values (each worker applies its own defaults after)."""
        return TaskForm()

    def creator(self, callable_name: str, executor: str, store: str) -> Instance | None:
        """The live worker (first by name) that allows ``callable_name`` and has ``executor``
        and ``store``: where a ``create`` command goes."""
        for instance in sorted(self.instances.values(), key=lambda i: i.name):
            if (
                instance.reachable
                and callable_name in instance.callables
                and executor in instance.executors
                and store in instance.stores
            ):
                return instance
        return None

    def _target(self, task_id: str | None, changes: dict[str, Any]) -> Instance:
        """Where the change goes, checked against that worker (field -> message).

        Raises:
            TaskNotFound: no worker holds ``task_id``.
            InvalidChanges: no live worker can take it.
        """
        if task_id is not None:
            try:
                worker = self.commands.target(task_id)
            except ActionFailed as exc:
                raise InvalidChanges({"name": str(exc)}) from None
            if "callable" in changes and changes["callable"] not in worker.callables:
                raise InvalidChanges(
                    {"callable_path": f"{worker.name} does not allow this callable."}
                )
            if "executor" in changes and changes["executor"] not in worker.executors:
                raise InvalidChanges({"executor": f"{worker.name} has no such executor."})
            return worker
        if changes.get("id") and self.index.get(changes["id"]) is not None:
            raise InvalidChanges({"id": "A task with this id exists already."})
        found = self.creator(
            str(changes.get("callable", "")),
            str(changes.get("executor", "default")),
            str(changes.get("store", "default")),
        )
        if found is None:
            raise InvalidChanges(
                {"callable_path": "No live worker allows this callable with this executor "
                 "and store."}
            )  # fmt: skip
        return found

    async def preview_changes(self, task_id: str | None, changes: dict[str, Any]) -> ChangePreview:
        """Check ``changes`` against the worker that would carry them out and compute the next
        run times here, from the submitted trigger (or the mirrored one), in that worker's
        zone: the worker's process is not needed. Its callable's signature is checked by the
        worker when the command arrives.

        Raises:
            TaskNotFound: no worker holds ``task_id``.
            InvalidChanges: a value no live worker can take (field -> message).
        """
        worker = self._target(task_id, changes)
        tz = _zone(worker.timezone)
        snap = self.get_task(task_id) if task_id is not None else None
        spec: TriggerSpec | None = changes.get("trigger")
        if spec is None and snap is not None and snap.trigger_form:
            try:
                current = parse_trigger(snap.trigger_alias, snap.trigger_form, tz)
            except ValueError:
                current = None
        else:
            current = None
        use = spec or current
        if use is None:  # a kind the form cannot write: what the mirror says
            shown = (snap.next_run_time,) if snap and snap.next_run_time else ()
            return ChangePreview(
                run_times=shown, trigger_text=snap.trigger_text if snap else "", paused=False
            )
        trigger = build_trigger(use, tz)
        first = snap.next_run_time if snap is not None and spec is None else None
        times, words = await asyncio.to_thread(preview_trigger, trigger, tz, first, spec)
        paused = bool(changes.get("paused")) if snap is None else snap.state == "paused"
        return ChangePreview(run_times=times, trigger_text=words, paused=paused)

    async def update_task(self, task_id: str, changes: dict[str, Any]) -> TaskSnapshot | None:
        """Send an ``edit`` command to the worker holding the task; its new snapshot.

        Raises:
            TaskNotFound, ActionFailed, NotConfirmed: as ``Commands.send``.
        """
        return await self.commands.send("edit", task_id, payload=command_values(changes))

    async def add_task(self, changes: dict[str, Any]) -> TaskSnapshot:
        """Send a ``create`` command to a live worker that allows the callable; the new task.

        Raises:
            InvalidChanges: no live worker can take it.
            ActionFailed, NotConfirmed: as ``Commands.send``.
        """
        worker = self._target(None, changes)
        created = await self.commands.send(
            "create", str(changes.get("id") or ""), payload=command_values(changes), worker=worker
        )
        if created is None:
            raise ActionFailed(f"{worker.name} added the task, but it is not listed yet.")
        return created

    def running_instances(self, task_id: str) -> int:
        """How many runs of the task are under way in the reachable workers holding it, as
        they last said (a worker publishes its running tasks within about a second)."""
        instances = self.instances
        return sum(
            i.running.get(task_id, 0)
            for instance_id in self._held.get(task_id, ())
            if (i := instances.get(instance_id)) is not None and i.reachable
        )

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


class FleetAllowlist(CallableAllowlist):
    """The callables the fleet's live workers allow (their ``allowed_callables`` names), as
    the task form offers them: names only, never imported here (each worker imports its own
    after checking its list again). It follows the workers as they come and go."""

    def __init__(self, adapter: FleetAdapter):
        super().__init__(())
        self.adapter = adapter

    def _names(self) -> tuple[str, ...]:
        live = (i for i in self.adapter.instances.values() if i.reachable)
        return tuple(dict.fromkeys(name for i in live for name in i.callables))

    def __bool__(self) -> bool:
        return bool(self._names())

    def names(self) -> tuple[str, ...]:
        """The names offered, in the workers' order."""
        return self._names()

    def lookup(self, value: str) -> str | None:
        """``value`` when a live worker allows that name, else None."""
        value = value.strip()
        return value if value in self._names() else None

    def target(self, name: str) -> str:
        """The name itself: the worker that carries the command out resolves it."""
        return name


def command_values(changes: dict[str, Any]) -> dict[str, Any]:
    """``read_task_form``'s checked values as a command's JSON payload: the trigger as its
    kind and short form, the callable by its allowed name (``fn`` is the worker's to find)."""
    values = {k: v for k, v in changes.items() if k not in ("fn", "trigger")}
    spec: TriggerSpec | None = changes.get("trigger")
    if spec is not None:
        values["trigger"] = {"kind": spec.kind, "value": spec.value}
    return values


def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ValueError, ZoneInfoNotFoundError):
        return timezone.utc


def _moved(old: Instance | None, new: Instance) -> bool:
    """Whether an instance's change shows on its tasks (reachability or name)."""
    return old is None or old.reachable != new.reachable or old.name != new.name


def _status(instance: Instance | None) -> tuple[str, dict[str, int], int] | None:
    """What the pages show of an instance besides its tasks: state, running tasks, status."""
    if instance is None:
        return None
    return instance.state, instance.running, instance.running_now


def _union(groups: Iterable[tuple[str, ...]]) -> tuple[str, ...]:
    return tuple(sorted({x for group in groups for x in group}))
