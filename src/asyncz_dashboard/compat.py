"""The reference dashboard's names (``asyncz.contrib.dashboard``), so switching is one import.

``AsynczAdmin`` accepts the reference's constructor arguments; this module turns them into our
settings and logs a note for each one we honour differently (see the README, "Coming from
asyncz.contrib.dashboard"). ``create_dashboard_app(scheduler, **kwargs)`` is the reference's
factory.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from .config import DashboardConfig

logger = logging.getLogger("asyncz_dashboard")

# The reference's default for ``trusted_forwarded_hosts`` (used with enable_forward_middleware).
REFERENCE_TRUSTED_HOSTS = ("127.0.0.1", "::1", "localhost")
LOGIN_PATH = "/login"


def reference_config(
    config: DashboardConfig,
    *,
    url_prefix: str | None = None,
    enable_forward_middleware: bool | None = None,
    trusted_forwarded_hosts: Iterable[str] | None = None,
    login_path: str | None = None,
    include_session: bool | None = None,
    include_cors: bool | None = None,
    allowlist: Iterable[str] | None = None,
) -> DashboardConfig:
    """``config`` with the reference's constructor arguments applied (None: not given).

    ``url_prefix`` is ``dashboard_url_prefix``. ``trusted_forwarded_hosts`` (IP addresses, CIDR
    ranges, host names or ``"*"``) are trusted for ``X-Forwarded-*`` when given or when
    ``enable_forward_middleware=True`` (then with the reference's loopback default);
    ``enable_forward_middleware=False`` trusts none, as in the reference. The others are
    accepted, and what we do instead is logged.

    Raises:
        ValueError: ``url_prefix`` does not start with ``/`` (as in the reference).
    """
    if url_prefix is not None:
        if not url_prefix.startswith("/"):
            raise ValueError("url_prefix must start with '/', such as '/dashboard'.")
        config = replace(config, dashboard_url_prefix=url_prefix)
    if enable_forward_middleware is False:
        if trusted_forwarded_hosts is not None:
            _note("trusted_forwarded_hosts is ignored: enable_forward_middleware is False.")
        config = replace(config, trusted_forwarded_hosts=())
    elif trusted_forwarded_hosts is not None or enable_forward_middleware:
        hosts = trusted_forwarded_hosts
        trusted = tuple(REFERENCE_TRUSTED_HOSTS if hosts is None else _strings(hosts, "hosts"))
        config = replace(config, trusted_forwarded_hosts=trusted)
    if login_path is not None and login_path.rstrip("/") != LOGIN_PATH:
        _note(
            f"login_path={login_path!r}: the login page is the dashboard's own, at "
            "<dashboard prefix>/login (signed-out users are sent there)."
        )
    if include_session is False:
        _note(
            "include_session=False: the dashboard keeps its own signed session cookie "
            f"({config.session_cookie!r}); it needs it for CSRF tokens and sign-in."
        )
    if include_cors:
        _note(
            "include_cors: no CORS policy is added (a policy reflecting any origin with "
            "credentials lets any site act for a signed-in user). Pages and POSTs are "
            "same-origin; list other origins in DashboardConfig(allowed_origins=...)."
        )
    if allowlist is not None:
        _note(
            "allowlist: public paths are fixed: login, logout, static assets and health; "
            "every other page needs a signed-in user when login is on."
        )
    return config


def _strings(values: Iterable[str], name: str) -> list[str]:
    if isinstance(values, str):
        return [values]  # the reference would iterate its characters: take the one value
    return [str(v) for v in values]


def _note(text: str) -> None:
    logger.warning("AsynczAdmin: %s", text)


def create_dashboard_app(scheduler: Any, **kwargs: Any) -> Any:
    """The dashboard's ASGI app for ``scheduler``, served at its own root (mount it under a
    prefix): ``AsynczAdmin(scheduler=scheduler, **kwargs).get_asgi_app()``, as the reference's
    factory. The ``AsynczAdmin`` stays reachable as ``app.admin`` (call ``app.admin.close()`` to
    detach it from the scheduler).

    Raises:
        TypeError / ValueError: as ``AsynczAdmin`` does for its arguments.
    """
    from .admin import AsynczAdmin

    admin = AsynczAdmin(scheduler=scheduler, **kwargs)
    app = admin.get_asgi_app()
    app.admin = admin
    return app
