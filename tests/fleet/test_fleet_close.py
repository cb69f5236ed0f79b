"""Closing a fleet dashboard (``admin.close()``) and a worker (``FleetWorker.close()``) closes
every PostgreSQL connection they opened, even one a page's read still holds at that moment:
none is left for the garbage collector (psycopg warns "deleted while still open")."""

from __future__ import annotations

import asyncio
import gc
import warnings
from urllib.parse import unquote

import psycopg
from asyncz.schedulers.asyncio import AsyncIOScheduler

from asyncz_dashboard import AsynczAdmin, DashboardConfig
from asyncz_dashboard.fleet import FleetWorker

from ..conftest import SECRET
from ..storage.conftest import _postgres_dsn
from .test_fleet_dashboard import serve
from .test_fleet_story import eventually


def left_open() -> list[str]:
    """psycopg's warnings about connections the garbage collector had to close."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        gc.collect()
    return [str(w.message) for w in caught if "still open" in str(w.message)]


async def test_closing_while_a_read_is_under_way_leaves_no_connection_open(pg_url: str) -> None:
    schema = unquote(pg_url).rsplit("search_path=", 1)[1]
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.start()
    worker = FleetWorker(scheduler, pg_url, name="billing", heartbeat_seconds=0.5)
    admin = AsynczAdmin(fleet=pg_url, config=DashboardConfig(secret_key=SECRET))
    try:
        async for client in serve(admin):
            await eventually(lambda: admin.adapter.instances)
            assert (await client.get("/dashboard/runs")).status_code == 200
            # Someone holds the runs table: the runs page's read waits on it, in a reader
            # thread, while the dashboard closes.
            with psycopg.connect(_postgres_dsn(), autocommit=False) as blocker:
                blocker.execute(
                    f"LOCK TABLE {schema}.asyncz_dashboard_runs IN ACCESS EXCLUSIVE MODE"
                )
                page = asyncio.ensure_future(client.get("/dashboard/runs"))
                await asyncio.sleep(0.3)
                await asyncio.to_thread(admin.close)
                blocker.rollback()
            assert (await page).status_code == 200
    finally:
        await asyncio.to_thread(admin.close)
        await asyncio.to_thread(worker.close)
        scheduler.shutdown(wait=False)
    await asyncio.sleep(0.5)  # the reader thread hands its connection back
    assert left_open() == []
