"""Responses: HTML, JSON, redirects and bytes, each able to send itself over ASGI."""

from __future__ import annotations

import json
from typing import Any

from .types import Receive, Scope, Send


class Response:
    """A complete HTTP response held in memory.

    Args:
        body: the body as text (encoded UTF-8) or bytes.
        status: the HTTP status code.
        headers: extra headers; names are case-insensitive, later ``set_cookie`` calls add more.
        media_type: the ``Content-Type``; ``charset=utf-8`` is added for text types.
    """

    media_type = "text/plain"

    def __init__(
        self,
        body: str | bytes = b"",
        status: int = 200,
        headers: dict[str, str] | None = None,
        media_type: str | None = None,
    ):
        self.body = body.encode("utf-8") if isinstance(body, str) else body
        self.status = status
        self.headers: dict[str, str] = {k.lower(): v for k, v in (headers or {}).items()}
        self.cookies: list[str] = []
        media_type = media_type or self.media_type
        if media_type.startswith("text/") and "charset" not in media_type:
            media_type += "; charset=utf-8"
        self.headers.setdefault("content-type", media_type)

    def set_cookie(self, header_value: str) -> None:
        """Add one ``Set-Cookie`` header (RFC 6265, 4.1), already formatted."""
        self.cookies.append(header_value)

    def raw_headers(self) -> list[tuple[bytes, bytes]]:
        """The headers as ASGI expects them, with ``content-length`` (none on 204 and 304,
        which have no body: RFC 9110, 8.6)."""
        headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in self.headers.items()]
        if self.status not in (204, 304):
            headers.append((b"content-length", str(len(self.body)).encode()))
        headers.extend((b"set-cookie", c.encode("latin-1")) for c in self.cookies)
        return headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": self.status, "headers": self.raw_headers()}
        )
        body = b"" if scope.get("method") == "HEAD" else self.body
        await send({"type": "http.response.body", "body": body})


class NoContent(Response):
    """204 No Content: no body, no ``Content-Type``."""

    def __init__(self, headers: dict[str, str] | None = None):
        super().__init__(b"", status=204, headers=headers)
        del self.headers["content-type"]


class HTMLResponse(Response):
    """A ``text/html`` response."""

    media_type = "text/html"


class JSONResponse(Response):
    """A JSON response; ``content`` must be JSON-serialisable (datetimes become strings)."""

    media_type = "application/json"

    def __init__(self, content: Any, status: int = 200, headers: dict[str, str] | None = None):
        body = json.dumps(content, default=str, ensure_ascii=False, separators=(",", ":"))
        super().__init__(body, status=status, headers=headers)


class RedirectResponse(Response):
    """A redirect, 303 See Other by default (RFC 9110, 15.4.4): the browser follows with GET."""

    def __init__(self, location: str, status: int = 303, headers: dict[str, str] | None = None):
        super().__init__(b"", status=status, headers={**(headers or {}), "location": location})
