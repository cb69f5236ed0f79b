"""Which records the log viewer captures without the host's help: Asyncz's INFO records while
the root logger lets only warnings through, and task loggers, all without changing what the
host's own handlers print; records tied to a task by APScheduler-style extras; and one ERROR
record per failed run."""

from __future__ import annotations

import io
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from asyncz.schedulers.asyncio import AsyncIOScheduler

from asyncz_dashboard import AsynczAdmin, DashboardConfig
from asyncz_dashboard.logs import get_task_logger

from .support import BASE, client_for, finished_run, logs_of, table_rows


class Host:
    """The host application's logging: a root level and one stream handler on the root."""

    def __init__(self, level: int):
        self.stream = io.StringIO()
        self.handler = logging.StreamHandler(self.stream)
        self.handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        self.level = level

    def printed(self) -> list[str]:
        """The lines the host's handler printed, minus other tests' noise."""
        return [line for line in self.stream.getvalue().splitlines() if "asyncz" in line]


@pytest.fixture(params=[logging.WARNING])
def host(request: pytest.FixtureRequest) -> Iterator[Host]:
    """Python's default root level (WARNING) unless parametrised, and a host stream handler."""
    root = logging.getLogger()
    saved = root.level
    configured = Host(request.param)
    root.setLevel(configured.level)
    root.addHandler(configured.handler)
    yield configured
    root.removeHandler(configured.handler)
    root.setLevel(saved)


@asynccontextmanager
async def dashboard(
    scheduler: AsyncIOScheduler, config: DashboardConfig
) -> AsyncIterator[tuple[AsynczAdmin, httpx.AsyncClient]]:
    """A dashboard attached after the host configured its logging, and a client for it."""
    admin = AsynczAdmin(scheduler, config=config)
    try:
        async with client_for(admin) as client:
            yield admin, client
    finally:
        admin.close()


async def shown(client: httpx.AsyncClient, query: str = "") -> list[str]:
    """The messages the log viewer shows, newest first."""
    page = await client.get(f"{BASE}/logs?{query}")
    assert page.status_code == 200
    return [row.find("td", class_="msg").text for row in table_rows(page.text, "logs")]


async def hello() -> str:
    return "hello"


def due(scheduler: AsyncIOScheduler, fn: Any, task_id: str, late: float = 0, **extra: Any) -> None:
    scheduler.add_task(
        fn, "interval", minutes=5, id=task_id, name=extra.pop("name", task_id),
        next_run_time=datetime.now(timezone.utc) - timedelta(seconds=late), **extra,
    )  # fmt: skip


async def test_asyncz_info_reaches_the_viewer_and_not_a_host_handler_at_warning(
    host: Host, scheduler: AsyncIOScheduler, config: DashboardConfig
) -> None:
    async with dashboard(scheduler, config) as (admin, client):
        due(scheduler, hello, "hello")
        run = await finished_run(admin, "hello", "succeeded")
        due(scheduler, hello, "late", late=30, mistrigger_grace_time=1)
        await finished_run(admin, "late", "missed")

        messages = await shown(client)
        assert "Added task 'hello' to store 'default'." in messages
        running = [m for m in messages if m.startswith('Running task "hello')]
        assert len(running) == 1
        [entry] = [e for e in logs_of(admin, run_id=run.run_id) if e.message == running[0]]
        assert (entry.level, entry.logger, entry.task_id) == (
            "INFO",
            "asyncz.executors.default",
            "hello",
        )
        # Asyncz's warning reaches both, once each; its INFO records never reach the host.
        assert len([m for m in messages if m.startswith("Run time of task 'late")]) == 1
        [printed] = host.printed()
        assert printed.startswith("WARNING asyncz.executors.default: Run time of task 'late")


@pytest.mark.parametrize("host", [logging.INFO], indirect=True)
async def test_with_the_root_at_info_the_host_prints_asyncz_info_once_and_the_viewer_has_it_once(
    host: Host, scheduler: AsyncIOScheduler, config: DashboardConfig
) -> None:
    async with dashboard(scheduler, config) as (admin, client):
        due(scheduler, hello, "hello")
        await finished_run(admin, "hello", "succeeded")

        added = "Added task 'hello' to store 'default'."
        assert (await shown(client)).count(added) == 1
        assert host.printed().count(f"INFO asyncz.schedulers: {added}") == 1


async def test_task_loggers_reach_the_viewer_and_not_a_host_handler_at_warning(
    host: Host, scheduler: AsyncIOScheduler, config: DashboardConfig
) -> None:
    async with dashboard(scheduler, config) as (_, client):
        get_task_logger("t1").info("step one of t1")
        get_task_logger("t1").warning("t1 is slow")

        assert await shown(client, "task=t1") == ["t1 is slow", "step one of t1"]
        assert host.printed() == ["WARNING asyncz_dashboard.tasks.t1: t1 is slow"]


async def test_closing_the_dashboard_restores_the_loggers_it_lowered(
    host: Host, scheduler: AsyncIOScheduler, config: DashboardConfig
) -> None:
    names = ("asyncz", "asyncz_dashboard.tasks")

    def state() -> list[tuple[int, bool, list[logging.Handler]]]:
        loggers = [logging.getLogger(name) for name in names]
        return [(lg.level, lg.propagate, list(lg.handlers)) for lg in loggers]

    before = state()
    async with dashboard(scheduler, config):
        assert logging.getLogger("asyncz").getEffectiveLevel() == logging.INFO
    assert state() == before
    assert logging.getLogger("asyncz").getEffectiveLevel() == logging.WARNING
    logging.getLogger("asyncz.schedulers").warning("after close")
    assert host.printed() == ["WARNING asyncz.schedulers: after close"]


async def test_two_dashboards_each_capture_asyncz_records_until_the_last_closes(
    host: Host, scheduler: AsyncIOScheduler, config: DashboardConfig
) -> None:
    async with dashboard(scheduler, config) as (first, _):
        async with dashboard(scheduler, config) as (second, _):
            logging.getLogger("asyncz.schedulers").info("both see this")
        logging.getLogger("asyncz.schedulers").info("only the first sees this")
        assert [e.message for e in logs_of(first)][:2] == [
            "only the first sees this",
            "both see this",
        ]
        assert [e.message for e in logs_of(second)][:1] == ["both see this"]
    assert host.printed() == []


@pytest.mark.parametrize("key", ["job_id", "asyncz_task_id", "task_id"])
async def test_records_with_a_task_extra_are_tied_to_that_task(
    key: str, admin: AsynczAdmin, client: httpx.AsyncClient
) -> None:
    logging.getLogger("some.library").warning("retrying the upload", extra={key: "uploader"})
    logging.getLogger("some.library").warning("not tied to a task")

    assert await shown(client, "task=uploader") == ["retrying the upload"]
    [entry] = logs_of(admin, task_id="uploader")
    assert (entry.logger, entry.run_id) == ("some.library", "")


# -- a failed run is an ERROR record ---------------------------------------------------------
async def over_quota(password: str) -> None:
    raise ValueError(f"quota exceeded for account 42 (password={password})")


async def logs_its_failure_as_asyncz_would() -> None:
    """Fails after an ERROR record on Asyncz's executor logger, as an Asyncz that logs task
    exceptions itself would write it (0.17 does not)."""
    try:
        raise RuntimeError("disk full")
    except RuntimeError:
        logging.getLogger("asyncz.executors.default").exception("Task raised an exception")
        raise


async def test_a_failed_run_is_one_error_record_tied_to_its_run(
    host: Host, scheduler: AsyncIOScheduler, config: DashboardConfig
) -> None:
    async with dashboard(scheduler, config) as (admin, client):
        due(scheduler, over_quota, "quota", name="Quota check", kwargs={"password": "hunter2"})
        run = await finished_run(admin, "quota", "failed")

        message = "Run of 'Quota check' failed: ValueError: quota exceeded for account 42"
        [entry] = logs_of(admin, level="ERROR")
        assert entry.message.startswith(f"{message} (password=***")
        assert (entry.level, entry.task_id, entry.run_id) == ("ERROR", "quota", run.run_id)
        assert entry.exception.startswith("Traceback (most recent call last):\n")
        assert "in over_quota" in entry.exception
        assert entry.exception.endswith(f"ValueError: {entry.message.split(': ', 2)[2]}")
        assert "hunter2" not in entry.message + entry.exception

        page = await client.get(f"{BASE}/logs?level=ERROR")
        [row] = table_rows(page.text, "logs")
        assert row.find("td", class_="msg").text.startswith(message)
        assert [a.attrs["href"] for a in row.find_all("a")] == [
            f"{BASE}/tasks/quota",
            f"{BASE}/runs/{run.run_id}",
        ]
        detail = await client.get(f"{BASE}/runs/{run.run_id}")
        rows = table_rows(detail.text, "logs")
        errors = [r for r in rows if r.find("td", class_="lvl").text == "ERROR"]
        assert [r.find("td", class_="msg").text[: len(message)] for r in errors] == [message]
        assert host.printed() == []  # the dashboard's record is its own, not the host's


async def test_a_failed_run_asyncz_already_logged_as_an_error_is_not_recorded_twice(
    admin: AsynczAdmin, scheduler: AsyncIOScheduler
) -> None:
    due(scheduler, logs_its_failure_as_asyncz_would, "disk")
    run = await finished_run(admin, "disk", "failed")

    [entry] = logs_of(admin, level="ERROR")
    assert (entry.message, entry.run_id) == ("Task raised an exception", run.run_id)
    assert entry.exception.endswith("RuntimeError: disk full")
