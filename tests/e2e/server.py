"""A dashboard over a real ``AsyncIOScheduler`` with known tasks, served by hypercorn.

Run as ``python -m tests.e2e.server PORT REFRESH_SECONDS`` from the repository root; it prints
``ready`` once it listens and stops cleanly on SIGTERM. ``POST /__e2e__/reset`` (outside the
dashboard) puts the known tasks back, so one server serves many tests. The tasks never fire
during a test: intervals are hours long, cron and date triggers lie days ahead.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from datetime import datetime, timedelta, timezone
from typing import Any

from asyncz.executors import ThreadPoolExecutor
from asyncz.schedulers.asyncio import AsyncIOScheduler
from asyncz.stores.memory import MemoryStore
from hypercorn.asyncio import serve
from hypercorn.config import Config

from asyncz_dashboard import AsynczAdmin, DashboardConfig
from asyncz_dashboard.asgi.mount import PrefixMount

PREFIX = "/dashboard"
SYNC_TASKS = 40  # "Sync orders 01" .. "Sync orders 40": two pages of a "sync" search
PAUSED = ("paused-task", "sync-05")
OTHER_TASKS = (
    ("nightly-report", "Nightly report", "cron", {"hour": 3, "minute": 0}),
    ("weekday-digest", "Weekday digest", "cron", {"day_of_week": "mon-fri", "hour": 9}),
    ("cleanup-tmp", "Clean up temp files", "interval", {"hours": 6}),
    ("rates", "Refresh exchange rates", "interval", {"minutes": 90}),
    ("heartbeat", "Heartbeat", "interval", {"hours": 2}),
    ("archive", "Archive invoices", "cron", {"day": 1, "hour": 4}),
    ("vacuum", "Vacuum database", "cron", {"day_of_week": "sun", "hour": 2, "minute": 30}),
    ("mailer", "Send newsletters", "interval", {"days": 1}),
)


async def sync_orders(region: str) -> None:
    """A task that does nothing (it never fires during a test)."""


async def housekeeping(*args: Any, **kwargs: Any) -> None:
    """Another task that does nothing."""


def build_scheduler() -> AsyncIOScheduler:
    """A not-yet-started scheduler; ``add_tasks`` fills it."""
    return AsyncIOScheduler(
        stores={"default": MemoryStore(), "reports": MemoryStore()},
        executors={"threads": ThreadPoolExecutor(max_workers=2)},
        timezone="UTC",
    )


def add_tasks(scheduler: AsyncIOScheduler) -> None:
    """50 tasks: 40 "sync", 8 others, 1 one-off, 1 more; ``paused-task`` and ``sync-05`` are
    paused (once the scheduler runs)."""
    start = datetime.now(timezone.utc) + timedelta(hours=1)
    for n in range(1, SYNC_TASKS + 1):
        scheduler.add_task(
            sync_orders,
            "interval",
            hours=1,
            start_at=start + timedelta(minutes=n),
            args=(f"region-{n:02d}",),
            id=f"sync-{n:02d}",
            name=f"Sync orders {n:02d}",
        )
    for task_id, name, trigger, fields in OTHER_TASKS:
        scheduler.add_task(
            housekeeping,
            trigger,
            id=task_id,
            name=name,
            store="reports" if trigger == "cron" else "default",
            executor="threads" if task_id == "vacuum" else "default",
            **fields,
        )
    scheduler.add_task(
        housekeeping,
        "date",
        run_at=datetime.now(timezone.utc) + timedelta(days=3),
        id="once",
        name="One-off migration",
        kwargs={"api_key": "hunter2"},
    )
    scheduler.add_task(housekeeping, "interval", hours=4, id="paused-task", name="Paused export")
    if scheduler.running:
        for task_id in PAUSED:
            scheduler.pause_task(task_id)


class Outside:
    """Everything outside the dashboard's prefix: lifespan goes to the dashboard (which starts
    the scheduler), ``POST /__e2e__/reset`` puts the known tasks back, ``POST /__e2e__/add``
    adds "Added elsewhere" (a cron task in store "reports"), the rest is 404."""

    def __init__(self, dashboard: Any, scheduler: AsyncIOScheduler):
        self.dashboard = dashboard
        self.scheduler = scheduler

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self.dashboard(scope, receive, send)
            return
        if scope["type"] != "http":
            return
        status = 404
        if scope["path"] == "/__e2e__/reset" and scope["method"] == "POST":
            self.scheduler.remove_all_tasks(None)  # every store
            add_tasks(self.scheduler)
            status = 204
        elif scope["path"] == "/__e2e__/add" and scope["method"] == "POST":
            self.scheduler.add_task(
                housekeeping,
                "cron",
                hour=5,
                id="added",
                name="Added elsewhere",
                store="reports",
            )
            status = 204
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})


def build_app(scheduler: AsyncIOScheduler, refresh_seconds: int) -> tuple[Any, AsynczAdmin]:
    """The standalone site (as ``cli.build_site`` builds it) with a chosen table refresh."""

    def start() -> None:
        scheduler.start()
        for task_id in PAUSED:
            scheduler.pause_task(task_id)

    def stop() -> None:
        if scheduler.running:
            scheduler.shutdown(wait=False)

    config = DashboardConfig(secret_key="e2e-secret", refresh_seconds=refresh_seconds)
    admin = AsynczAdmin(
        scheduler,
        config=config,
        on_startup=(start,),
        on_shutdown=(stop,),
        allowed_callables={"housekeeping": housekeeping, "sync_orders": sync_orders},
    )
    dashboard = admin.get_asgi_app()
    return PrefixMount(PREFIX, dashboard, Outside(dashboard, scheduler)), admin


async def main(port: int, refresh_seconds: int) -> None:
    """Serve until SIGTERM or SIGINT."""
    scheduler = build_scheduler()
    add_tasks(scheduler)
    app, admin = build_app(scheduler, refresh_seconds)
    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.accesslog = None
    config.graceful_timeout = 1
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    loop.call_soon(lambda: print("ready", flush=True))
    try:
        await serve(app, config, shutdown_trigger=stop.wait)
    finally:
        admin.close()


if __name__ == "__main__":
    # Run the imported module's main, so the tasks' callables read "tests.e2e.server:...",
    # not "__main__:...".
    from tests.e2e import server

    asyncio.run(server.main(int(sys.argv[1]), int(sys.argv[2])))
