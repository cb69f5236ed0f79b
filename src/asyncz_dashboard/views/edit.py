"""The task form: edit a task with a preview of the change, and create a task from the host's
allowlist (``AsynczAdmin(allowed_callables=...)``; off without it).

Both read the whole form and check it (``read_task_form``, then the adapter's
``preview_changes``) before anything acts: any invalid value is a 400 page with the message at
its field and the values as typed, and changes nothing. ``intent=preview`` shows what would
change and the next run times; ``intent=apply`` acts once per submission id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timezone
from typing import Any

from ..adapters.base import ActionFailed, TaskNotFound
from ..adapters.changes import ChangePreview, FormContext, InvalidChanges, Parsed, TaskForm
from ..adapters.changes import read_task_form as read_form
from ..asgi.exceptions import BadRequest, Forbidden, HTTPError, NotFound
from ..asgi.request import MultiDict, Request
from ..asgi.responses import RedirectResponse, Response
from ..auth import permissions as perm
from ..auth.gate import has_permission
from ..submissions import Outcome, submission_id
from .common import audit, audit_problem, dashboard, flash, render
from .tasks import task_detail

AUDIT_CHARS = 500  # per value in an audit entry's diff
NOT_RUNNING = "The scheduler is not running."

FIELDS = (
    ("name", "Name"),
    ("callable_path", "Callable"),
    ("args", "Args"),
    ("kwargs", "Kwargs"),
    ("executor", "Executor"),
    ("coalesce", "Coalesce"),
    ("max_instances", "Max instances"),
    ("misfire_grace_time", "Misfire grace time"),
    ("trigger", "Trigger"),
)


class Conflict(HTTPError):
    """409: the scheduler cannot take the change now (it is stopped)."""

    status = 409
    title = "Conflict"


@dataclass(frozen=True, slots=True)
class DiffRow:
    """One field of the preview: its label, its value now and after, and whether it changes."""

    label: str
    before: str
    after: str
    changed: bool


def shown(form: TaskForm, key: str) -> str:
    """A form field as the preview and the audit trail show it."""
    if key == "coalesce":
        return "yes" if form.coalesce else "no"
    if key == "misfire_grace_time":
        return f"{form.misfire_grace_time} s" if form.misfire_grace_time else "no limit"
    if key == "trigger":
        return f"{form.trigger_type}: {form.trigger_value}"
    return str(getattr(form, key))


def diff_rows(before: TaskForm, after: TaskForm, hidden: tuple[str, ...] = ()) -> list[DiffRow]:
    """Every field, before and after (``hidden`` fields left out)."""
    rows = []
    for key, label in FIELDS:
        if key not in hidden:
            old, new = shown(before, key), shown(after, key)
            rows.append(DiffRow(label, old, new, old != new))
    return rows


def _form_context(request: Request, creating: bool) -> FormContext:
    parts = dashboard(request)
    scheduler = parts.adapter.scheduler()
    return FormContext(
        tz=getattr(parts.adapter, "tz", timezone.utc),
        executors=scheduler.executors,
        stores=scheduler.stores,
        allowlist=parts.allowlist,
        creating=creating,
        show_args=parts.config.show_args,
    )


async def _check(
    request: Request, form: MultiDict, original: TaskForm, task_id: str | None
) -> tuple[Parsed, ChangePreview | None]:
    """Parse the form, then let the adapter check it: ``(parsed, preview or None on errors)``."""
    parsed = read_form(form, original, _form_context(request, creating=task_id is None))
    if parsed.errors:
        return parsed, None
    allowlist = dashboard(request).allowlist
    if "callable" in parsed.changes and allowlist is not None:
        parsed.changes["fn"] = allowlist.target(parsed.changes["callable"])
    try:
        return parsed, await dashboard(request).adapter.preview_changes(task_id, parsed.changes)
    except InvalidChanges as exc:
        parsed.errors.update(exc.errors)
        return parsed, None
    except TaskNotFound as exc:  # removed meanwhile
        raise NotFound(str(exc)) from exc


def _intent(form: MultiDict) -> str:
    intent = form.get("intent", "preview")
    if intent not in ("preview", "apply"):
        raise BadRequest("intent must be preview or apply.")
    return intent


# -- edit --------------------------------------------------------------------------------------
async def task_edit(request: Request) -> Response:
    """GET: the task's form. POST: preview (``intent=preview``, the default) or apply."""
    task_id = request.path_params["task_id"]
    original, page = _edit_page(request, task_id)
    if request.method != "POST":
        return render(request, "tasks/edit.html", form=original, errors={}, **page)
    form = await request.form()
    intent = _intent(form)
    parsed, preview = await _check(request, form, original, task_id)
    if preview is None:
        return _refused(request, "tasks/edit.html", parsed.form, parsed.errors, page)
    diff = diff_rows(original, parsed.form, _hidden(request))
    if intent == "preview" or not parsed.changes:
        return render(
            request, "tasks/edit.html", form=parsed.form, errors={}, diff=diff, preview=preview,
            nothing=not parsed.changes, **page,
        )  # fmt: skip
    key = (submission_id(form), "edit", task_id)
    try:
        outcome, _ = await dashboard(request).submissions.once(
            key, lambda: _apply_edit(request, task_id, parsed, diff)
        )
    except InvalidChanges as exc:
        return _refused(request, "tasks/edit.html", parsed.form, exc.errors, page)
    flash(request, outcome.level, outcome.text)
    return RedirectResponse(outcome.location)


def _edit_page(request: Request, task_id: str) -> tuple[TaskForm, dict[str, Any]]:
    """The task's current form values and what its page shows besides the form.

    Raises:
        Conflict: the scheduler is stopped (Asyncz then finds no task to edit).
        NotFound: no such task.
    """
    adapter = dashboard(request).adapter
    if adapter.scheduler().state == "stopped":
        raise Conflict(f"{NOT_RUNNING} Tasks can be edited once it runs.")
    try:
        task = adapter.get_task(task_id)
        original = adapter.task_form(task_id)
    except TaskNotFound as exc:
        raise NotFound(str(exc)) from exc
    except ActionFailed as exc:
        raise Conflict(f"{NOT_RUNNING} Tasks can be edited once it runs.") from exc
    allowlist = dashboard(request).allowlist
    page = _page(request, task=task, original=original)
    page["choices"] = allowlist.names() if allowlist else ()
    return original, page


def _refused(
    request: Request, template: str, form: TaskForm, errors: dict[str, str], page: dict[str, Any]
) -> Response:
    """The form again, as typed, with each message at its field: 400, nothing changed."""
    return render(request, template, 400, form=form, errors=errors, **page)


def _page(request: Request, **values: Any) -> dict[str, Any]:
    """What both form pages show besides the form: the executors and stores to choose from."""
    scheduler = dashboard(request).adapter.scheduler()
    return {"executors": scheduler.executors, "stores": scheduler.stores, **values}


def _hidden(request: Request) -> tuple[str, ...]:
    return () if dashboard(request).config.show_args else ("args", "kwargs")


async def _apply_edit(
    request: Request, task_id: str, parsed: Parsed, diff: list[DiffRow]
) -> Outcome:
    adapter = dashboard(request).adapter
    changed = {
        row.label.lower(): [row.before[:AUDIT_CHARS], row.after[:AUDIT_CHARS]]
        for row in diff
        if row.changed
    }
    location = request.url_for("task_detail", task_id=task_id)
    command: int | None = None  # a fleet command not confirmed yet: audited as pending
    try:
        after = await adapter.update_task(task_id, parsed.changes)
    except TaskNotFound:
        ok, message, location = (
            False,
            f"task '{task_id}' no longer exists",
            request.url_for("task_list"),
        )
    except ActionFailed as exc:
        ok, message = False, str(exc)
        command = getattr(exc, "command_id", None)
        location = request.url_for("task_edit", task_id=task_id)
    else:
        ok = True
        name = after.name if after else task_id
        message = f"Saved '{name}': {', '.join(changed) or 'nothing changed'}"
    outcome = "pending" if command is not None else "ok" if ok else "failed"
    problem = await audit(request, "edit", f"task {task_id}", outcome, message, changed, command)
    level = ("warning" if problem else "success") if ok else "error"
    text = message[0].upper() + message[1:] + "." + audit_problem(problem)
    return Outcome(level, text, location, ok)


# -- create ------------------------------------------------------------------------------------
async def task_create(request: Request) -> Response:
    """GET: the new-task form. POST: preview or create. Off (404) without an allowlist; a
    task whose id is ``create`` is then still shown here."""
    parts = dashboard(request)
    if not parts.allowlist:
        if request.method == "POST":
            raise NotFound("Creating tasks is not enabled on this dashboard.")
        request.path_params = {"task_id": "create"}
        return await task_detail(request)
    if not has_permission(request, perm.CREATE):
        raise Forbidden("You are not allowed to create tasks.")
    original = parts.adapter.new_task_form()
    page = _page(request, choices=parts.allowlist.names())
    if request.method != "POST":
        return render(request, "tasks/create.html", form=original, errors={}, **page)
    form = await request.form()
    intent = _intent(form)
    parsed, preview = await _check(request, form, original, None)
    if preview is None:
        return _refused(request, "tasks/create.html", parsed.form, parsed.errors, page)
    if intent == "preview":
        return render(
            request, "tasks/create.html", form=parsed.form, errors={}, preview=preview, **page
        )
    key = (submission_id(form), "create", str(parsed.changes.get("id", "")))
    try:
        outcome, _ = await parts.submissions.once(key, lambda: _apply_create(request, parsed))
    except InvalidChanges as exc:
        return _refused(request, "tasks/create.html", parsed.form, exc.errors, page)
    flash(request, outcome.level, outcome.text)
    return RedirectResponse(outcome.location)


async def _apply_create(request: Request, parsed: Parsed) -> Outcome:
    adapter = dashboard(request).adapter
    values = {label.lower(): ["", shown(parsed.form, key)[:AUDIT_CHARS]] for key, label in FIELDS}
    try:
        task = await adapter.add_task(parsed.changes)
    except ActionFailed as exc:
        message = str(exc)
        command = getattr(exc, "command_id", None)
        outcome = "pending" if command is not None else "failed"
        problem = await audit(request, "create", "task", outcome, message, values, command)
        return Outcome(
            "error", message + audit_problem(problem), request.url_for("task_create"), False
        )
    state = "paused" if task.state == "paused" else "scheduled"
    message = f"Created '{task.name}' ({state})"
    problem = await audit(request, "create", f"task {task.id}", "ok", message, values)
    level = "warning" if problem else "success"
    return Outcome(
        level,
        message + "." + audit_problem(problem),
        request.url_for("task_detail", task_id=task.id),
    )
