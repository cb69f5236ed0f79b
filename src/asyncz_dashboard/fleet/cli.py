"""The fleet's commands of ``asyncz-dashboard``: ``worker`` runs a scheduler as a fleet worker;
``fleet URL`` and ``demo --fleet`` are served by ``cli.main`` with ``fleet=`` set."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

DEMO_WORKERS = ("worker-1", "worker-2", "worker-3")


def add_worker_parser(commands: Any) -> None:
    """Add ``worker module:scheduler --fleet URL [--name NAME] [--heartbeat SECONDS]``."""
    worker = commands.add_parser("worker", help="run your scheduler as a fleet worker")
    worker.add_argument("target", help="module:attribute of a scheduler or a factory")
    worker.add_argument("--fleet", required=True, help="the fleet database URL")
    worker.add_argument("--name", default=None, help="shown on the dashboard (default host:pid)")
    worker.add_argument(
        "--heartbeat", type=float, default=5.0, help="seconds between heartbeats (default 5)"
    )
    worker.add_argument(
        "--allowed-callable",
        action="append",
        default=None,
        metavar="MODULE:FUNCTION",
        help="a callable the dashboard may create tasks with (repeatable; default: none)",
    )


def run_worker(scheduler: Any, args: argparse.Namespace) -> int:
    """Start ``scheduler`` and publish it until SIGINT or SIGTERM; returns the exit code."""
    from .worker import FleetWorker

    async def serve() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        scheduler.start()
        worker = FleetWorker(
            scheduler,
            args.fleet,
            name=args.name,
            heartbeat_seconds=args.heartbeat,
            allowed_callables=getattr(args, "allowed_callable", None),
        )
        print(f"asyncz-dashboard: worker {worker.name} publishing to the fleet", flush=True)
        try:
            await stop.wait()
        finally:
            await asyncio.to_thread(worker.close)
            scheduler.shutdown(wait=False)

    asyncio.run(serve())
    return 0


DEMO_FOLDER_PREFIX = "asyncz-fleet-demo-"  # the fleet demo's temporary folder


def start_demo_workers(
    url: str | None, verbose: bool = False
) -> tuple[str, list[subprocess.Popen[bytes]]]:
    """Start three demo workers (subprocesses) on ``url``, or on a new SQLite file when None;
    returns the URL and the processes (terminate them when done). Their output goes to
    ``<name>.log`` beside the database (the demo's console stays quiet), or, ``verbose``, to
    this console."""
    folder = Path(tempfile.mkdtemp(prefix=DEMO_FOLDER_PREFIX))
    if url is None:
        url = f"sqlite:///{folder / 'fleet.db'}"
    processes = []
    for n, name in enumerate(DEMO_WORKERS, start=1):
        command = [sys.executable, "-m", "asyncz_dashboard.cli", "worker"]
        command += [f"asyncz_dashboard.fleet.demo:worker_{n}", "--fleet", url, "--name", name]
        with contextlib.ExitStack() as files:
            out = None if verbose else files.enter_context((folder / f"{name}.log").open("wb"))
            # Our own interpreter and module, fixed arguments; the child keeps its own copy of
            # the log file.
            processes.append(
                subprocess.Popen(  # noqa: S603
                    command,
                    stdout=out,
                    stderr=subprocess.STDOUT if out else None,
                    preexec_fn=_die_with_parent if sys.platform == "linux" else None,
                )
            )
    return url, processes


def _die_with_parent() -> None:
    """In the forked worker, on Linux: get SIGTERM when the demo dies, even by SIGKILL, so a
    demo killed hard leaves no worker behind (``prctl(PR_SET_PDEATHSIG)``)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # 1: PR_SET_PDEATHSIG


def remove_demo_folder(url: str | None) -> None:
    """Remove the temporary folder ``start_demo_workers`` made for ``url`` (its SQLite file and
    the workers' logs), once they have stopped; any other URL is left alone."""
    if not url or not url.startswith("sqlite:///"):
        return
    folder = Path(url.removeprefix("sqlite:///")).parent
    if folder.name.startswith(DEMO_FOLDER_PREFIX) and folder.parent == Path(tempfile.gettempdir()):
        shutil.rmtree(folder, ignore_errors=True)


def stop_demo_workers(processes: list[subprocess.Popen[bytes]]) -> None:
    """Terminate the demo workers and wait for them (up to 10 s each)."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
