"""The overview page, scheduler pause/resume and the health check."""

from __future__ import annotations

from ..adapters.base import ActionFailed
from ..adapters.snapshots import TaskQuery
from ..asgi.request import Request
from ..asgi.responses import JSONResponse, Response
from ..auth.gate import current_user
from ..storage.base import RunFilter
from .common import dashboard, flash, redirect_back, render
from .history import read


async def overview(request: Request) -> Response:
    """Scheduler state, identity, timezone, counts and the next tasks due."""
    adapter = dashboard(request).adapter
    recent, unavailable = await read(dashboard(request).storages.runs.query, RunFilter(limit=10))
    return render(
        request,
        "overview.html",
        scheduler=adapter.scheduler(),
        counts=adapter.counts(),
        upcoming=adapter.upcoming(10),
        recent_runs=recent or [],
        history_unavailable=unavailable,
    )


async def scheduler_pause(request: Request) -> Response:
    """Pause the whole scheduler's processing."""
    try:
        await dashboard(request).adapter.pause_scheduler()
        flash(request, "success", "Scheduler paused: no task will start until it is resumed.")
        _audit(request, "pause_scheduler", "ok", "")
    except ActionFailed as exc:
        flash(request, "error", f"Could not pause the scheduler: {exc}")
        _audit(request, "pause_scheduler", "failed", str(exc))
    return redirect_back(request, "overview", TaskQuery())


async def scheduler_resume(request: Request) -> Response:
    """Resume the whole scheduler's processing."""
    try:
        await dashboard(request).adapter.resume_scheduler()
        flash(request, "success", "Scheduler resumed.")
        _audit(request, "resume_scheduler", "ok", "")
    except ActionFailed as exc:
        flash(request, "error", f"Could not resume the scheduler: {exc}")
        _audit(request, "resume_scheduler", "failed", str(exc))
    return redirect_back(request, "overview", TaskQuery())


def _audit(request: Request, action: str, outcome: str, message: str) -> None:
    user = current_user(request)
    dashboard(request).recorder.audit(
        user=user.name if user else "anonymous",
        action=action,
        target="scheduler",
        outcome=outcome,
        message=message,
    )


async def health(request: Request) -> Response:
    """200 while the scheduler runs (or is paused), 503 when stopped; no task data."""
    state = dashboard(request).adapter.scheduler().state
    return JSONResponse({"status": state}, status=200 if state != "stopped" else 503)
