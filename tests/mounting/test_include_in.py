"""``admin.include_in(app)`` for Starlette, FastAPI, Lilya and Quart, at a plain and a nested
prefix: every rendered URL carries the prefix once, and the host's own routes still answer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from asyncz.schedulers.asyncio import AsyncIOScheduler

from asyncz_dashboard import AsynczAdmin, DashboardConfig

from ..conftest import SECRET, csrf_from
from ..views.page import parse
from .crawl import assert_covers_every_kind, crawl
from .hosts import HOST_KINDS, make_host
from .support import populate, serve

PREFIXES = ("/dashboard", "/admin/jobs")


@pytest.fixture(params=PREFIXES)
def prefix(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def admin_at(scheduler: AsyncIOScheduler, prefix: str) -> Iterator[AsynczAdmin]:
    populate(scheduler)
    config = DashboardConfig(secret_key=SECRET, dashboard_url_prefix=prefix)
    admin = AsynczAdmin(scheduler, config=config)
    yield admin
    admin.close()


@pytest.mark.parametrize("kind", HOST_KINDS)
async def test_include_in_renders_every_url_under_the_prefix_once(
    kind: str, prefix: str, admin_at: AsynczAdmin
) -> None:
    host = admin_at.include_in(make_host(kind))
    async with serve(host) as client:
        result = await crawl(client, prefix)
    assert_covers_every_kind(result, prefix)
    if prefix != "/dashboard":
        assert not any("/dashboard/" in url for _, _, url, _ in result.seen)


@pytest.mark.parametrize("kind", HOST_KINDS)
async def test_include_in_leaves_the_host_routes_alone(
    kind: str, prefix: str, admin_at: AsynczAdmin
) -> None:
    host = admin_at.include_in(make_host(kind))
    async with serve(host) as client:
        home = await client.get("/")
        ping = await client.get("/api/ping")
        lookalike = await client.get(prefix + "x/tasks")
    assert (home.status_code, home.text) == (200, "host home")
    assert (ping.status_code, ping.json()) == (200, {"ping": "pong"})
    assert lookalike.status_code == 404
    assert "Legacy sync" not in lookalike.text


@pytest.mark.parametrize("kind", HOST_KINDS)
async def test_a_plain_post_under_include_in_redirects_inside_the_prefix(
    kind: str, prefix: str, admin_at: AsynczAdmin, scheduler: AsyncIOScheduler
) -> None:
    host = admin_at.include_in(make_host(kind))
    async with serve(host) as client:
        listing = await client.get(prefix + "/tasks?q=legacy")
        pause = next(
            button
            for button in parse(listing.text).find_all("button")
            if button.attrs.get("name") == "pause"
        )
        form = parse(listing.text).find("form", id="task-actions")
        assert form.attrs["action"] == prefix + "/tasks/act"
        response = await client.post(
            form.attrs["action"],
            data={
                "csrf_token": csrf_from(listing.text),
                "q": "legacy",
                "pause": pause.attrs["value"],
            },
        )
        assert response.status_code == 303
        assert response.headers["location"] == prefix + "/tasks?q=legacy"
        page = await client.get(response.headers["location"])
    assert "Paused &#39;Legacy sync&#39;." in page.text
    assert scheduler.get_task("legacy/sync 1").next_run_time is None


def test_include_in_refuses_an_unknown_host(admin_at: AsynczAdmin) -> None:
    with pytest.raises(TypeError, match="include_in does not know object"):
        admin_at.include_in(object())
