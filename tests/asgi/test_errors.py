"""Errors: the themed 404 page, JSON errors for JSON clients, and a logged 500."""

from __future__ import annotations

import logging
import re

import httpx
import pytest
from asyncz.schedulers.asyncio import AsyncIOScheduler

from asyncz_dashboard.asgi.application import Application
from asyncz_dashboard.asgi.exceptions import HTTPError, NotFound
from asyncz_dashboard.asgi.request import Request
from asyncz_dashboard.asgi.responses import JSONResponse, Response
from asyncz_dashboard.asgi.routing import Route, Router
from asyncz_dashboard.asgi.sessions import CookieSettings, SessionCodec

from ..conftest import noop
from .conftest import ROOT, client_for


async def test_unknown_path_is_the_themed_404_page_with_prefixed_links(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    scheduler.add_task(noop, "interval", minutes=5, id="t1", name="Private task name")
    response = await client.get(f"{ROOT}/no/such/page")
    assert response.status_code == 404
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "404 · Not found" in response.text
    assert "There is no page at this address." in response.text
    assert '<nav class="main-nav" aria-label="Main">' in response.text
    links = re.findall(r'(?:href|src|action)="([^"]+)"', response.text)
    assert f"{ROOT}/" in links and f"{ROOT}/tasks" in links
    for link in (link for link in links if not link.startswith("#")):
        assert link.startswith(f"{ROOT}/"), link
        assert not link.startswith(f"{ROOT}{ROOT}"), link
    assert "Private task name" not in response.text


async def test_unknown_task_is_a_404_naming_it_escaped(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{ROOT}/tasks/%3Cb%3Emissing%3C%2Fb%3E")
    assert response.status_code == 404
    assert "&lt;b&gt;missing&lt;/b&gt;" in response.text
    assert "<b>missing</b>" not in response.text


@pytest.mark.parametrize(
    ("method", "path", "status", "title"),
    [
        ("GET", "/nope", 404, "Not found"),
        ("GET", "/tasks/missing", 404, "Not found"),
        ("DELETE", "/tasks", 405, "Method not allowed"),
        ("POST", "/tasks/x/pause", 403, "Forbidden"),
    ],
)
async def test_json_clients_get_a_json_error_body(
    client: httpx.AsyncClient, method: str, path: str, status: int, title: str
) -> None:
    response = await client.request(method, ROOT + path, headers={"accept": "application/json"})
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["error"] == title
    assert isinstance(body["detail"], str) and body["detail"]


async def test_browsers_asking_for_html_and_json_get_html(client: httpx.AsyncClient) -> None:
    response = await client.get(
        f"{ROOT}/nope", headers={"accept": "text/html,application/json;q=0.9"}
    )
    assert response.headers["content-type"] == "text/html; charset=utf-8"


def render_json(request: Request, exc: HTTPError) -> Response:
    return JSONResponse({"error": exc.title, "detail": exc.detail}, status=exc.status)


async def boom(request: Request) -> Response:
    raise ZeroDivisionError("division by zero in a view")


async def missing(request: Request) -> Response:
    raise NotFound("No such widget.")


def application(render_error: object = render_json) -> Application:
    router = Router([Route("/boom", boom), Route("/missing", missing)])
    return Application(
        router,
        sessions=SessionCodec("secret", CookieSettings()),
        render_error=render_error,  # type: ignore[arg-type]
        body_limit=1024,
    )


async def test_an_unexpected_error_is_a_logged_500(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="asyncz_dashboard")
    async with client_for(application(), root_path="", raise_app_exceptions=False) as client:
        response = await client.get("/boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "Server error" in response.text
    assert "division by zero" not in response.text  # no internals shown to the user
    assert "content-security-policy" in response.headers
    records = [r for r in caplog.records if r.getMessage() == "Unhandled error on GET /boom"]
    assert len(records) == 1
    assert records[0].exc_info is not None
    assert records[0].exc_info[0] is ZeroDivisionError


async def test_an_unexpected_error_is_re_raised_to_the_server() -> None:
    async with client_for(application(), root_path="") as client:
        with pytest.raises(ZeroDivisionError):
            await client.get("/boom")


async def test_a_failing_error_page_falls_back_to_plain_text(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(request: Request, exc: HTTPError) -> Response:
        raise RuntimeError("template missing")

    async with client_for(application(broken), root_path="") as client:
        response = await client.get("/missing")
    assert response.status_code == 404
    assert response.text == "No such widget."
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert "Error page failed to render" in caplog.text


async def test_http_errors_from_views_use_the_error_renderer() -> None:
    async with client_for(application(), root_path="") as client:
        response = await client.get("/missing")
    assert response.status_code == 404
    assert response.json() == {"error": "Not found", "detail": "No such widget."}


async def test_websocket_connections_are_closed_politely() -> None:
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        return {"type": "websocket.connect"}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    await application()({"type": "websocket", "path": "/boom"}, receive, send)
    assert sent == [{"type": "websocket.close", "code": 1000}]
