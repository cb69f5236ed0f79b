"""The ASGI application: lifespan, sessions, CSRF, routing, errors and security headers."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from .csrf import SAFE_METHODS, verify_csrf
from .exceptions import HTTPError, NotFound
from .proxy import external_prefix, is_trusted, route_raw_path
from .request import Request
from .responses import HTMLResponse, RedirectResponse, Response
from .routing import Route, Router
from .security import add_security_headers
from .sessions import SessionCodec
from .types import APP_KEY, PREFIX_KEY, SESSION_KEY, TRUSTED_PROXY_KEY, Receive, Scope, Send

logger = logging.getLogger("asyncz_dashboard")

Hook = Callable[[], Awaitable[None] | None]
ErrorRenderer = Callable[[Request, HTTPError], Response]
Gate = Callable[[Request, Route], Awaitable[Response | None]]


class Application:
    """A complete ASGI 3 app over a ``Router``.

    Args:
        router: the route table.
        sessions: signs and reads the session cookie.
        render_error: builds the page (or JSON) for an ``HTTPError``.
        body_limit: the largest request body accepted, in bytes (413 above it).
        trusted_hosts: proxy addresses or CIDR ranges whose ``X-Forwarded-Prefix`` is honoured.
        on_startup / on_shutdown: hooks run on the ASGI lifespan events (sync or async).
        gate: an optional check run before every view (login); a response it returns is sent
            instead of the view's.
    """

    def __init__(
        self,
        router: Router,
        *,
        sessions: SessionCodec,
        render_error: ErrorRenderer,
        body_limit: int,
        trusted_hosts: Sequence[str] = (),
        on_startup: Sequence[Hook] = (),
        on_shutdown: Sequence[Hook] = (),
        gate: Gate | None = None,
    ):
        self.router = router
        self.sessions = sessions
        self.render_error = render_error
        self.body_limit = body_limit
        self.trusted_hosts = tuple(trusted_hosts)
        self.on_startup = list(on_startup)
        self.on_shutdown = list(on_shutdown)
        self.gate = gate
        self.state: Any = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1000})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        """Acknowledge startup and shutdown (ASGI lifespan spec 2.0); failures carry a message."""
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await _run_hooks(self.on_startup)
                except Exception as exc:
                    logger.exception("Dashboard startup failed")
                    reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                    await send({"type": "lifespan.startup.failed", "message": reason})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                try:
                    await _run_hooks(self.on_shutdown)
                except Exception as exc:
                    logger.exception("Dashboard shutdown failed")
                    await send({"type": "lifespan.shutdown.failed", "message": str(exc) or "?"})
                    return
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope[APP_KEY] = self
        scope[PREFIX_KEY] = external_prefix(scope, self.trusted_hosts)
        scope[TRUSTED_PROXY_KEY] = is_trusted(scope.get("client"), self.trusted_hosts)
        request = Request(scope, receive, body_limit=self.body_limit)
        session = self.sessions.load(request.cookies.get(self.sessions.settings.name))
        loaded = dict(session)
        scope[SESSION_KEY] = session
        try:
            response = await self._dispatch(request)
        except HTTPError as exc:
            response = self._error_response(request, exc)
        except Exception:
            logger.exception("Unhandled error on %s %s", scope.get("method"), scope.get("path"))
            response = HTMLResponse(
                "<!doctype html><title>Server error</title><h1>Server error</h1>"
                "<p>The dashboard hit an unexpected error. It has been logged.</p>",
                status=500,
            )
            add_security_headers(response.headers)
            await response(scope, receive, send)
            raise
        if session != loaded:
            response.set_cookie(self.sessions.dump(session))
        # Pages show live scheduler state: never serve them from a cache (Back re-fetches).
        response.headers.setdefault("cache-control", "no-store")
        add_security_headers(response.headers)
        await response(scope, receive, send)

    async def _dispatch(self, request: Request) -> Response:
        raw_path = route_raw_path(request.scope)
        if raw_path is None:
            raise NotFound("There is no page at this address.")
        if raw_path != "/" and raw_path.endswith("/") and request.method in ("GET", "HEAD"):
            # One trailing-slash policy: routes have none; a slash-suffixed GET is redirected.
            # Leading slashes and backslashes collapse to one "/", so "//evil.test/" at the root
            # never becomes the scheme-relative "Location: //evil.test" (an open redirect).
            location = request.prefix + "/" + raw_path.lstrip("/\\").rstrip("/")
            query = request.scope.get("query_string", b"").decode("latin-1")
            return RedirectResponse(location + (f"?{query}" if query else ""), status=308)
        route, params = self.router.resolve(request.method, raw_path)
        request.path_params = params
        request.scope["asyncz_dashboard.route"] = route
        request.scope["asyncz_dashboard.route_path"] = raw_path
        if self.gate is not None:
            refused = await self.gate(request, route)
            if refused is not None:
                return refused
        if request.method not in SAFE_METHODS:
            # Read and parse the whole body before the token check and the view: a body that
            # cannot be parsed is a 400 before anything acts, whichever way the token came.
            await request.form()
        await verify_csrf(request)
        return await route.endpoint(request)

    def _error_response(self, request: Request, exc: HTTPError) -> Response:
        try:
            response = self.render_error(request, exc)
        except Exception:
            logger.exception("Error page failed to render")
            response = Response(exc.detail, status=exc.status)
        response.headers.update({k.lower(): v for k, v in exc.headers.items()})
        return response


async def _run_hooks(hooks: Sequence[Hook]) -> None:
    for hook in hooks:
        result: Any = hook()
        if inspect.isawaitable(result):
            await result
