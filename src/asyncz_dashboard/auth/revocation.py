"""Sessions ended by logout: refused here at once, and by every process sharing the storage
within about a second."""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta, timezone

from ..asgi.sessions import CLOCK_SKEW
from ..storage.base import SessionStorage
from ..storage.memory import MemorySessionStorage
from ..storage.readers import readers_for

REFRESH_SECONDS = 0.5  # a logout in another process is honoured here within about this
PULL_OVERLAP = timedelta(seconds=60)  # re-read: a revocation may commit after a newer one
PRUNE_SECONDS = 600.0

# Our own storage problems are logged here; the log handler never captures this logger.
storage_logger = logging.getLogger("asyncz_dashboard.storage")


class RevokedSessions:
    """Session ids ended by logout, refused until they would have expired anyway (``max_age``
    plus the clock skew sessions accept), so a copied cookie stops working too.

    Checks read an in-memory set and never wait. The storage keeps the record: with a shared
    one (SQL), a background thread (``start``) reads the revocations of every other process
    every ``refresh`` seconds, so a logout anywhere holds everywhere within about a second and
    across restarts; with memory storage a logout holds in this process only.

    Args:
        max_age: the session lifetime in seconds.
        storage: where revocations are kept (default: memory).
        refresh: seconds between two reads of a shared storage.
    """

    def __init__(
        self,
        max_age: float,
        storage: SessionStorage | None = None,
        refresh: float = REFRESH_SECONDS,
    ):
        self.max_age = max_age
        self.storage: SessionStorage = storage or MemorySessionStorage()
        self.refresh = refresh
        self.shared = bool(getattr(self.storage, "shared", True))
        self._revoked: dict[str, float] = {}  # session id -> expiry (Unix time)
        self._lock = threading.Lock()
        self._since: datetime | None = None  # newest ``revoked_at`` read (storage's clock)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    async def revoke(self, session_id: str) -> bool:
        """End ``session_id`` here at once, and in the storage (off the event loop).

        Returns False when the storage could not record it (it is logged): other processes
        may then still accept a copy of the cookie.
        """
        expires = datetime.now(timezone.utc) + timedelta(seconds=self.max_age + CLOCK_SKEW)
        self._remember(session_id, expires.timestamp())
        try:
            if self.shared:
                pool = readers_for(self.storage.revoke)
                await pool.run(self.storage.revoke, session_id, expires)
            else:
                self.storage.revoke(session_id, expires)
        except Exception as exc:
            storage_logger.warning("Could not record a logout in the session storage: %s", exc)
            return False
        return True

    def __contains__(self, session_id: object) -> bool:
        with self._lock:
            expires = self._revoked.get(str(session_id))
        return expires is not None and expires > time.time()

    def _remember(self, session_id: str, expires: float) -> None:
        with self._lock:
            if len(self._revoked) > 100_000:
                now = time.time()
                self._revoked = {k: t for k, t in self._revoked.items() if t > now}
            self._revoked[session_id] = expires

    def pull(self) -> int:
        """Read the revocations recorded since the last pull (with an overlap, for
        transactions that committed late); returns how many were read.

        Raises:
            StorageUnavailable: the storage cannot be read.
        """
        since = self._since - PULL_OVERLAP if self._since is not None else None
        rows = self.storage.revoked_since(since)
        for row in rows:
            self._remember(row.session_id, row.expires_at.timestamp())
            if self._since is None or row.revoked_at > self._since:
                self._since = row.revoked_at
        return len(rows)

    def start(self) -> None:
        """Keep pulling a shared storage in a background thread until ``close`` (idempotent;
        nothing to do for memory storage)."""
        if not self.shared or (self._thread is not None and self._thread.is_alive()):
            return
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._refresh, name="asyncz-dashboard-sessions", daemon=True
        )
        self._thread.start()

    def _refresh(self) -> None:
        last_error = last_prune = 0.0
        while True:
            try:
                self.pull()
                if time.monotonic() - last_prune > PRUNE_SECONDS:
                    last_prune = time.monotonic()
                    self.storage.prune()
            except Exception as exc:
                if time.monotonic() - last_error > 60:
                    last_error = time.monotonic()
                    storage_logger.warning("Could not read ended sessions: %s", exc)
            if self._stop.wait(self.refresh):
                return

    def close(self) -> None:
        """Stop the background thread (without waiting for a pull in progress)."""
        self._stop.set()
