"""Static assets (htmx, CSS, JS, favicon) served from the package."""

from __future__ import annotations

from ..asgi.request import Request
from ..asgi.responses import Response
from .common import dashboard


async def static(request: Request) -> Response:
    """One packaged asset with ETag and Cache-Control; unknown paths are 404."""
    return dashboard(request).static.response(request, request.path_params["path"])
