"""The task list, its htmx table fragment, the task detail page and the task actions."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from ..adapters.base import ActionFailed, TaskNotFound
from ..adapters.snapshots import TaskSnapshot
from ..asgi.exceptions import BadRequest, Forbidden, NotFound
from ..asgi.request import MultiDict, Request
from ..asgi.responses import JSONResponse, RedirectResponse, Response
from ..auth.gate import has_permission
from ..storage.base import LogFilter
from ..submissions import Outcome, new_submission_id, submission_id
from .common import (
    audit,
    audit_problem,
    back_url,
    dashboard,
    flash,
    list_query,
    render,
    render_cached,
    request_list_query,
    unconfirmed,
)
from .history import read
from .live import remember, track
from .rows import ROW_ACTIONS

REFRESH_TRIGGER_ID = "tasks-table"
RECENT_RUNS = 30  # runs drawn in a task's chart
RECENT_LOGS = 20  # log records on a task's page
UPCOMING_RUNS = 10  # next run times on a task's page
BULK_LIMIT = 1000  # tasks one bulk action acts on at most (ticked, or all matching the filter)


def _table_context(
    request: Request, values: Mapping[str, str], keep: tuple[str, ...] | None = None
) -> dict[str, Any]:
    """The table's context; with ``keep`` (the ids a page showed), that page's rows in their
    order, each as it is now (see ``_in_place``), with the list's current totals."""
    parts = dashboard(request)
    adapter = parts.adapter
    page = adapter.list_tasks(list_query(values))
    if keep is not None:
        shown = (_snapshot_or_none(adapter, task_id) for task_id in keep)
        page = dataclasses.replace(page, items=tuple(t for t in shown if t is not None))
    executors, triggers = adapter.facets()
    params = tuple(page.query.params().items())
    any_action = any(has_permission(request, action) for action in ROW_ACTIONS)
    cache = parts.rows
    return {
        "table_head": cache.part(
            request,
            parts.templates,
            "table_head",
            (params, any_action),
            page.query,
            any_action,
            zone_name=str(adapter.scheduler().timezone),
        ),
        "pager": cache.part(
            request,
            parts.templates,
            "pager",
            (params, page.page, page.pages, page.per_page),
            page.query,
            page,
        ),
        "page": page,
        "query": page.query,
        "counts": adapter.counts(),  # the heading's count (out of band in the fragment)
        "executors": executors,
        "triggers": triggers,
        "rows": parts.rows.render(
            request,
            parts.templates,
            page.items,
            parts.outcomes.last_runs,
            {t.id: n for t in page.items if (n := adapter.running_instances(t.id))},
            adapter.scheduler().timezone,
        ),
        "bulk_limit": BULK_LIMIT,
    }


async def task_list(request: Request) -> Response:
    """The task list page: search, filters, sort and pagination, all in the URL."""
    if (unchanged := track(request, "tasks", request_list_query(request).params())) is not None:
        return unchanged
    counts = dashboard(request).adapter.counts()
    # "Loading N tasks" can change its N without a new version: rendered each time.
    return render_cached(
        request,
        "tasks/list.html",
        lambda: _table_context(request, request.query),
        cacheable=counts.loading is None,
    )


async def task_table(request: Request) -> Response:
    """The table fragment htmx swaps in (``outerHTML`` of ``#tasks-table``).

    Requests other than the periodic refresh push the full page's URL into the browser's
    history (``HX-Push-Url``), so Back and reload show the same list. A poll whose version
    is current gets 204.
    """
    if (unchanged := track(request, "tasks", request_list_query(request).params())) is not None:
        return unchanged
    return _table_response(request, request.query)


def _table_response(
    request: Request, values: Mapping[str, str], keep: tuple[str, ...] | None = None
) -> Response:
    remember(request, "tasks", list_query(values).params())
    response = render_cached(
        request,
        "tasks/_table.html",
        lambda: _table_context(request, values, keep),
        # A page kept in place after an action shows its own rows: never shared.
        cacheable=keep is None and dashboard(request).adapter.counts().loading is None,
        fragment=True,
    )
    if request.headers.get("hx-trigger") != REFRESH_TRIGGER_ID:
        url = request.url_for("task_list", query=list_query(values).params())
        response.headers[_history_header(request, url)] = url
    return response


def _history_header(request: Request, url: str) -> str:
    """``hx-replace-url`` for a search's keystrokes after its first (controls.js says so with
    ``X-Dashboard-History: replace``) or when the URL would not change, so a search is one
    history entry and Back is not one step per keystroke; else ``hx-push-url`` (a search's
    first keystroke, a submit, a filter, a sort, a page)."""
    try:
        current = urlsplit(request.headers.get("hx-current-url", ""))
    except ValueError:  # an untrusted header: no URL, no comparison
        current = urlsplit("")
    shown = current.path + ("?" + current.query if current.query else "")
    replace = request.headers.get("x-dashboard-history") == "replace" or (
        unquote(shown) == unquote(url)
    )
    return "hx-replace-url" if replace else "hx-push-url"


async def task_detail(request: Request) -> Response:
    """Every field of one task, its arguments and its actions."""
    return await _detail(request, "tasks/detail.html", fragment=False)


async def task_detail_partial(request: Request) -> Response:
    """The task page's live region (204 while the poll's version is current); its URL carries
    the list state (the poll's Referer is the task page, not the list)."""
    return await _detail(request, "tasks/_detail.html", fragment=True)


async def _detail(request: Request, template: str, fragment: bool) -> Response:
    task_id = request.path_params["task_id"]
    query = list_query(_list_state(request))
    if (unchanged := track(request, "task", {**query.params(), " id": task_id})) is not None:
        return unchanged
    try:
        task = dashboard(request).adapter.get_task(task_id)
    except TaskNotFound as exc:
        raise NotFound(str(exc)) from exc
    parts = dashboard(request)
    runs, unavailable = await read(parts.storages.runs.recent_for_tasks, [task.id], RECENT_RUNS)
    logs, logs_unavailable = await read(
        parts.storages.logs.query, LogFilter(task_id=task.id, limit=RECENT_LOGS)
    )
    try:
        upcoming = await parts.adapter.preview_runs(task.id, UPCOMING_RUNS)
    except TaskNotFound as exc:
        raise NotFound(str(exc)) from exc
    return render(
        request,
        template,
        fragment=fragment,
        task=task,
        query=query,
        runs=(runs or {}).get(task.id, []),
        history_unavailable=unavailable,
        running=parts.adapter.running_instances(task.id),
        upcoming=upcoming,
        logs=logs or [],
        logs_unavailable=logs_unavailable,
    )


def _list_state(request: Request) -> Mapping[str, str]:
    """The task list's state for the detail page's way back: its own query when it has one,
    else the query of the list page it was opened from (the ``Referer``, same-origin only by
    our ``Referrer-Policy``), so rows can link to ``/tasks/{id}`` without the list's query and
    stay cacheable."""
    if request.query:
        return request.query
    referer = request.headers.get("referer", "")
    try:
        parts = urlsplit(referer)
    except ValueError:
        return {}
    if unquote(parts.path) != unquote(request.url_for("task_list")):
        return {}
    return dict(parse_qsl(parts.query))


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


async def _apply(request: Request, verb: str, task_id: str) -> tuple[bool, str, str]:
    """Carry out one action, record it in the audit trail (durably), and say how it went:
    ``(ok, message, audit problem or "")``."""
    adapter = dashboard(request).adapter
    action, done = _action(request, verb)
    before = _snapshot_or_none(adapter, task_id)
    after: object = None
    command: int | None = None  # a fleet command not confirmed yet: audited as pending
    try:
        after = await action(task_id)
    except TaskNotFound:
        ok, message = False, _not_found(adapter, task_id)
    except ActionFailed as exc:
        ok, message = False, str(exc)
        command = getattr(exc, "command_id", None)
    else:
        ok = True
        name = after.name if isinstance(after, TaskSnapshot) else before.name if before else task_id
        message = f"{done} '{name}'"
        if verb == "resume" and after is None:
            message = f"{done} '{task_id}'; its schedule had finished, so it was removed"
        elif verb == "run" and isinstance(after, TaskSnapshot) and _one_off_used(before, after):
            message += (
                f"; a one-off task is paused after its run: resume it to run it again at "
                f"{after.one_off_run_at_text} (at once if that time has passed)"
            )
    if command is not None:
        problem = await audit(request, verb, f"task {task_id}", "pending", message, command=command)
    else:
        problem = await _audit(request, verb, task_id, ok, message, before, after if ok else before)
    return ok, message, problem


def _not_found(adapter: Any, task_id: str) -> str:
    """Why there is no task ``task_id`` to act on: it was removed (the dashboard knew it), or
    there never was one that the dashboard saw (a mistyped or made-up id)."""
    known = getattr(adapter, "known_task", None)
    if known is not None and known(task_id) is None:
        return f"there is no task with id '{task_id}'"
    return f"task '{task_id}' no longer exists"


def _one_off_used(before: TaskSnapshot | None, after: TaskSnapshot) -> bool:
    return (
        after.one_off_run_at is not None
        and after.state == "paused"
        and (before is None or before.state != "paused")
    )


def _snapshot_or_none(adapter: Any, task_id: str) -> TaskSnapshot | None:
    try:
        snapshot: TaskSnapshot = adapter.get_task(task_id)
    except TaskNotFound:
        return None
    return snapshot


async def _audit(
    request: Request,
    verb: str,
    task_id: str,
    ok: bool,
    message: str,
    before: TaskSnapshot | None,
    after: object,
) -> str:
    changes: dict[str, list[str]] = {}
    if ok and before is not None:
        new = after if isinstance(after, TaskSnapshot) else None
        old_fields = {"state": before.state, "next_run_time": before.next_run_text}
        new_fields = {
            "state": new.state if new else "removed",
            "next_run_time": new.next_run_text if new else "",
        }
        changes = {
            k: [old_fields[k], new_fields[k]] for k in old_fields if old_fields[k] != new_fields[k]
        }
    return await audit(request, verb, f"task {task_id}", "ok" if ok else "failed", message, changes)


def _respond(
    request: Request, form: MultiDict, outcome: Outcome, shown: tuple[str, ...] | None = None
) -> Response:
    """Flash the outcome, then answer: the table fragment for htmx on the list, else 303.

    ``shown``: the ids the list's page showed before a row action (run, pause, resume) and the
    id acted on last; when that task now sorts elsewhere, the answer keeps the page as it was,
    the row updated in place under the operator's cursor, and the message says where it went
    (the next change to the list redraws it in order)."""
    keep = None
    text = outcome.text
    if shown is not None and outcome.ok:
        keep, note = _in_place(request, form, shown)
        text += note
    flash(request, outcome.level, text)
    if request.is_htmx and form.get("return_to", "tasks") == "tasks":
        return _table_response(request, form, keep)
    return RedirectResponse(outcome.location)


def _in_place(
    request: Request, form: MultiDict, shown: tuple[str, ...]
) -> tuple[tuple[str, ...] | None, str]:
    """``(ids to keep in place, note for the message)`` after a row action on the task
    ``shown[-1]`` (``shown[:-1]``: the page before it); ``(None, "")`` when the task kept its
    place, or is gone."""
    *before, task_id = shown
    adapter = dashboard(request).adapter
    query = list_query(form)
    now = [t.id for t in adapter.list_tasks(query).items]
    task = _snapshot_or_none(adapter, task_id)
    if task is None or task_id not in before:
        return None, ""
    if task_id in now and now.index(task_id) == before.index(task_id):
        return None, ""
    if query.state and task.state != query.state:
        where = f"It is {task.state} now, so it no longer matches the State filter"
    elif query.sort == "next_run_time" and task.next_run_time is None:
        where = "It has no next run now, so it sorts last by next run"
    elif task_id in now:
        where = "It now sorts elsewhere on this page"
    else:
        where = "It now sorts on another page"
    return tuple(before), f" {where}; the row stays here until the list is next redrawn."


def _level(ok: bool, problem: str) -> str:
    return ("warning" if problem else "success") if ok else "error"


def _task_action(verb: str) -> Callable[[Request], Awaitable[Response]]:
    async def act(request: Request, form: MultiDict, task_id: str) -> Outcome:
        ok, message, problem = await _apply(request, verb, task_id)
        text = message[0].upper() + message[1:]
        text = (text if text.endswith(".") else text + ".") + audit_problem(problem)
        target = form.get("return_to", "tasks")
        if verb == "remove" and ok and target == "detail":
            target = "tasks"  # the task's page is gone
        location = back_url(request, target, list_query(form), task_id)
        return Outcome(_level(ok, problem), text, location, ok)

    async def view(request: Request) -> Response:
        task_id = request.path_params["task_id"]
        if request.method != "POST":
            return _confirmation(request, verb, task_id)
        form = await request.form()  # the whole request is read and checked before acting
        return await _act_once(request, verb, task_id, form, act)

    view.__name__ = f"task_{verb}"
    view.__doc__ = (
        f"POST: {verb} one task (once per submission id), flash the outcome and go back; an "
        "unconfirmed POST of an action that asks first (``_asks``) is sent to the confirmation "
        "page instead. GET (run, resume, remove): that confirmation page; it changes nothing."
    )
    ACTS[verb] = act
    return view


ACTS: dict[str, Callable[[Request, MultiDict, str], Awaitable[Outcome]]] = {}


async def _act_once(
    request: Request,
    verb: str,
    task_id: str,
    form: MultiDict,
    act: Callable[[Request, MultiDict, str], Awaitable[Outcome]],
) -> Response:
    """``verb`` on ``task_id`` from a read form, as ``/tasks/{id}/{verb}`` and ``/tasks/act``
    both do it: an unconfirmed form of an action that asks goes to the confirmation page;
    else the action runs once per (submission id, verb, task id) and the answer follows."""
    key = (submission_id(form), verb, task_id)
    if unconfirmed(form):
        task = _snapshot_or_none(dashboard(request).adapter, task_id)
        if task is not None and _asks(verb, task):
            return _to_confirmation(request, verb, form, key[0], task_id)
    shown = None
    if verb != "remove" and request.is_htmx and form.get("return_to", "tasks") == "tasks":
        page = dashboard(request).adapter.list_tasks(list_query(form))
        shown = (*(t.id for t in page.items), task_id)
    outcome, _ = await dashboard(request).submissions.once(key, lambda: act(request, form, task_id))
    return _respond(request, form, outcome, shown)


async def tasks_act(request: Request) -> Response:
    """POST: a row's button on the task list: the form names one verb (``run``, ``pause``,
    ``resume`` or ``remove``) whose value is the task id (``pause=<id>``); it is carried out
    exactly as ``POST /tasks/{id}/{verb}`` would (confirmation, once per submission id,
    the same answer).

    Raises:
        BadRequest: no verb, more than one, or an empty task id.
        Forbidden: the user may not do that verb.
    """
    form = await request.form()
    verbs = [verb for verb in ROW_ACTIONS if verb in form]
    if len(verbs) != 1:
        raise BadRequest(
            "Name one action: run, pause, resume or remove, with the task id as its value."
            if not verbs
            else f"Name one action, not {len(verbs)}: {', '.join(verbs)}."
        )
    verb = verbs[0]
    values = form.getlist(verb)
    if len(values) != 1 or not values[0]:
        raise BadRequest(f"Name one task to {verb}: {verb}=<task id>.")
    if not has_permission(request, verb):
        raise Forbidden(f"You are not allowed to {verb} tasks.")
    return await _act_once(request, verb, values[0], form, ACTS[verb])


def _asks(verb: str, task: TaskSnapshot) -> bool:
    """Whether ``verb`` on ``task`` asks for confirmation before it acts, as its buttons do
    (tasks/_questions.html): remove always; run and resume a one-off task that they would
    consume or re-arm."""
    if verb == "remove":
        return True
    if verb == "run":
        return task.one_off_run_at is not None and task.state != "paused"
    return verb == "resume" and task.one_off_run_at is not None


def _return_to(values: Mapping[str, str]) -> str:
    return "detail" if values.get("return_to") == "detail" else "tasks"


def _to_confirmation(
    request: Request, verb: str, form: MultiDict, sid: str, task_id: str
) -> Response:
    """Send an unconfirmed POST (script off) to the GET confirmation page, with the list's
    state, where it came from and its submission id; htmx (which asks itself, so this is a
    form whose task changed since the page was drawn) goes there as a whole page."""
    params = {**list_query(form).params(), "return_to": _return_to(form)}
    if sid:
        params["submission_id"] = sid
    url = request.url_for(f"task_{verb}", task_id=task_id, query=params)
    if request.is_htmx:
        return Response(b"", status=200, headers={"hx-redirect": url})
    return RedirectResponse(url)


def _confirmation(request: Request, verb: str, task_id: str) -> Response:
    """The confirmation page of ``verb`` on one task (404 when there is no such task); its
    form is confirmed and carries the list's state, ``return_to`` and the submission id from
    the query (a fresh one when there is none)."""
    try:
        task = dashboard(request).adapter.get_task(task_id)
    except TaskNotFound as exc:
        raise NotFound(str(exc)) from exc
    query = list_query(request.query)
    target = _return_to(request.query)
    return render(
        request,
        "tasks/confirm.html",
        verb=verb,
        task=task,
        action=request.url_for(f"task_{verb}", task_id=task_id),
        fields=[("return_to", target), *query.params().items()],
        cancel=back_url(request, target, query, task_id),
        submission_id=submission_id(request.query) or new_submission_id(),
    )


task_run = _task_action("run")
task_pause = _task_action("pause")
task_resume = _task_action("resume")
task_remove = _task_action("remove")

BULK_VERBS = {"run": "Ran", "pause": "Paused", "resume": "Resumed", "remove": "Removed"}


def _matching(request: Request, form: MultiDict) -> tuple[list[str], int]:
    """The ids of the tasks that match the list's filter now (``select=all``), in the list's
    order, at most ``BULK_LIMIT``, and how many match in all."""
    query = dataclasses.replace(list_query(form), page=1, per_page=BULK_LIMIT)
    page = dashboard(request).adapter.list_tasks(query)
    return [task.id for task in page.items], page.total


def _fingerprint(values: list[str]) -> str:
    return hashlib.sha256("\x00".join(values).encode()).hexdigest()


async def _bulk(
    request: Request, form: MultiDict, verb: str, task_ids: list[str], noun: str = "selected"
) -> Outcome:
    failures, problems = [], []
    adapter = dashboard(request).adapter
    already = 0  # pause/resume: tasks already in the state asked for, left as they are
    for task_id in task_ids:
        if verb in ("pause", "resume") and (task := _snapshot_or_none(adapter, task_id)):
            if (task.state == "paused") == (verb == "pause"):
                already += 1
                continue
        ok, message, problem = await _apply(request, verb, task_id)
        if not ok:
            failures.append(message)
        if problem:
            problems.append(problem)
    done = len(task_ids) - len(failures) - already
    text = f"{BULK_VERBS[verb]} {done} of {len(task_ids)} {noun} task(s)."
    if already:
        were = "was" if already == 1 else "were"
        text += (
            f" {already} {were} already paused."
            if verb == "pause"
            else f" {already} {were} not paused, so there was nothing to resume."
        )
    if failures:
        text += " Failed: " + "; ".join(failures[:5]) + ("…" if len(failures) > 5 else "")
    if problems:
        text += f" The audit record could not be saved for {len(problems)} of them: {problems[0]}."
    level = "error" if failures else _level(True, problems[0] if problems else "")
    return Outcome(level, text, back_url(request, "tasks", list_query(form)), not failures)


async def tasks_bulk(request: Request) -> Response:
    """POST: apply one action to the ticked tasks, or with ``select=all`` to every task that
    matches the list's filter (``q``, ``state``, ``executor``, ``trigger``) when the POST
    arrives, at most ``BULK_LIMIT``; once per submission id and selection. The message states
    how many."""
    form = await request.form()
    verb = form.get("action", "")
    every = form.get("select", "") == "all"
    task_ids = [] if every else list(dict.fromkeys(form.getlist("task_id")))[:BULK_LIMIT]
    if verb in BULK_VERBS and not has_permission(request, verb):
        raise Forbidden(f"You are not allowed to {verb} tasks.")
    sid = submission_id(form)
    location = back_url(request, "tasks", list_query(form))
    if not every and not task_ids:
        # Nothing ticked (or an empty form, F24: a multipart body that is only its closing
        # boundary): nothing is done, and the answer says why.
        return _nothing_selected(request, form)
    if verb not in BULK_VERBS:
        text = "Choose an action: run, pause, resume or remove."
        return _respond(request, form, Outcome("error", text, location, False))
    if unconfirmed(form):
        asked = _bulk_confirmation(request, form, verb, None if every else task_ids)
        if asked is not None:
            return asked
    if every:
        # The filter, not the ids it resolves to, is the selection: a repeated submission must
        # be recognised even though acting changed which tasks match (a paused filter).
        query = list_query(form)
        selection = "all:" + _fingerprint([query.q, query.state, query.executor, query.trigger])
    else:
        # The selection is part of the key: the same page may act again on other tasks.
        selection = _fingerprint(sorted(task_ids))
    outcome, _ = await dashboard(request).submissions.once(
        (sid, f"bulk-{verb}", selection),
        lambda: _bulk_selection(request, form, verb, None if every else task_ids),
    )
    return _respond(request, form, outcome)


NOTHING_SELECTED = "Select at least one task."


def _nothing_selected(request: Request, form: MultiDict) -> Response:
    """400 for a bulk action with no task ticked: the reason as JSON when asked for, as text
    for htmx (dashboard.js shows it), else the task list as it was (the form's list state)
    with the reason as its message."""
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"error": NOTHING_SELECTED}, status=400)
    if request.is_htmx:
        return Response(NOTHING_SELECTED, status=400)
    flash(request, "error", NOTHING_SELECTED)
    remember(request, "tasks", list_query(form).params())
    return render(request, "tasks/list.html", status=400, **_table_context(request, form))


CONFIRM_NAMES = 10  # task names a bulk confirmation lists (the rest as "…and N more")


def _bulk_confirmation(
    request: Request, form: MultiDict, verb: str, task_ids: list[str] | None
) -> Response | None:
    """The confirmation page of a bulk action sent unconfirmed (script off), in answer to the
    POST itself (a selection can be too long for a URL): it names the count and up to
    ``CONFIRM_NAMES`` tasks, and its confirmed form carries the same selection (ticked ids,
    or ``select=all`` with the count it names as ``matching``), the list's state and the
    submission id. None when there is nothing to confirm (no task, or more than
    ``BULK_LIMIT`` match): the action itself then says so and changes nothing."""
    adapter = dashboard(request).adapter
    fields: list[tuple[str, str]] = [("action", verb), ("return_to", "tasks")]
    every = task_ids is None
    if task_ids is None:
        task_ids, total = _matching(request, form)
        if not task_ids or total > BULK_LIMIT:
            return None
        fields += [("select", "all"), ("matching", str(total))]
    else:
        fields += [("task_id", task_id) for task_id in task_ids]
    query = list_query(form)
    shown = (_snapshot_or_none(adapter, task_id) for task_id in task_ids[:CONFIRM_NAMES])
    return render(
        request,
        "tasks/confirm.html",
        verb=verb,
        task=None,
        every=every,
        count=len(task_ids),
        names=[t.name if t else task_id for t, task_id in zip(shown, task_ids, strict=False)],
        query=query,
        action=request.url_for("tasks_bulk"),
        fields=[*fields, *query.params().items()],
        cancel=back_url(request, "tasks", query),
        submission_id=submission_id(form) or new_submission_id(),
    )


async def _bulk_selection(
    request: Request, form: MultiDict, verb: str, task_ids: list[str] | None
) -> Outcome:
    """Act on ``task_ids``, or when None (``select=all``) on the tasks matching the filter
    now; refused whole when more match than ``BULK_LIMIT`` or than the form's ``matching``
    count (what the confirmation named)."""
    if task_ids is not None:
        return await _bulk(request, form, verb, task_ids)
    location = back_url(request, "tasks", list_query(form))
    matching, total = _matching(request, form)
    shown = form.get("matching", "")
    if shown.isascii() and shown.isdigit() and len(shown) < 10 and total > int(shown):
        # More than the confirmation named (tasks were added or changed since the page was
        # drawn): acting would touch tasks the operator never agreed to.
        text = (
            f"{total} tasks match this filter now, more than the {int(shown)} you confirmed. "
            "Nothing was changed: check the list and try again."
        )
        return Outcome("error", text, location, False)
    if total > BULK_LIMIT:
        text = (
            f"{total} tasks match this filter; a bulk action acts on at most {BULK_LIMIT}. "
            "Nothing was changed: narrow the filter and try again."
        )
        return Outcome("error", text, location, False)
    if not matching:
        return Outcome(
            "info", "No tasks match this filter any more; nothing was changed.", location
        )
    return await _bulk(request, form, verb, matching, noun="matching")
