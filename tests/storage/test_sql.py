"""What only the SQL storage has: URLs, schema migrations, concurrency, limits, failure."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, text

from asyncz_dashboard.storage import open_storages
from asyncz_dashboard.storage.base import (
    MAX_LIMIT,
    AuditEntry,
    AuditFilter,
    EventEntry,
    EventFilter,
    LogFilter,
    Run,
    RunFilter,
    StorageUnavailable,
)
from asyncz_dashboard.storage.sql import (
    LATEST_VERSION,
    SqlLogStorage,
    SqlRunStorage,
    migrate,
    open_sql,
    schema_version,
)
from asyncz_dashboard.storage.sql.engine import create_sql_engine, sql_url
from asyncz_dashboard.storage.sql.schema import TABLES

from .conftest import at, make_log, make_run


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest) -> str:
    """A fresh SQLite file or PostgreSQL schema."""
    return str(request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url"))


@pytest.fixture
def sql(url: str) -> Any:
    """The SQL storages over ``url``, closed afterwards."""
    bundle = open_sql(url)
    yield bundle
    bundle.close()


# -- URLs -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "driver"),
    [
        ("postgresql://u@db.example/app", "postgresql+psycopg"),
        ("postgres://u@db.example/app", "postgresql+psycopg"),
        ("postgresql+psycopg://u@db.example/app", "postgresql+psycopg"),
        ("sqlite:///dashboard.db", "sqlite"),
        ("sqlite://", "sqlite"),
    ],
)
def test_urls_pick_the_driver(given: str, driver: str) -> None:
    assert sql_url(given).drivername == driver


@pytest.mark.parametrize("given", ["mysql://root@localhost/test", "redis://x", "not a url"])
def test_other_urls_are_refused(given: str) -> None:
    with pytest.raises(ValueError, match="storage URL"):
        open_sql(given)


def test_open_storages_takes_a_sql_url_for_every_kind(sqlite_url: str) -> None:
    storages = open_storages(sqlite_url)
    assert isinstance(storages.runs, SqlRunStorage)
    assert isinstance(storages.logs, SqlLogStorage)
    storages.runs.save(make_run(1))
    assert open_storages(log_storage=sqlite_url).runs.get("run-0001") is None  # memory runs
    assert open_storages(run_history_storage=sqlite_url).runs.get("run-0001") is not None


def test_sqlite_in_memory_url_works_across_threads() -> None:
    bundle = open_sql("sqlite://")
    worker = threading.Thread(target=bundle.runs.save, args=(make_run(1),))
    worker.start()
    worker.join()
    assert bundle.runs.get("run-0001") is not None
    bundle.close()


def test_sqlite_uses_wal(sql: Any, url: str) -> None:
    if not url.startswith("sqlite"):
        return
    sql.runs.query(RunFilter())
    with sql.database.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


# -- schema -------------------------------------------------------------------------------------


def _index_names(engine: Any, table: str) -> set[str]:
    return {ix["name"] for ix in inspect(engine).get_indexes(table)}


def test_a_version_1_database_is_upgraded_with_its_data(url: str) -> None:
    engine = create_sql_engine(url)
    assert migrate(engine, target=1) == 1
    assert "ix_asyncz_dashboard_logs_logger_created" not in _index_names(
        engine, "asyncz_dashboard_logs"
    )
    with engine.begin() as conn:
        conn.execute(
            TABLES["runs"].insert(),
            {
                **{c.name: "" for c in TABLES["runs"].columns},
                "run_id": "old-run",
                "task_id": "t1",
                "status": "failed",
                "source": "scheduled",
                "scheduled_run_time": None,
                "submitted_at": at(1),
                "finished_at": None,
                "duration": 1.5,
                "ordered_at": at(1),
            },
        )
        conn.execute(
            TABLES["logs"].insert(),
            {
                "created": at(2),
                "level": "INFO",
                "levelno": 20,
                "logger": "old",
                "message": "from v1",
                "task_id": "t1",
                "run_id": "old-run",
                "exception": "",
            },
        )
    engine.dispose()

    bundle = open_sql(url)
    assert bundle.runs.get("old-run") == Run(
        run_id="old-run", task_id="t1", status="failed", submitted_at=at(1), duration=1.5
    )
    assert [e.message for e in bundle.logs.query(LogFilter(run_id="old-run"))] == ["from v1"]
    assert schema_version(bundle.database.engine) == LATEST_VERSION == 7
    assert "asyncz_dashboard_revoked_sessions" in inspect(bundle.database.engine).get_table_names()
    assert "ix_asyncz_dashboard_logs_logger_created" in _index_names(
        bundle.database.engine, "asyncz_dashboard_logs"
    )
    assert "ix_asyncz_dashboard_runs_exception_type" in _index_names(
        bundle.database.engine, "asyncz_dashboard_runs"
    )
    bundle.close()


def test_migrate_is_idempotent_and_leaves_newer_schemas_alone(url: str) -> None:
    engine = create_sql_engine(url)
    assert schema_version(engine) == 0
    assert migrate(engine) == LATEST_VERSION
    assert migrate(engine) == LATEST_VERSION
    with engine.begin() as conn:
        conn.execute(text("UPDATE asyncz_dashboard_schema SET version = 99"))
    assert migrate(engine) == 99
    engine.dispose()


def test_processes_starting_at_once_do_not_race(url: str) -> None:
    bundles = [open_sql(url) for _ in range(4)]
    barrier = threading.Barrier(len(bundles))
    errors: list[BaseException] = []

    def start(bundle: Any) -> None:
        barrier.wait()
        try:
            bundle.runs.query(RunFilter())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(b,)) for b in bundles]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert schema_version(bundles[0].database.engine) == LATEST_VERSION
    for bundle in bundles:
        bundle.close()


# -- behaviour ----------------------------------------------------------------------------------


def test_limits_are_capped(sql: Any) -> None:
    sql.runs.save_many([make_run(n) for n in range(MAX_LIMIT + 20)])
    sql.logs.add([make_log(n) for n in range(MAX_LIMIT + 20)])
    assert len(sql.runs.query(RunFilter(limit=10**9))) == MAX_LIMIT
    assert len(sql.logs.query(LogFilter(limit=10**9))) == MAX_LIMIT
    assert sql.runs.query(RunFilter(limit=-5)) == []
    assert len(sql.runs.query(RunFilter(limit=3, offset=-7))) == 3
    assert len(sql.runs.recent_for_tasks(["t1"], 10**6)["t1"]) == MAX_LIMIT


def test_save_many_takes_several_versions_of_a_run(sql: Any) -> None:
    sql.runs.save_many([make_run(1), make_run(2, status="running")])
    sql.runs.save_many(
        [
            make_run(2, status="succeeded", submitted_at=None),
            make_run(3, status="running"),
            make_run(3, status="failed", submitted_at=None),
        ]
    )
    runs = sql.runs.query(RunFilter())
    assert [(r.run_id, r.status) for r in runs] == [
        ("run-0003", "failed"),
        ("run-0002", "succeeded"),
        ("run-0001", "running"),
    ]
    sql.runs.save_many([])


def test_times_are_normalised_to_utc(sql: Any) -> None:
    plus_two = timezone(timedelta(hours=2))
    local = datetime(2026, 5, 1, 12, 0, tzinfo=plus_two)
    naive = datetime(2026, 5, 1, 12, 0)
    sql.runs.save(make_run(1, submitted_at=local, finished_at=naive))
    got = sql.runs.get("run-0001")
    assert got.submitted_at == local and got.submitted_at.tzinfo == timezone.utc
    assert got.finished_at == naive.replace(tzinfo=timezone.utc)


def test_a_run_without_submission_time_sorts_by_when_it_was_saved(sql: Any) -> None:
    sql.runs.save(make_run(1, submitted_at=datetime.now(timezone.utc) - timedelta(minutes=1)))
    sql.runs.save(make_run(2, submitted_at=None))
    assert [r.run_id for r in sql.runs.query(RunFilter())] == ["run-0002", "run-0001"]
    assert sql.runs.get("run-0002").submitted_at is None


def test_nul_characters_do_not_break_a_batch(sql: Any, url: str) -> None:
    sql.logs.add([make_log(1, message="before\x00after")])
    sql.runs.save(make_run(1, traceback="a\x00b"))
    stored = sql.logs.query(LogFilter())[0].message
    expected = "before\ufffdafter" if url.startswith("postgresql") else "before\x00after"
    assert stored == expected


def test_writers_in_many_threads(sql: Any) -> None:
    def write(worker: int) -> None:
        for batch in range(10):
            sql.logs.add([make_log(i, task_id=f"w{worker}") for i in range(20)])
            sql.runs.save(make_run(worker * 100 + batch, task_id=f"w{worker}"))

    threads = [threading.Thread(target=write, args=(w,)) for w in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for worker in range(6):
        assert len(sql.logs.query(LogFilter(task_id=f"w{worker}", limit=500))) == 200
        assert len(sql.runs.query(RunFilter(task_id=f"w{worker}"))) == 10


def test_audit_changes_survive_as_json(sql: Any) -> None:
    changes = {"kwargs": ['{"a": 1}', "{}"], "name": ["x", "ÿ"]}
    entry = AuditEntry(
        created=at(1), user="u", action="a", target="t", outcome="ok", changes=changes
    )
    sql.audit.add([entry])
    assert sql.audit.query(AuditFilter())[0].changes == changes


# -- failure ------------------------------------------------------------------------------------


def _every_call(bundle: Any) -> list[Any]:
    return [
        lambda: bundle.runs.save(make_run(1)),
        lambda: bundle.runs.get("x"),
        lambda: bundle.runs.query(RunFilter()),
        lambda: bundle.runs.recent_for_tasks(["t1"], 5),
        bundle.runs.prune,
        lambda: bundle.logs.add([make_log(1)]),
        lambda: bundle.logs.query(LogFilter()),
        bundle.logs.prune,
        lambda: bundle.events.add([EventEntry(created=at(1), code=1, name="n")]),
        lambda: bundle.events.query(EventFilter()),
        lambda: bundle.audit.add(
            [AuditEntry(created=at(1), user="u", action="a", target="t", outcome="ok")]
        ),
        lambda: bundle.audit.query(AuditFilter()),
        bundle.audit.prune,
    ]


def test_an_unreachable_postgresql_raises_storage_unavailable_quickly() -> None:
    bundle = open_sql("postgresql://postgres@127.0.0.1:1/test")  # nothing listens on port 1
    started = time.monotonic()
    for call in _every_call(bundle):
        with pytest.raises(StorageUnavailable, match="postgresql storage unavailable"):
            call()
    assert time.monotonic() - started < 10
    bundle.close()


def test_an_unopenable_sqlite_file_raises_storage_unavailable(tmp_path: Path) -> None:
    bundle = open_sql(f"sqlite:///{tmp_path / 'missing-dir' / 'x.db'}")
    for call in _every_call(bundle):
        with pytest.raises(StorageUnavailable, match="sqlite storage unavailable"):
            call()
    bundle.close()


def test_storage_comes_back_when_the_database_does(tmp_path: Path) -> None:
    folder = tmp_path / "later"
    bundle = open_sql(f"sqlite:///{folder / 'x.db'}")
    with pytest.raises(StorageUnavailable):
        bundle.runs.query(RunFilter())
    folder.mkdir()
    bundle.runs.save(make_run(1))
    assert bundle.runs.get("run-0001") is not None
    bundle.close()
