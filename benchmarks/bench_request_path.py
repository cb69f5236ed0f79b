"""CPU time of one request through the whole dashboard stack, with no server and no client.

Run: ``/work/main/.venv/bin/python benchmarks/bench_request_path.py [--tasks 10000]
[--profile 204]``. It calls the ASGI app (``AsynczAdmin(...).get_asgi_app()``: allowed hosts,
gzip, sessions, routing, the gate, the view) directly with a scope and in-memory
receive/send, as a server would after parsing a request, and prints microseconds per request
for: the unchanged refresh (``X-Dashboard-Version`` current: 204), the task list (50 rows)
identity and gzip, and the overview. The requests carry no cookie, as wrk's do, so every page
also makes a CSRF token and signs a session cookie. ``--profile NAME`` prints a cProfile
table of that case (by own time): where the rest of the time goes.

A benchmark, not a test: it asserts nothing about timings.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import re
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_pages import build_scheduler, pause_share

from asyncz_dashboard import AsynczAdmin, DashboardConfig

SECRET = "bench-secret-key-not-for-production"  # noqa: S105 (a benchmark key)
BASE_HEADERS = {"host": "127.0.0.1:8000", "accept-encoding": "identity", "user-agent": "wrk"}
REFRESH = {"hx-request": "true", "hx-trigger": "tasks-table"}


def scope(path: str, query: str, headers: dict[str, str]) -> dict[str, Any]:
    """An ASGI HTTP scope as hypercorn builds it."""
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(k.encode(), v.encode()) for k, v in {**BASE_HEADERS, **headers}.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }


async def main(args: argparse.Namespace) -> None:
    scheduler = build_scheduler(args.tasks, firing=0, paused_share=0.0, seed=7)
    scheduler.start()
    pause_share(scheduler, 0.1, seed=7)
    admin = AsynczAdmin(scheduler, config=DashboardConfig(secret_key=SECRET))
    app = admin.get_asgi_app()
    # The index is built in slices on this loop: let it finish.
    while admin.adapter.counts().loading is not None:  # noqa: ASYNC110 (a poll of a counter)
        await asyncio.sleep(0.1)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope("/tasks/partials/table", "per_page=50", REFRESH), receive, send)
    body = b"".join(m.get("body", b"") for m in sent)
    version = re.search(rb'data-version="([^"]+)"', body)
    assert version is not None
    cases = {
        "204": scope(
            "/tasks/partials/table",
            "per_page=50",
            {**REFRESH, "x-dashboard-version": version.group(1).decode()},
        ),
        "task list": scope("/tasks", "per_page=50", {}),
        "task list, gzip": scope("/tasks", "per_page=50", {"accept-encoding": "gzip"}),
        "overview": scope("/", "", {}),
    }
    for name, request in cases.items():
        for _ in range(50):  # warm-up: caches filled
            sent.clear()
            await app(dict(request), receive, send)
        start = time.perf_counter()
        for _ in range(args.rounds):
            sent.clear()
            await app(dict(request), receive, send)
        took = (time.perf_counter() - start) / args.rounds
        size = sum(len(m.get("body", b"")) for m in sent)
        print(f"{name:>16}: {took * 1e6:7.0f} µs per request ({sent[0]['status']}, {size:,} B)")
    if args.profile:
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(args.rounds):
            sent.clear()
            await app(dict(cases[args.profile]), receive, send)
        profile.disable()
        pstats.Stats(profile).sort_stats("tottime").print_stats(25)
    admin.close()
    scheduler.shutdown(wait=False)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=2000)
    parser.add_argument("--profile", choices=["204", "task list", "task list, gzip", "overview"])
    asyncio.run(main(parser.parse_args()))
