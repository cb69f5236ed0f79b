"""HTTP errors that carry their status and a detail that is safe to show to the user."""

from __future__ import annotations

from collections.abc import Iterable


class HTTPError(Exception):
    """An error answered with ``status`` and a user-safe ``detail`` text."""

    status = 500
    title = "Server error"

    def __init__(self, detail: str | None = None, *, headers: dict[str, str] | None = None):
        self.detail = detail or self.title
        self.headers = dict(headers or {})
        super().__init__(self.detail)


class BadRequest(HTTPError):
    """400: the request is malformed (broken form body, bad encoding)."""

    status = 400
    title = "Bad request"


class Forbidden(HTTPError):
    """403: refused, for example by the CSRF check."""

    status = 403
    title = "Forbidden"


class NotFound(HTTPError):
    """404: no route or no such task."""

    status = 404
    title = "Not found"


class MethodNotAllowed(HTTPError):
    """405: the path exists but not for this method; carries ``Allow`` (RFC 9110, 15.5.6)."""

    status = 405
    title = "Method not allowed"

    def __init__(self, allowed: Iterable[str]):
        allow = ", ".join(sorted(set(allowed)))
        super().__init__(f"Allowed methods: {allow}", headers={"Allow": allow})


class PayloadTooLarge(HTTPError):
    """413: the request body is larger than the configured limit (RFC 9110, 15.5.14)."""

    status = 413
    title = "Request body too large"
