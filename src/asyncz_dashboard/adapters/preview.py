"""Next fire times of triggers, computed without changing them.

A trigger is asked only ``get_next_trigger_time(tz, previous, now)``, exactly as the scheduler
asks it (``previous`` in the scheduler's zone, as its stores hold it), so the times shown are the
times the scheduler will use, across DST changes too: a cron field is matched on the wall clock
of the zone, and an interval trigger adds its interval to that wall clock (Asyncz's behaviour,
which these functions reproduce rather than correct). Nothing here imports a scheduler: any
object with that method works.
"""

from __future__ import annotations

import heapq
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from itertools import islice
from typing import Any, Generic, TypeVar

logger = logging.getLogger("asyncz_dashboard")
T = TypeVar("T")


def following_fire_time(trigger: Any, previous: datetime, tz: tzinfo) -> datetime | None:
    """The fire time after ``previous`` (an aware datetime), as the scheduler computes it; None
    when the trigger has finished, fails, or does not move forward (a broken custom trigger
    must not loop forever)."""
    local = previous.astimezone(tz)
    try:
        following: datetime | None = trigger.get_next_trigger_time(tz, local, local)
    except Exception:
        logger.debug("Trigger %r failed to give its next fire time", trigger, exc_info=True)
        return None
    if following is None or following.tzinfo is None or following <= previous:
        return None
    return following


def fire_times_from(trigger: Any, first: datetime, tz: tzinfo) -> Iterator[datetime]:
    """``first`` (say a task's next run time), then every following fire time, in ``tz``;
    endless for a recurring trigger (take what you need with ``islice``)."""
    current: datetime | None = first.astimezone(tz)
    while current is not None:
        yield current
        current = following_fire_time(trigger, current, tz)
        current = current.astimezone(tz) if current is not None else None


def next_fire_times(trigger: Any, start: datetime, count: int, tz: tzinfo) -> list[datetime]:
    """The first ``count`` fire times of ``trigger`` at or after ``start``, in ``tz``.

    Args:
        trigger: an Asyncz trigger (any object with ``get_next_trigger_time``); never changed.
        start: an aware datetime.
        count: how many times at most (0 or less gives none).
        tz: the scheduler's timezone (a trigger's own timezone takes precedence inside it).

    Returns:
        Aware datetimes in ``tz``, strictly increasing; fewer than ``count`` when the trigger
        finishes (a date trigger gives one, or none when its time is before ``start``).

    Raises:
        ValueError: ``start`` is naive.
    """
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError("start must be an aware datetime")
    if count <= 0:
        return []
    local = start.astimezone(tz)
    try:
        first: datetime | None = trigger.get_next_trigger_time(tz, None, local)
    except Exception:
        logger.debug("Trigger %r failed to give its first fire time", trigger, exc_info=True)
        return []
    if first is None:
        return []
    # Only a first time before ``start`` (a past date trigger) is dropped; the rest follow it.
    times = islice(fire_times_from(trigger, first, tz), count + 1)
    return [moment for moment in times if moment >= start][:count]


@dataclass(frozen=True, slots=True)
class Merged(Generic[T]):
    """A slice of the merged fire times: ``(time in tz, item)`` in order; ``more`` when rows
    follow it within the window; ``cut`` when the time budget ran out before the slice was
    complete."""

    rows: tuple[tuple[datetime, T], ...]
    more: bool
    cut: bool = False


class FollowingCache:
    """Remembers ``following_fire_time`` answers per (task, trigger object, time), so a
    timeline's next page or its refresh asks no trigger twice. Used from the loop thread only;
    bounded: cleared when it holds ``limit`` answers."""

    def __init__(self, limit: int = 50_000):
        self.limit = limit
        self._memo: dict[tuple[str, int, datetime], tuple[Any, datetime | None]] = {}

    def following(self, key: str, trigger: Any, previous: datetime, tz: tzinfo) -> datetime | None:
        """``following_fire_time(trigger, previous, tz)``, remembered under ``key`` (a task id)."""
        slot = (key, id(trigger), previous)
        hit = self._memo.get(slot)
        if hit is not None and hit[0] is trigger:
            return hit[1]
        answer = following_fire_time(trigger, previous, tz)
        if len(self._memo) >= self.limit:
            self._memo.clear()
        self._memo[slot] = (trigger, answer)  # holding the trigger keeps its id unique
        return answer


def merge_fire_times(
    items: Sequence[T],
    first: Callable[[T], datetime | None],
    following: Callable[[T, datetime], datetime | None],
    tz: tzinfo,
    *,
    end: datetime,
    limit: int,
    skip: int = 0,
    budget: float | None = None,
) -> Merged[T]:
    """Rows ``skip`` to ``skip + limit`` of every item's fire times before ``end``, in time order.

    A k-way merge over ``items``, which must be sorted by ``first(item)`` (None last): an item
    enters the heap only when its first time could be next, so the cost is
    O((skip + limit) * log k), whatever the number of items, and no trigger is changed.
    Equal times keep the items' order.

    Args:
        items: sorted by their first fire time (a task's next run time), None last.
        first: an item's first fire time, or None (no run: paused).
        following: an item's fire time after a given one, or None (say
            ``following_fire_time(its trigger, moment, tz)``).
        tz: the scheduler's timezone.
        end: the window's end (exclusive), aware.
        limit: rows to return at most; skip: rows to pass over first (paging).
        budget: seconds of computation at most (checked every 64 rows).
    """
    # Heap keys are POSIX timestamps: comparing aware datetimes of two zones asks the zone for
    # its offset on every comparison, which made the heap the slowest part of the merge.
    heap: list[tuple[float, int, datetime]] = []
    admitted, seen, wanted = 0, 0, skip + max(limit, 0)
    end_stamp = end.timestamp()
    rows: list[tuple[datetime, T]] = []
    deadline = time.monotonic() + budget if budget is not None else None
    while True:
        while admitted < len(items):
            moment = first(items[admitted])
            if moment is None or (stamp := moment.timestamp()) >= end_stamp:
                admitted = len(items)  # sorted: no later item starts inside the window
                break
            if heap and stamp > heap[0][0]:
                break  # it cannot be next yet
            heapq.heappush(heap, (stamp, admitted, moment))
            admitted += 1
        if not heap or seen >= wanted:
            return Merged(tuple(rows), more=bool(heap))
        _, position, moment = heapq.heappop(heap)
        item = items[position]
        if seen >= skip:
            rows.append((moment.astimezone(tz), item))
        seen += 1
        after = following(item, moment)
        if after is not None and (after_stamp := after.timestamp()) < end_stamp:
            heapq.heappush(heap, (after_stamp, position, after))
        if deadline is not None and seen % 64 == 0 and time.monotonic() > deadline:
            return Merged(tuple(rows), more=True, cut=True)
