"""Storage backends for the contract suites: memory, SQLite (a file) and PostgreSQL.

PostgreSQL is required, never skipped: each test gets its own schema in the ``test`` database
(``search_path`` set through the URL's ``options``), dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
import pytest

from asyncz_dashboard.storage import Storages
from asyncz_dashboard.storage.base import (
    AUDIT_RETENTION,
    EVENT_RETENTION,
    LOG_RETENTION,
    RUN_RETENTION,
    LogEntry,
    Retention,
    Run,
)
from asyncz_dashboard.storage.memory import (
    MemoryAuditStorage,
    MemoryEventStorage,
    MemoryLogStorage,
    MemoryRunStorage,
)
from asyncz_dashboard.storage.sql import open_sql

PG_URL = os.environ.get(
    "ASYNCZ_DASHBOARD_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"
)
BACKENDS = ["memory", "sqlite", "postgresql"]
NOW = datetime.now(timezone.utc).replace(microsecond=0)
BASE = NOW - timedelta(minutes=10)  # inside every retention the tests set

Make = Callable[..., Any]


def at(seconds: float) -> datetime:
    """``BASE`` plus ``seconds``."""
    return BASE + timedelta(seconds=seconds)


def make_run(n: int, **changes: Any) -> Run:
    """Run number ``n`` of task ``t1``, submitted ``n`` seconds after ``BASE``."""
    values: dict[str, Any] = {
        "run_id": f"run-{n:04d}",
        "task_id": "t1",
        "task_name": "Task one",
        "submitted_at": at(n),
    }
    values.update(changes)
    return Run(**values)


def make_log(n: int, **changes: Any) -> LogEntry:
    """Log record ``n``, created ``n`` seconds after ``BASE``."""
    values: dict[str, Any] = {
        "created": at(n),
        "level": "INFO",
        "levelno": 20,
        "logger": "app.jobs",
        "message": f"message {n}",
    }
    values.update(changes)
    return LogEntry(**values)


def _postgres_dsn() -> str:
    return PG_URL.replace("postgresql+psycopg://", "postgresql://", 1)


@pytest.fixture(scope="session")
def postgres_ready() -> None:
    """Fail (never skip) when PostgreSQL does not answer."""
    try:
        with psycopg.connect(_postgres_dsn(), connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        pytest.fail(
            f"PostgreSQL must answer at {PG_URL} for the storage tests "
            f"(.ci/run starts the local cluster): {exc}",
            pytrace=False,
        )


@contextmanager
def pg_schema_url() -> Iterator[str]:
    """A PostgreSQL URL whose tables live in a fresh schema, dropped on exit."""
    schema = f"asyncz_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_postgres_dsn(), autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{separator}options={quote(f'-csearch_path={schema}')}"
    finally:
        with psycopg.connect(_postgres_dsn(), autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def pg_url(postgres_ready: None) -> Iterator[str]:
    """A PostgreSQL URL whose tables live in a fresh schema, dropped after the test."""
    with pg_schema_url() as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite file in the test's directory."""
    return f"sqlite:///{tmp_path / 'dashboard.db'}"


def _memory(retention: dict[str, Retention]) -> Storages:
    def args(kind: str) -> dict[str, Any]:
        r = retention.get(kind)
        return {"max_rows": r.max_rows, "max_age": r.max_age} if r else {}

    return Storages(
        runs=MemoryRunStorage(**args("runs")),
        logs=MemoryLogStorage(**args("logs")),
        events=MemoryEventStorage(**args("events")),
        audit=MemoryAuditStorage(**args("audit")),
    )


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The backend's name."""
    return str(request.param)


@pytest.fixture
def make(backend: str, request: pytest.FixtureRequest) -> Iterator[Make]:
    """``make(runs=Retention(...), ...)`` -> storages of ``backend`` (same database each call)."""
    url = ""
    if backend != "memory":
        url = request.getfixturevalue("sqlite_url" if backend == "sqlite" else "pg_url")
    opened: list[Any] = []

    def factory(**retention: Retention) -> Any:
        if backend == "memory":
            return _memory(retention)
        bundle = open_sql(
            url,
            run_retention=retention.get("runs", RUN_RETENTION),
            log_retention=retention.get("logs", LOG_RETENTION),
            event_retention=retention.get("events", EVENT_RETENTION),
            audit_retention=retention.get("audit", AUDIT_RETENTION),
        )
        opened.append(bundle)
        return bundle

    yield factory
    for bundle in opened:
        bundle.close()


@pytest.fixture
def storages(make: Make) -> Any:
    """The four storages of the backend with default retention."""
    return make()
