"""``FleetWorker``: publishes one scheduler to a fleet database and carries out its commands.

Two daemon threads, so the scheduler's event loop never waits for the database: the heartbeat
thread (every ``heartbeat_seconds``) and the worker thread, which mirrors task snapshots (a
full resync at start and at each heartbeat interval, else the tasks named by the adapter's
events, batched, at most about a second behind) and claims and carries out commands, woken by
PostgreSQL ``NOTIFY`` and polling every second. Actions run on the scheduler's own loop.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import platform
import socket
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from functools import partial
from importlib import metadata
from typing import Any

from sqlalchemy import Connection, select, update

from ..adapters.asyncz import AsynczAdapter, trigger_form
from ..adapters.base import ActionFailed, TaskNotFound
from ..adapters.changes import InvalidChanges
from ..adapters.redact import Redactor
from ..adapters.snapshots import ObservedEvent, TaskSnapshot
from ..adapters.values import CallableAllowlist, parse_trigger
from ..history import Recorder, Writer
from ..logs import DashboardLogHandler
from ..storage import open_storages
from ..storage.readers import DEFAULT_TIMEOUT
from ..storage.sql.engine import Database, create_sql_engine
from .db import (
    COMMANDS,
    COMMANDS_CHANNEL,
    FLEET_TASKS,
    INSTANCES,
    PAYLOAD_VERBS,
    TASKS_CHANNEL,
    Waker,
    db_now,
    notify,
    publish_tasks,
)

logger = logging.getLogger("asyncz_dashboard.fleet")

POLL_SECONDS = 1.0  # commands are looked for at least this often
BATCH_DELAY = 0.05  # seconds an event waits for the events that follow it
BATCH_ROWS = 1000  # task rows per transaction
ACTION_TIMEOUT = 30.0  # seconds a command may take on the scheduler's loop
_REBUILDS = frozenset({"all_tasks_removed", "scheduler_started", "store_added", "store_removed"})


class FleetWorker:
    """Publishes ``scheduler`` to the fleet database at ``url`` and carries out the commands
    addressed to it; the threads start at once, whether the scheduler is started or not.

    Args:
        scheduler: an Asyncz scheduler.
        url: ``postgresql://...`` (a fleet across machines) or ``sqlite:///file.db`` (one host).
        name: shown on the dashboard; ``host:pid`` by default.
        heartbeat_seconds: how often the instance says it is alive; missing 3 heartbeats
            makes it unreachable.
        adapter: an ``AsynczAdapter`` over ``scheduler`` to reuse (the dashboard's own);
            one is made (and closed by ``close``) when None.
        record: also record runs, logs and events into the same database (as ``storage=``);
            False when the caller records them already.
        timeout: seconds a read may take.
        allowed_callables: what ``create`` commands may make tasks with, and ``edit``
            commands may switch a task to (as ``AsynczAdmin(allowed_callables=...)``: names
            to callables, or import paths). Its names are published with the instance; a
            command naming anything else is refused, and nothing else is imported. None:
            creating is refused, and an edit keeps each task's callable.

    Raises:
        ValueError: ``url`` is not a SQLite or PostgreSQL URL, or ``heartbeat_seconds`` <= 0.
    """

    def __init__(
        self,
        scheduler: Any,
        url: str,
        *,
        name: str | None = None,
        heartbeat_seconds: float = 5.0,
        adapter: AsynczAdapter | None = None,
        record: bool = True,
        timeout: float = DEFAULT_TIMEOUT,
        allowed_callables: Any = None,
    ):
        if not heartbeat_seconds > 0:
            raise ValueError("heartbeat_seconds must be a positive number of seconds.")
        self.scheduler = scheduler
        self.id = uuid.uuid4().hex
        self.host = socket.gethostname()
        self.pid = os.getpid()
        self.name = name or f"{self.host}:{self.pid}"
        self.heartbeat_seconds = heartbeat_seconds
        self.database = Database(create_sql_engine(url, timeout), timeout)
        self._own_adapter = adapter is None
        self.adapter = adapter or AsynczAdapter(scheduler)
        self.allowlist = (
            CallableAllowlist(allowed_callables) if allowed_callables is not None else None
        )
        self._recording: tuple[Writer, DashboardLogHandler, Any] | None = None
        if record:
            self._start_recording(url, timeout)
        self._lock = threading.Lock()
        self._dirty: set[str] = set()
        self._full = True
        self._published: dict[str, TaskSnapshot] = {}
        self._registered = False
        self._reported: tuple[str, dict[str, int]] = ("", {})  # the status last written
        self._closed = threading.Event()
        self.waker = Waker(self.database, (COMMANDS_CHANNEL,))
        self.adapter.subscribe(self._on_event)
        self._threads = [
            threading.Thread(target=self._work, name="asyncz-dashboard-fleet-worker", daemon=True),
            threading.Thread(target=self._beat, name="asyncz-dashboard-fleet-beat", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def _start_recording(self, url: str, timeout: float) -> None:
        storages = open_storages(url, timeout=timeout)
        writer = Writer(storages)
        recorder = Recorder(writer, Redactor())
        self.adapter.subscribe(recorder.on_event)
        handler = DashboardLogHandler(recorder, Redactor(), lambda: self.adapter.identity)
        handler.attach()
        self._recording = (writer, handler, recorder)
        # Now, not at the first event (the scheduler may have started already, and its next
        # run be hours away): a previous life of this scheduler identity (one configured to
        # stay the same across restarts) may have left runs "running".
        recorder.close_interrupted(self.adapter.identity)

    # -- events -------------------------------------------------------------------------------
    def _on_event(self, event: ObservedEvent) -> None:
        with self._lock:
            if event.name in _REBUILDS:
                self._full = True
            elif event.task_id:
                self._dirty.add(event.task_id)
            else:
                return
        self.waker.poke()

    # -- the instance row ---------------------------------------------------------------------
    def _status(self) -> tuple[str, dict[str, int]]:
        """What the dashboard shows of the scheduler as it is now: its state and the tasks
        executing (task id -> runs under way)."""
        return self.adapter.scheduler().state, self.adapter.running()

    def _instance_values(self, conn: Connection) -> dict[str, Any]:
        info = self.adapter.scheduler()
        running = self.adapter.running()
        self._reported = (info.state, running)
        detail = {
            "executors": info.executors,
            "stores": info.stores,
            "callables": self.allowlist.names() if self.allowlist else (),
            "running": running,
            "identity": info.identity,
        }
        return {
            "heartbeat_at": db_now(conn),
            "heartbeat_seconds": self.heartbeat_seconds,
            "state": info.state,
            "timezone": info.timezone,
            "detail": json.dumps(detail),
        }

    def _register(self, conn: Connection) -> None:
        values = self._instance_values(conn)
        conn.execute(
            INSTANCES.insert().values(
                id=self.id,
                name=self.name,
                host=self.host,
                pid=self.pid,
                started_at=values["heartbeat_at"],
                stopped_at=None,
                versions=json.dumps(_versions()),
                scheduler_class=f"{type(self.scheduler).__module__}.{type(self.scheduler).__name__}",
                **values,
            )
        )

    def _heartbeat(self, conn: Connection) -> None:
        stmt = update(INSTANCES).where(INSTANCES.c.id == self.id, INSTANCES.c.stopped_at.is_(None))
        if conn.execute(stmt.values(**self._instance_values(conn))).rowcount == 0:
            # Forgotten by an operator (row deleted) while alive: come back with every task.
            conn.execute(INSTANCES.delete().where(INSTANCES.c.id == self.id))
            self._register(conn)
            with self._lock:
                self._full, self._published = True, {}

    def _report(self, conn: Connection) -> None:
        """Write the instance row now (a heartbeat with the new state and running tasks) and
        wake the dashboards: a run that started or ended shows within about a second."""
        self._heartbeat(conn)
        notify(conn, TASKS_CHANNEL, self.id)

    def _beat(self) -> None:
        while not self._closed.wait(self.heartbeat_seconds):
            if not self._registered:
                continue
            try:
                self.database.write(self._heartbeat)
            except Exception as exc:
                logger.warning("fleet heartbeat of %s failed: %s", self.name, exc)

    # -- the worker thread ------------------------------------------------------------------
    def _work(self) -> None:
        last_full = time.monotonic()
        while not self._closed.is_set():
            try:
                if not self._registered:
                    self.database.write(self._register)
                    self._registered = True
                if time.monotonic() - last_full >= self.heartbeat_seconds:
                    with self._lock:
                        self._full = True
                    last_full = time.monotonic()
                self.sync()
                if self._status() != self._reported:
                    self.database.write(self._report)
                self._commands()
            except Exception as exc:
                logger.warning("fleet worker %s: %s", self.name, exc)
                self._closed.wait(1.0)
            if self.waker.wait(POLL_SECONDS):
                self._closed.wait(BATCH_DELAY)

    def sync(self) -> int:
        """Publish the tasks changed since the last call (all of them, compared by identity,
        after a resync request); returns how many rows were written."""
        with self._lock:
            dirty, self._dirty = self._dirty, set()
            full, self._full = self._full, False
        current = self.adapter.index.snapshots()
        ids = set(current) | set(self._published) if full else dirty
        rows = [
            (task_id, self._json(snap) if snap is not None else None)
            for task_id in sorted(ids)
            if (snap := current.get(task_id)) is not self._published.get(task_id)
        ]
        try:
            for start in range(0, len(rows), BATCH_ROWS):
                batch = rows[start : start + BATCH_ROWS]
                self.database.write(partial(publish_tasks, instance_id=self.id, rows=batch))
        except Exception:
            with self._lock:
                self._full = True  # nothing is lost: compare everything next time
            raise
        for task_id, _ in rows:
            snap = current.get(task_id)
            if snap is None:
                self._published.pop(task_id, None)
            else:
                self._published[task_id] = snap
        return len(rows)

    def _json(self, snap: TaskSnapshot) -> str:
        """A snapshot as published: with its trigger as the task form writes it."""
        trigger = self.adapter._triggers.get(snap.id)
        if trigger is None:
            return snap.to_json()
        try:
            value = trigger_form(trigger, self.adapter.tz)[1]
        except Exception:  # a custom trigger's own failure: the form keeps it as it is
            return snap.to_json()
        return replace(snap, trigger_form=value).to_json()

    # -- commands -----------------------------------------------------------------------------
    def _commands(self) -> None:
        stmt = (
            select(COMMANDS.c.id, COMMANDS.c.verb, COMMANDS.c.task_id, COMMANDS.c.payload)
            .where(COMMANDS.c.instance_id == self.id, COMMANDS.c.status == "pending")
            .order_by(COMMANDS.c.id)
            .limit(100)
        )
        pending = self.database.read(lambda conn: list(conn.execute(stmt)))
        for command_id, verb, task_id, payload in pending:
            if self._closed.is_set():
                return
            if not self.database.write(partial(_claim, command_id=int(command_id))):
                continue  # failed as "worker gone" meanwhile: never carried out
            touched = str(task_id)
            if verb in PAYLOAD_VERBS:
                ok, message = self._carry_out_change(str(verb), touched, str(payload or ""))
                touched = message if ok and verb == "create" else touched
            else:
                ok, message = self._carry_out(str(verb), touched)
            finish = partial(self._finish, command_id=int(command_id), task_id=touched)
            self.database.write(partial(finish, ok=ok, msg=message))

    def _carry_out_change(self, verb: str, task_id: str, payload: str) -> tuple[bool, str]:
        """A ``create`` or ``edit`` command: its values checked again here, against this
        worker's allowlist first (an unlisted callable is refused before any import), then
        by the scheduler. ``(True, the new task's id or "Saved")`` or ``(False, why)``."""
        try:
            changes = self._changes(payload, creating=verb == "create")
        except ValueError as exc:
            return False, str(exc)

        async def create() -> object:
            await self.adapter.preview_changes(None, changes)
            return (await self.adapter.add_task(changes)).id

        async def edit() -> object:
            await self.adapter.preview_changes(task_id, changes)
            return await self.adapter.update_task(task_id, changes)

        try:
            result = self._on_scheduler_loop(create if verb == "create" else edit)
        except (TaskNotFound, ActionFailed, InvalidChanges) as exc:
            return False, str(exc)
        except Exception as exc:
            logger.exception("fleet command %s %r failed", verb, task_id)
            return False, f"{type(exc).__name__}: {exc}"
        return True, str(result) if verb == "create" else "Saved"

    def _changes(self, payload: str, creating: bool) -> dict[str, Any]:
        """A command's values as ``read_task_form`` gives them (``fn`` from the allowlist).

        Raises:
            ValueError: not a JSON object, an unknown trigger, or a callable this worker does
                not allow (message for the operator).
        """
        try:
            changes = json.loads(payload)
        except ValueError:
            changes = None
        if not isinstance(changes, dict):
            raise ValueError("the command carries no values")
        if "callable" in changes:
            name = str(changes["callable"])
            allowed = self.allowlist.lookup(name) if self.allowlist else None
            if allowed is None or self.allowlist is None:
                raise ValueError(f"callable {name!r} is not in this worker's allowlist")
            changes["fn"] = self.allowlist.target(allowed)
        elif creating:
            raise ValueError("a new task needs a callable")
        if isinstance(changes.get("trigger"), dict):
            trigger = changes["trigger"]
            changes["trigger"] = parse_trigger(
                str(trigger.get("kind", "")), str(trigger.get("value", "")), self.adapter.tz
            )
        return changes

    def _carry_out(self, verb: str, task_id: str) -> tuple[bool, str]:
        actions: dict[str, tuple[Callable[[], Awaitable[object]], str]] = {
            "run": (lambda: self.adapter.run_task(task_id), "Started"),
            "pause": (lambda: self.adapter.pause_task(task_id), "Paused"),
            "resume": (lambda: self.adapter.resume_task(task_id), "Resumed"),
            "remove": (lambda: self.adapter.remove_task(task_id), "Removed"),
            "pause_scheduler": (self.adapter.pause_scheduler, "Paused the scheduler"),
            "resume_scheduler": (self.adapter.resume_scheduler, "Resumed the scheduler"),
        }
        if verb not in actions:
            return False, f"unknown command {verb!r}"
        action, done = actions[verb]
        try:
            result = self._on_scheduler_loop(action)
        except (TaskNotFound, ActionFailed) as exc:
            return False, str(exc)
        except Exception as exc:
            logger.exception("fleet command %s %r failed", verb, task_id)
            return False, f"{type(exc).__name__}: {exc}"
        if verb == "resume" and result is None:
            return True, "Resumed; its schedule had finished, so it was removed"
        return True, done

    def _on_scheduler_loop(self, action: Callable[[], Awaitable[object]]) -> object:
        loop = getattr(self.scheduler, "event_loop", None)
        if isinstance(loop, asyncio.AbstractEventLoop) and loop.is_running():

            async def call() -> object:
                return await action()

            future = asyncio.run_coroutine_threadsafe(call(), loop)
            return future.result(ACTION_TIMEOUT)
        return asyncio.run(_awaited(action))

    def _finish(self, conn: Connection, command_id: int, task_id: str, ok: bool, msg: str) -> None:
        # The touched task's new snapshot commits with the outcome: a reader that sees "done"
        # sees the task as it became.
        snap = self.adapter.index.get(task_id) if task_id else None
        if task_id and snap is not self._published.get(task_id):
            publish_tasks(conn, self.id, [(task_id, self._json(snap) if snap else None)])
            if snap is None:
                self._published.pop(task_id, None)
            else:
                self._published[task_id] = snap
        if not task_id:
            self._heartbeat(conn)  # a scheduler verb: its new state commits with the outcome
        conn.execute(
            update(COMMANDS)
            .where(COMMANDS.c.id == command_id, COMMANDS.c.status == "claimed")
            .values(status="done" if ok else "failed", finished_at=db_now(conn), message=msg)
        )

    # -- closing ------------------------------------------------------------------------------
    def close(self) -> None:
        """Stop the threads, mark the instance stopped and its tasks gone (so the dashboard
        stops listing them), and close what the worker opened. Safe to call twice."""
        if self._closed.is_set():
            return
        self._closed.set()
        self.waker.close()
        self.adapter.unsubscribe(self._on_event)
        for thread in self._threads:
            thread.join(ACTION_TIMEOUT)
        try:
            if self._registered:
                self.database.write(self._stop)
        except Exception as exc:
            logger.warning("fleet worker %s could not record its stop: %s", self.name, exc)
        if self._recording is not None:
            writer, handler, recorder = self._recording
            self.adapter.unsubscribe(recorder.on_event)
            handler.detach()
            writer.close()
            writer.storages.close()
        if self._own_adapter:
            self.adapter.close()
        self.database.dispose()

    def _stop(self, conn: Connection) -> None:
        # The write first: a SQLite transaction that read before writing fails at once
        # ("database is locked", no busy wait) when another process wrote meanwhile, as the
        # demo's three workers do when they stop together.
        now = db_now(conn)
        conn.execute(
            update(INSTANCES)
            .where(INSTANCES.c.id == self.id)
            .values(stopped_at=now, heartbeat_at=now, state="stopped")
        )
        held = select(FLEET_TASKS.c.task_id).where(
            FLEET_TASKS.c.instance_id == self.id, FLEET_TASKS.c.removed == 0
        )
        publish_tasks(conn, self.id, [(str(t), None) for (t,) in conn.execute(held)])


def _claim(conn: Connection, command_id: int) -> bool:
    """Claim a pending command; False when it is no longer pending (at most once)."""
    stmt = (
        update(COMMANDS)
        .where(COMMANDS.c.id == command_id, COMMANDS.c.status == "pending")
        .values(status="claimed", claimed_at=db_now(conn))
    )
    return bool(conn.execute(stmt).rowcount == 1)


async def _awaited(action: Callable[[], Awaitable[object]]) -> object:
    return await action()


def _versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for package in ("asyncz", "asyncz-dashboard"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    return found
