"""Security headers on every kind of response the dashboard sends."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from asyncz.schedulers.asyncio import AsyncIOScheduler

from asyncz_dashboard.asgi.request import DEFAULT_BODY_LIMIT
from asyncz_dashboard.cli import build_site

from ..conftest import SECRET, noop
from .conftest import ROOT, raw_request

Send = Callable[[httpx.AsyncClient, str], Awaitable[httpx.Response]]

KINDS: dict[str, tuple[int, Send]] = {
    "page": (200, lambda c, t: c.get(f"{ROOT}/tasks")),
    "overview": (200, lambda c, t: c.get(f"{ROOT}/")),
    "detail": (200, lambda c, t: c.get(f"{ROOT}/tasks/t1")),
    "fragment": (
        200,
        lambda c, t: c.get(f"{ROOT}/tasks/partials/table", headers={"hx-request": "true"}),
    ),
    "htmx-action": (
        200,
        lambda c, t: c.post(
            f"{ROOT}/tasks/t1/pause", headers={"hx-request": "true", "x-csrf-token": t}
        ),
    ),
    "redirect-303": (303, lambda c, t: c.post(f"{ROOT}/tasks/t1/pause", data={"csrf_token": t})),
    "redirect-308": (308, lambda c, t: c.get(f"{ROOT}/tasks/")),
    "not-found": (404, lambda c, t: c.get(f"{ROOT}/nope")),
    "not-found-json": (
        404,
        lambda c, t: c.get(f"{ROOT}/nope", headers={"accept": "application/json"}),
    ),
    "outside-root": (404, lambda c, t: c.get("/dashboardx/tasks")),
    "method-not-allowed": (405, lambda c, t: c.delete(f"{ROOT}/tasks")),
    "forbidden": (403, lambda c, t: c.post(f"{ROOT}/tasks/t1/pause")),
    "bad-request": (
        400,
        lambda c, t: c.post(
            f"{ROOT}/tasks/bulk", content=b"{}", headers={"content-type": "application/json"}
        ),
    ),
    "too-large": (
        413,
        lambda c, t: c.post(
            f"{ROOT}/tasks/bulk",
            content=b"x" * (DEFAULT_BODY_LIMIT + 1),
            headers={"x-csrf-token": t},
        ),
    ),
    "static": (200, lambda c, t: c.get(f"{ROOT}/static/css/dashboard.css")),
    "static-304": (
        304,
        lambda c, t: c.get(f"{ROOT}/static/favicon.svg", headers={"if-none-match": "*"}),
    ),
    "health": (200, lambda c, t: c.get(f"{ROOT}/health")),
    "head": (200, lambda c, t: c.head(f"{ROOT}/tasks")),
}


def check_security_headers(headers: Any) -> None:
    csp = headers["content-security-policy"]
    directives = {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}
    assert directives["script-src"] == ["'self'"]
    for loose in ("'unsafe-inline'", "'unsafe-eval'", "*", "data:", "http:", "https:"):
        assert loose not in directives["script-src"]
        assert loose not in directives.get("default-src", [])
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] in ("same-origin", "no-referrer", "strict-origin")
    assert headers["x-frame-options"] == "DENY"
    policy = dict(item.strip().split("=", 1) for item in headers["permissions-policy"].split(","))
    for feature in ("camera", "microphone", "geolocation", "payment", "usb", "browsing-topics"):
        assert policy[feature] == "()", feature


@pytest.mark.parametrize("kind", KINDS.keys())
async def test_every_response_kind_has_the_security_headers(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient, token: str, kind: str
) -> None:
    scheduler.add_task(noop, "interval", minutes=5, id="t1", name="T1")
    status, send = KINDS[kind]
    response = await send(client, token)
    assert response.status_code == status
    check_security_headers(response.headers)
    assert len(response.headers.get_list("content-security-policy")) == 1


async def test_chunked_413_has_the_security_headers(admin: Any) -> None:
    response = await raw_request(
        admin.get_asgi_app(),
        "POST",
        f"{ROOT}/tasks/bulk",
        chunks=[b"x" * 65536] * 20,
    )
    assert response.status_code == 413
    check_security_headers(response.headers)


async def test_pages_carry_no_inline_script(client: httpx.AsyncClient) -> None:
    page = await client.get(f"{ROOT}/tasks")
    for tag in re.findall(r"<script\b[^>]*>", page.text):
        assert " src=" in tag, tag
    for body in re.findall(r"<script\b[^>]*>(.*?)</script>", page.text, flags=re.S):
        assert body.strip() == ""


@pytest.mark.parametrize(
    ("path", "status"), [("/", 307), ("", 307), ("/other", 404), ("/dashboardx/tasks", 404)]
)
async def test_the_cli_sites_own_answers_outside_the_prefix_are_secured(
    scheduler: AsyncIOScheduler, path: str, status: int
) -> None:
    # raw_request sends Host: testserver, which the CLI site must be told to allow.
    site, admin = build_site(scheduler, "/dashboard", SECRET, allowed_hosts=("testserver",))
    try:
        response = await raw_request(site, "GET", path, root_path="")
    finally:
        admin.close()
    assert response.status_code == status
    if status == 307:
        assert response.headers["location"] == "/dashboard/"
    check_security_headers(response.headers)
    assert len(response.all("permissions-policy")) == 1
