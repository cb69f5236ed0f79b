"""The Workers page: every instance of the fleet, live, unreachable or stopped; and forgetting
one that is not live."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from ..adapters.base import ActionFailed
from ..asgi.exceptions import NotFound
from ..asgi.request import Request
from ..asgi.responses import RedirectResponse, Response
from ..submissions import Outcome, submission_id
from ..views.common import audit, audit_problem, dashboard, flash, render

if TYPE_CHECKING:  # the fleet modules need the sql extra; this one is always imported
    from .db import Instance
from ..views.live import track

MISSED_HEARTBEATS = 3  # an instance silent for this many heartbeats is unreachable


def _fleet(request: Request) -> Any:
    """The fleet adapter serving this request.

    Raises:
        NotFound: the dashboard serves one scheduler, not a fleet.
    """
    adapter = dashboard(request).adapter
    if getattr(adapter, "instances", None) is None:
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
    found = _instances(request)
    order = {"live": 0, "unreachable": 1, "stopped": 2}
    shown = sorted(found.values(), key=lambda i: (order[i.status], i.name))
    # Heartbeats move no task (so not the adapter's version), but this page shows them.
    beats = repr([(i.id, i.status, i.heartbeat_at) for i in shown])
    if (unchanged := track(request, "workers", {"beats": beats})) is not None:
        return unchanged
    return render(request, template, fragment=fragment, instances=shown, missed=MISSED_HEARTBEATS)


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
