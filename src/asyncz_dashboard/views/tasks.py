"""The task list, its htmx table fragment, the task detail page and the task actions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from ..adapters.base import ActionFailed, TaskNotFound
from ..adapters.snapshots import TaskSnapshot
from ..asgi.exceptions import Forbidden, NotFound
from ..asgi.request import Request
from ..asgi.responses import Response
from ..auth.gate import has_permission
from .common import dashboard, flash, list_query, redirect_back, render

REFRESH_TRIGGER_ID = "tasks-table"


def _table_context(request: Request, values: Mapping[str, str]) -> dict[str, Any]:
    adapter = dashboard(request).adapter
    page = adapter.list_tasks(list_query(values))
    executors, triggers = adapter.facets()
    return {"page": page, "query": page.query, "executors": executors, "triggers": triggers}


async def task_list(request: Request) -> Response:
    """The task list page: search, filters, sort and pagination, all in the URL."""
    context = _table_context(request, request.query)
    return render(request, "tasks/list.html", counts=dashboard(request).adapter.counts(), **context)


async def task_table(request: Request) -> Response:
    """The table fragment htmx swaps in (``outerHTML`` of ``#tasks-table``).

    Requests other than the periodic refresh push the full page's URL into the browser's
    history (``HX-Push-Url``), so Back and reload show the same list.
    """
    return _table_response(request, request.query)


def _table_response(request: Request, values: Mapping[str, str]) -> Response:
    context = _table_context(request, values)
    response = render(request, "tasks/_table.html", fragment=True, **context)
    if request.headers.get("hx-trigger") != REFRESH_TRIGGER_ID:
        query = list_query(values)
        response.headers["hx-push-url"] = request.url_for("task_list", query=query.params())
    return response


async def task_detail(request: Request) -> Response:
    """Every field of one task, its arguments and its actions."""
    try:
        task = dashboard(request).adapter.get_task(request.path_params["task_id"])
    except TaskNotFound as exc:
        raise NotFound(str(exc)) from exc
    return render(request, "tasks/detail.html", task=task, query=list_query(request.query))


Action = Callable[[str], Awaitable[object]]


def _action(request: Request, verb: str) -> tuple[Action, str]:
    adapter = dashboard(request).adapter
    actions: dict[str, tuple[Action, str]] = {
        "run": (adapter.run_task, "Started"),
        "pause": (adapter.pause_task, "Paused"),
        "resume": (adapter.resume_task, "Resumed"),
        "remove": (adapter.remove_task, "Removed"),
    }
    return actions[verb]


async def _apply(request: Request, verb: str, task_id: str) -> tuple[bool, str]:
    action, done = _action(request, verb)
    try:
        result = await action(task_id)
    except TaskNotFound:
        return False, f"task {task_id!r} no longer exists"
    except ActionFailed as exc:
        return False, str(exc)
    if verb == "resume" and result is None:
        return True, f"{done} {task_id!r}; its schedule had finished, so it was removed"
    name = result.name if isinstance(result, TaskSnapshot) else task_id
    return True, f"{done} {name!r}"


async def _answer(request: Request, task_id: str = "") -> Response:
    form = await request.form()
    query = list_query(form)
    target = form.get("return_to", "tasks")
    if request.is_htmx and target == "tasks":
        return _table_response(request, form)
    return redirect_back(request, target, query, task_id)


def _task_action(verb: str) -> Callable[[Request], Awaitable[Response]]:
    async def view(request: Request) -> Response:
        task_id = request.path_params["task_id"]
        ok, message = await _apply(request, verb, task_id)
        text = message[0].upper() + message[1:]
        flash(request, "success" if ok else "error", text if text.endswith(".") else text + ".")
        form = await request.form()
        if verb == "remove" and ok and form.get("return_to") == "detail":
            return redirect_back(request, "tasks", list_query(form))
        return await _answer(request, task_id)

    view.__name__ = f"task_{verb}"
    view.__doc__ = f"POST: {verb} one task, then flash the outcome and go back."
    return view


task_run = _task_action("run")
task_pause = _task_action("pause")
task_resume = _task_action("resume")
task_remove = _task_action("remove")

BULK_VERBS = {"run": "Ran", "pause": "Paused", "resume": "Resumed", "remove": "Removed"}


async def tasks_bulk(request: Request) -> Response:
    """POST: apply one action to the selected tasks; the message states how many."""
    form = await request.form()
    verb = form.get("action", "")
    task_ids = list(dict.fromkeys(form.getlist("task_id")))[:1000]
    if verb not in BULK_VERBS:
        flash(request, "error", "Choose an action: run, pause, resume or remove.")
    elif not has_permission(request, verb):
        raise Forbidden(f"You are not allowed to {verb} tasks.")
    elif not task_ids:
        flash(request, "info", "No tasks selected.")
    else:
        failures = []
        for task_id in task_ids:
            ok, message = await _apply(request, verb, task_id)
            if not ok:
                failures.append(message)
        done = len(task_ids) - len(failures)
        text = f"{BULK_VERBS[verb]} {done} of {len(task_ids)} selected task(s)."
        if failures:
            text += " Failed: " + "; ".join(failures[:5]) + ("…" if len(failures) > 5 else "")
        flash(request, "error" if failures else "success", text)
    return await _answer(request)
