"""The standalone site served for real by hypercorn on a free local port."""

from __future__ import annotations

import asyncio
import socket

import httpx
from hypercorn.asyncio import serve
from hypercorn.config import Config

from asyncz_dashboard.cli import build_site

from ..conftest import SECRET, make_scheduler, noop


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def test_hypercorn_serves_the_overview_and_assets_then_stops_cleanly() -> None:
    scheduler = make_scheduler()
    scheduler.add_task(noop, "interval", minutes=5, id="legacy/sync 1", name="Legacy sync")
    site, admin = build_site(scheduler, "/dashboard", SECRET)
    port = free_port()
    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.accesslog = None
    config.graceful_timeout = 1
    stop = asyncio.Event()
    server = asyncio.create_task(serve(site, config, shutdown_trigger=stop.wait))
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=5) as client:
            for _ in range(200):
                try:
                    overview = await client.get("/dashboard/")
                    break
                except httpx.ConnectError:
                    await asyncio.sleep(0.02)
            else:
                raise AssertionError("hypercorn did not start")
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
        stop.set()
        await asyncio.wait_for(server, timeout=5)
        admin.close()
    assert server.exception() is None
    await asyncio.sleep(0.05)
    assert not scheduler.running, "the lifespan stopped the scheduler"
