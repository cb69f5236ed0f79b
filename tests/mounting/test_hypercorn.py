"""The standalone site served for real by hypercorn on a free local port."""

from __future__ import annotations

import asyncio

import httpx

from asyncz_dashboard.cli import build_site

from ..conftest import SECRET, make_scheduler, noop
from ..proxy.nginx import hypercorn


async def test_hypercorn_serves_the_overview_and_assets_then_stops_cleanly() -> None:
    scheduler = make_scheduler()
    scheduler.add_task(noop, "interval", minutes=5, id="legacy/sync 1", name="Legacy sync")
    site, admin = build_site(scheduler, "/dashboard", SECRET)
    try:
        async with (
            hypercorn(site) as address,
            httpx.AsyncClient(base_url=f"http://{address}", timeout=5) as client,
        ):
            overview = await client.get("/dashboard/")
            assert overview.status_code == 200
            assert overview.headers["content-type"] == "text/html; charset=utf-8"
            assert "Legacy sync" in overview.text
            assert scheduler.running, "the lifespan started the scheduler"
            css = await client.get("/dashboard/static/css/dashboard.css")
            assert css.status_code == 200
            assert css.headers["content-type"] == "text/css; charset=utf-8"
            root = await client.get("/")
            assert (root.status_code, root.headers["location"]) == (307, "/dashboard/")
    finally:
        admin.close()
    await asyncio.sleep(0.05)
    assert not scheduler.running, "the lifespan stopped the scheduler"
