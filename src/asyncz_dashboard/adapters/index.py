"""A thread-safe index of task snapshots with cached sort orders and filtered views.

Per-request cost depends on the page shown: sorted orders are kept per sort key until a task
changes, filtered results are cached per query, and a search is one pass over precomputed
lower-case keys.
"""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from typing import Any

from .snapshots import TaskCounts, TaskPage, TaskQuery, TaskSnapshot

_FAR_FUTURE = datetime.max.replace(tzinfo=timezone.utc)
_STATE_ORDER = {"scheduled": 0, "pending": 1, "paused": 2}

SORTERS: dict[str, Callable[[TaskSnapshot], Any]] = {
    "name": lambda s: (s.name.lower(), s.id),
    "trigger": lambda s: (s.trigger_alias, s.trigger_text.lower(), s.id),
    "state": lambda s: (_STATE_ORDER[s.state], s.next_run_time or _FAR_FUTURE, s.id),
    "next_run_time": lambda s: (s.next_run_time or _FAR_FUTURE, s.name.lower(), s.id),
}


class TaskIndex:
    """Snapshots by task id, safe to update from any thread (scheduler listeners run in
    executor threads) and to read from the event loop."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tasks: dict[str, TaskSnapshot] = {}
        self._version = 0
        self._orders: dict[str, list[TaskSnapshot]] = {}
        self._filtered: OrderedDict[tuple[Any, ...], list[TaskSnapshot]] = OrderedDict()
        self._counts: TaskCounts | None = None
        self.built_at: datetime | None = None

    def __len__(self) -> int:
        return len(self._tasks)

    def _changed(self) -> None:
        self._version += 1
        self._orders.clear()
        self._filtered.clear()
        self._counts = None

    def replace_all(self, snapshots: Iterable[TaskSnapshot]) -> None:
        """Replace the whole index (a rebuild)."""
        tasks = {s.id: s for s in snapshots}
        with self._lock:
            self._tasks = tasks
            self.built_at = datetime.now(timezone.utc)
            self._changed()

    def upsert(self, snapshot: TaskSnapshot) -> None:
        """Add or replace one task's snapshot."""
        with self._lock:
            if self._tasks.get(snapshot.id) != snapshot:
                self._tasks[snapshot.id] = snapshot
                self._changed()

    def discard(self, task_id: str) -> None:
        """Forget one task, if present."""
        with self._lock:
            if self._tasks.pop(task_id, None) is not None:
                self._changed()

    def get(self, task_id: str) -> TaskSnapshot | None:
        """The snapshot of one task, or None."""
        return self._tasks.get(task_id)

    def counts(self) -> TaskCounts:
        """Totals by state, cached until the next change."""
        with self._lock:
            if self._counts is None:
                by_state = Counter(s.state for s in self._tasks.values())
                self._counts = TaskCounts(
                    total=len(self._tasks),
                    scheduled=by_state["scheduled"],
                    paused=by_state["paused"],
                    pending=by_state["pending"],
                )
            return self._counts

    def facets(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Executor and trigger aliases in use, sorted."""
        with self._lock:
            snaps = list(self._tasks.values())
        return (
            tuple(sorted({s.executor for s in snaps})),
            tuple(sorted({s.trigger_alias for s in snaps})),
        )

    def _order(self, sort: str) -> list[TaskSnapshot]:
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


def _trailing_none(rows: list[TaskSnapshot]) -> Iterable[TaskSnapshot]:
    for snapshot in reversed(rows):
        if snapshot.next_run_time is not None:
            return
        yield snapshot
