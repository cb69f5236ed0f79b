"""Next fire times without changing triggers, across DST changes, and the timeline's merge."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from itertools import islice, pairwise
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from asyncz.schedulers.asyncio import AsyncIOScheduler
from asyncz.triggers import CronTrigger, DateTrigger, IntervalTrigger

from asyncz_dashboard.adapters.describe import format_elapsed
from asyncz_dashboard.adapters.preview import (
    FollowingCache,
    fire_times_from,
    following_fire_time,
    merge_fire_times,
    next_fire_times,
)

from ..conftest import noop

PARIS = ZoneInfo("Europe/Paris")
UTC = timezone.utc


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)  # type: ignore[misc]


@pytest.fixture
async def paused_paris() -> AsyncIterator[AsyncIOScheduler]:
    """A started scheduler in Europe/Paris whose processing is paused (nothing runs)."""
    scheduler = AsyncIOScheduler(timezone="Europe/Paris")
    scheduler.start(paused=True)
    yield scheduler
    scheduler.shutdown(wait=False)
    await asyncio.sleep(0)


def scheduler_times(scheduler: AsyncIOScheduler, trigger: Any, first: datetime, end: datetime):
    """What Asyncz itself computes: its Task.get_run_times, the loop the scheduler uses to
    find the runs due up to a moment, from the task's next run time."""
    task = scheduler.add_task(noop, trigger)
    task.update_task(next_run_time=first)
    try:
        return task.get_run_times(PARIS, end)
    finally:
        scheduler.delete_task(task.id)


def utc_texts(times: list[datetime]) -> list[str]:
    return [t.astimezone(UTC).strftime("%H:%M") for t in times]


def test_cron_across_the_october_change_follows_the_wall_clock() -> None:
    # 25 Oct 2026: 03:00 CEST becomes 02:00 CET. "At minute 30" fires at 02:30 once (CEST):
    # Asyncz matches cron fields on the wall clock, and so does the preview.
    trigger = CronTrigger(minute="30")
    times = next_fire_times(trigger, paris(2026, 10, 25, 0, 50), 5, PARIS)
    assert [t.strftime("%H:%M %Z") for t in times] == [
        "01:30 CEST",
        "02:30 CEST",
        "03:30 CET",
        "04:30 CET",
        "05:30 CET",
    ]
    assert utc_texts(times) == ["23:30", "00:30", "02:30", "03:30", "04:30"]


def test_cron_across_the_march_change_skips_the_missing_hour() -> None:
    # 29 Mar 2026: 02:00 CET becomes 03:00 CEST; 02:30 does not exist that day.
    trigger = CronTrigger(minute="30")
    times = next_fire_times(trigger, paris(2026, 3, 29, 0, 50), 4, PARIS)
    assert [t.strftime("%H:%M %Z") for t in times] == [
        "01:30 CET",
        "03:30 CEST",
        "04:30 CEST",
        "05:30 CEST",
    ]
    assert all(b > a for a, b in pairwise(times))


def test_daily_cron_keeps_its_local_hour_across_both_changes() -> None:
    trigger = CronTrigger(hour="9", minute="0")
    march = next_fire_times(trigger, paris(2026, 3, 27, 12, 0), 3, PARIS)
    october = next_fire_times(trigger, paris(2026, 10, 23, 12, 0), 3, PARIS)
    assert [t.strftime("%d %H:%M %Z") for t in march] == [
        "28 09:00 CET",
        "29 09:00 CEST",
        "30 09:00 CEST",
    ]
    assert [t.strftime("%d %H:%M %Z") for t in october] == [
        "24 09:00 CEST",
        "25 09:00 CET",
        "26 09:00 CET",
    ]


@pytest.mark.parametrize(
    ("first", "end"),
    [
        (paris(2026, 10, 25, 1, 0), paris(2026, 10, 25, 5, 0)),  # the October change
        (paris(2026, 3, 29, 1, 0), paris(2026, 3, 29, 5, 0)),  # the March change
    ],
)
async def test_interval_across_a_change_matches_what_asyncz_will_run(
    paused_paris: AsyncIOScheduler, first: datetime, end: datetime
) -> None:
    trigger = IntervalTrigger(minutes=30, start_at=first)
    ours = [t for t in islice(fire_times_from(trigger, first, PARIS), 40) if t <= end]
    theirs = scheduler_times(paused_paris, trigger, first, end)
    # In UTC: within one zone, datetimes compare on the wall clock and ignore the fold.
    assert [t.astimezone(UTC) for t in ours] == [t.astimezone(UTC) for t in theirs]
    assert all(b.timestamp() > a.timestamp() for a, b in pairwise(ours))
    assert next_fire_times(trigger, first, len(ours), PARIS) == ours


async def test_cron_matches_what_asyncz_will_run(paused_paris: AsyncIOScheduler) -> None:
    trigger = CronTrigger(minute="*/20")
    first = paris(2026, 10, 25, 1, 0)
    end = paris(2026, 10, 25, 5, 0)
    ours = [t for t in islice(fire_times_from(trigger, first, PARIS), 40) if t <= end]
    theirs = scheduler_times(paused_paris, trigger, first, end)
    assert [t.astimezone(UTC) for t in ours] == [t.astimezone(UTC) for t in theirs]


async def test_asyncz_preview_across_dst_does_not_change_the_task(
    paused_paris: AsyncIOScheduler,
) -> None:
    trigger = CronTrigger(minute="30", start_at=paris(2027, 3, 28, 0, 0))
    task = paused_paris.add_task(noop, trigger, id="cron")
    before = (task.next_run_time, trigger.__getstate__())
    preview = paused_paris.preview_task_runs("cron", count=4)
    assert preview is not None
    assert [t.strftime("%H:%M %Z") for t in preview.run_times] == [
        "00:30 CET",
        "01:30 CET",
        "03:30 CEST",
        "04:30 CEST",
    ]
    assert (paused_paris.get_task("cron").next_run_time, trigger.__getstate__()) == before


def test_a_past_date_trigger_has_no_next_fire_time_and_a_future_one_has_one() -> None:
    past = DateTrigger(run_at=datetime(2020, 1, 1, tzinfo=UTC))
    future = DateTrigger(run_at=datetime(2099, 1, 1, tzinfo=UTC))
    assert next_fire_times(past, datetime(2026, 1, 1, tzinfo=UTC), 3, UTC) == []
    assert next_fire_times(future, datetime(2026, 1, 1, tzinfo=UTC), 3, UTC) == [
        datetime(2099, 1, 1, tzinfo=UTC)
    ]


def test_next_fire_times_refuses_a_naive_start_and_bounds_the_count() -> None:
    trigger = IntervalTrigger(seconds=1)
    with pytest.raises(ValueError, match="aware"):
        next_fire_times(trigger, datetime(2026, 1, 1), 3, UTC)
    assert next_fire_times(trigger, datetime(2026, 1, 1, tzinfo=UTC), 0, UTC) == []


class Stuck:
    """A broken custom trigger that never moves forward."""

    def get_next_trigger_time(self, tz: Any, previous: Any, now: Any = None) -> datetime:
        return previous or now


def test_a_trigger_that_does_not_move_forward_gives_one_time_not_a_hang() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert next_fire_times(Stuck(), start, 5, UTC) == [start]


# -- the timeline's merge ------------------------------------------------------------------
def mixed_tasks(n: int, start: datetime, seed: int = 7) -> list[tuple[datetime, Any]]:
    """``n`` (first fire time, trigger) pairs, sorted by first time, with ties."""
    rng = random.Random(seed)
    tasks = []
    for _ in range(n):
        kind = rng.random()
        if kind < 0.4:
            trigger: Any = IntervalTrigger(minutes=rng.choice([1, 5, 7, 30, 60]), start_at=start)
        elif kind < 0.8:
            trigger = CronTrigger(minute=f"*/{rng.choice([2, 10, 15, 30])}")
        elif kind < 0.9:
            # UTC-based: its times also fall in the hour Paris repeats in October.
            trigger = CronTrigger(minute=f"*/{rng.choice([5, 20])}", timezone=UTC)
        else:
            trigger = DateTrigger(run_at=start + timedelta(minutes=rng.randrange(600)))
        first = trigger.get_next_trigger_time(PARIS, None, start)
        tasks.append((first, trigger))
    return sorted(tasks, key=lambda pair: pair[0])


def naive(tasks: list[tuple[datetime, Any]], end: datetime) -> list[tuple[float, int]]:
    """Every fire time of every task before ``end``, sorted by (POSIX time, position): an
    aware comparison within one zone ignores the fold, so sorting datetimes would misplace
    the hour Paris repeats in October."""
    rows = []
    for position, (first, trigger) in enumerate(tasks):
        for moment in fire_times_from(trigger, first, PARIS):
            if moment >= end:
                break
            rows.append((moment.timestamp(), position))
    return sorted(rows)


def stamped(rows: Any) -> list[tuple[float, int]]:
    return [(moment.timestamp(), position) for moment, position in rows]


def merged(tasks: list[tuple[datetime, Any]], end: datetime, limit: int, skip: int = 0) -> Any:
    positions = list(range(len(tasks)))
    return merge_fire_times(
        positions,
        lambda i: tasks[i][0],
        lambda i, moment: following_fire_time(tasks[i][1], moment, PARIS),
        PARIS,
        end=end,
        limit=limit,
        skip=skip,
    )


def test_the_merge_gives_the_naive_order_including_ties_and_a_dst_change() -> None:
    start = paris(2026, 10, 24, 23, 0)
    end = start + timedelta(hours=6)
    tasks = mixed_tasks(60, start)
    expected = naive(tasks, end)
    result = merged(tasks, end, limit=len(expected) + 10)
    assert stamped(result.rows) == expected
    assert not result.more
    repeated = [t for t, _ in result.rows if t.fold == 1]  # 02:00-03:00 CET, the second time
    assert repeated


def test_the_merge_is_bounded_and_pages_continue_each_other() -> None:
    start = paris(2026, 10, 24, 23, 0)
    end = start + timedelta(hours=6)
    tasks = mixed_tasks(60, start)
    expected = naive(tasks, end)
    first, second = merged(tasks, end, limit=100), merged(tasks, end, limit=100, skip=100)
    assert len(first.rows) == 100 and first.more
    assert stamped(first.rows) + stamped(second.rows) == expected[:200]


def test_tasks_without_a_next_run_time_have_no_rows() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    trigger = IntervalTrigger(minutes=1, start_at=start)
    firsts = [start, None]  # the second is paused
    result = merge_fire_times(
        [0, 1],
        lambda i: firsts[i],
        lambda i, moment: following_fire_time(trigger, moment, UTC),
        UTC,
        end=start + timedelta(minutes=3),
        limit=50,
    )
    assert [i for _, i in result.rows] == [0, 0, 0]


def test_merge_at_10000_tasks_reads_only_the_triggers_it_needs() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    asked: set[int] = set()
    trigger = IntervalTrigger(minutes=10, start_at=start)
    firsts = [start + timedelta(seconds=i) for i in range(10_000)]

    def following(i: int, moment: datetime) -> datetime | None:
        asked.add(i)
        return following_fire_time(trigger, moment, UTC)

    result = merge_fire_times(
        range(10_000), firsts.__getitem__, following, UTC, end=start + timedelta(days=1), limit=500
    )
    assert len(result.rows) == 500 and result.more
    assert [t for t, _ in result.rows] == sorted(t for t, _ in result.rows)
    assert len(asked) == 500  # the first 500 tasks, each once: never all 10,000


def test_the_cache_answers_like_the_trigger_and_asks_it_once() -> None:
    calls = []

    class Counting(IntervalTrigger):  # type: ignore[misc]
        def get_next_trigger_time(self, *args: Any, **kwargs: Any) -> Any:
            calls.append(args)
            return super().get_next_trigger_time(*args, **kwargs)

    trigger = Counting(minutes=5, start_at=paris(2026, 10, 25, 1, 0))
    cache = FollowingCache(limit=3)
    moment = paris(2026, 10, 25, 2, 55)
    expected = following_fire_time(trigger, moment, PARIS)
    calls.clear()
    assert cache.following("t", trigger, moment, PARIS) == expected
    assert cache.following("t", trigger, moment, PARIS) == expected
    assert len(calls) == 1
    other = Counting(minutes=7, start_at=paris(2026, 10, 25, 1, 0))  # a new trigger: asked anew
    assert cache.following("t", other, moment, PARIS) == following_fire_time(other, moment, PARIS)
    for minute in range(5):  # past its limit it starts over, still right
        later = moment + timedelta(minutes=minute)
        assert cache.following("t", trigger, later, PARIS) == following_fire_time(
            trigger, later, PARIS
        )


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 seconds"),
        (-5, "0 seconds"),
        (1, "1 second"),
        (61, "1 minute 1 second"),
        (3 * 86400 + 4 * 3600 + 12 * 60 + 9, "3 days 4 hours 12 minutes"),
        (86400, "1 day"),
    ],
)
def test_uptime_reads_in_its_largest_units(seconds: float, text: str) -> None:
    assert format_elapsed(seconds) == text
