"""CSRF (F14): every POST route needs the session's token and a same-site origin; a refusal is
403 and changes nothing; GET never changes anything."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from asyncz.schedulers.asyncio import AsyncIOScheduler

from asyncz_dashboard import AsynczAdmin, DashboardConfig
from asyncz_dashboard.asgi.routing import Route
from asyncz_dashboard.views.routes import ROUTES, build_router

from ..conftest import csrf_from, noop
from .conftest import ROOT, scheduler_state

TASK_ID = "nightly/sync 1"
ROUTER = build_router()
POST_ROUTES = [route for route in ROUTES if "POST" in route.methods]
GET_ROUTES = [route for route in ROUTES if "GET" in route.methods]
FLEET_ONLY = {
    "worker_pause",
    "worker_resume",
    "worker_forget",
}  # tests/fleet acts through them on a fleet


@pytest.fixture
def admin(scheduler: AsyncIOScheduler, config: DashboardConfig) -> Any:
    """The dashboard under test, with task creation on (so its route is covered too)."""
    dashboard = AsynczAdmin(scheduler, config=config, allowed_callables={"noop": noop})
    yield dashboard
    dashboard.close()


def url(route: Route) -> str:
    """The route's URL with every path parameter filled in with a real task id."""
    names = re.findall(r"\{(\w+)(?::path)?\}", route.path)
    return ROOT + ROUTER.url_path_for(route.name, **{name: TASK_ID for name in names})


def prepare(scheduler: AsyncIOScheduler, route: Route) -> None:
    """A scheduler in which accepting the route's POST would change something visible."""
    scheduler.add_task(noop, "interval", minutes=5, id=TASK_ID, name="Nightly sync")
    scheduler.add_task(noop, "interval", minutes=7, id="other", name="Other")
    if route.name == "task_resume":
        scheduler.pause_task(TASK_ID)
    if route.name == "scheduler_resume":
        scheduler.pause()


def form(route: Route) -> dict[str, Any]:
    """Fields that make the POST do something (the bulk form removes our task)."""
    if route.name == "tasks_bulk":
        return {"action": "remove", "task_id": TASK_ID}
    if route.name == "tasks_act":
        return {"remove": TASK_ID}
    if route.name == "task_create":
        return {"callable_path": "noop", "id": "created", "intent": "apply"}
    if route.name == "task_edit":
        return {"max_instances": "3", "intent": "apply"}
    return {}


def effect(scheduler: AsyncIOScheduler, route: Route) -> bool | None:
    """Whether the accepted POST had its effect (None: no scheduler effect to check)."""
    task = scheduler.get_task(TASK_ID)
    checks: dict[str, Callable[[], bool]] = {
        "scheduler_pause": lambda: scheduler.state == 2,  # STATE_PAUSED
        "scheduler_resume": lambda: scheduler.state == 1,  # STATE_RUNNING
        "tasks_bulk": lambda: task is None,
        "tasks_act": lambda: task is None,
        "task_remove": lambda: task is None,
        "task_pause": lambda: task is not None and task.next_run_time is None,
        "task_resume": lambda: task is not None and task.next_run_time is not None,
        "task_create": lambda: scheduler.get_task("created") is not None,
        "task_edit": lambda: task is not None and task.max_instances == 3,
    }
    check = checks.get(route.name)
    return check() if check else None


def test_every_post_route_is_covered() -> None:
    names = {route.name for route in POST_ROUTES}
    assert {"scheduler_pause", "scheduler_resume", "tasks_bulk", "task_run", "task_pause"} <= names
    assert {"task_resume", "task_remove"} <= names


REFUSALS: dict[str, Callable[[str, str], tuple[dict[str, str], dict[str, str]]]] = {
    # name: (session token, another session's token) -> (extra form fields, headers)
    "no-token": lambda token, foreign: ({}, {}),
    "empty-token": lambda token, foreign: ({"csrf_token": ""}, {}),
    "wrong-token": lambda token, foreign: ({"csrf_token": "wrong"}, {}),
    "truncated-token": lambda token, foreign: ({"csrf_token": token[:-1]}, {}),
    "another-sessions-token": lambda token, foreign: ({"csrf_token": foreign}, {}),
    "wrong-header-token": lambda token, foreign: ({}, {"x-csrf-token": "wrong"}),
    "origin-evil": lambda token, foreign: (
        {"csrf_token": token},
        {"origin": "https://evil.test"},
    ),
    "origin-evil-header-token": lambda token, foreign: (
        {},
        {"x-csrf-token": token, "origin": "https://evil.test"},
    ),
    "origin-other-port": lambda token, foreign: (
        {"csrf_token": token},
        {"origin": "http://testserver:8080"},
    ),
    "origin-suffix": lambda token, foreign: (
        {"csrf_token": token},
        {"origin": "http://testserver.evil.test"},
    ),
    "origin-null": lambda token, foreign: ({"csrf_token": token}, {"origin": "null"}),
    "sec-fetch-cross-site": lambda token, foreign: (
        {"csrf_token": token},
        {"sec-fetch-site": "cross-site"},
    ),
    "sec-fetch-same-site": lambda token, foreign: (
        {"csrf_token": token},
        {"sec-fetch-site": "same-site"},
    ),
    "sec-fetch-cross-site-same-origin-header": lambda token, foreign: (
        {"csrf_token": token},
        {"sec-fetch-site": "cross-site", "origin": "http://testserver"},
    ),
}


@pytest.mark.parametrize("case", REFUSALS.keys())
@pytest.mark.parametrize("route", POST_ROUTES, ids=lambda r: r.name)
async def test_post_is_refused_with_403_and_changes_nothing(
    scheduler: AsyncIOScheduler,
    client: httpx.AsyncClient,
    other_client: httpx.AsyncClient,
    token: str,
    route: Route,
    case: str,
) -> None:
    prepare(scheduler, route)
    foreign = csrf_from((await other_client.get(f"{ROOT}/tasks")).text)
    assert foreign != token
    fields, headers = REFUSALS[case](token, foreign)
    before = scheduler_state(scheduler)
    response = await client.post(url(route), data={**form(route), **fields}, headers=headers)
    assert response.status_code == 403
    assert "403" in response.text
    assert scheduler_state(scheduler) == before
    assert effect(scheduler, route) in (False, None)


ACCEPTED: dict[str, Callable[[str], tuple[dict[str, str], dict[str, str]]]] = {
    "form-token": lambda token: ({"csrf_token": token}, {}),
    "header-token": lambda token: ({}, {"x-csrf-token": token}),
    "same-origin": lambda token: ({"csrf_token": token}, {"origin": "http://testserver"}),
    "same-origin-upper-case": lambda token: (
        {"csrf_token": token},
        {"origin": "HTTP://TESTSERVER"},
    ),
    "sec-fetch-same-origin": lambda token: (
        {"csrf_token": token},
        {"sec-fetch-site": "same-origin", "origin": "http://testserver"},
    ),
    "sec-fetch-none": lambda token: ({"csrf_token": token}, {"sec-fetch-site": "none"}),
    "htmx": lambda token: ({}, {"x-csrf-token": token, "hx-request": "true"}),
}


@pytest.mark.parametrize("case", ACCEPTED.keys())
@pytest.mark.parametrize("route", POST_ROUTES, ids=lambda r: r.name)
async def test_post_with_a_valid_token_from_the_same_site_is_accepted(
    scheduler: AsyncIOScheduler,
    client: httpx.AsyncClient,
    token: str,
    route: Route,
    case: str,
) -> None:
    prepare(scheduler, route)
    fields, headers = ACCEPTED[case](token)
    response = await client.post(url(route), data={**form(route), **fields}, headers=headers)
    if route.name in FLEET_ONLY:  # past the CSRF check: no fleet here, so no such worker
        assert response.status_code == 404, response.text[:300]
        return
    assert response.status_code in (200, 303), response.text[:300]
    assert effect(scheduler, route) in (True, None)
    assert scheduler.get_task("other") is not None  # only the targeted task was touched


async def test_a_refused_post_does_not_consume_or_rotate_the_token(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient, token: str
) -> None:
    scheduler.add_task(noop, "interval", minutes=5, id="t1", name="T1")
    refused = await client.post(
        f"{ROOT}/tasks/t1/pause",
        data={"csrf_token": token},
        headers={"origin": "https://evil.test"},
    )
    assert refused.status_code == 403
    accepted = await client.post(f"{ROOT}/tasks/t1/pause", data={"csrf_token": token})
    assert accepted.status_code == 303
    assert scheduler.get_task("t1").next_run_time is None


async def test_post_without_any_session_is_refused(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    scheduler.add_task(noop, "interval", minutes=5, id="t1", name="T1")
    response = await client.post(f"{ROOT}/tasks/t1/remove", data={"csrf_token": "anything"})
    assert response.status_code == 403
    assert scheduler.get_task("t1") is not None


@pytest.mark.parametrize("route", GET_ROUTES, ids=lambda r: r.name)
async def test_get_routes_change_nothing(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient, route: Route
) -> None:
    scheduler.add_task(noop, "interval", minutes=5, id=TASK_ID, name="Nightly sync")
    scheduler.add_task(noop, "interval", minutes=7, id="paused", name="Paused")
    scheduler.pause_task("paused")
    before = scheduler_state(scheduler)
    query = {"action": "remove", "task_id": TASK_ID, "csrf_token": "x"}
    for method in ("GET", "HEAD"):
        response = await client.request(method, url(route), params=query)
        # 404: the static route given a task id; 303: the login page while login is off.
        assert response.status_code in (200, 303, 404)
    assert scheduler_state(scheduler) == before


ACTION_ROUTES = [route for route in POST_ROUTES if "GET" not in route.methods]


@pytest.mark.parametrize("route", ACTION_ROUTES, ids=lambda r: r.name)
async def test_get_on_an_action_route_is_refused_and_changes_nothing(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient, token: str, route: Route
) -> None:
    prepare(scheduler, route)
    before = scheduler_state(scheduler)
    response = await client.get(url(route), params={**form(route), "csrf_token": token})
    if route.name in ("tasks_bulk", "tasks_act"):
        # GET /tasks/bulk is the detail page of a task whose id is "bulk": there is none.
        assert response.status_code == 404
    else:
        assert response.status_code == 405
        assert response.headers["allow"] == "POST"
    assert scheduler_state(scheduler) == before
