"""The Runs, Events and Audit filters offer the values that exist: task ids (labelled with the
task's name), event kinds, users and actions, from memory and from SQLite storage alike."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timezone
from pathlib import Path

import httpx
import pytest
from asyncz.schedulers.asyncio import AsyncIOScheduler

from asyncz_dashboard import AsynczAdmin, DashboardConfig

from ..conftest import SECRET, noop
from ..history.support import client_for, finished_run
from .page import Node, parse
from .support import BASE, post


async def broken() -> None:
    raise RuntimeError("disk full")


@pytest.fixture(params=["memory", "sqlite"])
async def story(
    request: pytest.FixtureRequest, scheduler: AsyncIOScheduler, tmp_path: Path
) -> AsyncIterator[tuple[AsynczAdmin, httpx.AsyncClient]]:
    """A dashboard over ``memory`` or a SQLite file where two tasks ran (one failed) and one
    was paused through the dashboard."""
    storage = None if request.param == "memory" else f"sqlite:///{tmp_path / 'd.db'}"
    admin = AsynczAdmin(scheduler, config=DashboardConfig(secret_key=SECRET), storage=storage)
    try:
        async with client_for(admin) as client:
            now = datetime.now(timezone.utc)
            for func, task_id, name in ((noop, "fine", "Fine"), (broken, "broken", "Broken one")):
                scheduler.add_task(
                    func, "interval", minutes=5, id=task_id, name=name, next_run_time=now
                )
            await finished_run(admin, "fine", "succeeded")
            await finished_run(admin, "broken", "failed")
            assert (await post(client, f"{BASE}/tasks/fine/pause")).status_code == 303
            yield admin, client
    finally:
        admin.close()


def options(page: Node, element_id: str) -> list[tuple[str, str]]:
    """(value, text) of each option of the <select> or <datalist> with ``element_id``."""
    return [(o.attrs.get("value", ""), o.text) for o in page.find(id=element_id).find_all("option")]


async def test_the_runs_task_filter_suggests_the_task_ids_that_ran_with_their_names(
    story: tuple[AsynczAdmin, httpx.AsyncClient],
) -> None:
    _, client = story

    page = parse((await client.get(f"{BASE}/runs")).text)

    field = page.find("input", id="run-task")
    assert field.attrs["list"] == "run-task-values"
    assert options(page, "run-task-values") == [("broken", "Broken one"), ("fine", "Fine")]


async def test_the_events_filter_offers_the_event_kinds_seen_and_keeps_the_chosen_one(
    story: tuple[AsynczAdmin, httpx.AsyncClient],
) -> None:
    admin, client = story

    async def kinds() -> list[str]:
        page = parse((await client.get(f"{BASE}/events?name=task_error")).text)
        return [value for value, _ in options(page, "ev-name")]

    admin.recorder.writer.flush()  # the SQL writer stores events in the background
    found = await kinds()
    assert found[0] == ""  # "any"
    assert {"task_added", "task_submitted", "task_executed", "task_error"} <= set(found)
    assert found[1:] == sorted(found[1:])
    page = parse((await client.get(f"{BASE}/events?name=task_error")).text)
    selected = [o.attrs["value"] for o in page.find(id="ev-name").find_all("option")
                if "selected" in o.attrs]  # fmt: skip
    assert selected == ["task_error"]
    assert options(page, "ev-task-values") == [("broken", "Broken one"), ("fine", "Fine")]


async def test_the_audit_filters_offer_the_users_and_actions_recorded(
    story: tuple[AsynczAdmin, httpx.AsyncClient],
) -> None:
    _, client = story

    page = parse((await client.get(f"{BASE}/audit?action=gone")).text)

    assert options(page, "au-user-values") == [("anonymous", "")]
    # An action that is no longer recorded stays chosen, so the filter reads what it does.
    assert options(page, "au-action") == [("", "any"), ("gone", "gone"), ("pause", "pause")]
