"""Allowed hosts (issue 7, point 6): a request for a host name that is not allowed is 400
before any view runs (DNS rebinding); from a trusted proxy, X-Forwarded-Host is checked."""

from __future__ import annotations

import httpx
import pytest
from asgi_lifespan import LifespanManager
from asyncz.schedulers.asyncio import AsyncIOScheduler

from asyncz_dashboard import DashboardConfig
from asyncz_dashboard.asgi.security import SECURITY_HEADERS
from asyncz_dashboard.cli import allowed_hosts_for, build_site

from ..conftest import SECRET, csrf_from, make_scheduler, noop
from .conftest import ROOT, AdminFactory, client_for

ALLOWED = ("dash.example.com", "*.ops.example.com", "[::1]", "192.0.2.10")


def assert_refused(response: httpx.Response) -> None:
    assert response.status_code == 400
    assert response.text == "Invalid Host header"
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value


@pytest.mark.parametrize(
    ("host", "status"),
    [
        ("dash.example.com", 200),
        ("DASH.Example.COM:8443", 200),
        ("dash.example.com.", 200),
        ("a.ops.example.com", 200),
        ("b.a.ops.example.com:80", 200),
        ("ops.example.com", 400),
        ("evil.test", 400),
        ("dash.example.com.evil.test", 400),
        ("[::1]:8000", 200),
        ("[0:0:0:0:0:0:0:1]", 200),
        ("192.0.2.10:8000", 200),
        ("192.0.2.11", 400),
        ("dash.example.com@evil.test", 400),
        ("", 400),
    ],
)
async def test_only_allowed_host_names_are_answered(
    make_admin: AdminFactory, host: str, status: int
) -> None:
    admin = make_admin(allowed_hosts=ALLOWED)
    async with client_for(admin.get_asgi_app()) as client:
        response = await client.get(f"{ROOT}/tasks", headers={"host": host})
    if status == 400:
        assert_refused(response)
    else:
        assert response.status_code == 200, response.text


async def test_embedded_default_answers_any_host(make_admin: AdminFactory) -> None:
    admin = make_admin()
    async with client_for(admin.get_asgi_app()) as client:
        response = await client.get(f"{ROOT}/tasks", headers={"host": "whatever.test"})
    assert response.status_code == 200


async def test_a_post_for_a_wrong_host_changes_nothing(
    make_admin: AdminFactory, scheduler: AsyncIOScheduler
) -> None:
    scheduler.add_task(noop, "interval", minutes=5, id="t1")
    admin = make_admin(allowed_hosts=ALLOWED)
    async with client_for(admin.get_asgi_app()) as client:
        page = await client.get(f"{ROOT}/tasks", headers={"host": "dash.example.com"})
        token = csrf_from(page.text)
        refused = await client.post(
            f"{ROOT}/tasks/t1/pause", data={"csrf_token": token}, headers={"host": "evil.test"}
        )
    assert_refused(refused)
    assert scheduler.get_task("t1").next_run_time is not None


async def test_forwarded_host_is_checked_only_from_a_trusted_proxy(
    make_admin: AdminFactory,
) -> None:
    admin = make_admin(allowed_hosts=ALLOWED, trusted_forwarded_hosts=("10.0.0.1",))
    app = admin.get_asgi_app()
    # nginx's default: Host is the upstream's address, the public name is X-Forwarded-Host.
    proxied = {"host": "127.0.0.1:8000", "x-forwarded-host": "dash.example.com"}
    async with client_for(app, client=("10.0.0.1", 4000)) as proxy:
        assert (await proxy.get(f"{ROOT}/tasks", headers=proxied)).status_code == 200
        rebound = {"host": "dash.example.com", "x-forwarded-host": "evil.test"}
        assert_refused(await proxy.get(f"{ROOT}/tasks", headers=rebound))
        # The proxy's own entry is the rightmost: a client-written one to its left is ignored.
        spoofed = {"host": "x", "x-forwarded-host": "dash.example.com, evil.test"}
        assert_refused(await proxy.get(f"{ROOT}/tasks", headers=spoofed))
    async with client_for(app, client=("192.0.2.7", 4000)) as stranger:
        forged = {"host": "evil.test", "x-forwarded-host": "dash.example.com"}
        assert_refused(await stranger.get(f"{ROOT}/tasks", headers=forged))


@pytest.mark.parametrize(
    ("settings", "error"),
    [
        ({"allowed_hosts": ("bad host",)}, ValueError),
        ({"allowed_hosts": ("https://dash.example.com",)}, ValueError),
        ({"allowed_hosts": ("a.*.example.com",)}, ValueError),
        ({"allowed_hosts": ()}, ValueError),
        ({"allowed_hosts": "dash.example.com"}, TypeError),
        ({"allowed_origins": ("ops.example.com",)}, ValueError),
        ({"allowed_origins": ("https://ops.example.com/path",)}, ValueError),
        ({"allowed_origins": ("ftp://ops.example.com",)}, ValueError),
    ],
)
def test_malformed_settings_are_refused_at_once(
    settings: dict[str, object], error: type[Exception]
) -> None:
    with pytest.raises(error):
        DashboardConfig(**settings)  # type: ignore[arg-type]


def test_settings_are_normalised() -> None:
    config = DashboardConfig(
        allowed_hosts=("Dash.Example.com:8000", "::1", "*.Ops.example.com", "dash.example.com"),
        allowed_origins=("HTTPS://Ops.Example.com", "http://[::1]:8000"),
    )
    assert config.allowed_hosts == ("dash.example.com", "[::1]", "*.ops.example.com")
    assert config.allowed_origins == ("https://ops.example.com:443", "http://[::1]:8000")


def test_the_cli_allows_loopback_and_its_bind_host_but_never_every_host() -> None:
    assert allowed_hosts_for("127.0.0.1") == ("localhost", "127.0.0.1", "[::1]")
    assert allowed_hosts_for("0.0.0.0", ["ops.example.com"]) == (
        "localhost",
        "127.0.0.1",
        "[::1]",
        "ops.example.com",
    )
    assert allowed_hosts_for("::")[-1] == "[::1]"
    assert allowed_hosts_for("10.1.2.3")[-1] == "10.1.2.3"


async def test_dns_rebinding_on_the_cli_site_is_refused_everywhere() -> None:
    """A page on rebind.attacker.test (resolving to 127.0.0.1) reads nothing and acts on
    nothing: not the dashboard, not the CLI's own / redirect or 404."""
    scheduler = make_scheduler()
    scheduler.add_task(noop, "interval", minutes=5, id="t1", name="Secret task")
    site, admin = build_site(scheduler, "/dashboard", SECRET)
    transport = httpx.ASGITransport(app=site, client=("127.0.0.1", 50000))
    try:
        async with (
            LifespanManager(site),
            httpx.AsyncClient(transport=transport, base_url="http://localhost:8000") as c,
        ):
            page = await c.get("/dashboard/tasks")
            assert page.status_code == 200 and "Secret task" in page.text
            assert (await c.get("/")).headers["location"] == "/dashboard/"
            token = csrf_from(page.text)
            evil = {"host": "rebind.attacker.test:8000"}
            for path in ("/dashboard/tasks", "/dashboard/health", "/", "/elsewhere"):
                assert_refused(await c.get(path, headers=evil))
            refused = await c.post(
                "/dashboard/tasks/t1/pause", data={"csrf_token": token}, headers=evil
            )
            assert_refused(refused)
            assert scheduler.get_task("t1").next_run_time is not None
            for host in ("127.0.0.1:8000", "[::1]:8000"):
                assert (await c.get("/dashboard/tasks", headers={"host": host})).status_code == 200
    finally:
        admin.close()
