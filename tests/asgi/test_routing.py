"""Routing: the route table resolves raw paths, 405 carries Allow, ids round-trip, prefixes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from asyncz.schedulers.asyncio import AsyncIOScheduler

from asyncz_dashboard.asgi.exceptions import HTTPError, MethodNotAllowed, NotFound
from asyncz_dashboard.asgi.proxy import route_raw_path
from asyncz_dashboard.asgi.routing import Router
from asyncz_dashboard.views.routes import ROUTES, build_router

from ..conftest import csrf_from, noop
from .conftest import ROOT, raw_request

ROUTER = build_router()

RESOLVES = [
    ("GET", "/", "overview", {}),
    ("HEAD", "/", "overview", {}),
    ("POST", "/scheduler/pause", "scheduler_pause", {}),
    ("POST", "/scheduler/resume", "scheduler_resume", {}),
    ("GET", "/scheduler/pause", "scheduler_pause", {}),  # the confirmation page
    ("GET", "/tasks", "task_list", {}),
    ("HEAD", "/tasks", "task_list", {}),
    ("GET", "/tasks/partials/table", "task_table", {}),
    ("POST", "/tasks/bulk", "tasks_bulk", {}),
    ("GET", "/tasks/nightly", "task_detail", {"task_id": "nightly"}),
    ("GET", "/tasks/a%2Fb", "task_detail", {"task_id": "a/b"}),
    ("GET", "/tasks/100%25", "task_detail", {"task_id": "100%"}),
    ("GET", "/tasks/what%3F%23", "task_detail", {"task_id": "what?#"}),
    ("GET", "/tasks/daily%20report", "task_detail", {"task_id": "daily report"}),
    ("GET", "/tasks/r%C3%A9sum%C3%A9", "task_detail", {"task_id": "résumé"}),
    ("GET", "/tasks/..", "task_detail", {"task_id": ".."}),
    ("GET", "/tasks/partials", "task_detail", {"task_id": "partials"}),
    ("POST", "/tasks/a%2Fb/run", "task_run", {"task_id": "a/b"}),
    ("POST", "/tasks/x/pause", "task_pause", {"task_id": "x"}),
    ("POST", "/tasks/x/resume", "task_resume", {"task_id": "x"}),
    ("POST", "/tasks/x/remove", "task_remove", {"task_id": "x"}),
    ("POST", "/tasks/bulk/remove", "task_remove", {"task_id": "bulk"}),
    ("GET", "/health", "health", {}),
    ("GET", "/static/css/dashboard.css", "static", {"path": "css/dashboard.css"}),
    ("GET", "/static/favicon.svg", "static", {"path": "favicon.svg"}),
]


@pytest.mark.parametrize(("method", "path", "name", "params"), RESOLVES)
def test_route_table_resolves(method: str, path: str, name: str, params: dict[str, str]) -> None:
    route, found = ROUTER.resolve(method, path)
    assert (route.name, found) == (name, params)


NOT_FOUND = [
    "/nope",
    "/tasks/",  # the app redirects this one before routing; the router has no empty id
    "/tasks//pause",
    "/tasks/x/pause/extra",
    "/tasks/x/explode",
    "/static",
    "/static/",
    "/healthz",
    "/Tasks",
]


@pytest.mark.parametrize("path", [p for p in NOT_FOUND if p != "/tasks/"])
def test_route_table_unknown_paths_are_not_found(path: str) -> None:
    with pytest.raises(NotFound):
        ROUTER.resolve("GET", path)


WRONG_METHOD = [
    ("POST", "/", "GET, HEAD"),
    ("POST", "/tasks", "GET, HEAD"),
    ("DELETE", "/tasks/x", "GET, HEAD"),
    ("PUT", "/tasks/partials/table", "GET, HEAD"),
    ("GET", "/tasks/x/pause", "POST"),
    ("HEAD", "/tasks/x/pause", "POST"),
    ("PUT", "/tasks/x/run", "GET, HEAD, POST"),  # GET: its confirmation page
    ("PUT", "/scheduler/pause", "GET, HEAD, POST"),
    ("POST", "/health", "GET, HEAD"),
    ("POST", "/static/css/dashboard.css", "GET, HEAD"),
]


@pytest.mark.parametrize(("method", "path", "allow"), WRONG_METHOD)
def test_route_table_wrong_method_is_405_with_allow(method: str, path: str, allow: str) -> None:
    with pytest.raises(MethodNotAllowed) as caught:
        ROUTER.resolve(method, path)
    assert caught.value.status == 405
    assert caught.value.headers == {"Allow": allow}


def test_get_routes_also_answer_head() -> None:
    for route in ROUTER.routes:
        if "GET" in route.methods:
            assert "HEAD" in route.methods, route.name


@pytest.mark.parametrize(("method", "path", "allow"), WRONG_METHOD)
async def test_wrong_method_through_the_app_is_405_with_allow(
    client: httpx.AsyncClient, method: str, path: str, allow: str
) -> None:
    response = await client.request(method, ROOT + path)
    assert response.status_code == 405
    assert response.headers["allow"] == allow
    if method != "HEAD":
        assert "405" in response.text
        assert "Allowed methods: " + allow in response.text


async def test_head_is_answered_like_get_without_a_body(client: httpx.AsyncClient) -> None:
    get = await client.get(f"{ROOT}/tasks")
    head = await client.head(f"{ROOT}/tasks")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]


@pytest.mark.parametrize(
    ("path", "query", "location"),
    [
        ("/tasks/", "", "/dashboard/tasks"),
        ("/tasks/", "state=paused&q=report", "/dashboard/tasks?state=paused&q=report"),
        ("/tasks/a%2Fb/", "", "/dashboard/tasks/a%2Fb"),
        ("/tasks/partials/table/", "page=2", "/dashboard/tasks/partials/table?page=2"),
        ("/health//", "", "/dashboard/health"),
    ],
)
async def test_trailing_slash_get_redirects_308_to_slashless_url(
    client: httpx.AsyncClient, path: str, query: str, location: str
) -> None:
    url = ROOT + path + (f"?{query}" if query else "")
    response = await client.get(url)
    assert response.status_code == 308
    assert response.headers["location"] == location
    followed = await client.get(location)
    assert followed.status_code in (200, 404)  # the task does not exist: still no redirect loop
    assert followed.status_code != 308


async def test_dashboard_root_with_and_without_slash_is_the_overview(
    client: httpx.AsyncClient,
) -> None:
    assert (await client.get(f"{ROOT}/")).status_code == 200
    assert (await client.get(ROOT)).status_code == 200


@pytest.mark.parametrize(
    "path", ["//evil.test/", "//evil.test//", "/\\evil.test/", "///evil.test/"]
)
async def test_trailing_slash_redirect_never_leaves_the_site(admin: Any, path: str) -> None:
    # Served at the root (no root_path), "//evil.test/" must not become "Location: //evil.test",
    # a scheme-relative URL the browser would follow to another site.
    response = await raw_request(admin.get_asgi_app(), "GET", path, root_path="")
    assert response.status_code == 308
    assert response.headers["location"] == "/evil.test"


TRICKY_IDS = [
    "plain",
    "a/b",
    "/leading",
    "trailing/",
    "100%",
    "%2F",
    "what?",
    "#hash",
    "with space",
    "  padded  ",
    "résumé",
    "日本語",
    "emoji 🚀",
    "..",
    ".",
    "a/../b",
    "../../admin.py",
    "semi;colon",
    "plus+sign",
    "amp&eq=1",
    "back\\slash",
    "quote\"'",
    "<tag>",
]


@pytest.mark.parametrize("task_id", TRICKY_IDS)
def test_task_ids_round_trip_through_url_path_for_and_resolve(task_id: str) -> None:
    for name in ("task_detail", "task_run", "task_pause", "task_resume", "task_remove"):
        path = ROUTER.url_path_for(name, task_id=task_id)
        route, params = ROUTER.resolve("POST" if name != "task_detail" else "GET", path)
        assert (route.name, params) == (name, {"task_id": task_id})


@pytest.mark.parametrize(
    ("task_id", "segment"),
    [
        (".", ".!"),
        ("..", "..!"),
        ("...", "..."),
        (".!", ".%21"),
        ("..!", "..%21"),
        ("%2E", "%252E"),
    ],
)
def test_dot_segment_ids_are_escaped_so_no_client_removes_them(task_id: str, segment: str) -> None:
    # Browsers remove "." and ".." and also "%2E" and "%2E%2E" (WHATWG URL); "..!" they keep.
    assert ROUTER.url_path_for("task_pause", task_id=task_id) == f"/tasks/{segment}/pause"
    assert ROUTER.resolve("GET", f"/tasks/{segment}")[1] == {"task_id": task_id}


@pytest.mark.parametrize(
    ("segment", "task_id"), [("%2E", "."), ("%2e", "."), ("%2E%2E", ".."), (".%2e", "..")]
)
def test_percent_encoded_dot_segments_from_other_clients_are_the_dot_ids(
    segment: str, task_id: str
) -> None:
    # curl --path-as-is and httpx send these as they are (RFC 3986 removes only literal dots).
    assert ROUTER.resolve("POST", f"/tasks/{segment}/run")[1] == {"task_id": task_id}


@pytest.mark.parametrize("task_id", TRICKY_IDS)
async def test_task_ids_round_trip_through_the_app(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient, task_id: str
) -> None:
    scheduler.add_task(noop, "interval", minutes=5, id=task_id, name="Tricky task")
    listing = await client.get(f"{ROOT}/tasks")
    detail_url = ROOT + ROUTER.url_path_for("task_detail", task_id=task_id)
    assert f'href="{detail_url}"' in listing.text
    detail = await client.get(detail_url)
    assert detail.status_code == 200
    assert "Tricky task" in detail.text
    pause_url = ROOT + ROUTER.url_path_for("task_pause", task_id=task_id)
    paused = await client.post(pause_url, data={"csrf_token": csrf_from(detail.text)})
    assert paused.status_code == 303
    assert scheduler.get_task(task_id).next_run_time is None


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        ({"root_path": "", "path": "/tasks", "raw_path": b"/tasks"}, "/tasks"),
        ({"root_path": "", "path": "/", "raw_path": b"/"}, "/"),
        ({"root_path": "", "path": "", "raw_path": b""}, "/"),
        ({"root_path": "", "path": "/tasks/a b"}, "/tasks/a%20b"),
        # root_path included in path (Starlette, hypercorn's dispatcher, httpx)
        (
            {"root_path": ROOT, "path": "/dashboard/tasks", "raw_path": b"/dashboard/tasks"},
            "/tasks",
        ),
        (
            {
                "root_path": ROOT,
                "path": "/dashboard/tasks/a/b",
                "raw_path": b"/dashboard/tasks/a%2Fb",
            },
            "/tasks/a%2Fb",
        ),
        ({"root_path": ROOT, "path": "/dashboard", "raw_path": b"/dashboard"}, "/"),
        ({"root_path": ROOT, "path": "/dashboard/", "raw_path": b"/dashboard/"}, "/"),
        (
            {
                "root_path": "/dashboard/",
                "path": "/dashboard/tasks",
                "raw_path": b"/dashboard/tasks",
            },
            "/tasks",
        ),
        ({"root_path": ROOT, "path": "/dashboard/tasks"}, "/tasks"),
        # raw_path already relative to root_path
        ({"root_path": ROOT, "path": "/dashboard/tasks", "raw_path": b"/tasks"}, "/tasks"),
        # root_path not included in path (servers that strip it)
        ({"root_path": ROOT, "path": "/tasks/a/b", "raw_path": b"/tasks/a%2Fb"}, "/tasks/a%2Fb"),
        ({"root_path": ROOT, "path": "/tasks"}, "/tasks"),
        # an encoded root path
        (
            {
                "root_path": "/my jobs",
                "path": "/my jobs/tasks/x",
                "raw_path": b"/my%20jobs/tasks/x",
            },
            "/tasks/x",
        ),
        # a path that only starts with the characters of root_path is outside it
        ({"root_path": ROOT, "path": "/dashboardx/tasks", "raw_path": b"/dashboardx/tasks"}, None),
        ({"root_path": ROOT, "path": "/dashboard-old", "raw_path": b"/dashboard-old"}, None),
    ],
)
def test_route_raw_path(scope: dict[str, Any], expected: str | None) -> None:
    assert route_raw_path(scope) == expected


async def test_path_outside_root_path_is_404_through_the_app(client: httpx.AsyncClient) -> None:
    response = await client.get("/dashboardx/tasks")
    assert response.status_code == 404
    assert 'href="/dashboard/tasks"' in response.text  # the 404 page's links stay prefix-correct
    assert "dashboardx" not in response.text


async def test_query_string_in_raw_path_is_ignored_for_routing(admin: Any) -> None:
    response = await raw_request(admin.get_asgi_app(), "GET", "/dashboard/health?x=1")
    assert response.status_code == 200


def test_fixed_paths_resolve_as_the_full_scan_does() -> None:
    scan = Router(ROUTES)
    scan._fixed.clear()  # every path goes through the ordered scan
    for route in ROUTES:
        for method in ("GET", "HEAD", "POST"):
            try:
                expected: object = scan.resolve(method, route.path)
            except HTTPError as exc:
                expected = type(exc)
            try:
                found: object = ROUTER.resolve(method, route.path)
            except HTTPError as exc:
                found = type(exc)
            assert found == expected, (method, route.path)
