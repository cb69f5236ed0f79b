"""The change feed of ``FleetAdapter``: its ``TaskIndex`` follows the task rows whose version
is past the last one it applied (every ``poll_seconds``, sooner on a PostgreSQL ``NOTIFY``) and
the instances (a handful of rows), so a request never reads the database for the task list. A
task held by several workers (a store they share) is listed once, with their names. Each round
also reads the runs the workers finished (each task's last outcome, the tasks failing now).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from ..adapters.index import TaskIndex
from ..adapters.snapshots import TaskSnapshot
from ..recording.outcomes import Outcomes
from ..storage.base import Run
from ..storage.sql.engine import Database
from ..storage.sql.runs import finished_since, latest_outcomes
from ..storage.sql.schema import TABLES
from .db import FLEET_TASKS, Instance, Waker, read_instances

if TYPE_CHECKING:
    from .commands import Commands

logger = logging.getLogger("asyncz_dashboard.fleet")

FEED_ROWS = 5000  # task rows read per round of the change feed
# Finished runs are read again this far back: a worker's batch may commit after one that
# finished later (or on a clock a little behind), so a run is never missed for that.
RUNS_OVERLAP = timedelta(seconds=10)
_RUNS_FLOOR = datetime(2000, 1, 1, tzinfo=timezone.utc)
_CHANGES = TABLES["changes"]


class Feed:
    """``FleetAdapter``'s reading of the fleet database (a base class of it: the state below
    is set by its constructor)."""

    database: Database
    poll_seconds: float
    index: TaskIndex
    instances: dict[str, Instance]
    feed_version: int  # the last change-feed version applied
    polled_at: datetime | None
    task_counts: dict[str, int]  # instance id -> tasks it holds
    commands: Commands
    audit_storage: Any
    outcomes: Outcomes
    waker: Waker
    _revision: int  # bumped whenever what the dashboard shows changed
    _held: dict[str, dict[str, TaskSnapshot]]  # task id -> instance id -> snapshot
    _lock: threading.Lock  # one reader of the feed at a time
    _runs_counter: int | None  # the "runs" change counter last read
    _runs_after: datetime | None  # the latest finished_at read (None: none yet)
    _closed: threading.Event

    if TYPE_CHECKING:

        def _sweep(self) -> None: ...

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

    def holders(self, task_id: str) -> list[Instance]:
        """The instances holding a task, reachable ones first."""
        held = self._held.get(task_id, {})
        found = [self.instances[i] for i in held if i in self.instances]
        return sorted(found, key=lambda i: (not i.reachable, i.name))

    def running_instances(self, task_id: str) -> int:
        """How many runs of the task are under way in the reachable workers holding it, as
        they last said (a worker publishes its running tasks within about a second)."""
        instances = self.instances
        return sum(
            i.running.get(task_id, 0)
            for instance_id in self._held.get(task_id, ())
            if (i := instances.get(instance_id)) is not None and i.reachable
        )


def _moved(old: Instance | None, new: Instance) -> bool:
    """Whether an instance's change shows on its tasks (reachability or name)."""
    return old is None or old.reachable != new.reachable or old.name != new.name


def _status(instance: Instance | None) -> tuple[str, dict[str, int], int] | None:
    """What the pages show of an instance besides its tasks: state, running tasks, status."""
    if instance is None:
        return None
    return instance.state, instance.running, instance.running_now
