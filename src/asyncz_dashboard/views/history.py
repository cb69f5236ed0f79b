"""Run history, run detail, the log viewer, observed events and the audit trail."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timezone, tzinfo
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from ..adapters.base import TaskNotFound
from ..asgi.exceptions import NotFound
from ..asgi.request import Request
from ..asgi.responses import Response
from ..storage.base import (
    LOG_LEVELS,
    RUN_SOURCES,
    RUN_STATUSES,
    AuditFilter,
    EventFilter,
    LogFilter,
    RunFilter,
    StorageUnavailable,
)
from ..storage.readers import readers_for
from ..templating import zone_for
from .common import dashboard, render
from .live import remember, track

T = TypeVar("T")
PAGE_SIZE = 50


async def read(fn: Callable[..., T], *args: Any) -> tuple[T | None, bool]:
    """Call a storage off the event loop, in its own bounded reader pool (never the loop's
    default executor); ``(result, False)``, or ``(None, True)`` when the storage is unavailable,
    busy or slower than its timeout (the page then says so instead of waiting)."""
    try:
        return await readers_for(fn).run(fn, *args), False
    except StorageUnavailable:
        return None, True


async def choices(storage: Any, *fields: str) -> dict[str, list[str]]:
    """The values that exist for each filter field of ``storage`` (its ``distinct``, read off
    the loop like every storage read): for the filters' drop-downs, empty when unavailable or
    when a storage of the host's own offers no ``distinct``."""
    distinct = getattr(storage, "distinct", None)
    if distinct is None:
        return {name: [] for name in fields}
    answers = await asyncio.gather(*(read(distinct, name) for name in fields))
    return {name: values or [] for name, (values, _) in zip(fields, answers, strict=True)}


def task_names(request: Request, task_ids: list[str]) -> dict[str, str]:
    """The current name of each task id that still exists (labels for a task id drop-down)."""
    adapter = dashboard(request).adapter
    names = {}
    for task_id in task_ids:
        try:
            names[task_id] = adapter.get_task(task_id).name
        except TaskNotFound:
            continue
    return names


def _choice(value: str, choices: tuple[str, ...]) -> str:
    return value if value in choices else ""


MAX_PAGE = 10_000


def _page(request: Request) -> int:
    """The ``page`` parameter, 1 to ``MAX_PAGE``; anything else (``²``, which ``isdigit``
    accepts and ``int`` refuses, or thousands of digits, which ``int`` refuses too) is page 1
    or the last page."""
    raw = request.query.get("page", "1").strip()
    if not raw.isascii() or not raw.isdigit():
        return 1
    digits = raw.lstrip("0")
    if len(digits) > len(str(MAX_PAGE)):
        return MAX_PAGE
    return min(max(int(digits or "0"), 1), MAX_PAGE)


def _moment(raw: str, zone: tzinfo = timezone.utc) -> datetime | None:
    """An ISO 8601 time from a filter field, in UTC; naive means in ``zone``; nonsense means no
    filter.

    A time that cannot be expressed in UTC (``9999-12-31T23:59-05:00``) is nonsense too: the SQL
    storages convert to UTC and would fail on it.
    """
    try:
        moment = datetime.fromisoformat(raw.strip()) if raw.strip() else None
        if moment is not None and moment.tzinfo is None:
            moment = moment.replace(tzinfo=zone)
        return moment.astimezone(timezone.utc) if moment is not None else None
    except (ValueError, OverflowError):
        return None


def entry_zone(request: Request) -> tuple[str, tzinfo]:
    """The zone the log filter's From and To mean when they carry no offset, as ``(name,
    zone)``: the ``tz`` parameter when it names a zone (dashboard.js sends the browser's own
    while times are shown in it, "Local"), else the scheduler's zone, the one the page shows
    without script."""
    asked = request.query.get("tz", "").strip()[:64]
    if asked:  # an IANA name (Europe/Paris, UTC); anything else is the scheduler's zone
        try:
            return asked, ZoneInfo(asked)
        except (ValueError, LookupError):  # ZoneInfoNotFoundError is a KeyError
            pass
    name = dashboard(request).adapter.scheduler().timezone
    return name, zone_for(name)


def _present(values: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in values.items() if v}


async def runs(request: Request) -> Response:
    """Run history: task, status, source and text filters, newest first, paged."""
    return await _runs(request, "runs/list.html", fragment=False)


async def runs_table(request: Request) -> Response:
    """The run history's live region (204 while the poll's version is current)."""
    return await _runs(request, "runs/_table.html", fragment=True)


async def _runs(request: Request, template: str, fragment: bool) -> Response:
    q = request.query
    page = _page(request)
    flt = RunFilter(
        task_id=q.get("task", "")[:200],
        status=_choice(q.get("status", ""), RUN_STATUSES),
        source=_choice(q.get("source", ""), RUN_SOURCES),
        q=q.get("q", "").strip()[:200],
        limit=PAGE_SIZE + 1,
        offset=(page - 1) * PAGE_SIZE,
    )
    params = _present({"task": flt.task_id, "status": flt.status, "source": flt.source, "q": flt.q})
    if (unchanged := track(request, "runs", {**params, "page": page})) is not None:
        return unchanged
    storage = dashboard(request).storages.runs
    (rows, unavailable), options = await asyncio.gather(
        read(storage.query, flt), choices(storage, "task_id")
    )
    rows = rows or []
    asked = page
    if not rows and not unavailable and page > 1:
        # Past the end (an old link, a typed ?page=10000): show the last page that has runs.
        page = await _last_page(storage, flt, page)
        if page < asked:
            flt = replace(flt, offset=(page - 1) * PAGE_SIZE)
            rows, unavailable = await read(storage.query, flt)
            rows = rows or []
            remember(request, "runs", {**params, "page": page})
    return render(
        request,
        template,
        fragment=fragment,
        runs=rows[:PAGE_SIZE],
        has_next=len(rows) > PAGE_SIZE,
        page=page,
        past_end=asked if page < asked else None,
        filters=flt,
        params=params,
        unavailable=unavailable,
        statuses=RUN_STATUSES,
        sources=RUN_SOURCES,
        options=options,
        task_names=task_names(request, options["task_id"]),
    )


async def _last_page(storage: Any, flt: RunFilter, page: int) -> int:
    """The last page of ``flt``'s runs that has any, found below ``page`` (whose own query came
    back empty) by a binary search of one-row queries, at most log2(page) of them; 1 when no run
    matches at all; ``page`` when the storage fails meanwhile."""
    low, high = 0, page - 1  # page ``low`` has runs (0: none found yet); pages above ``high`` don't
    while low < high:
        middle = (low + high + 1) // 2
        probe, unavailable = await read(
            storage.query, replace(flt, limit=1, offset=(middle - 1) * PAGE_SIZE)
        )
        if unavailable:
            return page
        if probe:
            low = middle
        else:
            high = middle - 1
    return low or 1


async def run_detail(request: Request) -> Response:
    """Every field of one run, its traceback and its log records."""
    return await _run_detail(request, "runs/detail.html", fragment=False)


async def run_detail_partial(request: Request) -> Response:
    """The run page's live region (204 while the poll's version is current)."""
    return await _run_detail(request, "runs/_detail.html", fragment=True)


async def _run_detail(request: Request, template: str, fragment: bool) -> Response:
    run_id = request.path_params["run_id"]
    if (unchanged := track(request, "run", {"run_id": run_id})) is not None:
        return unchanged
    storages = dashboard(request).storages
    run, unavailable = await read(storages.runs.get, run_id)
    if unavailable:
        return render(request, template, fragment=fragment, run=None, logs=[], unavailable=True)
    if run is None:
        raise NotFound("There is no run with this id (it may have been pruned).")
    logs, _ = await read(storages.logs.query, LogFilter(run_id=run.run_id, limit=500))
    return render(request, template, fragment=fragment, run=run, logs=logs or [], unavailable=False)


def _log_filter(request: Request) -> LogFilter:
    q = request.query
    _, zone = entry_zone(request)
    return LogFilter(
        task_id=q.get("task", "")[:200],
        run_id=q.get("run", "")[:64],
        level=_choice(q.get("level", "").upper(), LOG_LEVELS),
        q=q.get("q", "").strip()[:200],
        since=_moment(q.get("since", ""), zone),
        until=_moment(q.get("until", ""), zone),
        limit=200,
    )


def _log_params(flt: LogFilter, request: Request) -> dict[str, str]:
    values = {
        "task": flt.task_id,
        "run": flt.run_id,
        "level": flt.level,
        "q": flt.q,
        # As typed, a time or not: it stays in its field and in the refresh's URL, and one that
        # is no time filters nothing and is named (marked invalid) on every refresh.
        "since": request.query.get("since", "").strip()[:64],
        "until": request.query.get("until", "").strip()[:64],
    }
    name = entry_zone(request)[0]
    if (flt.since or flt.until) and name != dashboard(request).adapter.scheduler().timezone:
        values["tz"] = name  # the zone the typed times are in, kept with them
    return {k: v for k, v in values.items() if v}


async def _logs_context(request: Request) -> dict[str, Any]:
    flt = _log_filter(request)
    rows, unavailable = await read(dashboard(request).storages.logs.query, flt)
    return {
        "logs": rows or [],
        "entry_zone": entry_zone(request)[0],
        "filters": flt,
        "params": _log_params(flt, request),
        "unavailable": unavailable,
        "levels": LOG_LEVELS,
        "ignored": {
            key: f"{label} “{request.query[key][:40]}”"
            for key, label, value in (("since", "From", flt.since), ("until", "To", flt.until))
            if request.query.get(key, "").strip() and value is None
        },
        # From later than To: no record can match, and the page says why.
        "reversed_range": bool(flt.since and flt.until and flt.since > flt.until),
    }


async def logs(request: Request) -> Response:
    """The log viewer: newest first, at most 200 records, filters in the URL."""
    return await _logs(request, "logs/list.html", fragment=False)


async def logs_table(request: Request) -> Response:
    """The log table's live region (keeps the filters; 204 while the poll's version is
    current)."""
    return await _logs(request, "logs/_table.html", fragment=True)


async def _logs(request: Request, template: str, fragment: bool) -> Response:
    if (
        unchanged := track(request, "logs", _log_params(_log_filter(request), request))
    ) is not None:
        return unchanged
    return render(request, template, fragment=fragment, **await _logs_context(request))


async def events(request: Request) -> Response:
    """Every scheduler event the dashboard observed, newest first."""
    return await _events(request, "events.html", fragment=False)


async def events_table(request: Request) -> Response:
    """The event list's live region (204 while the poll's version is current)."""
    return await _events(request, "_events.html", fragment=True)


async def _events(request: Request, template: str, fragment: bool) -> Response:
    q = request.query
    flt = EventFilter(name=q.get("name", "")[:64], task_id=q.get("task", "")[:200], limit=200)
    params = _present({"name": flt.name, "task": flt.task_id})
    if (unchanged := track(request, "events", params)) is not None:
        return unchanged
    storage = dashboard(request).storages.events
    (rows, unavailable), options = await asyncio.gather(
        read(storage.query, flt), choices(storage, "name", "task_id")
    )
    return render(
        request,
        template,
        fragment=fragment,
        events=rows or [],
        filters=flt,
        params=params,
        unavailable=unavailable,
        options=options,
        task_names=task_names(request, options["task_id"]),
    )


async def audit(request: Request) -> Response:
    """Every action taken through the dashboard: who, what, on what, outcome, changes."""
    return await _audit(request, "audit.html", fragment=False)


async def audit_table(request: Request) -> Response:
    """The audit trail's live region (204 while the poll's version is current)."""
    return await _audit(request, "_audit.html", fragment=True)


async def _audit(request: Request, template: str, fragment: bool) -> Response:
    q = request.query
    flt = AuditFilter(
        user=q.get("user", "")[:200],
        action=q.get("action", "")[:64],
        target=q.get("target", "")[:200],
        limit=200,
    )
    params = _present({"user": flt.user, "action": flt.action, "target": flt.target})
    if (unchanged := track(request, "audit", params)) is not None:
        return unchanged
    storage = dashboard(request).storages.audit
    (rows, unavailable), options = await asyncio.gather(
        read(storage.query, flt), choices(storage, "user", "action")
    )
    return render(
        request,
        template,
        fragment=fragment,
        entries=rows or [],
        filters=flt,
        params=params,
        unavailable=unavailable,
        options=options,
    )
