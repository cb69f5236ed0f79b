"""Upcoming fire times of a trigger, computed without changing it (no scheduler imports)."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any


def next_fire_times(trigger: Any, start: datetime, count: int, tz: tzinfo) -> list[datetime]:
    """The first ``count`` fire times of ``trigger`` at or after ``start`` (aware), in order.

    Follows Asyncz's own ``preview_task_runs``: the first time is
    ``get_next_trigger_time(tz, None, start)``, each next one
    ``get_next_trigger_time(tz, previous, previous)``. Trigger objects are not changed by
    these calls (Asyncz's date, interval and cron triggers keep no state between them), so a
    live task's trigger may be passed. Fewer than ``count`` times come back when the trigger
    is exhausted. A cron trigger that never fires searches up to its ``end_at`` (year 9999
    without one, seconds of CPU): pass a copy bounded in time for untrusted expressions.

    Args:
        trigger: any object with Asyncz's ``get_next_trigger_time(tz, previous, now)``.
        start: an aware datetime, the earliest time wanted.
        count: how many times at most (0 or less gives none).
        tz: the scheduler's timezone, used by triggers that have none of their own.
    """
    times: list[datetime] = []
    moment = trigger.get_next_trigger_time(tz, None, start) if count > 0 else None
    while moment is not None:
        times.append(moment)
        if len(times) >= count:
            break
        following = trigger.get_next_trigger_time(tz, moment, moment)
        if following is not None and following <= moment:
            break  # a trigger that does not move forward would loop for ever
        moment = following
    return times
