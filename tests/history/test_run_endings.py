"""A run never stays "running" when it has ended: every way Asyncz can end a run without an
execution event gives it a clear outcome and reason, and runs a dead process left "running"
are closed as "interrupted" when that scheduler starts again (never another live one's)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from asyncz.schedulers.asyncio import AsyncIOScheduler

from asyncz_dashboard import AsynczAdmin, DashboardConfig
from asyncz_dashboard.storage.base import Run
from asyncz_dashboard.storage.sql import open_sql

from ..storage.conftest import pg_url, postgres_ready, sqlite_url  # noqa: F401 (fixtures)
from .support import (
    BASE,
    Gate,
    client_for,
    detail_fields,
    finished_run,
    parse,
    runs_of,
    table_rows,
    until,
)

GATE = Gate()


class Fatal(BaseException):
    """Not an ``Exception``: Asyncz's run wrapper does not catch it, so no event is sent."""


async def escapes_the_wrapper() -> None:
    raise Fatal("disk quota exceeded in /var/spool")


async def held() -> str:
    await GATE.wait()
    return "done"


def start(scheduler: AsyncIOScheduler, fn: object, task_id: str) -> None:
    now = datetime.now(timezone.utc)
    scheduler.add_task(fn, "interval", hours=1, id=task_id, next_run_time=now)


async def test_a_run_whose_error_escapes_the_executor_wrapper_reads_failed_with_its_error(
    scheduler: AsyncIOScheduler, admin: AsynczAdmin, client: httpx.AsyncClient
) -> None:
    start(scheduler, escapes_the_wrapper, "escapes")
    run = await finished_run(admin, "escapes", "failed")
    assert run.exception_type == "Fatal"
    assert "without a result" in run.exception_message
    assert "disk quota exceeded" in run.exception_message
    page = await client.get(f"{BASE}/runs/{run.run_id}")
    assert "failed" in parse(page.text).find("h1").text
    fields = detail_fields(page.text)
    assert fields["Exception"].startswith("Fatal: The executor ended the run without a result")
    assert "in escapes_the_wrapper" in fields["Traceback"]
    assert not runs_of(admin, "escapes", "running")
    assert admin.recorder.failing_runs()[0].task_id == "escapes"  # failing now, on the overview


async def test_a_run_cancelled_by_a_scheduler_shutdown_reads_cancelled(
    config: DashboardConfig,
) -> None:
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.start()
    admin = AsynczAdmin(scheduler, config=config)
    GATE.close()
    try:
        start(scheduler, held, "held")
        await until(lambda: runs_of(admin, "held", "running"), what="the run to start")
        scheduler.shutdown(wait=False)
        await asyncio.sleep(0.05)  # the executor's cancelled callbacks run
        [run] = runs_of(admin, "held")
        assert run.status == "cancelled"
        assert run.finished_at is not None
        assert run.exception_message  # why, in words
        async with client_for(admin) as client:
            page = await client.get(f"{BASE}/runs?status=cancelled")
            assert page.status_code == 200
            [row] = table_rows(page.text, "runs")
            assert "cancelled" in row.text
            assert "shut down" in row.text  # why, in words
    finally:
        GATE.open()
        admin.close()


async def test_a_task_removed_while_it_runs_still_gets_its_outcome(
    scheduler: AsyncIOScheduler, admin: AsynczAdmin
) -> None:
    GATE.close()
    start(scheduler, held, "removed")
    await until(lambda: runs_of(admin, "removed", "running"), what="the run to start")
    scheduler.delete_task("removed")
    GATE.open()
    run = await finished_run(admin, "removed", "succeeded")
    assert run.return_value == "'done'"
    assert not runs_of(admin, "removed", "running")


def left_running(identity: str, task_id: str) -> Run:
    """What a process (dead or alive) leaves in the storage while its run is under way."""
    submitted = datetime.now(timezone.utc) - timedelta(minutes=3)
    return Run(
        run_id=f"{identity}-{task_id}",
        task_id=task_id,
        task_name=task_id,
        scheduler=identity,
        scheduled_run_time=submitted,
        submitted_at=submitted,
        status="running",
    )


@pytest.mark.parametrize("backend", ["sqlite_url", "pg_url"])
async def test_runs_a_dead_process_left_running_are_closed_as_interrupted_at_its_restart(
    backend: str, request: pytest.FixtureRequest, config: DashboardConfig
) -> None:
    url = request.getfixturevalue(backend)
    other = open_sql(url)  # the database as the processes left it
    try:
        other.runs.save(left_running("web-1", "nightly"))  # web-1 was killed mid-run
        other.runs.save(left_running("web-2", "nightly"))  # web-2 is alive, its run goes on
    finally:
        other.close()

    scheduler = AsyncIOScheduler(timezone="UTC", identity="web-1")  # web-1 starts again
    scheduler.start()
    admin = AsynczAdmin(scheduler, config=config, storage=url)
    try:
        interrupted = await finished_run(admin, "nightly", "interrupted")
        assert interrupted.scheduler == "web-1"
        assert "stopped before the run ended" in interrupted.exception_message
        assert [r.scheduler for r in runs_of(admin, "nightly", "running")] == ["web-2"]
        async with client_for(admin) as client:
            page = await client.get(f"{BASE}/runs/{interrupted.run_id}")
            assert "interrupted" in parse(page.text).find("h1").text
            assert "stopped before the run ended" in detail_fields(page.text)["Reason"]
    finally:
        admin.close()
        scheduler.shutdown(wait=False)
        await asyncio.sleep(0)
