"""The Workers page: every instance of the fleet, live, unreachable or stopped."""

from __future__ import annotations

from ..asgi.exceptions import NotFound
from ..asgi.request import Request
from ..asgi.responses import Response
from ..views.common import dashboard, render

MISSED_HEARTBEATS = 3  # an instance silent for this many heartbeats is unreachable


async def workers(request: Request) -> Response:
    """The fleet's instances, live first; 404 when the dashboard serves no fleet."""
    adapter = dashboard(request).adapter
    found = getattr(adapter, "instances", None)
    if found is None:
        raise NotFound("This dashboard serves one scheduler, not a fleet.")
    order = {"live": 0, "unreachable": 1, "stopped": 2}
    shown = sorted(found.values(), key=lambda i: (order[i.status], i.name))
    return render(request, "fleet/workers.html", instances=shown, missed=MISSED_HEARTBEATS)
