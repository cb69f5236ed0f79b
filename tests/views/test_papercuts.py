"""Papercuts a fresh user met, checked as that user reads the pages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from asgi_lifespan import LifespanManager
from asyncz.schedulers.asyncio import AsyncIOScheduler

from asyncz_dashboard import AsynczAdmin, DashboardConfig
from asyncz_dashboard.storage.base import LogEntry, Run

from ..conftest import SECRET, csrf_from, noop, submission_from
from ..history.support import flashes, link_ids, main_text, table_rows
from .page import parse
from .support import post

BASE = "/dashboard"


def _save_runs(admin: AsynczAdmin, count: int) -> None:
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    for n in range(count):
        moment = start + timedelta(minutes=n)
        admin.storages.runs.save(
            Run(
                run_id=f"{n:032x}",
                task_id="tick",
                task_name="tick",
                scheduled_run_time=moment,
                submitted_at=moment,
                status="succeeded",
            )
        )


async def test_a_page_past_the_last_shows_the_last_page_of_runs_with_a_note(
    admin: AsynczAdmin, client: httpx.AsyncClient
) -> None:
    _save_runs(admin, 120)  # pages 1 and 2 hold 50 each, page 3 the oldest 20
    response = await client.get(f"{BASE}/runs?page=10000")
    assert response.status_code == 200
    assert link_ids(response.text, "/runs") == [f"{n:032x}" for n in range(19, -1, -1)]
    assert "Page 3" in main_text(response.text)
    assert "No runs on page" not in main_text(response.text)
    assert any("There is no page 10000" in text for text in flashes(response.text))
    prev = parse(response.text).find("a", rel="prev").attrs["href"]
    assert prev == f"{BASE}/runs?page=2"
    # The live region polls the page it shows, not the one asked for.
    region = parse(response.text).find(id="runs-table")
    assert region.attrs["data-live"] == f"{BASE}/runs/partials/table?page=3"


async def test_a_page_past_the_end_of_filtered_runs_clamps_to_their_last_page(
    admin: AsynczAdmin, client: httpx.AsyncClient
) -> None:
    _save_runs(admin, 60)
    response = await client.get(f"{BASE}/runs?task=tick&page=7")
    assert len(link_ids(response.text, "/runs")) == 10
    assert "Page 2" in main_text(response.text)
    nothing = await client.get(f"{BASE}/runs?task=gone&page=7")
    assert "No runs match these filters" in main_text(nothing.text)


@pytest.mark.parametrize("raw", ["0", "-1", "abc", "", "1.5", "²", "9" * 400])
async def test_bad_page_values_show_a_page_of_runs(
    admin: AsynczAdmin, client: httpx.AsyncClient, raw: str
) -> None:
    _save_runs(admin, 60)
    response = await client.get(f"{BASE}/runs", params={"page": raw})
    assert response.status_code == 200
    shown = link_ids(response.text, "/runs")
    assert shown, "never an empty page when there are runs"
    assert "No runs on page" not in main_text(response.text)


async def test_a_timeline_page_past_the_last_shows_the_last_page_of_runs(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    scheduler.add_task(noop, "interval", minutes=1, id="minutely", name="Minutely")
    first = parse((await client.get(f"{BASE}/timeline?window=1h")).text)
    later = first.find("a", rel="next").attrs["href"]  # 59 or 60 runs: two pages of 50
    response = await client.get(f"{BASE}/timeline?window=1h&page=10000")
    assert response.status_code == 200
    tree = parse(response.text)
    rows = [
        row
        for table in tree.find_all("table", class_="timeline")
        for row in table.find_all("tr")[1:]
    ]
    assert 1 <= len(rows) <= 10
    assert "No runs are due" not in tree.text
    assert any("There is no page" in text and "page 2" in text for text in flashes(response.text))
    assert tree.find("a", rel="prev").attrs["href"] == f"{BASE}/timeline?window=1h&page=1"
    assert later == f"{BASE}/timeline?window=1h&page=2"


@pytest.mark.parametrize("path", ["/tasks", "/events", "/audit", "/logs", "/timeline"])
@pytest.mark.parametrize("raw", ["10000", "0", "-1", "abc"])
async def test_other_lists_answer_any_page_value_with_a_page(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient, path: str, raw: str
) -> None:
    for n in range(30):
        scheduler.add_task(noop, "interval", minutes=5 + n, id=f"t{n:02}", name=f"Task {n:02}")
    response = await client.get(f"{BASE}{path}", params={"page": raw, "per_page": "25"})
    assert response.status_code == 200
    if path == "/tasks":  # 30 tasks, 25 a page: page 2 of 2 at most
        assert ("Page 2 of 2" if raw == "10000" else "Page 1 of 2") in main_text(response.text)


@pytest.mark.parametrize("verb", ["pause", "resume", "remove", "run"])
async def test_a_bulk_action_with_no_task_ticked_is_a_400_that_says_why(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient, verb: str
) -> None:
    for n in range(3):
        scheduler.add_task(noop, "interval", minutes=5, id=f"job-{n}", name=f"Job {n}")
    before = {task.id: task.next_run_time for task in scheduler.get_tasks()}
    list_state = [("q", "job"), ("sort", "name")]
    plain = await post(client, f"{BASE}/tasks/bulk", [("action", verb), *list_state])
    assert plain.status_code == 400
    assert flashes(plain.text) == ["Select at least one task."]
    assert parse(plain.text).find("input", id="task-q").attrs["value"] == "job"
    htmx = await post(client, f"{BASE}/tasks/bulk", {"action": verb}, htmx=True)
    assert htmx.status_code == 400
    assert htmx.text == "Select at least one task."
    page = (await client.get(f"{BASE}/tasks")).text
    asked_json = await client.post(
        f"{BASE}/tasks/bulk",
        data={
            "action": verb,
            "csrf_token": csrf_from(page),
            "submission_id": submission_from(page),
        },
        headers={"Accept": "application/json"},
    )
    assert asked_json.status_code == 400
    assert asked_json.json() == {"error": "Select at least one task."}
    # Nothing was acted on.
    assert {task.id: task.next_run_time for task in scheduler.get_tasks()} == before
    assert all(task.next_run_time is not None for task in scheduler.get_tasks())


async def _paris_logs() -> AsyncIterator[tuple[AsynczAdmin, httpx.AsyncClient]]:
    scheduler = AsyncIOScheduler(timezone="Europe/Paris")
    scheduler.start()
    admin = AsynczAdmin(scheduler, config=DashboardConfig(secret_key=SECRET))
    # Three records: 08:00, 09:00 and 10:00 UTC on a winter day (09:00, 10:00, 11:00 in Paris,
    # 17:00, 18:00, 19:00 in Tokyo).
    admin.storages.logs.add(
        [
            LogEntry(
                created=datetime(2026, 1, 15, 8 + n, tzinfo=timezone.utc),
                level="INFO",
                levelno=20,
                logger="demo",
                message=f"record {n}",
            )
            for n in range(3)
        ]
    )
    app = admin.get_asgi_app()
    try:
        async with LifespanManager(app):
            transport = httpx.ASGITransport(app=app, root_path=BASE)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                yield admin, client
    finally:
        admin.close()
        scheduler.shutdown(wait=False)


def _messages(html: str) -> list[str]:
    return [row.find("td", class_="msg").text.strip() for row in table_rows(html, "logs")]


async def test_log_times_without_an_offset_are_in_the_zone_the_hint_names() -> None:
    async for _, client in _paris_logs():
        page = await client.get(f"{BASE}/logs", params={"since": "2026-01-15 10:00"})
        hint = parse(page.text).find(id="log-time-hint").text
        assert "a date and time in Europe/Paris" in hint  # the scheduler's zone, as shown
        assert _messages(page.text) == ["record 2", "record 1"]  # 10:00 Paris = 09:00 UTC
        # With Local picked, dashboard.js sends the browser's zone: the times mean that zone.
        tokyo = {"since": "2026-01-15 18:00", "tz": "Asia/Tokyo"}
        page = await client.get(f"{BASE}/logs", params=tokyo)
        assert _messages(page.text) == ["record 2", "record 1"]  # 18:00 Tokyo = 09:00 UTC
        assert "a date and time in Asia/Tokyo" in parse(page.text).find(id="log-time-hint").text
        zone_field = parse(page.text).find("input", name="tz")
        assert zone_field.attrs["value"] == "Asia/Tokyo" and "disabled" not in zone_field.attrs
        live = parse(page.text).find(id="logs-table").attrs["data-live"]
        assert "tz=Asia%2FTokyo" in live  # the refresh keeps the zone with the times
        # An offset wins over any zone; a zone that is none is the scheduler's.
        offset = {"since": "2026-01-15 10:00+01:00", "tz": "Asia/Tokyo"}
        assert _messages((await client.get(f"{BASE}/logs", params=offset)).text) == [
            "record 2",
            "record 1",
        ]
        for odd in ("Mars/Olympus", "../../etc/passwd", "\x00", "x" * 500):
            answer = await client.get(
                f"{BASE}/logs", params={"since": "2026-01-15 10:00", "tz": odd}
            )
            assert answer.status_code == 200
            assert _messages(answer.text) == ["record 2", "record 1"], odd
