"""Tasks every mounting test crawls over, and a client for any ASGI app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from asyncz.schedulers.asyncio import AsyncIOScheduler

from ..conftest import noop
from .crawl import TASK_ID


def populate(scheduler: AsyncIOScheduler) -> None:
    """A scheduled task whose id has ``/`` and a space, a paused one and a one-off."""
    scheduler.add_task(noop, "interval", minutes=5, id=TASK_ID, name="Legacy sync")
    scheduler.add_task(noop, "cron", hour=3, id="nightly", name="Nightly report")
    scheduler.pause_task("nightly")
    run_at = datetime.now(timezone.utc) + timedelta(days=1)
    scheduler.add_task(noop, "date", run_at=run_at, id="once", name="Once")


@asynccontextmanager
async def serve(app: Any, *, lifespan: bool = True) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client talking to ``app`` in process, with its lifespan run around it."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        if not lifespan:
            yield client
            return
        async with LifespanManager(app):
            yield client
