"""gzip: pages and fragments compressed when the client accepts it, assets precompressed."""

from __future__ import annotations

import gzip
import zlib
from typing import Any

import httpx
import pytest
from asyncz.schedulers.asyncio import AsyncIOScheduler

from asyncz_dashboard import AsynczAdmin
from asyncz_dashboard.asgi.compression import GZipResponses, accepts_gzip
from asyncz_dashboard.cli import build_site

from ..conftest import SECRET, make_scheduler, noop
from ..proxy.nginx import hypercorn
from .conftest import ROOT, raw_request

GZIP = ("accept-encoding", "gzip, deflate, br")
CSS = "/static/css/dashboard.css"


def add_tasks(scheduler: AsyncIOScheduler, count: int = 30) -> None:
    for n in range(count):
        scheduler.add_task(noop, "interval", minutes=5 + n, id=f"t{n}", name=f"Task number {n}")


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        ("gzip", True),
        ("GZIP", True),
        ("deflate, gzip;q=0.5", True),
        ("x-gzip", True),
        ("*", True),
        ("br;q=1, *;q=0.1", True),
        ("", False),
        ("identity", False),
        ("gzip;q=0", False),
        ("gzip;q=0.000", False),
        ("*;q=0", False),
        ("*, gzip;q=0", False),
        ("gzip;q=oops", False),
    ],
)
def test_accept_encoding_is_read_with_its_q_values(value: str, accepted: bool) -> None:
    assert accepts_gzip(value) is accepted


async def test_a_page_is_gzipped_when_accepted_and_says_it_varies(
    scheduler: AsyncIOScheduler, admin: AsynczAdmin
) -> None:
    add_tasks(scheduler)
    app = admin.get_asgi_app()

    zipped = await raw_request(app, "GET", f"{ROOT}/tasks", headers=[GZIP])
    plain = await raw_request(app, "GET", f"{ROOT}/tasks")

    assert zipped.status_code == plain.status_code == 200
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.headers["vary"] == "Accept-Encoding"
    assert int(zipped.headers["content-length"]) == len(zipped.body)
    text = gzip.decompress(zipped.body).decode()
    assert "Task number 10" in text and text.startswith("<!doctype html>")
    assert len(zipped.body) * 5 < len(plain.body)
    assert "content-encoding" not in plain.headers
    assert plain.headers["vary"] == "Accept-Encoding"
    assert int(plain.headers["content-length"]) == len(plain.body)
    # The other headers are the page's own, untouched.
    assert zipped.headers["content-security-policy"] == plain.headers["content-security-policy"]
    assert zipped.headers["content-type"] == "text/html; charset=utf-8"


@pytest.mark.parametrize("refusal", ["identity", "gzip;q=0", "br"])
async def test_a_client_that_does_not_accept_gzip_gets_the_page_as_it_is(
    scheduler: AsyncIOScheduler, admin: AsynczAdmin, refusal: str
) -> None:
    add_tasks(scheduler)
    response = await raw_request(
        admin.get_asgi_app(),
        "GET",
        f"{ROOT}/tasks/partials/table",
        headers=[("accept-encoding", refusal), ("hx-request", "true")],
    )
    assert response.status_code == 200
    assert "content-encoding" not in response.headers
    assert response.headers["vary"] == "Accept-Encoding"
    assert "Task number 10" in response.text


async def test_the_htmx_fragment_is_gzipped_through_httpx(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    add_tasks(scheduler)
    response = await client.get(f"{ROOT}/tasks/partials/table", headers={"hx-request": "true"})
    assert response.headers["content-encoding"] == "gzip"
    assert response.text.startswith('<div id="tasks-table"')  # httpx decoded it


async def test_small_bodies_redirects_and_head_are_not_compressed(admin: AsynczAdmin) -> None:
    app = admin.get_asgi_app()
    health = await raw_request(app, "GET", f"{ROOT}/health", headers=[GZIP])
    redirect = await raw_request(app, "GET", f"{ROOT}/tasks/", headers=[GZIP])
    head = await raw_request(app, "HEAD", f"{ROOT}/tasks", headers=[GZIP])
    get = await raw_request(app, "GET", f"{ROOT}/tasks")

    assert (health.status_code, health.body) == (200, b'{"status":"running"}')
    assert "content-encoding" not in health.headers
    assert redirect.status_code == 308 and "content-encoding" not in redirect.headers
    assert head.status_code == 200 and head.body == b""
    assert "content-encoding" not in head.headers
    # The length a GET without gzip would have (the page's ids make it vary by a few bytes).
    assert abs(int(head.headers["content-length"]) - len(get.body)) < 100


async def _streaming_app(scope: Any, receive: Any, send: Any) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"text/html; charset=utf-8"), (b"vary", b"Cookie")],
        }
    )
    for n in range(3):
        chunk = b"<p>chunk %d</p>" % n
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b""})


async def test_a_streamed_body_is_compressed_chunk_by_chunk_and_each_chunk_is_readable() -> None:
    sent: list[dict[str, Any]] = []

    async def send(message: Any) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    scope = {"type": "http", "method": "GET", "headers": [(b"accept-encoding", b"gzip")]}
    await GZipResponses(_streaming_app, minimum_size=1000)(scope, receive, send)

    start, *bodies = sent
    headers = dict(start["headers"])
    assert headers[b"content-encoding"] == b"gzip"
    assert headers[b"vary"] == b"Cookie, Accept-Encoding"
    assert b"content-length" not in headers
    assert [m["more_body"] for m in bodies] == [True, True, True, False]
    reader = zlib.decompressobj(zlib.MAX_WBITS | 16)
    seen = [reader.decompress(m["body"]) for m in bodies]
    assert seen[:3] == [b"<p>chunk 0</p>", b"<p>chunk 1</p>", b"<p>chunk 2</p>"]
    assert reader.eof and seen[3] == b""


@pytest.mark.parametrize(
    ("status", "headers"),
    [
        (204, [(b"content-type", b"text/html")]),
        (304, [(b"content-type", b"text/html"), (b"etag", b'"x"')]),
        (200, [(b"content-type", b"text/html"), (b"content-encoding", b"br")]),
        (200, [(b"content-type", b"image/png")]),
    ],
)
async def test_no_body_statuses_encoded_and_binary_responses_pass_untouched(
    status: int, headers: list[tuple[bytes, bytes]]
) -> None:
    body = b"" if status in (204, 304) else b"x" * 5000

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    sent: list[dict[str, Any]] = []

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "headers": [(b"accept-encoding", b"gzip")]}
    await GZipResponses(app, minimum_size=10)(scope, None, send)  # type: ignore[arg-type]
    assert sent[0]["headers"] == headers
    assert sent[1]["body"] == body


async def test_an_asset_is_sent_precompressed_with_its_own_etag(admin: AsynczAdmin) -> None:
    app = admin.get_asgi_app()
    plain = await raw_request(app, "GET", f"{ROOT}{CSS}")
    zipped = await raw_request(app, "GET", f"{ROOT}{CSS}", headers=[GZIP])

    assert zipped.headers["content-encoding"] == "gzip"
    assert gzip.decompress(zipped.body) == plain.body
    assert int(zipped.headers["content-length"]) == len(zipped.body) < len(plain.body) / 2
    assert zipped.headers["vary"] == plain.headers["vary"] == "Accept-Encoding"
    assert zipped.headers["etag"] == plain.headers["etag"][:-1] + '-gz"'
    assert zipped.headers["content-type"] == plain.headers["content-type"]
    assert "content-encoding" not in plain.headers
    again = await raw_request(app, "GET", f"{ROOT}{CSS}", headers=[GZIP])
    assert again.body == zipped.body, "built once"


async def test_if_none_match_on_either_etag_answers_304_for_the_variant_asked(
    admin: AsynczAdmin,
) -> None:
    app = admin.get_asgi_app()
    plain = (await raw_request(app, "GET", f"{ROOT}{CSS}")).headers["etag"]
    zipped = (await raw_request(app, "GET", f"{ROOT}{CSS}", headers=[GZIP])).headers["etag"]
    for tag in (zipped, plain, f"W/{zipped}", f'"other", {plain}'):
        answer = await raw_request(
            app, "GET", f"{ROOT}{CSS}", headers=[GZIP, ("if-none-match", tag)]
        )
        assert (answer.status_code, answer.body) == (304, b""), tag
        assert answer.headers["etag"] == zipped
        assert answer.headers["vary"] == "Accept-Encoding"
        assert "content-encoding" not in answer.headers
    stale = await raw_request(app, "GET", f"{ROOT}{CSS}", headers=[GZIP, ("if-none-match", '"x"')])
    assert stale.status_code == 200 and stale.headers["content-encoding"] == "gzip"


async def test_under_hypercorn_pages_fragments_and_assets_arrive_gzipped() -> None:
    scheduler = make_scheduler()
    add_tasks(scheduler)
    site, admin = build_site(scheduler, "/dashboard", SECRET)
    try:
        async with (
            hypercorn(site) as address,
            httpx.AsyncClient(base_url=f"http://{address}", timeout=5) as client,
        ):
            page = await client.get("/dashboard/tasks")
            fragment = await client.get(
                "/dashboard/tasks/partials/table", headers={"hx-request": "true"}
            )
            css = await client.get(f"/dashboard{CSS}")
            plain = await client.get(f"/dashboard{CSS}", headers={"accept-encoding": "identity"})
            unchanged = await client.get(
                f"/dashboard{CSS}", headers={"if-none-match": css.headers["etag"]}
            )
    finally:
        admin.close()
    for response in (page, fragment, css):
        assert response.status_code == 200
        assert response.headers["content-encoding"] == "gzip"
        assert response.headers["vary"] == "Accept-Encoding"
    assert "Task number 10" in page.text and "Task number 10" in fragment.text
    assert css.content == plain.content and "content-encoding" not in plain.headers
    assert unchanged.status_code == 304 and unchanged.content == b""
