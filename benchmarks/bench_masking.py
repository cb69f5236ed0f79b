"""The cost of secret masking and of one task snapshot, and the event-loop stall a task's big
text causes.

Run: ``.venv/bin/python benchmarks/bench_masking.py`` (``--help`` for options). To compare with
another checkout, point ``PYTHONPATH`` at its ``src``: the script only uses names both have.

(a) For values of 1 kB, 20 kB and 1 MB (hex text: word-like, which made the old key pattern
backtrack; and ``pass_`` repeated, the costliest text for the new one) it prints the median
cost of ``Redactor.mask_text``, ``Redactor.redact`` and of
building one ``TaskSnapshot`` (``adapter.snapshot(task)``) for a task holding the value as an
argument and a keyword argument. A size whose predicted cost (quadratic growth from the
previous size) exceeds ``--budget`` seconds is skipped and its prediction printed.

(b) With a started ``AsyncIOScheduler`` and the dashboard attached, a ticker coroutine sleeps
1 ms in a loop and records how late it wakes (wall clock) and how much CPU its thread spent
meanwhile. It prints the longest stall while: the dashboard is attached to a scheduler holding
a task with a 20 kB argument; such a task is added; it is run through the dashboard's "Run now"
(a POST through the ASGI app) and, running, logs a 20 kB line and raises a 20 kB exception.

This is a benchmark, not a test: it asserts nothing. The machine may be shared: the CPU column
is the steadier figure.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import re
import secrets
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import httpx
from asyncz.schedulers.asyncio import AsyncIOScheduler

from asyncz_dashboard import AsynczAdmin, DashboardConfig
from asyncz_dashboard.adapters.asyncz import AsynczAdapter
from asyncz_dashboard.adapters.redact import Redactor

SIZES = {"1 kB": 1_000, "20 kB": 20_000, "1 MB": 1_000_000}
KEY = "bench-secret-key-not-for-production"
BASE = "/dashboard"
task_log = logging.getLogger("bench.task")


def hex_text(size: int) -> str:
    return secrets.token_hex(size // 2 + 1)[:size]


def median_seconds(fn: Callable[[], object], repeat: int) -> float:
    """The median wall time of ``fn()`` over ``repeat`` calls (fewer if one call is slow)."""
    samples: list[float] = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
        if sum(samples) > 5.0:
            break
    return statistics.median(samples)


def show(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1.0:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.1f} s"


# -- (a) the cost of masking and of one snapshot ---------------------------------------------
async def noop(*args: Any, **kwargs: Any) -> None:
    """A task that does nothing."""


def costs(repeat: int, budget: float) -> list[tuple[str, dict[str, str]]]:
    """Median cost per size of each operation, or its prediction when too slow to run."""
    redactor = Redactor()
    scheduler = AsyncIOScheduler(timezone="UTC")
    adapter = AsynczAdapter(scheduler)
    operations: dict[str, Callable[[str], Callable[[], object]]] = {
        "mask_text": lambda value: lambda: redactor.mask_text(value),
        # Key words back to back: each one starts a match attempt (the costliest text found).
        "mask_text pass_": lambda value: lambda: redactor.mask_text(value),
        "redact": lambda value: lambda: redactor.redact(value),
        "snapshot": lambda value: lambda: adapter.snapshot(task_for(scheduler, value)),
    }
    rows = []
    for label, make in operations.items():
        cells: dict[str, str] = {}
        previous: tuple[int, float] | None = None
        for size_label, size in SIZES.items():
            if previous is not None:
                predicted = previous[1] * (size / previous[0]) ** 2
                if predicted > budget:
                    cells[size_label] = f"skipped (~{show(predicted)} if quadratic)"
                    continue
            value = (
                ("pass_" * (size // 5 + 1))[:size] if label.endswith("pass_") else hex_text(size)
            )
            seconds = median_seconds(make(value), repeat)
            cells[size_label] = show(seconds)
            previous = (size, seconds)
        rows.append((label, cells))
    adapter.close()
    return rows


def task_for(scheduler: AsyncIOScheduler, value: str) -> Any:
    """The scheduler's task holding ``value`` (added once per value, not timed after that)."""
    task_id = f"t{len(value)}"
    task = scheduler.get_task(task_id)
    if task is None:
        scheduler.add_task(
            noop, "interval", minutes=5, id=task_id, args=[value], kwargs={"blob": value}
        )
        task = scheduler.get_task(task_id)
    return task


# -- (b) the longest event-loop stall ---------------------------------------------------------
class Ticker:
    """Sleeps ``tick`` seconds in a loop; records the worst lateness and the CPU this thread
    spent during the worst gap (the loop was busy, not just preempted)."""

    def __init__(self, tick: float = 0.001):
        self.tick = tick
        self.late = 0.0
        self.busy = 0.0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def take(self) -> tuple[float, float]:
        """The worst (lateness, busy CPU) since the last call, in seconds."""
        worst = (self.late, self.busy)
        self.late = self.busy = 0.0
        return worst

    async def _run(self) -> None:
        while True:
            before, cpu = time.perf_counter(), time.thread_time()
            await asyncio.sleep(self.tick)
            self.late = max(self.late, time.perf_counter() - before - self.tick)
            self.busy = max(self.busy, time.thread_time() - cpu)


def loud(blob: str) -> None:
    """The benchmark's task: logs a 20 kB line, then raises a 20 kB exception."""
    task_log.warning("imported rows: %s", blob)
    raise RuntimeError(f"could not import {blob}")


async def settle(seconds: float = 0.05) -> None:
    """Let the loop (and the ticker) run for a moment."""
    await asyncio.sleep(seconds)


async def stalls(size: int) -> list[tuple[str, float, float, float]]:
    """(phase, wall time, worst loop lateness, worst busy CPU) of each phase, in seconds."""
    blob = hex_text(size)
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_task(noop, "interval", minutes=5, id="held", args=[blob], kwargs={"b": blob})
    scheduler.start()
    ticker = Ticker()
    ticker.start()
    await settle()
    ticker.take()
    rows = []

    # A synchronous step stalls the loop for as long as it takes: the ticker sees it once the
    # loop is free again, so each phase lets the loop run before its figures are taken.
    start = time.perf_counter()
    admin = AsynczAdmin(scheduler, config=DashboardConfig(secret_key=KEY))
    took = time.perf_counter() - start
    await settle()
    rows.append(("attach to a task holding it", took, *ticker.take()))

    start = time.perf_counter()
    scheduler.add_task(loud, "interval", minutes=5, id="loud", args=[blob])
    took = time.perf_counter() - start
    await settle()
    rows.append(("add_task with it", took, *ticker.take()))

    app = admin.get_asgi_app()
    transport = httpx.ASGITransport(app=app, root_path=BASE)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        page = await client.get(f"{BASE}/tasks/loud")
        await settle()
        ticker.take()
        start = time.perf_counter()
        answer = await client.post(f"{BASE}/tasks/loud/run", data=hidden_fields(page.text))
        await finished(admin, "loud")
        await settle()
        label = f"run now ({answer.status_code}), log and raise it"
        rows.append((label, time.perf_counter() - start, *ticker.take()))
        for label in ("six pages showing it (1st: compiles)", "six pages showing it again"):
            start = time.perf_counter()
            for url in ("/tasks", "/tasks/loud", "/runs", "/logs", "/events", "/audit"):
                await client.get(BASE + url)
            took = time.perf_counter() - start
            await settle()
            rows.append((label, took, *ticker.take()))
    await ticker.stop()
    admin.close()
    scheduler.shutdown(wait=False)
    await asyncio.sleep(0)
    return rows


def hidden_fields(html: str) -> dict[str, str]:
    """The page's hidden form fields (CSRF token and whatever else its forms carry)."""
    fields: dict[str, str] = {}
    for tag in re.findall(r"<input[^>]*type=\"hidden\"[^>]*>", html):
        name = re.search(r'name="([^"]*)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name and name.group(1) not in fields:
            fields[name.group(1)] = value.group(1) if value else ""
    return fields


async def finished(admin: AsynczAdmin, task_id: str, timeout: float = 120.0) -> None:
    """Wait until the task's run is stored as finished."""
    from asyncz_dashboard.storage.base import RunFilter

    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        runs = admin.storages.runs.query(RunFilter(task_id=task_id, limit=5))
        if any(run.status != "running" for run in runs):
            return
        await asyncio.sleep(0.01)
    raise RuntimeError(f"no finished run of {task_id} within {timeout} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=15, help="runs per median (15)")
    parser.add_argument("--budget", type=float, default=60.0, help="seconds a case may take")
    parser.add_argument("--stall-size", type=int, default=20_000, help="bytes in (b) (20000)")
    args = parser.parse_args(argv)
    import asyncz_dashboard

    print(f"asyncz_dashboard from {asyncz_dashboard.__file__}")
    print("\n(a) median cost per call")
    print(f"{'':<16}" + "".join(f"{label:>34}" for label in SIZES))
    for label, cells in costs(args.repeat, args.budget):
        print(f"{label:<16}" + "".join(f"{cells[s]:>34}" for s in SIZES))
    print(f"\n(b) event-loop stall, {args.stall_size} byte values (dashboard attached)")
    print(f"{'phase':<40}{'took':>10}{'stall':>10}{'cpu':>10}")
    for phase, took, late, busy in asyncio.run(stalls(args.stall_size)):
        print(f"{phase:<40}{show(took):>10}{show(late):>10}{show(busy):>10}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
