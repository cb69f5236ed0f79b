"""Event and audit storage contracts: the same behaviour from memory, SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from asyncz_dashboard.storage.base import (
    AuditEntry,
    AuditFilter,
    AuditStorage,
    EventEntry,
    EventFilter,
    EventStorage,
    Retention,
)

from .conftest import NOW, Make, at


def event(n: int, **changes: Any) -> EventEntry:
    """Event ``n``, observed ``n`` seconds after the base time."""
    values: dict[str, Any] = {"created": at(n), "code": 2**n, "name": "task_executed"}
    values.update(changes)
    return EventEntry(**{"detail": f"event {n}", **values})


def audit(n: int, **changes: Any) -> AuditEntry:
    """Audit entry ``n``."""
    values: dict[str, Any] = {
        "created": at(n),
        "user": "alice",
        "action": "pause",
        "target": f"task:t{n}",
        "outcome": "ok",
        "message": f"entry {n}",
    }
    values.update(changes)
    return AuditEntry(**values)


def details(entries: list[EventEntry]) -> list[str]:
    """The event details, in order."""
    return [e.detail for e in entries]


def notes(entries: list[AuditEntry]) -> list[str]:
    """The audit messages, in order."""
    return [e.message for e in entries]


def test_implement_the_protocols(storages: Any) -> None:
    assert isinstance(storages.events, EventStorage)
    assert isinstance(storages.audit, AuditStorage)


def test_events_round_trip_newest_first(storages: Any) -> None:
    first = event(1, task_id="a", store="default", detail="<b>ran</b> ✓")
    storages.events.add([first, event(2)])
    storages.events.add([event(3)])
    got = storages.events.query(EventFilter())
    assert details(got) == ["event 3", "event 2", "<b>ran</b> ✓"]
    assert got[2] == EventEntry(
        id=got[2].id,
        created=at(1),
        code=2,
        name="task_executed",
        task_id="a",
        store="default",
        detail="<b>ran</b> ✓",
    )
    assert len({e.id for e in got}) == 3
    assert details(storages.events.query(EventFilter(limit=1))) == ["event 3"]


def test_events_filter_by_name_and_task(storages: Any) -> None:
    storages.events.add(
        [
            event(1, name="task_submitted", task_id="a"),
            event(2, name="task_error", task_id="a"),
            event(3, name="task_error", task_id="b"),
            event(4, name="scheduler_paused"),
        ]
    )
    q = storages.events.query
    assert details(q(EventFilter(name="task_error"))) == ["event 3", "event 2"]
    assert details(q(EventFilter(task_id="a"))) == ["event 2", "event 1"]
    assert details(q(EventFilter(name="task_error", task_id="a"))) == ["event 2"]
    assert q(EventFilter(name="task")) == []  # names match exactly


def test_events_retention_by_age_and_count(make: Make) -> None:
    storages = make(events=Retention(max_age=3600, max_rows=3))
    storages.events.add([event(1, created=NOW - timedelta(days=1))])
    storages.events.add([event(n) for n in range(2, 7)])
    storages.events.prune()
    assert details(storages.events.query(EventFilter())) == ["event 6", "event 5", "event 4"]


def test_audit_round_trip_with_changes(storages: Any) -> None:
    entry = audit(
        1,
        user="bob",
        action="update",
        target="task:nightly <report>",
        outcome="failed",
        message="Invalid cron «*/0»",
        changes={"trigger": ["every 5 minutes", "at 03:00"], "name": ["ä", "b"]},
    )
    storages.audit.add([entry, audit(2)])
    got = storages.audit.query(AuditFilter())
    assert notes(got) == ["entry 2", "Invalid cron «*/0»"]
    assert got[1] == AuditEntry(**{**_fields(entry), "id": got[1].id})
    assert got[0].changes == {}


def _fields(entry: AuditEntry) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in AuditEntry.__dataclass_fields__}


def test_audit_filters(storages: Any) -> None:
    storages.audit.add(
        [
            audit(1, user="alice", action="pause", target="task:billing"),
            audit(2, user="bob", action="resume", target="task:billing"),
            audit(3, user="alice", action="run", target="task:Reports"),
            audit(4, user="bob", action="pause", target="scheduler"),
        ]
    )
    q = storages.audit.query
    assert notes(q(AuditFilter(user="alice"))) == ["entry 3", "entry 1"]
    assert notes(q(AuditFilter(action="pause"))) == ["entry 4", "entry 1"]
    assert notes(q(AuditFilter(target="billing"))) == ["entry 2", "entry 1"]
    assert notes(q(AuditFilter(target="Reports", user="alice"))) == ["entry 3"]
    assert q(AuditFilter(target="reports")) == []  # target: case-sensitive substring
    assert q(AuditFilter(target="%")) == []
    assert q(AuditFilter(user="ALICE")) == []
    assert notes(q(AuditFilter(limit=2))) == ["entry 4", "entry 3"]


def test_audit_retention_by_age_and_count(make: Make) -> None:
    storages = make(audit=Retention(max_age=3600, max_rows=2))
    storages.audit.add([audit(1, created=NOW - timedelta(days=30)), audit(2), audit(3)])
    storages.audit.add([audit(4)])
    storages.audit.prune()
    assert notes(storages.audit.query(AuditFilter())) == ["entry 4", "entry 3"]


def test_an_audit_entry_added_pending_takes_its_outcome_later(storages: Any) -> None:
    storages.audit.add([audit(1)])
    entry_id = storages.audit.add_one(audit(2, outcome="pending", message="sent to w-2"))
    storages.audit.add([audit(3)])
    assert storages.audit.set_outcome(entry_id, "ok", "done: Paused") is True
    got = {e.id: (e.outcome, e.message) for e in storages.audit.query(AuditFilter())}
    assert got[entry_id] == ("ok", "done: Paused")
    assert sorted(v for k, v in got.items() if k != entry_id) == [
        ("ok", "entry 1"),
        ("ok", "entry 3"),
    ]
    assert storages.audit.set_outcome(10**9, "ok", "") is False, "a pruned entry is gone"
    assert storages.audit.token and storages.audit.token == storages.audit.token
