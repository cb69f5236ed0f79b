"""Bulk actions on every task matching the filter (``select=all``): the server resolves the
matching tasks when the POST arrives, acts on them once, and leaves the others alone."""

from __future__ import annotations

import httpx
import pytest
from asyncz.schedulers.asyncio import AsyncIOScheduler

from asyncz_dashboard import AsynczAdmin, DashboardConfig
from asyncz_dashboard.storage.base import AuditFilter
from asyncz_dashboard.views import tasks as task_views

from ..conftest import SECRET, noop
from ..history.support import client_for
from .page import Node, as_confirmed, flashes, form_data, parse, rows, top_elements
from .support import BASE, HX, flatten, post

SYNC = [f"sync-{n:02d}" for n in range(1, 61)]
OTHERS = ["report", "cleanup", "digest"]


def add_tasks(scheduler: AsyncIOScheduler) -> None:
    """60 "Sync orders" tasks (three pages of 25) and three others."""
    for n, task_id in enumerate(SYNC, start=1):
        scheduler.add_task(noop, "interval", minutes=n, id=task_id, name=f"Sync orders {n:02d}")
    for task_id in OTHERS:
        scheduler.add_task(noop, "interval", hours=3, id=task_id, name=task_id.title())


def paused(scheduler: AsyncIOScheduler) -> set[str]:
    return {t.id for t in scheduler.get_tasks() if t.next_run_time is None}


def bulk_form(html: str) -> Node:
    return parse(html).find("form", id="bulk-form")


async def press_all(
    client: httpx.AsyncClient, form: Node, action: str, *, htmx: bool = False
) -> httpx.Response:
    """Tick "Select all N matching" and press the bulk form's ``action`` button."""
    fields = [*form_data(as_confirmed(form)), ("select", "all"), ("action", action)]
    url = form.attrs["hx-post" if htmx else "action"]
    return await client.post(url, data=flatten(fields), headers=HX if htmx else {})


async def test_select_all_matching_pauses_every_matching_task_and_no_other(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    add_tasks(scheduler)
    page = await client.get(f"{BASE}/tasks?q=sync")
    assert len(rows(page.text)) == 25
    offer = parse(page.text).find("input", name="select")
    assert (offer.attrs["value"], offer.attrs["data-count"]) == ("all", "60")
    assert "Select all 60 matching" in bulk_form(page.text).text

    response = await press_all(client, bulk_form(page.text), "pause")

    assert response.status_code == 303
    assert response.headers["location"] == f"{BASE}/tasks?q=sync"
    after = await client.get(response.headers["location"])
    assert flashes(after.text) == ["Paused 60 of 60 matching task(s)."]
    assert paused(scheduler) == set(SYNC)


async def test_select_all_honours_every_filter_over_htmx(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    add_tasks(scheduler)
    for task_id in [*SYNC[:30], "report"]:
        scheduler.pause_task(task_id)
    page = await client.get(f"{BASE}/tasks?q=sync&state=paused")
    assert "Select all 30 matching" in bulk_form(page.text).text

    response = await press_all(client, bulk_form(page.text), "resume", htmx=True)

    assert response.status_code == 200
    [fragment] = top_elements(response.text)
    assert fragment.attrs["id"] == "tasks-table"
    assert flashes(response.text) == ["Resumed 30 of 30 matching task(s)."]
    assert paused(scheduler) == {"report"}  # paused, but not matching "sync"


async def test_a_repeated_select_all_submission_acts_once(
    scheduler: AsyncIOScheduler, admin: AsynczAdmin, client: httpx.AsyncClient
) -> None:
    add_tasks(scheduler)
    page = await client.get(f"{BASE}/tasks?q=sync&state=scheduled")
    form = bulk_form(page.text)

    first = await press_all(client, form, "pause", htmx=True)
    # The same click again (a double click, a retry): by now nothing matches state=scheduled,
    # yet it is recognised as the same submission and answered with the first outcome.
    second = await press_all(client, form, "pause", htmx=True)

    assert flashes(first.text) == ["Paused 60 of 60 matching task(s)."]
    assert flashes(second.text) == ["Paused 60 of 60 matching task(s)."]
    entries = admin.storages.audit.query(AuditFilter(action="pause", limit=500))
    assert sorted(e.target for e in entries) == sorted(f"task {t}" for t in SYNC)


async def test_select_all_without_the_permission_is_refused_and_changes_nothing(
    scheduler: AsyncIOScheduler,
) -> None:
    add_tasks(scheduler)
    admin = AsynczAdmin(scheduler, config=DashboardConfig(secret_key=SECRET), read_only=True)
    try:
        async with client_for(admin) as client:
            page = await client.get(f"{BASE}/tasks?q=sync")
            assert parse(page.text).find_all("input", name="select") == []  # nothing offered
            for action in ("pause", "remove"):
                response = await post(
                    client, f"{BASE}/tasks/bulk", {"select": "all", "q": "sync", "action": action}
                )
                assert response.status_code == 403
                assert f"You are not allowed to {action} tasks." in response.text
    finally:
        admin.close()
    assert paused(scheduler) == set()
    assert len(scheduler.get_tasks()) == 63


async def test_more_matching_tasks_than_the_limit_are_refused_whole(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_tasks(scheduler)
    monkeypatch.setattr(task_views, "BULK_LIMIT", 50)
    page = await client.get(f"{BASE}/tasks?q=sync")
    form = bulk_form(page.text)
    assert parse(page.text).find_all("input", name="select") == []
    assert "All 60 matching: too many for one bulk action (at most 50)" in form.text

    response = await press_all(client, form, "pause")  # crafted by hand

    after = await client.get(response.headers["location"])
    assert flashes(after.text) == [
        "60 tasks match this filter; a bulk action acts on at most 50. "
        "Nothing was changed: narrow the filter and try again."
    ]
    assert paused(scheduler) == set()


async def test_one_page_of_matches_offers_no_select_all(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    add_tasks(scheduler)

    page = await client.get(f"{BASE}/tasks?q=sync&per_page=100")

    assert len(rows(page.text)) == 60
    assert parse(page.text).find_all("input", name="select") == []


@pytest.mark.parametrize("url", ["/tasks", "/tasks?q=no-such-task"])
async def test_an_empty_list_shows_no_bulk_controls(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient, url: str
) -> None:
    if "q=" in url:
        add_tasks(scheduler)

    form = bulk_form((await client.get(BASE + url)).text)

    assert form.find_all("button") == []
    # Only the selection's status region, empty (it says "Selection cleared" when a filter
    # change leaves no rows, so it is drawn before its text changes).
    [status] = form.find_all("span", class_="muted")
    assert status.attrs.get("data-selected-count") == "" and status.attrs.get("role") == "status"
    assert status.text == ""
    assert form.find("span", class_="totals").text in ("0 of 0", "0 of 63")


async def test_select_all_never_acts_on_more_tasks_than_the_confirmation_named(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    add_tasks(scheduler)
    page = await client.get(f"{BASE}/tasks?q=sync")  # drawn (and confirmed) with 60 matching
    scheduler.add_task(noop, "interval", hours=1, id="sync-61", name="Sync orders 61")

    refused = await press_all(client, bulk_form(page.text), "remove")

    after = await client.get(refused.headers["location"])
    assert flashes(after.text) == [
        "61 tasks match this filter now, more than the 60 you confirmed. "
        "Nothing was changed: check the list and try again."
    ]
    assert len(scheduler.get_tasks()) == 64

    # Fewer than confirmed is fine: it acts on what matches now.
    page = await client.get(f"{BASE}/tasks?q=sync")
    scheduler.delete_task("sync-61")
    scheduler.delete_task("sync-60")
    done = await press_all(client, bulk_form(page.text), "pause")
    after = await client.get(done.headers["location"])
    assert flashes(after.text) == ["Paused 59 of 59 matching task(s)."]
    assert paused(scheduler) == set(SYNC[:59])
