"""What every view shares: the dashboard's parts, flash messages, the list state, errors."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from markupsafe import escape

from ..adapters.base import SchedulerAdapter
from ..adapters.snapshots import TaskQuery
from ..adapters.values import CallableAllowlist
from ..asgi.compression import accepts_gzip
from ..asgi.csrf import csrf_token
from ..asgi.exceptions import HTTPError
from ..asgi.request import Request, parse_query
from ..asgi.responses import HTMLResponse, JSONResponse, Response
from ..asgi.static import StaticFiles
from ..asgi.types import APP_KEY
from ..auth.gate import PERMISSIONS_KEY, Auth, current_user
from ..config import DashboardConfig
from ..recording import Outcomes, Recorder
from ..storage import Storages
from ..storage.base import AuditEntry
from ..storage.readers import readers_for
from ..submissions import Submissions, new_submission_id
from ..templating import Templates
from .pages import CSRF_MARK, SUBMISSION_MARK, CachedPage, PageCache
from .rows import RowCache

# Our own storage problems are logged here; the log handler never captures this logger.
storage_logger = logging.getLogger("asyncz_dashboard.storage")

# The live version ``views.live.track`` computed for this request, put on the page's live region.
LIVE_VERSION_KEY = "asyncz_dashboard.live_version"

LIST_FIELDS = (
    "q",
    "state",
    "executor",
    "trigger",
    "worker",
    "sort",
    "direction",
    "page",
    "per_page",
)


@dataclass(frozen=True)
class Dashboard:
    """The parts a view reads: the adapter, the templates, the config and static files."""

    adapter: SchedulerAdapter
    templates: Templates
    config: DashboardConfig
    static: StaticFiles
    auth: Auth
    recorder: Recorder
    storages: Storages
    submissions: Submissions = field(default_factory=Submissions)
    allowlist: CallableAllowlist | None = None  # what tasks may be created with (None: off)
    rows: RowCache = field(default_factory=RowCache)
    pages: PageCache = field(default_factory=PageCache)

    @property
    def outcomes(self) -> Outcomes:
        """Each task's last run and the tasks failing now: the adapter's when it follows
        runs recorded elsewhere (a fleet's workers), else the local recorder's."""
        followed: Outcomes | None = getattr(self.adapter, "outcomes", None)
        return followed if followed is not None else self.recorder.outcomes


def dashboard(request: Request) -> Dashboard:
    """The ``Dashboard`` serving this request."""
    state: Dashboard = request.scope[APP_KEY].state
    return state


def render(request: Request, template: str, status: int = 200, **context: Any) -> Response:
    """Render ``template`` with the dashboard's globals, the scheduler's state (for the
    paused/stopped banner) and zone (every shown time is in it), the live version of the
    page (``live_version``, "" when the view tracked none) and a fresh ``submission_id`` for
    the action forms it holds."""
    parts = dashboard(request)
    scheduler = parts.adapter.scheduler()
    context.setdefault("scheduler_state", scheduler.state)
    context.setdefault("zone_name", scheduler.timezone)
    context.setdefault("live_version", request.scope.get(LIVE_VERSION_KEY, ""))
    context.setdefault("submission_id", new_submission_id())
    return parts.templates.render(request, template, status=status, **context)


def page_key(request: Request, template: str) -> tuple[Hashable, ...] | None:
    """Everything ``template`` rendered for ``request`` depends on, beyond its CSRF token and
    submission id: the live version, the scheduler's snapshot (executors and stores can be
    added without a task changing), the prefix, the viewer and their permissions. None when
    the page must not be cached (no live version computed for this request, or a flash message
    waiting)."""
    version = request.scope.get(LIVE_VERSION_KEY)
    if not version or "flash" in request.session:
        return None
    user = current_user(request)
    viewer = (user.id, user.name, tuple(sorted(user.extra.items()))) if user else None
    permissions = frozenset(request.scope.get(PERMISSIONS_KEY, ()))
    scheduler = dashboard(request).adapter.scheduler()
    return (template, version, scheduler, request.prefix, viewer, permissions)


def cached_response(request: Request, template: str) -> Response | None:
    """The page cache's answer for ``template`` when it holds one for this request (see
    ``render_cached``), else None: a view with reads to await asks this first."""
    key = page_key(request, template)
    page = dashboard(request).pages.get(key) if key is not None else None
    return _serve(request, page) if page is not None else None


def render_cached(
    request: Request,
    template: str,
    context: Callable[[], dict[str, Any]],
    *,
    cacheable: bool = True,
    fragment: bool = False,
) -> Response:
    """``render(request, template, fragment=fragment, **context())``, from the page cache
    (``views.pages``): rendered once per ``page_key``, with this request's CSRF token and a
    fresh submission id put in.

    The live version must have been computed for this request (``views.live.track`` or
    ``remember``) and must cover everything the context shows; ``context`` is only called
    when the page is rendered. With ``cacheable`` False, or no key, this is a plain render.
    """
    key = page_key(request, template) if cacheable else None
    if key is None:
        return render(request, template, fragment=fragment, **context())
    pages = dashboard(request).pages
    page = pages.get(key)
    if page is None:
        marked = render(
            request,
            template,
            fragment=fragment,
            csrf_token=CSRF_MARK,
            submission_id=SUBMISSION_MARK,
            **context(),
        )
        page = CachedPage.split(marked.body.decode("utf-8"), marked.status)
        pages.put(key, page)
    return _serve(request, page)


def _serve(request: Request, page: CachedPage) -> Response:
    values = {
        "csrf": str(escape(csrf_token(request))).encode("ascii", "replace"),
        "submission": new_submission_id().encode("ascii"),
    }
    gzip = request.method != "HEAD" and accepts_gzip(request.headers.get("accept-encoding", ""))
    response = HTMLResponse(page.gzip(values) if gzip else page.body(values), status=page.status)
    # The compression middleware leaves an encoded body alone: say what it would have said.
    response.headers["vary"] = "Accept-Encoding"
    if gzip:
        response.headers["content-encoding"] = "gzip"
    return response


FLASH_KEEP = 3  # messages queued at most (the newest)
FLASH_CHARS = 300  # per message, as read
FLASH_BYTES = 700  # per message, as it is encoded in the cookie


def _cookie_bytes(char: str) -> int:
    """What one character costs in the session cookie's JSON: ``\\uXXXX`` escapes for all
    but printable ASCII (``;`` too: the codec escapes it), twice that beyond the BMP."""
    if " " <= char <= "~" and char not in '"\\;':
        return 1
    return 12 if ord(char) > 0xFFFF else 6


def bounded_flash_text(text: str, chars: int = FLASH_CHARS, budget: int = FLASH_BYTES) -> str:
    """``text``, or its start and "…" when it is longer than ``chars`` or would take more than
    ``budget`` bytes of cookie (a task name or an error message can be any length; the cookie
    must stay under the browsers' 4 KB)."""
    if len(text) > chars:
        text = text[: chars - 1].rstrip() + "…"
    used = fits = 0
    for index, char in enumerate(text):
        used += _cookie_bytes(char)
        if used > budget:
            return text[:fits].rstrip() + "…"
        if used <= budget - _cookie_bytes("…"):
            fits = index + 1
    return text


def unconfirmed(form: Mapping[str, str]) -> bool:
    """Whether a POST asks to be confirmed and was not: its form carries the ``confirmed``
    field (which dashboard.js marks ``yes`` once its dialog is answered OK) unmarked, as a
    browser without script sends it. Such a POST is shown a confirmation page and changes
    nothing; a POST without the field (curl, tests) acts."""
    return "confirmed" in form and form.get("confirmed") != "yes"


def flash(request: Request, level: str, text: str) -> None:
    """Queue a message (``level``: success, error, info) for the next page rendered.

    At most ``FLASH_KEEP`` messages are kept, each cut to ``FLASH_BYTES`` of cookie, so the
    signed session cookie stays well under 4 KB whatever a task is called.
    """
    messages = list(request.session.get("flash", []))[-(FLASH_KEEP - 1) :]
    messages.append({"level": level, "text": bounded_flash_text(text)})
    request.session["flash"] = messages


def list_query(values: Any) -> TaskQuery:
    """The task-list state from URL or form values (untrusted; never raises)."""
    return TaskQuery.from_params({k: values[k] for k in LIST_FIELDS if k in values})


def request_list_query(request: Request) -> TaskQuery:
    """``list_query(request.query)``, parsed once per distinct query string (live polls ask
    with the same one every few seconds; a ``TaskQuery`` is immutable, so it is shared).

    Raises:
        BadRequest: more than 500 query parameters.
    """
    return _list_query_of(bytes(request.scope.get("query_string", b"")))


@functools.lru_cache(maxsize=512)
def _list_query_of(raw: bytes) -> TaskQuery:
    return list_query(parse_query(raw))


def back_url(request: Request, target: str, query: TaskQuery, task_id: str = "") -> str:
    """The page an action came from, keeping the list state (no open redirect: the target is a
    route name from a fixed set, never a URL from the request)."""
    params = query.params()
    if target == "detail" and task_id:
        return request.url_for("task_detail", query=params, task_id=task_id)
    if target == "overview":
        return request.url_for("overview")
    return request.url_for("task_list", query=params)


async def audit(
    request: Request,
    action: str,
    target: str,
    outcome: str,
    message: str = "",
    changes: dict[str, list[str]] | None = None,
    command: int | None = None,
) -> str:
    """Record an action of the current user (``anonymous`` when login is off), durably: the
    entry is stored (off the event loop) before this returns. Returns "" once stored, else
    the reason it could not be (masked and short, safe to show); never raises.

    ``command``: the fleet command (its id) this entry records as ``pending``; the entry is
    linked to it and takes its outcome once the worker reports one (``Commands.settle``)."""
    user = current_user(request)
    parts = dashboard(request)
    recorder = parts.recorder
    if command is not None and callable(getattr(parts.storages.audit, "add_one", None)):
        return await _audit_command(request, command, action, target, message, changes)
    write = functools.partial(
        recorder.audit,
        user=user.name if user else "anonymous",
        action=action,
        target=target,
        outcome=outcome,
        message=message,
        changes=changes,
    )
    try:
        # In the audit storage's own pool, with its deadline (``storage_timeout`` for SQL): a
        # hung database delays an action's answer by that much at most, never hangs it.
        await readers_for(parts.storages.audit.add).run(write)
    except Exception as exc:
        return _not_stored(recorder, exc, action, target)
    return ""


def _not_stored(recorder: Recorder, exc: Exception, action: str, target: str) -> str:
    """Log an audit entry that could not be stored; the reason, masked and short."""
    reason = recorder.redactor.mask_text((str(exc) or type(exc).__name__)[:500])[:200]
    storage_logger.warning("Audit entry not stored (%s on %s): %s", action, target, reason)
    return reason.rstrip(".")


async def _audit_command(
    request: Request,
    command: int,
    action: str,
    target: str,
    message: str,
    changes: dict[str, list[str]] | None,
) -> str:
    """``audit`` for a fleet command still pending: the entry, then its link to the command."""
    user = current_user(request)
    parts = dashboard(request)
    storage: Any = parts.storages.audit
    entry = AuditEntry(
        created=datetime.now(timezone.utc),
        user=user.name if user else "anonymous",
        action=action,
        target=target,
        outcome="pending",
        message=parts.recorder.redactor.mask_text(message, 1000),
        changes=changes or {},
    )

    def write() -> None:
        entry_id = storage.add_one(entry)
        link = getattr(parts.adapter, "link_audit", None)
        if callable(link):
            link(command, entry_id)

    try:
        await readers_for(storage.add_one).run(write)
    except Exception as exc:
        return _not_stored(parts.recorder, exc, action, target)
    return ""


def audit_problem(problem: str) -> str:
    """The sentence an answer adds when its audit entry could not be stored ("" if it was)."""
    return f" The audit record could not be saved: {problem}." if problem else ""


def render_error(request: Request, exc: HTTPError) -> Response:
    """The themed error page, a JSON body for clients that ask for JSON, or for htmx the
    detail alone as plain text (the page shows it in its alert region; htmx swaps nothing
    on an error status)."""
    accept = request.headers.get("accept", "")
    if "application/json" in accept and "text/html" not in accept:
        return JSONResponse({"error": exc.title, "detail": exc.detail}, status=exc.status)
    if request.is_htmx:
        return Response(exc.detail, status=exc.status)
    return render(request, "error.html", status=exc.status, error=exc)
