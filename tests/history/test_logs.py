"""The log viewer: which records are captured, how they tie to tasks and runs, the filters, the
auto-refresh fragment, and secrets kept out of storage."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from asyncz.schedulers.asyncio import AsyncIOScheduler

from asyncz_dashboard import AsynczAdmin, DashboardConfig
from asyncz_dashboard.logs import get_task_logger
from asyncz_dashboard.storage.base import AuditFilter, EventFilter, RunFilter

from .support import BASE, client_for, finished_run, logs_of, main_text, parse, table_rows

log = logging.getLogger(__name__)


@pytest.fixture(autouse=True)
def info_level() -> Iterator[None]:
    """This module's logger lets INFO through, as an application would configure it."""
    log.setLevel(logging.INFO)
    yield
    log.setLevel(logging.NOTSET)


def messages(html: str) -> list[str]:
    """The log messages a page shows, top to bottom."""
    return [row.find("td", class_="msg").text for row in table_rows(html, "logs")]


def due_now(scheduler: AsyncIOScheduler, fn: Any, task_id: str, **options: Any) -> None:
    scheduler.add_task(
        fn, "interval", minutes=5, id=task_id, next_run_time=datetime.now(timezone.utc),
        **options,
    )  # fmt: skip


async def chatty() -> str:
    """A coroutine task that logs through a plain module logger, knowing nothing of us."""
    log.info("coroutine step one")
    log.warning("coroutine step two")
    return "done"


def chatty_in_a_thread() -> str:
    log.info("thread step one")
    return "done"


async def careless(password: str, user: str) -> dict[str, str]:
    """Logs its secret in every way a careless task might."""
    log.info("connecting as %s with password=%s", user, password)
    log.info("called with %s", {"user": user, "password": password})
    log.info(f"kwargs: {dict(user=user, password=password)}")
    return {"user": user, "password": password}


async def test_a_coroutine_tasks_plain_logger_records_show_under_its_run(
    scheduler: AsyncIOScheduler, admin: AsynczAdmin, client: httpx.AsyncClient
) -> None:
    due_now(scheduler, chatty, "chatty")
    run = await finished_run(admin, "chatty", "succeeded")

    stored = [e for e in logs_of(admin, run_id=run.run_id) if e.logger == __name__]
    assert [(e.message, e.task_id) for e in stored] == [
        ("coroutine step two", "chatty"),
        ("coroutine step one", "chatty"),
    ]
    by_run = await client.get(f"{BASE}/logs?run={run.run_id}")
    assert by_run.status_code == 200
    assert {"coroutine step one", "coroutine step two"} <= set(messages(by_run.text))
    row = next(r for r in table_rows(by_run.text, "logs") if "step two" in r.text)
    assert row.find("td", class_="lvl").text == "WARNING"
    assert row.find("td", class_="src").text == "chatty · run"
    links = [a.attrs["href"] for a in row.find_all("a")]
    assert links == [f"{BASE}/tasks/chatty", f"{BASE}/runs/{run.run_id}"]

    detail = await client.get(f"{BASE}/runs/{run.run_id}")
    assert {"coroutine step one", "coroutine step two"} <= set(messages(detail.text))


async def test_a_thread_executor_tasks_plain_logger_records_show_under_its_run(
    scheduler: AsyncIOScheduler, admin: AsynczAdmin, client: httpx.AsyncClient
) -> None:
    due_now(scheduler, chatty_in_a_thread, "threaded", executor="threads")
    run = await finished_run(admin, "threaded", "succeeded")

    [entry] = [e for e in logs_of(admin, run_id=run.run_id) if e.logger == __name__]
    assert (entry.message, entry.task_id) == ("thread step one", "threaded")
    page = await client.get(f"{BASE}/logs?run={run.run_id}")
    assert "thread step one" in messages(page.text)
    detail = await client.get(f"{BASE}/runs/{run.run_id}")
    assert "thread step one" in messages(detail.text)


async def test_task_loggers_and_task_id_extras_show_under_that_task(
    admin: AsynczAdmin, client: httpx.AsyncClient
) -> None:
    get_task_logger("t1").info("from the task logger")
    logging.getLogger("some.library").warning("tagged by hand", extra={"task_id": "t1"})
    get_task_logger("t2").info("someone else")

    page = await client.get(f"{BASE}/logs?task=t1")
    assert messages(page.text) == ["tagged by hand", "from the task logger"]
    assert {e.task_id for e in logs_of(admin, task_id="t1")} == {"t1"}
    assert [e.run_id for e in logs_of(admin, task_id="t1")] == ["", ""]


async def test_records_from_outside_any_task_are_not_captured(
    admin: AsynczAdmin, client: httpx.AsyncClient
) -> None:
    stray = logging.getLogger("random.unrelated.module")
    stray.warning("nothing to do with the scheduler")
    stray.error("still nothing")
    log.warning("not in a task either")

    kept = [e.message for e in logs_of(admin)]
    assert not [m for m in kept if "nothing" in m or "not in a task" in m]
    page = await client.get(f"{BASE}/logs")
    assert "nothing to do with" not in page.text
    assert "not in a task either" not in page.text


async def test_a_password_never_reaches_storage_or_pages_in_clear(
    scheduler: AsyncIOScheduler, admin: AsynczAdmin, client: httpx.AsyncClient
) -> None:
    due_now(scheduler, careless, "careless", kwargs={"password": "hunter2", "user": "bob"})
    run = await finished_run(admin, "careless", "succeeded")
    logging.getLogger("x").error("retry with password=hunter2", extra={"task_id": "careless"})

    stored_logs = logs_of(admin, task_id="careless")
    assert len(stored_logs) >= 4
    assert any("password=***" in e.message for e in stored_logs)
    for entry in stored_logs:
        assert "hunter2" not in entry.message + entry.exception, entry
    for stored in admin.storages.runs.query(RunFilter(limit=500)):
        assert "hunter2" not in repr(stored)
    for event in admin.storages.events.query(EventFilter(limit=500)):
        assert "hunter2" not in repr(event)
    for entry in admin.storages.audit.query(AuditFilter(limit=500)):
        assert "hunter2" not in repr(entry)

    for url in (
        f"{BASE}/logs",
        f"{BASE}/logs?task=careless",
        f"{BASE}/logs/partials/table",
        f"{BASE}/runs/{run.run_id}",
        f"{BASE}/runs",
        f"{BASE}/events",
        f"{BASE}/tasks",
        f"{BASE}/tasks/careless",
        f"{BASE}/",
    ):
        response = await client.get(url)
        assert response.status_code == 200, url
        assert "hunter2" not in response.text, url
    detail = await client.get(f"{BASE}/runs/{run.run_id}")
    assert "'password': '***'" in main_text(detail.text)


# -- the viewer's filters ---------------------------------------------------------------------
@dataclass
class Viewer:
    """A dashboard over one kind of log storage, and a client for it."""

    admin: AsynczAdmin
    client: httpx.AsyncClient

    async def settle(self) -> None:
        """Wait until captured records are written (SQL storages write in the background)."""
        await asyncio.to_thread(self.admin.writer.flush)


@pytest.fixture(params=["memory", "sqlite"])
async def viewer(
    request: pytest.FixtureRequest,
    scheduler: AsyncIOScheduler,
    config: DashboardConfig,
    tmp_path: Path,
) -> AsyncIterator[Viewer]:
    """The log viewer over the in-memory storage and over SQLite."""
    storage = None if request.param == "memory" else f"sqlite:///{tmp_path / 'logs.db'}"
    admin = AsynczAdmin(scheduler, config=config, storage=storage)
    try:
        async with client_for(admin) as client:
            yield Viewer(admin, client)
    finally:
        admin.close()


async def seed(viewer: Viewer) -> None:
    """Records for two tasks at three levels, oldest first."""
    t1 = get_task_logger("t1")
    t1.info("t1 started the import")
    t1.warning("t1 found 3 odd rows")
    t1.error("t1 failed to write the summary")
    get_task_logger("t2").info("t2 started the export")
    get_task_logger("t2").error("t2 lost its connection")
    await viewer.settle()


async def shown(client: httpx.AsyncClient, query: str) -> list[str]:
    response = await client.get(f"{BASE}/logs?{query}")
    assert response.status_code == 200, query
    return messages(response.text)


async def test_the_log_viewer_filters_by_task_level_and_text_newest_first(viewer: Viewer) -> None:
    client = viewer.client
    await seed(viewer)
    assert await shown(client, "task=t1") == [
        "t1 failed to write the summary",
        "t1 found 3 odd rows",
        "t1 started the import",
    ]
    assert await shown(client, "level=WARNING") == [
        "t2 lost its connection",
        "t1 failed to write the summary",
        "t1 found 3 odd rows",
    ]
    assert await shown(client, "level=error&task=t2") == ["t2 lost its connection"]
    assert await shown(client, "q=STARTED") == ["t2 started the export", "t1 started the import"]
    assert await shown(client, "q=started&task=t1&level=INFO") == ["t1 started the import"]
    assert await shown(client, "task=t3") == []
    # Unknown levels mean any level, never a 500.
    assert len(await shown(client, "level=LOUD")) == 5
    empty = await client.get(f"{BASE}/logs?task=t3")
    assert "No log records match these filters." in main_text(empty.text)
    form = parse((await client.get(f"{BASE}/logs?level=WARNING&q=odd&task=t1")).text)
    assert form.find("select", name="level").find("option", selected="").text == "WARNING"
    assert form.find("input", name="q").attrs["value"] == "odd"
    assert form.find("input", name="task").attrs["value"] == "t1"


async def test_the_log_viewer_filters_by_time_and_ignores_garbage_times(viewer: Viewer) -> None:
    client = viewer.client
    await seed(viewer)
    now = datetime.now(timezone.utc)
    earlier = (now - timedelta(minutes=5)).isoformat()
    later = (now + timedelta(minutes=5)).isoformat()
    naive_earlier = (now - timedelta(minutes=5)).replace(tzinfo=None).isoformat(timespec="minutes")

    assert len(await shown(client, str(httpx.QueryParams(since=earlier)))) == 5
    assert await shown(client, str(httpx.QueryParams(since=later))) == []
    assert await shown(client, str(httpx.QueryParams(until=earlier))) == []
    assert len(await shown(client, str(httpx.QueryParams(since=earlier, until=later)))) == 5
    reversed_range = await client.get(
        f"{BASE}/logs?{httpx.QueryParams(since=later, until=earlier)}"
    )
    assert messages(reversed_range.text) == []
    assert (
        f"The time range is reversed: From ({later}) is later than To ({earlier}), so no log "
        "record can match. Swap them." in main_text(reversed_range.text)
    )
    forward = await client.get(f"{BASE}/logs?{httpx.QueryParams(since=earlier, until=later)}")
    assert "reversed" not in main_text(forward.text)
    assert len(await shown(client, str(httpx.QueryParams(since=naive_earlier)))) == 5
    zulu = (now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert await shown(client, str(httpx.QueryParams(since=zulu))) == []
    offset = (now - timedelta(minutes=5)).astimezone(timezone(timedelta(hours=5))).isoformat()
    assert len(await shown(client, str(httpx.QueryParams(since=offset)))) == 5
    assert await shown(client, str(httpx.QueryParams(until=offset))) == []
    garbage_times = (
        *("yesterday", "2026-13-45T99:00", "9" * 500, "%", "0001-01-01T00:00:00+05:00"),
        "9999-12-31T23:59:59-05:00",  # not expressible in UTC
    )
    for garbage in garbage_times:
        for name in ("since", "until"):
            query = str(httpx.QueryParams({name: garbage, "task": "t1"}))
            response = await client.get(f"{BASE}/logs?{query}")
            assert response.status_code == 200, query
            assert len(messages(response.text)) in (0, 3), query


async def test_the_log_viewer_is_bounded(viewer: Viewer) -> None:
    client = viewer.client
    bulk = get_task_logger("bulk")
    for number in range(250):
        bulk.info("line %d", number)
    await viewer.settle()
    page = await client.get(f"{BASE}/logs?task=bulk")
    shown_lines = messages(page.text)
    assert len(shown_lines) == 200
    assert shown_lines[0] == "line 249"
    assert shown_lines[-1] == "line 50"
    assert "Newest first, at most 200 records." in main_text(page.text)


async def test_the_auto_refresh_fragment_keeps_the_filters(viewer: Viewer) -> None:
    client = viewer.client
    await seed(viewer)
    query = "task=t1&level=WARNING&q=odd&since=2020-01-01T00:00"
    for url in (f"{BASE}/logs?{query}", f"{BASE}/logs/partials/table?{query}"):
        response = await client.get(url)
        assert response.status_code == 200
        assert response.text.count('id="logs-table"') == 1, url
        table = parse(response.text).find(id="logs-table")
        refresh = urlsplit(table.attrs["data-live"])
        assert refresh.path == f"{BASE}/logs/partials/table"
        assert parse_qs(refresh.query) == {
            "task": ["t1"],
            "level": ["WARNING"],
            "q": ["odd"],
            "since": ["2020-01-01T00:00"],
        }
        assert table.attrs["data-version"]
        assert messages(response.text) == ["t1 found 3 odd rows"]
    fragment = await client.get(f"{BASE}/logs/partials/table?{query}")
    assert "<html" not in fragment.text
    assert fragment.text.lstrip().startswith('<div id="logs-table"')
    # Not a time: the refresh keeps it as typed (so its field and the note naming it stay on
    # every refresh), and it filters nothing.
    plain = await client.get(f"{BASE}/logs/partials/table?since=rubbish")
    table = parse(plain.text).find(id="logs-table")
    assert table.attrs["data-live"] == f"{BASE}/logs/partials/table?since=rubbish"
    assert "Not a time, so not used as a filter: From “rubbish”" in table.text
    assert len(messages(plain.text)) == len(messages((await client.get(f"{BASE}/logs")).text))
