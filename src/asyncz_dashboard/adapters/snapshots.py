"""Immutable snapshots of scheduler state: plain values and display strings, no scheduler objects.

Display strings (trigger in words, redacted reprs, absolute times) are computed once when a
snapshot is made, so a page costs what it shows, not what the scheduler holds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, Literal

TaskState = Literal["pending", "paused", "scheduled"]
SchedulerState = Literal["running", "paused", "stopped"]

SORT_KEYS = ("name", "trigger", "state", "next_run_time")
STATES = ("scheduled", "paused", "pending")
DIRECTIONS = ("asc", "desc")
PER_PAGE_CHOICES = (25, 50, 100, 200)
# Trigger kinds in the order the trigger sort shows them; any other kind comes after.
TRIGGER_KINDS = ("interval", "cron", "date")

TriggerOrder = tuple[int, float, str]


def trigger_order(
    kind: str, *, seconds: float | None = None, fires_at: datetime | None = None, text: str = ""
) -> TriggerOrder:
    """The sort key of a trigger by meaning: intervals by their length (``seconds``), cron and
    date triggers by their next fire time (``fires_at``, aware; None sorts after every time),
    any other kind after those, by ``text``. The task sort adds the name and id after it."""
    rank = TRIGGER_KINDS.index(kind) if kind in TRIGGER_KINDS else len(TRIGGER_KINDS)
    if kind == "interval" and seconds is not None:
        return rank, float(seconds), ""
    if kind in ("cron", "date"):
        return rank, fires_at.timestamp() if fires_at else float("inf"), ""
    return rank, 0.0, text.lower()


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskSnapshot:
    """One task as the dashboard shows it.

    Times are aware datetimes in UTC; ``*_text`` fields are already formatted in the
    scheduler's timezone. ``args_repr``/``kwargs_repr`` are bounded (200 characters) and
    have secrets masked; they are empty strings when arguments are hidden.
    """

    id: str
    name: str
    callable_name: str
    callable_reference: str
    trigger_alias: str
    trigger_text: str
    trigger_raw: str
    next_run_time: datetime | None
    next_run_text: str
    store: str
    executor: str
    state: TaskState
    coalesce: bool
    max_instances: int
    misfire_grace_time: float | None
    args_repr: str
    kwargs_repr: str
    one_off_run_at: datetime | None = None
    one_off_run_at_text: str = ""
    search_text: str = field(default="", repr=False)
    trigger_order: TriggerOrder = field(default=(len(TRIGGER_KINDS), 0.0, ""), repr=False)
    # Fleet only: the worker(s) holding the task, and when what is shown was true if the worker
    # is unreachable (None while it is live).
    worker: str = ""
    stale_since: datetime | None = None
    # Fleet only: the trigger as the task form writes it (``trigger_value``; "" when not
    # known), published by the worker so that the edit form and its preview need no worker.
    trigger_form: str = ""

    def to_json(self) -> str:
        """This snapshot as a JSON object (times as ISO 8601 UTC text); ``from_json`` reads it."""
        values: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            values[f.name] = value.isoformat() if isinstance(value, datetime) else value
        return json.dumps(values, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> TaskSnapshot:
        """The snapshot ``to_json`` wrote; unknown keys (a newer writer) are ignored.

        Raises:
            ValueError: not JSON, or not a snapshot (a required field missing).
        """
        values = json.loads(text)
        if not isinstance(values, dict):
            raise ValueError("a task snapshot is a JSON object")
        known = {f.name for f in fields(cls)}
        kept = {k: v for k, v in values.items() if k in known}
        for name, value in kept.items():
            if isinstance(value, list):  # snapshots hold tuples (JSON has only arrays)
                kept[name] = _tuples(value)
        for name in _TIME_FIELDS:
            if isinstance(kept.get(name), str):
                kept[name] = datetime.fromisoformat(kept[name])
        try:
            return cls(**kept)
        except TypeError as exc:
            raise ValueError(f"not a task snapshot: {exc}") from exc


_TIME_FIELDS = ("next_run_time", "one_off_run_at", "stale_since")


def _tuples(value: Any) -> Any:
    """JSON arrays back to tuples, nested ones too."""
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


@dataclass(frozen=True, slots=True, kw_only=True)
class SchedulerSnapshot:
    """The scheduler as a whole: identity, state, timezone, executors and stores."""

    identity: str
    state: SchedulerState
    timezone: str
    executors: tuple[str, ...]
    stores: tuple[str, ...]
    started_at: datetime | None
    index_built_at: datetime | None = None
    index_refresh_interval: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskCounts:
    """How many tasks there are, in total and by state.

    ``loading`` is None once the dashboard has read every task; while it reads them at start,
    it is how many it is reading (0 when not known yet) and the totals count those read so far.
    """

    total: int = 0
    scheduled: int = 0
    paused: int = 0
    pending: int = 0
    loading: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskQuery:
    """A validated task-list query; ``from_params`` turns untrusted URL values into one.

    Unknown or out-of-range values fall back to the defaults (the brief's canonical names).
    """

    q: str = ""
    state: str = ""
    executor: str = ""
    trigger: str = ""
    worker: str = ""  # fleet only: a worker's name
    sort: str = "next_run_time"
    direction: str = "asc"
    page: int = 1
    per_page: int = 25

    @classmethod
    def from_params(cls, params: dict[str, str]) -> TaskQuery:
        """Build a query from URL parameters, never raising."""
        state = params.get("state", "")
        sort = params.get("sort", "")
        direction = params.get("direction", "")
        return cls(
            q=params.get("q", "").strip()[:200],
            state=state if state in STATES else "",
            executor=params.get("executor", "")[:200],
            trigger=params.get("trigger", "")[:200],
            worker=params.get("worker", "")[:200],
            sort=sort if sort in SORT_KEYS else "next_run_time",
            direction=direction if direction in DIRECTIONS else "asc",
            page=_bounded_int(params.get("page"), 1, 1, 10**9),
            per_page=_choice(params.get("per_page"), PER_PAGE_CHOICES, 25),
        )

    def params(self, **changes: object) -> dict[str, str]:
        """The non-default values as URL parameters, with ``changes`` applied."""
        values = {
            "q": self.q,
            "state": self.state,
            "executor": self.executor,
            "trigger": self.trigger,
            "worker": self.worker,
            "sort": self.sort,
            "direction": self.direction,
            "page": self.page,
            "per_page": self.per_page,
        }
        values.update(changes)
        defaults = TaskQuery()
        return {
            k: str(v)
            for k, v in values.items()
            if v not in ("", None) and str(v) != str(getattr(defaults, k))
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskPage:
    """One page of a task list, with totals; ``loading`` as in ``TaskCounts``."""

    items: tuple[TaskSnapshot, ...]
    total: int
    total_unfiltered: int
    page: int
    pages: int
    per_page: int
    query: TaskQuery
    loading: int | None = None

    @property
    def first_index(self) -> int:
        """1-based position of the first row shown (0 when empty)."""
        return (self.page - 1) * self.per_page + 1 if self.items else 0

    @property
    def last_index(self) -> int:
        """1-based position of the last row shown (0 when empty)."""
        return self.first_index + len(self.items) - 1 if self.items else 0


def _bounded_int(raw: str | None, default: int, low: int, high: int) -> int:
    try:
        value = int(str(raw).strip())
    except (TypeError, ValueError):
        return default
    return min(max(value, low), high)


def _choice(raw: str | None, choices: tuple[int, ...], default: int) -> int:
    try:
        value = int(str(raw).strip())
    except (TypeError, ValueError):
        return default
    return value if value in choices else default


@dataclass(frozen=True, slots=True, kw_only=True)
class ObservedEvent:
    """A scheduler event in our own terms, passed to the adapter's subscribers.

    ``name`` is the lower-case event name (``task_submitted``, ``task_executed``,
    ``task_error``, ``task_missed``, ``task_max_instances``, ``scheduler_paused``, ...). Times
    are aware datetimes as the scheduler gave them. ``task`` is the task's last known snapshot
    (kept for a while after the task is removed), when the event concerns one. ``source`` is
    ``manual`` on every event of a forced ("Run now") run, its execution events included,
    whatever order they arrive in; else what the scheduler said (``scheduled``, or empty).
    """

    name: str
    code: int
    task_id: str = ""
    store: str = ""
    alias: str = ""
    run_times: tuple[datetime, ...] = ()
    source: str = ""
    return_value: object = None
    exception: BaseException | None = None
    traceback: str = ""
    scheduler: str = ""
    task: TaskSnapshot | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Component:
    """A store or an executor of the scheduler: its alias, class and how many tasks use it."""

    alias: str
    class_name: str
    tasks: int


@dataclass(frozen=True, slots=True, kw_only=True)
class RuntimeSnapshot:
    """What the runtime and instances pages show: the scheduler's class, identity, state,
    zone, start time, task defaults (display strings), stores and executors with their task
    counts (from the index), the library versions and when the dashboard last heard from it."""

    scheduler_class: str
    identity: str
    state: SchedulerState
    timezone: str
    started_at: datetime | None
    task_defaults: tuple[tuple[str, str], ...]
    stores: tuple[Component, ...]
    executors: tuple[Component, ...]
    asyncz_version: str
    last_event_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TimelineSlice:
    """Upcoming runs of many tasks, in time order: ``(run time in the scheduler's zone,
    task)``; ``more`` when runs follow within the window; ``cut`` when the computation hit its
    time budget first."""

    runs: tuple[tuple[datetime, TaskSnapshot], ...]
    more: bool
    cut: bool = False
