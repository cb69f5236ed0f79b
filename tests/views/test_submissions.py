"""One submission, one action: a repeated POST of the same rendered form acts once and gets
the first answer; a fresh page acts again."""

from __future__ import annotations

import asyncio

import httpx
from asyncz.schedulers.asyncio import AsyncIOScheduler

from asyncz_dashboard import AsynczAdmin
from asyncz_dashboard.storage.base import AuditFilter

from ..conftest import noop
from .page import flashes, row_action
from .support import submit


async def test_a_double_submitted_run_acts_once_and_both_answers_say_started(
    scheduler: AsyncIOScheduler, admin: AsynczAdmin, client: httpx.AsyncClient
) -> None:
    scheduler.add_task(noop, "interval", hours=1, id="hourly", name="Hourly")
    listing = (await client.get("/dashboard/tasks")).text
    run = row_action(listing, "hourly", "run")

    first, second = await asyncio.gather(submit(client, run), submit(client, run))

    assert (first.status_code, second.status_code) == (303, 303)
    assert first.headers["location"] == second.headers["location"]
    page = await client.get(first.headers["location"])
    assert flashes(page.text) == ["Started 'Hourly'."]
    entries = admin.storages.audit.query(AuditFilter(action="run", limit=10))
    assert len(entries) == 1

    again = await submit(client, row_action(page.text, "hourly", "run"))  # a fresh page
    assert again.status_code == 303
    assert len(admin.storages.audit.query(AuditFilter(action="run", limit=10))) == 2


async def test_the_next_tasks_button_on_the_same_page_still_acts(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    scheduler.add_task(noop, "interval", hours=1, id="a", name="A")
    scheduler.add_task(noop, "interval", hours=1, id="b", name="B")
    listing = (await client.get("/dashboard/tasks")).text
    await submit(client, row_action(listing, "a", "pause"))
    await submit(client, row_action(listing, "b", "pause"))
    assert scheduler.get_task("a").next_run_time is None
    assert scheduler.get_task("b").next_run_time is None


async def test_a_malformed_submission_id_is_refused_and_changes_nothing(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    scheduler.add_task(noop, "interval", hours=1, id="a", name="A")
    listing = (await client.get("/dashboard/tasks")).text
    response = await submit(
        client, row_action(listing, "a", "pause"), extra=[("submission_id", "<bad id>")]
    )
    assert response.status_code == 400
    assert "This form is out of date; reload the page and try again." in response.text
    assert scheduler.get_task("a").next_run_time is not None


async def test_a_refused_htmx_request_answers_its_reason_as_plain_text(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    scheduler.add_task(noop, "interval", hours=1, id="a", name="A")
    listing = (await client.get("/dashboard/tasks")).text
    response = await submit(
        client,
        row_action(listing, "a", "pause"),
        htmx=True,
        extra=[("submission_id", "<bad id>")],
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.text == "This form is out of date; reload the page and try again."
