"""ASGI type aliases (ASGI spec 3.0, https://asgi.readthedocs.io/en/latest/specs/main.html)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# Scope keys we add are namespaced so a host's own "session" or "user" never collide with ours.
SESSION_KEY = "asyncz_dashboard.session"
PREFIX_KEY = "asyncz_dashboard.external_prefix"
APP_KEY = "asyncz_dashboard.app"
# True when the client is a configured trusted proxy (its X-Forwarded-* headers count).
TRUSTED_PROXY_KEY = "asyncz_dashboard.trusted_proxy"
