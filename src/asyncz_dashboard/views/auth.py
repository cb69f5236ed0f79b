"""The login and logout pages."""

from __future__ import annotations

from jinja2 import TemplateNotFound

from ..asgi.proxy import client_address
from ..asgi.request import Request
from ..asgi.responses import RedirectResponse, Response
from ..auth.gate import safe_next, start_session
from ..auth.throttle import address_key
from .common import dashboard, render

REFUSED = "Invalid username or password."
LOGIN_TEMPLATE = "login.html"


def _client_key(request: Request) -> str:
    """The throttle key of the client's address: behind trusted proxies, the rightmost
    X-Forwarded-For hop they did not add (the entries left of it are the client's own
    writing, so rotating them changes nothing)."""
    trusted = dashboard(request).config.trusted_forwarded_hosts
    return address_key(client_address(request.scope, trusted))


def _template(request: Request) -> str:
    """The login page's template: the backend's ``login_template`` when there is one by that
    name (``template_directory`` first; rendered with our context), else ours."""
    parts = dashboard(request)
    name = getattr(parts.auth.backend, "login_template", None)
    if not isinstance(name, str) or not name or name == LOGIN_TEMPLATE:
        return LOGIN_TEMPLATE
    try:
        parts.templates.env.get_template(name)
    except TemplateNotFound:
        return LOGIN_TEMPLATE
    return name


async def login(request: Request) -> Response:
    """GET: the login form. POST: check the credentials, start a fresh session, go to
    ``next`` when it is a path inside the dashboard (else the overview)."""
    auth = dashboard(request).auth
    if not auth.enabled or auth.backend is None:
        return RedirectResponse(request.url_for("overview"))
    if request.method != "POST":
        target = safe_next(request, request.query.get("next"))
        if await auth.current_user(request) is not None:
            return RedirectResponse(target)
        return render(
            request, _template(request), next=target, signed_out="signed_out" in request.query
        )
    form = await request.form()
    target = safe_next(request, form.get("next"))
    if not auth.backend.uses_login_form:
        return render(request, _template(request), status=400, next=target)
    username = form.get("username", "").strip()[:200]
    password = form.get("password", "")[:1000]
    keys = [f"user:{username.lower()}", _client_key(request)]
    wait = auth.throttle.retry_after(keys)
    if wait:
        response = render(
            request,
            _template(request),
            status=429,
            next=target,
            username=username,
            error=f"Too many failed attempts. Try again in {wait} seconds.",
        )
        response.headers["retry-after"] = str(wait)
        return response
    user = await auth.backend.login(request, username, password) if username else None
    if user is None:
        auth.throttle.failure(keys)
        return render(
            request, _template(request), status=400, next=target, username=username, error=REFUSED
        )
    auth.throttle.success(keys)
    start_session(request, user)
    return RedirectResponse(target)


async def logout(request: Request) -> Response:
    """POST: end the session on the server (a copied cookie stops working) and delete the
    cookie with the Path and Domain it was set with."""
    session_id = request.session.get("sid")
    if isinstance(session_id, str):
        await dashboard(request).auth.revoked.revoke(session_id)
    request.session.clear()
    return RedirectResponse(request.url_for("login", query={"signed_out": "1"}))
