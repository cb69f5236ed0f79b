"""``PrefixMount``: send one path prefix to an app and everything else to another."""

from __future__ import annotations

from .types import ASGIApp, Receive, Scope, Send


class PrefixMount:
    """Dispatch by path prefix, on segment boundaries (``/dashboardx`` is not ``/dashboard``).

    The mounted app gets ``root_path`` extended by ``prefix`` and the full ``path`` (the
    convention Starlette uses). Lifespan and other scopes go to ``fallback`` only.

    Args:
        prefix: the mount path, such as ``/dashboard``.
        app: the ASGI app served under ``prefix``.
        fallback: the ASGI app that answers everything else.
    """

    def __init__(self, prefix: str, app: ASGIApp, fallback: ASGIApp):
        self.prefix = "/" + prefix.strip("/")
        self.app = app
        self.fallback = fallback

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            root = scope.get("root_path", "")
            path = scope["path"]
            local = path[len(root) :] if root and path.startswith(root) else path
            if local == self.prefix or local.startswith(self.prefix + "/"):
                mounted = dict(scope, root_path=root + self.prefix)
                if root and not path.startswith(root):
                    mounted["path"] = path[len(self.prefix) :] or "/"  # path relative to root
                await self.app(mounted, receive, send)
                return
        await self.fallback(scope, receive, send)


class OnlyUnderPrefix:
    """The fallback of an app served only under a prefix: 404 for any other path; lifespan
    events still reach ``app`` (its startup and shutdown hooks)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, send)
            return
        if scope["type"] != "http":
            return
        body = b"Not Found"
        await send(
            {
                "type": "http.response.start",
                "status": 404,
                "headers": [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
