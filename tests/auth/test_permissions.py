"""Permissions (issue 3, part 6): ``read_only``, the ``permissions`` hook, and the
``TrustedHeaderBackend``. Forbidden controls are not rendered; forbidden actions are 403
even when crafted by hand with a valid CSRF token, and change nothing."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from asyncz.schedulers.asyncio import AsyncIOScheduler

from asyncz_dashboard import AsynczAdmin, DashboardConfig
from asyncz_dashboard.admin import TrustedHeaderBackend, User
from asyncz_dashboard.views.routes import ROUTES

from ..conftest import SECRET, csrf_from
from .conftest import AdminFactory
from .support import (
    HX,
    PREFIX,
    TASK_NAME,
    buttons,
    client_for,
    header_user,
    page_token,
    sign_in,
    starlette_host,
)

ACTION_ROUTES = [r for r in ROUTES if r.permission != "view" and "POST" in r.methods]
ACTION_LABELS = {"Run", "Run now", "Pause", "Resume", "Remove", "Pause scheduler"}
PAGES = [f"{PREFIX}/", f"{PREFIX}/tasks", f"{PREFIX}/tasks/t1", f"{PREFIX}/tasks/t2"]


def _state(scheduler: AsyncIOScheduler) -> tuple[Any, ...]:
    return (
        scheduler.state,
        sorted(t.id for t in scheduler.get_tasks()),
        scheduler.get_task("t1").next_run_time,
        scheduler.get_task("t2").next_run_time,
    )


def _hx_token(html: str) -> str:
    """The token htmx sends in its header (a page without forms still carries it)."""
    match = re.search(r'"X-CSRF-Token": "([^"]+)"', html)
    assert match
    return match.group(1)


def _action_url(path: str) -> str:
    return PREFIX + path.replace("{task_id}", "t1")


async def _rendered_buttons(client: httpx.AsyncClient) -> set[str]:
    seen: set[str] = set()
    for page in PAGES:
        response = await client.get(page)
        assert response.status_code == 200, page
        seen.update(buttons(response.text))
    table = await client.get(f"{PREFIX}/tasks/partials/table", headers=HX)
    seen.update(buttons(table.text))
    return seen


def test_every_action_route_has_a_permission() -> None:
    names = {r.name: r.permission for r in ACTION_ROUTES}
    assert names == {
        "scheduler_pause": "pause_scheduler",
        "scheduler_resume": "pause_scheduler",
        "worker_pause": "pause_scheduler",
        "worker_resume": "pause_scheduler",
        "task_run": "run",
        "task_pause": "pause",
        "task_resume": "resume",
        "task_remove": "remove",
        "task_edit": "edit",
        "worker_forget": "remove",
    }


@pytest.mark.parametrize("login", [False, True], ids=["login-off", "login-on"])
async def test_read_only_renders_no_controls_and_refuses_every_action(
    make: AdminFactory, tasks: AsyncIOScheduler, login: bool
) -> None:
    admin = make(read_only=True, enable_login=login)
    app = starlette_host(admin)
    async with client_for(app) as client:
        if login:
            assert (await sign_in(client)).status_code == 303
        seen = await _rendered_buttons(client)
        assert not seen & ACTION_LABELS, seen
        listing = (await client.get(f"{PREFIX}/tasks")).text
        assert TASK_NAME in listing
        assert 'name="action"' not in listing
        assert 'name="task_id"' not in listing  # no bulk checkboxes
        assert "Selected: 0" not in listing
        assert "scheduler/pause" not in (await client.get(f"{PREFIX}/")).text
        if login:
            assert header_user(listing) == "Ada Lovelace"
        else:
            assert header_user(listing) == "read-only"

        token = await page_token(client)
        before = _state(tasks)
        for route in ACTION_ROUTES:
            for htmx in (False, True):
                response = await client.post(
                    _action_url(route.path),
                    headers=HX if htmx else {},
                    data={"csrf_token": token},
                )
                assert response.status_code == 403, route.path
                assert "You are not allowed to do this." in response.text
        for verb in ("run", "pause", "resume", "remove"):
            response = await client.post(
                f"{PREFIX}/tasks/bulk",
                data={"csrf_token": token, "action": verb, "task_id": ["t1", "t2"]},
            )
            assert response.status_code == 403, verb
            assert f"You are not allowed to {verb} tasks." in response.text
        assert _state(tasks) == before


async def test_a_hook_granting_view_and_pause(make: AdminFactory, tasks: AsyncIOScheduler) -> None:
    granted: list[str] = []

    def permissions(user: User) -> set[str]:
        granted.append(user.id)
        return {"view", "pause", "no-such-permission"}

    app = starlette_host(make(permissions=permissions))
    async with client_for(app) as client:
        assert (await sign_in(client)).status_code == 303
        seen = await _rendered_buttons(client)
        assert "Pause" in seen
        assert not seen & {"Run", "Run now", "Resume", "Remove", "Pause scheduler"}, seen
        listing = (await client.get(f"{PREFIX}/tasks")).text
        assert 'name="action" value="pause"' in listing
        for verb in ("run", "resume", "remove"):
            assert f'name="action" value="{verb}"' not in listing

        token = await page_token(client)
        before = _state(tasks)
        for verb in ("run", "resume", "remove"):
            refused = await client.post(f"{PREFIX}/tasks/t1/{verb}", data={"csrf_token": token})
            assert refused.status_code == 403, verb
            bulk = await client.post(
                f"{PREFIX}/tasks/bulk",
                data={"csrf_token": token, "action": verb, "task_id": "t1"},
            )
            assert bulk.status_code == 403, verb
        for path in ("/scheduler/pause", "/scheduler/resume"):
            assert (await client.post(PREFIX + path, data={"csrf_token": token})).status_code == 403
        assert _state(tasks) == before

        paused = await client.post(f"{PREFIX}/tasks/t1/pause", data={"csrf_token": token})
        assert paused.status_code == 303
        assert tasks.get_task("t1").next_run_time is None
        page = await client.get(paused.headers["location"])
        assert f"Paused &#39;{TASK_NAME}&#39;." in page.text
        # Paused now, and no right to resume it: no Resume button appears in its row.
        assert "Resume" not in buttons(page.text)
    assert set(granted) == {"ada"}


async def test_a_hook_can_tell_users_apart(make: AdminFactory, tasks: AsyncIOScheduler) -> None:
    def permissions(user: User) -> set[str]:
        return (
            {"view", "run", "pause", "resume", "remove", "pause_scheduler"}
            if getattr(user, "role", None) == "ops"
            else {"view"}
        )

    app = starlette_host(make(permissions=permissions))
    async with client_for(app) as ada, client_for(app) as bob:
        await sign_in(ada)
        await sign_in(bob, username="bob")
        assert "Pause scheduler" in buttons((await ada.get(f"{PREFIX}/")).text)
        assert "Pause scheduler" not in buttons((await bob.get(f"{PREFIX}/")).text)
        token = await page_token(bob)
        assert (
            await bob.post(f"{PREFIX}/scheduler/pause", data={"csrf_token": token})
        ).status_code == 403
        assert tasks.state == 1
        token = await page_token(ada)
        assert (
            await ada.post(f"{PREFIX}/scheduler/pause", data={"csrf_token": token})
        ).status_code == 303
        assert tasks.state == 2  # paused
        tasks.resume()


async def test_read_only_caps_a_generous_hook(make: AdminFactory, tasks: AsyncIOScheduler) -> None:
    app = starlette_host(make(read_only=True, permissions=lambda user: {"view", "run", "remove"}))
    async with client_for(app) as client:
        await sign_in(client)
        token = await page_token(client)
        assert (
            await client.post(f"{PREFIX}/tasks/t1/remove", data={"csrf_token": token})
        ).status_code == 403
        assert tasks.get_task("t1") is not None


async def test_a_user_without_view_sees_nothing(make: AdminFactory) -> None:
    app = starlette_host(make(permissions=lambda user: set()))
    async with client_for(app) as client:
        assert (await sign_in(client)).status_code == 303
        for page in PAGES:
            response = await client.get(page)
            assert response.status_code == 403
            assert TASK_NAME not in response.text
        assert (await client.get(f"{PREFIX}/health")).status_code == 200


# TrustedHeaderBackend -------------------------------------------------------------------------


def _proxy_admin(make: AdminFactory, **options: Any) -> AsynczAdmin:
    options.setdefault("trusted_proxies", ("127.0.0.1", "10.0.0.0/8", "::1"))
    return make(backend=TrustedHeaderBackend(name_header="X-Forwarded-Name", **options))


@pytest.mark.parametrize("address", ["127.0.0.1", "10.0.0.1", "10.200.3.4", "::1"])
async def test_trusted_proxy_header_is_honoured(make: AdminFactory, address: str) -> None:
    app = starlette_host(_proxy_admin(make))
    headers = {"X-Forwarded-User": "alice", "X-Forwarded-Name": "Alice Ops"}
    async with client_for(app, address=address) as client:
        page = await client.get(f"{PREFIX}/tasks", headers=headers)
        assert page.status_code == 200
        assert TASK_NAME in page.text
        assert header_user(page.text) == "Alice Ops"
        assert "Sign out" not in buttons(page.text)  # the proxy signs users out, not us
        # Actions work with the page's token, as for any user.
        paused = await client.post(
            f"{PREFIX}/tasks/t1/pause", headers=headers, data={"csrf_token": csrf_from(page.text)}
        )
        assert paused.status_code == 303


@pytest.mark.parametrize("address", ["192.168.1.5", "11.0.0.1", "127.0.0.2", "2001:db8::1"])
async def test_header_from_anyone_else_is_ignored(
    make: AdminFactory, tasks: AsyncIOScheduler, address: str
) -> None:
    app = starlette_host(_proxy_admin(make))
    async with client_for(app, address=address) as client:
        headers = {"X-Forwarded-User": "alice"}
        page = await client.get(f"{PREFIX}/tasks", headers=headers)
        assert page.status_code == 303
        assert page.headers["location"].startswith(f"{PREFIX}/login?next=")
        htmx = await client.get(f"{PREFIX}/tasks/partials/table", headers={**headers, **HX})
        assert htmx.status_code == 401
        login = await client.get(page.headers["location"], headers=headers)
        assert login.status_code == 200
        assert "Sign-in is handled by the proxy in front of this dashboard." in login.text
        assert 'name="password"' not in login.text
        # The form cannot be used to sign in either.
        posted = await client.post(
            f"{PREFIX}/login",
            headers=headers,
            data={"csrf_token": _hx_token(login.text), "username": "alice", "password": "x"},
        )
        assert posted.status_code == 400
        assert (await client.get(f"{PREFIX}/tasks", headers=headers)).status_code == 303
    assert tasks.get_task("t1").next_run_time is not None


async def test_trusted_proxy_without_the_header_asks_for_sign_in(make: AdminFactory) -> None:
    app = starlette_host(_proxy_admin(make))
    async with client_for(app) as client:
        for value in ("", "   ", "x" * 300):
            page = await client.get(f"{PREFIX}/tasks", headers={"X-Forwarded-User": value})
            assert page.status_code == 303
        assert (await client.get(f"{PREFIX}/tasks")).status_code == 303


async def test_custom_header_name_and_a_permissions_hook(
    make: AdminFactory, tasks: AsyncIOScheduler
) -> None:
    admin = make(
        backend=TrustedHeaderBackend(header="Remote-User", trusted_proxies=["10.0.0.0/8"]),
        permissions=lambda user: {"view"} if user.id == "viewer" else {"view", "run"},
    )
    app = starlette_host(admin)
    async with client_for(app, address="10.1.1.1") as client:
        page = await client.get(f"{PREFIX}/tasks", headers={"Remote-User": "viewer"})
        assert page.status_code == 200
        assert header_user(page.text) == "viewer"
        assert "Run" not in buttons(page.text)
        assert (
            await client.get(f"{PREFIX}/tasks", headers={"X-Forwarded-User": "x"})
        ).status_code == 303
        refused = await client.post(
            f"{PREFIX}/tasks/t1/run",
            headers={"Remote-User": "viewer"},
            data={"csrf_token": csrf_from(page.text)},
        )
        assert refused.status_code == 403


def test_trusted_header_backend_needs_a_proxy_and_valid_addresses() -> None:
    with pytest.raises(ValueError, match="at least one trusted proxy"):
        TrustedHeaderBackend(trusted_proxies=())
    with pytest.raises(ValueError):
        TrustedHeaderBackend(trusted_proxies=["not-an-address"])


async def test_a_custom_backend_object_is_checked_at_construction(
    scheduler: AsyncIOScheduler,
) -> None:
    with pytest.raises(TypeError, match="AuthBackend"):
        AsynczAdmin(
            scheduler,
            config=DashboardConfig(secret_key=SECRET),
            enable_login=True,
            backend=object(),  # type: ignore[arg-type]
        )
