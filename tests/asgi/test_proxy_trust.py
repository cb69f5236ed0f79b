"""Forwarded headers count only from trusted proxies: CSRF's host check and the login throttle."""

from __future__ import annotations

import hmac

import httpx
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
