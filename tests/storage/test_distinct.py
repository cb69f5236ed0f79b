"""Distinct values for the filters' drop-downs: the same from memory, SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from .conftest import Make, make_run
from .test_events_audit import audit, event


def test_distinct_values_are_sorted_unique_non_empty_and_bounded(make: Make) -> None:
    storages = make()
    storages.runs.save(make_run(1, task_id="b"))
    storages.runs.save(make_run(2, task_id="a"))
    storages.runs.save(make_run(3, task_id="b"))
    names = ["task_error", "task_executed", "task_error", "task_added"]
    storages.events.add([event(n, name=name) for n, name in enumerate(names)])
    storages.events.add([event(9, name="task_added", task_id="t9")])
    users = [("bob", "pause"), ("alice", "run"), ("bob", "pause_scheduler"), ("", "login")]
    storages.audit.add([audit(n, user=u, action=a) for n, (u, a) in enumerate(users)])

    assert storages.runs.distinct("task_id") == ["a", "b"]
    assert storages.events.distinct("name") == ["task_added", "task_error", "task_executed"]
    assert storages.events.distinct("task_id") == ["t9"]  # empty task ids are left out
    assert storages.audit.distinct("user") == ["alice", "bob"]
    assert storages.audit.distinct("action") == ["login", "pause", "pause_scheduler", "run"]
    assert storages.audit.distinct("action", limit=2) == ["login", "pause"]


def test_distinct_refuses_a_field_it_does_not_offer(make: Make) -> None:
    storages = make()
    for store, field in ((storages.runs, "traceback"), (storages.audit, "message")):
        with pytest.raises(ValueError, match="no distinct values"):
            store.distinct(field)


def test_distinct_is_capped_at_two_hundred_by_default(make: Make) -> None:
    storages = make()
    storages.events.add([event(n % 50, code=1, name=f"kind-{n:03d}") for n in range(250)])

    values = storages.events.distinct("name")

    assert len(values) == 200
    assert values[0] == "kind-000" and values[-1] == "kind-199"
