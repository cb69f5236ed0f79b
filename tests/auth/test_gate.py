"""The gate (issue 3, part 4): only login, static assets and health answer without a user.

F05 static assets and traversal, F12 the whole route table walked anonymously, F21 prefixed
``Location`` headers, F31 an expired session under htmx.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any
from urllib.parse import quote, unquote

import httpx
import pytest
from asyncz.schedulers.asyncio import AsyncIOScheduler

from asyncz_dashboard import AsynczAdmin
from asyncz_dashboard.asgi.exceptions import MethodNotAllowed
from asyncz_dashboard.asgi.routing import Route, Router
from asyncz_dashboard.auth.gate import FRAGMENT_PAGES
from asyncz_dashboard.storage.base import RunFilter
from asyncz_dashboard.views.routes import ROUTES

from ..conftest import csrf_from
from .conftest import AdminFactory
from .support import (
    HX,
    PREFIX,
    TASK_ARG,
    TASK_NAME,
    client_for,
    login_url,
    page_token,
    sign_in,
    starlette_host,
)

PUBLIC = {"login", "logout", "health", "static"}
LEAKS = (TASK_NAME, TASK_ARG, "noop", "Paused report")


def _concrete(path: str, run_id: str = "1") -> str:
    """A route template with a real task id, run id and asset substituted."""
    path = path.replace("{task_id}", "t1").replace("{path:path}", "css/dashboard.css")
    path = path.replace("{run_id}", run_id)
    return re.sub(r"\{[a-z_]+\}", "1", path)  # any id a later route adds


async def _with_history(app: Any, admin: AsynczAdmin) -> str:
    """Sign in elsewhere and run t1, so runs, audit and events pages hold its name."""
    async with client_for(app) as operator:
        assert (await sign_in(operator)).status_code == 303
        token = await page_token(operator)
        ran = await operator.post(f"{PREFIX}/tasks/t1/run", data={"csrf_token": token})
        assert ran.status_code == 303
        for _ in range(100):
            await asyncio.sleep(0.02)
            admin.writer.flush()
            runs = admin.storages.runs.query(RunFilter())
            if runs and runs[0].status != "running":
                history = await operator.get(f"{PREFIX}/runs/{runs[0].run_id}")
                assert TASK_NAME in history.text  # the page a stranger must not see
                return runs[0].run_id
    raise AssertionError("t1 never finished its run")


def _no_task_data(response: httpx.Response) -> None:
    for text in LEAKS:
        assert text not in response.text, f"{text!r} leaked on {response.request.url}"


def test_only_login_logout_health_and_static_are_public() -> None:
    assert {route.name for route in ROUTES if route.public} == PUBLIC
    # Every other route asks for at least "view".
    assert all(route.permission for route in ROUTES if not route.public)


# F05 ---------------------------------------------------------------------------------------


async def test_static_assets_are_served_without_a_session(make: AdminFactory) -> None:
    app = starlette_host(make())
    async with client_for(app) as client:
        login = await client.get(f"{PREFIX}/login")
        urls = re.findall(r'(?:href|src)="([^"]+/static/[^"]+)"', login.text)
        assert len(urls) >= 4  # favicon, CSS, htmx, dashboard.js
        types = {}
        for url in urls:
            assert url.startswith(f"{PREFIX}/static/"), url
            response = await client.get(url)
            assert response.status_code == 200, url
            assert "set-cookie" not in response.headers
            types[url.split("?")[0].rsplit(".", 1)[-1]] = response.headers["content-type"]
        assert types["css"] == "text/css; charset=utf-8"
        assert types["js"] == "text/javascript; charset=utf-8"
        assert types["svg"] == "image/svg+xml"
        assert (await client.get(f"{PREFIX}/static/nope.css")).status_code == 404
        assert (await client.get(f"{PREFIX}/tasks")).status_code == 303


async def _raw(app: Any, raw_path: str, headers: dict[str, str] | None = None) -> httpx.Response:
    """GET a raw path exactly as a server would pass it (httpx would remove ``..`` itself)."""
    messages: list[dict[str, Any]] = []
    path, _, query = raw_path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": unquote(path),
        "raw_path": path.encode("latin-1"),
        "root_path": "",
        "query_string": query.encode("latin-1"),
        "headers": [(b"host", b"testserver")]
        + [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
        "client": ("127.0.0.1", 50_000),
        "server": ("testserver", 80),
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    await app(scope, receive, send)
    start = messages[0]
    body = b"".join(m.get("body", b"") for m in messages[1:])
    headers_out = [(k.decode(), v.decode()) for k, v in start["headers"]]
    return httpx.Response(start["status"], headers=headers_out, content=body)


TRAVERSALS = [
    "/static/../tasks",
    "/static/../tasks/t1",
    "/static/%2e%2e/tasks",
    "/static/%2E%2E/tasks/t1",
    "/static/..%2ftasks",
    "/static%2F..%2Ftasks",
    "/static%2f..%2ftasks%2ft1",
    "/static/css/../../tasks",
    "/static/css/..%2F..%2Ftasks",
    "/static/%252e%252e/tasks",
    "/static/..\\tasks",
    "/static/..%5ctasks",
    "/static/..;/tasks",
    "/static//../tasks",
    "/static/./../tasks",
    "/static/%00/../tasks",
    "/health/../tasks",
    "/login/../tasks",
    "/login%2F..%2Ftasks",
]


@pytest.mark.parametrize("path", TRAVERSALS)
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
async def test_public_routes_open_no_traversal_into_protected_ones(
    make: AdminFactory, path: str, htmx: bool
) -> None:
    app = starlette_host(make())
    response = await _raw(app, PREFIX + path, HX if htmx else None)
    assert response.status_code in (303, 401, 404), (path, response.status_code)
    if response.status_code == 303:
        assert response.headers["location"].startswith(f"{PREFIX}/login?next=")
    if response.status_code == 401:
        assert response.headers["hx-redirect"].startswith(f"{PREFIX}/login?next=")
    _no_task_data(response)


# F12 ---------------------------------------------------------------------------------------


def _walk() -> list[tuple[Route, str]]:
    """Every route of the table with GET and POST (and whatever else it allows)."""
    return [(r, m) for r in ROUTES for m in sorted({*r.methods, "GET", "POST"})]


async def _anonymous(
    client: httpx.AsyncClient, method: str, url: str, htmx: bool
) -> httpx.Response:
    headers = dict(HX) if htmx else {}
    if htmx:
        headers["HX-Current-URL"] = f"http://testserver{PREFIX}/tasks"
    data = None
    if method == "POST":
        # The token any visitor gets from the login page: the gate, not CSRF, must stop it.
        login = await client.get(f"{PREFIX}/login")
        data = {"csrf_token": csrf_from(login.text), "action": "remove", "task_id": "t1"}
    return await client.request(method, url, headers=headers, data=data)


def _check(route: Route | None, method: str, url: str, htmx: bool, r: httpx.Response) -> None:
    """What an anonymous request to ``url`` may get back."""
    where = f"{method} {url} htmx={htmx}"
    _no_task_data(r)
    if route is None:  # the path exists for other methods only
        assert r.status_code == 405 and "allow" in r.headers, where
    elif not route.public and htmx:
        assert r.status_code == 401, where
        assert r.headers["hx-redirect"].startswith(f"{PREFIX}/login?next="), where
        assert r.content == b"", where
    elif not route.public:
        assert r.status_code == 303, where
        assert r.headers["location"].startswith(f"{PREFIX}/login?next="), where
        if method in ("GET", "HEAD") and route.name not in FRAGMENT_PAGES:
            assert r.headers["location"] == login_url(PREFIX, url), where
    elif route.name == "static":
        assert r.status_code == 200, where
        assert r.headers["content-type"] == "text/css; charset=utf-8", where
    elif route.name == "health":
        assert r.status_code == 200, where
        if method == "GET":
            assert r.json() == {"status": "running"}, where
    elif route.name == "login":
        assert r.status_code in (200, 400), where  # the form, or refused credentials
    elif route.name == "logout":
        assert r.status_code == 303, where
        assert r.headers["location"] == f"{PREFIX}/login?signed_out=1", where
    else:
        raise AssertionError(f"unexpected public route {route.name}")


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
async def test_every_route_anonymously(
    make: AdminFactory, tasks: AsyncIOScheduler, htmx: bool
) -> None:
    """F12: the whole table, GET and POST, with a real task id and a real run id."""
    admin = make()
    app = starlette_host(admin)
    run_id = await _with_history(app, admin)
    before = (tasks.state, tasks.get_task("t1").next_run_time, len(tasks.get_tasks()))
    walked = set()
    async with client_for(app) as client:
        for route, method in _walk():
            path = _concrete(route.path, run_id)
            try:
                # The route that really answers (GET /tasks/bulk is the detail of task "bulk").
                answering: Route | None = Router(ROUTES).resolve(method, path)[0]
            except MethodNotAllowed:
                answering = None
            response = await _anonymous(client, method, PREFIX + path, htmx)
            _check(answering, method, PREFIX + path, htmx, response)
            walked.add(route.name)
            # Nobody got signed in along the way.
            assert (await client.get(f"{PREFIX}/")).status_code == 303
    assert walked == {route.name for route in ROUTES}
    assert (tasks.state, tasks.get_task("t1").next_run_time, len(tasks.get_tasks())) == before


async def test_health_stays_public_and_says_nothing_about_tasks(
    make: AdminFactory, tasks: AsyncIOScheduler
) -> None:
    app = starlette_host(make())
    async with client_for(app) as client:
        health = await client.get(f"{PREFIX}/health")
        assert health.status_code == 200
        assert health.json() == {"status": "running"}
        tasks.shutdown(wait=False)
        await asyncio.sleep(0.05)  # Asyncz finishes its shutdown on the next loop turn
        stopped = await client.get(f"{PREFIX}/health")
        assert stopped.status_code == 503
        assert stopped.json() == {"status": "stopped"}


# F21 ---------------------------------------------------------------------------------------


async def test_locations_keep_the_mount_prefix(make: AdminFactory, tasks: AsyncIOScheduler) -> None:
    app = starlette_host(make())
    async with client_for(app) as client:
        signed_in = await sign_in(client)
        assert signed_in.status_code == 303
        assert signed_in.headers["location"] == f"{PREFIX}/"
        token = await page_token(client)
        paused = await client.post(f"{PREFIX}/tasks/t1/pause", data={"csrf_token": token})
        assert paused.status_code == 303
        assert paused.headers["location"] == f"{PREFIX}/tasks"
        assert tasks.get_task("t1").next_run_time is None
        listing = await client.get(paused.headers["location"])
        assert f"Paused {TASK_NAME!r}." in listing.text.replace("&#39;", "'")
        detail = await client.post(
            f"{PREFIX}/tasks/t1/resume", data={"csrf_token": token, "return_to": "detail"}
        )
        assert detail.headers["location"] == f"{PREFIX}/tasks/t1"
        out = await client.post(f"{PREFIX}/logout", data={"csrf_token": token})
        assert out.headers["location"] == f"{PREFIX}/login?signed_out=1"
        for response in (signed_in, paused, detail, out):
            location = response.headers["location"]
            assert location.startswith(PREFIX + "/") and location.count(PREFIX) == 1


# F31 ---------------------------------------------------------------------------------------


NEXT_TASKS = f"{PREFIX}/login?next={quote(PREFIX + '/tasks', safe='')}"


async def test_expired_session_under_htmx_redirects_the_whole_page(
    make: AdminFactory, tasks: AsyncIOScheduler
) -> None:
    app = starlette_host(make())
    async with client_for(app) as client:
        assert (await sign_in(client)).status_code == 303
        token = await page_token(client)
        assert (await client.get(f"{PREFIX}/tasks/partials/table", headers=HX)).status_code == 200
        client.cookies.clear()

        current = {**HX, "HX-Current-URL": f"http://testserver{PREFIX}/tasks"}
        table = await client.get(f"{PREFIX}/tasks/partials/table", headers=HX)
        assert table.status_code == 401
        assert table.headers["hx-redirect"] == NEXT_TASKS
        assert table.content == b""
        table = await client.get(f"{PREFIX}/tasks/partials/table", headers=current)
        assert table.headers["hx-redirect"] == NEXT_TASKS

        pause = await client.post(
            f"{PREFIX}/tasks/t1/pause", headers=current, data={"csrf_token": token}
        )
        assert pause.status_code == 401
        assert pause.headers["hx-redirect"] == NEXT_TASKS
        assert pause.content == b""
        assert tasks.get_task("t1").next_run_time is not None

        # The same without htmx: an ordinary 303 to the login page.
        page = await client.get(f"{PREFIX}/tasks/partials/table")
        assert page.status_code == 303
        assert page.headers["location"] == NEXT_TASKS
        plain = await client.post(
            f"{PREFIX}/tasks/t1/pause",
            headers={"Referer": f"http://testserver{PREFIX}/tasks"},
            data={"csrf_token": token},
        )
        assert plain.status_code == 303
        assert plain.headers["location"] == NEXT_TASKS
        assert tasks.get_task("t1").next_run_time is not None


async def test_htmx_redirect_keeps_the_list_filters(make: AdminFactory) -> None:
    app = starlette_host(make())
    async with client_for(app) as client:
        table = await client.get(f"{PREFIX}/tasks/partials/table?state=paused&q=report", headers=HX)
        assert table.status_code == 401
        expected = quote(f"{PREFIX}/tasks?state=paused&q=report", safe="")
        assert table.headers["hx-redirect"] == f"{PREFIX}/login?next={expected}"
