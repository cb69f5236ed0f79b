"""The demo scheduler behind a login, with some history, for the layout and theme tests.

Run as ``python -m tests.e2e.visual_server PORT`` from the repository root; it stops cleanly on
SIGTERM. Sign in as ``ada`` / ``PASSWORD``. On startup it runs a few demo tasks at once (one of
them fails with a long error, others log), so the runs, logs and events pages have entries.
"""

from __future__ import annotations

import asyncio
import hmac
import signal
import sys
from typing import Any

from hypercorn.asyncio import serve
from hypercorn.config import Config

from asyncz_dashboard import AsynczAdmin, DashboardConfig
from asyncz_dashboard.admin import SimpleUsernamePasswordBackend, User
from asyncz_dashboard.asgi.mount import PrefixMount
from asyncz_dashboard.demo import build_demo_scheduler, sync_orders

PREFIX = "/dashboard"
USERNAME = "ada"
PASSWORD = "correct horse battery staple"  # a test account
RUN_AT_START = ("billing.charge", "orders.sync.eu-west", "fx.refresh", "db.vacuum", "heartbeat")
# A task whose values are long: words that must wrap whole, and one token longer than a phone.
LONG_ID = "reports.rebuild-search-index-for-every-tenant-in-every-region"
LONG_NAME = "Rebuild the search index for every tenant in every region, then warm the caches"
LONG_URL = "https://search.internal.example.com/v2/indexes/" + "tenant-shard-" * 8 + "rebuild"


def verify(username: str, password: str) -> User | None:
    """One operator, ``ada``."""
    if username == USERNAME and hmac.compare_digest(password.encode(), PASSWORD.encode()):
        return User(id=USERNAME, name="Ada Lovelace")
    return None


class Outside:
    """Lifespan goes to the dashboard (which starts the scheduler); other paths are 404."""

    def __init__(self, dashboard: Any):
        self.dashboard = dashboard

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self.dashboard(scope, receive, send)
            return
        if scope["type"] == "http":
            await send({"type": "http.response.start", "status": 404, "headers": []})
            await send({"type": "http.response.body", "body": b""})


async def main(port: int) -> None:
    """Serve until SIGTERM or SIGINT."""
    scheduler = build_demo_scheduler()
    scheduler.add_task(
        sync_orders, "interval", hours=12, id=LONG_ID, name=LONG_NAME, args=[LONG_URL]
    )

    def start() -> None:
        scheduler.start()
        for task_id in RUN_AT_START:
            scheduler.run_task(task_id, remove_finished=False)

    def stop() -> None:
        if scheduler.running:
            scheduler.shutdown(wait=False)

    admin = AsynczAdmin(
        scheduler,
        config=DashboardConfig(secret_key="e2e-visual-secret", refresh_seconds=60),
        enable_login=True,
        backend=SimpleUsernamePasswordBackend(verify),
        on_startup=(start,),
        on_shutdown=(stop,),
    )
    dashboard = admin.get_asgi_app()
    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.accesslog = None
    config.graceful_timeout = 1
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    try:
        site = PrefixMount(PREFIX, dashboard, Outside(dashboard))
        await serve(site, config, shutdown_trigger=stopping.wait)
    finally:
        admin.close()


if __name__ == "__main__":
    from tests.e2e import visual_server

    asyncio.run(visual_server.main(int(sys.argv[1])))
