"""Two worker processes and a fleet dashboard over PostgreSQL and over SQLite: actions are
carried out by the worker holding the task, in its own process, once; a change made inside a
worker shows on the dashboard; a SIGKILL'd worker turns unreachable within 3 heartbeats while
the other stays live, and a command to it fails clearly."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import Engine, create_engine, select

from asyncz_dashboard import AsynczAdmin, DashboardConfig
from asyncz_dashboard.fleet.db import COMMANDS, db_now
from asyncz_dashboard.storage.sql.engine import sql_url

from ..conftest import SECRET
from ..views.page import flashes, row_action, row_state, rows
from ..views.support import submit
from .conftest import StartWorker

HEARTBEAT = 1.0


@pytest.fixture
async def fleet(fleet_url: str) -> AsyncIterator[tuple[AsynczAdmin, httpx.AsyncClient]]:
    """A fleet dashboard (no scheduler of its own) and a client for it."""
    admin = AsynczAdmin(fleet=fleet_url, config=DashboardConfig(secret_key=SECRET))
    app = admin.get_asgi_app()
    try:
        async with LifespanManager(app):
            transport = httpx.ASGITransport(app=app, root_path="/dashboard")
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
                yield admin, c
    finally:
        await asyncio.to_thread(admin.close)


async def eventually(check: Callable[[], Any], seconds: float = 15.0) -> Any:
    """``check()``'s first truthy value, polled every 50 ms for up to ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def listed(client: httpx.AsyncClient) -> dict[str, Any]:
    """The task list's rows by task id."""
    response = await client.get("/dashboard/tasks?per_page=200&sort=name")
    assert response.status_code == 200
    return rows(response.text)


def raw_command(
    engine: Engine, instance_id: str, verb: str, task_id: str, payload: str = ""
) -> None:
    """Insert a pending command as a dashboard would (or someone with database access)."""
    with engine.begin() as conn:
        conn.execute(
            COMMANDS.insert().values(
                instance_id=instance_id,
                verb=verb,
                task_id=task_id,
                requested_by="test",
                requested_at=db_now(conn),
                status="pending",
                message="",
                payload=payload,
            )
        )


def outcome(engine: Engine, task_id: str) -> tuple[str, str] | None:
    """The status and message of the command for ``task_id`` once it is done or failed."""
    with engine.connect() as conn:
        row = conn.execute(
            select(COMMANDS.c.status, COMMANDS.c.message).where(COMMANDS.c.task_id == task_id)
        ).one()
    return (row[0], row[1]) if row[0] in ("done", "failed") else None


def runs(tmp_path: Path) -> list[str]:
    """Every ``<worker> <task>`` line the worker processes wrote, in order."""
    path = tmp_path / "runs.txt"
    return path.read_text().splitlines() if path.exists() else []


async def test_two_workers_one_dashboard(
    fleet: tuple[AsynczAdmin, httpx.AsyncClient],
    fleet_url: str,
    start_worker: StartWorker,
    tmp_path: Path,
) -> None:
    admin, client = fleet
    start_worker(fleet_url, "worker-a", heartbeat=HEARTBEAT)
    worker_b = start_worker(fleet_url, "worker-b", heartbeat=HEARTBEAT)
    expected = {"worker-a.report", "worker-a.sync", "worker-b.report", "worker-b.sync"}
    for _ in range(300):
        if set(await listed(client)) == expected:
            break
        await asyncio.sleep(0.05)
    page = await client.get("/dashboard/tasks?per_page=200&sort=name")
    assert set(rows(page.text)) == expected
    assert rows(page.text)["worker-a.report"].find("td", class_="worker").text == "worker-a"

    # Pause: carried out by worker-a, in its process; the dashboard shows what it became.
    response = await submit(client, row_action(page.text, "worker-a.report", "pause"))
    assert response.status_code == 303
    after = await client.get(response.headers["location"])
    assert flashes(after.text) == ["Paused 'worker-a.report'."]
    assert row_state(rows(after.text)["worker-a.report"]) == "paused"
    assert row_state(rows(after.text)["worker-b.report"]) == "scheduled"

    # Run now: worker-b runs it once, and the task it adds inside its process shows up.
    response = await submit(client, row_action(after.text, "worker-b.sync", "run"))
    assert response.status_code == 303
    page = await client.get(response.headers["location"])
    assert flashes(page.text) == ["Started 'worker-b.sync'."]
    await eventually(lambda: "worker-b worker-b.sync" in runs(tmp_path))
    for _ in range(100):
        if "worker-b.sync.followup" in await listed(client):
            break
        await asyncio.sleep(0.05)
    shown = await listed(client)
    assert row_state(shown["worker-b.sync.followup"]) == "paused"
    assert shown["worker-b.sync.followup"].find("td", class_="worker").text == "worker-b"

    # A second dashboard replica sees the same fleet; the run is in the shared history.
    replica = AsynczAdmin(fleet=fleet_url, config=DashboardConfig(secret_key=SECRET))
    try:
        await eventually(
            lambda: (
                (snap := replica.adapter.index.get("worker-a.report")) is not None
                and snap.state == "paused"
            )
        )
    finally:
        await asyncio.to_thread(replica.close)
    for _ in range(200):
        history = await client.get("/dashboard/runs")
        if "worker-b.sync" in history.text:
            break
        await asyncio.sleep(0.05)
    assert "worker-b.sync" in history.text, "the worker recorded its run in the shared history"

    # SIGKILL worker-b: unreachable within 3 heartbeats (plus one poll), worker-a stays live.
    by_name = {i.name: i for i in admin.adapter.instances.values()}
    killed_at = time.monotonic()
    worker_b.send_signal(signal.SIGKILL)
    worker_b.wait()
    await eventually(
        lambda: admin.adapter.instances[by_name["worker-b"].id].status == "unreachable"
    )
    assert time.monotonic() - killed_at < 3 * HEARTBEAT + 1.5
    assert admin.adapter.instances[by_name["worker-a"].id].status == "live"
    page = await client.get("/dashboard/tasks?per_page=200&sort=name")
    assert set(rows(page.text)) >= expected, "an unreachable worker's tasks stay listed"
    assert admin.adapter.get_task("worker-b.report").stale_since is not None
    assert admin.adapter.get_task("worker-a.report").stale_since is None

    # A command to the dead worker: refused before anything is sent, with the reason.
    response = await submit(client, row_action(page.text, "worker-b.report", "pause"))
    after = await client.get(response.headers["location"])
    [message] = flashes(after.text)
    assert "worker-b is unreachable" in message and "nothing was sent" in message
    # One sent just before it died (still pending) fails "worker gone" and never runs.
    engine = create_engine(sql_url(fleet_url))
    raw_command(engine, by_name["worker-b"].id, "run", "worker-b.report")
    assert await eventually(lambda: outcome(engine, "worker-b.report")) == ("failed", "worker gone")
    engine.dispose()
    # Nothing ran twice, and only what was asked ran.
    assert runs(tmp_path) == ["worker-b worker-b.sync"]
