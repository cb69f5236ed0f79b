"""The dashboard with no web framework: a few lines of plain ASGI around it.

Needs nothing besides asyncz-dashboard.
Run from the repository root: ``python examples/standalone.py 9000`` (or ``PORT=9000``;
the default is 8000) or ``hypercorn examples.standalone:app --bind 127.0.0.1:9000``, and open
http://127.0.0.1:9000/dashboard/

With no host routes at all, the CLI does the same: ``asyncz-dashboard serve
examples.standalone:scheduler``.
"""

from __future__ import annotations

from typing import Any

from asyncz.schedulers.asyncio import AsyncIOScheduler

from asyncz_dashboard import AsynczAdmin, DashboardConfig


async def send_newsletter(list_name: str) -> None:
    """Pretend to send a newsletter."""


async def sync_inventory(warehouse: str, *, api_key: str) -> None:
    """Pretend to sync stock levels (the dashboard shows ``api_key`` as ``***``)."""


scheduler = AsyncIOScheduler(timezone="UTC")
scheduler.add_task(
    send_newsletter,
    "cron",
    day_of_week="mon",
    hour=9,
    args=["subscribers"],
    id="newsletter",
    name="Weekly newsletter",
)
scheduler.add_task(
    sync_inventory,
    "interval",
    minutes=5,
    args=["berlin"],
    kwargs={"api_key": "k-123"},
    id="inventory",
    name="Sync inventory",
)


def start_scheduler() -> None:
    scheduler.start()


def stop_scheduler() -> None:
    scheduler.shutdown(wait=False)


# Served standalone, the dashboard's own lifespan hooks start and stop the scheduler.
admin = AsynczAdmin(
    scheduler,
    config=DashboardConfig(title="Shop operations"),
    on_startup=(start_scheduler,),
    on_shutdown=(stop_scheduler,),
)
dashboard = admin.get_asgi_app()
PREFIX = "/dashboard"


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The host: ``/dashboard...`` goes to the dashboard, ``/`` is our own page."""
    if scope["type"] == "lifespan":
        await dashboard(scope, receive, send)
        return
    path = scope.get("path", "/")
    if path == PREFIX or path.startswith(PREFIX + "/"):
        # The external URL of every dashboard page is root_path + route (ASGI spec).
        await dashboard(dict(scope, root_path=scope.get("root_path", "") + PREFIX), receive, send)
        return
    if scope["type"] != "http":
        return
    await send(
        {
            "type": "http.response.start",
            "status": 200 if path == "/" else 404,
            "headers": [(b"content-type", b"text/plain; charset=utf-8")],
        }
    )
    body = b"Shop home. The dashboard is at /dashboard/" if path == "/" else b"Not found"
    await send({"type": "http.response.body", "body": body})


if __name__ == "__main__":
    import asyncio
    import os
    import sys

    from hypercorn.asyncio import serve
    from hypercorn.config import Config

    config = Config()
    port = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("PORT", "8000")
    config.bind = [f"127.0.0.1:{port}"]
    asyncio.run(serve(app, config))  # Ctrl-C stops it
