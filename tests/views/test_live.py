"""Live regions: a poll that shows the current version gets 204 with no body; any change in
what the region shows (tasks, history, permissions, the query) or a waiting flash gets 200."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone

import httpx
import pytest
from asyncz.schedulers.asyncio import AsyncIOScheduler

from asyncz_dashboard import AsynczAdmin
from asyncz_dashboard.storage.base import LogEntry

from ..auth.support import client_for, make_admin, sign_in
from ..conftest import noop
from .page import parse
from .support import HX, post

BASE = "/dashboard"
# (page URL, live region id): every page that shows changing data.
LIVE_PAGES = [
    ("/", "overview-live"),
    ("/tasks?q=report&sort=name", "tasks-table"),
    ("/tasks/report-a", "task-detail"),
    ("/runs?status=failed", "runs-table"),
    ("/logs?level=INFO", "logs-table"),
    ("/events?name=task_added", "events-table"),
    ("/audit", "audit-table"),
]


def add_tasks(scheduler: AsyncIOScheduler) -> None:
    scheduler.add_task(noop, "interval", minutes=5, id="report-a", name="Report A")
    scheduler.add_task(noop, "interval", minutes=9, id="cleanup", name="Cleanup")


def region(html: str, region_id: str) -> tuple[str, str]:
    """The region's fragment URL and version."""
    node = parse(html).find(id=region_id)
    return node.attrs["data-live"], node.attrs["data-version"]


def log_line(admin: AsynczAdmin, message: str) -> None:
    """Record one captured log line, as the log handler does."""
    admin.recorder.log(  # type: ignore[attr-defined]
        LogEntry(
            created=datetime.now(timezone.utc),
            level="INFO",
            levelno=logging.INFO,
            logger="x",
            message=message,
        )
    )


async def poll(client: httpx.AsyncClient, url: str, version: str) -> httpx.Response:
    """What dashboard.js sends."""
    headers = {**HX, "HX-Trigger": "poll", "X-Dashboard-Version": version}
    return await client.get(url, headers=headers)


@pytest.mark.parametrize(("path", "region_id"), LIVE_PAGES)
async def test_a_poll_with_the_current_version_gets_204_and_no_body(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient, path: str, region_id: str
) -> None:
    add_tasks(scheduler)
    page = await client.get(BASE + path)
    assert page.status_code == 200
    url, version = region(page.text, region_id)
    assert url.startswith(BASE + "/") and "/partials/" in url
    assert len(version) == 16

    for _ in range(3):
        unchanged = await poll(client, url, version)
        assert unchanged.status_code == 204
        assert unchanged.content == b""
        assert "content-type" not in unchanged.headers

    # Without the header (a first load, a filter change) the fragment is rendered, with the
    # same version as the page it belongs to.
    fragment = await client.get(url, headers=HX)
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert region(fragment.text, region_id) == (url, version)


@pytest.mark.parametrize(("path", "region_id"), LIVE_PAGES)
async def test_a_changed_task_gets_the_region_again(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient, path: str, region_id: str
) -> None:
    add_tasks(scheduler)
    url, version = region((await client.get(BASE + path)).text, region_id)

    scheduler.pause_task("report-a")

    changed = await poll(client, url, version)
    assert changed.status_code == 200
    new_url, new_version = region(changed.text, region_id)
    assert new_url == url and new_version != version
    assert (await poll(client, url, new_version)).status_code == 204


async def test_a_new_history_record_gets_the_region_again(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient, admin: AsynczAdmin
) -> None:
    add_tasks(scheduler)
    url, version = region((await client.get(f"{BASE}/logs")).text, "logs-table")
    assert (await poll(client, url, version)).status_code == 204

    log_line(admin, "hi")

    changed = await poll(client, url, version)
    assert changed.status_code == 200
    assert "hi" in parse(changed.text).find(id="logs-table").text


async def test_another_query_is_another_version(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    add_tasks(scheduler)
    _, version = region((await client.get(f"{BASE}/tasks")).text, "tasks-table")
    other = await poll(client, f"{BASE}/tasks/partials/table?q=clean", version)
    assert other.status_code == 200
    assert region(other.text, "tasks-table")[1] != version
    # The list state is normalised: a default written out is the same list, the same version.
    same = await poll(client, f"{BASE}/tasks/partials/table?sort=next_run_time", version)
    assert same.status_code == 204


async def test_a_waiting_flash_message_forces_the_region(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    add_tasks(scheduler)
    url, version = region((await client.get(f"{BASE}/tasks")).text, "tasks-table")
    assert (await poll(client, url, version)).status_code == 204

    # A plain (non-htmx) bulk post with no action changes nothing but queues a message.
    answer = await post(client, f"{BASE}/tasks/bulk", {"action": "explode", "task_id": "t1"})
    assert answer.status_code == 303
    forced = await poll(client, url, version)
    assert forced.status_code == 200
    flashes = parse(forced.text).find(id="flashes")
    assert flashes.attrs["hx-swap-oob"] == "true"
    assert flashes.text.strip() == "Choose an action: run, pause, resume or remove."
    # Shown once: the next poll is current again, and carries no (empty) message region.
    again = await poll(client, url, version)
    assert again.status_code == 204


async def test_other_permissions_or_another_user_is_another_version(
    scheduler: AsyncIOScheduler,
) -> None:
    add_tasks(scheduler)
    granted = {"view", "run", "pause", "resume", "remove"}
    admin = make_admin(scheduler, permissions=lambda user: set(granted))
    try:
        async with client_for(admin.get_asgi_app()) as ada, client_for(admin.get_asgi_app()) as bob:
            await sign_in(ada, prefix="")
            await sign_in(bob, prefix="", username="bob")
            url, version = region((await ada.get("/tasks")).text, "tasks-table")
            assert (await poll(ada, url, version)).status_code == 204
            # Bob may do the same, yet his page is his own (a user's name could be on it).
            assert (await poll(bob, url, version)).status_code == 200

            granted.discard("run")  # the host takes a permission away
            changed = await poll(ada, url, version)
            assert changed.status_code == 200
            assert "Run" not in [b.text for b in parse(changed.text).find_all("button")]
    finally:
        admin.close()


@pytest.mark.parametrize(("path", "region_id"), [LIVE_PAGES[0], LIVE_PAGES[1]])
async def test_a_log_line_leaves_pages_without_logs_current_and_a_run_does_not(
    scheduler: AsyncIOScheduler,
    client: httpx.AsyncClient,
    admin: AsynczAdmin,
    path: str,
    region_id: str,
) -> None:
    add_tasks(scheduler)
    url, version = region((await client.get(BASE + path)).text, region_id)
    log_line(admin, "hi")
    # The overview and the task list show no logs: still current.
    assert (await poll(client, url, version)).status_code == 204

    scheduler.run_task("report-a", remove_finished=False)
    for _ in range(100):  # the run is recorded when it ends, on this loop
        if admin.recorder.last_runs.get("report-a"):  # type: ignore[attr-defined]
            break
        await asyncio.sleep(0.02)
    changed = await poll(client, url, version)
    assert changed.status_code == 200


# The parts of each live page outside its region, by id: the fragment brings them out of band.
OUT_OF_BAND = {
    "tasks-table": ("scheduler-banner", "tasks-head"),
    "runs-table": ("scheduler-banner", "runs-head"),
    "events-table": ("scheduler-banner", "events-head"),
    "audit-table": ("scheduler-banner", "audit-head"),
}


def out_of_band(html: str) -> dict[str, str]:
    """The fragment's out-of-band parts: id → their text, whitespace collapsed."""
    return {
        node.attrs["id"]: " ".join(node.text.split())
        for node in parse(html).iter()
        if node.attrs.get("hx-swap-oob") == "morph"
    }


@pytest.mark.parametrize(("path", "region_id"), LIVE_PAGES)
async def test_the_parts_outside_a_region_come_out_of_band_as_the_page_would_show_them(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient, path: str, region_id: str
) -> None:
    add_tasks(scheduler)
    url, version = region((await client.get(BASE + path)).text, region_id)

    scheduler.pause()  # from elsewhere: the banner must appear on every live page
    scheduler.add_task(noop, "cron", hour=3, id="nightly", name="Nightly")

    changed = await poll(client, url, version)
    parts = out_of_band(changed.text)
    assert set(parts) == {"scheduler-banner", *OUT_OF_BAND.get(region_id, ())[1:]}
    assert parts["scheduler-banner"].startswith("The scheduler is paused: no task starts")
    page = parse((await client.get(BASE + path)).text)
    for part_id, text in parts.items():  # what a reload would show
        assert " ".join(page.find(id=part_id).text.split()) == text, part_id
    if region_id == "tasks-table":
        assert parts["tasks-head"].startswith("Tasks 3 ")
        trigger = parse(changed.text).find("select", id="f-trigger")
        assert [o.attrs["value"] for o in trigger.find_all("option")] == ["", "cron", "interval"]
