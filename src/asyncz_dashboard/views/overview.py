"""The overview page, scheduler pause/resume and the health check."""

from __future__ import annotations

from ..adapters.base import ActionFailed
from ..adapters.snapshots import TaskQuery
from ..asgi.request import Request
from ..asgi.responses import JSONResponse, Response
from .common import dashboard, flash, redirect_back, render


async def overview(request: Request) -> Response:
    """Scheduler state, identity, timezone, counts and the next tasks due."""
    adapter = dashboard(request).adapter
    return render(
        request,
        "overview.html",
        scheduler=adapter.scheduler(),
        counts=adapter.counts(),
        upcoming=adapter.upcoming(10),
    )


async def scheduler_pause(request: Request) -> Response:
    """Pause the whole scheduler's processing."""
    try:
        await dashboard(request).adapter.pause_scheduler()
        flash(request, "success", "Scheduler paused: no task will start until it is resumed.")
    except ActionFailed as exc:
        flash(request, "error", f"Could not pause the scheduler: {exc}")
    return redirect_back(request, "overview", TaskQuery())


async def scheduler_resume(request: Request) -> Response:
    """Resume the whole scheduler's processing."""
    try:
        await dashboard(request).adapter.resume_scheduler()
        flash(request, "success", "Scheduler resumed.")
    except ActionFailed as exc:
        flash(request, "error", f"Could not resume the scheduler: {exc}")
    return redirect_back(request, "overview", TaskQuery())


async def health(request: Request) -> Response:
    """200 while the scheduler runs (or is paused), 503 when stopped; no task data."""
    state = dashboard(request).adapter.scheduler().state
    return JSONResponse({"status": state}, status=200 if state != "stopped" else 503)
