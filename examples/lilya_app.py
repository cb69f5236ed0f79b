"""The dashboard inside a Lilya app with ``admin.include_in(app)``.

Needs ``pip install lilya`` besides asyncz-dashboard.
Run from the repository root: ``python examples/lilya_app.py 9000`` (or ``PORT=9000``;
the default is 8000) or ``hypercorn examples.lilya_app:app --bind 127.0.0.1:9000``, and open
http://127.0.0.1:9000/dashboard/
"""

from __future__ import annotations

from asyncz.schedulers.asyncio import AsyncIOScheduler
from lilya.apps import Lilya
from lilya.responses import PlainText
from lilya.routing import Path

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


async def home() -> PlainText:
    """The host's own page."""
    return PlainText("Shop home. The dashboard is at /dashboard/")


def start_scheduler() -> None:
    scheduler.start()


def stop_scheduler() -> None:
    scheduler.shutdown(wait=False)


# Lilya's include does not forward lifespan to included apps, so the host runs its scheduler.
app = Lilya(
    routes=[Path("/", home)],
    on_startup=[start_scheduler],
    on_shutdown=[stop_scheduler],
)
admin = AsynczAdmin(scheduler, config=DashboardConfig(title="Shop operations"))
admin.include_in(app)  # at config.dashboard_url_prefix, /dashboard by default

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
