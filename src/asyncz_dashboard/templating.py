"""The Jinja2 environment: package templates, autoescape everywhere, URL and time helpers."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, select_autoescape

from .adapters.describe import format_relative
from .asgi.csrf import csrf_token
from .asgi.request import Request
from .asgi.responses import HTMLResponse
from .asgi.static import StaticFiles
from .auth.gate import current_user, has_permission


def relative(moment: datetime | None, now: datetime | None = None) -> str:
    """A Jinja filter: ``"in 4 min"`` / ``"2 h ago"``; empty for None."""
    if moment is None:
        return ""
    return format_relative(moment, now or datetime.now(timezone.utc))


class Templates:
    """Renders package templates; a host may put overrides first with ``directory``.

    Args:
        static: the static files, for cache-busting asset URLs.
        globals: values every template can read (config, title, ...).
        directory: an optional folder of templates that override ours by name.
    """

    def __init__(self, static: StaticFiles, globals: dict[str, Any], directory: str | None = None):
        loaders: list[Any] = [PackageLoader("asyncz_dashboard", "templates")]
        if directory:
            loaders.insert(0, FileSystemLoader(directory))
        # Autoescape is on for every template, .html or not, partials included.
        self.env = Environment(
            loader=ChoiceLoader(loaders),
            autoescape=select_autoescape(default=True, default_for_string=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters["relative"] = relative
        self.env.globals.update(globals)
        self.static = static

    def render(
        self, request: Request, name: str, status: int = 200, **context: Any
    ) -> HTMLResponse:
        """Render template ``name`` for ``request`` into an HTML response."""
        flashes = request.session.pop("flash", []) if "flash" in request.session else []
        html = self.env.get_template(name).render(
            **self.request_context(request), flashes=flashes, **context
        )
        return HTMLResponse(html, status=status)

    def request_context(self, request: Request, now: datetime | None = None) -> dict[str, Any]:
        """What every template may read about ``request`` (URLs, token, user, permissions,
        ``now``: the current UTC time unless given); flash messages are left out, since
        reading them consumes them."""

        def static_url(path: str) -> str:
            return request.url_for("static", path=path) + f"?v={self.static.version(path)}"

        return {
            "request": request,
            "url_for": request.url_for,
            "static_url": static_url,
            "csrf_token": csrf_token(request),
            "now": now or datetime.now(timezone.utc),
            "user": current_user(request),
            "can": lambda permission: has_permission(request, permission),
        }

    def macros(self, request: Request, name: str, now: datetime | None = None) -> Any:
        """The module of template ``name`` (its macros as attributes) bound to ``request``'s
        context, for rendering parts of a page from Python (the row cache)."""
        return self.env.get_template(name).make_module(self.request_context(request, now))
