"""Creating a task: off without ``allowed_callables``; with it, only the allowed callables can
be picked, and anything else is refused before it is imported."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from asyncz.schedulers.asyncio import AsyncIOScheduler

from asyncz_dashboard import AsynczAdmin, DashboardConfig

from ..conftest import SECRET, noop
from .forms import field_error, field_value, send, task_form
from .page import flashes, parse
from .support import stopped

CREATE = "/dashboard/tasks/create"
SIDE_EFFECT = "tests.views.edit_side_effect"


async def greet(name: str, times: int = 1) -> None:
    """An allowed callable."""


async def client_for(admin: AsynczAdmin) -> AsyncIterator[httpx.AsyncClient]:
    app = admin.get_asgi_app()
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app, root_path="/dashboard")
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c
    admin.close()


@pytest.fixture
async def creator(scheduler: AsyncIOScheduler) -> AsyncIterator[httpx.AsyncClient]:
    """A client of a dashboard that may create tasks with ``greet`` and ``noop``."""
    admin = AsynczAdmin(
        scheduler,
        config=DashboardConfig(secret_key=SECRET),
        allowed_callables={"greet": greet, "noop": noop},
    )
    async for c in client_for(admin):
        yield c


async def test_creation_is_off_without_an_allowlist(scheduler, client) -> None:
    listing = await client.get("/dashboard/tasks")
    assert "New task" not in listing.text and CREATE not in listing.text
    assert (await client.get(CREATE)).status_code == 404
    token = task_form_token(listing.text)
    answer = await client.post(CREATE, data={"csrf_token": token, "callable_path": "x:y"})
    assert answer.status_code == 404
    assert scheduler.get_tasks() == []


async def test_a_task_called_create_is_still_shown_when_creation_is_off(scheduler, client) -> None:
    scheduler.add_task(noop, "interval", minutes=5, id="create", name="Create invoices")
    page = await client.get(CREATE)
    assert page.status_code == 200
    assert "Create invoices" in page.text


def task_form_token(html: str) -> str:
    return parse(html).find_all("input", name="csrf_token")[0].attrs["value"]


async def test_create_a_paused_task_from_the_allowlist(scheduler, creator) -> None:
    listing = await creator.get("/dashboard/tasks")
    links = [a for a in parse(listing.text).find_all("a") if a.text == "New task"]
    assert [a.attrs["href"] for a in links] == [CREATE]
    page = await creator.get(CREATE)
    options = task_form(page.text).find("select", name="callable_path").find_all("option")
    assert [o.attrs["value"] for o in options] == ["", "greet", "noop"]
    typed = {
        "callable_path": "greet",
        "name": "Say hello",
        "args": '["Ada"]',
        "kwargs": '{"times": 2}',
        "trigger_type": "cron",
        "trigger_value": "0 9 * * *",
        "store": "other",
        "executor": "threads",
        "id": "hello",
        "state": "paused",
        "max_instances": "2",
        "misfire_grace_time": "60",
    }
    preview = await send(creator, page.text, typed)
    assert preview.status_code == 200
    assert len(parse(preview.text).find("ol", class_="run-times").find_all("li")) == 5
    assert scheduler.get_tasks() == [], "a preview creates nothing"
    created = await send(creator, preview.text, typed, "apply")
    assert created.status_code == 303
    assert created.headers["location"] == "/dashboard/tasks/hello"
    task = scheduler.get_task("hello")
    assert (task.name, task.fn, tuple(task.args), task.kwargs) == (
        "Say hello", greet, ("Ada",), {"times": 2}
    )  # fmt: skip
    assert (task.executor, task.store_alias, task.max_instances) == ("threads", "other", 2)
    assert task.mistrigger_grace_time == 60
    assert task.next_run_time is None, "created paused"
    detail = await creator.get(created.headers["location"])
    assert flashes(detail.text) == ["Created 'Say hello' (paused)."]
    audit = (await creator.get("/dashboard/audit")).text
    assert "create" in audit and "task hello" in audit
    assert "trigger: — → cron: 0 9 * * *" in audit


async def test_a_scheduled_task_with_a_generated_id(scheduler, creator) -> None:
    page = await creator.get(CREATE)
    typed = {"callable_path": "noop", "trigger_value": "90s"}
    created = await send(creator, page.text, typed, "apply")
    assert created.status_code == 303
    (task,) = scheduler.get_tasks()
    assert created.headers["location"] == f"/dashboard/tasks/{task.id}"
    assert task.next_run_time is not None and task.trigger.interval.total_seconds() == 90


async def test_a_path_outside_the_allowlist_is_refused_before_it_is_imported(
    scheduler, creator
) -> None:
    assert SIDE_EFFECT not in sys.modules
    page = await creator.get(CREATE)
    for path in (f"{SIDE_EFFECT}:boom", f"{SIDE_EFFECT}.boom", "os:system", "builtins:eval"):
        for intent in ("preview", "apply"):
            answer = await send(creator, page.text, {"callable_path": path}, intent)
            assert answer.status_code == 400
            assert "callables this dashboard allows" in field_error(answer.text, "callable_path")
    assert SIDE_EFFECT not in sys.modules, "the refused path was never imported"
    assert scheduler.get_tasks() == []
    assert scheduler.running


async def test_an_allowed_callable_may_be_named_by_its_import_path(scheduler, creator) -> None:
    page = await creator.get(CREATE)
    path = f"{greet.__module__}:greet"
    typed = {"callable_path": path, "args": '["Bo"]', "id": "by-path"}
    assert (await send(creator, page.text, typed, "apply")).status_code == 303
    assert scheduler.get_task("by-path").fn is greet


async def test_an_allowlist_of_import_paths(scheduler: AsyncIOScheduler) -> None:
    admin = AsynczAdmin(
        scheduler,
        config=DashboardConfig(secret_key=SECRET),
        allowed_callables=["tests.conftest:noop"],
    )
    async for c in client_for(admin):
        page = await c.get(CREATE)
        typed = {"callable_path": "tests.conftest:noop", "id": "p"}
        assert (await send(c, page.text, typed, "apply")).status_code == 303
    assert scheduler.get_task("p").fn_reference == "tests.conftest:noop"


async def test_a_duplicate_id_is_refused(scheduler, creator) -> None:
    scheduler.add_task(noop, "interval", minutes=5, id="taken", name="Taken")
    page = await creator.get(CREATE)
    for intent in ("preview", "apply"):
        answer = await send(creator, page.text, {"callable_path": "noop", "id": "taken"}, intent)
        assert answer.status_code == 400
        assert field_error(answer.text, "id") == "A task with this id exists already."
        assert field_value(answer.text, "id") == "taken"
    assert [t.id for t in scheduler.get_tasks()] == ["taken"]
    assert scheduler.get_task("taken").name == "Taken"


INVALID = [
    ("callable_path", {"callable_path": ""}, "Choose a callable"),
    ("store", {"store": "elsewhere"}, "stores"),
    ("executor", {"executor": "elsewhere"}, "executors"),
    ("id", {"id": "x" * 201}, "At most 200"),
    ("id", {"id": "create"}, "address of this page"),
    ("paused", {"state": "sleeping"}, "scheduled or paused"),
    ("trigger_value", {"trigger_value": "-1s"}, "Write an interval"),
    ("trigger_value", {"trigger_type": "cron", "trigger_value": "0 0 31 2 *"}, "never fires"),
    ("args", {"args": "{}"}, "JSON array"),
    ("args", {"args": "[]"}, "name"),  # greet needs its name argument
]


@pytest.mark.parametrize(("field", "typed", "message"), INVALID)
async def test_an_invalid_value_creates_nothing(
    scheduler: AsyncIOScheduler,
    creator: httpx.AsyncClient,
    field: str,
    typed: dict[str, str],
    message: str,
) -> None:
    page = await creator.get(CREATE)
    answer = await send(creator, page.text, {"callable_path": "greet", **typed}, "apply")
    assert answer.status_code == 400
    assert message in field_error(answer.text, field)
    assert "No task was created" in answer.text
    assert scheduler.get_tasks() == []
    assert scheduler.running


async def test_read_only_mode_hides_creation_and_refuses_it(scheduler: AsyncIOScheduler) -> None:
    admin = AsynczAdmin(
        scheduler,
        config=DashboardConfig(secret_key=SECRET),
        allowed_callables={"noop": noop},
        read_only=True,
    )
    async for c in client_for(admin):
        listing = await c.get("/dashboard/tasks")
        assert "New task" not in listing.text
        assert (await c.get(CREATE)).status_code == 403
        data: dict[str, Any] = {
            "csrf_token": task_form_token(listing.text),
            "callable_path": "noop",
            "intent": "apply",
        }
        assert (await c.post(CREATE, data=data)).status_code == 403
    assert scheduler.get_tasks() == []


def test_an_allowlist_entry_that_is_not_callable_is_refused() -> None:
    from asyncz_dashboard.adapters.values import CallableAllowlist

    with pytest.raises(TypeError):
        CallableAllowlist({"x": "not callable"})  # type: ignore[dict-item]
    with pytest.raises(TypeError):
        CallableAllowlist([noop])  # type: ignore[list-item]


async def test_on_a_stopped_scheduler_nothing_is_added(scheduler, creator) -> None:
    page = await creator.get(CREATE)
    scheduler.shutdown(wait=False)
    await stopped(scheduler)
    answer = await send(creator, page.text, {"callable_path": "noop", "id": "late"}, "apply")
    assert answer.status_code == 303
    assert answer.headers["location"] == CREATE
    shown = await creator.get(CREATE)
    assert flashes(shown.text) == ["The scheduler is not running: no task was added."]
    assert scheduler.pending_tasks == [] and scheduler.get_tasks() == []
