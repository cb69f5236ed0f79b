"""Engines for SQLite and PostgreSQL, the lazy schema check, and the mapping of driver errors to
``StorageUnavailable``.

The engine is synchronous with a connection pool: storages are called from worker threads
(``asyncio.to_thread``) and from the recorder's writer thread, never on the event loop.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, make_url
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL
from sqlalchemy.pool import StaticPool

from ..base import StorageUnavailable

SQLITE_BUSY_TIMEOUT = 30.0  # seconds a writer waits for another process's write lock
PG_CONNECT_TIMEOUT = 3  # seconds; a database that does not answer fails fast, never hangs
POOL_TIMEOUT = 10.0  # seconds to wait for a free pooled connection
IMMEDIATE = "asyncz_dashboard_begin_immediate"  # execution option: SQLite BEGIN IMMEDIATE

# What "cannot reach the database" looks like through SQLAlchemy: every driver error, and a
# pool that hands out no connection in time.
UNAVAILABLE_ERRORS = (sa_exc.DBAPIError, sa_exc.TimeoutError)


def sql_url(url: str) -> URL:
    """Parse ``url`` and pick our driver: ``postgresql://`` and ``postgres://`` use psycopg 3.

    Raises:
        ValueError: not a SQLite or PostgreSQL URL.
    """
    try:
        parsed = make_url(url)
    except sa_exc.ArgumentError as exc:
        raise ValueError(f"not a storage URL: {url!r}") from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return parsed
    if backend in ("postgresql", "postgres"):
        if parsed.drivername in ("postgresql", "postgres"):
            parsed = parsed.set(drivername="postgresql+psycopg")
        return parsed
    raise ValueError(
        f"unsupported storage URL scheme {parsed.drivername!r}: use sqlite:///path.db or "
        "postgresql://user@host/db"
    )


def create_sql_engine(url: str) -> Engine:
    """A pooled engine for ``url`` with the settings the dashboard relies on."""
    parsed = sql_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    connect_args: dict[str, Any] = {"application_name": "asyncz-dashboard"}
    if "connect_timeout" not in parsed.query:
        connect_args["connect_timeout"] = PG_CONNECT_TIMEOUT
    return create_engine(
        parsed,
        pool_pre_ping=True,
        pool_timeout=POOL_TIMEOUT,
        connect_args=connect_args,
    )


def _enable_wal(cursor: Any) -> None:
    """Switch a new database file to WAL, which persists in the file.

    The switch needs an exclusive lock and SQLite answers "database is locked" at once, without
    its busy handler, while another process opens the same new file: retry for a while.
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT
    while True:
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal":
                return
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _sqlite_engine(url: URL) -> Engine:
    in_memory = url.database in (None, "", ":memory:")
    connect_args: dict[str, Any] = {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT}
    if in_memory:  # one shared connection, or every pooled connection is a new, empty database
        engine = create_engine(url, connect_args=connect_args, poolclass=StaticPool)
    else:
        engine = create_engine(url, connect_args=connect_args, pool_timeout=POOL_TIMEOUT)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide where transactions begin (pysqlite would not
        # begin one before DDL, and cannot take BEGIN IMMEDIATE).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_TIMEOUT * 1000)}")
        if not in_memory:
            _enable_wal(cursor)  # readers never wait for the writer
            cursor.execute("PRAGMA synchronous = NORMAL")  # safe with WAL, much faster
        cursor.close()
        # Unicode-aware lower() for searches SQLite's LIKE cannot fold (it folds ASCII only).
        dbapi_connection.create_function("asyncz_lower", 1, _lower, deterministic=True)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(IMMEDIATE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def describe(exc: BaseException) -> str:
    """A short, password-free description of a driver error."""
    orig = getattr(exc, "orig", None) or exc
    first_line = str(orig).strip().splitlines()[0] if str(orig).strip() else ""
    return f"{type(orig).__name__}: {first_line}" if first_line else type(orig).__name__


class Database:
    """One engine plus the schema check that runs before the first call that reaches it.

    The check is retried on later calls while it fails, so a database that was down when the
    dashboard started is used as soon as it answers.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self._ready = False
        self._lock = threading.Lock()

    @property
    def is_postgresql(self) -> bool:
        """Whether this is PostgreSQL (else SQLite)."""
        return self.dialect == "postgresql"

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A connection in a transaction (committed at the end, rolled back on error).

        Raises:
            StorageUnavailable: the database cannot be reached or refused the statement.
        """
        try:
            self.ensure_schema()
            with self.engine.begin() as conn:
                yield conn
        except UNAVAILABLE_ERRORS as exc:
            raise StorageUnavailable(
                f"{self.dialect} storage unavailable: {describe(exc)}"
            ) from exc

    def ensure_schema(self) -> None:
        """Create or upgrade the tables once per process (see ``schema.migrate``)."""
        if self._ready:
            return
        from .schema import migrate

        with self._lock:
            if not self._ready:
                migrate(self.engine)
                self._ready = True

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
