"""Engines for SQLite and PostgreSQL, their timeouts, the lazy schema check, and the mapping of
driver errors to ``StorageUnavailable``.

The engine is synchronous with a connection pool: storages are called from the database's
reader threads (``ReaderPool``) and from the recorder's writer thread, never on the event loop.

Timeouts (``timeout``, 2 s by default): connecting, waiting for a pooled connection and every
read statement (PostgreSQL ``statement_timeout``, SQLite's busy handler) give up after it; writes
and migrations, done by background threads, may wait up to ``WRITE_TIMEOUT``.
"""

from __future__ import annotations

import math
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, make_url, select, update
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL
from sqlalchemy.pool import StaticPool

from ..base import StorageUnavailable
from ..readers import DEFAULT_TIMEOUT, ReaderPool

T = TypeVar("T")

WRITE_TIMEOUT = 30.0  # seconds a write or migration may wait (locks, another process's writer)
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


def create_sql_engine(url: str, timeout: float = DEFAULT_TIMEOUT) -> Engine:
    """A pooled engine for ``url`` with the settings the dashboard relies on; ``timeout``
    (seconds) bounds connecting, waiting for a pooled connection and each read statement."""
    parsed = sql_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, timeout)
    return create_engine(
        parsed,
        pool_pre_ping=True,
        pool_timeout=timeout,
        connect_args=pg_connect_args(parsed, timeout),
    )


def pg_connect_args(url: URL, timeout: float) -> dict[str, Any]:
    """psycopg's connection settings: ``connect_timeout`` (whole seconds, at least 2 in libpq)
    and ``statement_timeout`` through ``options``, both unless the URL sets its own; the
    URL's other ``options`` (``-csearch_path=...``) are kept."""
    args: dict[str, Any] = {"application_name": "asyncz-dashboard"}
    if "connect_timeout" not in url.query:
        args["connect_timeout"] = max(2, math.ceil(timeout))
    given = url.query.get("options", "")
    options = " ".join(given) if isinstance(given, tuple) else given
    if "statement_timeout" not in options:
        # connect_args win over the URL's query in SQLAlchemy: pass the merged value.
        args["options"] = f"{options} -c statement_timeout={_ms(timeout)}".strip()
    return args


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))


def _enable_wal(cursor: Any, timeout: float) -> None:
    """Switch a new database file to WAL, which persists in the file.

    The switch needs an exclusive lock and SQLite answers "database is locked" at once, without
    its busy handler, while another process opens the same new file: retry for a while.
    """
    deadline = time.monotonic() + timeout
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


def _sqlite_engine(url: URL, timeout: float) -> Engine:
    in_memory = url.database in (None, "", ":memory:")
    connect_args: dict[str, Any] = {"check_same_thread": False, "timeout": timeout}
    if in_memory:  # one shared connection, or every pooled connection is a new, empty database
        engine = create_engine(url, connect_args=connect_args, poolclass=StaticPool)
    else:
        engine = create_engine(url, connect_args=connect_args, pool_timeout=timeout)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide where transactions begin (pysqlite would not
        # begin one before DDL, and cannot take BEGIN IMMEDIATE).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # Connecting is bounded like a read (a reader may be the one connecting); each
        # transaction then sets its own wait (``bounded_transaction``).
        cursor.execute(f"PRAGMA busy_timeout = {_ms(timeout)}")
        if not in_memory:
            _enable_wal(cursor, timeout)  # readers never wait for the writer
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


@contextmanager
def bounded_transaction(conn: Connection, seconds: float | None) -> Iterator[None]:
    """A transaction on ``conn`` in which no statement waits longer than ``seconds`` (SQLite:
    the busy handler; PostgreSQL: ``SET LOCAL statement_timeout``); None keeps the
    connection's own PostgreSQL setting (the engine's ``timeout``)."""
    if conn.dialect.name == "sqlite":
        wait = DEFAULT_TIMEOUT if seconds is None else seconds
        # Before BEGIN (a pragma, outside any transaction): it bounds BEGIN IMMEDIATE too.
        conn.connection.driver_connection.execute(  # type: ignore[union-attr]
            f"PRAGMA busy_timeout = {_ms(wait)}"
        )
    with conn.begin():
        if seconds is not None and conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SET LOCAL statement_timeout = {_ms(seconds)}")
        yield


def missing_table(exc: BaseException) -> bool:
    """Whether a driver error says a table does not exist (the database was emptied or
    re-created): PostgreSQL SQLSTATE 42P01, SQLite "no such table"."""
    orig = getattr(exc, "orig", None)
    if getattr(orig, "sqlstate", None) == "42P01":
        return True
    return isinstance(orig, sqlite3.OperationalError) and "no such table" in str(orig)


def describe(exc: BaseException) -> str:
    """A short, password-free description of a driver error."""
    orig = getattr(exc, "orig", None) or exc
    first_line = str(orig).strip().splitlines()[0] if str(orig).strip() else ""
    return f"{type(orig).__name__}: {first_line}" if first_line else type(orig).__name__


class Database:
    """One engine, its reader threads, and the schema check that runs before the first call
    that reaches the database.

    The check is retried on later calls while it fails, so a database that was down when the
    dashboard started is used as soon as it answers; and it runs again when a call finds a
    table missing (the database was emptied or re-created while serving), once per call.

    Args:
        engine: from ``create_sql_engine``.
        timeout: seconds a read may take, and a caller on the event loop waits for it.
    """

    def __init__(self, engine: Engine, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self.timeout = timeout
        self.readers = ReaderPool(timeout, name=f"asyncz-dashboard-{self.dialect}-reader")
        self._ready = False
        self._repair = False  # a table went missing: run the migrations again
        self._lock = threading.Lock()
        self._disposed = False
        event.listen(engine, "checkin", self._on_checkin)

    @property
    def is_postgresql(self) -> bool:
        """Whether this is PostgreSQL (else SQLite)."""
        return self.dialect == "postgresql"

    def read(self, fn: Callable[[Connection], T]) -> T:
        """``fn(conn)`` in a transaction whose statements wait at most ``timeout``.

        Raises:
            StorageUnavailable: the database cannot be reached, refused the statement or did
                not answer in time.
        """
        return self._run(fn, None if self.is_postgresql else self.timeout)

    def write(self, fn: Callable[[Connection], T], changes: str = "") -> T:
        """``fn(conn)`` in a transaction whose statements may wait up to ``WRITE_TIMEOUT``
        (the writer thread's batches and retention).

        Args:
            fn: the write.
            changes: the kind of record it writes (``runs``, ``logs``, ``events``, ``audit``):
                that kind's change counter is raised in the same transaction, last (its row
                lock is held only until the commit), so ``changes()`` moves when it commits.

        Raises:
            StorageUnavailable: as ``read``.
        """
        return self._run(fn, WRITE_TIMEOUT, changes)

    def changes(self) -> tuple[tuple[str, int], ...]:
        """The change counters, ``(kind, value)`` by kind: one indexed read of four rows.
        They move whenever any process sharing the database commits a write of that kind.

        Raises:
            StorageUnavailable: as ``read``.
        """
        from .schema import TABLES

        table = TABLES["changes"]
        stmt = select(table.c.kind, table.c.value).order_by(table.c.kind)
        rows = self.read(lambda conn: conn.execute(stmt).all())
        return tuple((str(kind), int(value)) for kind, value in rows)

    def _run(self, fn: Callable[[Connection], T], seconds: float | None, changes: str = "") -> T:
        for attempt in range(2):
            try:
                self.ensure_schema()
                with self.engine.connect() as conn, bounded_transaction(conn, seconds):
                    result = fn(conn)
                    if changes:
                        _bump(conn, changes)
                    return result
            except UNAVAILABLE_ERRORS as exc:
                if attempt == 0 and missing_table(exc):
                    # Emptied or re-created while serving: migrate again, then retry once.
                    self._repair, self._ready = True, False
                    continue
                raise StorageUnavailable(
                    f"{self.dialect} storage unavailable: {describe(exc)}"
                ) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A connection in a write transaction (committed at the end, rolled back on error);
        prefer ``read`` and ``write``, which also migrate a database emptied while serving.

        Raises:
            StorageUnavailable: the database cannot be reached or refused the statement.
        """
        try:
            self.ensure_schema()
            with self.engine.connect() as conn, bounded_transaction(conn, WRITE_TIMEOUT):
                yield conn
        except UNAVAILABLE_ERRORS as exc:
            raise StorageUnavailable(
                f"{self.dialect} storage unavailable: {describe(exc)}"
            ) from exc

    def ensure_schema(self) -> None:
        """Create or upgrade the tables (see ``schema.migrate``) unless done already."""
        if self._ready:
            return
        from .schema import migrate

        with self._lock:
            if not self._ready:
                migrate(self.engine, repair=self._repair)
                self._ready, self._repair = True, False

    def dispose(self) -> None:
        """Close every pooled connection and stop the reader threads. A connection still in
        use (a read past its deadline, a thread that outlived its join) is closed when it is
        returned, never left for the garbage collector (psycopg warns of such a connection);
        a call made after this still works, on a connection of its own."""
        self._disposed = True
        self.readers.close()
        self.engine.dispose()

    def _on_checkin(self, dbapi_connection: Any, record: Any) -> None:
        # Returned after ``dispose``: to the pool that was dropped (or to its empty successor,
        # which nobody closes any more), so close it now.
        if self._disposed and dbapi_connection is not None:
            record.invalidate()


def _bump(conn: Connection, kind: str) -> None:
    from .schema import TABLES

    table = TABLES["changes"]
    conn.execute(update(table).where(table.c.kind == kind).values(value=table.c.value + 1))
