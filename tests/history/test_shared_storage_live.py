"""Two web processes over one SQL storage: what process B writes (runs, logs, events, audit)
reaches process A's live pages within about 2 s, though A itself writes nothing.

Process A is this test's dashboard; process B is a real subprocess with its own scheduler and
dashboard over the same database. A learns of B's writes only through the storage's change
counters (nothing is shared between the processes but the database).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
import time
from typing import IO

import pytest
from asyncz.schedulers.asyncio import AsyncIOScheduler

from asyncz_dashboard import AsynczAdmin, DashboardConfig

from ..storage.conftest import pg_url, postgres_ready, sqlite_url  # noqa: F401 (fixtures)
from ..views.test_live import poll, region
from .support import BASE, client_for, main_text

PROCESS_B = textwrap.dedent(
    """
    import asyncio, logging, re, sys
    import httpx
    from asyncz.schedulers.asyncio import AsyncIOScheduler
    from asyncz_dashboard import AsynczAdmin, DashboardConfig
    from asyncz_dashboard.logs import get_task_logger

    async def nightly_export_in_b():
        get_task_logger("export-b").warning("exported from process B")

    async def main():
        scheduler = AsyncIOScheduler(timezone="UTC")
        scheduler.start()
        admin = AsynczAdmin(scheduler, config=DashboardConfig(secret_key="k" * 32),
                            storage=sys.argv[1])
        sys.stdin.readline()  # A has its baseline
        scheduler.add_task(nightly_export_in_b, "interval", hours=1, id="export-b")
        transport = httpx.ASGITransport(app=admin.get_asgi_app())
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            page = (await client.get("/tasks")).text
            token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
            await client.post("/tasks/export-b/run", data={"csrf_token": token})
        for _ in range(200):
            last = admin.recorder.last_runs.get("export-b")
            if last is not None and last.status == "succeeded":
                break
            await asyncio.sleep(0.02)
        admin.writer.flush()
        print("written", flush=True)
        sys.stdin.readline()
        admin.close()
        scheduler.shutdown(wait=False)

    asyncio.run(main())
    """
)

# (page, live region, what B's writes make it say)
REGIONS = [
    ("/runs", "runs-table", "nightly_export_in_b"),
    ("/logs", "logs-table", "exported from process B"),
    ("/events", "events-table", "export-b"),
    ("/audit", "audit-table", "export-b"),
    ("/", "overview-live", "nightly_export_in_b"),
]


@pytest.mark.parametrize("backend", ["sqlite_url", "pg_url"])
async def test_writes_of_another_process_reach_the_live_pages_within_two_seconds(
    backend: str, request: pytest.FixtureRequest, config: DashboardConfig
) -> None:
    url = request.getfixturevalue(backend)
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.start()
    admin = AsynczAdmin(scheduler, config=config, storage=url)
    with subprocess.Popen(
        [sys.executable, "-c", PROCESS_B, url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as child:
        assert child.stdin is not None and child.stdout is not None
        try:
            await _watch_b(admin, child.stdin, child.stdout)
        finally:
            child.stdin.write("stop\n")
            child.stdin.flush()
            child.wait(timeout=30)
            admin.close()
            scheduler.shutdown(wait=False)
            await asyncio.sleep(0)


async def _watch_b(admin: AsynczAdmin, stdin: IO[str], stdout: IO[str]) -> None:
    """Take A's baseline, let B write, and time how soon each of A's regions changes."""
    async with client_for(admin) as client:
        baseline: dict[str, tuple[str, str]] = {}
        for path, region_id, said in REGIONS:
            page = await client.get(BASE + path)
            assert said not in main_text(page.text)
            baseline[path] = region(page.text, region_id)
        await asyncio.sleep(1.5)  # A's own start-up writes are seen, then all is quiet
        for path, region_id, _ in REGIONS:
            page = await client.get(BASE + path)
            baseline[path] = region(page.text, region_id)
            assert (await poll(client, *baseline[path])).status_code == 204

        stdin.write("go\n")
        stdin.flush()
        line = await asyncio.to_thread(stdout.readline)
        assert line.strip() == "written"
        written = time.monotonic()

        for path, _, said in REGIONS:
            while True:
                answer = await poll(client, *baseline[path])
                if answer.status_code == 200:
                    break
                assert time.monotonic() - written < 2.0, f"{path} still unchanged"
                await asyncio.sleep(0.1)
            assert said in main_text(answer.text), path
