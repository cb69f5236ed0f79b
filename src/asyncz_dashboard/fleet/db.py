"""The fleet's rows: the database clock, the change-feed counter, task upserts, instances read
back, and the PostgreSQL ``LISTEN``/``NOTIFY`` waker (SQLite only polls).

Every function here runs in a thread of its own caller (the worker's threads, the fleet
adapter's poller or its reader pool), never on an event loop.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Connection, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..storage.sql.engine import Database
from ..storage.sql.schema import TABLES
from .views import MISSED_HEARTBEATS

logger = logging.getLogger("asyncz_dashboard.fleet")

INSTANCES = TABLES["instances"]
FLEET_TASKS = TABLES["fleet_tasks"]
COUNTER = TABLES["fleet_version"]
COMMANDS = TABLES["commands"]
TASKS_CHANNEL = "asyncz_dashboard_fleet_tasks"  # NOTIFY: a worker published task changes
COMMANDS_CHANNEL = "asyncz_dashboard_commands"  # NOTIFY: a command was inserted
# PostgreSQL delivers a NOTIFY to the listeners of its own database only, but two fleets can
# share a database in two schemas (``search_path``): the channel a name stands for ends with a
# digest of the schema the fleet's tables are in, the same SQL on both sides.
_CHANNEL_SUFFIX = "'_' || left(md5(coalesce(current_schema(), '')), 16)"
VERBS = ("run", "pause", "resume", "remove", "pause_scheduler", "resume_scheduler")
PAYLOAD_VERBS = ("create", "edit")  # commands that carry the form's checked values (JSON)


def db_now(conn: Connection) -> datetime:
    """The current time by the database's clock on PostgreSQL (workers on machines whose
    clocks differ agree on it); this machine's clock on SQLite (one host)."""
    if conn.dialect.name == "postgresql":
        value: datetime = conn.execute(text("SELECT clock_timestamp()")).scalar_one()
        return value.astimezone(timezone.utc)
    return datetime.now(timezone.utc)


def next_version(conn: Connection) -> int:
    """Take the next change-feed version. The counter row stays locked until this transaction
    ends, so versions become visible in order and "changes since V" never misses one."""
    stmt = update(COUNTER).where(COUNTER.c.id == 1).values(value=COUNTER.c.value + 1)
    return int(conn.execute(stmt.returning(COUNTER.c.value)).scalar_one())


def notify(conn: Connection, channel: str, payload: str = "") -> None:
    """``pg_notify`` on this schema's ``channel`` (delivered when the transaction commits);
    nothing on SQLite."""
    if conn.dialect.name == "postgresql":
        conn.execute(
            text(f"SELECT pg_notify(:c || {_CHANNEL_SUFFIX}, :p)"), {"c": channel, "p": payload}
        )


def schema_channels(conn: Any, channels: Iterable[str]) -> list[str]:
    """The names ``channels`` have in the schema of ``conn`` (a psycopg connection), as
    ``notify`` sends them: what to ``LISTEN`` to."""
    suffix = str(conn.execute(f"SELECT {_CHANNEL_SUFFIX}").fetchone()[0])
    return [channel + suffix for channel in channels]


_UPDATED = ("snapshot", "version", "removed", "updated_at")


def publish_tasks(
    conn: Connection, instance_id: str, rows: Iterable[tuple[str, str | None]]
) -> int:
    """Upsert ``(task id, snapshot JSON or None for removed)`` rows of one instance under one
    new version; returns it (0 when there was nothing to write)."""
    rows = list(rows)
    if not rows:
        return 0
    version = next_version(conn)
    now = db_now(conn)
    values = [
        {
            "instance_id": instance_id,
            "task_id": task_id,
            "snapshot": snapshot or "",
            "version": version,
            "removed": 0 if snapshot is not None else 1,
            "updated_at": now,
        }
        for task_id, snapshot in rows
    ]
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    stmt = insert(FLEET_TASKS)
    stmt = stmt.on_conflict_do_update(
        index_elements=[FLEET_TASKS.c.instance_id, FLEET_TASKS.c.task_id],
        set_={
            name: stmt.excluded[name] for name in ("snapshot", "version", "removed", "updated_at")
        },
    )
    conn.execute(stmt, values)
    notify(conn, TASKS_CHANNEL, instance_id)
    return version


@dataclass(frozen=True, slots=True, kw_only=True)
class Instance:
    """One worker process as its rows say, with the age of its last heartbeat (seconds, by
    the clock of ``db_now``) when it was read."""

    id: str
    name: str
    host: str
    pid: int
    started_at: datetime
    heartbeat_at: datetime
    heartbeat_seconds: float
    stopped_at: datetime | None
    state: str
    timezone: str
    versions: dict[str, str]
    scheduler_class: str
    executors: tuple[str, ...]
    stores: tuple[str, ...]
    age: float
    callables: tuple[str, ...] = ()  # the names its ``allowed_callables`` offers
    running: dict[str, int] = field(default_factory=dict)  # task id -> runs under way
    identity: str = ""  # its scheduler's identity: the ``scheduler`` of the runs it records

    @property
    def reachable(self) -> bool:
        """Running, and heard from within ``MISSED_HEARTBEATS`` heartbeats."""
        return self.stopped_at is None and self.age <= MISSED_HEARTBEATS * self.heartbeat_seconds

    @property
    def running_now(self) -> int:
        """Runs under way in this worker, as it last said (0 once it is not reachable: a
        worker that died runs nothing any more)."""
        return sum(self.running.values()) if self.reachable else 0

    @property
    def status(self) -> str:
        """``live``, ``unreachable`` or ``stopped``."""
        if self.stopped_at is not None:
            return "stopped"
        return "live" if self.reachable else "unreachable"


def read_instances(conn: Connection) -> dict[str, Instance]:
    """Every instance by id."""
    now = db_now(conn)
    found: dict[str, Instance] = {}
    for row in conn.execute(select(INSTANCES)).mappings():
        detail = _json_object(row["detail"])
        found[row["id"]] = Instance(
            id=row["id"],
            name=row["name"],
            host=row["host"],
            pid=int(row["pid"]),
            started_at=row["started_at"],
            heartbeat_at=row["heartbeat_at"],
            heartbeat_seconds=float(row["heartbeat_seconds"]),
            stopped_at=row["stopped_at"],
            state=row["state"],
            timezone=row["timezone"],
            versions={str(k): str(v) for k, v in _json_object(row["versions"]).items()},
            scheduler_class=row["scheduler_class"],
            executors=tuple(str(x) for x in detail.get("executors", ())),
            stores=tuple(str(x) for x in detail.get("stores", ())),
            callables=tuple(str(x) for x in detail.get("callables", ())),
            age=max(0.0, (now - row["heartbeat_at"]).total_seconds()),
            running=_counts(detail.get("running")),
            identity=str(detail.get("identity", "")),
        )
    return found


def _counts(value: object) -> dict[str, int]:
    """A ``{task id: positive count}`` object as a worker wrote it (anything else: empty)."""
    if not isinstance(value, dict):
        return {}
    return {str(k): n for k, n in value.items() if isinstance(n, int) and n > 0}


def _json_object(raw: str) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


class Waker:
    """Wakes a polling thread early: ``poke()`` from this process, and on PostgreSQL a
    ``NOTIFY`` on one of ``channels`` from any process (a thread ``LISTEN``s on a connection
    of its own, reconnecting after errors). ``wait(seconds)`` returns on either or after
    ``seconds``; polling stays the guarantee, a lost notification only costs latency."""

    def __init__(self, database: Database, channels: tuple[str, ...]):
        self.database = database
        self.channels = channels
        self._event = threading.Event()
        self._closed = threading.Event()
        self.listening = threading.Event()  # set while LISTENing (PostgreSQL)
        self._thread: threading.Thread | None = None
        if database.is_postgresql:
            self._thread = threading.Thread(
                target=self._listen, name="asyncz-dashboard-fleet-listen", daemon=True
            )
            self._thread.start()

    def poke(self) -> None:
        """Wake the waiter now."""
        self._event.set()

    def wait(self, seconds: float) -> bool:
        """Wait up to ``seconds``; True when woken early."""
        woken = self._event.wait(seconds)
        self._event.clear()
        return woken

    def _listen(self) -> None:
        while not self._closed.is_set():
            try:
                raw = self.database.engine.raw_connection()
                conn: Any = raw.driver_connection
                raw.detach()  # held for as long as we listen: not the pool's any more
                try:
                    conn.autocommit = True
                    for channel in schema_channels(conn, self.channels):
                        conn.execute(f'LISTEN "{channel}"')
                    self.listening.set()
                    while not self._closed.is_set():
                        for _ in conn.notifies(timeout=1.0, stop_after=1):
                            self._event.set()
                finally:
                    self.listening.clear()
                    with contextlib.suppress(Exception):
                        conn.close()
            except Exception as exc:
                logger.debug("fleet LISTEN connection failed: %s", exc)
                self._closed.wait(1.0)

    def close(self) -> None:
        """Stop listening (within about a second: the listener is joined)."""
        self._closed.set()
        self._event.set()
        if self._thread is not None:
            self._thread.join(5.0)
