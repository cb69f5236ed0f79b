"""Reading every task never holds the event loop: ``AsynczAdmin(...)`` returns at once, pages
say "Loading N tasks…" until the index is built, a rebuild runs in slices of a few
milliseconds, and events that arrive meanwhile are not lost. Triggers sort by meaning."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from asyncz.schedulers.asyncio import AsyncIOScheduler
from asyncz.stores.memory import MemoryStore

from asyncz_dashboard import AsynczAdmin, DashboardConfig
from benchmarks.bench_pages import StallMonitor

from ..conftest import SECRET, make_scheduler, noop
from ..views.page import row_names, row_state, rows

# Enough tasks that reading them all takes well over a slice (~0.1-1 s on this machine),
# few enough that adding them through Asyncz (about 1 ms each) keeps the test short.
N = 2_500
EN_DASH = "\u2013"
STALL_LIMIT = 0.05  # seconds of loop-thread CPU between two 1 ms ticks


@pytest.fixture
async def crowded() -> AsyncIterator[AsyncIOScheduler]:
    """A started (paused) scheduler holding ``N`` interval tasks named "Task 00000" ..."""
    scheduler = make_scheduler()
    scheduler.start(paused=True)
    for i in range(N):
        scheduler.add_task(noop, "interval", minutes=5 + i % 50, id=f"t{i}", name=f"Task {i:05}")
    try:
        yield scheduler
    finally:
        scheduler.shutdown(wait=False)
        await asyncio.sleep(0)


def client_for(admin: AsynczAdmin) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=admin.get_asgi_app(), root_path="/dashboard")
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def until_loaded(client: httpx.AsyncClient, url: str = "/dashboard/tasks") -> str:
    """The page once it no longer says it is loading (within 30 s)."""
    for _ in range(600):
        page = (await client.get(url)).text
        if "Loading" not in page:
            return page
        await asyncio.sleep(0.05)
    raise AssertionError("the dashboard is still loading its tasks after 30 s")


async def test_pages_say_loading_until_every_task_is_read(crowded: AsyncIOScheduler) -> None:
    admin = AsynczAdmin(crowded, config=DashboardConfig(secret_key=SECRET))
    try:
        async with client_for(admin) as client:
            listing = (await client.get("/dashboard/tasks")).text
            assert "Loading 2,500 tasks…" in listing
            assert not rows(listing)
            assert "Loading 2,500 tasks…" in (await client.get("/dashboard/")).text
            listing = await until_loaded(client)
            assert f"1{EN_DASH}25 of 2500" in listing
            assert row_names(listing)[:2] == ["Task 00000", "Task 00050"]  # soonest first
            overview = await until_loaded(client, "/dashboard/")
            assert "All 2500 tasks" in overview
    finally:
        admin.close()


async def test_building_and_rebuilding_never_hold_the_loop(crowded: AsyncIOScheduler) -> None:
    monitor = StallMonitor()
    monitor.start()
    started = time.thread_time()
    admin = AsynczAdmin(crowded, config=DashboardConfig(secret_key=SECRET))
    construction = time.thread_time() - started
    index = admin.adapter.index
    try:
        async with client_for(admin) as client:
            assert "Loading" in (await client.get("/dashboard/tasks")).text  # templates warm
            monitor.reset()
            while index.building:
                await asyncio.sleep(0.01)
            assert construction < 0.5
            assert monitor.max_busy < STALL_LIMIT
            # A store added and all tasks removed each re-read every task, in slices too.
            crowded.add_store(MemoryStore(), "extra")
            assert index.building
            while index.building:
                await asyncio.sleep(0.01)
            crowded.remove_all_tasks(None)
            while index.building:
                await asyncio.sleep(0.01)
            assert monitor.max_busy < STALL_LIMIT
            assert "No tasks yet" in await until_loaded(client)
    finally:
        admin.close()
        await monitor.stop()


async def test_events_during_a_build_are_not_lost(crowded: AsyncIOScheduler) -> None:
    admin = AsynczAdmin(crowded, config=DashboardConfig(secret_key=SECRET))
    try:
        async with client_for(admin) as client:
            assert "Loading" in (await client.get("/dashboard/tasks")).text
            last = f"t{N - 1}"  # read last by the build, changed first by an event
            crowded.pause_task(last)
            crowded.delete_task(f"t{N - 2}")
            crowded.add_task(noop, "interval", minutes=1, id="late", name="Added meanwhile")
            await until_loaded(client)
            found = rows((await client.get("/dashboard/tasks?q=Task 0249")).text)
            assert sorted(found) == [f"t{i}" for i in range(2490, 2500) if i != N - 2]
            assert row_state(found[last]) == "paused"
            assert (await client.get(f"/dashboard/tasks/t{N - 2}")).status_code == 404
            assert "Added meanwhile" in (await client.get("/dashboard/tasks?q=meanwhile")).text
            assert "of 2500" in (await client.get("/dashboard/tasks")).text
    finally:
        admin.close()


async def test_trigger_sort_orders_each_kind_by_meaning() -> None:
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.start(paused=True)
    soon = datetime.now(timezone.utc) + timedelta(hours=2)
    add = scheduler.add_task
    add(noop, "interval", hours=2, name="every 2 hours")
    add(noop, "interval", seconds=10, name="every 10 seconds")
    add(noop, "interval", minutes=2, name="every 2 minutes")
    add(noop, "interval", seconds=90, name="every 90 seconds")
    add(noop, "cron", minute=(soon.minute + 30) % 60, name="cron within the hour")
    add(noop, "cron", hour=(soon.hour + 12) % 24, minute=0, name="cron in half a day")
    add(noop, "cron", minute=0, hour=0, day=1, month=1, name="cron at new year")
    scheduler.pause_task(add(noop, "cron", minute="*", name="cron paused").id)
    add(noop, "date", run_at=soon + timedelta(days=3), name="date in 3 days")
    add(noop, "date", run_at=soon, name="date in 2 hours")
    admin = AsynczAdmin(scheduler, config=DashboardConfig(secret_key=SECRET))
    try:
        async with client_for(admin) as client:
            ascending = row_names((await client.get("/dashboard/tasks?sort=trigger")).text)
            descending = row_names(
                (await client.get("/dashboard/tasks?sort=trigger&direction=desc")).text
            )
    finally:
        admin.close()
        scheduler.shutdown(wait=False)
    assert ascending[:4] == [
        "every 10 seconds",
        "every 90 seconds",
        "every 2 minutes",
        "every 2 hours",
    ]
    # By next fire time; the paused one has none and comes last.
    assert ascending[4:8] == [
        "cron within the hour",
        "cron in half a day",
        "cron at new year",
        "cron paused",
    ]
    assert ascending[8:] == ["date in 2 hours", "date in 3 days"]
    assert descending == ascending[::-1]
