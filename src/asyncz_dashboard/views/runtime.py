"""The runtime page (the scheduler, its stores and executors) and the instances page."""

from __future__ import annotations

from datetime import datetime, timezone

from ..adapters.base import NotAvailable
from ..adapters.describe import distribution_version, format_elapsed
from ..asgi.exceptions import NotFound
from ..asgi.request import Request
from ..asgi.responses import Response
from .common import dashboard, render


def _uptime(started_at: datetime | None, now: datetime) -> str:
    return format_elapsed((now - started_at).total_seconds()) if started_at else ""


async def runtime(request: Request) -> Response:
    """GET: scheduler class, identity, state, timezone, start time and uptime, task defaults,
    each store and executor with its class and task count, and the versions."""
    adapter = dashboard(request).adapter
    try:
        info = adapter.runtime()
    except NotAvailable as exc:
        raise NotFound(str(exc)) from None
    now = datetime.now(timezone.utc)
    return render(
        request,
        "runtime.html",
        runtime=info,
        started_at=info.started_at.astimezone(adapter.tz) if info.started_at else None,
        uptime=_uptime(info.started_at, now),
        dashboard_version=distribution_version("asyncz-dashboard"),
    )


async def instances(request: Request) -> Response:
    """GET: the scheduler instances this dashboard serves (today: this process's), each with
    its state and last heartbeat; a fleet dashboard lists its workers (``/workers``)."""
    adapter = dashboard(request).adapter
    if getattr(adapter, "instances", None) is not None:
        from ..fleet.views import workers

        return await workers(request)
    info = adapter.runtime()
    now = datetime.now(adapter.tz)
    instance = {
        "runtime": info,
        "scope": "this process",
        # This process answers this very request: its heartbeat is now.
        "heartbeat": now,
        "last_event_at": info.last_event_at.astimezone(adapter.tz) if info.last_event_at else None,
        "uptime": _uptime(info.started_at, now),
        "stale": info.state == "stopped",
    }
    return render(request, "instances.html", instances=[instance])
