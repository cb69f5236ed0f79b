"""Fixtures for the login stories: a factory of dashboards closed after each test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from asyncz.schedulers.asyncio import AsyncIOScheduler

from asyncz_dashboard import AsynczAdmin

from .support import add_tasks, make_admin

AdminFactory = Callable[..., AsynczAdmin]


@pytest.fixture
def tasks(scheduler: AsyncIOScheduler) -> AsyncIOScheduler:
    """The running scheduler with ``t1`` (scheduled) and ``t2`` (paused)."""
    add_tasks(scheduler)
    return scheduler


@pytest.fixture
def make(tasks: AsyncIOScheduler) -> Iterator[AdminFactory]:
    """``make(**options)``: a dashboard over ``tasks`` with login on; closed afterwards."""
    made: list[AsynczAdmin] = []

    def factory(**options: Any) -> AsynczAdmin:
        admin = make_admin(tasks, **options)
        made.append(admin)
        return admin

    yield factory
    for admin in made:
        admin.close()
