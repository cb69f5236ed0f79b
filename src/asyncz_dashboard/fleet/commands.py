"""Commands from the dashboard to a worker: a row with a verb from a fixed set, never code.

``send`` inserts the row (and a PostgreSQL ``NOTIFY``), then waits up to ``confirm_seconds`` for
the worker to move it to done or failed. The worker claims it with
``UPDATE ... WHERE status = 'pending'``, so it is carried out at most once; one waiting on or
claimed by a worker that is gone is failed "worker gone" (``FleetAdapter._sweep``), never
re-sent elsewhere.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from sqlalchemy import Connection, select

from ..adapters.base import ActionFailed, TaskNotFound
from ..adapters.snapshots import TaskSnapshot
from .db import COMMANDS, COMMANDS_CHANNEL, VERBS, Instance, db_now, notify

if TYPE_CHECKING:
    from .adapter import FleetAdapter

CHECK_SECONDS = 0.05  # how often an action looks for its command's outcome


class NotConfirmed(ActionFailed):
    """The command was sent, but its worker has not answered within the wait."""


def reachable(worker: Instance) -> Instance:
    """``worker``, when it can be sent a command.

    Raises:
        ActionFailed: it is unreachable or stopped (nothing is sent).
    """
    if not worker.reachable:
        raise ActionFailed(
            f"worker {worker.name} is {worker.status} (last heard from {worker.age:.0f} s "
            "ago): nothing was sent"
        )
    return worker


class Commands:
    """Sends commands for ``adapter``'s tasks and waits for their outcome."""

    def __init__(self, adapter: FleetAdapter, confirm_seconds: float):
        self.adapter = adapter
        self.confirm_seconds = confirm_seconds

    def target(self, task_id: str) -> Instance:
        """The reachable worker that gets a command for ``task_id``.

        Raises:
            TaskNotFound: no worker holds the task.
            ActionFailed: every worker holding it is unreachable or stopped (nothing is sent).
        """
        holders = self.adapter.holders(task_id)
        if not holders:
            raise TaskNotFound(task_id)
        return reachable(holders[0])

    async def send(
        self,
        verb: str,
        task_id: str,
        requested_by: str = "dashboard",
        *,
        worker: Instance | None = None,
    ) -> TaskSnapshot | None:
        """Send ``verb`` for ``task_id`` (to ``worker``, else to the one holding the task; ""
        with a ``worker`` for a scheduler verb) and wait for the outcome; the task's new
        snapshot (None for a scheduler verb).

        Raises:
            TaskNotFound: no worker holds the task.
            ActionFailed: the worker is unreachable, or reported failure (its message).
            NotConfirmed: no outcome within ``confirm_seconds`` ("sent to ..., not confirmed").
        """
        if verb not in VERBS:
            raise ValueError(f"unknown command verb {verb!r}")
        worker = reachable(worker) if worker is not None else self.target(task_id)
        database = self.adapter.database

        def insert(conn: Connection) -> int:
            now = db_now(conn)
            stmt = COMMANDS.insert().values(
                instance_id=worker.id,
                verb=verb,
                task_id=task_id,
                requested_by=requested_by,
                requested_at=now,
                status="pending",
                message="",
            )
            command_id = int(conn.execute(stmt.returning(COMMANDS.c.id)).scalar_one())
            notify(conn, COMMANDS_CHANNEL, worker.id)
            return command_id

        command_id = await asyncio.to_thread(database.write, insert)
        status, message = await self._outcome(command_id)
        if status == "done":
            await asyncio.to_thread(self.adapter.catch_up)
            return self.adapter.index.get(task_id) if task_id else None
        if status == "failed":
            if message.startswith("There is no task with id"):
                raise TaskNotFound(task_id)
            raise ActionFailed(f"{worker.name}: {message}")
        raise NotConfirmed(f"sent to {worker.name}, not confirmed yet")

    async def _outcome(self, command_id: int) -> tuple[str, str]:
        stmt = select(COMMANDS.c.status, COMMANDS.c.message).where(COMMANDS.c.id == command_id)
        database = self.adapter.database
        deadline = time.monotonic() + self.confirm_seconds
        status, message = "pending", ""
        while time.monotonic() < deadline:
            await asyncio.sleep(CHECK_SECONDS)
            row = await database.readers.run(database.read, lambda c: c.execute(stmt).first())
            if row is not None:
                status, message = str(row[0]), str(row[1])
                if status in ("done", "failed"):
                    break
        return status, message
