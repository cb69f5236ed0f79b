"""``asyncz-dashboard demo | serve``: the dashboard standalone under hypercorn."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import inspect
import ipaddress
import logging
import math
import os
import secrets
import signal
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from .admin import SECRET_ENV, AsynczAdmin
from .asgi.hosts import LOOPBACK_HOSTS, AllowedHosts
from .asgi.mount import PrefixMount
from .asgi.proxy import external_prefix
from .asgi.responses import RedirectResponse, Response
from .asgi.security import add_security_headers
from .asgi.types import ASGIApp, Message, Receive, Scope, Send
from .config import DashboardConfig
from .logs import under

EXIT_USAGE = 2


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
    if not _binds_everywhere(bind_host):
        hosts.append(bind_host)
    return tuple(dict.fromkeys([*hosts, *extra]))


def _binds_everywhere(bind_host: str) -> bool:
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
) -> tuple[Any, AsynczAdmin]:
    """The standalone ASGI app: the dashboard at ``prefix``, the scheduler run by lifespan.

    Args:
        scheduler: the scheduler to serve; started on lifespan startup, shut down after.
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

    Raises:
        ValueError: a malformed host name or origin, a timeout that is not positive, or a
            storage URL of an unknown kind.
    """

    def start() -> None:
        if not scheduler.running:
            scheduler.start()

    def stop() -> None:
        if scheduler.running:
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
        scheduler, config=config, on_startup=(start,), on_shutdown=(stop,), storage=storage
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


async def _serve(app: ASGIApp, host: str, port: int, announce: Callable[[str], None]) -> None:
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
    shown = host if not _binds_everywhere(host) else "127.0.0.1"
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


def _configure_logging(verbose: bool, hidden: Sequence[str] = ()) -> None:
    """Records from INFO up are made (so the log viewer gets the tasks' INFO lines); the
    console prints warnings and errors, or everything from INFO with ``verbose``."""
    console = logging.StreamHandler()
    console.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    console.setLevel(logging.INFO if verbose else logging.WARNING)
    console.addFilter(_ConsoleFilter(() if verbose else hidden))
    root = logging.getLogger()
    root.addHandler(console)
    root.setLevel(logging.INFO)


def _positive_seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not seconds > 0 or math.isinf(seconds):
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {value!r}")
    return seconds


def _address_or_range(value: str) -> str:
    try:
        ipaddress.ip_network(value.strip("[]"), strict=False)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an IP address or CIDR range such as 10.0.0.0/8, got {value!r}"
        ) from None
    return value.strip("[]")


DESCRIPTION = """\
Serve the Asyncz dashboard on its own, under hypercorn: the dashboard at --prefix
(/dashboard by default), / redirecting there. Ctrl-C (or SIGTERM) stops it."""

EXAMPLES = """\
examples:
  asyncz-dashboard demo                          # try it on a demo scheduler
  asyncz-dashboard demo --port 9000              # on another port
  asyncz-dashboard serve myapp.jobs:scheduler    # your scheduler, or a factory returning one
  asyncz-dashboard serve myapp.jobs:scheduler --storage sqlite:///dashboard.db

Run "asyncz-dashboard COMMAND --help" for the options of a command."""

COMMAND_EXAMPLES = {
    "demo": """\
examples:
  asyncz-dashboard demo
  asyncz-dashboard demo --port 9000 --prefix /ops
  asyncz-dashboard demo --verbose    # also print the task logs and Asyncz's INFO lines""",
    "serve": """\
examples:
  asyncz-dashboard serve myapp.jobs:scheduler
  asyncz-dashboard serve myapp.jobs:make_scheduler --port 9000
  asyncz-dashboard serve myapp.jobs:scheduler --storage sqlite:///dashboard.db
  asyncz-dashboard serve myapp.jobs:scheduler --allowed-host ops.example.com \\
      --trusted-proxy 10.0.0.5       # behind a reverse proxy at 10.0.0.5""",
}


def _add_options(command: argparse.ArgumentParser, demo: bool) -> None:
    server = command.add_argument_group("server")
    server.add_argument(
        "--host", default="127.0.0.1", help="the address to bind (default: %(default)s)"
    )
    server.add_argument(
        "--port",
        type=int,
        default=8000,
        help="the port to bind; 0 picks a free one (default: %(default)s)",
    )
    server.add_argument(
        "--prefix",
        default="/dashboard",
        help="the URL path of the dashboard; / serves it at the root (default: %(default)s)",
    )
    server.add_argument(
        "--secret-key",
        metavar="KEY",
        help=f"signs the session cookie (default: ${SECRET_ENV}, else a random key per run)",
    )
    server.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="also print INFO lines (task logs, Asyncz, hypercorn); by default the console "
        "shows warnings and errors"
        + (" except the demo tasks' own, which the Logs page shows" if demo else ""),
    )
    hosts = command.add_argument_group("hosts and proxies")
    hosts.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        metavar="NAME",
        help="a host name browsers use to reach the dashboard (repeatable; *.example.com "
        "allowed); localhost, 127.0.0.1, [::1] and --host are always allowed",
    )
    hosts.add_argument(
        "--trusted-proxy",
        action="append",
        default=[],
        metavar="ADDRESS",
        type=_address_or_range,
        help="an IP address or CIDR range of a reverse proxy whose X-Forwarded-Prefix, -Host, "
        "-Proto, -Port and -For headers are honoured (repeatable; default: none)",
    )
    hosts.add_argument(
        "--allowed-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="an origin such as https://ops.example.com whose POSTs are accepted besides the "
        "dashboard's own (repeatable; default: none)",
    )
    storage = command.add_argument_group("storage")
    storage.add_argument(
        "--storage",
        metavar="URL",
        help="where run history, logs, events and audit are kept: sqlite:///dashboard.db or "
        "postgresql://user@host/db (needs asyncz-dashboard[sql]); default: memory",
    )
    storage.add_argument(
        "--storage-timeout",
        type=_positive_seconds,
        metavar="SECONDS",
        default=DashboardConfig.storage_timeout,
        help="how long a SQL storage may take to connect or read before a page says it is "
        "unavailable (default: %(default)s)",
    )


def _parser() -> argparse.ArgumentParser:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="asyncz-dashboard",
        description=DESCRIPTION,
        epilog=EXAMPLES,
        formatter_class=formatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(
        title="commands", dest="command", required=True, metavar="COMMAND"
    )
    demo = commands.add_parser(
        "demo",
        help="try the dashboard on a demo scheduler with about 30 tasks",
        description="Serve the dashboard over a demo scheduler: cron, interval and date tasks,\n"
        "some paused, one failing, one slow. Its log lines go to the dashboard's Logs page.",
        epilog=COMMAND_EXAMPLES["demo"],
        formatter_class=formatter,
    )
    serve = commands.add_parser(
        "serve",
        help="serve the dashboard over your scheduler",
        description="Serve the dashboard over your Asyncz scheduler. The CLI starts the\n"
        "scheduler (unless it is running already) and shuts it down when it stops.",
        epilog=COMMAND_EXAMPLES["serve"],
        formatter_class=formatter,
    )
    serve.add_argument(
        "target",
        metavar="MODULE:ATTRIBUTE",
        help="your scheduler, or a function without arguments that returns one, e.g. "
        "myapp.jobs:scheduler (imported from the current directory)",
    )
    _add_options(demo, demo=True)
    _add_options(serve, demo=False)
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("asyncz-dashboard")
    except PackageNotFoundError:
        return "(not installed)"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the process exit code (2 for usage and import errors, 1 when the
    server cannot start, 0 after Ctrl-C or SIGTERM)."""
    args = _parser().parse_args(argv)
    secret_key = args.secret_key
    if args.command == "demo":
        from .demo import CONSOLE_HIDDEN, build_demo_scheduler

        _configure_logging(args.verbose, CONSOLE_HIDDEN)
        scheduler = build_demo_scheduler()
        # A demo's sessions need not outlive it: a random key, and no warning about it.
        secret_key = secret_key or os.environ.get(SECRET_ENV) or secrets.token_urlsafe(32)
    else:
        _configure_logging(args.verbose)
        try:
            scheduler = load_scheduler(args.target)
        except ValueError as exc:
            return _usage_error(exc)
    try:
        site, admin = build_site(
            scheduler,
            args.prefix,
            secret_key,
            args.storage,
            allowed_hosts_for(args.host, args.allowed_host),
            trusted_proxies=args.trusted_proxy,
            allowed_origins=args.allowed_origin,
            storage_timeout=args.storage_timeout,
        )
    except (ImportError, ValueError) as exc:
        return _usage_error(exc)
    if _binds_everywhere(args.host) and not args.allowed_host:
        print(
            f"asyncz-dashboard: hint: --host {args.host} listens on every address, but only "
            f"requests for {', '.join(admin.config.allowed_hosts)} are answered (others get "
            "400); name the host names browsers use with --allowed-host NAME",
            file=sys.stderr,
            flush=True,
        )
    prefix = admin.config.dashboard_url_prefix

    def announce(base: str) -> None:
        if args.command == "demo":
            print(
                f"Demo scheduler with {len(scheduler.get_tasks())} tasks; their log lines are "
                "on the dashboard's Logs page.",
                flush=True,
            )
        print("Press Ctrl-C to stop. The dashboard is at:", flush=True)
        print(f"  {base}{prefix}/", flush=True)

    try:
        asyncio.run(_serve(site, args.host, args.port, announce))
    except KeyboardInterrupt:
        pass  # Ctrl-C before the server had installed its own handler
    except Exception as exc:
        print(f"asyncz-dashboard: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    finally:
        admin.close()
    return 0


def _usage_error(exc: Exception) -> int:
    print(f"asyncz-dashboard: error: {exc}", file=sys.stderr)
    return EXIT_USAGE


if __name__ == "__main__":
    raise SystemExit(main())
