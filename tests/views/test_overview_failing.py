"""Failures up front: the overview counts the tasks failing now and lists them (name, error,
when, links), from real Asyncz runs; a run that succeeds, or removing the task, clears it."""

from __future__ import annotations

from datetime import datetime, timezone

import httpx
from asyncz.schedulers.asyncio import AsyncIOScheduler

from asyncz_dashboard import AsynczAdmin

from ..conftest import noop
from ..history.support import finished_run
from .page import parse
from .support import BASE, post

BROKEN = {"payments": True}


async def charge() -> None:
    """Fails while the payment gateway is "down"."""
    if BROKEN["payments"]:
        raise RuntimeError("payment gateway down")


def failing_card(html: str) -> str:
    cards = parse(html).find("section", class_="cards")
    return next(a.text for a in cards.find_all("a") if a.text.endswith("failing"))


async def test_the_overview_counts_and_lists_the_tasks_failing_now(
    scheduler: AsyncIOScheduler, admin: AsynczAdmin, client: httpx.AsyncClient
) -> None:
    BROKEN["payments"] = True
    now = datetime.now(timezone.utc)
    scheduler.add_task(charge, "interval", hours=1, id="charge", name="Charge cards",
                       next_run_time=now)  # fmt: skip
    scheduler.add_task(noop, "interval", hours=1, id="fine", name="Fine", next_run_time=now)
    failed = await finished_run(admin, "charge", "failed")
    await finished_run(admin, "fine", "succeeded")

    page = await client.get(f"{BASE}/")

    assert failing_card(page.text) == "1 failing"
    section = parse(page.text).find("section", id="failing")
    assert section.find("h2").text == "Failing now 1"
    [row] = [r for r in section.find_all("tr") if r.find_all("td")]
    cells = [td.text for td in row.find_all("td")]
    assert cells[0] == "Charge cards"
    assert cells[1] == "RuntimeError: payment gateway down"
    shown = datetime.fromisoformat(row.find("time").attrs["datetime"].replace("Z", "+00:00"))
    assert abs((shown - failed.finished_at).total_seconds()) < 1  # type: ignore[operator] (to the second)
    assert cells[3] == "failed"
    links = [a.attrs["href"] for a in row.find_all("a")]
    assert links == [f"{BASE}/tasks/charge", f"{BASE}/runs/{failed.run_id}"]

    # The gateway is back: a manual run succeeds, and the task is failing no more.
    BROKEN["payments"] = False
    assert (await post(client, f"{BASE}/tasks/charge/run")).status_code == 303
    await finished_run(admin, "charge", "succeeded")
    page = await client.get(f"{BASE}/")
    assert failing_card(page.text) == "0 failing"
    assert parse(page.text).find_all("section", id="failing") == []


async def test_a_removed_failing_task_is_no_longer_counted(
    scheduler: AsyncIOScheduler, admin: AsynczAdmin, client: httpx.AsyncClient
) -> None:
    BROKEN["payments"] = True
    scheduler.add_task(charge, "interval", hours=1, id="charge", name="Charge cards",
                       next_run_time=datetime.now(timezone.utc))  # fmt: skip
    await finished_run(admin, "charge", "failed")
    assert failing_card((await client.get(f"{BASE}/")).text) == "1 failing"

    assert (await post(client, f"{BASE}/tasks/charge/remove")).status_code == 303

    assert failing_card((await client.get(f"{BASE}/")).text) == "0 failing"
