"""The task list's one form: a row's button posts its verb and task id (``pause=<id>``) to
``/tasks/act``, which acts as ``/tasks/{id}/{verb}`` does; the row menu (one template per
table) links every task, whatever its id, to its own pages."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from asyncz.schedulers.asyncio import AsyncIOScheduler

from asyncz_dashboard import AsynczAdmin, DashboardConfig

from ..conftest import SECRET, action_fields, noop
from .page import as_confirmed, detail_fields, flashes, parse, row_action, row_menu, rows
from .support import HX, submit

ODD_IDS = ["a/b c", "50% off", "ünïcødé 任务", "..", "q", "x?y#z&w=1", "plain-id_1"]


@pytest.fixture
def odd_tasks(scheduler: AsyncIOScheduler) -> None:
    for n, task_id in enumerate(ODD_IDS):
        scheduler.add_task(noop, "interval", minutes=5 + n, id=task_id, name=f"Task {n}")


@pytest.mark.usefixtures("odd_tasks")
async def test_every_menu_link_of_an_odd_id_reaches_that_task(client: httpx.AsyncClient) -> None:
    listing = (await client.get("/dashboard/tasks")).text
    assert set(rows(listing)) == set(ODD_IDS)
    for n, task_id in enumerate(ODD_IDS):
        menu = row_menu(listing, task_id)
        assert list(menu) == ["Details", "Edit", "Runs", "Logs", "Remove"]
        assert menu["Remove"] == task_id
        detail = await client.get(menu["Details"])
        assert detail.status_code == 200, (task_id, menu["Details"])
        assert detail_fields(detail.text)["Task id"] == task_id
        edit = await client.get(menu["Edit"])
        assert edit.status_code == 200, (task_id, menu["Edit"])
        assert f"Task {n}" in edit.text
        for item, page in (("Runs", "/dashboard/runs"), ("Logs", "/dashboard/logs")):
            url = urlsplit(menu[item])
            assert url.path == page
            assert dict(parse_qsl(url.query)) == {"task": task_id}
            assert (await client.get(menu[item])).status_code == 200


@pytest.mark.usefixtures("odd_tasks")
async def test_a_rows_dom_id_carries_a_plain_task_id_and_hashes_any_other(
    client: httpx.AsyncClient,
) -> None:
    listing = (await client.get("/dashboard/tasks")).text
    found = rows(listing)
    assert found["plain-id_1"].attrs["id"] == "t-plain-id_1"
    assert "data-task-id" not in found["plain-id_1"].attrs
    assert found["q"].attrs["id"] == "t-q"  # no clash with the search box, #task-q
    for task_id in ("a/b c", "..", "x?y#z&w=1"):
        assert found[task_id].attrs["id"].startswith("h-")
        assert found[task_id].attrs["data-task-id"] == task_id
    ids = [element.attrs["id"] for element in parse(listing).iter() if "id" in element.attrs]
    assert len(ids) == len(set(ids))


@pytest.mark.usefixtures("odd_tasks")
async def test_a_rows_buttons_act_on_their_task_through_the_one_form(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    listing = (await client.get("/dashboard/tasks?sort=name")).text
    form = parse(listing).find("form", id="task-actions")
    assert form.attrs["action"] == form.attrs["hx-post"] == "/dashboard/tasks/act"
    assert "formaction" not in listing
    answer = await submit(client, row_action(listing, "a/b c", "pause"), htmx=True)
    assert answer.status_code == 200
    assert scheduler.get_task("a/b c").next_run_time is None
    assert scheduler.get_task("50% off").next_run_time is not None
    assert flashes(answer.text) == ["Paused 'Task 0'."]
    # The answer is the table, in place: Pause became Resume on that row.
    buttons = rows(answer.text)["a/b c"].find_all("button")
    assert [(b.text, b.attrs["name"], b.attrs["value"]) for b in buttons] == [
        ("Run", "run", "a/b c"),
        ("Resume", "resume", "a/b c"),
    ]
    removed = await submit(client, as_confirmed(row_action(listing, "..", "remove")))
    assert removed.status_code == 303
    assert removed.headers["location"] == "/dashboard/tasks?sort=name"
    assert scheduler.get_task("..") is None


async def test_without_script_remove_through_the_one_form_asks_first(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    scheduler.add_task(noop, "interval", minutes=5, id="a/b", name="Report")
    listing = (await client.get("/dashboard/tasks?q=Rep")).text
    asked = await submit(client, row_action(listing, "a/b", "remove"))
    assert asked.status_code == 303
    assert asked.headers["location"].startswith("/dashboard/tasks/a%2Fb/remove?")
    assert scheduler.get_task("a/b") is not None  # nothing removed yet
    page = await client.get(asked.headers["location"])
    assert "Remove task “Report”?" in page.text


async def test_one_submission_acts_once_whichever_route_it_comes_by(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    scheduler.add_task(noop, "interval", minutes=5, id="report", name="Report")
    listing = (await client.get("/dashboard/tasks")).text
    fields = {**action_fields(listing), "return_to": "tasks"}
    first = await client.post("/dashboard/tasks/act", data={**fields, "pause": "report"})
    assert first.status_code == 303
    scheduler.resume_task("report")
    # The same submission again, by either route: answered with the first outcome, not redone.
    again = await client.post("/dashboard/tasks/act", data={**fields, "pause": "report"})
    direct = await client.post("/dashboard/tasks/report/pause", data=fields)
    assert again.status_code == direct.status_code == 303
    assert scheduler.get_task("report").next_run_time is not None


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ({}, "Name one action"),
        ({"launch": "report"}, "Name one action"),
        ({"run": "report", "pause": "report"}, "not 2: run, pause"),
        ({"pause": ""}, "Name one task to pause"),
        ({"pause": ["report", "other"]}, "Name one task to pause"),
    ],
)
async def test_a_post_without_one_verb_and_one_task_is_a_400_with_its_reason(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient, data: dict[str, object], reason: str
) -> None:
    scheduler.add_task(noop, "interval", minutes=5, id="report", name="Report")
    listing = (await client.get("/dashboard/tasks")).text
    for headers in ({}, HX):
        answer = await client.post(
            "/dashboard/tasks/act", data={**action_fields(listing), **data}, headers=headers
        )
        assert answer.status_code == 400
        assert reason in answer.text
    assert scheduler.get_task("report").next_run_time is not None


async def test_a_missing_task_flashes_why_as_its_own_route_does(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    scheduler.add_task(noop, "interval", minutes=5, id="report", name="Report")
    listing = (await client.get("/dashboard/tasks")).text
    scheduler.delete_task("report")
    answer = await submit(client, row_action(listing, "report", "run"), htmx=True)
    assert answer.status_code == 200
    assert flashes(answer.text) == ["Task 'report' no longer exists."]
    made_up = await client.post(
        "/dashboard/tasks/act", data={**action_fields(listing), "pause": "nope"}
    )
    assert made_up.status_code == 303
    page = await client.get(made_up.headers["location"])
    assert flashes(page.text) == ["There is no task with id 'nope'."]


async def test_a_verb_the_user_may_not_do_is_a_403(scheduler: AsyncIOScheduler) -> None:
    from asgi_lifespan import LifespanManager

    scheduler.add_task(noop, "interval", minutes=5, id="report", name="Report")
    admin = AsynczAdmin(scheduler, config=DashboardConfig(secret_key=SECRET), read_only=True)
    app = admin.get_asgi_app()
    try:
        async with LifespanManager(app):
            transport = httpx.ASGITransport(app=app, root_path="/dashboard")
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                listing = (await client.get("/dashboard/tasks")).text
                assert "row-menu" not in listing or "Remove" not in listing
                fields = action_fields(listing) if "submission_id" in listing else {}
                token = fields or {"csrf_token": _token(listing)}
                answer = await client.post(
                    "/dashboard/tasks/act", data={**token, "remove": "report"}
                )
    finally:
        admin.close()
    assert answer.status_code == 403
    assert "not allowed to remove" in answer.text
    assert scheduler.get_task("report") is not None


def _token(html: str) -> str:
    import re

    match = re.search(r'name="csrf_token" value="([^"]+)"', html) or re.search(
        r'name="csrf-token" content="([^"]+)"', html
    )
    assert match, "no CSRF token on the page"
    return match.group(1)
