"""F27 on the login form: a multipart body with a megabyte of epilogue is answered fast and
never 500; a 50 MB body is refused with 413 before it is read."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator

import pytest

from .conftest import AdminFactory
from .support import PASSWORD, PREFIX, client_for, login_token, starlette_host

BOUNDARY = "B"


def _part(name: str, value: str) -> bytes:
    return (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
    ).encode()


def _multipart(fields: dict[str, str], epilogue: bytes) -> bytes:
    return b"".join(_part(k, v) for k, v in fields.items()) + f"--{BOUNDARY}--".encode() + epilogue


HEADERS = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
EPILOGUE = b"-" * 1_000_000 + b"\r\n"


async def test_long_epilogue_after_one_field_is_fast_and_not_500(
    make: AdminFactory, caplog: pytest.LogCaptureFixture
) -> None:
    app = starlette_host(make())
    async with client_for(app) as client:
        token = await login_token(client)
        body = _multipart({"csrf_token": token}, EPILOGUE)
        with caplog.at_level(logging.INFO):
            started = time.perf_counter()
            response = await client.post(f"{PREFIX}/login", content=body, headers=HEADERS)
            elapsed = time.perf_counter() - started
        assert elapsed < 1.0
        assert response.status_code == 400
        assert "Invalid username or password." in response.text
        assert len([r for r in caplog.records if r.name.startswith("asyncz_dashboard")]) <= 1
        assert (await client.get(f"{PREFIX}/tasks")).status_code == 303


async def test_long_epilogue_after_a_whole_login_form_signs_in(make: AdminFactory) -> None:
    app = starlette_host(make())
    async with client_for(app) as client:
        token = await login_token(client)
        fields = {"csrf_token": token, "username": "ada", "password": PASSWORD}
        started = time.perf_counter()
        response = await client.post(
            f"{PREFIX}/login", content=_multipart(fields, EPILOGUE), headers=HEADERS
        )
        assert time.perf_counter() - started < 1.0
        assert response.status_code == 303
        assert response.headers["location"] == f"{PREFIX}/"
        assert (await client.get(f"{PREFIX}/tasks")).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        b"--B--\r\n",
        b"",
        b"--B\r\n",
        b"--B\r\nContent-Disposition: form-data\r\n\r\nx\r\n--B--",
        b"garbage without a boundary",
        b'--B\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n' + b"x" * 500_000,
    ],
    ids=["empty-closing", "empty", "unterminated", "nameless", "garbage", "no-closing-boundary"],
)
async def test_broken_multipart_on_login_is_a_4xx(make: AdminFactory, body: bytes) -> None:
    app = starlette_host(make())
    async with client_for(app) as client:
        await login_token(client)
        response = await client.post(f"{PREFIX}/login", content=body, headers=HEADERS)
        assert 400 <= response.status_code < 500
        assert (await client.get(f"{PREFIX}/tasks")).status_code == 303


async def test_multipart_without_a_boundary_is_400(make: AdminFactory) -> None:
    app = starlette_host(make())
    async with client_for(app) as client:
        await login_token(client)
        response = await client.post(
            f"{PREFIX}/login", content=b"x", headers={"Content-Type": "multipart/form-data"}
        )
        assert response.status_code == 400


async def test_a_50_mb_login_body_is_413(make: AdminFactory) -> None:
    app = starlette_host(make())
    async with client_for(app) as client:
        token = await login_token(client)
        body = f"csrf_token={token}&username=ada&password=".encode() + b"x" * (50 * 1024 * 1024)
        started = time.perf_counter()
        response = await client.post(
            f"{PREFIX}/login",
            content=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert time.perf_counter() - started < 2.0
        assert response.status_code == 413
        assert "larger than 1048576 bytes" in response.text
        assert (await client.get(f"{PREFIX}/tasks")).status_code == 303


async def test_a_streamed_body_without_length_is_cut_off_at_the_limit(
    make: AdminFactory,
) -> None:
    app = starlette_host(make())
    sent = 0
    chunk = b"x" * (64 * 1024)

    async def stream() -> AsyncIterator[bytes]:
        nonlocal sent
        for _ in range(800):  # 50 MB
            sent += len(chunk)
            yield chunk

    async with client_for(app) as client:
        await login_token(client)
        response = await client.post(
            f"{PREFIX}/login",
            content=stream(),
            headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
        )
        assert response.status_code == 413
    assert sent < 50 * 1024 * 1024


async def test_the_body_limit_is_configurable(make: AdminFactory) -> None:
    from asyncz_dashboard import DashboardConfig

    from ..conftest import SECRET

    app = starlette_host(make(config=DashboardConfig(secret_key=SECRET, max_body_size=1000)))
    async with client_for(app) as client:
        token = await login_token(client)
        big = await client.post(
            f"{PREFIX}/login",
            data={"csrf_token": token, "username": "ada", "password": "x" * 2000},
        )
        assert big.status_code == 413
        ok = await client.post(
            f"{PREFIX}/login",
            data={"csrf_token": token, "username": "ada", "password": PASSWORD},
        )
        assert ok.status_code == 303
