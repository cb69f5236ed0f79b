"""Messages an operator reads in edge cases: nothing misleading, nothing stale."""

from __future__ import annotations

import httpx
from asyncz.schedulers.asyncio import AsyncIOScheduler

from asyncz_dashboard import AsynczAdmin

from ..conftest import action_fields, noop
from .page import flashes, parse


async def test_resuming_a_running_scheduler_says_it_already_runs(
    client: httpx.AsyncClient,
) -> None:
    fields = action_fields((await client.get("/dashboard/")).text)
    await client.post("/dashboard/scheduler/resume", data=fields)
    page = await client.get("/dashboard/")
    assert flashes(page.text) == [
        "Could not resume the scheduler: The scheduler is already running."
    ]


async def test_a_paused_scheduler_is_announced_on_every_page(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    scheduler.add_task(noop, "interval", minutes=5, id="t1")
    scheduler.pause()
    for url in ("/dashboard/", "/dashboard/tasks", "/dashboard/tasks/t1", "/dashboard/runs"):
        page = await client.get(url)
        assert "The scheduler is paused: no task starts until it is resumed" in page.text, url


async def test_pages_are_never_cached_but_assets_are(client: httpx.AsyncClient) -> None:
    page = await client.get("/dashboard/tasks")
    assert page.headers["cache-control"] == "no-store"
    css = await client.get("/dashboard/static/css/dashboard.css")
    assert css.headers["cache-control"].startswith("public, max-age=")


async def test_run_history_past_its_last_page_with_no_runs_says_none_are_recorded(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    page = await client.get("/dashboard/runs?page=3")
    assert "No runs recorded yet" in page.text  # the first page's message, not page 3's
    assert "No runs on page 3." not in page.text


async def test_a_time_filter_that_is_no_time_is_named_as_ignored(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/dashboard/logs?since=yesterday&until=2026-11-29 09:00")
    assert page.status_code == 200
    said = "Not a time, so not used as a filter: From “yesterday”. Write a date and time such"
    assert said in page.text
    # What was typed stays in its field, the one that is no time marked invalid.
    since, until = parse(page.text).find(id="log-since"), parse(page.text).find(id="log-until")
    assert since.attrs["value"] == "yesterday" and since.attrs["aria-invalid"] == "true"
    assert until.attrs["value"] == "2026-11-29 09:00" and "aria-invalid" not in until.attrs


async def test_search_does_not_match_the_module_path_of_every_task(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    # noop lives in tests.conftest: a search for "conftest" must not list every task.
    scheduler.add_task(noop, "interval", minutes=5, id="orders", name="Sync orders")
    scheduler.add_task(noop, "interval", minutes=5, id="mail", name="Send mail")
    page = await client.get("/dashboard/tasks?q=conftest")
    assert "No tasks match these filters." in page.text
    page = await client.get("/dashboard/tasks?q=sync")
    assert "Sync orders" in page.text and "Send mail" not in page.text


def test_asyncz_dashboard_defaults_of_another_dashboard_are_not_taken(
    scheduler: AsyncIOScheduler,
) -> None:
    # Without config=, only values a user changed in Asyncz's settings are used: Asyncz's own
    # dashboard defaults (its title, a favicon path outside our static files) are not ours.
    admin = AsynczAdmin(scheduler)
    try:
        assert admin.config.title == "Asyncz dashboard"
        assert admin.config.favicon in admin.static.files
    finally:
        admin.close()
