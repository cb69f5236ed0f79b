"""A thread-safe index of task snapshots with sorted orders and filtered views.

Per-request cost depends on the page shown, not on the number of tasks: one sorted order per
sort key is kept up to date on every change (a ``SortedKeyList``: insert and remove in
O(log n), a page is a slice), counts and facets are running totals, filtered results are
cached per query, and a search is one pass over precomputed lower-case keys.

The index can be (re)built in steps while it serves (``begin_build`` / ``load`` / ``prune`` /
``end_build``), so no step of a rebuild holds the event loop for long: a change that arrives
by event during a build wins over the build's older snapshot of the same task.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections import Counter, OrderedDict
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

from sortedcontainers import SortedKeyList

from .snapshots import TaskCounts, TaskPage, TaskQuery, TaskSnapshot

_FAR_FUTURE = datetime.max.replace(tzinfo=timezone.utc)
_STATE_ORDER = {"scheduled": 0, "pending": 1, "paused": 2}
_BATCH = 1000  # changes applied per lock hold by replace_all (readers wait at most that long)

# Every key ends with the task id, so keys are unique: a snapshot is found again by its key.
SORTERS: dict[str, Callable[[TaskSnapshot], Any]] = {
    "name": lambda s: (s.name.lower(), s.id),
    "trigger": lambda s: (s.trigger_order, s.name.lower(), s.id),
    "state": lambda s: (_STATE_ORDER[s.state], s.next_run_time or _FAR_FUTURE, s.id),
    "next_run_time": lambda s: (s.next_run_time or _FAR_FUTURE, s.name.lower(), s.id),
}


class TaskIndex:
    """Snapshots by task id, safe to update from any thread (scheduler listeners run in
    executor threads) and to read from the event loop.

    ``version`` grows by one on every real change (a changed snapshot, a removal, the end of
    a first build; a ``replace_all`` that finds nothing new leaves it), so a reader can tell
    cheaply whether what it showed is still current. ``loading`` is None once the index holds
    every task; during the first build it is the number of tasks being read (0 when that is
    not known yet).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.version = 0
        self.built_at: datetime | None = None
        self.loading: int | None = None
        self._touched: set[str] | None = None  # ids changed by events during a build
        self._reset()

    def _reset(self) -> None:
        self._tasks: dict[str, TaskSnapshot] = {}
        self._orders = {sort: SortedKeyList(key=key) for sort, key in SORTERS.items()}
        self._undated = 0  # tasks without a next run time
        self._filtered: OrderedDict[tuple[Any, ...], list[TaskSnapshot]] = OrderedDict()
        self._states: Counter[str] = Counter()
        self._executors: Counter[str] = Counter()
        self._triggers: Counter[str] = Counter()
        self._stores: Counter[str] = Counter()

    def __len__(self) -> int:
        return len(self._tasks)

    @property
    def building(self) -> bool:
        """True between ``begin_build`` and ``end_build`` (a build is under way)."""
        return self._touched is not None

    # -- changes (under the lock) -------------------------------------------------------------
    def _tally(self, snapshot: TaskSnapshot, step: int) -> None:
        self._states[snapshot.state] += step
        self._executors[snapshot.executor] += step
        self._triggers[snapshot.trigger_alias] += step
        self._stores[snapshot.store] += step
        if snapshot.next_run_time is None:
            self._undated += step
        for order in self._orders.values():
            if step > 0:
                order.add(snapshot)
            else:
                order.remove(snapshot)

    def _put(self, snapshot: TaskSnapshot) -> None:
        old = self._tasks.get(snapshot.id)
        if old == snapshot:
            return
        if old is not None:
            self._tally(old, -1)
        self._tasks[snapshot.id] = snapshot
        self._tally(snapshot, 1)
        self._filtered.clear()
        self.version += 1

    def _remove(self, task_id: str) -> None:
        old = self._tasks.pop(task_id, None)
        if old is not None:
            self._tally(old, -1)
            self._filtered.clear()
            self.version += 1

    def upsert(self, snapshot: TaskSnapshot) -> None:
        """Add or replace one task's snapshot (O(log n))."""
        with self._lock:
            if self._touched is not None:
                self._touched.add(snapshot.id)
            self._put(snapshot)

    def discard(self, task_id: str) -> None:
        """Forget one task, if present (O(log n))."""
        with self._lock:
            if self._touched is not None:
                self._touched.add(task_id)
            self._remove(task_id)

    def snapshots(self) -> dict[str, TaskSnapshot]:
        """A copy of every snapshot by task id (the fleet worker's resync compares them)."""
        with self._lock:
            return dict(self._tasks)

    def replace_all(self, snapshots: Iterable[TaskSnapshot]) -> None:
        """Make the index hold exactly ``snapshots`` (a rebuild, from any thread).

        Only differences are applied, ``_BATCH`` at a time, so readers never wait long for the
        lock; a read between two batches sees a mix of the old and the new tasks.
        """
        tasks = {s.id: s for s in snapshots}
        gone = self.stale_ids(tasks)
        if gone and len(gone) == len(self):
            self.clear()  # nothing is kept: start empty rather than remove one by one
            gone = []
        for start in range(0, len(gone), _BATCH):
            with self._lock:
                for task_id in gone[start : start + _BATCH]:
                    self._remove(task_id)
        values = list(tasks.values())
        for start in range(0, len(values), _BATCH):
            with self._lock:
                for snapshot in values[start : start + _BATCH]:
                    self._put(snapshot)
        with self._lock:
            self._finish()

    def clear(self) -> None:
        """Forget every task at once, but those changed by events during a build."""
        with self._lock:
            kept = [self._tasks[i] for i in self._touched or () if i in self._tasks]
            if self._tasks:
                self._reset()
                self.version += 1
            for snapshot in kept:
                self._put(snapshot)

    # -- a build in steps ---------------------------------------------------------------------
    def begin_build(self, expected: int) -> None:
        """Start a build that will ``load`` about ``expected`` tasks (0: not known).

        From now until ``end_build``, a task changed by ``upsert``/``discard`` is left alone by
        ``load`` and ``prune``: the event's snapshot is newer than the build's.
        """
        with self._lock:
            self._touched = set()
            if self.built_at is None:
                self.loading = expected

    def ids(self) -> list[str]:
        """The ids of every task in the index (a copy)."""
        with self._lock:
            return list(self._tasks)

    def stale_ids(self, live: Collection[str]) -> list[str]:
        """The ids in the index that are not in ``live`` (O(n), one pass over ids)."""
        with self._lock:
            return [task_id for task_id in self._tasks if task_id not in live]

    def load(self, snapshots: Iterable[TaskSnapshot]) -> None:
        """Add or replace snapshots read by the build, except tasks changed since it began."""
        with self._lock:
            touched = self._touched or ()
            for snapshot in snapshots:
                if snapshot.id not in touched:
                    self._put(snapshot)

    def prune(self, task_ids: Iterable[str]) -> None:
        """Remove tasks the build found gone, except tasks changed since it began."""
        with self._lock:
            touched = self._touched or ()
            for task_id in task_ids:
                if task_id not in touched:
                    self._remove(task_id)

    def end_build(self) -> None:
        """The build has read every task: the index is ready."""
        with self._lock:
            self._finish()

    def _finish(self) -> None:
        self._touched = None
        self.built_at = datetime.now(timezone.utc)
        if self.loading is not None:  # the pages stop saying "Loading"
            self.loading = None
            self.version += 1

    # -- reads ----------------------------------------------------------------------------------
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
                loading=self.loading,
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

    def by_next_run(self, query: TaskQuery) -> Sequence[TaskSnapshot]:
        """The tasks matching ``query``'s filters, soonest next run time first (None last);
        a list no later change touches (a pointer copy of the kept order when unfiltered)."""
        with self._lock:
            rows = self._matching(replace(query, sort="next_run_time"))
            return rows if isinstance(rows, list) else list(rows)

    def _matching(self, query: TaskQuery) -> Sequence[TaskSnapshot]:
        order: Sequence[TaskSnapshot] = self._orders[query.sort]
        needle = query.q.lower()
        if not (needle or query.state or query.executor or query.trigger or query.worker):
            return order
        key = (needle, query.state, query.executor, query.trigger, query.worker, query.sort)
        hit = self._filtered.get(key)
        if hit is not None:
            self._filtered.move_to_end(key)
            return hit
        rows = [
            s
            for s in order
            if (not needle or needle in s.search_text)
            and (not query.state or s.state == query.state)
            and (not query.executor or s.executor == query.executor)
            and (not query.trigger or s.trigger_alias == query.trigger)
            and (not query.worker or query.worker in s.worker.split(", "))
        ]
        self._filtered[key] = rows
        if len(self._filtered) > 32:
            self._filtered.popitem(last=False)
        return rows

    def query(self, query: TaskQuery) -> TaskPage:
        """One page of ``query``; a page past the end is clamped to the last page.

        Descending keeps tasks without a next run time last when sorting by next run time,
        as ascending does; every other order is simply reversed.
        """
        with self._lock:
            rows = self._matching(query)
            total = len(rows)
            pages = max(1, -(-total // query.per_page))
            page = min(query.page, pages)
            start = (page - 1) * query.per_page
            stop = start + query.per_page
            if query.direction != "desc":
                items = list(rows[start:stop])
            else:
                dated = total
                if query.sort == "next_run_time":
                    dated = self._first_undated(rows)
                items = _descending(rows, start, stop, dated)
            return TaskPage(
                items=tuple(items),
                total=total,
                total_unfiltered=len(self._tasks),
                page=page,
                pages=pages,
                per_page=query.per_page,
                query=query,
                loading=self.loading,
            )

    def _first_undated(self, rows: Sequence[TaskSnapshot]) -> int:
        if rows is self._orders["next_run_time"]:
            return len(rows) - self._undated
        return bisect_left(rows, (_FAR_FUTURE,), key=SORTERS["next_run_time"])

    def upcoming(self, limit: int) -> tuple[TaskSnapshot, ...]:
        """The first ``limit`` tasks that have a next run time, soonest first."""
        with self._lock:
            first = self._orders["next_run_time"][:limit]
            return tuple(s for s in first if s.next_run_time is not None)


def _descending(
    rows: Sequence[TaskSnapshot], start: int, stop: int, dated: int
) -> list[TaskSnapshot]:
    """Positions ``start:stop`` of ``rows`` read with its first ``dated`` rows reversed and the
    rest (tasks without a next run time) kept in place after them."""
    items: list[TaskSnapshot] = []
    end = min(stop, dated)
    if start < end:
        items.extend(reversed(rows[dated - end : dated - start]))
    rest = max(start, dated)
    if rest < stop:
        items.extend(rows[rest:stop])
    return items
