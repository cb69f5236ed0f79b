"""The dashboard inside a Starlette app, mounted with ``Mount("/dashboard", ...)``.

Needs ``pip install starlette`` besides asyncz-dashboard.
Run from the repository root: ``python examples/starlette_app.py 9000`` (or ``PORT=9000``;
the default is 8000) or ``hypercorn examples.starlette_app:app --bind 127.0.0.1:9000``, and open
http://127.0.0.1:9000/dashboard/
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from asyncz.schedulers.asyncio import AsyncIOScheduler
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route

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

# Without secret_key: ASYNCZ_DASHBOARD_SECRET_KEY, else a random key per process.
admin = AsynczAdmin(scheduler, config=DashboardConfig(title="Shop operations"))


async def home(request: Request) -> PlainTextResponse:
    """The host's own page."""
    return PlainTextResponse("Shop home. The dashboard is at /dashboard/")


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    # Mount does not forward lifespan to mounted apps, so the host runs its scheduler.
    scheduler.start()
    try:
        yield
    finally:
        scheduler.shutdown(wait=False)


app = Starlette(
    routes=[Route("/", home), Mount("/dashboard", app=admin.get_asgi_app())],
    lifespan=lifespan,
)

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
