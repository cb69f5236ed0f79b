"""Static files: content types, caching, conditional requests and no path traversal."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from asyncz.schedulers.asyncio import AsyncIOScheduler

from ..conftest import noop
from .conftest import ROOT, raw_request

ASSETS = [
    ("css/dashboard.css", "text/css; charset=utf-8"),
    ("js/dashboard.js", "text/javascript; charset=utf-8"),
    ("vendor/htmx-2.0.11.min.js", "text/javascript; charset=utf-8"),
    ("favicon.svg", "image/svg+xml"),
]
# The file as it is (gzip has its own tests, tests/asgi/test_compression.py).
IDENTITY = {"accept-encoding": "identity"}


@pytest.mark.parametrize(("path", "content_type"), ASSETS)
async def test_asset_has_content_type_etag_and_cache_control(
    client: httpx.AsyncClient, path: str, content_type: str
) -> None:
    response = await client.get(f"{ROOT}/static/{path}", headers=IDENTITY)
    assert response.status_code == 200
    assert response.headers["content-type"] == content_type
    assert re.fullmatch(r'"[0-9a-f]{16}"', response.headers["etag"])
    assert response.headers["cache-control"] == "public, max-age=3600"
    assert int(response.headers["content-length"]) == len(response.content) > 0


async def test_if_none_match_gives_304_without_a_body(client: httpx.AsyncClient) -> None:
    first = await client.get(f"{ROOT}/static/css/dashboard.css")
    etag = first.headers["etag"]
    for header in (etag, f'"nope", {etag}', "*"):
        again = await client.get(
            f"{ROOT}/static/css/dashboard.css", headers={"if-none-match": header}
        )
        assert again.status_code == 304
        assert again.content == b""
        assert again.headers["etag"] == etag
    stale = await client.get(f"{ROOT}/static/css/dashboard.css", headers={"if-none-match": '"x"'})
    assert stale.status_code == 200
    assert stale.content == first.content


async def test_page_links_versioned_assets_that_are_cached_immutably(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get(f"{ROOT}/tasks")
    urls = re.findall(r'(?:href|src)="(/dashboard/static/[^"]+)"', page.text)
    assert len(urls) >= 3  # favicon, stylesheet, htmx, our script
    for url in urls:
        assert re.search(r"\?v=[0-9a-f]{16}$", url), url
        response = await client.get(url.replace("&amp;", "&"), headers=IDENTITY)
        assert response.status_code == 200, url
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert response.headers["etag"] == '"' + url.rsplit("=", 1)[1] + '"'


async def test_a_wrong_version_is_not_cached_immutably(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{ROOT}/static/css/dashboard.css?v=0000000000000000")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=3600"


async def test_head_of_an_asset_has_headers_and_no_body(client: httpx.AsyncClient) -> None:
    get = await client.get(f"{ROOT}/static/js/dashboard.js")
    head = await client.head(f"{ROOT}/static/js/dashboard.js")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["etag"] == get.headers["etag"]
    assert head.headers["content-type"] == "text/javascript; charset=utf-8"


TRAVERSALS = [
    "/dashboard/static/../tasks",
    "/dashboard/static/%2e%2e/tasks",
    "/dashboard/static/%2E%2E/tasks",
    "/dashboard/static%2F..%2Ftasks",
    "/dashboard/static/..%2F..%2Fadmin.py",
    "/dashboard/static/css/../../admin.py",
    "/dashboard/static/css/..%2F..%2Fadmin.py",
    "/dashboard/static/../../../../etc/passwd",
    "/dashboard/static/%2Fetc%2Fpasswd",
    "/dashboard/static//etc/passwd",
    "/dashboard/static/css%5C..%5C..%5Cadmin.py",
    "/dashboard/static/css/dashboard.css%00.js",
    "/dashboard/static/..",
    "/dashboard/static/.",
    "/dashboard/static/css",
    "/dashboard/static/../templates/base.html",
    "/dashboard/static/__init__.py",
]


@pytest.mark.parametrize("raw_path", TRAVERSALS)
async def test_no_path_traversal_out_of_static(
    scheduler: AsyncIOScheduler, admin: Any, raw_path: str
) -> None:
    scheduler.add_task(noop, "interval", minutes=5, id="hidden", name="Hidden task name")
    response = await raw_request(admin.get_asgi_app(), "GET", raw_path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "Hidden task name" not in response.text
    for leak in ("class AsynczAdmin", "root:x:0:0", "{% block", "import "):
        assert leak not in response.text


async def test_a_traversal_never_shows_the_task_list_even_after_the_redirect(
    scheduler: AsyncIOScheduler, admin: Any
) -> None:
    scheduler.add_task(noop, "interval", minutes=5, id="hidden", name="Hidden task name")
    app = admin.get_asgi_app()
    redirect = await raw_request(app, "GET", "/dashboard/static/../tasks/")
    assert redirect.status_code == 308
    assert redirect.headers["location"] == "/dashboard/static/../tasks"
    response = await raw_request(app, "GET", redirect.headers["location"])
    assert response.status_code == 404
    assert "Hidden task name" not in response.text
