"""``asyncz-dashboard demo | serve | fleet | worker``: the dashboard standalone under hypercorn,
or a scheduler run as a fleet worker."""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import ipaddress
import math
import os
import secrets
import sys
from collections.abc import Sequence
from typing import Any

from .admin import SECRET_ENV
from .config import DashboardConfig
from .fleet.cli import (
    add_worker_parser,
    remove_demo_folder,
    run_worker,
    start_demo_workers,
    stop_demo_workers,
)
from .standalone import (
    allowed_hosts_for,
    binds_everywhere,
    build_site,
    configure_logging,
    load_scheduler,
    serve_site,
)

__all__ = ["allowed_hosts_for", "build_site", "load_scheduler", "main"]

EXIT_USAGE = 2


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
    fleet = commands.add_parser(
        "fleet",
        help="serve the dashboard over a fleet's workers",
        description="Serve the dashboard over every worker publishing to a fleet database\n"
        "(asyncz-dashboard worker ... --fleet URL).",
        formatter_class=formatter,
    )
    fleet.add_argument("url", help="the fleet database URL the workers publish to")
    demo.add_argument(
        "--fleet", action="store_true", help="a dashboard and three demo workers on a SQLite file"
    )
    add_worker_parser(commands)
    _add_options(demo, demo=True)
    _add_options(serve, demo=False)
    _add_options(fleet, demo=False)
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
    if args.command == "worker":
        configure_logging(verbose=True)
        try:
            return run_worker(load_scheduler(args.target), args)
        except ValueError as exc:
            return _usage_error(exc)
    secret_key = args.secret_key
    fleet_url: str | None = None
    workers: list[Any] = []
    scheduler: Any = None
    if args.command == "fleet":
        configure_logging(args.verbose)
        fleet_url = args.url
    elif args.command == "demo" and args.fleet:
        configure_logging(args.verbose)
        if importlib.util.find_spec("sqlalchemy") is None:  # before any worker starts
            return _usage_error(
                ModuleNotFoundError("No module named 'sqlalchemy'", name="sqlalchemy")
            )
        fleet_url, workers = start_demo_workers(None, args.verbose)
        secret_key = secret_key or os.environ.get(SECRET_ENV) or secrets.token_urlsafe(32)
    elif args.command == "demo":
        from .demo import CONSOLE_HIDDEN, build_demo_scheduler

        configure_logging(args.verbose, CONSOLE_HIDDEN)
        scheduler = build_demo_scheduler()
        # A demo's sessions need not outlive it: a random key, and no warning about it.
        secret_key = secret_key or os.environ.get(SECRET_ENV) or secrets.token_urlsafe(32)
    else:
        configure_logging(args.verbose)
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
            fleet=fleet_url,
        )
    except (ImportError, ValueError) as exc:
        stop_demo_workers(workers)
        if workers:
            remove_demo_folder(fleet_url)
        return _usage_error(exc)
    if binds_everywhere(args.host) and not args.allowed_host:
        print(
            f"asyncz-dashboard: hint: --host {args.host} listens on every address, but only "
            f"requests for {', '.join(admin.config.allowed_hosts)} are answered (others get "
            "400); name the host names browsers use with --allowed-host NAME",
            file=sys.stderr,
            flush=True,
        )
    prefix = admin.config.dashboard_url_prefix

    def announce(base: str) -> None:
        if scheduler is not None and args.command == "demo":
            print(
                f"Demo scheduler with {len(scheduler.get_tasks())} tasks; their log lines are "
                "on the dashboard's Logs page.",
                flush=True,
            )
        print("Press Ctrl-C to stop. The dashboard is at:", flush=True)
        print(f"  {base}{prefix}/", flush=True)

    try:
        asyncio.run(serve_site(site, args.host, args.port, announce))
    except KeyboardInterrupt:
        pass  # Ctrl-C before the server had installed its own handler
    except Exception as exc:
        print(f"asyncz-dashboard: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    finally:
        admin.close()
        stop_demo_workers(workers)
        if workers:
            remove_demo_folder(fleet_url)
    return 0


SQL_MODULES = ("sqlalchemy", "psycopg")  # what the sql extra installs


def _usage_error(exc: Exception) -> int:
    print(f"asyncz-dashboard: error: {exc}", file=sys.stderr)
    if isinstance(exc, ImportError) and (exc.name or "").split(".")[0] in SQL_MODULES:
        print(
            "asyncz-dashboard: hint: SQL storage and fleets need the sql extra: pip install "
            '"asyncz-dashboard[sql]" (in a clone: .venv/bin/pip install -e ".[sql]")',
            file=sys.stderr,
        )
    return EXIT_USAGE


if __name__ == "__main__":
    raise SystemExit(main())
