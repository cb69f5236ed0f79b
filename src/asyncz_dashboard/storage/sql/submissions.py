"""Submission ids in SQL, so that a form's repeated POST acts once across every web process
(see ``submissions.Submissions``): one row per ``(id, action, target)`` key."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import Connection, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from .engine import Database
from .query import clean_text
from .schema import TABLES

SUBMISSIONS = TABLES["submissions"]


class SqlSubmissionStorage:
    """Claims and outcomes of submissions, shared by the processes over one database.

    Args:
        database: the engine wrapper shared with the other SQL storages.
    """

    def __init__(self, database: Database) -> None:
        self.database = database
        self.readers = database.readers  # where callers run its calls, with their deadline

    def _key(self, key: str) -> str:
        return clean_text(key, self.database.is_postgresql)

    def claim(self, key: str, ttl: float) -> bool:
        """True when this call is the first for ``key`` in ``ttl`` seconds (the row is taken:
        the caller acts, then ``settle``s); False when another claim holds it.

        Raises:
            StorageUnavailable: the database cannot be reached.
        """
        now = datetime.now(timezone.utc)
        key = self._key(key)
        insert = pg_insert if self.database.is_postgresql else sqlite_insert
        stmt = (
            insert(SUBMISSIONS)
            .values(key=key, expires_at=now + timedelta(seconds=ttl), outcome=None)
            .on_conflict_do_nothing(index_elements=[SUBMISSIONS.c.key])
            .returning(SUBMISSIONS.c.key)  # a row back: this call inserted it
        )

        def claim(conn: Connection) -> bool:
            conn.execute(
                delete(SUBMISSIONS).where(SUBMISSIONS.c.key == key, SUBMISSIONS.c.expires_at <= now)
            )
            return conn.execute(stmt).first() is not None

        return self.database.write(claim)

    def outcome(self, key: str) -> tuple[bool, str | None]:
        """``(claimed, outcome)``: whether a live claim of ``key`` exists, and its outcome
        (JSON text; None while the first submission still acts).

        Raises:
            StorageUnavailable: the database cannot be reached.
        """
        stmt = select(SUBMISSIONS.c.outcome).where(
            SUBMISSIONS.c.key == self._key(key),
            SUBMISSIONS.c.expires_at > datetime.now(timezone.utc),
        )
        row = self.database.read(lambda conn: conn.execute(stmt).first())
        return (row is not None, row[0] if row is not None else None)

    def settle(self, key: str, outcome: str | None) -> None:
        """Keep ``outcome`` (JSON text) for the repeats of ``key``; None forgets the claim (the
        first submission failed: a fresh page may try again).

        Raises:
            StorageUnavailable: the database cannot be reached.
        """
        where = SUBMISSIONS.c.key == self._key(key)
        stmt = (
            delete(SUBMISSIONS).where(where)
            if outcome is None
            else update(SUBMISSIONS).where(where).values(outcome=outcome)
        )
        self.database.write(lambda conn: conn.execute(stmt))

    def prune(self) -> int:
        """Delete expired claims."""
        now = datetime.now(timezone.utc)
        stmt = delete(SUBMISSIONS).where(SUBMISSIONS.c.expires_at <= now)
        return int(self.database.write(lambda conn: conn.execute(stmt).rowcount))
