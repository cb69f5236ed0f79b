"""A small router: ordered routes with ``{param}`` segments, matched on the raw (encoded) path.

Matching on ``raw_path`` segment by segment means a task id that contains ``/``, ``%``, ``?``,
spaces or non-ASCII text arrives intact: its ``/`` is ``%2F`` in the URL, so it stays inside one
segment, and each parameter is percent-decoded only after the match (RFC 3986, 2.1 and 3.3).
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
            params[tail[1:-6]] = "/".join(unquote(raw) for raw in raw_segments[head:])
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
                value = unquote(raw, errors="replace")
                if not value:
                    return None
                params[template[1:-1]] = value
            elif unquote(raw) != template:
                return None
        return params

    def url_path(self, params: dict[str, str]) -> str:
        """Build this route's path, percent-encoding every parameter (``/`` included)."""
        parts = []
        for template in self.segments:
            if template.endswith(":path}"):
                parts.append(quote(str(params[template[1:-6]]), safe="/"))
            elif template.startswith("{") and template.endswith("}"):
                parts.append(quote(str(params[template[1:-1]]), safe=""))
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

    def resolve(self, method: str, raw_path: str) -> tuple[Route, dict[str, str]]:
        """Find the route for ``method`` and a raw route path (percent-encoded, no query)."""
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
