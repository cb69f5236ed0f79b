"""The Workers page (every instance of the fleet, live, unreachable or stopped), pausing or
resuming one worker's scheduler, and forgetting one that is not live."""

from __future__ import annotations

import asyncio
from functools import partial
from typing import TYPE_CHECKING, Any

from ..adapters.base import ActionFailed
from ..asgi.exceptions import NotFound
from ..asgi.request import Request
from ..asgi.responses import RedirectResponse, Response
from ..submissions import Outcome, submission_id
from ..views.common import audit, audit_problem, dashboard, flash, render
from ..views.live import track
from ..views.overview import scheduler_command

if TYPE_CHECKING:  # the fleet modules need the sql extra; this one is always imported
    from .adapter import FleetAdapter
    from .db import Instance

MISSED_HEARTBEATS = 3  # an instance silent for this many heartbeats is unreachable


def fleet_adapter(request: Request) -> FleetAdapter | None:
    """The dashboard's fleet adapter, or None when it serves one scheduler."""
    adapter: Any = dashboard(request).adapter
    return adapter if getattr(adapter, "instances", None) is not None else None


def _fleet(request: Request) -> FleetAdapter:
    """The fleet adapter serving this request.

    Raises:
        NotFound: the dashboard serves one scheduler, not a fleet.
    """
    adapter = fleet_adapter(request)
    if adapter is None:
        raise NotFound("This dashboard serves one scheduler, not a fleet.")
    return adapter


def _instances(request: Request) -> dict[str, Instance]:
    found: dict[str, Instance] = _fleet(request).instances
    return found


async def workers(request: Request) -> Response:
    """The fleet's instances, live first; 404 when the dashboard serves no fleet."""
    return await _workers(request, "fleet/workers.html", fragment=False)


async def workers_partial(request: Request) -> Response:
    """The Workers page's live region (204 while the poll's version is current)."""
    return await _workers(request, "fleet/_workers.html", fragment=True)


async def _workers(request: Request, template: str, fragment: bool) -> Response:
    rows = _fleet(request).worker_rows()
    # Heartbeats move no task (so not the adapter's version), but this page shows them.
    beats = repr([(r.instance.id, r.instance.status, r.instance.heartbeat_at) for r in rows])
    if (unchanged := track(request, "workers", {"beats": beats})) is not None:
        return unchanged
    return render(request, template, fragment=fragment, workers=rows, missed=MISSED_HEARTBEATS)


async def worker_forget(request: Request) -> Response:
    """POST: forget an unreachable or stopped worker (its tasks leave the list), audited;
    303 to the Workers page with what happened. 404 for an unknown one or without a fleet."""
    instance_id = request.path_params["instance_id"]
    if instance_id not in _instances(request):
        raise NotFound("There is no such worker.")
    form = await request.form()  # read and checked whole before acting
    key = (submission_id(form), "forget_worker", instance_id)
    outcome, _ = await dashboard(request).submissions.once(
        key, lambda: _forget(request, instance_id)
    )
    flash(request, outcome.level, outcome.text)
    return RedirectResponse(outcome.location)


async def _forget(request: Request, instance_id: str) -> Outcome:
    adapter = _fleet(request)
    location = request.url_for("workers")
    known = _instances(request).get(instance_id)
    name = known.name if known else instance_id
    try:
        instance: Instance = await asyncio.to_thread(adapter.forget, instance_id)
    except LookupError:
        return Outcome("error", f"Worker {name} is gone already.", location, False)
    except ActionFailed as exc:
        problem = await audit(request, "forget_worker", f"worker {name}", "failed", str(exc))
        text = f"Could not forget {name}: {exc}." + audit_problem(problem)
        return Outcome("error", text, location, False)
    message = f"Forgot worker {instance.name} ({instance.status}); its tasks left the list"
    problem = await audit(request, "forget_worker", f"worker {instance.name}", "ok", message)
    level = "warning" if problem else "success"
    return Outcome(level, message + "." + audit_problem(problem), location)


async def _worker_command(request: Request, verb: str) -> Response:
    adapter = _fleet(request)
    instance = adapter.instances.get(request.path_params["instance_id"])
    if instance is None:
        raise NotFound("There is no worker with this id.")
    act = adapter.pause_worker if verb == "pause" else adapter.resume_worker
    return await scheduler_command(
        request,
        verb,
        partial(act, instance.id),
        target=f"worker {instance.name}",
        what=f"the scheduler of {instance.name}",
        done="",
        location=request.url_for("workers"),
    )


async def worker_pause(request: Request) -> Response:
    """POST: pause one worker's scheduler (a command to it; its runs under way go on)."""
    return await _worker_command(request, "pause")


async def worker_resume(request: Request) -> Response:
    """POST: resume one worker's scheduler."""
    return await _worker_command(request, "resume")
