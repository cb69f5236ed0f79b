"""A fleet dashboard shows the outcomes of the runs its workers record: the task list's last
run of each task, the overview's failing count and "Failing now" table; a later success
clears the failure; a dashboard started afterwards reads them at once; a batch committed late
is not missed, and the version moves. Real worker processes, on PostgreSQL and SQLite."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx

from asyncz_dashboard import AsynczAdmin, DashboardConfig
from asyncz_dashboard.fleet.adapter import FleetAdapter
from asyncz_dashboard.storage.base import Run
from asyncz_dashboard.storage.sql import open_sql

from ..conftest import SECRET
from ..views.page import Node, cell, parse
from ..views.test_overview_failing import failing_card
from .conftest import StartWorker
from .test_fleet_dashboard import serve
from .test_fleet_story import eventually, listed


def last_run(row: Node) -> Node | None:
    """The row's "Last run" link (None while it shows "—")."""
    found = row.find_all("a", class_="last-run")
    return found[0] if found else None


async def overview(client: httpx.AsyncClient) -> str:
    response = await client.get("/dashboard/")
    assert response.status_code == 200
    return response.text


async def overview_saying(client: httpx.AsyncClient, card: str, seconds: float = 15.0) -> str:
    """The overview, fetched every 50 ms until its failing card reads ``card``."""
    deadline = time.monotonic() + seconds
    while failing_card(page := await overview(client)) != card:
        assert time.monotonic() < deadline, f"the overview never said {card!r}"
        await asyncio.sleep(0.05)
    return page


async def test_failures_and_last_runs_of_the_workers_show_and_clear(
    fleet_url: str, start_worker: StartWorker, tmp_path: Path
) -> None:
    start_worker(fleet_url, "billing", factory="charging")
    admin = AsynczAdmin(fleet=fleet_url, config=DashboardConfig(secret_key=SECRET))
    try:
        async for client in serve(admin):
            await eventually(lambda: admin.adapter.index.get("billing.charge"))
            # The worker's runs fail: the overview counts the task and lists it.
            page = await overview_saying(client, "1 failing")
            section = parse(page).find("section", id="failing")
            assert section.find("h2").text == "Failing now 1"
            [row] = [r for r in section.find_all("tr") if r.find_all("td")]
            cells = [td.text for td in row.find_all("td")]
            assert cells[0] == "Charge pending cards"
            assert cells[1] == "RuntimeError: card declined"
            assert cells[3] == "failed"

            # The task list: the failing task's row says so, with the error on hover; the
            # task that never ran shows "—".
            shown = await listed(client)
            link = last_run(shown["billing.charge"])
            assert link is not None
            assert link.full_text.startswith("✕ failed")
            assert "run-failed" in link.attrs["class"]
            assert link.attrs["title"].endswith("RuntimeError: card declined")
            assert last_run(shown["billing.report"]) is None
            assert cell(shown["billing.report"], "last").text == "—"

            # The gateway is back: the next run succeeds, and the failure clears.
            (tmp_path / "gateway-up").touch()
            page = await overview_saying(client, "0 failing")
            assert not parse(page).find_all("section", id="failing")
            link = last_run((await listed(client))["billing.charge"])
            assert link is not None and "run-succeeded" in link.attrs["class"]
            assert "failed" not in link.text
    finally:
        admin.close()

    # A dashboard started now reads each task's last outcome on its first round.
    later = AsynczAdmin(fleet=fleet_url, config=DashboardConfig(secret_key=SECRET))
    try:
        async for client in serve(later):
            await eventually(lambda: later.adapter.index.get("billing.charge"))
            await eventually(lambda: later.adapter.outcomes.last_runs.get("billing.charge"))
            link = last_run((await listed(client))["billing.charge"])
            assert link is not None and "run-succeeded" in link.attrs["class"]
            assert failing_card(await overview(client)) == "0 failing"
    finally:
        later.close()


def outcome(task_id: str, status: str, at: datetime) -> Run:
    """A finished run of ``task_id`` submitted at ``at``, as a worker's recorder writes it."""
    return Run(
        run_id=f"{task_id}-{at.timestamp()}",
        task_id=task_id,
        status=status,
        submitted_at=at,
        finished_at=at + timedelta(seconds=1),
        exception_type="RuntimeError" if status == "failed" else "",
        exception_message="card declined" if status == "failed" else "",
    )


async def test_a_late_batch_and_an_older_run_are_judged_as_the_local_recorder_does(
    fleet_url: str,
) -> None:
    storages = open_sql(fleet_url)
    adapter = FleetAdapter(fleet_url, poll_seconds=0.05)
    try:
        now = datetime.now(timezone.utc)
        storages.runs.save(outcome("charge", "failed", now))
        failing = await eventually(adapter.outcomes.failing_runs)
        assert [r.task_id for r in failing] == ["charge"]
        # Another worker's batch commits late: it finished 5 s before what was read already.
        late = outcome("sync", "succeeded", now - timedelta(seconds=5))
        storages.runs.save(late)
        await eventually(lambda: adapter.outcomes.last_runs.get("sync") == late)
        # A run submitted before the task's last one changes nothing; a missed run since does
        # not clear the failure; a success does.
        version = adapter.version()
        storages.runs.save(outcome("charge", "succeeded", now - timedelta(seconds=3)))
        storages.runs.save(missed := outcome("charge", "missed", now + timedelta(seconds=1)))
        await eventually(lambda: adapter.outcomes.last_runs["charge"] == missed)
        assert adapter.version() != version
        assert [r.status for r in adapter.outcomes.failing_runs()] == ["failed"]
        storages.runs.save(outcome("charge", "succeeded", now + timedelta(seconds=2)))
        await eventually(lambda: not adapter.outcomes.failing_runs())
    finally:
        adapter.close()
        storages.close()
