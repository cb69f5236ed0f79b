"""A run under way in a worker never stays "running" once nothing can record its end: a worker
killed mid-run, or stopped mid-run, is declared gone by the dashboard and its run reads
"⚠ interrupted" with the reason, while a live worker's run goes on; a worker restarted with a
fixed scheduler identity closes what its previous life left running as soon as it starts.
Real worker processes, on PostgreSQL and SQLite."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time

import httpx

from asyncz_dashboard import AsynczAdmin, DashboardConfig
from asyncz_dashboard.storage.base import Run, RunFilter
from asyncz_dashboard.storage.sql import open_sql

from ..conftest import SECRET
from ..history.support import table_rows
from ..views.page import Node, detail_fields, row_action
from ..views.support import submit
from .conftest import StartWorker
from .test_fleet_dashboard import serve
from .test_fleet_story import HEARTBEAT, eventually, listed


async def run_rows(client: httpx.AsyncClient) -> dict[str, Node]:
    """The runs page's rows by task name (one run per task in these tests)."""
    page = await client.get("/dashboard/runs")
    assert page.status_code == 200
    return {row.find_all("td")[0].text: row for row in table_rows(page.text, "runs")}


async def run_status(client: httpx.AsyncClient, task: str) -> str:
    """The Status cell of the run of ``task`` on the runs page ("" while it has none)."""
    row = (await run_rows(client)).get(task)
    return row.find_all("td")[1].full_text if row is not None else ""


async def status_becomes(client: httpx.AsyncClient, task: str, status: str) -> None:
    """Poll the runs page until the run of ``task`` reads ``status``."""
    deadline = time.monotonic() + 20
    while (shown := await run_status(client, task)) != status:
        assert time.monotonic() < deadline, f"the run of {task} reads {shown!r}, not {status!r}"
        await asyncio.sleep(0.1)


async def reason(client: httpx.AsyncClient, task: str) -> str:
    """The Reason its run's page gives."""
    link = (await run_rows(client))[task].find_all("a")[0]
    page = await client.get(link.attrs["href"])
    assert page.status_code == 200
    return detail_fields(page.text)["Reason"]


async def last_run(client: httpx.AsyncClient, task: str) -> Node:
    """The task list's "Last run" link of ``task``, once it shows one (within a feed round)."""
    deadline = time.monotonic() + 10
    while not (found := (await listed(client))[task].find_all("a", class_="last-run")):
        assert time.monotonic() < deadline, f"{task} shows no last run"
        await asyncio.sleep(0.1)
    return found[0]


async def run_now(client: httpx.AsyncClient, task: str) -> None:
    """Press the task's Run now button, as an operator does."""
    page = await client.get("/dashboard/tasks?per_page=200&sort=name")
    response = await submit(client, row_action(page.text, task, "run"))
    assert response.status_code == 303


def stop(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    process.send_signal(sig)
    process.wait(15)


async def test_a_run_whose_worker_is_killed_or_stopped_reads_interrupted(
    fleet_url: str, start_worker: StartWorker
) -> None:
    doomed = start_worker(fleet_url, "doomed", factory="holding", heartbeat=HEARTBEAT)
    leaving = start_worker(fleet_url, "leaving", factory="holding", heartbeat=HEARTBEAT)
    admin = AsynczAdmin(fleet=fleet_url, config=DashboardConfig(secret_key=SECRET))
    try:
        async for client in serve(admin):
            await eventually(lambda: admin.adapter.index.get("doomed.hold"))
            await eventually(lambda: admin.adapter.index.get("leaving.hold"))
            await run_now(client, "doomed.hold")
            await run_now(client, "leaving.hold")
            await status_becomes(client, "doomed.hold", "… running")
            await status_becomes(client, "leaving.hold", "… running")

            # Killed mid-run: once it misses its heartbeats, its run is interrupted, with the
            # reason; the other worker's run goes on.
            stop(doomed, signal.SIGKILL)
            await status_becomes(client, "doomed.hold", "⚠ interrupted")
            assert await reason(client, "doomed.hold") == (
                "The worker running it (doomed) stopped answering before the run ended: how it "
                "ended is unknown."
            )
            assert await run_status(client, "leaving.hold") == "… running"
            link = await last_run(client, "doomed.hold")
            assert link.full_text.startswith("⚠")
            assert "run-interrupted" in link.attrs["class"]

            # Stopped mid-run (SIGTERM: its recording stops with it): interrupted too.
            stop(leaving, signal.SIGTERM)
            await status_becomes(client, "leaving.hold", "⚠ interrupted")
            assert await reason(client, "leaving.hold") == (
                "The worker running it (leaving) stopped before the run ended: how it ended is "
                "unknown."
            )
    finally:
        await asyncio.to_thread(admin.close)


def runs_of(url: str, task_id: str) -> list[Run]:
    """The runs of ``task_id`` in the fleet database, as any process reads them."""
    storages = open_sql(url)
    try:
        return storages.runs.query(RunFilter(task_id=task_id))
    finally:
        storages.close()


async def test_a_worker_restarted_with_a_fixed_identity_closes_its_previous_runs_at_start(
    fleet_url: str, start_worker: StartWorker
) -> None:
    # A heartbeat far longer than the test: no dashboard could declare the first life gone.
    first = start_worker(fleet_url, "billing", factory="holding_fixed", heartbeat=60)
    admin = AsynczAdmin(fleet=fleet_url, config=DashboardConfig(secret_key=SECRET))
    try:
        async for client in serve(admin):
            await eventually(lambda: admin.adapter.index.get("billing.hold"))
            await run_now(client, "billing.hold")
            await status_becomes(client, "billing.hold", "… running")
    finally:
        await asyncio.to_thread(admin.close)
    stop(first, signal.SIGKILL)
    assert [r.status for r in runs_of(fleet_url, "billing.hold")] == ["running"]

    # The same worker comes back (same scheduler identity, a new instance): its first life's
    # run is closed at once, though its task's next run is an hour away.
    start_worker(fleet_url, "billing", factory="holding_fixed", heartbeat=60)
    await eventually(lambda: runs_of(fleet_url, "billing.hold")[0].status == "interrupted")
    admin = AsynczAdmin(fleet=fleet_url, config=DashboardConfig(secret_key=SECRET))
    try:
        async for client in serve(admin):
            assert await run_status(client, "billing.hold") == "⚠ interrupted"
            assert "scheduler billing started again" in await reason(client, "billing.hold")
    finally:
        await asyncio.to_thread(admin.close)
