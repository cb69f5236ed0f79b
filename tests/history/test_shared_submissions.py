"""Two web processes behind a load balancer over one SQL storage: a form's POST retried on the
other process acts once, and the retry gets the first one's answer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import httpx
import pytest
from asyncz.schedulers.asyncio import AsyncIOScheduler

from asyncz_dashboard import AsynczAdmin, DashboardConfig
from asyncz_dashboard.storage.base import AuditFilter

from ..conftest import csrf_from, noop, submission_from
from ..storage.conftest import pg_url, postgres_ready, sqlite_url  # noqa: F401 (fixtures)
from .support import BASE, client_for, flashes, post


@asynccontextmanager
async def web_process(
    url: str, config: DashboardConfig
) -> AsyncIterator[tuple[AsyncIOScheduler, AsynczAdmin, httpx.AsyncClient]]:
    """One web process: its own scheduler (the same tasks) and dashboard over ``url``."""
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.start()
    for task_id in ("t1", "t2"):
        scheduler.add_task(noop, "interval", hours=1, id=task_id, name=task_id)
    admin = AsynczAdmin(scheduler, config=config, storage=url)
    try:
        async with client_for(admin) as client:
            yield scheduler, admin, client
    finally:
        admin.close()
        scheduler.shutdown(wait=False)
        await asyncio.sleep(0)


def paused(scheduler: AsyncIOScheduler, task_id: str) -> bool:
    return scheduler.get_task(task_id).next_run_time is None


@pytest.mark.parametrize("backend", ["sqlite_url", "pg_url"])
async def test_a_post_retried_on_the_other_process_acts_once_and_gets_the_first_answer(
    backend: str, request: pytest.FixtureRequest, config: DashboardConfig
) -> None:
    url = request.getfixturevalue(backend)
    async with AsyncExitStack() as stack:
        sched_a, admin_a, a = await stack.enter_async_context(web_process(url, config))
        sched_b, _, b = await stack.enter_async_context(web_process(url, config))
        page = (await a.get(f"{BASE}/tasks")).text
        b.cookies = a.cookies  # one browser session, whichever process answers
        csrf, submission = csrf_from(page), submission_from(page)

        first = await post(a, f"{BASE}/tasks/t1/pause", csrf=csrf, submission=submission)
        retry = await post(b, f"{BASE}/tasks/t1/pause", csrf=csrf, submission=submission)
        assert first.status_code == retry.status_code == 303
        assert first.headers["location"] == retry.headers["location"]
        assert paused(sched_a, "t1") and not paused(sched_b, "t1")  # acted once, on A
        told_a = flashes((await a.get(first.headers["location"])).text)
        told_b = flashes((await b.get(retry.headers["location"])).text)
        assert told_a == told_b and told_a

        # Sent at once to both (a double click split by the balancer): one of them acts.
        both = await asyncio.gather(
            post(a, f"{BASE}/tasks/t2/pause", csrf=csrf, submission=submission),
            post(b, f"{BASE}/tasks/t2/pause", csrf=csrf, submission=submission),
        )
        assert [r.status_code for r in both] == [303, 303]
        assert paused(sched_a, "t2") != paused(sched_b, "t2")
        entries = admin_a.storages.audit.query(AuditFilter(action="pause", limit=50))
        assert sorted(e.target for e in entries) == ["task t1", "task t2"]

        # The same form's next task still works: the id is single-use per (action, task).
        other = await post(b, f"{BASE}/tasks/t1/resume", csrf=csrf, submission=submission)
        assert other.status_code == 303
