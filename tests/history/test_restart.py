"""History and logs kept in SQLite survive a restart of the app and its scheduler."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone
from pathlib import Path

from asyncz.schedulers.asyncio import AsyncIOScheduler

from asyncz_dashboard import AsynczAdmin, DashboardConfig
from asyncz_dashboard.storage.base import LogFilter, RunFilter

from ..conftest import make_scheduler
from .support import BASE, XSS, assert_escaped, client_for, main_text, parse, table_rows, until

log = logging.getLogger(__name__)


async def nightly_import() -> int:
    log.warning("imported 42 rows with password=hunter2")
    return 42


async def nightly_failure() -> None:
    raise RuntimeError(XSS)


async def test_runs_and_logs_in_sqlite_survive_a_restart(
    tmp_path: Path, config: DashboardConfig
) -> None:
    url = f"sqlite:///{tmp_path / 'd.db'}"

    # First life: run two tasks, then shut everything down.
    first = make_scheduler()
    first.start()
    admin = AsynczAdmin(first, config=config, storage=url)
    try:
        now = datetime.now(timezone.utc)
        first.add_task(nightly_import, "interval", minutes=5, id="import", next_run_time=now)
        first.add_task(nightly_failure, "interval", minutes=5, id="fail", next_run_time=now)
        await until(
            lambda: (
                len(admin.recorder.last_runs) == 2
                and all(r.status != "running" for r in admin.recorder.last_runs.values())
            ),
            what="both runs to finish",
        )
        done = admin.recorder.last_runs["import"]
    finally:
        admin.close()  # flushes the writer
        first.shutdown(wait=False)
        await asyncio.sleep(0)

    # Second life: a new scheduler and dashboard over the same file.
    second: AsyncIOScheduler = make_scheduler()
    second.start()
    reborn = AsynczAdmin(second, config=config, storage=url)
    try:
        stored = reborn.storages.runs.query(RunFilter(limit=50))
        assert {(r.task_id, r.status) for r in stored} == {
            ("import", "succeeded"),
            ("fail", "failed"),
        }
        async with client_for(reborn) as client:
            runs = await client.get(f"{BASE}/runs")
            assert runs.status_code == 200
            statuses = {
                row.find_all("td")[0].text: row.find_all("td")[1].text
                for row in table_rows(runs.text, "runs")
            }
            assert statuses == {"nightly_import": "succeeded", "nightly_failure": "failed"}
            assert_escaped(runs.text, "the run list after a restart")

            detail = await client.get(f"{BASE}/runs/{done.run_id}")
            assert detail.status_code == 200
            text = main_text(detail.text)
            assert "imported 42 rows with password=***" in text
            assert "hunter2" not in detail.text
            assert parse(detail.text).find("h1").text.endswith("succeeded")

            logs = await client.get(f"{BASE}/logs?task=import")
            messages = [r.find("td", class_="msg").text for r in table_rows(logs.text, "logs")]
            assert "imported 42 rows with password=***" in messages
            by_run = await client.get(f"{BASE}/logs?run={done.run_id}")
            assert "imported 42 rows with password=***" in main_text(by_run.text)
            events = await client.get(f"{BASE}/events?name=task_error")
            assert "fail" in main_text(events.text)
            overview = await client.get(f"{BASE}/")
            assert "nightly_import" in main_text(overview.text)
        on_disk = reborn.storages.logs.query(LogFilter(run_id=done.run_id, limit=50))
        assert [e.message for e in on_disk if e.logger == __name__] == [
            "imported 42 rows with password=***"
        ]
    finally:
        reborn.close()
        second.shutdown(wait=False)
        await asyncio.sleep(0)
