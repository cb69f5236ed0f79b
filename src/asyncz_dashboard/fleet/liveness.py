"""The workers as they come and go. A worker that is gone (silent for ``MISSED_HEARTBEATS``
heartbeats, or stopped): the commands waiting on it fail "worker gone" (never re-sent), and
the runs it left "running" become "interrupted" (no process will record how they end).

Runs name their scheduler by its identity, which a worker publishes with its instance. A run
is only closed while no reachable instance has that identity: a worker restarted with a fixed
identity closes its previous life's runs itself (``Recorder.close_interrupted``). A worker
that was only slow and comes back records each run's real outcome over "interrupted" (runs
are upserted by id). ``Liveness`` is the part of ``FleetAdapter`` that sweeps, forgets a
worker, and lists the workers.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import partial
from typing import TYPE_CHECKING

from sqlalchemy import Connection, bindparam, select, update

from ..adapters.base import ActionFailed
from ..storage.base import MAX_LIMIT
from ..storage.sql.engine import Database
from ..storage.sql.schema import TABLES
from .db import COMMANDS, FLEET_TASKS, INSTANCES, Instance, db_now, publish_tasks, read_instances

logger = logging.getLogger("asyncz_dashboard.fleet")

SWEEP_SECONDS = 2.0  # how often commands of dead workers are failed

RUNS = TABLES["runs"]
WORKER_GONE = "The worker running it ({name}) {how} before the run ended: how it ended is unknown."


def gone(instances: Iterable[Instance]) -> list[Instance]:
    """The instances that are not reachable (unreachable or stopped)."""
    return [i for i in instances if not i.reachable]


def fail_commands(conn: Connection, instance_ids: list[str]) -> None:
    """Fail "worker gone" the commands waiting on (or claimed by) ``instance_ids``."""
    conn.execute(
        update(COMMANDS)
        .where(
            COMMANDS.c.instance_id.in_(instance_ids),
            COMMANDS.c.status.in_(("pending", "claimed")),
        )
        .values(status="failed", finished_at=db_now(conn), message="worker gone")
    )


def orphaned(instances: Iterable[Instance]) -> dict[str, Instance]:
    """Identity -> the gone instance whose runs to interrupt: every identity of a gone
    instance that no reachable instance has (a restarted worker with a fixed identity
    closes its own), the last heard from when several gone ones share it."""
    everyone = list(instances)
    live = {i.identity for i in everyone if i.reachable}
    found: dict[str, Instance] = {}
    for instance in sorted(gone(everyone), key=lambda i: i.heartbeat_at):
        if instance.identity and instance.identity not in live:
            found[instance.identity] = instance
    return found


def interrupt_runs(conn: Connection, owners: dict[str, Instance]) -> int:
    """Mark "interrupted" (finished now, with the duration so far and a message naming the
    worker) the runs still "running" whose scheduler is one of ``owners``' identities; at most
    ``MAX_LIMIT`` per call. Returns how many were closed."""
    if not owners:
        return 0
    stmt = (
        select(RUNS.c.run_id, RUNS.c.scheduler, RUNS.c.submitted_at)
        .where(RUNS.c.status == "running", RUNS.c.scheduler.in_(list(owners)))
        .limit(MAX_LIMIT)
    )
    left = list(conn.execute(stmt))
    if not left:
        return 0
    now = datetime.now(timezone.utc)  # as a recording process stamps finished_at
    close = (
        update(RUNS)
        .where(RUNS.c.run_id == bindparam("rid"), RUNS.c.status == "running")
        .values(
            status="interrupted",
            finished_at=now,
            duration=bindparam("took"),
            exception_message=bindparam("why"),
        )
    )
    rows = [
        {
            "rid": run_id,
            "took": (now - submitted).total_seconds() if submitted is not None else None,
            "why": _reason(owners[scheduler]),
        }
        for run_id, scheduler, submitted in left
    ]
    conn.execute(close, rows)
    return len(rows)


def _reason(instance: Instance) -> str:
    how = "stopped" if instance.stopped_at is not None else "stopped answering"
    return WORKER_GONE.format(name=instance.name, how=how)


_ORDER = {"live": 0, "unreachable": 1, "stopped": 2}


@dataclass(frozen=True, slots=True)
class WorkerRow:
    """One instance as the overview and the Workers page show it: with the number of tasks it
    holds and of runs under way in it (0 once it is not reachable)."""

    instance: Instance
    tasks: int
    running: int


class Liveness:
    """``FleetAdapter``'s handling of the workers as they come and go: the sweep after gone
    ones, forgetting one, the Workers page's rows (a base class of it)."""

    database: Database
    instances: dict[str, Instance]
    task_counts: dict[str, int]
    _last_sweep: float
    _interrupted: set[str]  # gone instances whose runs were closed

    if TYPE_CHECKING:

        def catch_up(self) -> None: ...

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

    def worker_rows(self) -> list[WorkerRow]:
        """Every instance, live first then by name, with its task and running counts."""
        shown = sorted(self.instances.values(), key=lambda i: (_ORDER[i.status], i.name))
        return [WorkerRow(i, self.task_counts.get(i.id, 0), i.running_now) for i in shown]

    def workers(self) -> tuple[str, ...]:
        """The names of the instances that are not stopped, for the Worker filter."""
        return tuple(sorted({i.name for i in self.instances.values() if i.stopped_at is None}))
