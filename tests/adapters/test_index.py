"""The task index keeps its sorted orders up to date on every change: after any sequence of
upserts, removals and rebuilds, every page must equal a naive ``sorted()`` of the same tasks.
A build in steps lets a change that arrives meanwhile win over the build's older snapshot."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from asyncz_dashboard.adapters.index import SORTERS, TaskIndex
from asyncz_dashboard.adapters.snapshots import SORT_KEYS, TaskQuery, TaskSnapshot, trigger_order

BASE = datetime(2030, 1, 1, tzinfo=timezone.utc)
STATES = ("scheduled", "paused", "pending")
NAMES = ("Sync orders", "Build report", "Send mail", "sync stock", "Äpfel zählen", "build report")
FAR = datetime.max.replace(tzinfo=timezone.utc)
STATE_ORDER = ("scheduled", "pending", "paused")  # the state sort's order


def make(task_id: str, state: str, minute: int | None, name: str, trigger: int) -> TaskSnapshot:
    next_run = None if minute is None or state == "paused" else BASE + timedelta(minutes=minute)
    kind = ("interval", "cron", "date", "calendar")[trigger % 4]
    order = trigger_order(kind, seconds=60.0 * (trigger % 5), fires_at=next_run, text=kind)
    return TaskSnapshot(
        id=task_id,
        name=name,
        callable_name="job",
        callable_reference="jobs:job",
        trigger_alias=kind,
        trigger_text=kind,
        trigger_raw=kind,
        next_run_time=next_run,
        next_run_text="",
        store="default",
        executor=("default", "threads")[trigger % 2],
        state=state,  # type: ignore[arg-type]
        coalesce=True,
        max_instances=1,
        misfire_grace_time=None,
        args_repr="()",
        kwargs_repr="{}",
        search_text=f"{task_id} {name}".lower(),
        trigger_order=order,
    )


snapshots = st.builds(
    make,
    task_id=st.sampled_from([f"t{i}" for i in range(40)]),
    state=st.sampled_from(STATES),
    minute=st.one_of(st.none(), st.integers(0, 30)),  # few distinct times: many ties
    name=st.sampled_from(NAMES),
    trigger=st.integers(0, 9),
)
queries = st.builds(
    TaskQuery,
    q=st.sampled_from(("", "sync", "report", "t1")),
    state=st.sampled_from(("", *STATES)),
    executor=st.sampled_from(("", "threads")),
    sort=st.sampled_from(("name", "trigger", "state", "next_run_time")),
    direction=st.sampled_from(("asc", "desc")),
    page=st.integers(1, 4),
    per_page=st.just(25) | st.just(5),
)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("upsert"), snapshots),
        st.tuples(st.just("discard"), st.sampled_from([f"t{i}" for i in range(40)])),
        st.tuples(st.just("replace_all"), st.lists(snapshots, max_size=30)),
        st.tuples(st.just("query"), queries),
    ),
    max_size=60,
)

# Today's rules, written out once more: ties are broken by name then id (by id for state),
# a missing next run time sorts after every time.
NAIVE_KEYS: dict[str, Any] = {
    "name": lambda s: (s.name.lower(), s.id),
    "trigger": lambda s: (s.trigger_order, s.name.lower(), s.id),
    "state": lambda s: (STATE_ORDER.index(s.state), s.next_run_time or FAR, s.id),
    "next_run_time": lambda s: (s.next_run_time or FAR, s.name.lower(), s.id),
}


def naive(tasks: dict[str, TaskSnapshot], query: TaskQuery) -> tuple[list[str], int, int]:
    """The page's task ids, the total and the page number, by filtering and sorting afresh."""
    needle = query.q.lower()
    rows = sorted(
        (
            s
            for s in tasks.values()
            if needle in s.search_text
            and (not query.state or s.state == query.state)
            and (not query.executor or s.executor == query.executor)
        ),
        key=NAIVE_KEYS[query.sort],
    )
    if query.direction == "desc":
        # Descending keeps tasks without a next run time last when sorting by it.
        if query.sort == "next_run_time":
            dated = [s for s in rows if s.next_run_time is not None]
            rows = dated[::-1] + [s for s in rows if s.next_run_time is None]
        else:
            rows.reverse()
    pages = max(1, -(-len(rows) // query.per_page))
    page = min(query.page, pages)
    start = (page - 1) * query.per_page
    return [s.id for s in rows[start : start + query.per_page]], len(rows), page


def assert_matches(index: TaskIndex, tasks: dict[str, TaskSnapshot], query: TaskQuery) -> None:
    got = index.query(query)
    ids, total, page = naive(tasks, query)
    assert ([s.id for s in got.items], got.total, got.page) == (ids, total, page), query
    assert got.total_unfiltered == len(tasks)


@settings(max_examples=150, deadline=None)
@given(operations)
def test_orders_after_any_changes_equal_a_naive_sort(ops: list[tuple[str, Any]]) -> None:
    index = TaskIndex()
    tasks: dict[str, TaskSnapshot] = {}
    for op, arg in ops:
        if op == "upsert":
            index.upsert(arg)
            tasks[arg.id] = arg
        elif op == "discard":
            index.discard(arg)
            tasks.pop(arg, None)
        elif op == "replace_all":
            index.replace_all(arg)
            tasks = {s.id: s for s in arg}
        else:
            assert_matches(index, tasks, arg)
    for sort in NAIVE_KEYS:
        for direction in ("asc", "desc"):
            assert_matches(index, tasks, TaskQuery(sort=sort, direction=direction, per_page=200))
    counts = index.counts()
    assert counts.total == len(tasks)
    assert counts.paused == sum(s.state == "paused" for s in tasks.values())
    soonest = sorted(
        (s for s in tasks.values() if s.next_run_time), key=NAIVE_KEYS["next_run_time"]
    )
    assert list(index.upcoming(10)) == soonest[:10]


def test_the_version_grows_on_real_changes_only() -> None:
    index = TaskIndex()
    first = make("a", "scheduled", 5, "Sync orders", 1)
    seen = [index.version]
    index.upsert(first)
    seen.append(index.version)
    index.upsert(make("a", "scheduled", 5, "Sync orders", 1))  # equal: no change
    seen.append(index.version)
    index.upsert(make("a", "paused", 5, "Sync orders", 1))
    seen.append(index.version)
    index.discard("missing")
    seen.append(index.version)
    index.discard("a")
    seen.append(index.version)
    index.replace_all([])  # already empty: nothing new
    seen.append(index.version)
    assert seen == [0, 1, 1, 2, 2, 3, 3]


def test_a_change_during_a_build_wins_over_the_builds_older_snapshot() -> None:
    index = TaskIndex()
    old = {i: make(i, "scheduled", 5, f"Task {i}", 1) for i in ("a", "b", "c", "d")}
    index.replace_all([old["c"], old["d"]])
    index.begin_build(expected=3)
    paused = make("a", "paused", None, "Task a", 1)
    index.upsert(paused)  # an event: newer than what the build read before it
    index.discard("b")  # removed by an event before the build loads it
    index.upsert(make("c", "pending", 7, "Task c", 1))  # changed: the build must not prune it
    index.load([old["a"], old["b"]])
    index.prune(["c", "d"])
    index.end_build()
    assert index.get("a") == paused
    assert index.get("b") is None
    assert index.get("c") is not None and index.get("c").state == "pending"  # type: ignore[union-attr]
    assert index.get("d") is None
    assert [s.id for s in index.query(TaskQuery(sort="name")).items] == ["a", "c"]
    index.begin_build(expected=0)
    index.upsert(make("e", "scheduled", 9, "Task e", 1))
    index.clear()  # every task was removed, but "e" arrived by event meanwhile
    index.end_build()
    assert [s.id for s in index.query(TaskQuery()).items] == ["e"]


def test_pages_say_loading_until_the_first_build_ends() -> None:
    index = TaskIndex()
    index.begin_build(expected=2)
    index.load([make("a", "scheduled", 5, "Task a", 1)])
    assert index.counts().loading == 2
    assert index.query(TaskQuery()).loading == 2
    version = index.version
    index.end_build()
    assert index.version > version  # what the pages show changed
    assert index.counts().loading is None
    assert index.query(TaskQuery()).loading is None
    index.begin_build(expected=5)  # a later rebuild serves the tasks it has meanwhile
    assert index.counts().loading is None


def test_every_canonical_sort_key_has_an_order() -> None:
    assert tuple(SORTERS) == SORT_KEYS
