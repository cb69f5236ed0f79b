"""The fleet at scale: task list latency, change visibility and command round trips.

Run: ``.venv/bin/python benchmarks/bench_fleet.py`` (``--help`` for options). PostgreSQL by
default (``--url``; the tables go to a new schema, dropped at the end), or ``--url
sqlite:///fleet.db``.

It fabricates ``--workers`` instances holding ``--tasks`` task snapshots each (rows written as
``FleetWorker`` writes them), then starts one real worker (a started ``AsyncIOScheduler`` with
one task, published by ``FleetWorker``) and a fleet dashboard (``AsynczAdmin(fleet=url)``),
in this process. It prints: how long the dashboard's index takes to follow the whole feed;
the task list page's median and p95 latency in-process; how long a change made inside the
worker (a pause on its scheduler) takes to show in the dashboard's index; and the round trip
of a command (a pause or resume through the dashboard, carried out by the worker).

A benchmark, not a test: it asserts nothing. The machine may be shared.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

import httpx
from asyncz.schedulers.asyncio import AsyncIOScheduler

from asyncz_dashboard import AsynczAdmin, DashboardConfig
from asyncz_dashboard.adapters.snapshots import TaskSnapshot
from asyncz_dashboard.fleet import FleetWorker
from asyncz_dashboard.fleet.db import INSTANCES, db_now, publish_tasks
from asyncz_dashboard.storage.sql.engine import Database, create_sql_engine

PG = "postgresql://postgres@127.0.0.1:5432/test"
BASE = TaskSnapshot(
    id="",
    name="",
    callable_name="sync_orders",
    callable_reference="app.jobs:sync_orders",
    trigger_alias="interval",
    trigger_text="every 5 minutes",
    trigger_raw="interval[0:05:00]",
    next_run_time=None,
    next_run_text="",
    store="default",
    executor="default",
    state="scheduled",
    coalesce=True,
    max_instances=1,
    misfire_grace_time=1.0,
    args_repr="('eu-west',)",
    kwargs_repr="{}",
)


def fabricate(database: Database, workers: int, tasks: int) -> None:
    """``workers`` live instances with ``tasks`` snapshots each."""
    start = datetime.now(timezone.utc)
    for w in range(workers):
        instance = f"fake-{w}"

        def register(conn: object, instance: str = instance, w: int = w) -> None:
            now = db_now(conn)  # type: ignore[arg-type]
            conn.execute(  # type: ignore[attr-defined]
                INSTANCES.insert().values(
                    id=instance,
                    name=instance,
                    host="bench",
                    pid=w,
                    started_at=now,
                    heartbeat_at=now + timedelta(hours=1),  # stays live for the run
                    heartbeat_seconds=5.0,
                    state="running",
                    timezone="UTC",
                    versions="{}",
                    scheduler_class="bench",
                    detail=json.dumps({"executors": ["default"], "stores": ["default"]}),
                )
            )

        database.write(register)
        rows = []
        for t in range(tasks):
            task_id = f"w{w}.task{t}"
            snap = replace(
                BASE,
                id=task_id,
                name=f"Sync orders {w}/{t}",
                next_run_time=start + timedelta(seconds=t),
                search_text=f"{task_id} sync orders {w}/{t}",
            )
            rows.append((task_id, snap.to_json()))
        for i in range(0, len(rows), 1000):
            database.write(lambda conn, b=rows[i : i + 1000], n=instance: publish_tasks(conn, n, b))


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run(url: str, workers: int, tasks: int) -> None:
    database = Database(create_sql_engine(url))
    t0 = time.perf_counter()
    fabricate(database, workers, tasks)
    print(f"fabricated {workers} x {tasks} task rows in {time.perf_counter() - t0:.1f} s")

    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_task(lambda: None, "interval", minutes=5, id="real.task", name="Real task")
    scheduler.start()
    worker = FleetWorker(scheduler, url, name="real", heartbeat_seconds=1.0)
    t0 = time.perf_counter()
    config = DashboardConfig(secret_key="bench")  # noqa: S106 (a benchmark's own key)
    admin = AsynczAdmin(fleet=url, config=config)
    total = workers * tasks + 1
    while len(admin.adapter.index) < total:  # noqa: ASYNC110 (a thread fills the index)
        await asyncio.sleep(0.05)
    print(f"dashboard index followed the feed to {total} tasks in {time.perf_counter() - t0:.1f} s")

    transport = httpx.ASGITransport(app=admin.get_asgi_app(), root_path="/dashboard")
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        times = []
        for i in range(30):
            start = time.perf_counter()
            response = await client.get(f"/dashboard/tasks?page={i + 1}")
            times.append(time.perf_counter() - start)
            assert response.status_code == 200
        print(
            f"task list page: median {statistics.median(times) * 1000:.1f} ms, "
            f"p95 {pct(times, 0.95) * 1000:.1f} ms"
        )

    visible = []
    for i in range(10):
        start = time.perf_counter()
        if i % 2 == 0:
            scheduler.pause_task("real.task")
        else:
            scheduler.resume_task("real.task")
        want = "paused" if i % 2 == 0 else "scheduled"
        while (snap := admin.adapter.index.get("real.task")) is None or snap.state != want:  # noqa: ASYNC110
            await asyncio.sleep(0.005)
        visible.append(time.perf_counter() - start)
    print(
        f"a change inside the worker visible on the dashboard: median "
        f"{statistics.median(visible) * 1000:.0f} ms, max {max(visible) * 1000:.0f} ms"
    )

    trips = []
    for i in range(20):
        start = time.perf_counter()
        if i % 2 == 0:
            await admin.adapter.pause_task("real.task")
        else:
            await admin.adapter.resume_task("real.task")
        trips.append(time.perf_counter() - start)
    print(
        f"command round trip (dashboard to worker done): p50 "
        f"{statistics.median(trips) * 1000:.0f} ms, p95 {pct(trips, 0.95) * 1000:.0f} ms"
    )
    await asyncio.to_thread(admin.close)
    await asyncio.to_thread(worker.close)
    scheduler.shutdown(wait=False)
    database.dispose()


def on_database(url: str | None, body: Callable[[str], Awaitable[None]]) -> None:
    """Run ``body(url)``; without ``url``, on a new schema of the PostgreSQL test database,
    dropped at the end."""
    if url is not None:
        asyncio.run(body(url))
        return
    import psycopg

    schema = f"asyncz_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        asyncio.run(body(f"{PG}?options={quote(f'-csearch_path={schema}')}"))
    finally:
        with psycopg.connect(PG, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=None, help="fleet database (default: PostgreSQL test)")
    parser.add_argument("--workers", type=int, default=20)
    parser.add_argument("--tasks", type=int, default=5000, help="tasks per worker")
    args = parser.parse_args()
    on_database(args.url, lambda url: run(url, args.workers, args.tasks))


if __name__ == "__main__":
    main()
