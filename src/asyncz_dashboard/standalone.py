"""The dashboard served on its own (what ``asyncz-dashboard serve | demo`` runs): the site
around it, hypercorn, and the console's logging."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import inspect
import logging
import os
import signal
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from .admin import AsynczAdmin
from .asgi.hosts import LOOPBACK_HOSTS, AllowedHosts
from .asgi.mount import PrefixMount
from .asgi.proxy import external_prefix
from .asgi.responses import RedirectResponse, Response
from .asgi.security import add_security_headers
from .asgi.types import ASGIApp, Message, Receive, Scope, Send
from .config import DashboardConfig
from .logs import under


class _Root:
    """Answers outside the dashboard's prefix: ``/`` redirects to it, the rest is 404.
    Lifespan goes to the dashboard, which starts and stops the scheduler."""

    def __init__(self, dashboard: ASGIApp, prefix: str, trusted_proxies: Iterable[str] = ()):
        self.dashboard = dashboard
        self.prefix = prefix
        self.trusted_proxies = tuple(trusted_proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.dashboard(scope, receive, send)
            return
        if scope["type"] != "http":
            return
        if scope["path"] in ("", "/"):
            outer = external_prefix(scope, self.trusted_proxies)  # a trusted proxy's prefix
            response: Response = RedirectResponse(f"{outer}{self.prefix}/", status=307)
        else:
            response = Response("Not found", status=404)
        # The same headers as the dashboard's own answers: every answer of the site is secured.
        add_security_headers(response.headers)
        await response(scope, receive, send)


def load_scheduler(target: str) -> Any:
    """Import ``module:attribute``: a scheduler, or a zero-argument factory returning one.

    Raises:
        ValueError: with a one-line reason when it cannot be imported or is no scheduler.
    """
    module_name, sep, attribute = target.partition(":")
    if not sep or not module_name or not attribute:
        raise ValueError(f"expected 'module:attribute', got {target!r}")
    sys.path.insert(0, os.getcwd())
    try:
        obj: Any = importlib.import_module(module_name)
    except Exception as exc:
        raise ValueError(f"cannot import module {module_name!r}: {exc}") from exc
    for part in attribute.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError as exc:
            raise ValueError(f"module {module_name!r} has no attribute {attribute!r}") from exc
    if inspect.iscoroutinefunction(obj):
        raise ValueError(f"{target!r} is a coroutine function; give a scheduler or a plain factory")
    if not hasattr(obj, "add_task") and callable(obj):
        try:
            obj = obj()
        except Exception as exc:
            raise ValueError(f"the factory {target!r} failed: {exc}") from exc
    if not (hasattr(obj, "add_task") and hasattr(obj, "start")):
        raise ValueError(f"{target!r} is not an Asyncz scheduler")
    return obj


def allowed_hosts_for(bind_host: str, extra: Sequence[str] = ()) -> tuple[str, ...]:
    """The CLI's ``allowed_hosts``: the loopback names, the ``--host`` it binds (unless that
    is an every-address bind such as ``0.0.0.0``, which names no host) and ``extra``."""
    hosts = list(LOOPBACK_HOSTS)
    if not binds_everywhere(bind_host):
        hosts.append(bind_host)
    return tuple(dict.fromkeys([*hosts, *extra]))


def binds_everywhere(bind_host: str) -> bool:
    return bind_host.strip("[]") in ("", "0.0.0.0", "::")  # noqa: S104 (compared, not bound)


def build_site(
    scheduler: Any,
    prefix: str,
    secret_key: str | None,
    storage: str | None = None,
    allowed_hosts: Sequence[str] = LOOPBACK_HOSTS,
    *,
    trusted_proxies: Sequence[str] = (),
    allowed_origins: Sequence[str] = (),
    storage_timeout: float = DashboardConfig.storage_timeout,
    fleet: str | None = None,
) -> tuple[Any, AsynczAdmin]:
    """The standalone ASGI app: the dashboard at ``prefix``, the scheduler run by lifespan.

    Args:
        scheduler: the scheduler to serve (or None with ``fleet``); started on lifespan
            startup, shut down after.
        prefix: the URL prefix (``""`` serves at the root).
        secret_key: signs sessions; None means the environment or a random key.
        storage: a storage URL for runs, logs, events and audit (memory when None).
        allowed_hosts: the host names answered (DNS rebinding defence); any other ``Host``
            gets 400, on the dashboard and on the CLI's own ``/`` redirect and 404s alike.
        trusted_proxies: IP addresses or CIDR ranges whose ``X-Forwarded-*`` headers are
            honoured (``DashboardConfig.trusted_forwarded_hosts``).
        allowed_origins: more origins whose POSTs count as same-site
            (``DashboardConfig.allowed_origins``).
        storage_timeout: seconds a SQL storage may take to connect or read
            (``DashboardConfig.storage_timeout``).
        fleet: a fleet database URL: serve its workers (``scheduler`` may then be None).

    Raises:
        ValueError: a malformed host name or origin, a timeout that is not positive, or a
            storage URL of an unknown kind.
    """

    def start() -> None:
        if scheduler is not None and not scheduler.running:
            scheduler.start()

    def stop() -> None:
        if scheduler is not None and scheduler.running:
            scheduler.shutdown(wait=False)

    config = DashboardConfig(
        dashboard_url_prefix=prefix,
        secret_key=secret_key,
        allowed_hosts=tuple(allowed_hosts),
        trusted_forwarded_hosts=tuple(trusted_proxies),
        allowed_origins=tuple(allowed_origins),
        storage_timeout=storage_timeout,
    )
    admin = AsynczAdmin(
        scheduler,
        config=config,
        on_startup=(start,),
        on_shutdown=(stop,),
        storage=storage,
        fleet=fleet,
    )
    dashboard = admin.get_asgi_app()
    if not config.dashboard_url_prefix:
        return dashboard, admin
    trusted = config.trusted_forwarded_hosts
    root = AllowedHosts(
        _Root(dashboard, config.dashboard_url_prefix, trusted),
        allowed_hosts=config.allowed_hosts,
        trusted_proxies=trusted,
    )
    site = PrefixMount(config.dashboard_url_prefix, dashboard, root)
    return site, admin


def _announce_when_started(app: ASGIApp, announce: Callable[[], None]) -> ASGIApp:
    """``app`` that calls ``announce`` once lifespan startup has completed."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await app(scope, receive, send)
            return

        async def send_and_announce(message: Message) -> None:
            await send(message)
            if message["type"] == "lifespan.startup.complete":
                announce()

        await app(scope, receive, send_and_announce)

    return wrapped


async def serve_site(app: ASGIApp, host: str, port: int, announce: Callable[[str], None]) -> None:
    """Serve ``app`` with hypercorn until SIGINT or SIGTERM.

    The socket listens before the lifespan starts, so ``announce(url_base)`` (called once the
    scheduler has started) names a port that already accepts connections (``--port 0``: the
    port the system picked).

    Raises:
        OSError: the address cannot be bound (for example, the port is in use).
    """
    from hypercorn.asyncio.run import worker_serve
    from hypercorn.config import Config
    from hypercorn.utils import wrap_app

    config = Config()
    config.bind = [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"]
    config.accesslog = None
    config.errorlog = logging.getLogger("hypercorn.error")  # through our console handler
    config.graceful_timeout = 3
    sockets = config.create_sockets()
    for sock in sockets.insecure_sockets:
        sock.listen(config.backlog)
    bound_port = sockets.insecure_sockets[0].getsockname()[1]
    shown = host if not binds_everywhere(host) else "127.0.0.1"
    base = f"http://[{shown}]:{bound_port}" if ":" in shown else f"http://{shown}:{bound_port}"
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    served: Any = _announce_when_started(app, lambda: announce(base))  # hypercorn's own types
    await worker_serve(
        wrap_app(served, config.wsgi_max_body_size, None),
        config,
        sockets=sockets,
        shutdown_trigger=stop.wait,
    )


class _ConsoleFilter(logging.Filter):
    """What the console shows: no cancelled runs (Ctrl-C while a task runs is no failure),
    and, for the demo, nothing from the loggers whose records its Logs page shows."""

    def __init__(self, hidden: Sequence[str] = ()):
        super().__init__()
        self.hidden = tuple(hidden)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], asyncio.CancelledError):
            return False
        return not any(under(record.name, name) for name in self.hidden)


def configure_logging(verbose: bool, hidden: Sequence[str] = ()) -> None:
    """Records from INFO up are made (so the log viewer gets the tasks' INFO lines); the
    console prints warnings and errors, or everything from INFO with ``verbose``."""
    console = logging.StreamHandler()
    console.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    console.setLevel(logging.INFO if verbose else logging.WARNING)
    console.addFilter(_ConsoleFilter(() if verbose else hidden))
    root = logging.getLogger()
    root.addHandler(console)
    root.setLevel(logging.INFO)
