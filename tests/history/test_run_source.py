"""A "Run now" reads manual whatever order the executor's events arrive in; a scheduled run of
the same task reads scheduled.

Asyncz marks only its submission event ``manual``; the execution event carries no source. The
DebugExecutor runs the task inline, so its execution event comes first; a thread-pool task can
finish before the submission is dispatched (forced here by holding the submission event until
the execution event has been recorded); the asyncio executor delivers them in order.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from asyncz.events import constants as ev
from asyncz.executors.debug import DebugExecutor
from asyncz.schedulers.asyncio import AsyncIOScheduler

from asyncz_dashboard import AsynczAdmin, DashboardConfig

from .support import (
    BASE,
    client_for,
    detail_fields,
    finished_run,
    link_ids,
    logs_of,
    post,
    runs_of,
    table_rows,
)


def quick() -> str:
    """A plain function that returns at once."""
    return "quick"


async def quick_coroutine() -> str:
    return "quick"


class SubmissionHeldBack:
    """Holds each submission event of ``task_id`` until the dashboard has recorded that task's
    execution event: the order a fast thread-pool task produces, made certain.

    ``before`` is registered before the dashboard's listener, ``after`` after it; Asyncz calls
    listeners in registration order.
    """

    def __init__(self, task_id: str):
        self.task_id = task_id
        self.executed = threading.Event()

    def before(self, event: Any) -> None:
        if event.code == ev.TASK_SUBMITTED and event.task_id == self.task_id:
            self.executed.wait(5)  # never hangs a failing test
            self.executed.clear()

    def after(self, event: Any) -> None:
        if event.code == ev.TASK_EXECUTED and event.task_id == self.task_id:
            self.executed.set()


@pytest.mark.parametrize(
    ("executor", "fn", "hold_submission"),
    [
        ("debug", quick, False),  # executed before submitted, inside run_task
        ("threads", quick, True),  # executed before submitted, from the pool's thread
        ("threads", quick, False),  # whatever order the threads give
        ("default", quick_coroutine, False),  # submitted, then executed
    ],
    ids=["debug", "threads-executed-first", "threads", "asyncio"],
)
async def test_run_now_is_one_manual_run_and_the_scheduled_run_stays_scheduled(
    scheduler: AsyncIOScheduler,
    config: DashboardConfig,
    executor: str,
    fn: Any,
    hold_submission: bool,
) -> None:
    scheduler.add_executor(DebugExecutor(), "debug")
    held = SubmissionHeldBack("quick")
    if hold_submission:
        scheduler.add_listener(held.before, ev.ALL_EVENTS)
    admin = AsynczAdmin(scheduler, config=config)
    scheduler.add_listener(held.after, ev.ALL_EVENTS)
    try:
        async with client_for(admin) as client:
            await _story(scheduler, admin, client, executor, fn)
    finally:
        admin.close()


async def _story(
    scheduler: AsyncIOScheduler,
    admin: AsynczAdmin,
    client: httpx.AsyncClient,
    executor: str,
    fn: Any,
) -> None:
    scheduler.add_task(
        fn, "interval", minutes=5, id="quick", name="Quick", executor=executor,
        next_run_time=datetime.now(timezone.utc),
    )  # fmt: skip
    scheduled = await finished_run(admin, "quick", "succeeded")
    assert scheduled.source == "scheduled"

    response = await post(client, f"{BASE}/tasks/quick/run")
    assert response.status_code == 303
    await finished_run(admin, "quick", "succeeded", count=2)

    stored = runs_of(admin, "quick")
    assert sorted((r.source, r.status) for r in stored) == [
        ("manual", "succeeded"),
        ("scheduled", "succeeded"),
    ]
    [manual] = [r for r in stored if r.source == "manual"]
    only_manual = await client.get(f"{BASE}/runs?task=quick&source=manual")
    assert link_ids(only_manual.text, "/runs") == [manual.run_id]
    [row] = table_rows(only_manual.text, "runs")
    assert [td.text for td in row.find_all("td")][1:3] == ["succeeded", "manual"]
    only_scheduled = await client.get(f"{BASE}/runs?task=quick&source=scheduled")
    assert link_ids(only_scheduled.text, "/runs") == [scheduled.run_id]
    detail = await client.get(f"{BASE}/runs/{manual.run_id}")
    assert detail_fields(detail.text)["Source"] == "manual"


async def test_run_now_of_an_overdue_task_on_a_paused_scheduler_is_manual_at_its_due_time(
    scheduler: AsyncIOScheduler, admin: AsynczAdmin, client: httpx.AsyncClient
) -> None:
    scheduler.add_executor(DebugExecutor(), "debug")
    scheduler.pause()
    due = datetime.now(timezone.utc) - timedelta(seconds=5)
    scheduler.add_task(
        quick, "interval", minutes=5, id="overdue", executor="debug", next_run_time=due,
        mistrigger_grace_time=60,
    )  # fmt: skip

    response = await post(client, f"{BASE}/tasks/overdue/run")
    assert response.status_code == 303
    [run] = runs_of(admin, "overdue")
    assert (run.source, run.status, run.scheduled_run_time) == ("manual", "succeeded", due)


def broken() -> None:
    raise RuntimeError("the printer is on fire")


async def test_a_failing_run_now_on_the_debug_executor_is_one_manual_failed_run_and_one_error(
    scheduler: AsyncIOScheduler, admin: AsynczAdmin, client: httpx.AsyncClient
) -> None:
    scheduler.add_executor(DebugExecutor(), "debug")
    scheduler.add_task(broken, "interval", minutes=5, id="broken", name="Broken", executor="debug")

    response = await post(client, f"{BASE}/tasks/broken/run")
    assert response.status_code == 303
    [run] = runs_of(admin, "broken")
    assert (run.source, run.status, run.exception_type) == ("manual", "failed", "RuntimeError")
    [entry] = logs_of(admin, level="ERROR")
    assert (entry.message, entry.run_id) == (
        "Run of 'Broken' failed: RuntimeError: the printer is on fire",
        run.run_id,
    )
    listing = await client.get(f"{BASE}/runs?task=broken")
    [row] = table_rows(listing.text, "runs")
    assert [td.text for td in row.find_all("td")][1:3] == ["failed", "manual"]
