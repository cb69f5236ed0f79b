"""The reference dashboard's documented examples (asyncz.contrib.dashboard, asyncz 0.17.2),
ported to our import, and every constructor argument it has."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from asyncz.schedulers.asyncio import AsyncIOScheduler
from asyncz.stores.memory import MemoryStore

from asyncz_dashboard import DashboardConfig, create_dashboard_app
from asyncz_dashboard.admin import AsynczAdmin, SimpleUsernamePasswordBackend, User
from asyncz_dashboard.storage.memory import (
    MemoryAuditStorage,
    MemoryLogStorage,
    MemoryRunStorage,
)

from ..conftest import SECRET, csrf_from, noop
from ..mounting.support import serve

CONFIG = DashboardConfig(secret_key=SECRET)


@pytest.fixture
async def scheduler() -> AsyncIterator[AsyncIOScheduler]:
    sched = AsyncIOScheduler()
    sched.start()
    sched.add_task(noop, "interval", minutes=5, id="job", name="Job")
    yield sched
    if sched.running:
        sched.shutdown(wait=False)
    await asyncio.sleep(0)


def links(html: str) -> list[str]:
    """The URLs a page renders (not its in-page ``#`` anchors)."""
    found = re.findall(r'(?:href|src|action|hx-get)="([^"#][^"]*)"', html)
    assert found
    return found


# -- the documented examples -----------------------------------------------------------------
async def test_mounting_with_lilya(scheduler: AsyncIOScheduler) -> None:
    from lilya.apps import Lilya

    app = Lilya()
    admin = AsynczAdmin(scheduler=scheduler, config=CONFIG)
    admin.include_in(app)
    try:
        async with serve(app) as client:
            page = await client.get("/dashboard/tasks")
        assert page.status_code == 200 and "Job" in page.text
        assert all(url.startswith("/dashboard/") for url in links(page.text))
    finally:
        admin.close()


async def test_mounting_in_starlette(scheduler: AsyncIOScheduler) -> None:
    from starlette.applications import Starlette
    from starlette.routing import Mount

    admin = AsynczAdmin(scheduler=scheduler, config=CONFIG)
    app = Starlette(routes=[Mount("/dashboard", app=admin.get_asgi_app())])
    try:
        async with serve(app) as client:
            page = await client.get("/dashboard/tasks/job")
        assert page.status_code == 200
        assert all(url.startswith("/dashboard/") for url in links(page.text))
    finally:
        admin.close()


async def test_login_support(scheduler: AsyncIOScheduler) -> None:
    def verify(username: str, password: str) -> User | None:
        if username == "admin" and password == "secret":
            return User(id="admin", name="Admin")
        return None

    admin = AsynczAdmin(
        scheduler=scheduler,
        enable_login=True,
        backend=SimpleUsernamePasswordBackend(verify),
        config=CONFIG,
    )
    try:
        async with serve(admin.get_asgi_app(with_url_prefix=True)) as client:
            gate = await client.get("/dashboard/tasks")
            assert gate.status_code == 303
            assert gate.headers["location"].startswith("/dashboard/login?next=")
            form = await client.get(gate.headers["location"])
            signed = await client.post(
                "/dashboard/login",
                data={
                    "username": "admin",
                    "password": "secret",
                    "next": "/dashboard/tasks",
                    "csrf_token": csrf_from(form.text),
                },
            )
            assert (signed.status_code, signed.headers["location"]) == (303, "/dashboard/tasks")
            page = await client.get("/dashboard/tasks")
            assert page.status_code == 200 and 'title="Signed in as admin"' in page.text
    finally:
        admin.close()


async def test_reverse_proxy(scheduler: AsyncIOScheduler) -> None:
    from starlette.applications import Starlette

    admin = AsynczAdmin(
        scheduler=scheduler,
        url_prefix="/dashboard",
        enable_forward_middleware=True,
        trusted_forwarded_hosts=("127.0.0.1", "::1"),
        config=CONFIG,
    )
    app = admin.include_in(Starlette())
    try:
        for client_ip, expected in (
            ("127.0.0.1", "/ops/dashboard/"),
            ("203.0.113.9", "/dashboard/"),
        ):
            transport = httpx.ASGITransport(app=app, client=(client_ip, 5000))
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                page = await client.get("/dashboard/tasks", headers={"X-Forwarded-Prefix": "/ops"})
            assert page.status_code == 200
            assert all(url.startswith(expected) for url in links(page.text)), client_ip
    finally:
        admin.close()


async def test_custom_log_and_run_history_storage(scheduler: AsyncIOScheduler) -> None:
    logs, runs = MemoryLogStorage(max_rows=20_000), MemoryRunStorage(max_rows=10_000)
    audit = MemoryAuditStorage()
    admin = AsynczAdmin(
        scheduler=scheduler,
        log_storage=logs,
        run_history_storage=runs,
        audit_storage=audit,
        config=CONFIG,
    )
    try:
        assert admin.storages.logs is logs and admin.storages.runs is runs
        assert admin.storages.audit is audit
    finally:
        admin.close()


# -- every constructor argument ------------------------------------------------------------
async def test_without_a_scheduler_an_asyncio_scheduler_with_a_memory_store_is_built() -> None:
    admin = AsynczAdmin(config=CONFIG)
    try:
        assert isinstance(admin.scheduler, AsyncIOScheduler)
        assert not admin.scheduler.running
        admin.scheduler.start()
        assert isinstance(admin.scheduler.stores["default"], MemoryStore)
        admin.scheduler.add_task(noop, "interval", minutes=1, id="mine")
        async with serve(admin.get_asgi_app()) as client:
            page = await client.get("/tasks/mine")
        assert page.status_code == 200
    finally:
        admin.close()
        admin.scheduler.shutdown(wait=False)
        await asyncio.sleep(0)


async def test_url_prefix_is_the_dashboard_url_prefix(scheduler: AsyncIOScheduler) -> None:
    from starlette.applications import Starlette

    admin = AsynczAdmin(scheduler, url_prefix="/ops/jobs/", config=CONFIG)
    try:
        assert admin.config.dashboard_url_prefix == "/ops/jobs"
        async with serve(admin.include_in(Starlette())) as client:
            assert (await client.get("/ops/jobs/tasks")).status_code == 200
            assert (await client.get("/dashboard/tasks")).status_code == 404
        with pytest.raises(ValueError, match="must start with '/'"):
            AsynczAdmin(scheduler, url_prefix="ops", config=CONFIG)
    finally:
        admin.close()


async def test_get_asgi_app_with_url_prefix_serves_only_under_the_prefix(
    scheduler: AsyncIOScheduler,
) -> None:
    started: list[str] = []

    async def hook() -> None:
        started.append("up")

    admin = AsynczAdmin(scheduler, url_prefix="/admin", config=CONFIG, on_startup=(hook,))
    try:
        async with serve(admin.get_asgi_app(with_url_prefix=True)) as client:
            page = await client.get("/admin/tasks")
            assert page.status_code == 200
            assert all(url.startswith("/admin/") for url in links(page.text))
            assert (await client.get("/admin/")).status_code == 200
            assert (await client.get("/tasks")).status_code == 404
            assert (await client.get("/adminx")).status_code == 404
        assert started == ["up"]
    finally:
        admin.close()


@pytest.mark.parametrize(
    ("trusted", "client_ip", "honoured"),
    [
        (("10.0.0.0/8",), "10.1.2.3", True),
        (("10.0.0.0/8",), "192.0.2.1", False),
        (("*",), "192.0.2.1", True),
        (("proxy.internal",), "proxy.internal", True),
        (("proxy.internal",), "192.0.2.1", False),
        ("10.1.2.3", "10.1.2.3", True),  # one string is one address, not its characters
    ],
)
async def test_trusted_forwarded_hosts(
    scheduler: AsyncIOScheduler, trusted: Any, client_ip: str, honoured: bool
) -> None:
    admin = AsynczAdmin(
        scheduler, enable_forward_middleware=True, trusted_forwarded_hosts=trusted, config=CONFIG
    )
    try:
        transport = httpx.ASGITransport(app=admin.get_asgi_app(), client=(client_ip, 1))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            page = await client.get("/tasks", headers={"X-Forwarded-Prefix": "/edge"})
        assert page.status_code == 200
        assert ('href="/edge/tasks' in page.text) is honoured
    finally:
        admin.close()


async def test_forwarded_headers_are_off_unless_enabled_or_hosts_given(
    scheduler: AsyncIOScheduler,
) -> None:
    cases = [
        ({}, ()),
        ({"enable_forward_middleware": True}, ("127.0.0.1", "::1", "localhost")),
        ({"trusted_forwarded_hosts": ["10.0.0.1"]}, ("10.0.0.1",)),
        ({"enable_forward_middleware": False, "trusted_forwarded_hosts": ["10.0.0.1"]}, ()),
    ]
    for kwargs, expected in cases:
        admin = AsynczAdmin(scheduler, config=CONFIG, **kwargs)
        admin.close()
        assert admin.config.trusted_forwarded_hosts == expected, kwargs


async def test_arguments_we_honour_differently_are_accepted_with_a_note(
    scheduler: AsyncIOScheduler, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="asyncz_dashboard")
    admin = AsynczAdmin(
        scheduler,
        config=CONFIG,
        login_path="/sign-in",
        include_session=False,
        include_cors=True,
        allowlist=("/login", "/public"),
    )
    try:
        notes = " ".join(r.getMessage() for r in caplog.records)
        assert "login_path='/sign-in'" in notes and "<dashboard prefix>/login" in notes
        assert "include_session=False" in notes
        assert "no CORS policy is added" in notes
        assert "allowlist: public paths are fixed" in notes
        transport = httpx.ASGITransport(app=admin.get_asgi_app())
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            page = await client.get("/tasks", headers={"Origin": "https://evil.example"})
            preflight = await client.options(
                "/tasks/job/run",
                headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
            )
        assert not any(h.startswith("access-control-") for h in page.headers)
        assert not any(h.startswith("access-control-") for h in preflight.headers)
        assert preflight.status_code == 405
    finally:
        admin.close()


async def test_the_reference_defaults_log_nothing(
    scheduler: AsyncIOScheduler, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="asyncz_dashboard")
    admin = AsynczAdmin(
        scheduler=scheduler,
        config=CONFIG,
        login_path="/login",
        include_session=True,
        include_cors=False,
    )
    admin.close()
    assert [r for r in caplog.records if "AsynczAdmin:" in r.getMessage()] == []


async def test_create_dashboard_app(scheduler: AsyncIOScheduler) -> None:
    from starlette.applications import Starlette
    from starlette.routing import Mount

    app = create_dashboard_app(scheduler, config=CONFIG)
    host = Starlette(routes=[Mount("/jobs", app=app)])
    try:
        async with serve(host) as client:
            page = await client.get("/jobs/tasks/job")
        assert page.status_code == 200 and "Job" in page.text
        assert app.admin.scheduler is scheduler
    finally:
        app.admin.close()


async def test_backend_accepts_session_key_and_login_template(
    scheduler: AsyncIOScheduler, tmp_path: Path
) -> None:
    (tmp_path / "my_login.html").write_text(
        '{% extends "login.html" %}{% block title %}Ops sign-in{% endblock %}'
    )
    users = {"ada": User(id="ada", name="Ada", is_admin=False)}
    backend = SimpleUsernamePasswordBackend(
        lambda u, p: users.get(u) if p == "pw" else None,
        session_key="ops_admin",
        login_template="my_login.html",
    )
    assert backend.session_key == "ops_admin"

    def permissions(user: User) -> set[str]:
        return {"view", "run", "pause", "resume", "remove"} if user.is_admin else {"view"}

    admin = AsynczAdmin(
        scheduler,
        config=CONFIG,
        enable_login=True,
        backend=backend,
        template_directory=str(tmp_path),
        permissions=permissions,
    )
    missing = AsynczAdmin(
        scheduler,
        config=CONFIG,
        enable_login=True,
        backend=SimpleUsernamePasswordBackend(lambda u, p: None, login_template="absent.html"),
    )
    try:
        async with serve(admin.get_asgi_app()) as client:
            form = await client.get("/login")
            assert "<title>Ops sign-in</title>" in form.text
            await client.post(
                "/login",
                data={"username": "ada", "password": "pw", "csrf_token": csrf_from(form.text)},
            )
            page = await client.get("/tasks/job")
            assert page.status_code == 200
            assert "Run now" not in page.text  # is_admin=False survived the session
        async with serve(missing.get_asgi_app()) as client:
            fallback = await client.get("/login")
            assert fallback.status_code == 200 and "Sign in to" in fallback.text
    finally:
        admin.close()
        missing.close()


def test_user_is_admin_defaults_to_true_as_in_the_reference() -> None:
    assert User(id="a", name="A").is_admin is True
    assert User(id="a", name="A", is_admin=False).is_admin is False
    assert User(id="a", name="A", is_admin=True, team="ops").team == "ops"
