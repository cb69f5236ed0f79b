"""A demo scheduler with ~30 realistic tasks, for ``asyncz-dashboard demo``."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from datetime import datetime, timedelta, timezone

from asyncz.executors import ThreadPoolExecutor
from asyncz.schedulers.asyncio import AsyncIOScheduler
from asyncz.stores.memory import MemoryStore

logger = logging.getLogger("demo.tasks")
# Loggers the demo's console leaves to the dashboard's Logs page (unless --verbose): the demo
# tasks' own and Asyncz's ("Running task ...", and the failing task's traceback every 30 s).
CONSOLE_HIDDEN = ("asyncz", logger.name)


async def sync_orders(region: str) -> int:
    """Pretend to pull orders from a shop's API."""
    await asyncio.sleep(random.uniform(0.05, 0.3))
    count = random.randint(0, 40)
    logger.info("Synced %d orders for %s", count, region)
    return count


async def refresh_exchange_rates() -> None:
    """Pretend to refresh currency rates."""
    await asyncio.sleep(0.05)
    logger.info("Exchange rates refreshed")


def build_report(name: str, recipients: list[str]) -> str:
    """A thread-pool task that takes a while."""
    time.sleep(random.uniform(0.2, 0.8))
    logger.info("Report %s built for %d recipients", name, len(recipients))
    return f"{name}.pdf"


async def charge_card(customer_id: int, api_key: str) -> None:
    """Always fails: the payment provider rejects the (masked) key."""
    await asyncio.sleep(0.05)
    raise RuntimeError(f"payment provider rejected the request for customer {customer_id}")


async def slow_export(table: str) -> None:
    """A slow task: runs for 20 seconds."""
    logger.info("Export of %s started", table)
    await asyncio.sleep(20)
    logger.info("Export of %s finished", table)


def vacuum_database(database_url: str) -> None:
    """A nightly maintenance job."""
    time.sleep(0.1)
    logger.warning("Vacuum skipped: demo database")


async def send_digest(channel: str, *, password: str = "") -> None:
    """Post a digest to a chat channel."""
    await asyncio.sleep(0.02)
    logger.info("Digest sent to %s", channel)


async def heartbeat() -> None:
    """A quick, frequent task."""
    await asyncio.sleep(0)


async def one_off_job(job: str) -> None:
    """A one-off maintenance job (renew a certificate, rotate keys, ...), run on its date."""
    await asyncio.sleep(0.05)
    logger.info("%s: done", job)


def build_demo_scheduler() -> AsyncIOScheduler:
    """A not-yet-started ``AsyncIOScheduler`` with ~30 demo tasks, two stores, two executors."""
    scheduler = AsyncIOScheduler(
        stores={"default": MemoryStore(), "reports": MemoryStore()},
        executors={"threads": ThreadPoolExecutor(max_workers=4)},
        timezone="UTC",
    )
    add = scheduler.add_task
    for region in ("eu-west", "eu-north", "us-east", "us-west", "ap-south", "ap-east"):
        add(
            sync_orders,
            "interval",
            minutes=5,
            args=[region],
            id=f"orders.sync.{region}",
            name=f"Sync orders ({region})",
        )
    add(refresh_exchange_rates, "interval", seconds=45, id="fx.refresh", name="Refresh FX rates")
    add(heartbeat, "interval", seconds=10, id="heartbeat", name="Heartbeat")
    add(
        charge_card,
        "interval",
        seconds=30,
        args=[4711],
        kwargs={"api_key": "sk_live_demo_123"},
        id="billing.charge",
        name="Charge pending cards",
    )
    add(
        slow_export,
        "interval",
        minutes=2,
        args=["events"],
        id="export.events",
        name="Export events to the warehouse",
        max_instances=1,
    )
    for hour, name in ((3, "nightly"), (6, "morning"), (12, "noon"), (18, "evening")):
        add(
            build_report,
            "cron",
            hour=hour,
            minute=0,
            args=[name, ["ops@example.com"]],
            id=f"reports.{name}",
            name=f"Build {name} report",
            executor="threads",
            store="reports",
        )
    add(
        build_report,
        "cron",
        day_of_week="mon-fri",
        hour=9,
        minute=30,
        args=["standup", ["team@example.com"]],
        id="reports.standup",
        name="Stand-up report",
        executor="threads",
        store="reports",
    )
    add(
        build_report,
        "cron",
        day=1,
        hour=0,
        minute=5,
        args=["monthly", ["cfo@example.com"]],
        id="reports.monthly",
        name="Monthly revenue report",
        executor="threads",
        store="reports",
    )
    add(
        vacuum_database,
        "cron",
        hour=2,
        minute=30,
        args=["postgresql://app:s3cret@db.internal/app"],
        id="db.vacuum",
        name="Vacuum database",
        executor="threads",
    )
    for channel in ("#ops", "#sales", "#support"):
        add(
            send_digest,
            "cron",
            minute="*/15",
            args=[channel],
            kwargs={"password": "hunter2"},
            id=f"digest{channel}",
            name=f"Post digest to {channel}",
        )
    now = datetime.now(timezone.utc)
    for days, label in (
        (1, "Renew TLS certificate"),
        (3, "Rotate API keys"),
        (7, "Archive old invoices"),
        (14, "Quarterly data export"),
    ):
        add(
            one_off_job,
            "date",
            run_at=now + timedelta(days=days),
            args=[label],
            id=f"once.{label.lower()[:12]}",
            name=label,
        )
    for index in range(1, 5):
        add(
            sync_orders,
            "interval",
            hours=index,
            args=[f"legacy-{index}"],
            id=f"legacy/sync {index}",
            name=f"Legacy sync #{index}",
        )
    # Added paused (next_run_time=None), as operators pause tasks during an incident.
    for index in (5, 6):
        add(
            sync_orders,
            "interval",
            hours=index,
            args=[f"legacy-{index}"],
            next_run_time=None,
            id=f"legacy/sync {index}",
            name=f"Legacy sync #{index} (paused)",
        )
    add(
        build_report,
        "cron",
        month="1,4,7,10",
        day=1,
        hour=4,
        minute=0,
        next_run_time=None,
        args=["quarterly", ["board@example.com"]],
        id="reports.quarterly",
        name="Quarterly board report",
        executor="threads",
        store="reports",
    )
    return scheduler
