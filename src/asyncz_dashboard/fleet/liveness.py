"""What the dashboard does about workers that are gone (silent for ``MISSED_HEARTBEATS``
heartbeats, or stopped): the commands waiting on them fail "worker gone" (never re-sent), and
the runs they left "running" become "interrupted" (no process will record how they end).

Runs name their scheduler by its identity, which a worker publishes with its instance. A run
is only closed while no reachable instance has that identity: a worker restarted with a fixed
identity closes its previous life's runs itself (``Recorder.close_interrupted``). A worker
that was only slow and comes back records each run's real outcome over "interrupted" (runs
are upserted by id).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone

from sqlalchemy import Connection, bindparam, select, update

from ..storage.base import MAX_LIMIT
from ..storage.sql.schema import TABLES
from .db import COMMANDS, Instance, db_now

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
