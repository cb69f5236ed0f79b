"""Storage failures are bounded (issue 7, point 7): timeouts on connecting and reading, a small
pool of reader threads with a cap on waiting calls, and a database emptied while serving is
migrated again on the next call."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
from sqlalchemy import inspect, text

from asyncz_dashboard.storage import open_storages
from asyncz_dashboard.storage.base import LogFilter, RunFilter, StorageUnavailable
from asyncz_dashboard.storage.readers import ReaderPool, readers_for
from asyncz_dashboard.storage.sql import LATEST_VERSION, open_sql, schema_version
from asyncz_dashboard.storage.sql.schema import SCHEMA, TABLES

from .conftest import make_log, make_run

HANG_GUARD = 30.0  # seconds: a call still blocked then is a hang, reported as a failure


def bounded(call: Callable[[], Any]) -> Any:
    """Run ``call`` in a thread; fail (instead of hanging the suite) if it never returns."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = call()
        except BaseException as exc:
            outcome["error"] = exc

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(HANG_GUARD)
    assert not worker.is_alive(), "the storage call hung"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


# -- timeouts -----------------------------------------------------------------------------------


def test_postgresql_options_in_the_url_are_kept_beside_the_statement_timeout(
    pg_url: str,
) -> None:
    bundle = open_sql(pg_url, timeout=1.5)
    bundle.runs.save(make_run(1))
    with bundle.database.engine.connect() as conn:
        assert conn.exec_driver_sql("SHOW statement_timeout").scalar() == "1500ms"
        schema = conn.exec_driver_sql("SHOW search_path").scalar()
    assert schema is not None and schema.startswith("asyncz_test_")  # the fixture's schema
    bundle.close()


def test_a_statement_timeout_in_the_url_wins(pg_url: str) -> None:
    url = pg_url.replace("options=", "options=-cstatement_timeout%3D7000%20", 1)
    bundle = open_sql(url, timeout=1.0)
    bundle.runs.query(RunFilter())
    with bundle.database.engine.connect() as conn:
        assert conn.exec_driver_sql("SHOW statement_timeout").scalar() == "7s"
    bundle.close()


@contextmanager
def pg_table_locked(pg_url: str, table: str) -> Iterator[None]:
    """Hold an ACCESS EXCLUSIVE lock on ``table`` (every read of it waits) in another session."""
    schema = pg_url.rsplit("search_path%3D", 1)[1]
    dsn = pg_url.split("?")[0]
    with psycopg.connect(dsn) as conn:
        conn.execute(f"SET search_path = {schema}")
        conn.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
        try:
            yield
        finally:
            conn.rollback()


def test_a_read_waiting_on_a_postgresql_lock_gives_up_after_the_timeout(pg_url: str) -> None:
    bundle = open_sql(pg_url, timeout=1.0)
    bundle.runs.save(make_run(1))
    with pg_table_locked(pg_url, "asyncz_dashboard_runs"):
        with pytest.raises(StorageUnavailable, match="statement timeout"):
            bounded(lambda: bundle.runs.query(RunFilter()))
        # Other tables are not locked: logs still read.
        assert bounded(lambda: bundle.logs.query(LogFilter())) == []
    assert [r.run_id for r in bundle.runs.query(RunFilter())] == ["run-0001"]
    bundle.close()


def test_a_read_of_a_locked_sqlite_file_gives_up_after_the_timeout(sqlite_url: str) -> None:
    bundle = open_sql(sqlite_url, timeout=0.5)
    bundle.runs.save(make_run(1))
    bundle.database.engine.dispose()  # the lock below needs the file to itself
    holder = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")  # with WAL: no other connection reads
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StorageUnavailable, match="locked"):
            bounded(lambda: bundle.runs.query(RunFilter()))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert [r.run_id for r in bundle.runs.query(RunFilter())] == ["run-0001"]
    bundle.close()


def test_open_storages_passes_the_timeout_to_sql(sqlite_url: str) -> None:
    storages = open_storages(sqlite_url, timeout=0.75)
    assert readers_for(storages.runs.query).timeout == 0.75
    assert readers_for(storages.sessions.revoked_since).timeout == 0.75
    assert storages.runs.database is storages.sessions.database  # one pool for them all
    storages.close()


# -- the reader pool ----------------------------------------------------------------------------


async def test_the_reader_pool_is_bounded_and_skips_calls_nobody_waits_for() -> None:
    pool = ReaderPool(timeout=0.2, threads=1, max_waiting=1)
    release = threading.Event()
    ran: list[str] = []

    def call(name: str, wait: bool = False) -> str:
        if wait:
            release.wait(HANG_GUARD)
        ran.append(name)
        return name

    first = asyncio.ensure_future(pool.run(call, "first", True))
    await asyncio.sleep(0.05)  # the only thread is now busy with it
    second = asyncio.ensure_future(pool.run(call, "second"))
    await asyncio.sleep(0)
    with pytest.raises(StorageUnavailable, match="busy"):
        await pool.run(call, "third")  # one already waits: refused at once
    for waiting in (first, second):
        with pytest.raises(StorageUnavailable, match=r"did not answer within 0\.2 s"):
            await waiting
    release.set()
    while pool.waiting:  # the thread takes "second" from the queue, and drops it
        await asyncio.sleep(0.01)
    assert await pool.run(call, "fourth") == "fourth"
    assert ran == ["first", "fourth"]  # "second" was dropped: its caller had given up
    pool.close()


async def test_the_reader_pool_passes_errors_through() -> None:
    pool = ReaderPool(timeout=5)

    def fail() -> None:
        raise StorageUnavailable("down")

    with pytest.raises(StorageUnavailable, match="down"):
        await pool.run(fail)
    with pytest.raises(ZeroDivisionError):
        await pool.run(lambda: 1 / 0)
    pool.close()


# -- a database emptied while serving -------------------------------------------------------------


def _drop_everything(bundle: Any) -> None:
    """What an operator's ``DROP TABLE`` (or a re-created database) leaves: no tables."""
    engine = bundle.database.engine
    with engine.begin() as conn:
        for table in [*TABLES.values(), SCHEMA]:
            conn.execute(text(f"DROP TABLE {table.name}"))
    assert not [n for n in inspect(engine).get_table_names() if n.startswith("asyncz")]


def _drop(bundle: Any, *names: str) -> None:
    with bundle.database.engine.begin() as conn:
        for name in names:
            conn.execute(text(f"DROP TABLE {TABLES[name].name}"))


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_database_emptied_while_serving_is_migrated_again(
    backend: str, request: pytest.FixtureRequest
) -> None:
    url = request.getfixturevalue("sqlite_url" if backend == "sqlite" else "pg_url")
    bundle = open_sql(url)
    bundle.runs.save(make_run(1))
    bundle.logs.add([make_log(1)])

    _drop_everything(bundle)
    assert bundle.runs.query(RunFilter()) == []  # a read migrates, then answers
    assert schema_version(bundle.database.engine) == LATEST_VERSION

    _drop_everything(bundle)
    bundle.runs.save(make_run(2))  # so does a write
    bundle.logs.add([make_log(2)])
    assert [r.run_id for r in bundle.runs.query(RunFilter())] == ["run-0002"]
    assert [e.message for e in bundle.logs.query(LogFilter())] == ["message 2"]
    bundle.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_tables_dropped_behind_the_schema_version_are_restored(
    backend: str, request: pytest.FixtureRequest
) -> None:
    url = request.getfixturevalue("sqlite_url" if backend == "sqlite" else "pg_url")
    bundle = open_sql(url)
    bundle.runs.save(make_run(1))
    bundle.logs.add([make_log(1)])
    _drop(bundle, "runs", "revoked_sessions")  # the version row says all is there
    bundle.runs.save(make_run(2))
    assert [r.run_id for r in bundle.runs.query(RunFilter())] == ["run-0002"]
    assert [e.message for e in bundle.logs.query(LogFilter())] == ["message 1"]  # kept
    assert bundle.sessions.revoked_since(None) == []
    assert "ix_asyncz_dashboard_runs_exception_type" in {
        ix["name"] for ix in inspect(bundle.database.engine).get_indexes("asyncz_dashboard_runs")
    }
    assert schema_version(bundle.database.engine) == LATEST_VERSION
    bundle.close()
