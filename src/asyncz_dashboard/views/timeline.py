"""The timeline: upcoming runs of every task in a window, in time order, grouped by hour."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone, tzinfo

from ..adapters.base import NotAvailable
from ..adapters.snapshots import TaskSnapshot
from ..asgi.exceptions import NotFound
from ..asgi.request import Request
from ..asgi.responses import Response
from .common import dashboard, list_query, render
from .history import _page

WINDOWS = {"1h": timedelta(hours=1), "24h": timedelta(hours=24), "7d": timedelta(days=7)}
DEFAULT_WINDOW = "24h"
PER_PAGE_CHOICES = (50, 100, 500, 1000)
DEFAULT_PER_PAGE = 50  # a phone's worth of scrolling; "Show 100 rows" and the Rows select go on
MAX_ROWS = 5_000  # rows reachable by paging: page * per page stays at or below this


@dataclass(frozen=True, slots=True)
class HourGroup:
    """The runs that start within one hour of the page's zone (``label`` names the hour and
    its zone abbreviation, so the hour repeated in October reads as two hours)."""

    label: str
    start: datetime
    runs: tuple[tuple[datetime, TaskSnapshot], ...]


def group_by_hour(
    runs: tuple[tuple[datetime, TaskSnapshot], ...], tz: tzinfo
) -> tuple[HourGroup, ...]:
    """``runs`` (in time order) cut into hours of ``tz``."""
    groups: list[HourGroup] = []
    current: list[tuple[datetime, TaskSnapshot]] = []
    key: tuple[datetime, timedelta | None] | None = None
    for moment, task in runs:
        local = moment.astimezone(tz)
        hour = (local.replace(minute=0, second=0, microsecond=0), local.utcoffset())
        if hour != key:
            if current and key is not None:
                groups.append(_group(key[0], current))
            key, current = hour, []
        current.append((local, task))
    if current and key is not None:
        groups.append(_group(key[0], current))
    return tuple(groups)


def _group(start: datetime, runs: list[tuple[datetime, TaskSnapshot]]) -> HourGroup:
    first = runs[0][0]
    label = first.strftime("%a %d %b %Y, %H:00 ") + (first.tzname() or "")
    return HourGroup(label=label, start=start, runs=tuple(runs))


def _choice_int(raw: str, choices: tuple[int, ...], default: int) -> int:
    return int(raw) if raw in {str(c) for c in choices} else default


async def timeline(request: Request) -> Response:
    """GET: upcoming runs in the chosen window (``window`` 1h, 24h or 7d), filtered like the
    task list (``q``, ``state``, ``executor``, ``trigger``), ``per_page`` rows a page."""
    parts = dashboard(request)
    adapter = parts.adapter
    window = request.query.get("window", DEFAULT_WINDOW)
    window = window if window in WINDOWS else DEFAULT_WINDOW
    per_page = _choice_int(request.query.get("per_page", ""), PER_PAGE_CHOICES, DEFAULT_PER_PAGE)
    page = min(_page(request), MAX_ROWS // per_page)
    query = replace(list_query(request.query), page=1, per_page=25, sort="next_run_time")
    now = datetime.now(timezone.utc)
    end = now + WINDOWS[window]
    try:
        found = await adapter.timeline(query, end, per_page, skip=(page - 1) * per_page)
        asked = page
        if not found.runs and not found.cut and page > 1:
            # Past the end (an old link, a typed ?page=10000): show the last page with runs.
            before = await adapter.timeline(query, end, (page - 1) * per_page)
            page = max(1, -(-len(before.runs) // per_page))
            found = await adapter.timeline(query, end, per_page, skip=(page - 1) * per_page)
    except NotAvailable as exc:
        raise NotFound(str(exc)) from None
    tz = adapter.tz
    executors, triggers = adapter.facets()
    params = {k: v for k, v in query.params().items() if k in ("q", "state", "executor", "trigger")}
    if window != DEFAULT_WINDOW:
        params["window"] = window
    if per_page != DEFAULT_PER_PAGE:
        params["per_page"] = str(per_page)
    return render(
        request,
        "timeline.html",
        groups=group_by_hour(found.runs, tz),
        found=found,
        query=query,
        params=params,
        window=window,
        windows=tuple(WINDOWS),
        per_page=per_page,
        per_page_choices=PER_PAGE_CHOICES,
        more_rows=next((n for n in PER_PAGE_CHOICES if n > per_page), None),
        page=page,
        past_end=asked if page < asked and found.runs else None,
        first_index=(page - 1) * per_page + 1,
        last_page=page * per_page >= MAX_ROWS,
        end=end.astimezone(tz),
        executors=executors,
        triggers=triggers,
    )
