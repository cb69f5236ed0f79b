"""The dashboard inside a Quart app with ``admin.include_in(app)`` (wraps ``app.asgi_app``).

Needs ``pip install quart`` besides asyncz-dashboard.
Run from the repository root: ``python examples/quart_app.py 9000`` (or ``PORT=9000``;
the default is 8000) or ``hypercorn examples.quart_app:app --bind 127.0.0.1:9000``, and open
http://127.0.0.1:9000/dashboard/
"""

from __future__ import annotations

from asyncz.schedulers.asyncio import AsyncIOScheduler
from quart import Quart

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

app = Quart(__name__)


@app.before_serving
async def start_scheduler() -> None:
    scheduler.start()


@app.after_serving
async def stop_scheduler() -> None:
    scheduler.shutdown(wait=False)


@app.get("/")
async def home() -> str:
    """The host's own page."""
    return "Shop home. The dashboard is at /dashboard/"


# Mounted at config.dashboard_url_prefix (default /dashboard); other paths stay Quart's.
admin = AsynczAdmin(scheduler, config=DashboardConfig(title="Shop operations"))
admin.include_in(app)

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
