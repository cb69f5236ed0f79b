"""The HTTP request: query, headers, cookies, a size-limited body and form parsing."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cached_property
from typing import Any
from urllib.parse import parse_qsl, urlencode

import python_multipart
from python_multipart.multipart import parse_options_header

from .exceptions import BadRequest, PayloadTooLarge
from .types import APP_KEY, PREFIX_KEY, SESSION_KEY, Receive, Scope

DEFAULT_BODY_LIMIT = 1024 * 1024  # bytes; the brief's default request body limit (1 MiB)


class MultiDict(Mapping[str, str]):
    """An immutable multi-valued mapping: ``d[key]`` is the last value, ``getlist`` all of them."""

    def __init__(self, items: list[tuple[str, str]] | None = None):
        self._items = list(items or [])
        self._last = dict(self._items)

    def __getitem__(self, key: str) -> str:
        return self._last[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._last)

    def __len__(self) -> int:
        return len(self._last)

    def getlist(self, key: str) -> list[str]:
        """All values given for ``key``, in the order they were sent."""
        return [value for name, value in self._items if name == key]


def parse_cookies(header: str) -> dict[str, str]:
    """Parse a ``Cookie`` header leniently (RFC 6265, 5.4); malformed pairs are skipped."""
    cookies: dict[str, str] = {}
    for chunk in header.split(";"):
        name, sep, value = chunk.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name:
            continue
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        cookies.setdefault(name, value)
    return cookies


def parse_query(raw: bytes) -> MultiDict:
    """Query string parameters; undecodable bytes are replaced, never an error.

    Raises:
        BadRequest: more than 500 parameters.
    """
    try:
        pairs = parse_qsl(
            raw.decode("latin-1"), keep_blank_values=True, errors="replace", max_num_fields=500
        )
    except ValueError as exc:
        raise BadRequest("Too many query parameters.") from exc
    return MultiDict(pairs)


class Request:
    """One HTTP request as seen by a view.

    Args:
        scope: the ASGI HTTP connection scope (ASGI spec, "HTTP Connection Scope").
        receive: the ASGI receive callable.
        body_limit: the largest body accepted, in bytes; a larger one raises ``PayloadTooLarge``.
    """

    def __init__(self, scope: Scope, receive: Receive, *, body_limit: int = DEFAULT_BODY_LIMIT):
        self.scope = scope
        self._receive = receive
        self.body_limit = body_limit
        self._body: bytes | None = None
        self._form: MultiDict | None = None
        self.path_params: dict[str, str] = scope.get("path_params", {})

    @property
    def method(self) -> str:
        """The request method, upper case."""
        return str(self.scope["method"]).upper()

    @cached_property
    def headers(self) -> dict[str, str]:
        """Request headers with lower-case names; repeated headers are joined with ``, ``."""
        headers: dict[str, str] = {}
        for raw_name, raw_value in self.scope.get("headers", []):
            name = raw_name.decode("latin-1").lower()
            value = raw_value.decode("latin-1")
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        return headers

    @cached_property
    def query(self) -> MultiDict:
        """The query string parameters; see ``parse_query``."""
        return parse_query(self.scope.get("query_string", b""))

    @cached_property
    def cookies(self) -> dict[str, str]:
        """Cookies sent by the browser."""
        return parse_cookies(self.headers.get("cookie", ""))

    @property
    def session(self) -> dict[str, Any]:
        """The dashboard's session (see ``asgi.sessions``); empty when there is none."""
        session: dict[str, Any] = self.scope.setdefault(SESSION_KEY, {})
        return session

    @property
    def prefix(self) -> str:
        """The external URL prefix of the dashboard (forwarded prefix + ``root_path``)."""
        return str(self.scope.get(PREFIX_KEY, ""))

    def url_for(self, name: str, query: Any = None, **params: str) -> str:
        """The external URL of route ``name`` with ``params``, prefix included exactly once.

        Args:
            name: a route name from the route table.
            query: optional query parameters (a mapping or list of pairs), urlencoded.
            params: the route's path parameters, percent-encoded here.
        Raises:
            KeyError: for an unknown route name.
        """
        url = self.prefix + str(self.scope[APP_KEY].router.url_path_for(name, **params))
        if query:
            url += "?" + urlencode(query, doseq=True)
        return url

    @property
    def is_htmx(self) -> bool:
        """True when htmx sent the request (``HX-Request: true``)."""
        return self.headers.get("hx-request", "").lower() == "true"

    async def body(self) -> bytes:
        """The whole body, at most ``body_limit`` bytes.

        Raises:
            PayloadTooLarge: when ``Content-Length`` or the bytes received exceed the limit;
                the limit is checked before the body is read, so a huge upload is not buffered.
            BadRequest: the client disconnected before the body was complete, or
                ``Content-Length`` is not a number.
        """
        if self._body is not None:
            return self._body
        if _declared_length(self.headers.get("content-length")) > self.body_limit:
            raise PayloadTooLarge(f"The request body is larger than {self.body_limit} bytes.")
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await self._receive()
            if message["type"] == "http.disconnect":
                # A truncated body must not be acted on (half a bulk action is worse than none).
                raise BadRequest("The client disconnected before sending the whole body.")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.body_limit:
                raise PayloadTooLarge(f"The request body is larger than {self.body_limit} bytes.")
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        self._body = b"".join(chunks)
        return self._body

    async def form(self) -> MultiDict:
        """The form fields of a urlencoded or multipart body (files are read as text).

        Raises:
            BadRequest: for a body that cannot be parsed or an unsupported content type.
            PayloadTooLarge: see ``body``.
        """
        if self._form is None:
            content_type, options = parse_options_header(self.headers.get("content-type", ""))
            body = await self.body()
            if content_type == b"multipart/form-data":
                self._form = MultiDict(_parse_multipart(body, options.get(b"boundary", b"")))
            elif content_type in (b"application/x-www-form-urlencoded", b"") or not body:
                self._form = MultiDict(_parse_urlencoded(body))
            else:
                raise BadRequest("Unsupported form content type.")
        return self._form


def _declared_length(header: str | None) -> int:
    """The ``Content-Length`` in bytes (0 when absent), checked as RFC 9110, 8.6 defines it.

    Only ASCII digits count (``"²".isdigit()`` is True, but ``int("²")`` fails), and a value too
    long to be below any limit is not converted at all (Python refuses ints of over 4,300
    digits). Repeated headers arrive joined with ``", "`` and are refused like any other value.

    Raises:
        BadRequest: the header is present but not a single decimal number.
    """
    if header is None:
        return 0
    digits = header.strip()
    if not digits or not digits.isascii() or not digits.isdigit():
        raise BadRequest("The Content-Length header is not a number.")
    digits = digits.lstrip("0") or "0"
    return int(digits) if len(digits) <= 18 else 10**18


def _parse_urlencoded(body: bytes) -> list[tuple[str, str]]:
    try:
        return parse_qsl(
            body.decode("utf-8"), keep_blank_values=True, strict_parsing=False, max_num_fields=5000
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadRequest("The form body is not valid UTF-8 urlencoded data.") from exc


def _parse_multipart(body: bytes, boundary: bytes) -> list[tuple[str, str]]:
    """Parse multipart/form-data (RFC 7578) with python-multipart; the epilogue is ignored."""
    if not boundary:
        raise BadRequest("The multipart body has no boundary.")
    fields: list[tuple[str, str]] = []
    state: dict[str, Any] = {"name": None, "data": [], "header": b"", "value": b"", "end": False}

    def on_part_begin() -> None:
        state["name"], state["data"] = None, []

    def on_header_field(data: bytes, start: int, end: int) -> None:
        state["header"] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        state["value"] += data[start:end]

    def on_header_end() -> None:
        if state["header"].lower() == b"content-disposition":
            _, params = parse_options_header(state["value"])
            name = params.get(b"name")
            state["name"] = name.decode("utf-8", "replace") if name is not None else None
        state["header"], state["value"] = b"", b""

    def on_part_data(data: bytes, start: int, end: int) -> None:
        state["data"].append(data[start:end])

    def on_part_end() -> None:
        if state["name"] is not None:
            fields.append((state["name"], b"".join(state["data"]).decode("utf-8", "replace")))

    def on_end() -> None:
        state["end"] = True

    callbacks: Any = {
        "on_part_begin": on_part_begin,
        "on_header_field": on_header_field,
        "on_header_value": on_header_value,
        "on_header_end": on_header_end,
        "on_part_data": on_part_data,
        "on_part_end": on_part_end,
        "on_end": on_end,
    }
    try:
        # The constructor refuses an over-long boundary (RFC 2046 allows 70 characters;
        # python-multipart, depending on its version, 70 or 256) with a ValueError.
        parser = python_multipart.MultipartParser(boundary, callbacks)
        # Feed in slices and stop at the closing boundary, so a long epilogue is never parsed.
        for offset in range(0, len(body), 64 * 1024):
            parser.write(body[offset : offset + 64 * 1024])
            if state["end"]:
                break
        else:
            parser.finalize()
    except ValueError as exc:  # FormParserError is a ValueError; older versions raise plain ones
        raise BadRequest("The multipart body is malformed.") from exc
    return fields
