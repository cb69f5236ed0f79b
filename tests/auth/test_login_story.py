"""Issue 3, the login story end to end: form, wrong password, success, ``next``, the user's
name in the header, Sign out; under a Starlette ``Mount`` at a non-root path, a FastAPI
mount and ``include_in``; ``verify`` plain or async; a missing backend fails at once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from asgi_lifespan import LifespanManager
from asyncz.schedulers.asyncio import AsyncIOScheduler
from fastapi import FastAPI
from lilya.apps import Lilya
from lilya.responses import PlainText
from lilya.routing import Path
from quart import Quart
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from asyncz_dashboard import AsynczAdmin, DashboardConfig
from asyncz_dashboard.admin import SimpleUsernamePasswordBackend

from ..conftest import SECRET, csrf_from
from .conftest import AdminFactory
from .support import (
    PASSWORD,
    PREFIX,
    TASK_NAME,
    averify,
    buttons,
    client_for,
    header_user,
    hidden_next,
    login_url,
    starlette_host,
    verify,
)


def _starlette_mount(admin: AsynczAdmin) -> tuple[Any, str]:
    return starlette_host(admin, PREFIX), PREFIX


def _fastapi_mount(admin: AsynczAdmin) -> tuple[Any, str]:
    app = FastAPI()

    @app.get("/other")
    async def other() -> dict[str, str]:
        return {"host": "page"}

    app.mount("/admin/jobs", admin.get_asgi_app())
    return app, "/admin/jobs"


async def _host_text(request: Any) -> PlainTextResponse:
    return PlainTextResponse("host page")


def _starlette_include(admin: AsynczAdmin) -> tuple[Any, str]:
    return admin.include_in(Starlette(routes=[Route("/other", _host_text)])), "/dashboard"


def _fastapi_include(admin: AsynczAdmin) -> tuple[Any, str]:
    app = FastAPI()

    @app.get("/other")
    async def other() -> dict[str, str]:
        return {"host": "page"}

    return admin.include_in(app), "/dashboard"


def _lilya_include(admin: AsynczAdmin) -> tuple[Any, str]:
    async def other() -> PlainText:
        return PlainText("host page")

    return admin.include_in(Lilya(routes=[Path("/other", other)])), "/dashboard"


def _quart_include(admin: AsynczAdmin) -> tuple[Any, str]:
    app = Quart(__name__)

    @app.route("/other")
    async def other() -> str:
        return "host page"

    return admin.include_in(app), "/dashboard"


HOSTS: dict[str, Callable[[AsynczAdmin], tuple[Any, str]]] = {
    "starlette-mount-/ops/dashboard": _starlette_mount,
    "fastapi-mount-/admin/jobs": _fastapi_mount,
    "starlette-include_in": _starlette_include,
    "fastapi-include_in": _fastapi_include,
    "lilya-include_in": _lilya_include,
    "quart-include_in": _quart_include,
}


@pytest.mark.parametrize("host", list(HOSTS), ids=list(HOSTS))
@pytest.mark.parametrize("check", [verify, averify], ids=["plain-verify", "async-verify"])
async def test_login_story(make: AdminFactory, host: str, check: Callable[[str, str], Any]) -> None:
    admin = make(backend=SimpleUsernamePasswordBackend(check))
    app, prefix = HOSTS[host](admin)
    async with LifespanManager(app), client_for(app) as client:
        # Anonymous: the overview sends us to the login page, which knows where we were going.
        first = await client.get(f"{prefix}/")
        assert first.status_code == 303
        assert first.headers["location"] == login_url(prefix, f"{prefix}/")
        form = await client.get(first.headers["location"])
        assert form.status_code == 200
        assert form.headers["content-type"] == "text/html; charset=utf-8"
        assert "Sign in to Asyncz" in form.text
        assert f'action="{prefix}/login"' in form.text
        assert hidden_next(form.text) == f"{prefix}/"
        assert "Sign out" not in form.text
        token = csrf_from(form.text)

        # A wrong password: the message, the username kept, nobody signed in.
        wrong = await client.post(
            f"{prefix}/login",
            data={
                "csrf_token": token,
                "username": "ada",
                "password": "nope",
                "next": f"{prefix}/tasks",
            },
        )
        assert wrong.status_code == 400
        assert "Invalid username or password." in wrong.text
        assert 'value="ada"' in wrong.text
        assert hidden_next(wrong.text) == f"{prefix}/tasks"
        assert (await client.get(f"{prefix}/tasks")).status_code == 303

        # The right password: 303 to next, a fresh cookie, the user's name in the header.
        good = await client.post(
            f"{prefix}/login",
            data={
                "csrf_token": token,
                "username": "ada",
                "password": PASSWORD,
                "next": f"{prefix}/tasks",
            },
        )
        assert good.status_code == 303
        assert good.headers["location"] == f"{prefix}/tasks"
        assert good.headers.get_list("set-cookie")
        tasks = await client.get(good.headers["location"])
        assert tasks.status_code == 200
        assert TASK_NAME in tasks.text
        assert header_user(tasks.text) == "Ada Lovelace"
        assert "Sign out" in buttons(tasks.text)
        assert f'action="{prefix}/logout"' in tasks.text
        # Already signed in: the login page sends us on.
        again = await client.get(f"{prefix}/login?next={prefix}/tasks")
        assert again.status_code == 303
        assert again.headers["location"] == f"{prefix}/tasks"

        # Sign out: back to the login page with a message; the pages are closed again.
        out = await client.post(f"{prefix}/logout", data={"csrf_token": csrf_from(tasks.text)})
        assert out.status_code == 303
        assert out.headers["location"] == f"{prefix}/login?signed_out=1"
        signed_out = await client.get(out.headers["location"])
        assert "You have signed out." in signed_out.text
        closed = await client.get(f"{prefix}/tasks")
        assert closed.status_code == 303
        assert closed.headers["location"] == login_url(prefix, f"{prefix}/tasks")

        # The host's own pages are untouched by the gate.
        other = await client.get("/other")
        assert other.status_code == 200
        assert "host" in other.text


async def test_enable_login_without_backend_fails_at_construction(
    scheduler: AsyncIOScheduler,
) -> None:
    with pytest.raises(ValueError, match="enable_login=True needs a backend"):
        AsynczAdmin(scheduler, config=DashboardConfig(secret_key=SECRET), enable_login=True)


def test_verify_must_be_callable() -> None:
    with pytest.raises(TypeError, match="verify must be a callable"):
        SimpleUsernamePasswordBackend("not a function")  # type: ignore[arg-type]


async def test_verify_returning_anything_but_a_user_is_refused(make: AdminFactory) -> None:
    admin = make(backend=SimpleUsernamePasswordBackend(lambda u, p: True))
    async with client_for(starlette_host(admin)) as client:
        from .support import sign_in

        refused = await sign_in(client)
        assert refused.status_code == 400
        assert "Invalid username or password." in refused.text


async def test_login_off_sends_the_login_page_home(
    scheduler: AsyncIOScheduler,
) -> None:
    admin = AsynczAdmin(scheduler, config=DashboardConfig(secret_key=SECRET))
    try:
        async with client_for(starlette_host(admin)) as client:
            page = await client.get(f"{PREFIX}/login")
            assert page.status_code == 303
            assert page.headers["location"] == f"{PREFIX}/"
            assert (await client.get(f"{PREFIX}/tasks")).status_code == 200
    finally:
        admin.close()


async def test_extra_user_attributes_survive_the_session(make: AdminFactory) -> None:
    seen: list[Any] = []

    def hook(user: Any) -> set[str]:
        seen.append(user)
        return {"view"}

    admin = make(permissions=hook)
    async with client_for(starlette_host(admin)) as client:
        from .support import sign_in

        assert (await sign_in(client)).status_code == 303
        assert (await client.get(f"{PREFIX}/tasks")).status_code == 200
    assert seen[-1].role == "ops"
    assert seen[-1].name == "Ada Lovelace"
