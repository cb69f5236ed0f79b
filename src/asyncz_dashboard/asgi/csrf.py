"""CSRF protection: a per-session token on every unsafe request plus a cross-site check.

The rule (see the brief): every POST needs the session's token, in the form field
``csrf_token`` or the ``X-CSRF-Token`` header htmx sends, AND is refused when ``Origin``
(RFC 6454) or ``Sec-Fetch-Site`` (Fetch Metadata, W3C) marks it as coming from another site.
A request without those headers (curl, tests) is judged by its token alone. The request's
own origin is its ``Host`` (from a trusted proxy: ``X-Forwarded-Host``/``-Proto``/``-Port``);
``allowed_origins`` adds more.
"""

from __future__ import annotations

import hmac
import secrets

from .exceptions import Forbidden
from .hosts import ALLOWED_ORIGINS_KEY, is_own_origin, origin_listed
from .request import Request
from .types import TRUSTED_PROXY_KEY

TOKEN_FIELD = "csrf_token"  # noqa: S105 (a field name, not a secret)
TOKEN_HEADER = "x-csrf-token"  # noqa: S105
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def csrf_token(request: Request) -> str:
    """The session's token, created (and the session marked changed) on first use."""
    token = request.session.get("csrf")
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def _cross_site(request: Request) -> bool:
    origin = request.headers.get("origin")
    listed: frozenset[str] = request.scope.get(ALLOWED_ORIGINS_KEY, frozenset())
    if origin is not None and origin_listed(origin, listed):
        return False  # an origin the operator named (its browser may say same-site)
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site.lower() not in ("same-origin", "none"):
        return True
    if origin is None:
        return False
    trusted = bool(request.scope.get(TRUSTED_PROXY_KEY))
    return not is_own_origin(origin, request.scope, trusted)


async def verify_csrf(request: Request) -> None:
    """Check an unsafe request.

    Raises:
        Forbidden: the request is cross-site or its token is missing or wrong.
        BadRequest / PayloadTooLarge: the body cannot be read or parsed (see ``Request.form``).
    """
    if request.method in SAFE_METHODS:
        return
    # The whole form is parsed first (the application already did), so a request whose token
    # is in the header but whose body is broken never gets past this point.
    form = await request.form()
    try:
        cross_site = _cross_site(request)
    except ValueError:
        # An Origin urlsplit cannot read ("http://[::1") is no proof of being same-site.
        cross_site = True
    if cross_site:
        raise Forbidden("Cross-site requests are refused.")
    expected = request.session.get("csrf")
    sent = request.headers.get(TOKEN_HEADER)
    if sent is None:
        sent = form.get(TOKEN_FIELD)
    if not isinstance(expected, str) or not expected or not sent:
        raise Forbidden("The form has expired or lacks its security token. Reload and retry.")
    if not hmac.compare_digest(expected.encode(), sent.encode("utf-8", "replace")):
        raise Forbidden("The form has expired or lacks its security token. Reload and retry.")
