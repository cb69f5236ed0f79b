"""SQL storage on SQLAlchemy 2 Core, for the ``asyncz-dashboard[sql]`` extra.

``open_sql("sqlite:///dashboard.db")`` keeps everything in one file on this machine (WAL, so
readers never wait for the writer); ``open_sql("postgresql://user@host/db")`` (psycopg 3)
shares it between every process of a fleet. The tables are created or upgraded on the first
call that reaches the database (and again if they vanish); until it answers, every call raises
``StorageUnavailable``. ``timeout`` (2 s by default) bounds connecting and every read.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..base import AUDIT_RETENTION, EVENT_RETENTION, LOG_RETENTION, RUN_RETENTION, Retention
from ..readers import DEFAULT_TIMEOUT
from .engine import Database, create_sql_engine
from .entries import SqlAuditStorage, SqlEventStorage, SqlLogStorage
from .runs import SqlRunStorage
from .schema import LATEST_VERSION, migrate, schema_version
from .sessions import SqlSessionStorage
from .submissions import SqlSubmissionStorage

__all__ = [
    "LATEST_VERSION",
    "Database",
    "SqlAuditStorage",
    "SqlEventStorage",
    "SqlLogStorage",
    "SqlRunStorage",
    "SqlSessionStorage",
    "SqlStorages",
    "SqlSubmissionStorage",
    "migrate",
    "open_sql",
    "schema_version",
]


@dataclass(frozen=True)
class SqlStorages:
    """The SQL storages over one database."""

    database: Database
    runs: SqlRunStorage
    logs: SqlLogStorage
    events: SqlEventStorage
    audit: SqlAuditStorage
    sessions: SqlSessionStorage
    submissions: SqlSubmissionStorage

    def close(self) -> None:
        """Close the pooled connections and stop the reader threads."""
        self.database.dispose()


def open_sql(
    url: str,
    *,
    run_retention: Retention = RUN_RETENTION,
    log_retention: Retention = LOG_RETENTION,
    event_retention: Retention = EVENT_RETENTION,
    audit_retention: Retention = AUDIT_RETENTION,
    timeout: float = DEFAULT_TIMEOUT,
) -> SqlStorages:
    """The storages over the database at ``url``; connects lazily, so it never fails
    because the database is down.

    Args:
        url: ``sqlite:///path.db`` (``sqlite://`` for a private in-memory database) or
            ``postgresql://user@host:port/db`` (query parameters go to psycopg, e.g.
            ``?connect_timeout=10``; ``options`` are kept, with ``statement_timeout`` added
            unless they set it).
        run_retention, log_retention, event_retention, audit_retention: what ``prune`` keeps.
        timeout: seconds (default 2) after which connecting, waiting for a pooled connection
            or a read statement gives up (``StorageUnavailable``); pages wait no longer for a
            read. Writes, done by background threads, may wait up to 30 s.

    Raises:
        ValueError: ``url`` is neither SQLite nor PostgreSQL.
    """
    database = Database(create_sql_engine(url, timeout), timeout)
    return SqlStorages(
        database=database,
        runs=SqlRunStorage(database, run_retention),
        logs=SqlLogStorage(database, log_retention),
        events=SqlEventStorage(database, event_retention),
        audit=SqlAuditStorage(database, audit_retention),
        sessions=SqlSessionStorage(database),
        submissions=SqlSubmissionStorage(database),
    )
