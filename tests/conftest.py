"""Shared fixtures: a real, running Asyncz scheduler in the test's event loop, and clients."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from asyncz.executors import ThreadPoolExecutor
from asyncz.schedulers.asyncio import AsyncIOScheduler
from asyncz.stores.memory import MemoryStore

from asyncz_dashboard import AsynczAdmin, DashboardConfig

SECRET = "test-secret-key-not-for-production"


async def noop(*args: Any, **kwargs: Any) -> None:
    """A task that does nothing."""


async def sleeper(seconds: float = 0.2) -> None:
    """A task that takes a while."""
    await asyncio.sleep(seconds)


def make_scheduler() -> AsyncIOScheduler:
    """A new scheduler (not started) with two stores and two executors."""
    return AsyncIOScheduler(
        stores={"default": MemoryStore(), "other": MemoryStore()},
        executors={"threads": ThreadPoolExecutor(max_workers=2)},
        timezone="UTC",
    )


@pytest.fixture
async def scheduler() -> AsyncIterator[AsyncIOScheduler]:
    """A started ``AsyncIOScheduler`` on the test's loop, shut down afterwards."""
    sched = make_scheduler()
    sched.start()
    try:
        yield sched
    finally:
        if sched.running:
            sched.shutdown(wait=False)
        await asyncio.sleep(0)


@pytest.fixture
def config() -> DashboardConfig:
    """The dashboard settings used by most tests."""
    return DashboardConfig(secret_key=SECRET)


@pytest.fixture
def admin(scheduler: AsyncIOScheduler, config: DashboardConfig) -> Any:
    """An ``AsynczAdmin`` over the running scheduler, closed afterwards."""
    dashboard = AsynczAdmin(scheduler, config=config)
    yield dashboard
    dashboard.close()


@pytest.fixture
async def client(admin: AsynczAdmin) -> AsyncIterator[httpx.AsyncClient]:
    """A client for the standalone app, mounted at ``/dashboard`` through ``root_path``."""
    app = admin.get_asgi_app()
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app, root_path="/dashboard")
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


def csrf_from(html: str) -> str:
    """The CSRF token rendered in a page's forms."""
    import re

    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def submission_from(html: str) -> str:
    """The submission id rendered in a page's action forms (one per page or fragment)."""
    import re

    match = re.search(r'name="submission_id" value="([^"]+)"', html)
    assert match, "no submission id on the page"
    return match.group(1)


def action_fields(html: str) -> dict[str, str]:
    """What a page's action forms send besides their own fields, as a browser would: the
    session's CSRF token and the page's submission id."""
    return {"csrf_token": csrf_from(html), "submission_id": submission_from(html)}


ClientFactory = Callable[..., httpx.AsyncClient]
