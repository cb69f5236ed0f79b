"""Acknowledged means recorded: a process killed (SIGKILL) right after answering an action
keeps that action's audit entry in its SQL storage."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from asyncz_dashboard.storage.base import AuditFilter
from asyncz_dashboard.storage.sql import open_sql

from ..storage.conftest import pg_url, postgres_ready, sqlite_url  # noqa: F401 (fixtures)

CHILD = textwrap.dedent(
    """
    import asyncio, os, re, signal, sys
    import httpx
    from asyncz.schedulers.asyncio import AsyncIOScheduler
    from asyncz_dashboard import AsynczAdmin, DashboardConfig

    async def noop():
        pass

    async def main():
        scheduler = AsyncIOScheduler(timezone="UTC")
        scheduler.start()
        scheduler.add_task(noop, "interval", hours=1, id="t1", name="T1")
        admin = AsynczAdmin(scheduler, config=DashboardConfig(secret_key="k" * 32),
                            storage=sys.argv[1])
        transport = httpx.ASGITransport(app=admin.get_asgi_app())
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            page = (await client.get("/tasks")).text
            token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
            answer = await client.post("/tasks/t1/pause", data={"csrf_token": token})
            print(answer.status_code, flush=True)
            os.kill(os.getpid(), signal.SIGKILL)  # right after the answer

    asyncio.run(main())
    """
)


@pytest.mark.parametrize("backend", ["sqlite_url", "pg_url"])
def test_the_audit_entry_of_an_answer_survives_a_kill_right_after(
    backend: str, request: pytest.FixtureRequest
) -> None:
    url = request.getfixturevalue(backend)
    child = subprocess.run(
        [sys.executable, "-c", CHILD, url], capture_output=True, text=True, timeout=60
    )
    assert child.returncode == -9, child.stderr
    assert child.stdout.strip() == "303"
    storage = open_sql(url)
    try:
        entries = storage.audit.query(AuditFilter(limit=10))
    finally:
        storage.close()
    assert [(e.action, e.target, e.outcome) for e in entries] == [("pause", "task t1", "ok")]
