"""Recording and querying run history and logs at volume, in memory and in SQLite.

Run: ``.venv/bin/python benchmarks/bench_storage.py`` (``--help`` for options).

It records 100,000 runs and 1,000,000 log records (200 tasks, ten log records per run, a
realistic mix of statuses and levels) the way the dashboard's writer thread does, in batches
of 500, then times the queries behind the history and log pages with their filters (median of
several repetitions). Memory storage is bounded (it keeps the newest 10,000 runs and 50,000
log records by default): the process RSS is printed before and after to show it. SQLite
stores everything in one file (WAL); its size is printed.

This is a benchmark, not a test: it asserts nothing about timings.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from asyncz_dashboard.storage import Storages
from asyncz_dashboard.storage.base import LogEntry, LogFilter, Run, RunFilter
from asyncz_dashboard.storage.memory import (
    MemoryAuditStorage,
    MemoryEventStorage,
    MemoryLogStorage,
    MemoryRunStorage,
)

TASKS = 200
LOGS_PER_RUN = 10
BATCH = 500
START = datetime(2026, 1, 1, tzinfo=timezone.utc)
RUN_EVERY = timedelta(seconds=0.5)
STATUSES = ["succeeded"] * 90 + ["failed"] * 6 + ["missed"] * 2 + ["max_instances", "running"]
LEVELS = [("DEBUG", 10)] * 20 + [("INFO", 20)] * 70 + [("WARNING", 30)] * 8 + [("ERROR", 40)] * 2


def rss_mib() -> tuple[float, float]:
    """(current, peak) resident set size of this process in MiB."""
    current = 0.0
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            current = int(line.split()[1]) / 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return current, peak


def make_runs(count: int, seed: int = 1) -> Iterator[list[Run]]:
    """Finished runs in batches of ``BATCH``, oldest first."""
    rng = random.Random(seed)
    batch: list[Run] = []
    for i in range(count):
        task = i % TASKS
        status = rng.choice(STATUSES)
        submitted = START + RUN_EVERY * i
        failed = status == "failed"
        batch.append(
            Run(
                run_id=f"run-{i:07d}",
                task_id=f"task-{task:03d}",
                task_name=f"Sync tenant {task}",
                callable="app.jobs:sync_tenant",
                store="default",
                executor="default",
                scheduler="web-1",
                scheduled_run_time=submitted,
                source="manual" if rng.random() < 0.05 else "scheduled",
                status=status,
                submitted_at=submitted,
                finished_at=submitted + timedelta(seconds=0.2),
                duration=0.2,
                return_value="None",
                exception_type="TimeoutError" if failed else "",
                exception_message=f"timeout after 30s talking to db-{task % 7}" if failed else "",
                traceback="Traceback (most recent call last):\n  ...\nTimeoutError"
                if failed
                else "",
            )
        )
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def make_logs(count: int, seed: int = 2) -> Iterator[list[LogEntry]]:
    """Log records in batches of ``BATCH``, oldest first, ten per run."""
    rng = random.Random(seed)
    step = RUN_EVERY / LOGS_PER_RUN
    batch: list[LogEntry] = []
    for i in range(count):
        run = i // LOGS_PER_RUN
        level, levelno = rng.choice(LEVELS)
        text = (
            f"retrying db-{run % 7}: timeout after 30s"
            if levelno >= 30
            else f"processed {rng.randrange(1000)} rows for customer {rng.randrange(10**6)}"
        )
        batch.append(
            LogEntry(
                created=START + step * i,
                level=level,
                levelno=levelno,
                logger="app.jobs.sync",
                message=text,
                task_id=f"task-{run % TASKS:03d}",
                run_id=f"run-{run:07d}",
            )
        )
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def record(storages: Any, runs: int, logs: int, rows: list[list[str]], name: str) -> None:
    """Write the runs and logs as the writer does, timing each kind."""
    save_many = getattr(storages.runs, "save_many", None)
    started = time.perf_counter()
    for batch in make_runs(runs):
        if save_many is not None:
            save_many(batch)  # one transaction per batch
        else:
            for run in batch:
                storages.runs.save(run)
    elapsed = time.perf_counter() - started
    rows.append([name, f"record {runs:,} runs", f"{elapsed:.1f} s", f"{runs / elapsed:,.0f}/s"])
    started = time.perf_counter()
    for entries in make_logs(logs):
        storages.logs.add(entries)
    elapsed = time.perf_counter() - started
    rows.append([name, f"record {logs:,} logs", f"{elapsed:.1f} s", f"{logs / elapsed:,.0f}/s"])


def one_by_one(storages: Any, count: int, rows: list[list[str]], name: str) -> None:
    """``save`` called once per run (one transaction each), for comparison."""
    runs = [r for batch in make_runs(count, seed=3) for r in batch]
    runs = [Run(**{**_fields(r), "run_id": "single-" + r.run_id}) for r in runs]
    started = time.perf_counter()
    for run in runs:
        storages.runs.save(run)
    elapsed = time.perf_counter() - started
    rows.append([name, f"save() x {count:,}", f"{elapsed:.1f} s", f"{count / elapsed:,.0f}/s"])


def _fields(run: Run) -> dict[str, Any]:
    return {name: getattr(run, name) for name in Run.__dataclass_fields__}


def queries(runs: int, logs: int) -> list[tuple[str, Callable[[Any], Any]]]:
    """The history and log page queries, by label."""
    # Targets among the newest records, so that bounded memory storage still holds them.
    last_log = START + RUN_EVERY / LOGS_PER_RUN * logs
    window = (last_log - timedelta(minutes=15), last_log - timedelta(minutes=5))
    recent_run = f"run-{max(0, logs // LOGS_PER_RUN - 500):07d}"
    tasks = [f"task-{k:03d}" for k in range(50)]
    return [
        ("history: latest 50", lambda s: s.runs.query(RunFilter())),
        ("history: task", lambda s: s.runs.query(RunFilter(task_id="task-042"))),
        ("history: status=failed", lambda s: s.runs.query(RunFilter(status="failed"))),
        ("history: q=timeout", lambda s: s.runs.query(RunFilter(q="TIMEOUT"))),
        (
            "history: task+failed",
            lambda s: s.runs.query(RunFilter(task_id="task-007", status="failed")),
        ),
        ("history: q (no match)", lambda s: s.runs.query(RunFilter(q="no such text"))),
        ("history: page 20", lambda s: s.runs.query(RunFilter(offset=950))),
        ("tasks: last 30 of 50 tasks", lambda s: s.runs.recent_for_tasks(tasks, 30)),
        ("logs: latest 200", lambda s: s.logs.query(LogFilter())),
        ("logs: task", lambda s: s.logs.query(LogFilter(task_id="task-042"))),
        ("logs: run", lambda s: s.logs.query(LogFilter(run_id=recent_run))),
        ("logs: level>=ERROR", lambda s: s.logs.query(LogFilter(level="ERROR"))),
        ("logs: q=timeout", lambda s: s.logs.query(LogFilter(q="Timeout"))),
        (
            "logs: 10 min window",
            lambda s: s.logs.query(LogFilter(since=window[0], until=window[1])),
        ),
        (
            "logs: task+WARNING",
            lambda s: s.logs.query(LogFilter(task_id="task-007", level="WARNING")),
        ),
        ("logs: q (no match)", lambda s: s.logs.query(LogFilter(q="no such text"))),
    ]


def time_queries(storages: Any, runs: int, logs: int, repeat: int, name: str) -> list[list[str]]:
    """Median and worst time of each query."""
    rows = []
    for label, call in queries(runs, logs):
        result = call(storages)  # warm up
        found = sum(map(len, result.values())) if isinstance(result, dict) else len(result)
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            call(storages)
            times.append((time.perf_counter() - started) * 1000)
        rows.append(
            [name, label, str(found), f"{statistics.median(times):.2f}", f"{max(times):.2f}"]
        )
    return rows


def table(header: list[str], rows: list[list[str]]) -> str:
    """A plain-text table."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(lines)


def main() -> None:
    """Parse options, run the benchmark, print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--logs", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7, help="repetitions per query")
    parser.add_argument("--backends", default="memory,sqlite")
    parser.add_argument("--sqlite-path", help="file to use (default: a temporary directory)")
    parser.add_argument("--single-saves", type=int, default=2_000, help="save() one by one")
    args = parser.parse_args()
    backends = args.backends.split(",")
    writes: list[list[str]] = []
    reads: list[list[str]] = []
    notes: list[str] = []

    if "memory" in backends:
        before = rss_mib()
        memory = Storages(
            runs=MemoryRunStorage(),
            logs=MemoryLogStorage(),
            events=MemoryEventStorage(),
            audit=MemoryAuditStorage(),
        )
        record(memory, args.runs, args.logs, writes, "memory")
        after = rss_mib()
        reads += time_queries(memory, args.runs, args.logs, args.repeat, "memory")
        kept = (
            len(memory.runs.query(RunFilter(limit=10**9))),
            len(memory.logs.query(LogFilter(limit=10**9))),
        )
        notes.append(
            f"memory: RSS {before[0]:.0f} MiB before, {after[0]:.0f} MiB after "
            f"(peak {after[1]:.0f} MiB); kept {kept[0]:,} runs and {kept[1]:,} log records"
        )
        del memory

    if "sqlite" in backends:
        from asyncz_dashboard.storage.sql import open_sql

        with tempfile.TemporaryDirectory() as folder:
            path = Path(args.sqlite_path or Path(folder) / "bench.db")
            sql = open_sql(f"sqlite:///{path}")
            record(sql, args.runs, args.logs, writes, "sqlite")
            if args.single_saves:
                one_by_one(sql, args.single_saves, writes, "sqlite")
            reads += time_queries(sql, args.runs, args.logs, args.repeat, "sqlite")
            started = time.perf_counter()
            sql.logs.retention = type(sql.logs.retention)(max_age=10**9, max_rows=args.logs // 2)
            removed = sql.logs.prune()
            notes.append(
                f"sqlite: file {path.stat().st_size / 2**20:.0f} MiB; pruning {removed:,} of "
                f"{args.logs:,} log records by count took {time.perf_counter() - started:.1f} s"
            )
            sql.close()

    print(table(["storage", "write", "time", "rate"], writes))
    print()
    print(table(["storage", "query", "rows", "median ms", "max ms"], reads))
    print()
    print("\n".join(notes))


if __name__ == "__main__":
    main()
