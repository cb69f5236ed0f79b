"""What following the workers' runs costs a fleet dashboard (the task list's last runs, the
overview's failing tasks).

Run: ``.venv/bin/python benchmarks/bench_fleet_outcomes.py`` (``--help`` for options).
PostgreSQL by default (a new schema, dropped at the end), or ``--url sqlite:///runs.db``.

It writes ``--runs`` finished runs of ``--tasks`` tasks (as a worker's recorder writes them),
then a ``FleetAdapter`` over that database, and prints: its first read (each task's last
outcomes); a feed round when no run was written (the change counter only); a round after one
new run, and after ``--burst`` new runs; and how long a run written takes to show in the
adapter's outcomes with its feed thread following (every 0.5 s).

A benchmark, not a test: it asserts nothing. The machine may be shared.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from bench_fleet import on_database

from asyncz_dashboard.fleet.adapter import FleetAdapter
from asyncz_dashboard.storage.base import Run
from asyncz_dashboard.storage.sql import open_sql


def finished(task: int, at: datetime, status: str) -> Run:
    """A finished run of task ``t<task>`` submitted at ``at``."""
    return Run(
        run_id=uuid.uuid4().hex,
        task_id=f"t{task}",
        task_name=f"Task {task}",
        scheduler="bench",
        status=status,
        submitted_at=at,
        finished_at=at + timedelta(milliseconds=5),
        duration=0.005,
        exception_type="RuntimeError" if status == "failed" else "",
        exception_message="card declined" if status == "failed" else "",
        traceback="Traceback ...\n" * 20 if status == "failed" else "",
    )


def shown(adapter: FleetAdapter, run: Run) -> bool:
    """Whether ``run`` is its task's last run in the adapter's outcomes."""
    last = adapter.outcomes.last_runs.get(run.task_id)
    return last is not None and last.run_id == run.run_id


async def until(check: Callable[[], bool]) -> None:
    """Return once ``check()`` is true (polled every millisecond)."""
    while True:
        if check():
            return
        await asyncio.sleep(0.001)


def timed(fn: Callable[[], object], repeat: int) -> str:
    """``fn()``'s median and p95 over ``repeat`` calls, in ms."""
    took = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        took.append((time.perf_counter() - start) * 1000)
    return spread(took)


def spread(took: list[float]) -> str:
    """The median and p95 of ``took`` (ms)."""
    took = sorted(took)
    return f"median {statistics.median(took):.2f} ms, p95 {took[int(len(took) * 0.95)]:.2f} ms"


async def run(url: str, runs: int, tasks: int, burst: int) -> None:
    storages = open_sql(url)
    start = datetime.now(timezone.utc) - timedelta(hours=6)
    step = timedelta(hours=6) / runs
    batch = [
        finished(i % tasks, start + step * i, "failed" if i % 7 == 0 else "succeeded")
        for i in range(runs)
    ]
    for at in range(0, runs, 5000):
        storages.runs.save_many(batch[at : at + 5000])
    adapter = FleetAdapter(url, poll_seconds=3600)  # its thread's first round, then we drive
    try:
        began = time.perf_counter()
        await until(lambda: adapter._runs_after is not None)
        print(f"{runs} runs of {tasks} tasks; first read (last outcomes) "
              f"~{(time.perf_counter() - began) * 1000:.0f} ms; "
              f"{len(adapter.outcomes.last_runs)} last runs, "
              f"{len(adapter.outcomes.failing)} failing")  # fmt: skip
        print("round, nothing written:", timed(adapter._follow_runs, 200))

        def after_one() -> float:
            storages.runs.save(finished(0, datetime.now(timezone.utc), "failed"))
            began = time.perf_counter()
            adapter._follow_runs()
            return (time.perf_counter() - began) * 1000

        print("round after 1 new run:", spread([after_one() for _ in range(50)]))
        now = datetime.now(timezone.utc)
        storages.runs.save_many([finished(i % tasks, now, "succeeded") for i in range(burst)])
        print(f"round after {burst} new runs:", timed(adapter._follow_runs, 1))
        print(f"round after 1 more (re-reads the {burst} in the overlap):", spread([after_one()]))
    finally:
        adapter.close()

    follower = FleetAdapter(url)
    try:
        await until(lambda: follower._runs_after is not None)
        seen = []
        for n in range(10):
            run_ = finished(n, datetime.now(timezone.utc), "failed")
            storages.runs.save(run_)
            began = time.perf_counter()
            await until(lambda r=run_: shown(follower, r))
            seen.append((time.perf_counter() - began) * 1000)
            await asyncio.sleep(0.13)
        print(f"written -> in outcomes: median {statistics.median(seen):.0f} ms, "
              f"max {max(seen):.0f} ms (poll 0.5 s)")  # fmt: skip
    finally:
        follower.close()
        storages.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=None, help="fleet database (default: PostgreSQL test)")
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--burst", type=int, default=1000)
    args = parser.parse_args()
    on_database(args.url, lambda url: run(url, args.runs, args.tasks, args.burst))


if __name__ == "__main__":
    main()
