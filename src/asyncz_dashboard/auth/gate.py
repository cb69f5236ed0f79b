"""The gate in front of every view: who is asking and may they do this.

Only routes marked public (static assets, health, the login page) are served without a user.
Pages redirect (303) to the login page with ``next``; htmx requests get 401 with
``HX-Redirect`` so the login page is never swapped into a fragment.
"""

from __future__ import annotations

import posixpath
import secrets
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from ..asgi.exceptions import Forbidden
from ..asgi.request import Request
from ..asgi.responses import RedirectResponse, Response
from ..asgi.routing import Route
from .backends import AuthBackend, User
from .permissions import ALL_PERMISSIONS, PermissionsHook, resolve_permissions
from .revocation import RevokedSessions
from .throttle import LoginThrottle

USER_KEY = "asyncz_dashboard.user"
PERMISSIONS_KEY = "asyncz_dashboard.permissions"
# Who the request being served acts for (the audit trail's name: the user's, or "anonymous"
# when login is off), set by the gate: a fleet command records it as ``requested_by``.
ACTING_USER: ContextVar[str] = ContextVar("asyncz_dashboard_acting_user", default="dashboard")


@dataclass
class Auth:
    """The dashboard's login settings, built by ``AsynczAdmin``.

    Args:
        enabled: False serves everyone (with ``read_only`` and ``permissions`` still applied).
        backend: who signs users in.
        permissions: maps a user to permission names; None grants everything.
        read_only: caps everyone to viewing.
        throttle: login brute-force protection.
        revoked: session ids ended by logout.
        supported: what the scheduler adapter can do at all (its capabilities).
    """

    enabled: bool
    backend: AuthBackend | None
    permissions: PermissionsHook | None
    read_only: bool
    throttle: LoginThrottle
    revoked: RevokedSessions
    supported: frozenset[str] = frozenset(ALL_PERMISSIONS)

    async def current_user(self, request: Request) -> User | None:
        """The user of this request, from the backend or the signed session."""
        if not self.enabled or self.backend is None:
            return None
        user = await self.backend.authenticate(request)
        if user is not None:
            return user
        data = request.session.get("user")
        session_id = request.session.get("sid")
        if not isinstance(data, dict) or not isinstance(session_id, str):
            return None
        if session_id in self.revoked:
            request.session.clear()
            return None
        extra: dict[str, Any] = data.get("extra") or {}
        if not isinstance(extra, dict):
            extra = {}
        return User(id=str(data.get("id", "")), name=str(data.get("name", "")), **extra)

    async def gate(self, request: Request, route: Route) -> Response | None:
        """Run before every view: sign-in and permission checks.

        Raises:
            Forbidden: the user lacks the route's permission (403, nothing changed).
        """
        user = await self.current_user(request)
        request.scope[USER_KEY] = user
        ACTING_USER.set(user.name if user else "anonymous")
        granted = resolve_permissions(user, self.permissions, self.read_only)
        request.scope[PERMISSIONS_KEY] = granted & self.supported
        if route.public:
            return None
        if self.enabled and user is None:
            return login_redirect(request)
        if route.permission and route.permission not in request.scope[PERMISSIONS_KEY]:
            raise Forbidden("You are not allowed to do this.")
        return None


def start_session(request: Request, user: User) -> None:
    """A fresh session for ``user``: new session id and CSRF token (no session fixation)."""
    request.session.clear()
    extra = {k: v for k, v in user.extra.items() if isinstance(v, (str, int, float, bool))}
    request.session.update(
        {
            "sid": secrets.token_urlsafe(24),
            "user": {"id": user.id, "name": user.name, "extra": extra},
            "csrf": secrets.token_urlsafe(32),
        }
    )


def current_user(request: Request) -> User | None:
    """The user the gate found for this request."""
    user: Any = request.scope.get(USER_KEY)
    return user if isinstance(user, User) else None


def has_permission(request: Request, name: str) -> bool:
    """True when the current user may do ``name`` (``run``, ``pause``, ...)."""
    return name in request.scope.get(PERMISSIONS_KEY, frozenset())


# An htmx fragment's own URL is no page to come back to: return to the page it belongs to.
FRAGMENT_PAGES = {
    "task_table": "task_list",
    "overview_partial": "overview",
    "runs_table": "runs",
    "logs_table": "logs",
    "events_table": "events",
    "audit_table": "audit",
}


def _return_target(request: Request) -> str:
    if request.is_htmx and request.headers.get("hx-current-url"):
        return request.headers["hx-current-url"]
    if request.method not in ("GET", "HEAD"):
        # Never come back to an action URL (a GET there is a 405): go to the page it came from.
        return request.headers.get("referer", "")
    route = request.scope.get("asyncz_dashboard.route")
    name = getattr(route, "name", "")
    if name in FRAGMENT_PAGES:
        target = request.url_for(FRAGMENT_PAGES[name])
    else:
        target = request.prefix + (request.scope.get("asyncz_dashboard.route_path") or "/")
    query = request.scope.get("query_string", b"").decode("latin-1")
    return target + (f"?{query}" if query else "")


def login_redirect(request: Request) -> Response:
    """Send an anonymous request to the login page, coming back to where it was going:
    303 for pages and forms, 401 with ``HX-Redirect`` for htmx (never swapped into a table)."""
    login = request.url_for("login", query={"next": safe_next(request, _return_target(request))})
    if request.is_htmx:
        return Response(b"", status=401, headers={"hx-redirect": login})
    return RedirectResponse(login)


def safe_next(request: Request, candidate: str | None) -> str:
    """``candidate`` when it is a path inside the dashboard, else the overview's URL.

    Refuses absolute URLs, scheme-relative ``//host``, backslashes (``/\\host``), control
    characters and whitespace, encoded variants of all of these, and paths of the host app
    outside the dashboard prefix (including ``..`` tricks).
    """
    try:
        return _checked_next(request, candidate)
    except ValueError:
        # urlsplit refuses some text outright ("http://[::1", an unclosed IPv6 literal).
        return request.url_for("overview")


def _checked_next(request: Request, candidate: str | None) -> str:
    home = request.url_for("overview")
    if not candidate or len(candidate) > 2000:
        return home
    if urlsplit(candidate).netloc:
        # An absolute URL of our own origin is reduced to its path.
        parts = urlsplit(candidate)
        if parts.netloc.lower() != request.headers.get("host", "").lower():
            return home
        candidate = parts.path + (f"?{parts.query}" if parts.query else "")
    decoded = candidate
    for _ in range(3):
        decoded = unquote(decoded)
    if any(ch in decoded for ch in "\\\r\n\t\x00") or decoded != decoded.strip():
        return home
    if any(ord(ch) < 32 or ch == " " for ch in decoded.split("?", 1)[0]):
        return home
    if not candidate.startswith("/") or candidate.startswith("//"):
        return home
    if decoded.startswith("//") or urlsplit(decoded).scheme or urlsplit(decoded).netloc:
        return home
    path = urlsplit(decoded).path
    normalised = posixpath.normpath(path) + ("/" if path.endswith("/") else "")
    prefix = unquote(request.prefix)
    if prefix and not (normalised == prefix or normalised.startswith(prefix + "/")):
        return home
    if not prefix and normalised != path.rstrip("/") and normalised != path:
        return home
    return quote(candidate, safe="/?=&%:@!$'()*+,;-._~")
