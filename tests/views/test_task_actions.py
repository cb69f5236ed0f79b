"""Stories of one task's actions: run now, pause, resume, remove, from the list and the detail."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import httpx
from asyncz.schedulers.asyncio import AsyncIOScheduler

from ..conftest import action_fields, csrf_from, noop, sleeper, submission_from
from .page import (
    action_form,
    as_confirmed,
    cell,
    flashes,
    parse,
    row_action,
    row_state,
    rows,
    tables,
    top_elements,
)
from .support import HX, post, stopped, submit

RUNS: list[str] = []


async def record(label: str) -> None:
    """A real coroutine task that notes each execution."""
    RUNS.append(label)


async def wait_for_runs(label: str, count: int, timeout: float = 3.0) -> None:
    """Wait until ``label`` ran ``count`` times, then a little longer to catch extra runs."""
    deadline = asyncio.get_running_loop().time() + timeout
    while RUNS.count(label) < count and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.2)


def add_reports(scheduler: AsyncIOScheduler) -> None:
    scheduler.add_task(noop, "interval", minutes=5, id="report-a", name="Report A")
    scheduler.add_task(noop, "interval", minutes=6, id="report-b", name="Report B")
    scheduler.add_task(noop, "interval", minutes=7, id="cleanup", name="Cleanup")


async def test_pause_from_a_filtered_list_redirects_back_with_flash_and_paused_row(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    add_reports(scheduler)
    listing = await client.get("/dashboard/tasks?q=report&sort=name")
    assert listing.status_code == 200
    assert set(rows(listing.text)) == {"report-a", "report-b"}

    pause = row_action(listing.text, "report-a", "pause")
    response = await submit(client, pause)

    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard/tasks?q=report&sort=name"
    page = await client.get(response.headers["location"])
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert flashes(page.text) == ["Paused 'Report A'."]
    assert row_state(rows(page.text)["report-a"]) == "paused"
    assert row_state(rows(page.text)["report-b"]) == "scheduled"
    assert cell(rows(page.text)["report-a"], "next").text == "—"
    assert scheduler.get_task("report-a").next_run_time is None
    again = await client.get(response.headers["location"])
    assert flashes(again.text) == [], "a flash is shown once"


async def test_htmx_resume_on_a_filtered_view_returns_the_filtered_table_fragment(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    add_reports(scheduler)
    for task_id in ("report-a", "report-b", "cleanup"):
        scheduler.pause_task(task_id)
    listing = await client.get("/dashboard/tasks?state=paused&q=report")
    assert set(rows(listing.text)) == {"report-a", "report-b"}

    resume = row_action(listing.text, "report-a", "resume")
    response = await submit(client, resume, htmx=True)

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.text.count('id="tasks-table"') == 1
    [fragment] = top_elements(response.text)
    assert fragment.attrs["id"] == "tasks-table"
    # The resumed row stays where it was (under the operator's cursor), and the message says
    # why it leaves on the next refresh, which draws the table filtered on paused.
    assert [p.text for p in fragment.find_all("p", class_="flash")] == [
        "Resumed 'Report A'. It is scheduled now, so it no longer matches the State filter;"
        " the row stays here until the list is next redrawn."
    ]
    assert list(rows(response.text)) == list(rows(listing.text))
    refreshed = await client.get(fragment.attrs["data-live"], headers=HX)
    assert set(rows(refreshed.text)) == {"report-b"}, "the table stays filtered on paused"
    assert fragment.attrs["data-live"] == "/dashboard/tasks/partials/table?q=report&state=paused"
    assert response.headers["hx-push-url"] == "/dashboard/tasks?q=report&state=paused"
    assert scheduler.get_task("report-a").next_run_time is not None
    assert scheduler.get_task("cleanup").next_run_time is None


async def test_run_now_runs_a_date_task_once_and_keeps_it_listed_as_paused(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    run_at = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=1)
    scheduler.add_task(record, "date", run_at=run_at, args=["once"], id="once", name="Once")

    response = await post(client, "/dashboard/tasks/once/run")
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard/tasks"
    await wait_for_runs("once", 1)
    assert RUNS.count("once") == 1

    listing = await client.get("/dashboard/tasks")
    (message,) = flashes(listing.text)
    assert message.startswith(
        "Started 'Once'; a one-off task is paused after its run: resume it to run it again at "
    )
    assert message.endswith(" UTC (at once if that time has passed).")
    assert row_state(rows(listing.text)["once"]) == "paused"
    assert scheduler.get_task("once").next_run_time is None
    detail = await client.get("/dashboard/tasks/once")
    assert detail.status_code == 200
    assert parse(detail.text).find("h1").text == "Once paused"
    confirm = action_form(parse(detail.text), "resume").attrs["data-confirm"]
    assert confirm == (
        f"Resume “Once”? This one-off task will run again at {run_at:%Y-%m-%d %H:%M:%S} UTC "
        "(at once if that time has passed)."
    )

    resumed = await post(client, "/dashboard/tasks/once/resume")
    assert resumed.status_code == 303
    assert scheduler.get_task("once").next_run_time == run_at
    listing = await client.get("/dashboard/tasks")
    assert flashes(listing.text) == ["Resumed 'Once'."]
    assert row_state(rows(listing.text)["once"]) == "scheduled"
    assert RUNS.count("once") == 1, "re-arming does not run it again before its time"


async def test_run_now_keeps_a_paused_interval_task_paused(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    scheduler.add_task(record, "interval", hours=1, args=["hourly"], id="hourly", name="Hourly")
    scheduler.pause_task("hourly")

    response = await post(client, "/dashboard/tasks/hourly/run")
    await wait_for_runs("hourly", 1)

    assert response.status_code == 303
    assert RUNS.count("hourly") == 1
    assert scheduler.get_task("hourly").next_run_time is None
    listing = await client.get(response.headers["location"])
    assert flashes(listing.text) == ["Started 'Hourly'."]
    assert row_state(rows(listing.text)["hourly"]) == "paused"


async def test_run_now_keeps_a_scheduled_task_scheduled(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    scheduler.add_task(record, "interval", hours=1, args=["kept"], id="kept", name="Kept")

    response = await submit(
        client,
        row_action((await client.get("/dashboard/tasks")).text, "kept", "run"),
        htmx=True,
    )
    await wait_for_runs("kept", 1)

    assert response.status_code == 200
    assert RUNS.count("kept") == 1
    assert row_state(rows(response.text)["kept"]) == "scheduled"
    assert scheduler.get_task("kept").next_run_time is not None


async def test_remove_from_the_detail_page_goes_back_to_the_list(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    add_reports(scheduler)
    detail = await client.get("/dashboard/tasks/report-b?q=report")
    remove = action_form(parse(detail.text), "remove")
    assert remove.attrs["data-confirm"] == "Remove task “Report B”? This cannot be undone."

    response = await submit(client, as_confirmed(remove))  # with script: asked in the page

    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard/tasks?q=report"
    listing = await client.get(response.headers["location"])
    assert flashes(listing.text) == ["Removed 'Report B'."]
    assert set(rows(listing.text)) == {"report-a"}
    assert scheduler.get_task("report-b") is None
    gone = await client.get("/dashboard/tasks/report-b")
    assert gone.status_code == 404


async def test_pause_from_the_detail_page_returns_to_the_detail_page(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    add_reports(scheduler)
    detail = await client.get("/dashboard/tasks/report-a?q=report&page=1")

    response = await submit(client, action_form(parse(detail.text), "pause"))

    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard/tasks/report-a?q=report"
    page = await client.get(response.headers["location"])
    assert flashes(page.text) == ["Paused 'Report A'."]
    assert parse(page.text).find("h1").text == "Report A paused"


async def test_actions_on_a_task_that_no_longer_exists_flash_an_error(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    add_reports(scheduler)
    listing = await client.get("/dashboard/tasks")
    scheduler.delete_task("report-a")  # removed behind the page's back
    for verb in ("run", "pause", "remove"):
        response = await submit(client, row_action(listing.text, "report-a", verb))
        assert response.status_code == 303
        page = await client.get(response.headers["location"])
        assert flashes(page.text) == ["Task 'report-a' no longer exists."]
        assert "report-a" not in rows(page.text)
    csrf = csrf_from(listing.text)
    resumed = await post(client, "/dashboard/tasks/report-a/resume", csrf=csrf)
    assert resumed.status_code == 303
    page = await client.get(resumed.headers["location"])
    assert flashes(page.text) == ["Task 'report-a' no longer exists."]

    fragment = await post(client, "/dashboard/tasks/report-a/pause", htmx=True, csrf=csrf)
    assert fragment.status_code == 200
    assert len(tables(fragment.text)) == 1
    assert flashes(fragment.text) == ["Task 'report-a' no longer exists."]


async def test_run_now_on_a_stopped_scheduler_flashes_an_error(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    add_reports(scheduler)
    csrf_page = await client.get("/dashboard/tasks")
    scheduler.shutdown(wait=False)
    await stopped(scheduler)

    response = await submit(client, row_action(csrf_page.text, "report-a", "run"))

    assert response.status_code == 303
    page = await client.get(response.headers["location"])
    assert page.status_code == 200
    assert flashes(page.text) == ["The scheduler is not running."]
    overview = await client.get("/dashboard/")
    assert "Scheduler stopped" in parse(overview.text).find("span", class_="sched").text


async def test_run_now_twice_on_a_busy_task_flashes_the_instance_limit(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    scheduler.add_task(
        sleeper, "interval", hours=1, kwargs={"seconds": 0.5}, id="slow", name="Slow",
        max_instances=1,
    )  # fmt: skip

    pages = [(await client.get("/dashboard/tasks")).text for _ in range(2)]  # two clicks
    csrf, ids = csrf_from(pages[0]), [submission_from(page) for page in pages]
    first = await post(client, "/dashboard/tasks/slow/run", csrf=csrf, submission=ids[0])
    await asyncio.sleep(0.05)
    second = await post(client, "/dashboard/tasks/slow/run", csrf=csrf, submission=ids[1])

    assert (first.status_code, second.status_code) == (303, 303)
    page = await client.get("/dashboard/tasks")
    assert flashes(page.text) == [
        "Started 'Slow'.",
        "The task is already running its maximum of 1 instance(s).",
    ]
    assert row_state(rows(page.text)["slow"]) == "scheduled"
    await asyncio.sleep(0.6)  # let the running instance finish before the scheduler stops


async def test_run_now_keeps_an_interval_tasks_next_run_time(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    """One extra run: the interval's cadence is not restarted from "now" (Asyncz would)."""
    scheduler.add_task(noop, "interval", hours=1, id="hourly", name="Hourly")
    before = scheduler.get_task("hourly").next_run_time
    fields = action_fields((await client.get("/dashboard/tasks")).text)
    response = await client.post("/dashboard/tasks/hourly/run", data=fields)
    assert response.status_code == 303
    assert scheduler.get_task("hourly").next_run_time == before
    detail = await client.get("/dashboard/tasks/hourly")
    assert before.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC") in detail.text
