"""The overview page, scheduler pause/resume and the health check."""

from __future__ import annotations

from ..adapters.base import ActionFailed
from ..adapters.snapshots import TaskQuery
from ..asgi.request import Request
from ..asgi.responses import JSONResponse, RedirectResponse, Response
from ..storage.base import RunFilter
from ..submissions import Outcome, submission_id
from .common import audit, audit_problem, back_url, dashboard, flash, render
from .history import read
from .live import track


async def _overview(request: Request, template: str, fragment: bool) -> Response:
    if (unchanged := track(request, "overview")) is not None:
        return unchanged
    adapter = dashboard(request).adapter
    recent, unavailable = await read(dashboard(request).storages.runs.query, RunFilter(limit=10))
    return render(
        request,
        template,
        fragment=fragment,
        scheduler=adapter.scheduler(),
        counts=adapter.counts(),
        upcoming=adapter.upcoming(10),
        recent_runs=recent or [],
        history_unavailable=unavailable,
    )


async def overview(request: Request) -> Response:
    """Scheduler state, identity, timezone, counts and the next tasks due."""
    return await _overview(request, "overview.html", fragment=False)


async def overview_partial(request: Request) -> Response:
    """The overview's live region (204 while the poll's version is current)."""
    return await _overview(request, "_overview.html", fragment=True)


async def _scheduler_action(request: Request, verb: str, done: str) -> Response:
    form = await request.form()  # the whole request is read and checked before acting
    key = (submission_id(form), f"{verb}_scheduler", "scheduler")
    outcome, _ = await dashboard(request).submissions.once(key, lambda: _act(request, verb, done))
    flash(request, outcome.level, outcome.text)
    return RedirectResponse(outcome.location)


async def _act(request: Request, verb: str, done: str) -> Outcome:
    adapter = dashboard(request).adapter
    action = adapter.pause_scheduler if verb == "pause" else adapter.resume_scheduler
    location = back_url(request, "overview", TaskQuery())
    try:
        await action()
    except ActionFailed as exc:
        problem = await audit(request, f"{verb}_scheduler", "scheduler", "failed", str(exc))
        text = f"Could not {verb} the scheduler: {exc}"
        return Outcome("error", text + audit_problem(problem), location, False)
    problem = await audit(request, f"{verb}_scheduler", "scheduler", "ok")
    return Outcome("warning" if problem else "success", done + audit_problem(problem), location)


async def scheduler_pause(request: Request) -> Response:
    """POST: pause the whole scheduler's processing (running tasks go on)."""
    return await _scheduler_action(
        request, "pause", "Scheduler paused: no task will start until it is resumed."
    )


async def scheduler_resume(request: Request) -> Response:
    """POST: resume the whole scheduler's processing."""
    return await _scheduler_action(request, "resume", "Scheduler resumed.")


async def health(request: Request) -> Response:
    """200 while the scheduler runs (or is paused), 503 when stopped; no task data."""
    state = dashboard(request).adapter.scheduler().state
    return JSONResponse({"status": state}, status=200 if state != "stopped" else 503)
