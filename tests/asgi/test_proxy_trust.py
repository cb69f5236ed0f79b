"""Forwarded headers count only from trusted proxies: CSRF's host check and the login throttle."""

from __future__ import annotations

import hmac

import httpx
import pytest
from asyncz.schedulers.asyncio import AsyncIOScheduler

from asyncz_dashboard import AsynczAdmin, DashboardConfig
from asyncz_dashboard.admin import SimpleUsernamePasswordBackend, User

from ..conftest import SECRET, csrf_from, noop


def verify(username: str, password: str) -> User | None:
    return User(id=username) if hmac.compare_digest(password, "right") else None


def client_for(admin: AsynczAdmin, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(
        app=admin.get_asgi_app(), root_path="/dashboard", client=(address, 4000)
    )
    return httpx.AsyncClient(transport=transport, base_url="http://dash.test")


async def test_forwarded_host_counts_only_from_a_trusted_proxy(
    scheduler: AsyncIOScheduler,
) -> None:
    scheduler.add_task(noop, "interval", minutes=5, id="t1")
    config = DashboardConfig(secret_key=SECRET, trusted_forwarded_hosts=("10.0.0.0/8",))
    admin = AsynczAdmin(scheduler, config=config)
    headers = {"Origin": "https://public.example", "X-Forwarded-Host": "public.example"}
    try:
        async with client_for(admin, "192.0.2.7") as stranger:
            token = csrf_from((await stranger.get("/dashboard/tasks")).text)
            refused = await stranger.post(
                "/dashboard/tasks/t1/pause", data={"csrf_token": token}, headers=headers
            )
            assert refused.status_code == 403
            assert scheduler.get_task("t1").next_run_time is not None
        async with client_for(admin, "10.1.2.3") as proxy:
            token = csrf_from((await proxy.get("/dashboard/tasks")).text)
            accepted = await proxy.post(
                "/dashboard/tasks/t1/pause", data={"csrf_token": token}, headers=headers
            )
            assert accepted.status_code == 303
            assert scheduler.get_task("t1").next_run_time is None
    finally:
        admin.close()


async def test_throttle_counts_the_forwarded_client_behind_a_trusted_proxy(
    scheduler: AsyncIOScheduler,
) -> None:
    config = DashboardConfig(secret_key=SECRET, trusted_forwarded_hosts=("10.0.0.1",))
    admin = AsynczAdmin(
        scheduler,
        config=config,
        enable_login=True,
        backend=SimpleUsernamePasswordBackend(verify),
    )

    async def attempt(client: httpx.AsyncClient, user: str, forwarded_for: str) -> int:
        token = csrf_from((await client.get("/dashboard/login")).text)
        response = await client.post(
            "/dashboard/login",
            data={"csrf_token": token, "username": user, "password": "wrong"},
            headers={"X-Forwarded-For": forwarded_for},
        )
        return response.status_code

    try:
        async with client_for(admin, "10.0.0.1") as proxy:
            # One attacker behind the proxy, five usernames: its address gets locked out ...
            codes = [await attempt(proxy, f"user{i}", "198.51.100.9") for i in range(6)]
            assert codes == [400, 400, 400, 400, 400, 429]
            # ... while another user behind the same proxy can still try.
            assert await attempt(proxy, "someone", "198.51.100.77") == 400
    finally:
        admin.close()


ORIGIN_CASES = [
    # (client, extra headers, Origin, accepted?)
    # nginx's default Host rewriting, with the forwarded host, scheme and port it is told to send
    (
        "10.1.2.3",
        {"X-Forwarded-Host": "ops.example", "X-Forwarded-Proto": "https"},
        "https://ops.example",
        True,
    ),
    (
        "10.1.2.3",
        {"X-Forwarded-Host": "ops.example:443", "X-Forwarded-Proto": "https"},
        "https://ops.example",
        True,
    ),
    (
        "10.1.2.3",
        {"X-Forwarded-Host": "ops.example", "X-Forwarded-Proto": "https"},
        "http://ops.example",
        False,
    ),
    (
        "10.1.2.3",
        {
            "X-Forwarded-Host": "ops.example",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Port": "8443",
        },
        "https://ops.example:8443",
        True,
    ),
    (
        "10.1.2.3",
        {
            "X-Forwarded-Host": "ops.example",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Port": "8443",
        },
        "https://ops.example",
        False,
    ),
    ("10.1.2.3", {"X-Forwarded-Host": "evil.test, ops.example"}, "https://evil.test", False),
    # From anyone else, the forwarded headers are ignored.
    (
        "192.0.2.7",
        {"X-Forwarded-Host": "ops.example", "X-Forwarded-Proto": "https"},
        "https://ops.example",
        False,
    ),
    # allowed_origins: named origins count as our own, even when the browser says same-site.
    ("192.0.2.7", {"Sec-Fetch-Site": "same-site"}, "https://portal.example", True),
    ("192.0.2.7", {"Sec-Fetch-Site": "same-site"}, "https://portal.example:443", True),
    ("192.0.2.7", {"Sec-Fetch-Site": "cross-site"}, "http://portal.example", False),
    ("192.0.2.7", {}, "https://portal.example:8443", False),
]


@pytest.mark.parametrize(("address", "headers", "origin", "accepted"), ORIGIN_CASES)
async def test_origin_check_behind_a_proxy_and_with_allowed_origins(
    scheduler: AsyncIOScheduler,
    address: str,
    headers: dict[str, str],
    origin: str,
    accepted: bool,
) -> None:
    scheduler.add_task(noop, "interval", minutes=5, id="t1")
    config = DashboardConfig(
        secret_key=SECRET,
        trusted_forwarded_hosts=("10.0.0.0/8",),
        allowed_origins=("https://portal.example",),
    )
    admin = AsynczAdmin(scheduler, config=config)
    try:
        async with client_for(admin, address) as client:
            token = csrf_from((await client.get("/dashboard/tasks")).text)
            response = await client.post(
                "/dashboard/tasks/t1/pause",
                data={"csrf_token": token},
                headers={**headers, "Host": "127.0.0.1:8000", "Origin": origin},
            )
        assert response.status_code == (303 if accepted else 403)
        assert (scheduler.get_task("t1").next_run_time is None) is accepted
    finally:
        admin.close()


async def test_throttle_ignores_client_written_forwarded_for_entries(
    scheduler: AsyncIOScheduler,
) -> None:
    """Rotating the leftmost X-Forwarded-For entry does not give an attacker fresh tries: the
    key is the rightmost hop that no trusted proxy added."""
    config = DashboardConfig(secret_key=SECRET, trusted_forwarded_hosts=("10.0.0.0/8",))
    admin = AsynczAdmin(
        scheduler, config=config, enable_login=True, backend=SimpleUsernamePasswordBackend(verify)
    )

    async def attempt(client: httpx.AsyncClient, user: str, forwarded_for: str) -> int:
        token = csrf_from((await client.get("/dashboard/login")).text)
        response = await client.post(
            "/dashboard/login",
            data={"csrf_token": token, "username": user, "password": "wrong"},
            headers={"X-Forwarded-For": forwarded_for},
        )
        return response.status_code

    try:
        async with client_for(admin, "10.0.0.1") as proxy:
            # Two proxies (10.0.0.2 then 10.0.0.1) appended the attacker's real address.
            codes = [
                await attempt(proxy, f"user{i}", f"203.0.113.{i}, 198.51.100.9, 10.0.0.2")
                for i in range(6)
            ]
            assert codes == [400, 400, 400, 400, 400, 429]
            assert await attempt(proxy, "someone", "198.51.100.77") == 400
            # One IPv6 host rotating inside its /64 is one address.
            codes = [await attempt(proxy, f"v6user{i}", f"2001:db8:1:2::{i}") for i in range(6)]
            assert codes == [400, 400, 400, 400, 400, 429]
        # Not through a trusted proxy: the header means nothing, the socket address counts.
        async with client_for(admin, "192.0.2.50") as direct:
            codes = [await attempt(direct, f"u{i}", f"203.0.113.{i}") for i in range(6)]
            assert codes == [400, 400, 400, 400, 400, 429]
    finally:
        admin.close()
