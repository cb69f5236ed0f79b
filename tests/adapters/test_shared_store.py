"""A store shared by several processes changes without local events: the dashboard re-reads it
in the background at a bounded interval (never on the request path) and shows its age."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import httpx
from asyncz.schedulers.asyncio import AsyncIOScheduler
from asyncz.stores.sqlalchemy import SQLAlchemyStore

from asyncz_dashboard import AsynczAdmin, DashboardConfig

from ..conftest import SECRET
from ..views.page import parse


async def report() -> None:
    """A task another process schedules (module level, so the store can pickle it)."""


async def test_a_task_added_by_another_process_appears_after_the_refresh(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    ours = AsyncIOScheduler(stores={"default": SQLAlchemyStore(database=url)}, timezone="UTC")
    theirs = AsyncIOScheduler(stores={"default": SQLAlchemyStore(database=url)}, timezone="UTC")
    ours.start(paused=True)
    theirs.start(paused=True)
    config = DashboardConfig(secret_key=SECRET, index_refresh_seconds=0.3)
    admin = AsynczAdmin(ours, config=config)
    transport = httpx.ASGITransport(app=admin.get_asgi_app(), root_path="/dashboard")
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            # The shared store is read in a worker thread: the page says so until it is read.
            first = await client.get("/dashboard/tasks")
            for _ in range(40):
                if "Loading tasks…" not in first.text:
                    break
                await asyncio.sleep(0.05)
                first = await client.get("/dashboard/tasks")
            assert "No tasks yet" in first.text
            theirs.add_task(report, "interval", minutes=5, id="elsewhere", name="Nightly export")
            # No event reaches our scheduler; the page is still served from the index ...
            assert "Nightly export" not in (await client.get("/dashboard/tasks")).text
            # ... until the background refresh has re-read the shared store.
            for _ in range(40):
                await asyncio.sleep(0.1)
                page = await client.get("/dashboard/tasks")
                if "Nightly export" in page.text:
                    break
            assert "Nightly export" in page.text
            overview = await client.get("/dashboard/")
            head = " ".join(
                parse(overview.text).find("section", class_="overview-head").text.split()
            )
            # Every part of the line is set off by " · " (the time before it ends in "UTC").
            assert re.search(r"UTC · started .* UTC · task list read from shared stores", head)
            assert not re.search(r"\S·|·\S", head), head
    finally:
        admin.close()
        ours.shutdown(wait=False)
        theirs.shutdown(wait=False)
        await asyncio.sleep(0.05)
