"""``get_asgi_app()`` mounted by the host (Starlette ``Mount``, FastAPI ``app.mount``): links
come from the ASGI ``root_path`` alone, at any depth."""

from __future__ import annotations

from typing import Any

import pytest
from asyncz.schedulers.asyncio import AsyncIOScheduler

from asyncz_dashboard import AsynczAdmin

from ..views.page import parse
from .crawl import assert_covers_every_kind, crawl
from .hosts import fastapi_host, starlette_host
from .support import populate, serve


def starlette_mount(prefix: str, dashboard: Any) -> Any:
    from starlette.routing import Mount

    host = starlette_host()
    host.router.routes.append(Mount(prefix, app=dashboard))
    return host


def fastapi_mount(prefix: str, dashboard: Any) -> Any:
    host = fastapi_host()
    host.mount(prefix, dashboard)
    return host


MOUNTS = {"starlette Mount": starlette_mount, "fastapi app.mount": fastapi_mount}


@pytest.mark.parametrize("prefix", ["/dashboard", "/admin/jobs"])
@pytest.mark.parametrize("how", list(MOUNTS))
async def test_a_mounted_dashboard_renders_every_url_under_the_mount_once(
    scheduler: AsyncIOScheduler, admin: AsynczAdmin, how: str, prefix: str
) -> None:
    populate(scheduler)
    host = MOUNTS[how](prefix, admin.get_asgi_app())
    async with serve(host) as client:
        result = await crawl(client, prefix)
        home = await client.get("/")
        ping = await client.get("/api/ping")
    assert_covers_every_kind(result, prefix)
    assert (home.status_code, home.text) == (200, "host home")
    assert (ping.status_code, ping.json()) == (200, {"ping": "pong"})


async def test_fastapi_mount_at_admin_jobs_follows_every_nav_link(
    scheduler: AsyncIOScheduler, admin: AsynczAdmin
) -> None:
    """F07: links are built from root_path (/admin/jobs/...), and every one answers 200."""
    populate(scheduler)
    host = fastapi_mount("/admin/jobs", admin.get_asgi_app())
    async with serve(host) as client:
        start = await client.get("/admin/jobs/")
        nav = [a.attrs["href"] for a in parse(start.text).find("nav").find_all("a")]
        result = await crawl(client, "/admin/jobs")
        followed = {url: (await client.get(url)).status_code for url in nav}
    assert start.status_code == 200
    assert nav[:2] == ["/admin/jobs/", "/admin/jobs/tasks"]
    assert all(url.startswith("/admin/jobs/") for url in nav)
    assert followed == dict.fromkeys(nav, 200)
    assert set(result.statuses.values()) == {200}


async def test_assets_under_a_jobs_mount_load_from_jobs_static(
    scheduler: AsyncIOScheduler, admin: AsynczAdmin
) -> None:
    """F09: every <link>, <script> and <img> URL starts with /jobs/static/ and answers 200."""
    populate(scheduler)
    host = starlette_mount("/jobs", admin.get_asgi_app())
    async with serve(host) as client:
        page = await client.get("/jobs/")
        tree = parse(page.text)
        assets = [n.attrs["href"] for n in tree.find_all("link")]
        assets += [n.attrs["src"] for n in tree.find_all("script") + tree.find_all("img")]
        answers = {url: await client.get(url) for url in assets}
    assert len(assets) == 7  # favicon, CSS, theme.js, htmx, idiomorph, dashboard.js, controls.js
    types = {}
    for url, response in answers.items():
        assert url.startswith("/jobs/static/"), url
        assert response.status_code == 200, url
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
        types[url.split("?")[0].rsplit(".", 1)[-1]] = response.headers["content-type"]
    assert types == {
        "svg": "image/svg+xml",
        "css": "text/css; charset=utf-8",
        "js": "text/javascript; charset=utf-8",
    }
