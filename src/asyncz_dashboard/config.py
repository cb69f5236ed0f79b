"""``DashboardConfig``: every setting of the dashboard, with safe defaults."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .asgi.hosts import ANY_HOST, normalize_host_pattern, normalize_origin
from .asgi.request import DEFAULT_BODY_LIMIT


@dataclass(frozen=True, kw_only=True)
class DashboardConfig:
    """Settings of one dashboard (names follow the Asyncz dashboard documentation).

    Args:
        dashboard_url_prefix: where ``include_in`` and the CLI mount the dashboard. It is never
            added on top of the ASGI ``root_path``.
        title: the HTML ``<title>``; header_title: the name in the header; description: the
            subtitle on the overview.
        session_cookie: the session cookie's name. same_site: its ``SameSite`` (lax, strict,
            none). https_only: add ``Secure``. max_age: its lifetime in seconds. path: its one
            ``Path`` (default ``/`` covers login and dashboard alike). domain: its ``Domain``.
        secret_key: signs the session cookie; None means ``ASYNCZ_DASHBOARD_SECRET_KEY`` or,
            failing that, a random key per process (sessions then end at restart).
        favicon: the favicon's path inside the package's static folder.
        max_body_size: the largest request body accepted, in bytes (413 above it).
        refresh_seconds: how often the task table refreshes itself in the browser, in seconds.
        index_refresh_seconds: how often tasks in stores shared by several processes are
            re-read in the background, in seconds.
        trusted_forwarded_hosts: proxy IP addresses, CIDR ranges or host names whose
            ``X-Forwarded-*`` headers (``-Prefix``, ``-Host``, ``-Proto``, ``-Port``, ``-For``)
            are honoured; ``"*"`` trusts any client (only when nothing but the proxy can reach
            the app); empty means never.
        allowed_hosts: the host names the dashboard answers for (``*.example.com`` wildcards,
            IPv6 in brackets, ports ignored); any other ``Host`` gets 400. ``("*",)``, the
            default when embedded, allows any (the host app owns that choice).
        allowed_origins: origins such as ``https://ops.example.com`` whose POSTs are accepted
            as same-site, besides the origin the request was sent to.
        redact: more key fragments (or regular expressions) whose values are masked.
        show_args: False hides task arguments everywhere.
        storage_timeout: seconds after which a SQL storage opened from a URL gives up
            connecting or reading; a page waits no longer for history, logs or audit and then
            says the storage is unavailable (writes, in the background, may wait 30 s).
    """

    dashboard_url_prefix: str = "/dashboard"
    title: str = "Asyncz dashboard"
    header_title: str = "Asyncz"
    description: str = "Scheduled tasks at a glance"
    session_cookie: str = "asyncz_dashboard_session"
    same_site: Literal["lax", "strict", "none"] = "lax"
    https_only: bool = False
    secret_key: str | None = None
    max_age: int = 14 * 24 * 3600
    path: str = "/"
    domain: str | None = None
    favicon: str = "favicon.svg"
    max_body_size: int = DEFAULT_BODY_LIMIT
    refresh_seconds: int = 5
    index_refresh_seconds: float = 30.0
    trusted_forwarded_hosts: tuple[str, ...] = ()
    allowed_hosts: tuple[str, ...] = (ANY_HOST,)
    allowed_origins: tuple[str, ...] = ()
    redact: tuple[str, ...] = ()
    show_args: bool = True
    storage_timeout: float = 2.0

    def __post_init__(self) -> None:
        prefix = "/" + self.dashboard_url_prefix.strip("/")
        object.__setattr__(self, "dashboard_url_prefix", prefix.rstrip("/") or "")
        if self.same_site not in ("lax", "strict", "none"):
            raise ValueError("same_site must be 'lax', 'strict' or 'none'.")
        if self.max_body_size <= 0 or self.max_age <= 0:
            raise ValueError("max_body_size and max_age must be positive.")
        if not self.storage_timeout > 0:
            raise ValueError("storage_timeout must be a positive number of seconds.")
        for name, normalize in (
            ("allowed_hosts", normalize_host_pattern),
            ("allowed_origins", normalize_origin),
        ):
            values = getattr(self, name)
            if isinstance(values, str):
                raise TypeError(f"{name} must be a tuple of strings, not one string.")
            object.__setattr__(self, name, tuple(dict.fromkeys(normalize(v) for v in values)))
        if not self.allowed_hosts:
            raise ValueError("allowed_hosts is empty, so every request would get 400; use ('*',).")
