"""Bulk actions: one action on the selected tasks, with a count the operator can check."""

from __future__ import annotations

import httpx
import pytest
from asyncz.schedulers.asyncio import AsyncIOScheduler

from ..conftest import noop
from .page import (
    Node,
    as_confirmed,
    flashes,
    form_data,
    parse,
    row_state,
    rows,
    tables,
    top_elements,
)
from .support import HX, flatten, stopped


def add_tasks(scheduler: AsyncIOScheduler) -> None:
    for n, name in enumerate(("Report A", "Report B", "Report C", "Cleanup")):
        task_id = name.lower().replace(" ", "-")
        scheduler.add_task(noop, "interval", minutes=5 + n, id=task_id, name=name)


async def press(
    client: httpx.AsyncClient, form: Node, action: str, selected: list[str], *, htmx: bool = False
) -> httpx.Response:
    """Tick ``selected`` and press the bulk form's ``action`` button."""
    fields = [
        *form_data(as_confirmed(form)),
        ("action", action),
        *(("task_id", t) for t in selected),
    ]
    url = form.attrs["hx-post" if htmx else "action"]
    return await client.post(url, data=flatten(fields), headers=HX if htmx else {})


async def bulk(
    client: httpx.AsyncClient,
    list_url: str,
    action: str,
    selected: list[str],
    *,
    htmx: bool = False,
) -> httpx.Response:
    """Open the list at ``list_url``, tick ``selected`` and press the bulk ``action`` button."""
    page = await client.get(list_url)
    form = parse(page.text).find("form", id="bulk-form")
    return await press(client, form, action, selected, htmx=htmx)


@pytest.mark.parametrize(
    ("action", "message", "state_after"),
    [
        ("pause", "Paused 2 of 2 selected task(s).", "paused"),
        ("run", "Ran 2 of 2 selected task(s).", "scheduled"),
        # Neither was paused: nothing to resume, and the message says so.
        (
            "resume",
            "Resumed 0 of 2 selected task(s). 2 were not paused, so there was nothing to resume.",
            "scheduled",
        ),
    ],
)
async def test_bulk_action_states_the_count_and_touches_only_the_selection(
    scheduler: AsyncIOScheduler,
    client: httpx.AsyncClient,
    action: str,
    message: str,
    state_after: str,
) -> None:
    add_tasks(scheduler)

    response = await bulk(client, "/dashboard/tasks?q=report", action, ["report-a", "report-b"])

    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard/tasks?q=report"
    page = await client.get("/dashboard/tasks")
    assert flashes(page.text) == [message]
    states = {task_id: row_state(row) for task_id, row in rows(page.text).items()}
    assert states == {
        "report-a": state_after,
        "report-b": state_after,
        "report-c": "scheduled",
        "cleanup": "scheduled",
    }


async def test_bulk_remove_removes_only_the_selection(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    add_tasks(scheduler)

    response = await bulk(client, "/dashboard/tasks", "remove", ["report-a", "cleanup"])

    page = await client.get(response.headers["location"])
    assert flashes(page.text) == ["Removed 2 of 2 selected task(s)."]
    assert set(rows(page.text)) == {"report-b", "report-c"}
    assert sorted(t.id for t in scheduler.get_tasks()) == ["report-b", "report-c"]


async def test_bulk_on_a_filtered_htmx_view_keeps_the_filter_and_touches_only_the_selection(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    add_tasks(scheduler)
    for task_id in ("report-a", "report-b", "cleanup"):
        scheduler.pause_task(task_id)

    response = await bulk(
        client, "/dashboard/tasks?state=paused&q=report", "resume", ["report-b"], htmx=True
    )

    assert response.status_code == 200
    [fragment] = top_elements(response.text)
    assert fragment.attrs["id"] == "tasks-table"
    assert flashes(response.text) == ["Resumed 1 of 1 selected task(s)."]
    assert set(rows(response.text)) == {"report-a"}
    assert fragment.attrs["data-live"] == "/dashboard/tasks/partials/table?q=report&state=paused"
    assert response.headers["hx-push-url"] == "/dashboard/tasks?q=report&state=paused"
    paused = {t.id for t in scheduler.get_tasks() if t.next_run_time is None}
    assert paused == {"report-a", "cleanup"}


async def test_bulk_with_a_failure_counts_it_and_names_it(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    add_tasks(scheduler)
    page = await client.get("/dashboard/tasks")
    scheduler.delete_task("report-c")
    form = parse(page.text).find("form", id="bulk-form")

    response = await press(client, form, "pause", ["report-a", "report-c"])

    page = await client.get(response.headers["location"])
    assert flashes(page.text) == [
        "Paused 1 of 2 selected task(s). Failed: task 'report-c' no longer exists"
    ]


async def test_bulk_with_no_selection_says_so(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    add_tasks(scheduler)

    response = await bulk(client, "/dashboard/tasks", "pause", [])

    # 400 and the list as it was, with the reason; nothing was paused.
    assert response.status_code == 400
    assert flashes(response.text) == ["Select at least one task."]
    assert {row_state(row) for row in rows(response.text).values()} == {"scheduled"}
    page = await client.get("/dashboard/tasks")
    assert flashes(page.text) == []  # shown once
    assert {row_state(row) for row in rows(page.text).values()} == {"scheduled"}


async def test_bulk_with_an_unknown_action_changes_nothing(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    add_tasks(scheduler)

    response = await bulk(client, "/dashboard/tasks", "explode", ["report-a"], htmx=True)

    assert response.status_code == 200
    assert len(tables(response.text)) == 1
    assert flashes(response.text) == ["Choose an action: run, pause, resume or remove."]
    assert scheduler.get_task("report-a").next_run_time is not None


async def test_bulk_on_a_stopped_scheduler_says_it_is_not_running(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    add_tasks(scheduler)
    page = await client.get("/dashboard/tasks")
    scheduler.shutdown(wait=False)
    await stopped(scheduler)
    form = parse(page.text).find("form", id="bulk-form")

    for action in ("run", "pause", "remove"):
        response = await press(client, form, action, ["report-a"])
        assert response.status_code == 303
        after = await client.get(response.headers["location"])
        assert after.status_code == 200
        verb = {"run": "Ran", "pause": "Paused", "remove": "Removed"}[action]
        assert flashes(after.text) == [
            f"{verb} 0 of 1 selected task(s). Failed: The scheduler is not running."
        ]
