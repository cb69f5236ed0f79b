"""Page latency and event-loop stall of the dashboard at 10,000 tasks.

Run: ``.venv/bin/python benchmarks/bench_pages.py`` (``--help`` for options).

It builds a real, started ``AsyncIOScheduler`` with 10,000 tasks (cron, interval and date
triggers; a share paused; two memory stores; an asyncio and a thread-pool executor), with a
handful of tasks firing every second so scheduler events (and index updates) arrive while
pages are measured. The dashboard is mounted with ``AsynczAdmin(...).get_asgi_app()`` and
requested in-process through ``httpx.ASGITransport``, on the scheduler's own event loop, as
an embedded dashboard would be.

For each page it prints the median and p95 latency and the longest event-loop stall seen
while that page was being requested (a background task sleeps 1 ms in a loop and records
how late it wakes). For comparison it also times the naive approach (``get_task_infos()`` +
``get_scheduler_info()`` per request, what Asyncz's own dashboard does) and, when it can be
imported, Asyncz's reference dashboard itself.

This is a benchmark, not a test: it asserts nothing about timings.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import os
import random
import re
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
from asyncz.executors import AsyncIOExecutor, ThreadPoolExecutor
from asyncz.schedulers.asyncio import AsyncIOScheduler
from asyncz.stores.memory import MemoryStore

from asyncz_dashboard import AsynczAdmin, DashboardConfig
from asyncz_dashboard.adapters.preview import FollowingCache
from asyncz_dashboard.adapters.snapshots import TaskQuery

AIM_MEDIAN_MS = 40.0
AIM_STALL_MS = 20.0
SECRET = "bench-secret-key-not-for-production"  # noqa: S105 (a benchmark key)


# -- task callables (module level so they have a callable reference) -------------------------
async def sync_invoices(tenant: int = 0) -> None:
    """Pull new invoices from the billing provider."""


async def send_digest_email(user_id: int = 0, api_token: str = "") -> None:
    """Send a user's daily digest."""


async def rebuild_search_index(shard: int = 0) -> None:
    """Rebuild one search shard."""


def purge_expired_sessions() -> None:
    """Delete expired sessions."""


async def refresh_exchange_rates(base: str = "EUR") -> None:
    """Fetch exchange rates."""


def export_audit_log(bucket: str = "audit") -> None:
    """Export the audit log to object storage."""


async def reconcile_payments(provider: str = "stripe") -> None:
    """Reconcile payments with the provider."""


def generate_sales_report(region: str = "emea") -> None:
    """Build the sales report."""


async def sync_crm_contacts(tenant: int = 0) -> None:
    """Sync CRM contacts."""


def backup_user_uploads(volume: str = "uploads-1") -> None:
    """Snapshot a volume of user uploads."""


async def warm_cache(segment: str = "home") -> None:
    """Pre-render cached pages."""


async def heartbeat() -> None:
    """Fires every second during the benchmark so events keep arriving."""


def heartbeat_thread() -> None:
    """Fires every second on the thread-pool executor."""


JOBS: list[tuple[Callable[..., Any], str]] = [
    (sync_invoices, "Sync invoices"),
    (send_digest_email, "Send digest email"),
    (rebuild_search_index, "Rebuild search index"),
    (purge_expired_sessions, "Purge expired sessions"),
    (refresh_exchange_rates, "Refresh exchange rates"),
    (export_audit_log, "Export audit log"),
    (reconcile_payments, "Reconcile payments"),
    (generate_sales_report, "Generate sales report"),
    (sync_crm_contacts, "Sync CRM contacts"),
    (backup_user_uploads, "Backup user uploads"),
    (warm_cache, "Warm cache"),
]
REGIONS = ("eu-west", "eu-central", "us-east", "us-west", "ap-south", "sa-east")
THREAD_JOBS = {purge_expired_sessions, export_audit_log, generate_sales_report, backup_user_uploads}


def build_scheduler(n_tasks: int, firing: int, paused_share: float, seed: int) -> AsyncIOScheduler:
    """A scheduler (not started) holding ``n_tasks`` tasks plus ``firing`` 1-second tasks."""
    rng = random.Random(seed)
    scheduler = AsyncIOScheduler(
        stores={"default": MemoryStore(), "archive": MemoryStore()},
        executors={"default": AsyncIOExecutor(), "threads": ThreadPoolExecutor(max_workers=4)},
        timezone="Europe/Amsterdam",
    )
    now = datetime.now(timezone.utc)
    later = now + timedelta(hours=2)  # nothing below fires during the benchmark
    for i in range(n_tasks):
        fn, label = JOBS[i % len(JOBS)]
        region = REGIONS[rng.randrange(len(REGIONS))]
        name = f"{label} ({region} #{i})"
        kind = rng.random()
        common: dict[str, Any] = {
            "name": name,
            "store": "archive" if rng.random() < 0.3 else "default",
            "executor": "threads" if fn in THREAD_JOBS else "default",
            "kwargs": {"tenant": i} if fn in (sync_invoices, sync_crm_contacts) else {},
        }
        if fn is send_digest_email:
            common["kwargs"] = {"user_id": i, "api_token": f"tok_{i:08x}"}
        if kind < 0.45:
            minute, hour = rng.randrange(60), rng.randrange(24)
            if rng.random() < 0.5:
                trigger_args: dict[str, Any] = {"minute": minute, "hour": hour}
            else:
                trigger_args = {"minute": minute, "hour": hour, "day_of_week": "mon-fri"}
            scheduler.add_task(fn, "cron", start_at=later, **trigger_args, **common)
        elif kind < 0.85:
            every: dict[str, Any] = rng.choice(
                [{"minutes": 5}, {"minutes": 15}, {"minutes": 30}, {"hours": 1}, {"hours": 6}]
            )
            start = later + timedelta(seconds=rng.randrange(86_400))
            scheduler.add_task(fn, "interval", start_at=start, **every, **common)
        else:
            run_at = later + timedelta(seconds=rng.randrange(30 * 86_400))
            scheduler.add_task(fn, "date", run_at=run_at, **common)
    for i in range(firing):
        threaded = i == firing - 1
        scheduler.add_task(
            heartbeat_thread if threaded else heartbeat,
            "interval",
            seconds=1,
            name=f"Heartbeat {i}",
            id=f"heartbeat-{i}",
            executor="threads" if threaded else "default",
        )
    return scheduler


def pause_share(scheduler: AsyncIOScheduler, share: float, seed: int) -> int:
    """Pause a share of the (non-heartbeat) tasks; returns how many."""
    rng = random.Random(seed + 1)
    ids = [str(t.id) for t in scheduler.get_tasks() if not str(t.id).startswith("heartbeat")]
    chosen = rng.sample(ids, int(len(ids) * share))
    for task_id in chosen:
        scheduler.pause_task(task_id)
    return len(chosen)


# -- measurement -------------------------------------------------------------------------------
class StallMonitor:
    """Sleeps 1 ms in a loop and records the longest lateness since the last ``reset``.

    ``max_late`` is wall-clock lateness (what a user of the host app feels, but inflated when
    other processes compete for the CPU); ``max_busy`` is the CPU time the loop thread spent
    between two ticks, i.e. the longest piece of blocking work, which other processes do not
    inflate.
    """

    def __init__(self, tick: float = 0.001):
        self.tick = tick
        self.max_late = 0.0
        self.max_busy = 0.0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def reset(self) -> None:
        self.max_late = 0.0
        self.max_busy = 0.0

    async def _run(self) -> None:
        while True:
            before = time.perf_counter()
            cpu_before = time.thread_time()
            await asyncio.sleep(self.tick)
            late = time.perf_counter() - before - self.tick
            busy = time.thread_time() - cpu_before
            self.max_late = max(self.max_late, late)
            self.max_busy = max(self.max_busy, busy)


@dataclass
class Row:
    """One line of the results table."""

    label: str
    samples: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    stall: float | None = None
    busy: float | None = None
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:
        ordered = sorted(self.samples)
        return ordered[max(0, -(-95 * len(ordered) // 100) - 1)]  # nearest rank


async def measure(
    label: str,
    call: Callable[[], Awaitable[Any]],
    monitor: StallMonitor,
    repeat: int,
    gap: float,
    before: Callable[[], Any] | None = None,
    warmup: int = 1,
) -> Row:
    """Time ``call`` ``repeat`` times (after ``warmup`` untimed calls), ``gap`` s apart."""
    for _ in range(warmup):
        if before is not None:
            before()
        await call()
    await asyncio.sleep(gap)
    row = Row(label)
    monitor.reset()
    for _ in range(repeat):
        if before is not None:
            before()
        start = time.perf_counter()
        cpu_start = time.thread_time()
        await call()
        row.cpu.append(time.thread_time() - cpu_start)
        row.samples.append(time.perf_counter() - start)
        await asyncio.sleep(gap)  # lets the scheduler run and deliver its events
    row.stall = monitor.max_late
    row.busy = monitor.max_busy
    return row


def get(client: httpx.AsyncClient, url: str, **headers: str) -> Callable[[], Awaitable[Any]]:
    async def call() -> httpx.Response:
        response = await client.get(url, headers=headers)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} answered {response.status_code}")
        return response

    return call


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    if match is None:
        raise RuntimeError("no CSRF token in the page")
    return match.group(1)


# -- the reference dashboard ---------------------------------------------------------------------
def reference_app(scheduler: AsyncIOScheduler) -> tuple[Any, str]:
    """Asyncz's own dashboard app, or ``(None, reason)`` when it cannot be built."""
    try:
        from asyncz.contrib.dashboard.admin import AsynczAdmin as ReferenceAdmin
    except Exception as exc:  # lilya missing or too old
        return None, f"asyncz.contrib.dashboard not importable: {type(exc).__name__}: {exc}"
    try:
        admin = ReferenceAdmin(scheduler=scheduler, include_cors=False)
        return admin.get_asgi_app(), ""
    except Exception as exc:
        return None, f"reference dashboard could not be built: {type(exc).__name__}: {exc}"


# -- main ---------------------------------------------------------------------------------------
async def run(args: argparse.Namespace) -> list[Row]:
    rows: list[Row] = []
    t0 = time.perf_counter()
    scheduler = build_scheduler(args.tasks, args.firing, args.paused, args.seed)
    scheduler.start()
    paused = pause_share(scheduler, args.paused, args.seed)
    setup_s = time.perf_counter() - t0
    total = len(scheduler.get_tasks())
    print(
        f"Scheduler: {total} tasks ({paused} paused, {args.firing} firing every second), "
        f"stores {sorted(scheduler.stores)}, executors {sorted(scheduler.executors)}; "
        f"set up in {setup_s:.1f} s",
        flush=True,
    )

    monitor = StallMonitor()
    monitor.start()
    gc.collect()
    await asyncio.sleep(0.01)
    monitor.reset()
    t0, cpu0 = time.perf_counter(), time.thread_time()
    admin = AsynczAdmin(scheduler=scheduler, config=DashboardConfig(secret_key=SECRET))
    build = Row(
        "AsynczAdmin(...) construction (index build)",
        [time.perf_counter() - t0],
        [time.thread_time() - cpu0],
    )
    await asyncio.sleep(0.01)  # let the monitor wake up and see how late it is
    build.stall = monitor.max_late
    build.busy = monitor.max_busy
    build.note = "one-off"
    app = admin.get_asgi_app()
    await asyncio.sleep(0.05)

    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://bench.local") as client:
            listing = (await client.get("/tasks")).text
            match = re.search(r'href="/tasks/([^"?/]+)\?', listing) or re.search(
                r'href="/tasks/([^"?/]+)"', listing
            )
            if match is None:
                raise RuntimeError("no task link on /tasks")
            detail_id = match.group(1)
            pages = [
                ("GET /  (overview)", "/", {}),
                ("GET /tasks", "/tasks", {}),
                ("GET /tasks?q=sync", "/tasks?q=sync", {}),
                ("GET /tasks?sort=name&direction=desc", "/tasks?sort=name&direction=desc", {}),
                ("GET /tasks?state=paused", "/tasks?state=paused", {}),
                (
                    "GET /tasks/partials/table (htmx refresh)",
                    "/tasks/partials/table",
                    {"HX-Request": "true", "HX-Trigger": "tasks-table"},
                ),
                ("GET /tasks/{id}  (detail)", f"/tasks/{detail_id}", {}),
                ("GET /timeline  (24 h, 500 rows)", "/timeline", {}),
                ("GET /timeline?window=7d&page=2", "/timeline?window=7d&page=2", {}),
                ("GET /runtime", "/runtime", {}),
                ("GET /instances", "/instances", {}),
            ]
            for label, url, headers in pages:
                rows.append(
                    await measure(
                        label, get(client, url, **headers), monitor, args.repeat, args.gap
                    )
                )
                print(f"  measured {label}", flush=True)

            # The timeline's merge alone (no rendering), cold: no fire time remembered.
            async def merge_500() -> Any:
                end = datetime.now(timezone.utc) + timedelta(hours=24)
                return await admin.adapter.timeline(TaskQuery(), end, 500)

            def forget_fire_times() -> None:
                admin.adapter._following = FollowingCache()

            label = "timeline merge, 500 rows, cold (adapter.timeline)"
            rows.append(
                await measure(
                    label, merge_500, monitor, args.repeat, args.gap, before=forget_fire_times
                )
            )
            print(f"  measured {label}", flush=True)

            # The worst case for cached orders: a task changed just before each request.
            toggle_id = next(
                str(t.id)
                for t in scheduler.get_tasks()
                if t.next_run_time is not None and not str(t.id).startswith("heartbeat")
            )
            flip = {"paused": False}

            def change_a_task() -> None:
                if flip["paused"]:
                    scheduler.resume_task(toggle_id)
                else:
                    scheduler.pause_task(toggle_id)
                flip["paused"] = not flip["paused"]

            for label, url in (
                ("GET /tasks  (a task changed just before)", "/tasks"),
                ("GET /tasks?q=sync  (a task changed just before)", "/tasks?q=sync"),
            ):
                rows.append(
                    await measure(
                        label,
                        get(client, url),
                        monitor,
                        args.repeat,
                        args.gap,
                        before=change_a_task,
                    )
                )
                print(f"  measured {label}", flush=True)

            # One action: pause + resume by form POST with the session's CSRF token.
            token = csrf_from((await client.get(f"/tasks/{detail_id}")).text)

            async def pause_resume() -> None:
                for verb in ("pause", "resume"):
                    response = await client.post(
                        f"/tasks/{detail_id}/{verb}",
                        data={"csrf_token": token, "return_to": "detail"},
                    )
                    if response.status_code != 303:
                        raise RuntimeError(f"POST {verb} answered {response.status_code}")

            async def pause_resume_htmx() -> None:
                for verb in ("pause", "resume"):
                    response = await client.post(
                        f"/tasks/{detail_id}/{verb}",
                        data={"csrf_token": token, "return_to": "tasks"},
                        headers={"HX-Request": "true"},
                    )
                    if response.status_code != 200:
                        raise RuntimeError(f"POST {verb} answered {response.status_code}")

            row = await measure(
                "POST pause + POST resume (form, 303)", pause_resume, monitor, 10, args.gap
            )
            row.note = "pair"
            rows.append(row)
            row = await measure(
                "POST pause + POST resume (htmx, table back)",
                pause_resume_htmx,
                monitor,
                10,
                args.gap,
            )
            row.note = "pair"
            rows.append(row)
            print("  measured actions", flush=True)
    finally:
        admin.close()
    rows.insert(0, build)

    # -- comparison: the naive approach, per request -------------------------------------------
    async def naive() -> None:
        scheduler.get_task_infos()
        scheduler.get_scheduler_info()

    row = await measure(
        "naive: get_task_infos() + get_scheduler_info()",
        naive,
        monitor,
        args.naive_repeat,
        args.gap,
        warmup=0,
    )
    row.note = "comparison"
    rows.append(row)
    print("  measured naive snapshotting", flush=True)

    # -- comparison: Asyncz's reference dashboard (last: it installs listeners) ----------------
    ref, reason = reference_app(scheduler)
    if ref is None:
        print(f"  skipped the reference dashboard: {reason}", flush=True)
        rows.append(Row("reference dashboard GET /tasks/", note=f"skipped: {reason}"))
    else:
        logging.getLogger("asyncz").setLevel(logging.WARNING)  # it raises it to INFO
        ref_transport = httpx.ASGITransport(app=ref)
        async with httpx.AsyncClient(transport=ref_transport, base_url="http://bench.local") as c:
            try:
                row = await measure(
                    "reference dashboard GET /tasks/",
                    get(c, "/tasks/"),
                    monitor,
                    args.naive_repeat,
                    args.gap,
                )
                row.note = "comparison"
            except Exception as exc:
                row = Row("reference dashboard GET /tasks/", note=f"failed: {exc}")
            rows.append(row)
        print("  measured the reference dashboard", flush=True)

    await monitor.stop()
    scheduler.shutdown(wait=False)
    await asyncio.sleep(0)
    return rows


def report(rows: list[Row], args: argparse.Namespace) -> None:
    width = max(len(r.label) for r in rows) + 2
    cols = ("n", "median", "p95", "cpu", "stall", "busy")
    header = f"{'page':<{width}}" + "".join(f"{c:>8}" for c in cols) + "  aim"
    load = " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    print()
    print(
        f"{args.tasks} tasks, {args.gap * 1000:.0f} ms between requests, {os.cpu_count()} CPUs, "
        f"load average {load}. Times in ms."
    )
    print(
        "  median/p95: wall time per request; cpu: median CPU time of the loop thread per "
        "request;\n  stall: longest event-loop stall (wall) while measuring; busy: longest "
        "blocking stretch of\n  loop-thread CPU between two 1 ms ticks (not inflated by other "
        f"processes). Aim: median < {AIM_MEDIAN_MS:.0f}, stall < {AIM_STALL_MS:.0f}."
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        if not r.samples:
            print(f"{r.label:<{width}}{'':>8}" + f"{'—':>8}" * 5 + f"  {r.note}")
            continue
        ms = [
            r.median * 1000,
            r.p95 * 1000,
            statistics.median(r.cpu) * 1000 if r.cpu else float("nan"),
            r.stall * 1000 if r.stall is not None else float("nan"),
            r.busy * 1000 if r.busy is not None else float("nan"),
        ]
        if r.note in ("comparison", "one-off"):
            verdict = r.note
        else:
            aim = AIM_MEDIAN_MS * (2 if r.note == "pair" else 1)
            if ms[0] < aim and ms[3] < AIM_STALL_MS:
                verdict = "ok"
            elif ms[2] < aim and ms[4] < AIM_STALL_MS:
                verdict = "ok on CPU (wall inflated by load)"
            else:
                verdict = "MISSED"
            verdict += " (pair)" if r.note == "pair" else ""
        print(
            f"{r.label:<{width}}{len(r.samples):>8}"
            + "".join(f"{v:>8.1f}" for v in ms)
            + f"  {verdict}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--tasks", type=int, default=10_000, help="number of tasks (10000)")
    parser.add_argument("--repeat", type=int, default=30, help="requests per page (30)")
    parser.add_argument(
        "--naive-repeat", type=int, default=5, help="calls for the slow comparisons (5)"
    )
    parser.add_argument("--gap", type=float, default=0.03, help="seconds between requests")
    parser.add_argument("--firing", type=int, default=5, help="tasks firing every second (5)")
    parser.add_argument("--paused", type=float, default=0.15, help="share of tasks paused")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    rows = asyncio.run(run(args))
    report(rows, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
