"""SQL storage on SQLAlchemy 2 Core, for the ``asyncz-dashboard[sql]`` extra.

``open_sql("sqlite:///dashboard.db")`` keeps everything in one file on this machine (WAL, so
readers never wait for the writer); ``open_sql("postgresql://user@host/db")`` (psycopg 3)
shares it between every process of a fleet. The tables are created or upgraded on the first
call that reaches the database; until it answers, every call raises ``StorageUnavailable``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..base import AUDIT_RETENTION, EVENT_RETENTION, LOG_RETENTION, RUN_RETENTION, Retention
from .engine import Database, create_sql_engine
from .entries import SqlAuditStorage, SqlEventStorage, SqlLogStorage
from .runs import SqlRunStorage
from .schema import LATEST_VERSION, migrate, schema_version

__all__ = [
    "LATEST_VERSION",
    "Database",
    "SqlAuditStorage",
    "SqlEventStorage",
    "SqlLogStorage",
    "SqlRunStorage",
    "SqlStorages",
    "migrate",
    "open_sql",
    "schema_version",
]


@dataclass(frozen=True)
class SqlStorages:
    """The four SQL storages over one database."""

    database: Database
    runs: SqlRunStorage
    logs: SqlLogStorage
    events: SqlEventStorage
    audit: SqlAuditStorage

    def close(self) -> None:
        """Close the pooled connections."""
        self.database.dispose()


def open_sql(
    url: str,
    *,
    run_retention: Retention = RUN_RETENTION,
    log_retention: Retention = LOG_RETENTION,
    event_retention: Retention = EVENT_RETENTION,
    audit_retention: Retention = AUDIT_RETENTION,
) -> SqlStorages:
    """The four storages over the database at ``url``; connects lazily, so it never fails
    because the database is down.

    Args:
        url: ``sqlite:///path.db`` (``sqlite://`` for a private in-memory database) or
            ``postgresql://user@host:port/db`` (query parameters go to psycopg, e.g.
            ``?connect_timeout=10``).
        run_retention, log_retention, event_retention, audit_retention: what ``prune`` keeps.

    Raises:
        ValueError: ``url`` is neither SQLite nor PostgreSQL.
    """
    database = Database(create_sql_engine(url))
    return SqlStorages(
        database=database,
        runs=SqlRunStorage(database, run_retention),
        logs=SqlLogStorage(database, log_retention),
        events=SqlEventStorage(database, event_retention),
        audit=SqlAuditStorage(database, audit_retention),
    )
