"""A small router: ordered routes with ``{param}`` segments, matched on the raw (encoded) path.

Matching on ``raw_path`` segment by segment means a task id that contains ``/``, ``%``, ``?``,
spaces or non-ASCII text arrives intact: its ``/`` is ``%2F`` in the URL, so it stays inside one
segment, and each parameter is percent-decoded only after the match (RFC 3986, 2.1 and 3.3).
The ids ``.`` and ``..`` are written ``.!`` and ``..!`` (see ``encode_segment``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote

from .exceptions import MethodNotAllowed, NotFound

if TYPE_CHECKING:
    from .request import Request
    from .responses import Response

Endpoint = Callable[["Request"], Awaitable["Response"]]

# A browser removes the path segments "." and "..", and (WHATWG URL Standard, "single-dot" and
# "double-dot URL path segment") their percent-encoded forms "%2E" and "%2E%2E" too, before it
# sends a request, although RFC 3986 (5.2.4) removes only the literal ones. No percent-encoding
# of a task id "." or ".." survives, so such a segment is written with a trailing "!", which
# ``quote`` always encodes: no other value's URL is ".!" or "..!", so the escape is unambiguous.
DOT_SEGMENTS = (".", "..")
DOT_ESCAPE = "!"


def encode_segment(value: str) -> str:
    """One path segment for ``value``: percent-encoded (``/`` included), ``.`` -> ``.!``,
    ``..`` -> ``..!``."""
    encoded = quote(value, safe="")
    return encoded + DOT_ESCAPE if encoded in DOT_SEGMENTS else encoded


def decode_segment(raw: str) -> str:
    """The value of one raw path segment: ``encode_segment`` reversed; ``%2E%2E`` (from clients
    that keep it, such as curl or httpx) is ``..`` too. Undecodable bytes become U+FFFD."""
    if raw.endswith(DOT_ESCAPE) and raw[:-1] in DOT_SEGMENTS:
        return raw[:-1]
    return unquote(raw, errors="replace")


def split_path(path: str) -> list[str]:
    """``"/tasks/a%2Fb"`` -> ``["tasks", "a%2Fb"]``; the root ``"/"`` -> ``[]``."""
    stripped = path.strip("/")
    return stripped.split("/") if stripped else []


@dataclass(frozen=True)
class Route:
    """One route: a path template such as ``/tasks/{task_id}/pause``, its view and methods.

    Args:
        path: the template; ``{name}`` matches exactly one non-empty path segment, and a last
            ``{name:path}`` the rest of the path.
        endpoint: ``async def view(request) -> Response``.
        methods: the allowed methods; ``HEAD`` is implied by ``GET``.
        name: the name used by ``url_for``; defaults to the endpoint's ``__name__``.
        public: True for the few routes that stay reachable without login (static, health).
        permission: what the user must be allowed to do (``view``, ``run``, ...).
    """

    path: str
    endpoint: Endpoint
    methods: Sequence[str] = ("GET",)
    name: str = ""
    public: bool = False
    permission: str = "view"
    segments: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "segments", tuple(split_path(self.path)))
        object.__setattr__(self, "name", self.name or self.endpoint.__name__)
        methods = {m.upper() for m in self.methods}
        if "GET" in methods:
            methods.add("HEAD")
        object.__setattr__(self, "methods", tuple(sorted(methods)))

    def match(self, raw_segments: Sequence[str]) -> dict[str, str] | None:
        """The decoded path parameters if the raw segments fit this template, else None."""
        tail = self.segments[-1] if self.segments else ""
        if tail.endswith(":path}"):
            # A trailing ``{name:path}`` takes the rest of the path, one or more segments.
            head = len(self.segments) - 1
            if len(raw_segments) <= head:
                return None
            params = self._match_segments(self.segments[:-1], raw_segments[:head])
            if params is None:
                return None
            params[tail[1:-6]] = "/".join(decode_segment(raw) for raw in raw_segments[head:])
            return params
        if len(raw_segments) != len(self.segments):
            return None
        return self._match_segments(self.segments, raw_segments)

    @staticmethod
    def _match_segments(
        templates: Sequence[str], raw_segments: Sequence[str]
    ) -> dict[str, str] | None:
        params: dict[str, str] = {}
        for template, raw in zip(templates, raw_segments, strict=True):
            if template.startswith("{") and template.endswith("}"):
                value = decode_segment(raw)
                if not value:
                    return None
                params[template[1:-1]] = value
            elif unquote(raw) != template:
                return None
        return params

    def url_path(self, params: dict[str, str]) -> str:
        """Build this route's path, percent-encoding every parameter (``/`` included, except in
        a ``{name:path}``) with ``encode_segment``, so no segment is a dot segment."""
        parts = []
        for template in self.segments:
            if template.endswith(":path}"):
                value = str(params[template[1:-6]])
                parts.append("/".join(encode_segment(part) for part in value.split("/")))
            elif template.startswith("{") and template.endswith("}"):
                parts.append(encode_segment(str(params[template[1:-1]])))
            else:
                parts.append(template)
        return "/" + "/".join(parts)


class Router:
    """An ordered route table; the first route whose path fits wins.

    Raises (from ``resolve``):
        NotFound: no route fits the path.
        MethodNotAllowed: a route fits the path but not the method (405 with ``Allow``).
    """

    def __init__(self, routes: Iterable[Route]):
        self.routes = list(routes)
        self.by_name = {route.name: route for route in self.routes}
        if len(self.by_name) != len(self.routes):
            raise ValueError("Route names must be unique.")
        # Paths of routes without parameters that no earlier route also fits: found by one
        # dict lookup (the full scan still decides every other path, and 405s).
        self._fixed: dict[str, Route] = {}
        for index, route in enumerate(self.routes):
            if any(s.startswith("{") for s in route.segments):
                continue
            if not any(r.match(route.segments) is not None for r in self.routes[:index]):
                self._fixed.setdefault(route.path, route)

    def resolve(self, method: str, raw_path: str) -> tuple[Route, dict[str, str]]:
        """Find the route for ``method`` and a raw route path (percent-encoded, no query)."""
        fixed = self._fixed.get(raw_path)
        if fixed is not None and method.upper() in fixed.methods:
            return fixed, {}
        segments = split_path(raw_path)
        allowed: set[str] = set()
        for route in self.routes:
            params = route.match(segments)
            if params is None:
                continue
            if method.upper() in route.methods:
                return route, params
            allowed.update(route.methods)
        if allowed:
            raise MethodNotAllowed(allowed)
        raise NotFound("There is no page at this address.")

    def url_path_for(self, name: str, **params: str) -> str:
        """The path of route ``name`` relative to the app's root, e.g. ``/tasks/a%2Fb``."""
        return self.by_name[name].url_path(params)
