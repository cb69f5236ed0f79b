"""A thread-safe index of task snapshots with cached sort orders and filtered views.

Per-request cost depends on the page shown: sorted orders are kept per sort key and patched in
place of a re-sort when a few tasks change (a scheduler firing tasks every second changes some
all the time), counts and facets are kept as running totals, filtered results are cached per
query, and a search is one pass over precomputed lower-case keys.
"""

from __future__ import annotations

import threading
from bisect import bisect_left, insort
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

from .snapshots import TaskCounts, TaskPage, TaskQuery, TaskSnapshot

_FAR_FUTURE = datetime.max.replace(tzinfo=timezone.utc)
_STATE_ORDER = {"scheduled": 0, "pending": 1, "paused": 2}
# Above this many changed tasks since the orders were last read, re-sorting beats patching.
_PATCH_LIMIT = 256

# Every key ends with the task id, so keys are unique and a snapshot's position in an order
# can be found again by bisection.
SORTERS: dict[str, Callable[[TaskSnapshot], Any]] = {
    "name": lambda s: (s.name.lower(), s.id),
    "trigger": lambda s: (s.trigger_alias, s.trigger_text.lower(), s.id),
    "state": lambda s: (_STATE_ORDER[s.state], s.next_run_time or _FAR_FUTURE, s.id),
    "next_run_time": lambda s: (s.next_run_time or _FAR_FUTURE, s.name.lower(), s.id),
}


class TaskIndex:
    """Snapshots by task id, safe to update from any thread (scheduler listeners run in
    executor threads) and to read from the event loop.

    Lists handed to readers are never mutated afterwards: a patched order is a new list.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tasks: dict[str, TaskSnapshot] = {}
        self._orders: dict[str, list[TaskSnapshot]] = {}
        # Tasks changed since the orders were last brought up to date: id -> the snapshot the
        # orders still hold (None when they hold none).
        self._stale: dict[str, TaskSnapshot | None] = {}
        self._filtered: OrderedDict[tuple[Any, ...], list[TaskSnapshot]] = OrderedDict()
        self._states: Counter[str] = Counter()
        self._executors: Counter[str] = Counter()
        self._triggers: Counter[str] = Counter()
        self._stores: Counter[str] = Counter()
        self.built_at: datetime | None = None
        # Bumped after every real change (a live page's cheap "has anything changed?").
        self.version = 0

    def __len__(self) -> int:
        return len(self._tasks)

    def _tally(self, snapshot: TaskSnapshot, step: int) -> None:
        self._states[snapshot.state] += step
        self._executors[snapshot.executor] += step
        self._triggers[snapshot.trigger_alias] += step
        self._stores[snapshot.store] += step

    def _changed(self, task_id: str, old: TaskSnapshot | None, new: TaskSnapshot | None) -> None:
        if old is not None:
            self._tally(old, -1)
        if new is not None:
            self._tally(new, 1)
        if self._orders and task_id not in self._stale:
            self._stale[task_id] = old
        self._filtered.clear()
        self.version += 1

    def replace_all(self, snapshots: Iterable[TaskSnapshot]) -> None:
        """Replace the whole index (a rebuild)."""
        tasks = {s.id: s for s in snapshots}
        with self._lock:
            changed = tasks != self._tasks
            self._tasks = tasks
            self.built_at = datetime.now(timezone.utc)
            self._orders.clear()
            self._stale.clear()
            self._filtered.clear()
            self._states.clear()
            self._executors.clear()
            self._triggers.clear()
            self._stores.clear()
            for snapshot in tasks.values():
                self._tally(snapshot, 1)
            if changed:
                self.version += 1

    def upsert(self, snapshot: TaskSnapshot) -> None:
        """Add or replace one task's snapshot."""
        with self._lock:
            old = self._tasks.get(snapshot.id)
            if old != snapshot:
                self._tasks[snapshot.id] = snapshot
                self._changed(snapshot.id, old, snapshot)

    def discard(self, task_id: str) -> None:
        """Forget one task, if present."""
        with self._lock:
            old = self._tasks.pop(task_id, None)
            if old is not None:
                self._changed(task_id, old, None)

    def get(self, task_id: str) -> TaskSnapshot | None:
        """The snapshot of one task, or None."""
        return self._tasks.get(task_id)

    def counts(self) -> TaskCounts:
        """Totals by state (running totals: no pass over the tasks)."""
        with self._lock:
            return TaskCounts(
                total=len(self._tasks),
                scheduled=self._states["scheduled"],
                paused=self._states["paused"],
                pending=self._states["pending"],
            )

    def facets(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Executor and trigger aliases in use, sorted."""
        with self._lock:
            return (
                tuple(sorted(k for k, n in self._executors.items() if n > 0)),
                tuple(sorted(k for k, n in self._triggers.items() if n > 0)),
            )

    def per_store_and_executor(self) -> tuple[dict[str, int], dict[str, int]]:
        """How many tasks each store and each executor holds (running totals)."""
        with self._lock:
            return (
                {k: n for k, n in self._stores.items() if n > 0},
                {k: n for k, n in self._executors.items() if n > 0},
            )

    def by_next_run(self, query: TaskQuery) -> list[TaskSnapshot]:
        """The tasks matching ``query``'s filters, soonest next run time first (None last);
        the cached order, not a copy: do not change it."""
        with self._lock:
            return self._matching(replace(query, sort="next_run_time"))

    def _sync(self) -> None:
        """Bring the cached orders up to date with the tasks changed since (under the lock)."""
        if not self._stale:
            return
        if len(self._stale) > _PATCH_LIMIT:
            self._orders.clear()
        else:
            for sort, order in list(self._orders.items()):
                patched = _patch(order, self._stale, self._tasks, SORTERS[sort])
                if patched is None:
                    del self._orders[sort]
                else:
                    self._orders[sort] = patched
        self._stale.clear()

    def _order(self, sort: str) -> list[TaskSnapshot]:
        self._sync()
        order = self._orders.get(sort)
        if order is None:
            order = sorted(self._tasks.values(), key=SORTERS[sort])
            self._orders[sort] = order
        return order

    def _matching(self, query: TaskQuery) -> list[TaskSnapshot]:
        key = (query.q.lower(), query.state, query.executor, query.trigger, query.sort)
        hit = self._filtered.get(key)
        if hit is not None:
            self._filtered.move_to_end(key)
            return hit
        rows = self._order(query.sort)
        needle = query.q.lower()
        if needle:
            rows = [s for s in rows if needle in s.search_text]
        if query.state:
            rows = [s for s in rows if s.state == query.state]
        if query.executor:
            rows = [s for s in rows if s.executor == query.executor]
        if query.trigger:
            rows = [s for s in rows if s.trigger_alias == query.trigger]
        self._filtered[key] = rows
        if len(self._filtered) > 32:
            self._filtered.popitem(last=False)
        return rows

    def query(self, query: TaskQuery) -> TaskPage:
        """One page of ``query``; a page past the end is clamped to the last page."""
        with self._lock:
            rows = self._matching(query)
            total_unfiltered = len(self._tasks)
        total = len(rows)
        pages = max(1, -(-total // query.per_page))
        page = min(query.page, pages)
        start = (page - 1) * query.per_page
        if query.direction == "desc":
            # Descending keeps tasks without a next run time last, as ascending does.
            dated = total
            if query.sort == "next_run_time":
                dated = total - sum(1 for _ in _trailing_none(rows))
            ordered = rows[:dated][::-1] + rows[dated:]
            items = ordered[start : start + query.per_page]
        else:
            items = rows[start : start + query.per_page]
        return TaskPage(
            items=tuple(items),
            total=total,
            total_unfiltered=total_unfiltered,
            page=page,
            pages=pages,
            per_page=query.per_page,
            query=query,
        )

    def upcoming(self, limit: int) -> tuple[TaskSnapshot, ...]:
        """The first ``limit`` tasks that have a next run time, soonest first."""
        with self._lock:
            order = self._order("next_run_time")
            return tuple(s for s in order[:limit] if s.next_run_time is not None)


def _patch(
    order: list[TaskSnapshot],
    stale: dict[str, TaskSnapshot | None],
    tasks: dict[str, TaskSnapshot],
    key: Callable[[TaskSnapshot], Any],
) -> list[TaskSnapshot] | None:
    """A copy of ``order`` with the changed tasks moved to their new places (None when the
    order does not hold what it should: the caller re-sorts)."""
    rows = order.copy()
    for task_id, old in stale.items():
        if old is not None:
            i = bisect_left(rows, key(old), key=key)
            if i >= len(rows) or rows[i] is not old:
                return None
            del rows[i]
        new = tasks.get(task_id)
        if new is not None:
            insort(rows, new, key=key)
    return rows


def _trailing_none(rows: list[TaskSnapshot]) -> Iterable[TaskSnapshot]:
    for snapshot in reversed(rows):
        if snapshot.next_run_time is not None:
            return
        yield snapshot
