"""The ended-sessions contract: the same behaviour from memory, SQLite and PostgreSQL."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from typing import Any

from asyncz_dashboard.storage.base import SessionStorage

from .conftest import Make


def _ids(rows: list[Any]) -> list[str]:
    return sorted(r.session_id for r in rows)


def test_every_backend_has_a_session_storage(make: Make) -> None:
    assert isinstance(make().sessions, SessionStorage)


def test_a_revocation_is_read_back_once_whatever_is_recorded_twice(make: Make) -> None:
    sessions = make().sessions
    later = datetime.now(timezone.utc) + timedelta(days=14)
    sessions.revoke("sid-1", later)
    sessions.revoke("sid-1", later + timedelta(days=1))  # a second logout of the same copy
    sessions.revoke("sid-2", later)
    rows = sessions.revoked_since(None)
    assert _ids(rows) == ["sid-1", "sid-2"]
    first = next(r for r in rows if r.session_id == "sid-1")
    assert first.expires_at == later  # the first record stays
    assert first.revoked_at.tzinfo == timezone.utc


def test_revoked_since_reads_only_what_came_after(make: Make) -> None:
    sessions = make().sessions
    later = datetime.now(timezone.utc) + timedelta(days=1)
    sessions.revoke("early", later)
    [early] = sessions.revoked_since(None)
    time.sleep(0.01)  # a later revocation has a later time, whatever the clock's resolution
    sessions.revoke("late", later)
    assert _ids(sessions.revoked_since(early.revoked_at)) == ["early", "late"]  # "at or after"
    newest = max(r.revoked_at for r in sessions.revoked_since(None))
    assert _ids(sessions.revoked_since(newest + timedelta(seconds=1))) == []


def test_expired_revocations_are_not_read_and_are_pruned(make: Make) -> None:
    sessions = make().sessions
    now = datetime.now(timezone.utc)
    sessions.revoke("old", now - timedelta(seconds=1))
    sessions.revoke("live", now + timedelta(hours=1))
    assert _ids(sessions.revoked_since(None)) == ["live"]
    assert sessions.prune() == 1
    assert sessions.prune() == 0
    assert _ids(sessions.revoked_since(None)) == ["live"]
