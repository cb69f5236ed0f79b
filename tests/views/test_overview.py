"""The overview, the whole scheduler's pause/resume, the health check and how times read."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import httpx
from asyncz.schedulers.asyncio import AsyncIOScheduler

from asyncz_dashboard import AsynczAdmin, DashboardConfig

from ..conftest import SECRET, noop
from .page import Node, action_form, as_confirmed, cell, detail_fields, flashes, parse, rows
from .support import stopped, submit


def scheduler_state(html: str) -> str:
    return parse(html).find("span", class_="sched").text


async def through_confirmation(client: httpx.AsyncClient, form: Node, verb: str) -> Node:
    """Send the overview's scheduler form as a browser without script does: nothing is done,
    the answer leads to the confirmation page; returns that page's (confirmed) form."""
    asked = await submit(client, form)
    assert (asked.status_code, asked.headers["location"]) == (303, f"/dashboard/scheduler/{verb}")
    page = await client.get(asked.headers["location"])
    assert page.status_code == 200
    question = {"pause": "Pause the whole scheduler?", "resume": "Resume the scheduler?"}[verb]
    assert parse(page.text).find("h1").text.startswith(question)
    return parse(page.text).find("form", method="post", action=f"/dashboard/scheduler/{verb}")


async def test_overview_shows_the_scheduler_counts_and_the_next_task(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    scheduler.add_task(noop, "interval", minutes=5, id="soon", name="Soon")
    scheduler.add_task(noop, "interval", hours=5, id="later", name="Later")
    scheduler.add_task(noop, "interval", hours=5, id="held", name="Held")
    scheduler.pause_task("held")

    response = await client.get("/dashboard/")

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert scheduler_state(response.text) == "Scheduler running"
    cards = [c.text for c in parse(response.text).find("section", class_="cards").iter()
             if c.tag in ("a", "div") and "card" in c.attrs.get("class", "").split()]  # fmt: skip
    soon = scheduler.get_task("soon").next_run_time.astimezone(timezone.utc)
    assert cards == [
        "3 tasks", "2 scheduled", "1 paused", "0 pending", "0 failing", "0 running now",
        f"Next run {soon:%Y-%m-%d %H:%M:%S} UTC · Soon",  # the browser adds "in 4 min"
    ]  # fmt: skip
    assert "timezone UTC" in parse(response.text).find("p", class_="muted").text


async def test_pause_and_resume_the_whole_scheduler_from_the_overview(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    overview = await client.get("/dashboard/")
    pause = action_form(parse(overview.text), "pause")
    assert pause.find("button").text == "Pause scheduler"

    assert scheduler.state == 1  # not yet
    paused = await submit(client, await through_confirmation(client, pause, "pause"))

    assert paused.status_code == 303
    assert paused.headers["location"] == "/dashboard/"
    page = await client.get("/dashboard/")
    assert flashes(page.text) == ["Scheduler paused: no task will start until it is resumed."]
    assert scheduler_state(page.text) == "Scheduler paused"
    assert scheduler.state == 2
    health = await client.get("/dashboard/health")
    assert (health.status_code, health.json()) == (200, {"status": "paused"})

    resume = action_form(parse(page.text), "resume")
    assert resume.find("button").text == "Resume scheduler"
    resumed = await submit(client, as_confirmed(resume))  # with script: asked in the page

    assert resumed.headers["location"] == "/dashboard/"
    page = await client.get("/dashboard/")
    assert flashes(page.text) == ["Scheduler resumed."]
    assert scheduler_state(page.text) == "Scheduler running"
    assert scheduler.state == 1


async def test_pausing_a_stopped_scheduler_flashes_an_error(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    overview = await client.get("/dashboard/")
    scheduler.shutdown(wait=False)
    await stopped(scheduler)

    response = await submit(client, as_confirmed(action_form(parse(overview.text), "pause")))

    assert response.status_code == 303
    page = await client.get("/dashboard/")
    assert flashes(page.text) == ["Could not pause the scheduler: The scheduler is not running."]
    assert scheduler_state(page.text) == "Scheduler stopped"
    assert parse(page.text).find_all("form", method="post") == []


async def test_health_is_200_while_running_and_503_after_shutdown_without_task_data(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    scheduler.add_task(noop, "interval", minutes=5, id="secret-task", name="Payroll export")

    running = await client.get("/dashboard/health")

    assert running.status_code == 200
    assert running.headers["content-type"] == "application/json"
    assert running.json() == {"status": "running"}

    scheduler.shutdown(wait=False)
    await stopped(scheduler)
    down = await client.get("/dashboard/health")

    assert down.status_code == 503
    assert down.json() == {"status": "stopped"}
    for response in (running, down):
        assert "secret-task" not in response.text and "Payroll" not in response.text


async def test_triggers_read_in_words_with_the_raw_trigger_on_hover(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    scheduler.add_task(noop, "interval", minutes=5, id="every", name="Every five")
    scheduler.add_task(
        noop, "cron", hour=3, minute=0, day_of_week="mon-fri", id="weekdays", name="Weekdays"
    )
    scheduler.add_task(
        noop, "date", run_at=datetime(2099, 11, 30, 9, 0, tzinfo=timezone.utc), id="once",
        name="Once",
    )  # fmt: skip
    scheduler.add_task(noop, "interval", hours=1, id="hourly", name="Hourly")

    listing = await client.get("/dashboard/tasks")

    cells = {
        task_id: (cell(row, "trigger").text, cell(row, "trigger").attrs)  # the title: raw
        for task_id, row in rows(listing.text).items()
    }
    assert cells["every"] == ("every 5 minutes", {"title": "interval[0:05:00]"})
    assert cells["hourly"][0] == "every hour"
    assert cells["weekdays"] == (
        "at 03:00, Monday through Friday",
        {"title": "cron[day_of_week='mon-fri', hour='3', minute='0']"},
    )
    assert cells["once"] == (
        "once on 30 Nov 2099 09:00",
        {"title": "date[2099-11-30 09:00:00 UTC]"},
    )
    detail = detail_fields((await client.get("/dashboard/tasks/weekdays")).text)
    # "(UTC)": the triggers' zone, hidden (dashboard.js shows it when times are shown Local).
    assert detail["Trigger"] == (
        "at 03:00, Monday through Friday (UTC) "
        "(cron: cron[day_of_week='mon-fri', hour='3', minute='0'])"
    )
    hint = parse((await client.get("/dashboard/tasks/weekdays")).text).find(
        "span", class_="zone-hint"
    )
    assert "hidden" in hint.attrs


async def test_next_run_reads_absolute_in_the_schedulers_zone_with_its_moment_for_the_browser(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    # The server never writes the clock-dependent "in 2 h" (dashboard.js does, from datetime),
    # so a row depends only on its task.
    run_at = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(hours=2)
    scheduler.add_task(noop, "date", run_at=run_at, id="later", name="Later")

    listing = await client.get("/dashboard/tasks")

    time = cell(rows(listing.text)["later"], "next").find("time")
    assert time.text == f"{run_at:%Y-%m-%d %H:%M:%S} UTC"
    assert time.attrs["datetime"] == f"{run_at:%Y-%m-%dT%H:%M:%S}Z"
    detail = detail_fields((await client.get("/dashboard/tasks/later")).text)
    assert detail["Next run time"] == f"{run_at:%Y-%m-%d %H:%M:%S} UTC"


async def test_times_and_triggers_read_in_the_schedulers_timezone() -> None:
    scheduler = AsyncIOScheduler(timezone="Europe/Berlin")
    scheduler.start()
    admin = AsynczAdmin(scheduler, config=DashboardConfig(secret_key=SECRET))
    try:
        scheduler.add_task(
            noop, "date", run_at=datetime(2099, 11, 30, 9, 0, tzinfo=timezone.utc), id="once",
            name="Once",
        )  # fmt: skip
        transport = httpx.ASGITransport(app=admin.get_asgi_app(), root_path="/dashboard")
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            listing = await client.get("/dashboard/tasks")
            overview = await client.get("/dashboard/")
    finally:
        admin.close()
        scheduler.shutdown(wait=False)
        await stopped(scheduler)

    row = rows(listing.text)["once"]
    assert cell(row, "trigger").text == "once on 30 Nov 2099 10:00"
    assert cell(row, "next").find("time").text == "2099-11-30 10:00:00 CET"
    assert cell(row, "next").text == "2099-11-30 10:00:00 CET"
    assert parse(overview.text).find("body").attrs["data-zone"] == "Europe/Berlin"
    assert "timezone Europe/Berlin" in parse(overview.text).find("p", class_="muted").text
