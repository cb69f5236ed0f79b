"""Live pages: a cheap version of what a page shows, and 204 for a poll that already shows it.

A live region (``data-live`` = its fragment URL, ``data-version`` = this version) is polled by
dashboard.js with the header ``X-Dashboard-Version``. The version is computed from counters,
never from rendered HTML: the task index's and the history writer's change counters, the
scheduler's state and zone, who is asking (user and permission set) and what they asked for (the
page and its normalised parameters). When the client's version is current and no flash message
waits, the answer is 204 No Content before any template runs (htmx-style clients swap nothing on
204), so an unchanged refresh costs almost nothing and touches no DOM.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from collections.abc import Mapping

from ..asgi.request import Request
from ..asgi.responses import NoContent, Response
from ..auth.gate import PERMISSIONS_KEY, current_user
from ..recording.writer import KINDS
from .common import LIVE_VERSION_KEY, dashboard

VERSION_HEADER = "x-dashboard-version"
# The history kinds each page shows (the writer's counters it follows); others follow all.
PAGE_HISTORY: dict[str, tuple[str, ...]] = {
    "tasks": ("runs",),  # the Last run column
    "overview": ("runs",),  # recent runs, failing now
    "runs": ("runs",),
    "logs": ("logs",),
    "events": ("events",),
    "audit": ("audit",),
}
# Counters restart with the process: this token keeps a version from before a restart from
# matching one after it.
_BOOT = secrets.token_hex(8)


def page_version(request: Request, page: str, params: Mapping[str, object] | None = None) -> str:
    """The live version of ``page`` (a name shared by the page and its fragment) with its
    normalised ``params``, for the current viewer: 16 hex digits. Costs no pass over tasks or
    history; it changes whenever anything the page shows may have changed (it may also change
    when nothing visible did: that only costs one refresh)."""
    parts = dashboard(request)
    scheduler = parts.adapter.scheduler()
    user = current_user(request)
    key = (
        _BOOT,
        parts.adapter.version(),
        parts.recorder.writer.version_of(PAGE_HISTORY.get(page, KINDS)),
        scheduler.state,
        scheduler.timezone,
        scheduler.index_built_at if scheduler.index_refresh_interval else None,
        tuple(sorted(request.scope.get(PERMISSIONS_KEY, ()))),
        user.id if user else "",
        page,
        tuple(sorted((str(k), str(v)) for k, v in (params or {}).items())),
    )
    return _digest(key)


@functools.lru_cache(maxsize=1024)
def _digest(key: tuple[object, ...]) -> str:
    # One hash per distinct state, not per poll: polls of an unchanged page hit the cache.
    return hashlib.blake2b(repr(key).encode(), digest_size=8).hexdigest()


def remember(request: Request, page: str, params: Mapping[str, object] | None = None) -> str:
    """Compute ``page``'s live version and keep it for this request: ``render`` puts it on
    the page's live region as ``live_version``."""
    version = page_version(request, page, params)
    request.scope[LIVE_VERSION_KEY] = version
    return version


def track(
    request: Request, page: str, params: Mapping[str, object] | None = None
) -> Response | None:
    """``remember`` the live version, then answer 204 No Content, with no body, when the
    request carries that version in ``X-Dashboard-Version`` and no flash message is pending;
    else None (the view renders)."""
    version = remember(request, page, params)
    if request.headers.get(VERSION_HEADER) == version and "flash" not in request.session:
        return NoContent()
    return None
