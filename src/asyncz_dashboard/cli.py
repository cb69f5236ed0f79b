"""``asyncz-dashboard demo | serve | fleet | worker``: the dashboard standalone under hypercorn,
or a scheduler run as a fleet worker."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import inspect
import logging
import os
import signal
import sys
from collections.abc import Sequence
from typing import Any

from .admin import SECRET_ENV, AsynczAdmin
from .asgi.hosts import LOOPBACK_HOSTS, AllowedHosts
from .asgi.mount import PrefixMount
from .asgi.responses import RedirectResponse, Response
from .asgi.security import add_security_headers
from .asgi.types import ASGIApp, Receive, Scope, Send
from .config import DashboardConfig
from .fleet.cli import add_worker_parser, run_worker, start_demo_workers, stop_demo_workers

EXIT_USAGE = 2


class _Root:
    """Answers outside the dashboard's prefix: ``/`` redirects to it, the rest is 404.
    Lifespan goes to the dashboard, which starts and stops the scheduler."""

    def __init__(self, dashboard: ASGIApp, prefix: str):
        self.dashboard = dashboard
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.dashboard(scope, receive, send)
            return
        if scope["type"] != "http":
            return
        if scope["path"] in ("", "/"):
            response: Response = RedirectResponse(self.prefix + "/", status=307)
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
    fleet: str | None = None,
) -> tuple[Any, AsynczAdmin]:
    """The standalone ASGI app: the dashboard at ``prefix``, the scheduler run by lifespan.

    Args:
        scheduler: the scheduler to serve; started on lifespan startup, shut down after.
        prefix: the URL prefix (``""`` serves at the root).
        secret_key: signs sessions; None means the environment or a random key.
        storage: a storage URL for runs, logs, events and audit (memory when None).
        allowed_hosts: the host names answered (DNS rebinding defence); any other ``Host``
            gets 400, on the dashboard and on the CLI's own ``/`` redirect and 404s alike.
        fleet: a fleet database URL: serve its workers (``scheduler`` may then be None).

    Raises:
        ValueError: a malformed host name, or a storage URL of an unknown kind.
    """

    def start() -> None:
        if scheduler is not None and not scheduler.running:
            scheduler.start()

    def stop() -> None:
        if scheduler is not None and scheduler.running:
            scheduler.shutdown(wait=False)

    config = DashboardConfig(
        dashboard_url_prefix=prefix, secret_key=secret_key, allowed_hosts=tuple(allowed_hosts)
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
    root = AllowedHosts(
        _Root(dashboard, config.dashboard_url_prefix), allowed_hosts=config.allowed_hosts
    )
    site = PrefixMount(config.dashboard_url_prefix, dashboard, root)
    return site, admin


async def _serve(app: Any, host: str, port: int) -> None:
    from hypercorn.asyncio import serve
    from hypercorn.config import Config

    config = Config()
    config.bind = [f"{host}:{port}"]
    config.accesslog = None
    config.graceful_timeout = 3
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await serve(app, config, shutdown_trigger=stop.wait)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="asyncz-dashboard", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="serve the dashboard over a demo scheduler")
    serve = commands.add_parser("serve", help="serve the dashboard over your scheduler")
    serve.add_argument("target", help="module:attribute of a scheduler or a factory")
    fleet = commands.add_parser("fleet", help="serve the dashboard over a fleet's workers")
    fleet.add_argument("url", help="the fleet database URL the workers publish to")
    demo.add_argument(
        "--fleet", action="store_true", help="a dashboard and three demo workers on a SQLite file"
    )
    add_worker_parser(commands)
    for sub in (demo, serve, fleet):
        sub.add_argument("--host", default="127.0.0.1", help="the address to bind")
        sub.add_argument(
            "--allowed-host",
            action="append",
            default=[],
            metavar="NAME",
            help="a host name browsers use to reach the dashboard (repeatable; *.domain "
            "wildcards). localhost, 127.0.0.1, [::1] and --host are always allowed",
        )
        sub.add_argument("--port", type=int, default=8000)
        sub.add_argument("--prefix", default="/dashboard", help="URL prefix (default /dashboard)")
        sub.add_argument(
            "--secret-key", default=os.environ.get(SECRET_ENV), help=f"or set {SECRET_ENV}"
        )
        sub.add_argument(
            "--storage",
            default=None,
            help="where history, logs, events and audit are kept, e.g. sqlite:///dashboard.db "
            "or postgresql://user@host/db (needs asyncz-dashboard[sql]); memory by default",
        )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the process exit code (2 for usage and import errors)."""
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    fleet_url: str | None = None
    workers: list[Any] = []
    scheduler: Any = None
    if args.command == "fleet":
        fleet_url = args.url
    elif args.command == "demo" and args.fleet:
        fleet_url, workers = start_demo_workers(None)
    elif args.command == "demo":
        from .demo import build_demo_scheduler

        scheduler = build_demo_scheduler()
    else:
        try:
            scheduler = load_scheduler(args.target)
        except ValueError as exc:
            print(f"asyncz-dashboard: error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        if args.command == "worker":
            return run_worker(scheduler, args)
    allowed = allowed_hosts_for(args.host, args.allowed_host)
    try:
        site, admin = build_site(
            scheduler, args.prefix, args.secret_key, args.storage, allowed, fleet_url
        )
    except (ImportError, ValueError) as exc:
        stop_demo_workers(workers)
        print(f"asyncz-dashboard: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    prefix = admin.config.dashboard_url_prefix
    print(f"asyncz-dashboard: serving on http://{args.host}:{args.port}{prefix}/", flush=True)
    if _binds_everywhere(args.host) and not args.allowed_host:
        print(
            f"asyncz-dashboard: hint: --host {args.host} listens on every address, but only "
            f"requests for {', '.join(admin.config.allowed_hosts)} are answered (others get "
            "400); name the host names browsers use with --allowed-host NAME",
            file=sys.stderr,
            flush=True,
        )
    try:
        asyncio.run(_serve(site, args.host, args.port))
    except Exception as exc:
        print(f"asyncz-dashboard: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    finally:
        admin.close()
        stop_demo_workers(workers)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
