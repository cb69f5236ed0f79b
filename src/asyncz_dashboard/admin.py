"""``AsynczAdmin``: the dashboard for one scheduler, as an ASGI app to mount anywhere."""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Iterable
from dataclasses import fields, replace
from typing import Any

from .adapters.asyncz import AsynczAdapter, default_scheduler, settings_config
from .adapters.redact import Redactor
from .adapters.values import CallableAllowlist
from .asgi.application import Application, Hook
from .asgi.compression import GZipResponses
from .asgi.hosts import AllowedHosts
from .asgi.mount import OnlyUnderPrefix, PrefixMount
from .asgi.sessions import CookieSettings, SessionCodec
from .asgi.static import StaticFiles
from .auth.backends import (
    AuthBackend,
    SimpleUsernamePasswordBackend,
    TrustedHeaderBackend,
    User,
)
from .auth.gate import Auth
from .auth.permissions import PermissionsHook
from .auth.revocation import RevokedSessions
from .auth.throttle import LoginThrottle
from .compat import reference_config
from .config import DashboardConfig
from .logs import DashboardLogHandler
from .recording import Recorder, Writer
from .storage import open_storages
from .submissions import Submissions
from .templating import Templates
from .views.common import Dashboard, render_error
from .views.routes import build_router

__all__ = ["AsynczAdmin", "SimpleUsernamePasswordBackend", "TrustedHeaderBackend", "User"]

logger = logging.getLogger("asyncz_dashboard")

SECRET_ENV = "ASYNCZ_DASHBOARD_SECRET_KEY"  # noqa: S105 (an env var name)


class AsynczAdmin:
    """The dashboard for one Asyncz scheduler.

    It attaches its scheduler listener and task index when constructed (idempotently;
    ``close()`` detaches them), so it works when mounted by hosts that never forward lifespan
    events to mounted apps (Starlette/FastAPI ``Mount``, Lilya ``include``).

    Args:
        scheduler: an Asyncz scheduler, started or not; None builds an ``AsyncIOScheduler``
            with a memory store (not started: start it with the host app).
        config: the settings; without it, Asyncz's ``settings.dashboard_config`` values are
            used where present, else the defaults.
        root_path: for a host that strips the mount path without setting ASGI ``root_path``.
        template_directory: a folder of templates that override ours by name.
        redact: extra key fragments whose values are masked (added to ``config.redact``).
        show_args: overrides ``config.show_args`` when given.
        on_startup / on_shutdown: lifespan hooks used when the app is served standalone.
        enable_login: require a signed-in user on every page but login, static and health.
        backend: who signs users in (``SimpleUsernamePasswordBackend(verify)`` or
            ``TrustedHeaderBackend(...)``); required with ``enable_login``.
        permissions: ``permissions(user) -> iterable of names`` among ``view``, ``run``,
            ``pause``, ``resume``, ``remove``, ``pause_scheduler``, ``edit``, ``create``; None
            grants all.
        read_only: everyone may only view; action controls are not rendered and action
            routes answer 403.
        login_throttle: brute-force protection settings (default: 5 failures in 15 minutes
            lock a username or address out, 1 minute doubling up to 15 minutes).

        storage: where runs, logs, events, audit entries and ended sessions are kept: a URL
            (``sqlite:///dashboard.db``, ``postgresql://...``; needs the ``sql`` extra) or a
            storage object; memory (bounded, per process) when None. With a SQL URL, a logout
            holds in every process sharing it within about a second.
        log_storage / run_history_storage / audit_storage / event_storage: override one kind.
        fleet: a fleet database URL: show every worker publishing to it (``FleetWorker``)
            instead of ``scheduler`` alone; with ``scheduler`` too, that scheduler is
            published as one more worker (without it, no scheduler is built). ``storage``
            defaults to the same URL.
        allowed_callables: turns task creation on: a mapping of names to callables, or an
            iterable of import paths (``package.module:function``) the host chose. Only those
            can be picked; nothing else is ever imported. None (default): creation is off.

        url_prefix, enable_forward_middleware, trusted_forwarded_hosts, login_path,
        include_session, include_cors, allowlist: the reference dashboard's arguments
        (``asyncz.contrib.dashboard``), accepted so switching is one import:
        ``url_prefix`` is ``config.dashboard_url_prefix``; trusted forwarded hosts are IP
        addresses, CIDR ranges, host names or ``"*"``; the rest are logged with what the
        dashboard does instead (see ``compat.reference_config``).

    Raises:
        ValueError: ``enable_login=True`` without a backend; a ``url_prefix`` without a
            leading ``/``.
        ImportError: a SQL storage URL without the ``sql`` extra installed.
    """

    def __init__(
        self,
        scheduler: Any = None,
        *,
        config: DashboardConfig | None = None,
        root_path: str = "",
        template_directory: str | None = None,
        redact: tuple[str, ...] = (),
        show_args: bool | None = None,
        on_startup: tuple[Hook, ...] = (),
        on_shutdown: tuple[Hook, ...] = (),
        enable_login: bool = False,
        backend: AuthBackend | None = None,
        permissions: PermissionsHook | None = None,
        read_only: bool = False,
        login_throttle: LoginThrottle | None = None,
        storage: Any = None,
        log_storage: Any = None,
        run_history_storage: Any = None,
        audit_storage: Any = None,
        event_storage: Any = None,
        # The reference dashboard's arguments (compat.reference_config says what they do here).
        url_prefix: str | None = None,
        enable_forward_middleware: bool | None = None,
        trusted_forwarded_hosts: Iterable[str] | None = None,
        login_path: str | None = None,
        include_session: bool | None = None,
        include_cors: bool | None = None,
        allowlist: Iterable[str] | None = None,
        allowed_callables: Any = None,
        fleet: str | None = None,
    ):
        if enable_login and backend is None:
            raise ValueError(
                "enable_login=True needs a backend, for example "
                "backend=SimpleUsernamePasswordBackend(verify)."
            )
        if backend is not None and not isinstance(backend, AuthBackend):
            raise TypeError("backend must implement authenticate() and login() (AuthBackend).")
        self.config = reference_config(
            config or _config_from_settings(),
            url_prefix=url_prefix,
            enable_forward_middleware=enable_forward_middleware,
            trusted_forwarded_hosts=trusted_forwarded_hosts,
            login_path=login_path,
            include_session=include_session,
            include_cors=include_cors,
            allowlist=allowlist,
        )
        if redact:
            self.config = replace(self.config, redact=self.config.redact + tuple(redact))
        if show_args is not None:
            self.config = replace(self.config, show_args=show_args)
        # As the reference: without a scheduler, a new AsyncIOScheduler (memory store) that the
        # host starts (``admin.scheduler.start()``, e.g. on its startup). A fleet dashboard
        # without a scheduler builds none: it shows the workers only.
        if scheduler is None and not fleet:
            scheduler = default_scheduler()
        self.scheduler = scheduler
        self.root_path = "/" + root_path.strip("/") if root_path.strip("/") else ""
        local = (
            AsynczAdapter(
                scheduler,
                redactor=Redactor(self.config.redact),
                show_args=self.config.show_args,
                refresh_interval=self.config.index_refresh_seconds,
            )
            if scheduler is not None
            else None
        )
        self.adapter: Any = local
        if fleet:
            from .fleet.adapter import FleetAdapter

            self.adapter = FleetAdapter(fleet, timeout=self.config.storage_timeout)
        self.storages = open_storages(
            storage if storage is not None or not fleet else fleet,
            log_storage=log_storage,
            run_history_storage=run_history_storage,
            audit_storage=audit_storage,
            event_storage=event_storage,
            timeout=self.config.storage_timeout,
        )
        if fleet:
            self.adapter.audit_storage = self.storages.audit
        self.auth = Auth(
            enabled=enable_login,
            backend=backend,
            permissions=permissions,
            read_only=read_only,
            throttle=login_throttle or LoginThrottle(),
            revoked=RevokedSessions(self.config.max_age, self.storages.sessions),
            supported=self.adapter.capabilities.actions(),
        )
        if enable_login:
            self.auth.revoked.start()  # with a SQL storage: logouts of the other processes
        redactor = Redactor(self.config.redact)
        self.writer = Writer(self.storages)
        self.recorder = Recorder(self.writer, redactor)
        self.local_adapter = local
        if local is not None:
            local.subscribe(self.recorder.on_event)
            self.recorder.close_interrupted(local.identity)  # what a previous life left running
        self.log_handler = DashboardLogHandler(
            self.recorder, redactor, lambda: local.identity if local else ""
        )
        self.log_handler.attach()
        self.fleet_worker: Any = None
        if fleet and local is not None:
            from .fleet.worker import FleetWorker

            self.fleet_worker = FleetWorker(
                scheduler,
                fleet,
                adapter=local,
                record=False,
                allowed_callables=allowed_callables,
            )
        self.static = StaticFiles("asyncz_dashboard", "static")
        if self.config.favicon not in self.static.files:
            logger.warning(
                "favicon %r is not a file in the dashboard's static folder; using the default.",
                self.config.favicon,
            )
            self.config = replace(self.config, favicon=DashboardConfig().favicon)
        self.allowlist: Any = (
            CallableAllowlist(allowed_callables) if allowed_callables is not None else None
        )
        if fleet:
            from .fleet.adapter import FleetAllowlist

            # The callables the live workers allow (each checks its own list again).
            self.allowlist = FleetAllowlist(self.adapter)
        self.templates = Templates(
            self.static,
            {
                "config": self.config,
                "auth": self.auth,
                # A fleet's allowlist changes as workers come and go: asked on each page.
                "task_creation": self.allowlist if fleet else bool(self.allowlist),
                # The fleet's worker names for the Worker filter and column (None: no fleet).
                "fleet_workers": getattr(self.adapter, "workers", None) if fleet else None,
            },
            directory=template_directory,
        )
        self._app = self._build(list(on_startup), list(on_shutdown))
        app: Any = _RootPath(self._app, self.root_path) if self.root_path else self._app
        app = GZipResponses(app)
        # Outermost: a request for a host that is not allowed reaches nothing else (400).
        self._asgi = AllowedHosts(
            app,
            allowed_hosts=self.config.allowed_hosts,
            allowed_origins=self.config.allowed_origins,
            trusted_proxies=self.config.trusted_forwarded_hosts,
        )

    def _build(self, on_startup: list[Hook], on_shutdown: list[Hook]) -> Application:
        config = self.config
        cookie = CookieSettings(
            name=config.session_cookie,
            path=config.path,
            domain=config.domain,
            max_age=config.max_age,
            same_site=config.same_site,
            https_only=config.https_only,
        )
        app = Application(
            build_router(),
            sessions=SessionCodec(_secret_key(config), cookie),
            render_error=render_error,
            body_limit=config.max_body_size,
            trusted_hosts=config.trusted_forwarded_hosts,
            on_startup=on_startup,
            on_shutdown=on_shutdown,
            gate=self.auth.gate,
        )
        app.state = Dashboard(
            self.adapter,
            self.templates,
            config,
            self.static,
            self.auth,
            self.recorder,
            self.storages,
            submissions=Submissions(shared=self.storages.submissions),
            allowlist=self.allowlist,
        )
        return app

    def get_asgi_app(self, with_url_prefix: bool = False) -> Any:
        """The ASGI app serving the dashboard at its own root (mount it under a prefix), or,
        with ``with_url_prefix=True``, under ``config.dashboard_url_prefix`` (404 elsewhere),
        to serve at a host's root as the reference does."""
        prefix = self.config.dashboard_url_prefix
        if with_url_prefix and prefix:
            return PrefixMount(prefix, self._asgi, OnlyUnderPrefix(self._asgi))
        return self._asgi

    def include_in(self, app: Any) -> Any:
        """Mount the dashboard at ``config.dashboard_url_prefix`` inside a host app.

        Supports Starlette and FastAPI (``app.mount``), Lilya (``app.include``) and Quart
        (which has no mount: its ``asgi_app`` is wrapped). Routes outside the prefix still
        reach the host. Returns ``app``.

        Raises:
            TypeError: for an app of another kind (mount ``get_asgi_app()`` yourself).
        """
        prefix = self.config.dashboard_url_prefix
        dashboard = self.get_asgi_app()
        module = type(app).__module__.split(".")[0]
        if module == "lilya":
            app.include(prefix, app=dashboard, name="asyncz_dashboard")
        elif module in ("starlette", "fastapi") or (hasattr(app, "mount") and module != "quart"):
            app.mount(prefix, app=dashboard, name="asyncz_dashboard")
        elif module == "quart" or hasattr(app, "asgi_app"):
            app.asgi_app = PrefixMount(prefix, dashboard, app.asgi_app)
        else:
            raise TypeError(
                f"include_in does not know {type(app).__name__}; "
                "mount admin.get_asgi_app() under your prefix instead."
            )
        return app

    def close(self) -> None:
        """Detach from the scheduler (listener, index refresh, log handler) and write what is
        queued. Safe to call twice."""
        if self.fleet_worker is not None:
            self.fleet_worker.close()
        if self.local_adapter is not None:
            self.local_adapter.unsubscribe(self.recorder.on_event)
            self.local_adapter.close()
        if self.adapter is not self.local_adapter:
            self.adapter.close()
        self.auth.revoked.close()
        self.log_handler.detach()
        self.writer.close()
        self.storages.close()


class _RootPath:
    """Supplies ``root_path`` for a host that strips the mount path without setting it."""

    def __init__(self, app: Application, root_path: str):
        self.app = app
        self.root_path = root_path

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and not scope.get("root_path"):
            scope = dict(scope, root_path=self.root_path, path=self.root_path + scope["path"])
        await self.app(scope, receive, send)


def _config_from_settings() -> DashboardConfig:
    known = {f.name for f in fields(DashboardConfig)}
    values = {k: v for k, v in settings_config().items() if k in known}
    try:
        return DashboardConfig(**values)
    except (TypeError, ValueError):
        logger.warning("Ignoring invalid dashboard settings from Asyncz: %s", sorted(values))
        return DashboardConfig()


def _secret_key(config: DashboardConfig) -> str:
    key = config.secret_key or os.environ.get(SECRET_ENV)
    if key:
        return key
    logger.warning(
        "No secret_key configured (set %s or DashboardConfig(secret_key=...)): using a random "
        "key; sessions will not survive a restart or span several workers.",
        SECRET_ENV,
    )
    return secrets.token_urlsafe(32)
