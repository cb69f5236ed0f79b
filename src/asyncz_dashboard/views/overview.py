"""The overview page, scheduler pause/resume and the health check."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
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
    unconfirmed,
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
    for run in parts.outcomes.failing_runs():
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
    workers = adapter.worker_rows() if hasattr(adapter, "worker_rows") else None
    context = {
        "scheduler": adapter.scheduler(),
        "counts": counts,
        "upcoming": adapter.upcoming(10),
        "recent_runs": recent or [],
        "history_unavailable": unavailable,
        "failing": failing[:FAILING_SHOWN],
        "failing_count": len(failing),
        "running_now": adapter.running_now(),
        # A fleet: each worker with its state, tasks and runs under way (None: one scheduler).
        "workers": workers,
    }
    cacheable = memory and workers is None and not unavailable and counts.loading is None
    return render_cached(request, template, lambda: context, cacheable=cacheable, fragment=fragment)


async def overview(request: Request) -> Response:
    """Scheduler state, identity, timezone, counts, the tasks failing now and the next due."""
    return await _overview(request, "overview.html", fragment=False)


async def overview_partial(request: Request) -> Response:
    """The overview's live region (204 while the poll's version is current)."""
    return await _overview(request, "_overview.html", fragment=True)


SchedulerAction = Callable[[], Awaitable[str | None]]


async def scheduler_command(
    request: Request,
    verb: str,
    act: SchedulerAction,
    *,
    target: str = "scheduler",
    what: str = "the scheduler",
    done: str,
    location: str,
) -> Response:
    """POST ``verb`` (pause or resume) of a whole scheduler, ``target`` in the audit trail and
    ``what`` in the messages: once per submission, audited, flashed (``act``'s own message,
    else ``done``), then 303 to ``location``."""
    form = await request.form()  # the whole request is read and checked before acting
    key = (submission_id(form), f"{verb}_scheduler", target)

    async def once() -> Outcome:
        try:
            said = await act()
        except ActionFailed as exc:
            problem = await audit(request, f"{verb}_scheduler", target, "failed", str(exc))
            text = f"Could not {verb} {what}: {exc}"
            return Outcome("error", text + audit_problem(problem), location, False)
        problem = await audit(request, f"{verb}_scheduler", target, "ok", said or "")
        level = "warning" if problem else "success"
        return Outcome(level, (said or done) + audit_problem(problem), location)

    outcome, _ = await dashboard(request).submissions.once(key, once)
    flash(request, outcome.level, outcome.text)
    return RedirectResponse(outcome.location)


_DONE = {
    "pause": "Scheduler paused: no task will start until it is resumed.",
    "resume": "Scheduler resumed.",
}


async def _whole_scheduler(request: Request, verb: str) -> Response:
    """GET: the confirmation page (it changes nothing). POST: ``scheduler_command``; a form
    that asks to be confirmed (it has a ``confirmed`` field: the overview's, whose confirmation
    dashboard.js marks ``yes``) but was not, as sent with script off, is sent on to the
    confirmation page with nothing done. A POST without the field (curl) acts."""
    if request.method != "POST":
        return render(request, "scheduler_confirm.html", verb=verb)
    form = await request.form()  # the whole request is read and checked before acting
    if unconfirmed(form):
        return RedirectResponse(request.url_for(f"scheduler_{verb}"))
    adapter = dashboard(request).adapter
    act = adapter.pause_scheduler if verb == "pause" else adapter.resume_scheduler
    location = back_url(request, "overview", TaskQuery())
    return await scheduler_command(request, verb, act, done=_DONE[verb], location=location)


async def scheduler_pause(request: Request) -> Response:
    """POST: pause the whole scheduler's processing (running tasks go on); on a fleet, every
    live worker's. GET: ask first."""
    return await _whole_scheduler(request, "pause")


async def scheduler_resume(request: Request) -> Response:
    """POST: resume the whole scheduler's processing; on a fleet, every paused live worker's.
    GET: ask first."""
    return await _whole_scheduler(request, "resume")


async def health(request: Request) -> Response:
    """200 while the scheduler runs (or is paused), 503 when stopped; no task data."""
    state = dashboard(request).adapter.scheduler().state
    return JSONResponse({"status": state}, status=200 if state != "stopped" else 503)
