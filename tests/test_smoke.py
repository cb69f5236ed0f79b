"""The shortest story: the overview and the task list answer over a real scheduler."""

from __future__ import annotations

import httpx
from asyncz.schedulers.asyncio import AsyncIOScheduler

from .conftest import noop


async def test_overview_and_list_show_a_task(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    scheduler.add_task(noop, "interval", minutes=5, id="t1", name="Nightly sync")
    overview = await client.get("/dashboard/")
    assert overview.status_code == 200
    assert "Nightly sync" in overview.text
    listing = await client.get("/dashboard/tasks")
    assert listing.status_code == 200
    assert "every 5 minutes" in listing.text
