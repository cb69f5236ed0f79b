"""Request bodies and forms: broken input gets a clear 4xx or an empty form, never a 500."""

from __future__ import annotations

import random
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from asyncz.schedulers.asyncio import AsyncIOScheduler

from asyncz_dashboard.asgi.exceptions import BadRequest
from asyncz_dashboard.asgi.request import DEFAULT_BODY_LIMIT, _parse_multipart

from ..conftest import csrf_from, noop
from .conftest import ROOT, client_for, raw_request, scheduler_state

BULK = f"{ROOT}/tasks/bulk"
URLENCODED = "application/x-www-form-urlencoded"


def empty_form_page(response: httpx.Response) -> str:
    """The page a bulk POST without a task answers with: 400, the task list and the reason."""
    assert response.status_code == 400
    assert 'id="tasks-table"' in response.text
    return response.text


async def flashes_after(client: httpx.AsyncClient, response: httpx.Response) -> str:
    """Follow a 303 and return the page the user lands on."""
    assert response.status_code == 303
    assert response.headers["location"] == f"{ROOT}/tasks"
    page = await client.get(response.headers["location"])
    assert page.status_code == 200
    return page.text


async def test_multipart_with_only_the_closing_boundary_is_an_empty_form(
    client: httpx.AsyncClient, token: str
) -> None:
    response = await client.post(
        BULK,
        content=b"--X--\r\n",
        headers={"content-type": "multipart/form-data; boundary=X", "x-csrf-token": token},
    )
    assert "Select at least one task." in empty_form_page(response)


async def test_multipart_with_an_empty_body_is_an_empty_form(
    client: httpx.AsyncClient, token: str
) -> None:
    response = await client.post(
        BULK,
        content=b"",
        headers={"content-type": "multipart/form-data; boundary=X", "x-csrf-token": token},
    )
    assert "Select at least one task." in empty_form_page(response)


async def test_empty_urlencoded_body_is_an_empty_form(
    client: httpx.AsyncClient, token: str
) -> None:
    response = await client.post(
        BULK, content=b"", headers={"content-type": URLENCODED, "x-csrf-token": token}
    )
    assert "Select at least one task." in empty_form_page(response)


async def test_multipart_epilogue_is_ignored_quickly(client: httpx.AsyncClient, token: str) -> None:
    body = (
        b'--B\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
        + token.encode()
        + b"\r\n--B--"
        + b"-" * 1_000_000
        + b"\r\n"
    )
    assert len(body) < DEFAULT_BODY_LIMIT
    started = time.perf_counter()
    response = await client.post(
        BULK, content=body, headers={"content-type": "multipart/form-data; boundary=B"}
    )
    elapsed = time.perf_counter() - started
    # The token came from the one field before the closing boundary: it was parsed.
    assert "Select at least one task." in empty_form_page(response)
    assert elapsed < 1.0


async def test_multipart_fields_are_read_like_urlencoded_ones(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient, token: str
) -> None:
    scheduler.add_task(noop, "interval", minutes=5, id="a", name="A")
    scheduler.add_task(noop, "interval", minutes=5, id="b", name="B")
    response = await client.post(
        BULK,
        data={"csrf_token": token, "action": "pause", "task_id": ["a", "b"]},
        files={"ignored": ("notes.txt", b"not a task id")},
    )
    assert "Paused 2 of 2 selected task(s)." in await flashes_after(client, response)
    assert scheduler.get_task("a").next_run_time is None
    assert scheduler.get_task("b").next_run_time is None


def over_limit_body() -> bytes:
    body = b"action=pause&task_id=t1&pad="
    return body + b"x" * (DEFAULT_BODY_LIMIT + 1 - len(body))


async def test_body_over_the_limit_with_content_length_is_413_and_changes_nothing(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient, token: str
) -> None:
    scheduler.add_task(noop, "interval", minutes=5, id="t1", name="T1")
    before = scheduler_state(scheduler)
    body = over_limit_body()
    assert len(body) == DEFAULT_BODY_LIMIT + 1
    response = await client.post(
        BULK, content=body, headers={"content-type": URLENCODED, "x-csrf-token": token}
    )
    assert response.status_code == 413
    assert "Request body too large" in response.text
    assert scheduler_state(scheduler) == before


async def test_body_at_the_limit_is_accepted(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient, token: str
) -> None:
    scheduler.add_task(noop, "interval", minutes=5, id="t1", name="T1")
    body = over_limit_body()[:-1]
    response = await client.post(
        BULK, content=body, headers={"content-type": URLENCODED, "x-csrf-token": token}
    )
    assert "Paused 1 of 1 selected task(s)." in await flashes_after(client, response)


async def test_streamed_body_over_the_limit_without_content_length_is_413(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient, token: str
) -> None:
    scheduler.add_task(noop, "interval", minutes=5, id="t1", name="T1")
    before = scheduler_state(scheduler)
    sent = 0

    async def stream() -> AsyncIterator[bytes]:
        nonlocal sent
        yield b"action=pause&task_id=t1&pad="
        for _ in range(64):  # 4 MiB in 64 KiB chunks
            sent += 1
            yield b"x" * 65536

    request = client.build_request(
        "POST", BULK, content=stream(), headers={"content-type": URLENCODED, "x-csrf-token": token}
    )
    assert "content-length" not in request.headers
    response = await client.send(request)
    assert response.status_code == 413
    assert sent <= 17  # it stopped reading just past 1 MiB, not after all 4 MiB
    assert scheduler_state(scheduler) == before


async def test_413_with_the_token_in_the_body_changes_nothing(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient, token: str
) -> None:
    scheduler.add_task(noop, "interval", minutes=5, id="t1", name="T1")
    before = scheduler_state(scheduler)
    body = f"csrf_token={token}&".encode() + over_limit_body()
    response = await client.post(BULK, content=body, headers={"content-type": URLENCODED})
    assert response.status_code == 413
    assert scheduler_state(scheduler) == before


async def test_configured_body_limit_is_honoured(
    scheduler: AsyncIOScheduler, make_admin: Any
) -> None:
    scheduler.add_task(noop, "interval", minutes=5, id="t1", name="T1")
    admin = make_admin(max_body_size=100)
    async with client_for(admin.get_asgi_app()) as client:
        token = csrf_from((await client.get(f"{ROOT}/tasks")).text)
        small = await client.post(
            BULK, data={"csrf_token": token, "action": "pause", "task_id": "t1"}
        )
        assert small.status_code == 303
        big = await client.post(
            BULK, data={"csrf_token": token, "action": "resume", "task_id": "t1", "pad": "x" * 100}
        )
        assert big.status_code == 413
    assert scheduler.get_task("t1").next_run_time is None  # the 413 did not resume it


async def test_client_disconnect_mid_body_changes_nothing(
    scheduler: AsyncIOScheduler, admin: Any, client: httpx.AsyncClient, token: str
) -> None:
    scheduler.add_task(noop, "interval", minutes=5, id="a", name="A")
    scheduler.add_task(noop, "interval", minutes=5, id="b", name="B")
    before = scheduler_state(scheduler)
    cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    response = await raw_request(
        admin.get_asgi_app(),
        "POST",
        BULK,
        headers=[("content-type", URLENCODED), ("x-csrf-token", token), ("cookie", cookie)],
        chunks=[b"action=remove&task_id=a&task_id=b"],  # "&task_id=c..." never arrives
        disconnect_after_body=True,
    )
    assert response.status_code == 400
    assert scheduler_state(scheduler) == before


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        (URLENCODED, b"action=pause&task_id=\xff\xfe"),
        (URLENCODED, b"\xc3\x28=1"),
        (URLENCODED, "&".join(f"f{i}=1" for i in range(5001)).encode()),
        ("application/json", b'{"action": "pause", "task_id": "t1"}'),
        ("text/plain", b"action=pause&task_id=t1"),
        (
            "multipart/form-data",
            b'--B\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--B--',
        ),
        ("multipart/form-data; boundary=", b"--\r\n"),
        ("multipart/form-data; boundary=B", b"--B\r\nno colon here\r\n\r\nx\r\n--B--\r\n"),
        ("multipart/form-data; boundary=B", b"garbage before any boundary"),
    ],
    ids=[
        "invalid-utf8",
        "invalid-utf8-key",
        "too-many-fields",
        "json",
        "text-plain",
        "multipart-without-boundary",
        "multipart-empty-boundary",
        "multipart-bad-header",
        "multipart-garbage",
    ],
)
async def test_malformed_bodies_are_400_and_change_nothing(
    scheduler: AsyncIOScheduler,
    client: httpx.AsyncClient,
    token: str,
    content_type: str,
    body: bytes,
) -> None:
    scheduler.add_task(noop, "interval", minutes=5, id="t1", name="T1")
    before = scheduler_state(scheduler)
    response = await client.post(
        BULK, content=body, headers={"content-type": content_type, "x-csrf-token": token}
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "400" in response.text
    assert scheduler_state(scheduler) == before


async def test_malformed_body_without_a_header_token_is_still_400_not_500(
    client: httpx.AsyncClient, token: str
) -> None:
    # The CSRF check reads the token from the form, so the parse error surfaces there.
    response = await client.post(
        BULK, content=b"csrf_token=x&\xff", headers={"content-type": URLENCODED}
    )
    assert response.status_code == 400


async def test_percent_encoded_invalid_utf8_is_replaced_not_an_error(
    client: httpx.AsyncClient, token: str
) -> None:
    response = await client.post(
        BULK,
        content=b"action=%FF&task_id=%C3%28",
        headers={"content-type": URLENCODED, "x-csrf-token": token},
    )
    assert "Choose an action" in await flashes_after(client, response)


@pytest.mark.parametrize(
    "query", ["q=%FF%FE", "page=10000000000000000000000", "sort=%00", "state=&state=paused"]
)
async def test_odd_query_strings_never_500(client: httpx.AsyncClient, query: str) -> None:
    response = await client.get(f"{ROOT}/tasks?{query}")
    assert response.status_code == 200


async def test_too_many_query_parameters_is_400(client: httpx.AsyncClient) -> None:
    query = "&".join(f"p{i}=1" for i in range(501))
    response = await client.get(f"{ROOT}/tasks?{query}")
    assert response.status_code == 400


VALID_MULTIPART = (
    b"--B\r\n"
    b'Content-Disposition: form-data; name="action"\r\n\r\n'
    b"pause\r\n"
    b"--B\r\n"
    b'Content-Disposition: form-data; name="task_id"\r\n\r\n'
    b"t1\r\n"
    b"--B\r\n"
    b'Content-Disposition: form-data; name="upload"; filename="a.txt"\r\n'
    b"Content-Type: text/plain\r\n\r\n"
    b"line\r\n"
    b"--B--\r\n"
)


def test_multipart_parser_reads_fields_in_order() -> None:
    assert _parse_multipart(VALID_MULTIPART, b"B") == [
        ("action", "pause"),
        ("task_id", "t1"),
        ("upload", "line"),
    ]


def test_mutated_multipart_bodies_only_ever_parse_or_raise_bad_request() -> None:
    rng = random.Random(20240601)
    alphabet = b'-\r\n:;="B \x00\xff'
    for _ in range(2000):
        body = bytearray(VALID_MULTIPART)
        for _ in range(rng.randint(1, 6)):
            position = rng.randrange(len(body))
            choice = rng.random()
            if choice < 0.4:
                body[position] = rng.choice(alphabet)
            elif choice < 0.7:
                del body[position : position + rng.randint(1, 10)]
            else:
                body[position:position] = bytes(rng.choice(alphabet) for _ in range(3))
        try:
            fields = _parse_multipart(bytes(body), b"B")
        except BadRequest:
            continue
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in fields)
