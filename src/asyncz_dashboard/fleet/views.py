"""The Workers page (every instance of the fleet, live, unreachable or stopped) and pausing or
resuming one worker's scheduler."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from ..asgi.exceptions import NotFound
from ..asgi.request import Request
from ..asgi.responses import Response
from ..views.common import dashboard, render
from ..views.overview import scheduler_command

if TYPE_CHECKING:
    from .adapter import FleetAdapter

MISSED_HEARTBEATS = 3  # an instance silent for this many heartbeats is unreachable


def fleet_adapter(request: Request) -> FleetAdapter | None:
    """The dashboard's fleet adapter, or None when it serves one scheduler."""
    adapter: Any = dashboard(request).adapter
    return adapter if getattr(adapter, "instances", None) is not None else None


async def workers(request: Request) -> Response:
    """The fleet's instances, live first; 404 when the dashboard serves no fleet."""
    adapter = fleet_adapter(request)
    if adapter is None:
        raise NotFound("This dashboard serves one scheduler, not a fleet.")
    rows = adapter.worker_rows()
    return render(request, "fleet/workers.html", workers=rows, missed=MISSED_HEARTBEATS)


async def _worker_command(request: Request, verb: str) -> Response:
    adapter = fleet_adapter(request)
    if adapter is None:
        raise NotFound("This dashboard serves one scheduler, not a fleet.")
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
