"""Without script, an action that asks first (remove, a one-off task's run or resume, every
bulk action) is sent to a confirmation page and changes nothing until that page's button is
pressed; the page keeps the list's state, the token and the submission id, and Cancel goes
back. With script (the ``confirmed`` field marked ``yes``) or without the field (curl), it
acts at once."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import httpx
from asyncz.schedulers.asyncio import AsyncIOScheduler

from ..conftest import csrf_from, noop
from ..history.test_events_audit import audit_rows
from .page import Node, action_form, as_confirmed, flashes, form_data, parse, row_action, rows
from .support import BASE, flatten, post, submit


def add_tasks(scheduler: AsyncIOScheduler, count: int = 3) -> None:
    for n in range(1, count + 1):
        scheduler.add_task(noop, "interval", minutes=n, id=f"sync-{n:02d}", name=f"Sync {n:02d}")
    scheduler.add_task(noop, "interval", hours=1, id="cleanup", name="Cleanup")


def confirm_form(html: str) -> Node:
    """The confirmation page's one form."""
    (form,) = parse(html).find("section", class_="confirm-page").find_all("form")
    return form


def cancel_href(html: str) -> str:
    link = [a for a in parse(html).find("section", class_="confirm-page").find_all("a")]
    assert [a.text for a in link] == ["Cancel"]
    return link[0].attrs["href"]


def fields(form: Node) -> dict[str, list[str]]:
    merged: dict[str, list[str]] = {}
    for key, value in form_data(form):
        merged.setdefault(key, []).append(value)
    return merged


async def test_remove_from_a_row_without_script_asks_first_then_acts_once(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    add_tasks(scheduler)
    listing = await client.get(f"{BASE}/tasks?q=sync&sort=name&direction=desc")
    form = row_action(listing.text, "sync-02", "remove")
    sid = fields(form)["submission_id"][0]

    asked = await submit(client, form)  # the confirmed field as the page drew it: unmarked

    assert asked.status_code == 303
    location = urlsplit(asked.headers["location"])
    assert location.path == f"{BASE}/tasks/sync-02/remove"
    assert parse_qs(location.query) == {
        "q": ["sync"],
        "sort": ["name"],
        "direction": ["desc"],
        "return_to": ["tasks"],
        "submission_id": [sid],
    }
    assert scheduler.get_task("sync-02") is not None  # nothing done yet

    page = await client.get(asked.headers["location"])
    assert page.status_code == 200
    assert parse(page.text).find("h1").text == "Remove task “Sync 02”? This cannot be undone."
    assert cancel_href(page.text) == f"{BASE}/tasks?q=sync&sort=name&direction=desc"
    confirm = confirm_form(page.text)
    assert confirm.attrs["action"] == f"{BASE}/tasks/sync-02/remove"
    sent = fields(confirm)
    assert sent["confirmed"] == ["yes"]
    assert sent["csrf_token"] == [csrf_from(listing.text)]
    assert sent["submission_id"] == [sid]
    assert (sent["q"], sent["sort"], sent["direction"]) == (["sync"], ["name"], ["desc"])
    assert flashes(page.text) == []

    done = await submit(client, confirm)
    assert done.status_code == 303
    assert done.headers["location"] == f"{BASE}/tasks?q=sync&sort=name&direction=desc"
    after = await client.get(done.headers["location"])
    assert flashes(after.text) == ["Removed 'Sync 02'."]
    assert "sync-02" not in rows(after.text)

    again = await submit(client, confirm)  # a second press: answered, not acted again
    assert again.status_code == 303
    audit = audit_rows((await client.get(f"{BASE}/audit?action=remove")).text)
    assert [r["Target"] for r in audit] == ["task sync-02"]


async def test_remove_from_the_task_page_without_script_asks_and_cancel_goes_back(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    add_tasks(scheduler)
    detail = await client.get(f"{BASE}/tasks/sync-01?q=sync")
    asked = await submit(client, action_form(parse(detail.text), "remove"))

    assert asked.status_code == 303
    page = await client.get(asked.headers["location"])
    assert cancel_href(page.text) == f"{BASE}/tasks/sync-01?q=sync"
    assert fields(confirm_form(page.text))["return_to"] == ["detail"]
    assert scheduler.get_task("sync-01") is not None

    done = await submit(client, confirm_form(page.text))
    assert done.headers["location"] == f"{BASE}/tasks?q=sync"  # the task's page is gone
    assert flashes((await client.get(done.headers["location"])).text) == ["Removed 'Sync 01'."]


async def test_actions_that_do_not_ask_act_at_once_and_script_or_curl_act_at_once(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    add_tasks(scheduler)
    listing = await client.get(f"{BASE}/tasks")

    paused = await submit(client, row_action(listing.text, "sync-01", "pause"))
    assert paused.headers["location"] == f"{BASE}/tasks"
    ran = await submit(client, row_action(listing.text, "sync-02", "run"))
    assert ran.headers["location"] == f"{BASE}/tasks"

    with_script = await submit(client, as_confirmed(row_action(listing.text, "sync-03", "remove")))
    assert with_script.headers["location"] == f"{BASE}/tasks"
    curl = await post(client, f"{BASE}/tasks/cleanup/remove")  # no confirmed field
    assert curl.headers["location"] == f"{BASE}/tasks"
    assert sorted(t.id for t in scheduler.get_tasks()) == ["sync-01", "sync-02"]


async def test_a_one_off_run_without_script_asks_first(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    run_at = datetime.now(timezone.utc) + timedelta(days=1)
    scheduler.add_task(noop, "date", run_at=run_at, id="once", name="Once")
    listing = await client.get(f"{BASE}/tasks")

    asked = await submit(client, row_action(listing.text, "once", "run"))

    assert urlsplit(asked.headers["location"]).path == f"{BASE}/tasks/once/run"
    page = await client.get(asked.headers["location"])
    assert parse(page.text).find("h1").text.startswith("Run “Once” now? It is a one-off task")
    assert confirm_form(page.text).find("button").text == "Run now"
    assert scheduler.get_task("once").next_run_time is not None


async def test_an_unconfirmed_htmx_action_goes_to_the_confirmation_page_as_a_whole_page(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    add_tasks(scheduler)
    listing = await client.get(f"{BASE}/tasks")
    response = await submit(client, row_action(listing.text, "sync-01", "remove"), htmx=True)
    assert response.status_code == 200
    assert urlsplit(response.headers["hx-redirect"]).path == f"{BASE}/tasks/sync-01/remove"
    assert scheduler.get_task("sync-01") is not None


async def test_the_confirmation_page_of_an_unknown_task_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{BASE}/tasks/nosuch/remove")
    assert response.status_code == 404
    malformed = await client.get(f"{BASE}/tasks/nosuch/remove?submission_id=%3C")
    assert malformed.status_code in (400, 404)


async def press(
    client: httpx.AsyncClient, html: str, action: str, extra: list[tuple[str, str]]
) -> httpx.Response:
    form = parse(html).find("form", id="bulk-form")
    data = [*form_data(form), ("action", action), *extra]
    return await client.post(form.attrs["action"], data=flatten(data))


async def test_bulk_pause_without_script_names_the_tasks_and_acts_once_confirmed(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    add_tasks(scheduler)
    listing = await client.get(f"{BASE}/tasks?q=sync")
    ticked = [("task_id", "sync-01"), ("task_id", "sync-03")]

    page = await press(client, listing.text, "pause", ticked)

    assert page.status_code == 200
    assert parse(page.text).find("h1").text == "Pause 2 selected tasks?"
    names = parse(page.text).find("ul", class_="confirm-names").find_all("li")
    assert [li.text for li in names] == ["Sync 01", "Sync 03"]
    assert cancel_href(page.text) == f"{BASE}/tasks?q=sync"
    assert all(t.next_run_time is not None for t in scheduler.get_tasks())  # nothing paused
    sent = fields(confirm_form(page.text))
    assert sent["task_id"] == ["sync-01", "sync-03"]
    assert (sent["action"], sent["confirmed"], sent["q"]) == (["pause"], ["yes"], ["sync"])

    done = await submit(client, confirm_form(page.text))
    assert done.headers["location"] == f"{BASE}/tasks?q=sync"
    after = await client.get(done.headers["location"])
    assert flashes(after.text) == ["Paused 2 of 2 selected task(s)."]
    assert {t.id for t in scheduler.get_tasks() if t.next_run_time is None} == {
        "sync-01",
        "sync-03",
    }


async def test_bulk_remove_of_all_matching_without_script_names_ten_and_the_rest(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    add_tasks(scheduler, 30)
    listing = await client.get(f"{BASE}/tasks?q=sync")  # 25 of 30 on the page

    page = await press(client, listing.text, "remove", [("select", "all")])

    assert parse(page.text).find("h1").text == "Remove all 30 tasks matching search “sync”?"
    items = [li.text for li in parse(page.text).find("ul", class_="confirm-names").find_all("li")]
    assert items == [f"Sync {n:02d}" for n in range(1, 11)] + ["…and 20 more"]
    assert "This cannot be undone." in page.text
    sent = fields(confirm_form(page.text))
    assert (sent["select"], sent["matching"]) == (["all"], ["30"])
    assert len(scheduler.get_tasks()) == 31

    done = await submit(client, confirm_form(page.text))
    after = await client.get(done.headers["location"])
    assert flashes(after.text) == ["Removed 30 of 30 matching task(s)."]
    assert [t.id for t in scheduler.get_tasks()] == ["cleanup"]


async def test_bulk_resume_of_all_matching_says_how_many_were_not_paused(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    add_tasks(scheduler, 30)
    for n in range(1, 7):
        scheduler.pause_task(f"sync-{n:02d}")
    listing = await client.get(f"{BASE}/tasks?q=sync")
    response = await press(
        client, listing.text, "resume", [("select", "all"), ("confirmed", "yes")]
    )
    after = await client.get(response.headers["location"])
    assert flashes(after.text) == [
        "Resumed 6 of 30 matching task(s). 24 were not paused, so there was nothing to resume."
    ]


async def test_an_action_on_a_task_that_never_existed_says_there_is_no_such_task(
    client: httpx.AsyncClient,
) -> None:
    response = await post(client, f"{BASE}/tasks/nosuch/pause", htmx=False)
    page = await client.get(response.headers["location"])
    assert flashes(page.text) == ["There is no task with id 'nosuch'."]


async def test_the_confirmation_pages_escape_task_names(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    scheduler.add_task(noop, "interval", minutes=1, id="x", name='<b>"bold"</b>')
    listing = await client.get(f"{BASE}/tasks")
    asked = await submit(client, row_action(listing.text, "x", "remove"))
    page = await client.get(asked.headers["location"])
    assert parse(page.text).find("h1").text == 'Remove task “<b>"bold"</b>”? This cannot be undone.'
    bulk = await press(client, listing.text, "pause", [("task_id", "x")])
    assert [li.text for li in parse(bulk.text).find_all("li")][-1] == '<b>"bold"</b>'
    assert "<b>" not in page.text and "<b>" not in bulk.text
