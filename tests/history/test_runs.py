"""Stories of real runs: what the history list, the run detail and the other pages say after a
task succeeds, fails, misses its time, hits its instance limit, or runs by hand or in a thread."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
from asyncz.schedulers.asyncio import AsyncIOScheduler

from asyncz_dashboard import AsynczAdmin

from ..conftest import noop
from .support import (
    BASE,
    XSS,
    XSS_ESCAPED,
    Gate,
    assert_escaped,
    detail_fields,
    finished_run,
    flashes,
    link_ids,
    main_text,
    parse,
    post,
    runs_of,
    table_rows,
)

log = logging.getLogger(__name__)


def now() -> datetime:
    return datetime.now(timezone.utc)


def due_now(scheduler: AsyncIOScheduler, fn: Any, task_id: str, **options: Any) -> None:
    """Add a recurring task whose first run is due at once (then every 5 minutes)."""
    scheduler.add_task(
        fn, "interval", minutes=5, id=task_id, name=options.pop("name", task_id),
        next_run_time=now(), **options,
    )  # fmt: skip


# -- tasks ----------------------------------------------------------------------------------
async def compute_report(size: int = 500) -> dict[str, Any]:
    """Succeeds after a moment, returning a big value that holds a secret."""
    await asyncio.sleep(0.05)
    return {"password": "hunter2", "rows": list(range(size)), "note": "x" * 1000}


async def hostile_failure() -> None:
    """Fails with HTML in its message (field case F11) and logs it first."""
    log.warning("about to fail with %s", XSS)
    raise Exception(XSS)


async def quota_failure() -> None:
    raise ValueError("quota exceeded for account 42")


GATE = Gate()


async def slow() -> None:
    """Runs until the test opens the gate."""
    await GATE.wait()


def threaded_sum(a: int, b: int) -> int:
    """A plain function for the thread-pool executor."""
    logging.getLogger(__name__).info("adding %s and %s in a thread", a, b)
    return a + b


# -- stories ----------------------------------------------------------------------------------
async def test_a_succeeding_task_reads_succeeded_with_duration_and_a_redacted_bounded_value(
    scheduler: AsyncIOScheduler, admin: AsynczAdmin, client: httpx.AsyncClient
) -> None:
    due_now(scheduler, compute_report, "report", name="Nightly report")
    run = await finished_run(admin, "report", "succeeded")

    listing = await client.get(f"{BASE}/runs")
    assert listing.status_code == 200
    assert listing.headers["content-type"] == "text/html; charset=utf-8"
    [row] = table_rows(listing.text, "runs")
    cells = [td.text for td in row.find_all("td")]
    assert cells[0] == "Nightly report"
    assert cells[1] == "succeeded"
    assert cells[2] == "scheduled"
    assert cells[5].endswith(" ms") and int(cells[5].split()[0]) >= 50
    assert cells[6] == ""
    assert link_ids(listing.text, "/runs") == [run.run_id]

    detail = await client.get(f"{BASE}/runs/{run.run_id}")
    assert detail.status_code == 200
    fields = detail_fields(detail.text)
    assert fields["Run id"] == run.run_id
    assert fields["Task"] == "report"
    assert fields["Callable"] == f"{__name__}:compute_report"
    assert fields["Source"] == "scheduled"
    assert fields["Executor"] == "default"
    assert fields["Store"] == "default"
    assert fields["Duration"].endswith(" ms")
    assert "succeeded" in parse(detail.text).find("h1").text
    value = fields["Return value"]
    assert "'password': '***'" in value
    assert "'rows': [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, ...]" in value
    assert "x" * 200 not in value
    assert len(value) <= 200
    assert "hunter2" not in detail.text
    assert "Traceback" not in fields
    assert run.duration is not None and 0.05 <= run.duration < 2


async def test_a_failing_task_shows_its_traceback_and_escapes_its_message_everywhere(
    scheduler: AsyncIOScheduler, admin: AsynczAdmin, client: httpx.AsyncClient
) -> None:
    """Field case F11: the exception text is escaped on every page that shows it."""
    log.setLevel(logging.INFO)
    try:
        due_now(scheduler, hostile_failure, "boom")
        run = await finished_run(admin, "boom", "failed")
    finally:
        log.setLevel(logging.NOTSET)
    assert run.exception_type == "Exception"
    assert run.exception_message == XSS  # stored as is, escaped when shown

    detail = await client.get(f"{BASE}/runs/{run.run_id}")
    fields = detail_fields(detail.text)
    assert fields["Exception"] == f"Exception: {XSS}"
    assert "in hostile_failure" in fields["Traceback"]
    assert "raise Exception(XSS)" in fields["Traceback"]
    assert f"<pre>Exception: {XSS_ESCAPED}</pre>" in detail.text
    assert f"about to fail with {XSS}" in main_text(detail.text)  # the run's own log line

    pages = {
        "run list": f"{BASE}/runs",
        "run detail": f"{BASE}/runs/{run.run_id}",
        "log viewer": f"{BASE}/logs",
        "log fragment": f"{BASE}/logs/partials/table",
        "events": f"{BASE}/events",
        "task detail": f"{BASE}/tasks/boom",
        "task list": f"{BASE}/tasks",
        "task table fragment": f"{BASE}/tasks/partials/table",
        "overview": f"{BASE}/",
        "failed runs": f"{BASE}/runs?status=failed&q=img",
    }
    for where, url in pages.items():
        response = await client.get(url)
        assert response.status_code == 200, where
        assert_escaped(response.text, where)
    listing = await client.get(f"{BASE}/runs")
    [row] = table_rows(listing.text, "runs")
    assert row.find_all("td")[6].text == f"Exception: {XSS}"


async def test_a_task_past_its_misfire_grace_time_is_recorded_as_missed(
    scheduler: AsyncIOScheduler, admin: AsynczAdmin, client: httpx.AsyncClient
) -> None:
    ran: list[str] = []

    async def late() -> None:
        ran.append("late")

    scheduler.add_task(
        late, "interval", minutes=5, id="late", name="Late task",
        next_run_time=now() - timedelta(seconds=30), mistrigger_grace_time=1,
    )  # fmt: skip
    run = await finished_run(admin, "late", "missed")
    assert ran == []

    listing = await client.get(f"{BASE}/runs?status=missed")
    [row] = table_rows(listing.text, "runs")
    assert [td.text for td in row.find_all("td")][:3] == ["Late task", "missed", "scheduled"]
    detail = await client.get(f"{BASE}/runs/{run.run_id}")
    assert "missed" in parse(detail.text).find("h1").text
    scheduled = detail_fields(detail.text)["Scheduled run time"]
    assert scheduled == run.scheduled_run_time.strftime("%Y-%m-%d %H:%M:%S UTC")  # type: ignore[union-attr]
    assert run.scheduled_run_time < now() - timedelta(seconds=20)  # type: ignore[operator]
    assert table_rows((await client.get(f"{BASE}/runs?status=succeeded")).text) == []


async def test_run_now_twice_on_a_busy_task_records_max_instances_with_a_clear_flash(
    scheduler: AsyncIOScheduler, admin: AsynczAdmin, client: httpx.AsyncClient
) -> None:
    scheduler.add_task(slow, "interval", minutes=5, id="busy", name="Busy", max_instances=1)
    GATE.close()

    first = await post(client, f"{BASE}/tasks/busy/run")
    assert first.status_code == 303
    assert flashes((await client.get(first.headers["location"])).text) == ["Started 'Busy'."]
    second = await post(client, f"{BASE}/tasks/busy/run")
    assert second.status_code == 303
    page = await client.get(second.headers["location"])
    assert flashes(page.text) == ["The task is already running its maximum of 1 instance(s)."]

    skipped = await finished_run(admin, "busy", "max_instances")
    assert skipped.source == "manual"
    assert runs_of(admin, "busy", "running"), "the first run is still going"
    listing = await client.get(f"{BASE}/runs?task=busy&status=max_instances")
    [row] = table_rows(listing.text, "runs")
    assert [td.text for td in row.find_all("td")][1:3] == ["max instances", "manual"]

    GATE.open()
    done = await finished_run(admin, "busy", "succeeded")
    assert done.source == "manual"
    assert [r.status for r in runs_of(admin, "busy")] == ["max_instances", "succeeded"]


async def test_a_manual_run_reads_manual_and_a_scheduled_one_reads_scheduled(
    scheduler: AsyncIOScheduler, admin: AsynczAdmin, client: httpx.AsyncClient
) -> None:
    due_now(scheduler, noop, "sync", name="Sync")
    scheduled = await finished_run(admin, "sync", "succeeded")
    response = await post(client, f"{BASE}/tasks/sync/run")
    assert response.status_code == 303
    await finished_run(admin, "sync", "succeeded", count=2)
    manual = next(r for r in runs_of(admin, "sync") if r.run_id != scheduled.run_id)

    assert (scheduled.source, manual.source) == ("scheduled", "manual")
    only_manual = await client.get(f"{BASE}/runs?source=manual")
    assert link_ids(only_manual.text, "/runs") == [manual.run_id]
    only_scheduled = await client.get(f"{BASE}/runs?source=scheduled")
    assert link_ids(only_scheduled.text, "/runs") == [scheduled.run_id]
    both = await client.get(f"{BASE}/runs")
    assert link_ids(both.text, "/runs") == [manual.run_id, scheduled.run_id]
    detail = await client.get(f"{BASE}/runs/{manual.run_id}")
    assert detail_fields(detail.text)["Source"] == "manual"


async def test_a_thread_executor_task_is_recorded_with_its_logs(
    scheduler: AsyncIOScheduler, admin: AsynczAdmin, client: httpx.AsyncClient
) -> None:
    log.setLevel(logging.INFO)
    try:
        due_now(scheduler, threaded_sum, "adder", args=(2, 3), executor="threads")
        run = await finished_run(admin, "adder", "succeeded")
    finally:
        log.setLevel(logging.NOTSET)

    detail = await client.get(f"{BASE}/runs/{run.run_id}")
    fields = detail_fields(detail.text)
    assert fields["Executor"] == "threads"
    assert fields["Return value"] == "5"
    assert fields["Callable"] == f"{__name__}:threaded_sum"
    logs = table_rows(detail.text, "logs")
    messages = [r.find("td", class_="msg").text for r in logs]
    assert "adding 2 and 3 in a thread" in messages


async def test_the_history_list_filters_by_task_status_source_and_text(
    scheduler: AsyncIOScheduler, admin: AsynczAdmin, client: httpx.AsyncClient
) -> None:
    due_now(scheduler, noop, "fine", name="Fine task")
    due_now(scheduler, quota_failure, "quota", name="Quota check")
    ok = await finished_run(admin, "fine", "succeeded")
    failed = await finished_run(admin, "quota", "failed")
    await post(client, f"{BASE}/tasks/fine/run")
    await finished_run(admin, "fine", "succeeded", count=2)
    manual = next(r for r in runs_of(admin, "fine") if r.run_id != ok.run_id)

    async def ids(query: str) -> list[str]:
        response = await client.get(f"{BASE}/runs?{query}")
        assert response.status_code == 200, query
        return link_ids(response.text, "/runs")

    assert set(await ids("")) == {ok.run_id, failed.run_id, manual.run_id}
    assert await ids("task=quota") == [failed.run_id]
    assert await ids("status=failed") == [failed.run_id]
    assert set(await ids("status=succeeded")) == {ok.run_id, manual.run_id}
    assert await ids("source=manual") == [manual.run_id]
    assert await ids("q=quota+exceeded") == [failed.run_id]  # the error text
    assert await ids("q=FINE") == [manual.run_id, ok.run_id]  # the name, any case
    assert await ids("task=fine&source=scheduled") == [ok.run_id]
    assert await ids("task=nothing") == []
    # Unknown values fall back to "any", never a 500.
    assert len(await ids("status=exploded&source=robot&page=abc")) == 3
    empty = await client.get(f"{BASE}/runs?task=nothing")
    assert "No runs match these filters." in main_text(empty.text)
    form = parse((await client.get(f"{BASE}/runs?status=failed&q=quota")).text)
    assert form.find("select", name="status").find("option", selected="").text == "failed"
    assert form.find("input", name="q").attrs["value"] == "quota"


async def test_the_history_list_pages_newest_first_and_keeps_its_filters(
    scheduler: AsyncIOScheduler, admin: AsynczAdmin, client: httpx.AsyncClient
) -> None:
    scheduler.add_task(noop, "interval", minutes=5, id="tick", max_instances=100)
    scheduler.add_task(noop, "interval", minutes=5, id="other")
    for _ in range(55):
        scheduler.run_task("tick", remove_finished=False)
        await asyncio.sleep(0.001)  # distinct run times
    scheduler.run_task("other", remove_finished=False)
    await finished_run(admin, "tick", "succeeded", count=55)
    await finished_run(admin, "other", "succeeded")

    first = await client.get(f"{BASE}/runs?task=tick")
    page_one = link_ids(first.text, "/runs")
    assert len(page_one) == 50
    older = parse(first.text).find("a", rel="next").attrs["href"]
    assert older == f"{BASE}/runs?task=tick&page=2"
    assert not parse(first.text).find_all("a", rel="prev")
    second = await client.get(older)
    page_two = link_ids(second.text, "/runs")
    assert len(page_two) == 5
    assert parse(second.text).find("a", rel="prev").attrs["href"] == f"{BASE}/runs?task=tick&page=1"
    assert not parse(second.text).find_all("a", rel="next")
    assert "Page 2" in main_text(second.text)

    stored = {r.run_id: r for r in runs_of(admin, "tick")}
    assert set(page_one) | set(page_two) == set(stored)
    times = [stored[i].scheduled_run_time for i in page_one + page_two]
    assert times == sorted(times, reverse=True), "newest first"  # type: ignore[type-var]
    beyond = await client.get(f"{BASE}/runs?task=tick&page=999999999")
    assert beyond.status_code == 200
    assert link_ids(beyond.text, "/runs") == page_two, "past the end: the last page"


async def test_an_unknown_run_id_is_a_404_page(client: httpx.AsyncClient) -> None:
    for run_id in ("0" * 32, "nope", "%3Cscript%3E"):
        response = await client.get(f"{BASE}/runs/{run_id}")
        assert response.status_code == 404, run_id
        assert "There is no run with this id" in main_text(response.text)
        assert "<script>" not in response.text
