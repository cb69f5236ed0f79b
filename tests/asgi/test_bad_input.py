"""Bad input that used to act or crash: each is a 4xx (or the default) and changes nothing.

A POST is read and parsed whole before its token is checked and before its view acts, so a
token in the ``X-CSRF-Token`` header (as htmx sends it) with a body that cannot be parsed is
refused with 400 and the task stays as it was.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from asyncz.schedulers.asyncio import AsyncIOScheduler

from ..auth.support import add_tasks, closing, hidden_next
from ..auth.support import client_for as login_client
from ..auth.support import make_admin as login_admin
from ..conftest import noop
from ..history.support import main_text
from .conftest import ROOT, raw_request, scheduler_state

URLENCODED = "application/x-www-form-urlencoded"
LONG_BOUNDARY = "b" * 300  # python-multipart refuses boundaries over 70 or 256 characters

MALFORMED: dict[str, tuple[str, bytes]] = {
    "urlencoded-not-utf8": (URLENCODED, b"return_to=tasks&q=\xff\xfe"),
    "multipart-broken": ("multipart/form-data; boundary=B", b"--B\r\nno headers end"),
    "multipart-long-boundary": (
        f"multipart/form-data; boundary={LONG_BOUNDARY}",
        f"--{LONG_BOUNDARY}\r\n".encode(),
    ),
    "multipart-no-boundary": ("multipart/form-data", b"--B\r\n"),
    "json": ("application/json", b'{"return_to": "tasks"}'),
}


@pytest.fixture
def task(scheduler: AsyncIOScheduler) -> str:
    scheduler.add_task(noop, "interval", minutes=5, id="t1", name="Nightly sync")
    return "t1"


@pytest.mark.parametrize("action", ["pause", "run", "remove"])
@pytest.mark.parametrize("kind", MALFORMED.keys())
async def test_header_token_with_a_malformed_body_is_400_and_the_task_is_untouched(
    scheduler: AsyncIOScheduler,
    admin: Any,
    client: httpx.AsyncClient,
    token: str,
    task: str,
    kind: str,
    action: str,
) -> None:
    content_type, body = MALFORMED[kind]
    before = scheduler_state(scheduler)
    response = await client.post(
        f"{ROOT}/tasks/{task}/{action}",
        content=body,
        headers={"content-type": content_type, "x-csrf-token": token, "hx-request": "true"},
    )
    assert response.status_code == 400
    assert scheduler_state(scheduler) == before
    assert scheduler.get_task(task).next_run_time is not None  # not paused, not removed
    admin.writer.flush()
    audit = await client.get(f"{ROOT}/audit")
    assert "No dashboard actions recorded yet." in main_text(audit.text)


async def test_header_token_with_a_malformed_body_pauses_no_scheduler(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient, token: str
) -> None:
    response = await client.post(
        f"{ROOT}/scheduler/pause",
        content=b"\xff",
        headers={"content-type": URLENCODED, "x-csrf-token": token},
    )
    assert response.status_code == 400
    overview = await client.get(f"{ROOT}/")
    assert "Scheduler running" in main_text(overview.text)


async def test_header_token_with_a_malformed_bulk_body_runs_nothing(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient, token: str, task: str
) -> None:
    before = scheduler_state(scheduler)
    response = await client.post(
        f"{ROOT}/tasks/bulk",
        content=b"action=pause&task_id=t1&x=\xc3",
        headers={"content-type": URLENCODED, "x-csrf-token": token},
    )
    assert response.status_code == 400
    assert "not valid UTF-8" in response.text
    assert scheduler_state(scheduler) == before


async def test_a_long_multipart_boundary_on_the_login_page_is_400_without_signing_in(
    scheduler: AsyncIOScheduler,
) -> None:
    with closing(login_admin(scheduler)) as admin:
        async with login_client(admin.get_asgi_app()) as client:
            response = await client.post(
                "/login",
                content=f"--{LONG_BOUNDARY}\r\n".encode(),
                headers={"content-type": f"multipart/form-data; boundary={LONG_BOUNDARY}"},
            )
    assert response.status_code == 400
    assert "The multipart body is malformed." in response.text


@pytest.mark.parametrize("value", ["²", "١٢", "9" * 5000, " 0", "-1", "1e3"])
async def test_an_odd_page_number_on_the_run_history_is_a_page_not_a_500(
    client: httpx.AsyncClient, value: str
) -> None:
    response = await client.get(f"{ROOT}/runs", params={"page": value})
    assert response.status_code == 200
    # Page 1 (or, for 9999…, past the last page: the last page there is, page 1 here).
    assert "No runs recorded yet." in main_text(response.text)


@pytest.mark.parametrize("page", ["/runs", "/logs", "/events", "/audit", "/tasks", "/"])
@pytest.mark.parametrize("value", ["²", "9" * 5000])
async def test_no_history_page_fails_on_an_odd_page_number(
    client: httpx.AsyncClient, page: str, value: str
) -> None:
    response = await client.get(f"{ROOT}{page}", params={"page": value})
    assert response.status_code == 200


# Header bytes reach the app as latin-1 text: "\u00b2" is one byte, a fullwidth 1 its UTF-8 bytes.
FULLWIDTH_ONE = "\uff11".encode().decode("latin-1")


@pytest.mark.parametrize("value", ["\u00b2", "abc", "-1", "", "1, 1", "0x10", FULLWIDTH_ONE])
async def test_a_malformed_content_length_is_400(admin: Any, value: str) -> None:
    response = await raw_request(
        admin.get_asgi_app(),
        "POST",
        f"{ROOT}/tasks/bulk",
        headers=[("content-length", value), ("content-type", URLENCODED)],
    )
    assert response.status_code == 400
    assert "The Content-Length header is not a number." in response.text


async def test_a_content_length_of_5000_digits_is_413(admin: Any) -> None:
    response = await raw_request(
        admin.get_asgi_app(), "POST", f"{ROOT}/tasks/bulk", headers=[("content-length", "9" * 5000)]
    )
    assert response.status_code == 413


async def test_leading_zeros_in_content_length_are_still_a_number(
    client: httpx.AsyncClient, admin: Any, token: str
) -> None:
    cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    body = f"csrf_token={token}".encode()
    response = await raw_request(
        admin.get_asgi_app(),
        "POST",
        f"{ROOT}/tasks/bulk",
        headers=[
            ("content-length", f"000{len(body)}"),
            ("content-type", URLENCODED),
            ("cookie", cookie),
        ],
        chunks=[body],
    )
    # The body was read whole (the token matched): the answer is the empty selection's 400.
    assert response.status_code == 400
    assert "Select at least one task." in response.body.decode()


async def test_an_unparsable_origin_is_refused_as_cross_site(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient, token: str, task: str
) -> None:
    before = scheduler_state(scheduler)
    response = await client.post(
        f"{ROOT}/tasks/{task}/pause",
        data={"csrf_token": token},
        headers={"origin": "http://[::1"},
    )
    assert response.status_code == 403
    assert scheduler_state(scheduler) == before


@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [
        ("GET", "/login?next=http://[::1", {}),
        ("GET", "/tasks", {"hx-request": "true", "hx-current-url": "http://[::1"}),
        ("POST", "/tasks/t1/pause", {"referer": "http://[::1"}),
    ],
)
async def test_an_unsplittable_url_for_next_falls_back_to_the_overview(
    scheduler: AsyncIOScheduler, method: str, path: str, headers: dict[str, str]
) -> None:
    # urlsplit raises on "http://[::1" (an unclosed IPv6 literal); login must not fail on it.
    add_tasks(scheduler)
    with closing(login_admin(scheduler)) as admin:
        async with login_client(admin.get_asgi_app()) as client:
            response = await client.request(method, path, headers=headers)
            if response.status_code == 200:
                assert hidden_next(response.text) == "/"
            else:
                login = response.headers.get("hx-redirect") or response.headers["location"]
                assert login == "/login?next=%2F"
    assert scheduler.get_task("t1").next_run_time is not None  # not paused
