"""The task index patches its cached sort orders instead of re-sorting: after any sequence of
changes, every query must equal a fresh index built from the same snapshots."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest

from asyncz_dashboard.adapters.index import TaskIndex
from asyncz_dashboard.adapters.snapshots import TaskQuery, TaskSnapshot

BASE = datetime(2030, 1, 1, tzinfo=timezone.utc)
STATES = ("scheduled", "paused", "pending")


def snapshot(rng: random.Random, task_id: str) -> TaskSnapshot:
    state = rng.choice(STATES)
    next_run = None if state == "paused" else BASE + timedelta(minutes=rng.randrange(0, 500))
    name = rng.choice(("Sync orders", "Build report", "Send mail", "sync stock", "Äpfel zählen"))
    trigger = rng.choice(("cron", "interval", "date"))
    return TaskSnapshot(
        id=task_id,
        name=f"{name} {rng.randrange(0, 20)}",
        callable_name="job",
        callable_reference="jobs:job",
        trigger_alias=trigger,
        trigger_text=f"every {rng.randrange(1, 9)} minutes",
        trigger_raw=trigger,
        next_run_time=next_run,
        next_run_text="",
        store=rng.choice(("default", "other")),
        executor=rng.choice(("default", "threads")),
        state=state,  # type: ignore[arg-type]
        coalesce=True,
        max_instances=1,
        misfire_grace_time=None,
        args_repr="()",
        kwargs_repr="{}",
        search_text=f"{task_id} {name}".lower(),
    )


QUERIES = [
    TaskQuery(sort=sort, direction=direction, q=q, state=state, per_page=25, page=page)
    for sort in ("name", "trigger", "state", "next_run_time")
    for direction in ("asc", "desc")
    for q, state in (("", ""), ("sync", ""), ("", "paused"), ("report", "scheduled"))
    for page in (1, 3)
]


@pytest.mark.parametrize("seed", range(8))
def test_patched_orders_equal_a_fresh_sort(seed: int) -> None:
    rng = random.Random(seed)
    index = TaskIndex()
    tasks = {f"t{i:03}": snapshot(rng, f"t{i:03}") for i in range(300)}
    index.replace_all(tasks.values())
    for round_ in range(12):
        index.query(QUERIES[round_ % len(QUERIES)])  # orders are cached between changes
        for _ in range(rng.choice((1, 5, 40, 300))):
            task_id = f"t{rng.randrange(0, 330):03}"
            if rng.random() < 0.15:
                index.discard(task_id)
                tasks.pop(task_id, None)
            else:
                tasks[task_id] = snapshot(rng, task_id)
                index.upsert(tasks[task_id])
        fresh = TaskIndex()
        fresh.replace_all(tasks.values())
        for query in QUERIES:
            got, want = index.query(query), fresh.query(query)
            assert [s.id for s in got.items] == [s.id for s in want.items], query
            assert (got.total, got.pages) == (want.total, want.pages)
        assert index.counts() == fresh.counts()
        assert index.facets() == fresh.facets()
        assert index.upcoming(10) == fresh.upcoming(10)
