"""Sessions ended by logout, in SQL: one row per session id, shared by every process."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Connection, delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..base import Revocation
from .engine import Database
from .query import clean_text
from .schema import TABLES

REVOKED = TABLES["revoked_sessions"]
_COLUMNS = (REVOKED.c.session_id, REVOKED.c.expires_at, REVOKED.c.revoked_at)


class SqlSessionStorage:
    """Revoked session ids in a SQL table; rows are pruned once their cookie has expired.

    Args:
        database: the engine wrapper shared with the other SQL storages.
    """

    shared = True  # other processes add rows: readers refresh from it

    def __init__(self, database: Database) -> None:
        self.database = database
        self.readers = database.readers

    def revoke(self, session_id: str, expires_at: datetime) -> None:
        """Record that ``session_id`` ended; a second record of it changes nothing."""
        # The database's clock on PostgreSQL (shared by every machine); SQLite is one machine.
        now: Any = func.now() if self.database.is_postgresql else datetime.now(timezone.utc)
        insert = pg_insert if self.database.is_postgresql else sqlite_insert
        stmt = (
            insert(REVOKED)
            .values(
                session_id=clean_text(session_id, self.database.is_postgresql),
                expires_at=expires_at,
                revoked_at=now,
            )
            .on_conflict_do_nothing(index_elements=[REVOKED.c.session_id])
        )
        self.database.write(lambda conn: conn.execute(stmt))

    def revoked_since(self, since: datetime | None) -> list[Revocation]:
        """Unexpired revocations recorded at or after ``since`` (all when None)."""
        stmt = select(*_COLUMNS).where(REVOKED.c.expires_at > datetime.now(timezone.utc))
        if since is not None:
            stmt = stmt.where(REVOKED.c.revoked_at >= since)
        rows = self.database.read(lambda conn: conn.execute(stmt).all())
        return [
            Revocation(session_id=sid, expires_at=expires, revoked_at=revoked)
            for sid, expires, revoked in rows
        ]

    def prune(self) -> int:
        """Delete revocations whose session would have expired anyway."""
        return self.database.write(self._prune)

    def _prune(self, conn: Connection) -> int:
        now = datetime.now(timezone.utc)
        return int(conn.execute(delete(REVOKED).where(REVOKED.c.expires_at <= now)).rowcount)
