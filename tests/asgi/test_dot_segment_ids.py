"""Tasks whose id is ``.`` or ``..``: their links and forms survive a browser's dot-segment
removal (``.!`` and ``..!`` in the path), so the list, the detail page and the actions work."""

from __future__ import annotations

import httpx
import pytest
from asyncz.schedulers.asyncio import AsyncIOScheduler

from ..conftest import noop
from ..views.page import action_form, as_confirmed, flashes, parse, row_action, row_state, rows
from ..views.support import submit
from .conftest import ROOT

NAMES = {".": "Dot task", "..": "Dot dot task"}


@pytest.fixture
def dot_tasks(scheduler: AsyncIOScheduler) -> None:
    scheduler.add_task(noop, "interval", minutes=5, id="plain", name="Plain task")
    for task_id, name in NAMES.items():
        scheduler.add_task(noop, "interval", minutes=5, id=task_id, name=name)


def detail_link(html: str, name: str) -> str:
    links = [a.attrs["href"] for a in parse(html).find_all("a") if a.text.strip() == name]
    assert links, f"no link named {name!r}"
    return links[0]


@pytest.mark.usefixtures("dot_tasks")
@pytest.mark.parametrize(("task_id", "segment"), [(".", ".!"), ("..", "..!")])
async def test_the_list_links_dot_ids_to_their_own_detail_page(
    client: httpx.AsyncClient, task_id: str, segment: str
) -> None:
    listing = await client.get(f"{ROOT}/tasks")
    href = detail_link(listing.text, NAMES[task_id])
    assert href == f"{ROOT}/tasks/{segment}"
    # What the browser requests: its URL parser keeps the escaped segment as it is.
    assert httpx.URL("http://testserver" + href).raw_path == href.encode()
    detail = await client.get(href)
    assert detail.status_code == 200
    assert parse(detail.text).find("h1").text == f"{NAMES[task_id]} scheduled"


@pytest.mark.usefixtures("dot_tasks")
@pytest.mark.parametrize("task_id", [".", ".."])
async def test_the_detail_page_pauses_and_resumes_a_dot_id(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient, task_id: str
) -> None:
    detail_url = f"{ROOT}/tasks/{task_id}!"
    detail = await client.get(detail_url)
    response = await submit(client, action_form(parse(detail.text), "pause"))
    assert response.status_code == 303
    assert response.headers["location"] == detail_url
    page = await client.get(detail_url)
    assert flashes(page.text) == [f"Paused '{NAMES[task_id]}'."]
    assert scheduler.get_task(task_id).next_run_time is None
    assert scheduler.get_task("plain").next_run_time is not None

    resumed = await submit(client, action_form(parse(page.text), "resume"))
    assert resumed.headers["location"] == detail_url
    page = await client.get(detail_url)
    assert flashes(page.text) == [f"Resumed '{NAMES[task_id]}'."]
    assert parse(page.text).find("h1").text == f"{NAMES[task_id]} scheduled"


@pytest.mark.usefixtures("dot_tasks")
async def test_row_actions_of_dot_ids_act_on_them_only(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    listing = await client.get(f"{ROOT}/tasks")
    response = await submit(client, row_action(listing.text, "..", "pause"), htmx=True)
    assert response.status_code == 200
    assert row_state(rows(response.text)[".."]) == "paused"
    assert row_state(rows(response.text)["."]) == "scheduled"
    assert scheduler.get_task("..").next_run_time is None

    asked = await submit(client, row_action(response.text, ".", "remove"))  # script off
    confirmation = await client.get(asked.headers["location"])
    assert confirmation.status_code == 200
    assert (
        parse(confirmation.text).find("h1").text
        == f"Remove task “{NAMES['.']}”? This cannot be undone."
    )
    assert [task.id for task in scheduler.get_tasks()] == ["plain", ".", ".."]
    removed = await submit(client, as_confirmed(row_action(response.text, ".", "remove")))
    assert removed.status_code == 303
    assert [task.id for task in scheduler.get_tasks()] == ["plain", ".."]
