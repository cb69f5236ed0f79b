"""The dashboard inside a Quart app with ``admin.include_in(app)`` (wraps ``app.asgi_app``).

Run from the repository root: ``hypercorn examples.quart_app:app`` (or
``python examples/quart_app.py``) and open http://127.0.0.1:8000/dashboard/
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
    app.run(host="127.0.0.1", port=8000)
