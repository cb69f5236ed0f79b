"""Commands from the dashboard to a worker: a row with a verb from a fixed set, never code.

``send`` inserts the row (and a PostgreSQL ``NOTIFY``), then waits up to ``confirm_seconds`` for
the worker to move it to done or failed. The worker claims it with
``UPDATE ... WHERE status = 'pending'``, so it is carried out at most once; one waiting on or
claimed by a worker that is gone is failed "worker gone" (``FleetAdapter._sweep``), never
re-sent elsewhere.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select, update

from ..adapters.base import ActionFailed, TaskNotFound
from ..adapters.snapshots import TaskSnapshot
from ..auth.gate import ACTING_USER
from .db import COMMANDS, COMMANDS_CHANNEL, PAYLOAD_VERBS, VERBS, Instance, db_now, notify

if TYPE_CHECKING:
    from .adapter import FleetAdapter

logger = logging.getLogger("asyncz_dashboard.fleet")

CHECK_SECONDS = 0.05  # how often an action looks for its command's outcome
SETTLE_ROWS = 500  # audit entries given their outcome per round of the change feed


class NotConfirmed(ActionFailed):
    """The command was sent, but its worker has not answered within the wait.

    ``command_id`` is its row: the audit entry recording it as pending is linked to it
    (``Commands.link_audit``) and takes its outcome when the worker reports one."""

    def __init__(self, message: str, command_id: int):
        super().__init__(message)
        self.command_id = command_id


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
        requested_by: str | None = None,
        *,
        payload: dict[str, Any] | None = None,
        worker: Instance | None = None,
    ) -> TaskSnapshot | None:
        """Send ``verb`` for ``task_id`` (to ``worker``, else to the one holding the task; ""
        with a ``worker`` for a scheduler verb) and wait for the outcome; the task's new
        snapshot (None for a scheduler verb).

        Args:
            verb: one of ``VERBS`` or ``PAYLOAD_VERBS`` (``create``, ``edit``).
            task_id: the task (for ``create``, the new task's id when the form named one).
            requested_by: who asked; the signed-in user of the request (``ACTING_USER``)
                when None.
            payload: the checked form values of a ``create`` or ``edit`` (JSON-ready).
            worker: the instance to send it to; the reachable holder of ``task_id`` when None.

        Raises:
            TaskNotFound: no worker holds the task.
            ActionFailed: the worker is unreachable, or reported failure (its message).
            NotConfirmed: no outcome within ``confirm_seconds`` ("sent to ..., not confirmed").
        """
        if verb not in VERBS + PAYLOAD_VERBS:
            raise ValueError(f"unknown command verb {verb!r}")
        worker = reachable(worker) if worker is not None else self.target(task_id)
        database = self.adapter.database
        requested_by = requested_by or ACTING_USER.get()
        body = json.dumps(payload, separators=(",", ":")) if payload is not None else ""

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
                payload=body,
            )
            command_id = int(conn.execute(stmt.returning(COMMANDS.c.id)).scalar_one())
            notify(conn, COMMANDS_CHANNEL, worker.id)
            return command_id

        command_id = await asyncio.to_thread(database.write, insert)
        status, message = await self._outcome(command_id)
        if status == "done":
            await asyncio.to_thread(self.adapter.catch_up)
            if verb == "create":
                return self.adapter.index.get(message)
            return self.adapter.index.get(task_id) if task_id else None
        if status == "failed":
            if message.startswith("There is no task with id"):
                raise TaskNotFound(task_id)
            raise ActionFailed(f"{worker.name}: {message}")
        raise NotConfirmed(f"sent to {worker.name}, not confirmed yet", command_id)

    # -- the audit entry of a command that was not confirmed in time --------------------------
    def link_audit(self, command_id: int, store: str, entry_id: int) -> None:
        """Remember that audit entry ``entry_id`` of the audit storage named ``store`` (its
        ``token``) records command ``command_id`` as pending: ``settle`` gives it the outcome.
        Blocking: call it from a thread."""
        stmt = (
            update(COMMANDS)
            .where(COMMANDS.c.id == command_id)
            .values(audit_store=store, audit_id=entry_id)
        )
        self.adapter.database.write(lambda conn: conn.execute(stmt))

    def settle(self, storage: Any) -> int:
        """Give the pending audit entries of ``storage`` (one with ``token``, ``set_outcome``)
        the outcome their commands now have: ``ok`` with the worker's message, or ``failed``
        with it ("worker gone" too). Blocking: the change feed's thread calls it each round.
        Returns how many entries were settled."""
        token = getattr(storage, "token", "")
        if not token or not callable(getattr(storage, "set_outcome", None)):
            return 0
        stmt = (
            select(COMMANDS.c.id, COMMANDS.c.audit_id, COMMANDS.c.status, COMMANDS.c.message)
            .where(COMMANDS.c.audit_store == token, COMMANDS.c.status.in_(("done", "failed")))
            .order_by(COMMANDS.c.id)
            .limit(SETTLE_ROWS)
        )
        database = self.adapter.database
        finished = database.read(lambda conn: list(conn.execute(stmt)))
        for _, entry_id, status, message in finished:
            outcome = "ok" if status == "done" else "failed"
            text = str(message) if status == "failed" else f"done: {message}"
            try:
                storage.set_outcome(int(entry_id), outcome, text)
            except Exception as exc:  # the audit storage is down: try again next round
                logger.warning("fleet: could not settle audit entry %s: %s", entry_id, exc)
                return 0
        if finished:
            ids = [int(row[0]) for row in finished]
            clear = update(COMMANDS).where(COMMANDS.c.id.in_(ids)).values(audit_store="")
            database.write(lambda conn: conn.execute(clear))
        return len(finished)

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
