"""How the task index scales: construction, rebuilds, an action and sorted pages at 1,000,
10,000 and 100,000 tasks.

Run: ``.venv/bin/python benchmarks/bench_index.py`` (``--help`` for options; ``--sizes 1000``
for a quick run). It reuses ``bench_pages``' scheduler (mixed cron, interval and date tasks,
a share paused, two stores, two executors) and its event-loop stall monitor.

For each size it prints, on the scheduler's own event loop (the dashboard embedded):
- ``AsynczAdmin(...)``: wall time of the constructor, and until the index holds every task;
- the longest event-loop stall from construction until the index is ready, and during a
  rebuild (a store added: every task is read again);
- an htmx pause (``POST /tasks/{id}/pause``, the table fragment back), a sort by name
  (``GET /tasks?sort=name&direction=desc``, a task changed just before each request) and the
  task list (``GET /tasks``): median and p95 wall time, and the median CPU time of the loop
  thread per request (not inflated by other processes).

Stalls are given as wall / CPU: wall is what the host app feels (inflated when other
processes compete for the CPU), CPU is the loop thread's own work between two 1 ms ticks.
This is a benchmark, not a test: it asserts nothing about timings.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from asyncz.schedulers.asyncio import AsyncIOScheduler
from asyncz.stores.memory import MemoryStore
from bench_pages import SECRET, Row, StallMonitor, build_scheduler, csrf_from, get, measure

from asyncz_dashboard import AsynczAdmin, DashboardConfig

TARGETS = "at 100,000 tasks: construction < 1 s, stalls < 50 ms, pause < 5 ms, pages < 10 ms"


@dataclass
class Held:
    """A synchronous call and what followed until the index settled (seconds)."""

    call: float
    settled: float
    stall: float  # longest wall-clock stall, the call itself included
    busy: float  # longest stretch of loop-thread CPU, the call itself included
    gc: float  # longest garbage collection meanwhile (CPU), inside one of the stalls


class GcPauses:
    """The longest garbage collection (CPU seconds) since ``reset``: Python's full collection
    scans every object of the process, so with the scheduler's own 100,000 tasks it is the
    one pause no slicing can split."""

    def __init__(self) -> None:
        self.longest = 0.0
        self._start = 0.0
        gc.callbacks.append(self._on_gc)

    def reset(self) -> None:
        self.longest = 0.0

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._start = time.thread_time()
        else:
            self.longest = max(self.longest, time.thread_time() - self._start)


GC_PAUSES = GcPauses()


async def settle(admin: AsynczAdmin) -> None:
    """Wait until the index holds every task and no rebuild is under way."""
    index = admin.adapter.index
    # Polled: the index has no event to wait on (and the baseline to compare has no such field).
    while getattr(index, "loading", None) is not None or getattr(index, "building", False):  # noqa: ASYNC110
        await asyncio.sleep(0.005)


async def hold(monitor: StallMonitor, act: Callable[[], Any], admin: Callable[[], Any]) -> Held:
    """Time ``act()`` and the index's work after it until ``admin()``'s index settles."""
    await asyncio.sleep(0.01)
    monitor.reset()
    GC_PAUSES.reset()
    start, cpu = time.perf_counter(), time.thread_time()
    act()
    call, call_cpu = time.perf_counter() - start, time.thread_time() - cpu
    await settle(admin())
    settled = time.perf_counter() - start
    await asyncio.sleep(0.01)  # the monitor's tick after the last slice
    stall, busy = max(call, monitor.max_late), max(call_cpu, monitor.max_busy)
    return Held(call, settled, stall, busy, GC_PAUSES.longest)


async def measure_pages(
    client: httpx.AsyncClient,
    scheduler: AsyncIOScheduler,
    monitor: StallMonitor,
    args: argparse.Namespace,
) -> list[Row]:
    """The htmx pause, the sort by name (a task changed before each) and the task list."""
    task_id = next(
        str(t.id) for t in scheduler.get_tasks() if t.next_run_time is not None and t.name
    )
    other = next(
        str(t.id) for t in scheduler.get_tasks() if t.next_run_time is not None and t.id != task_id
    )
    token = csrf_from((await client.get("/tasks")).text)
    flip = {"paused": False}

    def resume() -> None:
        scheduler.resume_task(task_id)

    def change_a_task() -> None:
        (scheduler.resume_task if flip["paused"] else scheduler.pause_task)(other)
        flip["paused"] = not flip["paused"]

    async def pause() -> None:
        response = await client.post(
            f"/tasks/{task_id}/pause",
            data={"csrf_token": token, "return_to": "tasks"},
            headers={"HX-Request": "true"},
        )
        if response.status_code != 200:
            raise RuntimeError(f"POST pause answered {response.status_code}")

    repeat, gap = args.repeat, args.gap
    return [
        await measure("POST pause (htmx)", pause, monitor, repeat, gap, before=resume),
        await measure(
            "GET /tasks?sort=name&direction=desc",
            get(client, "/tasks?sort=name&direction=desc"),
            monitor,
            repeat,
            gap,
            before=change_a_task,
        ),
        await measure("GET /tasks", get(client, "/tasks"), monitor, repeat, gap),
    ]


async def one_size(n_tasks: int, args: argparse.Namespace) -> tuple[Held, Held, list[Row]]:
    start = time.perf_counter()
    scheduler = build_scheduler(n_tasks, 0, 0.0, args.seed)
    scheduler.start()
    print(f"{n_tasks} tasks: scheduler set up in {time.perf_counter() - start:.1f} s", flush=True)
    monitor = StallMonitor()
    monitor.start()
    gc.collect()
    made: list[AsynczAdmin] = []
    config = DashboardConfig(secret_key=SECRET)
    built = await hold(
        monitor, lambda: made.append(AsynczAdmin(scheduler, config=config)), lambda: made[0]
    )
    admin = made[0]
    rebuilt = await hold(
        monitor, lambda: scheduler.add_store(MemoryStore(), "bench-extra"), lambda: admin
    )
    transport = httpx.ASGITransport(app=admin.get_asgi_app())
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://bench.local") as client:
            pages = await measure_pages(client, scheduler, monitor, args)
    finally:
        admin.close()
        await monitor.stop()
        scheduler.shutdown(wait=False)
        await asyncio.sleep(0)
    return built, rebuilt, pages


def report(results: dict[int, tuple[Held, Held, list[Row]]]) -> None:
    load = " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    print(f"\n{os.cpu_count()} CPUs, load average {load}. Stalls wall / CPU. Aim {TARGETS}.")
    lines = [("", *(f"{n:,} tasks" for n in results))]
    ms = 1000.0

    def add(label: str, cell: Callable[[Held, Held, list[Row]], str]) -> None:
        lines.append((label, *(cell(*r) for r in results.values())))

    add("AsynczAdmin(...) returns (ms)", lambda b, r, p: f"{b.call * ms:.1f}")
    add("index ready after (s)", lambda b, r, p: f"{b.settled:.2f}")
    add("longest stall, build (ms)", lambda b, r, p: f"{b.stall * ms:.1f} / {b.busy * ms:.1f}")
    add("  of which a garbage collection (ms)", lambda b, r, p: f"{b.gc * ms:.1f}")
    add("rebuild, a store added (s)", lambda b, r, p: f"{r.settled:.2f}")
    add("longest stall, rebuild (ms)", lambda b, r, p: f"{r.stall * ms:.1f} / {r.busy * ms:.1f}")
    add("  of which a garbage collection (ms)", lambda b, r, p: f"{r.gc * ms:.1f}")
    for i, label in enumerate(("htmx pause", "sort by name page", "task list page")):
        add(
            f"{label}, median / p95 / CPU (ms)",
            lambda b, r, p, i=i: (
                f"{p[i].median * ms:.1f} / {p[i].p95 * ms:.1f} / "
                f"{statistics.median(p[i].cpu) * ms:.1f}"
            ),
        )
    widths = [max(len(line[c]) for line in lines) for c in range(len(lines[0]))]
    for line in lines:
        print(
            line[0].ljust(widths[0])
            + "".join(f"  {v:>{w}}" for v, w in zip(line[1:], widths[1:], strict=True))
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000], help="task counts"
    )
    parser.add_argument("--repeat", type=int, default=30, help="requests per page (30)")
    parser.add_argument("--gap", type=float, default=0.02, help="seconds between requests")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    results = {n: asyncio.run(one_size(n, args)) for n in args.sizes}
    report(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
