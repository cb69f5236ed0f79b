"""F29: hypercorn's dispatcher hands the dashboard ``root_path`` and a plain string prefix."""

from __future__ import annotations

from asyncz.schedulers.asyncio import AsyncIOScheduler
from hypercorn.middleware.dispatcher import AsyncioDispatcherMiddleware

from asyncz_dashboard import AsynczAdmin

from ..views.page import parse
from .crawl import assert_covers_every_kind, crawl
from .hosts import quart_host
from .support import populate, serve


async def test_dispatcher_mount_completes_lifespan_links_right_and_404s_lookalikes(
    scheduler: AsyncIOScheduler, config: object
) -> None:
    populate(scheduler)
    events: list[str] = []
    admin = AsynczAdmin(
        scheduler,
        config=config,  # type: ignore[arg-type]
        on_startup=(lambda: events.append("startup"),),
        on_shutdown=(lambda: events.append("shutdown"),),
    )
    site = AsyncioDispatcherMiddleware({"/dashboard": admin.get_asgi_app(), "": quart_host()})
    try:
        async with serve(site) as client:
            assert events == ["startup"], "the dashboard acknowledged lifespan startup"
            tasks = await client.get("/dashboard/tasks")
            result = await crawl(client, "/dashboard")
            lookalike = await client.get("/dashboardx/tasks")
            home = await client.get("/")
        assert events == ["startup", "shutdown"], "and shutdown"
    finally:
        admin.close()

    assert tasks.status_code == 200
    assert_covers_every_kind(result, "/dashboard")
    assert lookalike.status_code == 404
    assert lookalike.headers["content-type"] == "text/html; charset=utf-8"
    assert parse(lookalike.text).find("h1").text == "404 · Not found"
    links = [a.attrs["href"] for a in parse(lookalike.text).find("section").find_all("a")]
    assert links == ["/dashboard/", "/dashboard/tasks"]
    assert "Legacy sync" not in lookalike.text
    assert (home.status_code, home.text) == (200, "host home")
