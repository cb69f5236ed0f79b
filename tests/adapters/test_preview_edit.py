"""``next_fire_times``: a trigger's upcoming fire times, without changing it, across DST."""

from __future__ import annotations

import copy
import time
from datetime import datetime, timedelta, timezone
from itertools import pairwise
from zoneinfo import ZoneInfo

from asyncz.triggers import CronTrigger, DateTrigger, IntervalTrigger

from asyncz_dashboard.adapters.asyncz import _bounded
from asyncz_dashboard.adapters.preview import next_fire_times

PARIS = ZoneInfo("Europe/Paris")


def test_a_daily_cron_keeps_its_local_time_across_the_spring_change() -> None:
    trigger = CronTrigger.from_crontab("30 9 * * *", timezone=PARIS)
    state = copy.deepcopy(trigger.__getstate__())
    start = datetime(2030, 3, 29, 12, tzinfo=PARIS)  # DST starts on Sunday 31 March 2030
    times = next_fire_times(trigger, start, 4, PARIS)
    assert [t.astimezone(PARIS).strftime("%d %H:%M") for t in times] == [
        "30 09:30", "31 09:30", "01 09:30", "02 09:30",
    ]  # fmt: skip
    assert [t.utcoffset() for t in times] == [timedelta(hours=h) for h in (1, 2, 2, 2)]
    assert trigger.__getstate__() == state, "the trigger is not changed"


def test_an_interval_counts_real_time_across_the_autumn_change() -> None:
    start = datetime(2030, 10, 27, 1, 30, tzinfo=PARIS)
    trigger = IntervalTrigger(hours=1, start_at=start, timezone=PARIS)
    times = next_fire_times(trigger, start, 3, PARIS)
    gaps = [(b - a).total_seconds() for a, b in pairwise(times)]
    assert gaps == [3600, 3600]


def test_a_date_fires_once_and_zero_asks_for_nothing() -> None:
    run_at = datetime(2030, 1, 1, tzinfo=timezone.utc)
    trigger = DateTrigger(run_at=run_at, timezone=timezone.utc)
    assert next_fire_times(trigger, run_at - timedelta(days=1), 5, timezone.utc) == [run_at]
    assert next_fire_times(trigger, run_at, 0, timezone.utc) == []


def test_a_cron_that_never_fires_is_searched_within_a_bounded_horizon() -> None:
    never = CronTrigger.from_crontab("0 0 30 2 *", timezone=timezone.utc)
    now = datetime.now(timezone.utc)
    started = time.perf_counter()
    assert next_fire_times(_bounded(never, now), now, 5, timezone.utc) == []
    assert time.perf_counter() - started < 0.5  # the unbounded search takes seconds
    assert never.end_at is None, "the task's own trigger is not bounded"
