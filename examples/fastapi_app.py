"""The dashboard inside a FastAPI app, mounted with ``app.mount("/dashboard", ...)``.

Needs ``pip install fastapi`` besides asyncz-dashboard.
Run from the repository root: ``python examples/fastapi_app.py 9000`` (or ``PORT=9000``;
the default is 8000) or ``hypercorn examples.fastapi_app:app --bind 127.0.0.1:9000``, and open
http://127.0.0.1:9000/dashboard/
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from asyncz.schedulers.asyncio import AsyncIOScheduler
from fastapi import FastAPI

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

admin = AsynczAdmin(scheduler, config=DashboardConfig(title="Shop operations"))


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # app.mount does not forward lifespan to mounted apps, so the host runs its scheduler.
    scheduler.start()
    try:
        yield
    finally:
        scheduler.shutdown(wait=False)


app = FastAPI(lifespan=lifespan)


@app.get("/api/status")
async def status() -> dict[str, object]:
    """The host's own route."""
    return {"ok": True, "scheduler_running": scheduler.running}


app.mount("/dashboard", admin.get_asgi_app())  # or: admin.include_in(app)

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
