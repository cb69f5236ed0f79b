"""Run history in SQL: one row per run, upserted by ``run_id``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Connection, and_, bindparam, delete, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..base import (
    DISTINCT_LIMIT,
    RUN_FIELDS_DISTINCT,
    RUN_RETENTION,
    Retention,
    Run,
    RunFilter,
    check_distinct_field,
)
from .engine import Database
from .query import clamp, clean_text, contains_folded, distinct_statement
from .schema import TABLES

RUNS = TABLES["runs"]
RUN_FIELDS = tuple(f.name for f in fields(Run))
_TEXT_FIELDS = frozenset(f.name for f in fields(Run) if f.type in ("str", str))
_RUN_COLUMNS = [RUNS.c[name] for name in RUN_FIELDS]
_NEWEST_FIRST = (RUNS.c.ordered_at.desc(), RUNS.c.run_id.desc())
_RECENT = (
    select(*_RUN_COLUMNS)
    .where(RUNS.c.task_id == bindparam("task_id"))
    .order_by(*_NEWEST_FIRST)
    .limit(bindparam("limit"))
)


def _to_run(row: Sequence[Any]) -> Run:
    return Run(**dict(zip(RUN_FIELDS, row, strict=True)))


# What a run's outcome shows (the task list's last run, the overview's failing tasks): all but
# its return value and traceback, which only its own page reads.
_OUTCOME_FIELDS = tuple(name for name in RUN_FIELDS if name not in ("return_value", "traceback"))
_OUTCOME_COLUMNS = [RUNS.c[name] for name in _OUTCOME_FIELDS]
_EPOCH = datetime.min.replace(tzinfo=timezone.utc)


def _to_outcome(row: Sequence[Any]) -> Run:
    return Run(**dict(zip(_OUTCOME_FIELDS, row, strict=True)))


def latest_outcomes(conn: Connection) -> list[Run]:
    """Each task's last finished run and its last failed or succeeded run (what tells whether
    it is failing now), without return value or traceback, oldest submitted first: two passes
    over the runs table, for a process that starts following the runs (``finished_since``)."""
    found: dict[str, Run] = {}
    for where in (RUNS.c.status != "running", RUNS.c.status.in_(("failed", "succeeded"))):
        newest = func.row_number().over(partition_by=RUNS.c.task_id, order_by=_NEWEST_FIRST)
        ranked = select(*_OUTCOME_COLUMNS, newest.label("newest")).where(where).subquery()
        stmt = select(*(ranked.c[name] for name in _OUTCOME_FIELDS)).where(ranked.c.newest == 1)
        for row in conn.execute(stmt):
            run = _to_outcome(tuple(row))
            found[run.run_id] = run
    return sorted(found.values(), key=lambda r: (r.submitted_at or _EPOCH, r.finished_at or _EPOCH))


def finished_since(conn: Connection, after: tuple[datetime, str], limit: int) -> list[Run]:
    """Up to ``limit`` finished runs past ``after`` (a ``(finished_at, run_id)`` pair, aware
    UTC) in that order, without return value or traceback: one range read of the
    ``finished_at`` index (migration 7). ``finished_at`` is the recording process's clock."""
    at, run_id = after
    stmt = (
        select(*_OUTCOME_COLUMNS)
        .where(
            RUNS.c.finished_at >= at,  # the index's range; the tie-break below only filters it
            or_(RUNS.c.finished_at > at, RUNS.c.run_id > run_id),
        )
        .order_by(RUNS.c.finished_at, RUNS.c.run_id)
        .limit(limit)
    )
    return [_to_outcome(tuple(row)) for row in conn.execute(stmt)]


def _upsert_statement(postgresql: bool) -> Any:
    """INSERT ... ON CONFLICT (run_id) DO UPDATE; a run that is saved again without a
    submission time keeps its place in the order."""
    stmt = (pg_insert if postgresql else sqlite_insert)(RUNS)
    updates: dict[str, Any] = {name: stmt.excluded[name] for name in RUN_FIELDS[1:]}
    updates["ordered_at"] = func.coalesce(stmt.excluded.submitted_at, RUNS.c.ordered_at)
    return stmt.on_conflict_do_update(index_elements=[RUNS.c.run_id], set_=updates)


class SqlRunStorage:
    """Runs in a SQL table, newest first by submission time.

    Args:
        database: the engine wrapper shared by the four storages.
        retention: what ``prune`` keeps (default 30 days, 100,000 runs).
    """

    def __init__(self, database: Database, retention: Retention = RUN_RETENTION) -> None:
        self.database = database
        self.retention = retention
        self.readers = database.readers  # where the views run this storage's reads
        self.changes = database.changes  # moves when any process commits a write
        self._upsert = _upsert_statement(database.is_postgresql)  # built once: it is costly

    def _row(self, run: Run) -> dict[str, Any]:
        pg = self.database.is_postgresql
        return {
            name: clean_text(value, pg) if name in _TEXT_FIELDS else value
            for name in RUN_FIELDS
            for value in (getattr(run, name),)
        }

    def save(self, run: Run) -> None:
        """Insert or replace one run (a replaced run keeps its place unless it gains a time)."""
        self.save_many([run])

    def save_many(self, runs: list[Run]) -> None:
        """Insert or replace several runs in one transaction (the writer's batches)."""
        if not runs:
            return
        now = datetime.now(timezone.utc)
        rows: dict[str, dict[str, Any]] = {}
        for run in runs:  # one row per run (its last version): a statement may not hit a row twice
            previous = rows.get(run.run_id)
            ordered_at = run.submitted_at or (previous["ordered_at"] if previous else now)
            rows[run.run_id] = {**self._row(run), "ordered_at": ordered_at}
        self.database.write(
            lambda conn: conn.execute(self._upsert, list(rows.values())), changes="runs"
        )

    def get(self, run_id: str) -> Run | None:
        """One run by id."""
        stmt = select(*_RUN_COLUMNS).where(RUNS.c.run_id == run_id)
        row = self.database.read(lambda conn: conn.execute(stmt).first())
        return _to_run(row) if row else None

    def query(self, flt: RunFilter) -> list[Run]:
        """Newest first, filtered, at most ``flt.limit`` (capped at ``MAX_LIMIT``) after
        ``flt.offset``; ``q`` matches task name, task id and error message, any case."""
        stmt = select(*_RUN_COLUMNS).order_by(*_NEWEST_FIRST)
        for name in ("task_id", "status", "source"):
            if value := getattr(flt, name):
                stmt = stmt.where(RUNS.c[name] == value)
        if flt.q:
            dialect = self.database.dialect
            stmt = stmt.where(
                or_(
                    *(
                        contains_folded(RUNS.c[name], flt.q, dialect)
                        for name in ("task_name", "task_id", "exception_message")
                    )
                )
            )
        stmt = stmt.limit(clamp(flt.limit)).offset(max(0, flt.offset))
        return [_to_run(row) for row in self.database.read(lambda conn: conn.execute(stmt).all())]

    def recent_for_tasks(self, task_ids: list[str], per_task: int) -> dict[str, list[Run]]:
        """The last ``per_task`` runs of each task, newest first (one indexed query each)."""
        limit = clamp(per_task)

        def recent(conn: Connection) -> dict[str, list[Run]]:
            return {
                task_id: [
                    _to_run(row)
                    for row in conn.execute(_RECENT, {"task_id": task_id, "limit": limit}).all()
                ]
                for task_id in dict.fromkeys(task_ids)
            }

        return self.database.read(recent)

    def distinct(self, field: str, limit: int = DISTINCT_LIMIT) -> list[str]:
        """The distinct values of ``field`` (only ``task_id``), sorted.

        Raises:
            ValueError: another field.
        """
        check_distinct_field(field, RUN_FIELDS_DISTINCT)
        stmt = distinct_statement(RUNS, field, limit)
        return [str(v) for v in self.database.read(lambda conn: conn.execute(stmt).scalars().all())]

    def prune(self) -> int:
        """Delete runs older than ``max_age``, then all but the newest ``max_rows``."""
        return self.database.write(self._prune, changes="runs")

    def _prune(self, conn: Connection) -> int:
        cutoff = datetime.now(timezone.utc) - timedelta(seconds=self.retention.max_age)
        removed = conn.execute(delete(RUNS).where(RUNS.c.ordered_at < cutoff)).rowcount
        boundary = conn.execute(
            select(RUNS.c.ordered_at, RUNS.c.run_id)
            .order_by(*_NEWEST_FIRST)
            .offset(max(0, self.retention.max_rows))
            .limit(1)
        ).first()
        if boundary is not None:
            at, run_id = boundary
            removed += conn.execute(
                delete(RUNS).where(
                    or_(
                        RUNS.c.ordered_at < at,
                        and_(RUNS.c.ordered_at == at, RUNS.c.run_id <= run_id),
                    )
                )
            ).rowcount
        return int(removed)
