"""The overview page, scheduler pause/resume and the health check."""

from __future__ import annotations

from datetime import datetime, timezone

from ..adapters.base import ActionFailed, TaskNotFound
from ..adapters.snapshots import TaskQuery, TaskSnapshot
from ..asgi.request import Request
from ..asgi.responses import JSONResponse, RedirectResponse, Response
from ..storage.base import Run, RunFilter
from ..storage.memory import MemoryRunStorage
from ..submissions import Outcome, submission_id
from .common import (
    audit,
    audit_problem,
    back_url,
    cached_response,
    dashboard,
    flash,
    render,
    render_cached,
)
from .history import read
from .live import track

FAILING_SHOWN = 10  # tasks failing now listed on the overview (the count covers them all)
_EPOCH = datetime.min.replace(tzinfo=timezone.utc)


def failing_tasks(request: Request) -> list[tuple[TaskSnapshot, Run]]:
    """The tasks that exist and are failing now (their last finished run failed and none has
    succeeded since), each with that run, the most recent failure first."""
    parts = dashboard(request)
    found = []
    for run in parts.recorder.failing_runs():
        try:
            found.append((parts.adapter.get_task(run.task_id), run))
        except TaskNotFound:
            continue  # removed since it failed
    found.sort(key=lambda pair: pair[1].finished_at or pair[1].submitted_at or _EPOCH, reverse=True)
    return found


async def _overview(request: Request, template: str, fragment: bool) -> Response:
    if (unchanged := track(request, "overview")) is not None:
        return unchanged
    parts = dashboard(request)
    # Cached only over a memory run storage: the writer's version covers every write to it,
    # while a shared SQL storage also changes by other processes' writes.
    memory = isinstance(parts.storages.runs, MemoryRunStorage)
    if memory and (cached := cached_response(request, template)) is not None:
        return cached
    adapter = parts.adapter
    counts = adapter.counts()
    recent, unavailable = await read(parts.storages.runs.query, RunFilter(limit=10))
    failing = failing_tasks(request)
    context = {
        "scheduler": adapter.scheduler(),
        "counts": counts,
        "upcoming": adapter.upcoming(10),
        "recent_runs": recent or [],
        "history_unavailable": unavailable,
        "failing": failing[:FAILING_SHOWN],
        "failing_count": len(failing),
    }
    cacheable = memory and not unavailable and counts.loading is None
    return render_cached(request, template, lambda: context, cacheable=cacheable, fragment=fragment)


async def overview(request: Request) -> Response:
    """Scheduler state, identity, timezone, counts, the tasks failing now and the next due."""
    return await _overview(request, "overview.html", fragment=False)


async def overview_partial(request: Request) -> Response:
    """The overview's live region (204 while the poll's version is current)."""
    return await _overview(request, "_overview.html", fragment=True)


async def _scheduler_action(request: Request, verb: str, done: str) -> Response:
    """GET: the confirmation page (it changes nothing). POST: act once per submission id; a
    form that asks to be confirmed (it has a ``confirmed`` field: the overview's, whose
    confirmation dashboard.js marks ``yes``) but was not, as sent with script off, is sent on
    to the confirmation page with nothing done. A POST without the field (curl) acts."""
    if request.method != "POST":
        return render(request, "scheduler_confirm.html", verb=verb)
    form = await request.form()  # the whole request is read and checked before acting
    if "confirmed" in form and form.get("confirmed") != "yes":
        return RedirectResponse(request.url_for(f"scheduler_{verb}"))
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
    """POST: pause the whole scheduler's processing (running tasks go on); GET: ask first."""
    return await _scheduler_action(
        request, "pause", "Scheduler paused: no task will start until it is resumed."
    )


async def scheduler_resume(request: Request) -> Response:
    """POST: resume the whole scheduler's processing; GET: ask first."""
    return await _scheduler_action(request, "resume", "Scheduler resumed.")


async def health(request: Request) -> Response:
    """200 while the scheduler runs (or is paused), 503 when stopped; no task data."""
    state = dashboard(request).adapter.scheduler().state
    return JSONResponse({"status": state}, status=200 if state != "stopped" else 503)
