"""Schedulers for the worker processes of the fleet tests. Each run of a task appends a line
``<worker name> <task id>`` to ``$FLEET_TEST_DIR/runs.txt``, so a test can tell which process
ran what, and how often."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from asyncz.schedulers.asyncio import AsyncIOScheduler

SCHEDULERS: list[AsyncIOScheduler] = []


def record(task_id: str) -> None:
    """Append ``<worker> <task>`` to the shared runs file, and add a paused follow-up task
    (``<task>.followup``): a change made inside the worker, with no command asking for it."""
    path = Path(os.environ["FLEET_TEST_DIR"]) / "runs.txt"
    with path.open("a", encoding="utf-8") as out:
        out.write(f"{os.environ['FLEET_TEST_NAME']} {task_id}\n")
    followup = f"{task_id}.followup"
    if SCHEDULERS and SCHEDULERS[0].get_task(followup) is None:
        SCHEDULERS[0].add_task(
            record, "interval", hours=1, args=[followup], id=followup, next_run_time=None
        )


def scheduler() -> AsyncIOScheduler:
    """Two hourly tasks named after the worker (``<name>.report``, ``<name>.sync``)."""
    name = os.environ["FLEET_TEST_NAME"]
    made = AsyncIOScheduler(timezone="UTC")
    for kind in ("report", "sync"):
        task_id = f"{name}.{kind}"
        made.add_task(record, "interval", hours=1, args=[task_id], id=task_id, name=task_id)
    SCHEDULERS.append(made)
    return made


async def hold(task_id: str) -> None:
    """Run until ``$FLEET_TEST_DIR/release`` appears, then take it away (the next run waits
    again), and record the run."""
    release = Path(os.environ["FLEET_TEST_DIR"]) / "release"
    while not release.exists():
        await asyncio.sleep(0.02)
    release.unlink()
    record(task_id)


def holding() -> AsyncIOScheduler:
    """One hourly task, ``<name>.hold``, that runs until the test releases it."""
    return _holding(AsyncIOScheduler(timezone="UTC"))


def holding_fixed() -> AsyncIOScheduler:
    """As ``holding``, on a scheduler whose identity is the worker's name in every process
    (configured, as a deployment that restarts a worker in place would)."""
    return _holding(AsyncIOScheduler(timezone="UTC", identity=os.environ["FLEET_TEST_NAME"]))


def _holding(made: AsyncIOScheduler) -> AsyncIOScheduler:
    name = os.environ["FLEET_TEST_NAME"]
    task_id = f"{name}.hold"
    made.add_task(hold, "interval", hours=1, args=[task_id], id=task_id, name=task_id)
    SCHEDULERS.append(made)
    return made


def charge(task_id: str) -> None:
    """Fail ("card declined") until ``$FLEET_TEST_DIR/gateway-up`` appears, then succeed; each
    run is recorded as ``record`` does."""
    record(task_id)
    if not (Path(os.environ["FLEET_TEST_DIR"]) / "gateway-up").exists():
        raise RuntimeError("card declined")


def charging() -> AsyncIOScheduler:
    """``<name>.charge`` ("Charge pending cards"), run every second (failing until the test
    brings the gateway up), and an hourly ``<name>.report``."""
    name = os.environ["FLEET_TEST_NAME"]
    made = AsyncIOScheduler(timezone="UTC")
    made.add_task(
        charge, "interval", seconds=1, args=[f"{name}.charge"], id=f"{name}.charge",
        name="Charge pending cards",
    )  # fmt: skip
    made.add_task(record, "interval", hours=1, args=[f"{name}.report"], id=f"{name}.report")
    SCHEDULERS.append(made)
    return made
