"""The Workers page: every instance of the fleet, live, unreachable or stopped."""

from __future__ import annotations

from ..asgi.exceptions import NotFound
from ..asgi.request import Request
from ..asgi.responses import Response
from ..views.common import dashboard, render
from ..views.live import track

MISSED_HEARTBEATS = 3  # an instance silent for this many heartbeats is unreachable


async def workers(request: Request) -> Response:
    """The fleet's instances, live first; 404 when the dashboard serves no fleet."""
    return await _workers(request, "fleet/workers.html", fragment=False)


async def workers_partial(request: Request) -> Response:
    """The Workers page's live region (204 while the poll's version is current)."""
    return await _workers(request, "fleet/_workers.html", fragment=True)


async def _workers(request: Request, template: str, fragment: bool) -> Response:
    adapter = dashboard(request).adapter
    found = getattr(adapter, "instances", None)
    if found is None:
        raise NotFound("This dashboard serves one scheduler, not a fleet.")
    order = {"live": 0, "unreachable": 1, "stopped": 2}
    shown = sorted(found.values(), key=lambda i: (order[i.status], i.name))
    # Heartbeats move no task (so not the adapter's version), but this page shows them.
    beats = repr([(i.id, i.status, i.heartbeat_at) for i in shown])
    if (unchanged := track(request, "workers", {"beats": beats})) is not None:
        return unchanged
    return render(request, template, fragment=fragment, instances=shown, missed=MISSED_HEARTBEATS)
