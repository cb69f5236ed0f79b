"""Tasks whose id is ``.`` or ``..`` in a real browser: Chromium removes ``.``/``..`` and their
percent-encoded forms from a URL's path, so the dashboard links them as ``.!``/``..!``; clicking
their row opens their own page, and pausing from there pauses them (and nothing else)."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from ..cli.test_cli import Server, running
from .conftest import Watch
from .helpers import htmx_ready

JOBS = """
from asyncz.schedulers.asyncio import AsyncIOScheduler


async def noop():
    pass


scheduler = AsyncIOScheduler(timezone="UTC")
scheduler.add_task(noop, "interval", hours=5, id="plain", name="Plain task")
scheduler.add_task(noop, "interval", hours=5, id=".", name="Dot task")
scheduler.add_task(noop, "interval", hours=5, id="..", name="Dot dot task")
"""


@pytest.fixture
def dot_server(tmp_path: Path) -> Iterator[Server]:
    (tmp_path / "dot_jobs.py").write_text(textwrap.dedent(JOBS))
    with running(["serve", "dot_jobs:scheduler"], tmp_path) as server:
        yield server


@pytest.mark.parametrize(("name", "segment"), [("Dot task", ".!"), ("Dot dot task", "..!")])
def test_clicking_a_dot_id_opens_its_own_page_and_pause_pauses_it(
    dot_server: Server, page: tuple[Any, Watch], name: str, segment: str
) -> None:
    tab, watch = page
    tab.goto(dot_server.base + "/dashboard/tasks")
    htmx_ready(tab)
    tab.locator("#tasks-table td:nth-child(2) a", has_text=name).first.click()
    tab.wait_for_url(f"**/dashboard/tasks/{segment}")
    expect(tab.get_by_role("heading", level=1)).to_have_accessible_name(f"{name} scheduled")

    tab.get_by_role("button", name="Pause").first.click()
    expect(tab.locator(".flash").first).to_contain_text(f"Paused '{name}'.")
    expect(tab.get_by_role("heading", level=1)).to_have_accessible_name(f"{name} paused")
    assert tab.url == f"{dot_server.base}/dashboard/tasks/{segment}"
    assert watch.errors == [], f"console errors: {watch.errors}"
