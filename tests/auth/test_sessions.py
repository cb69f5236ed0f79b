"""Session hygiene (issue 3, part 3) and F23: rotation on login, server-side revocation on
logout, ``max_age``, bad cookies read as "signed out", one deterministic cookie ``Path``."""

from __future__ import annotations

import asyncio
import logging
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from asyncz.schedulers.asyncio import AsyncIOScheduler

from asyncz_dashboard import AsynczAdmin, DashboardConfig
from asyncz_dashboard.admin import SECRET_ENV

from ..conftest import SECRET, csrf_from, noop
from ..history.support import flashes
from ..storage.conftest import pg_url, postgres_ready, sqlite_url  # noqa: F401 (fixtures)
from .conftest import AdminFactory
from .support import (
    COOKIE,
    HX,
    PREFIX,
    client_for,
    cookie_attributes,
    forge_cookie,
    get_with_cookie,
    login_token,
    login_url,
    page_token,
    session_of,
    set_cookies,
    sign_in,
    signed_in_session,
    starlette_host,
)


def _only_cookie(response: httpx.Response) -> tuple[str, dict[str, str]]:
    headers = set_cookies(response)
    assert len(headers) == 1, headers
    return cookie_attributes(headers[0])


def _value(response: httpx.Response) -> str:
    first, _ = _only_cookie(response)
    name, _, value = first.partition("=")
    assert name == COOKIE
    return value


# Rotation ----------------------------------------------------------------------------------


async def test_login_rotates_the_session_and_its_csrf_token(
    make: AdminFactory, tasks: AsyncIOScheduler
) -> None:
    app = starlette_host(make())
    async with client_for(app) as client:
        page = await client.get(f"{PREFIX}/login")
        before_cookie = _value(page)
        before_token = csrf_from(page.text)
        assert "user" not in session_of(before_cookie)
        signed = await sign_in(client, token=before_token)
        assert signed.status_code == 303
        after_cookie = _value(signed)
        after = session_of(after_cookie)
        assert after_cookie != before_cookie
        assert after["csrf"] != before_token
        assert after["user"] == {"id": "ada", "name": "Ada Lovelace", "extra": {"role": "ops"}}
        assert len(after["sid"]) >= 32
        # The pre-login token no longer authorises anything.
        stale = await client.post(f"{PREFIX}/tasks/t1/pause", data={"csrf_token": before_token})
        assert stale.status_code == 403
        assert tasks.get_task("t1").next_run_time is not None
        assert await page_token(client) == after["csrf"]

    # The pre-login cookie (a fixated session) is still anonymous.
    fixated = await get_with_cookie(app, f"{PREFIX}/tasks", before_cookie)
    assert fixated.status_code == 303
    assert (await get_with_cookie(app, f"{PREFIX}/tasks", after_cookie)).status_code == 200

    # A second login gets another session id.
    async with client_for(app) as client:
        again = session_of(_value(await sign_in(client)))
        assert again["sid"] != after["sid"]
        assert again["csrf"] != after["csrf"]


async def test_a_failed_login_keeps_the_visitor_anonymous(make: AdminFactory) -> None:
    app = starlette_host(make())
    async with client_for(app) as client:
        refused = await sign_in(client, password="wrong")
        assert refused.status_code == 400
        assert all(
            "user" not in session_of(cookie_attributes(h)[0].partition("=")[2])
            for h in set_cookies(refused)
            if "Max-Age=0" not in h
        )


# Revocation --------------------------------------------------------------------------------


async def test_logout_revokes_a_copied_cookie(make: AdminFactory) -> None:
    app = starlette_host(make())
    async with client_for(app) as client:
        copied = _value(await sign_in(client))
        assert (await get_with_cookie(app, f"{PREFIX}/tasks", copied)).status_code == 200
        out = await client.post(f"{PREFIX}/logout", data={"csrf_token": await page_token(client)})
        assert out.status_code == 303
    # The copy still has a valid signature and age, but its session has ended.
    page = await get_with_cookie(app, f"{PREFIX}/tasks", copied)
    assert page.status_code == 303
    assert page.headers["location"] == login_url(PREFIX, f"{PREFIX}/tasks")
    htmx = await get_with_cookie(app, f"{PREFIX}/tasks/partials/table", copied, HX)
    assert htmx.status_code == 401
    # ...and the response tells the browser to drop it.
    assert any("Max-Age=0" in h for h in set_cookies(page))


async def test_logout_of_one_session_leaves_another_signed_in(make: AdminFactory) -> None:
    app = starlette_host(make())
    async with client_for(app) as first, client_for(app) as second:
        await sign_in(first)
        await sign_in(second)
        await first.post(f"{PREFIX}/logout", data={"csrf_token": await page_token(first)})
        assert (await first.get(f"{PREFIX}/tasks")).status_code == 303
        assert (await second.get(f"{PREFIX}/tasks")).status_code == 200


# Revocation across processes (issue 7, point 5) ------------------------------------------------


async def refused_soon(app: Any, cookie: str, within: float = 2.0) -> bool:
    """Whether ``app`` refuses ``cookie`` (sends it to the login page) within ``within``
    seconds: another process learns of a logout from the shared storage, not at once."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while loop.time() < deadline:
        if (await get_with_cookie(app, f"{PREFIX}/tasks", cookie)).status_code == 303:
            return True
        await asyncio.sleep(0.05)
    return False


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_a_logout_holds_in_every_process_sharing_a_sql_storage(
    make: AdminFactory, backend: str, request: pytest.FixtureRequest
) -> None:
    url = request.getfixturevalue("sqlite_url" if backend == "sqlite" else "pg_url")
    here, there = starlette_host(make(storage=url)), starlette_host(make(storage=url))
    async with client_for(here) as client:
        copied = _value(await sign_in(client))
        assert (await get_with_cookie(there, f"{PREFIX}/tasks", copied)).status_code == 200
        out = await client.post(f"{PREFIX}/logout", data={"csrf_token": await page_token(client)})
        assert out.status_code == 303
    assert (await get_with_cookie(here, f"{PREFIX}/tasks", copied)).status_code == 303
    assert await refused_soon(there, copied)
    # A process started afterwards (a restart, a new worker) refuses it too.
    assert await refused_soon(starlette_host(make(storage=url)), copied)
    # Another session of the same user is not touched.
    async with client_for(there) as other:
        assert (await sign_in(other)).status_code == 303
        assert (await other.get(f"{PREFIX}/tasks")).status_code == 200


async def test_with_memory_storage_a_logout_holds_in_its_own_process_only(
    make: AdminFactory,
) -> None:
    """As the README says: without a SQL storage, each process knows its own logouts."""
    here, there = starlette_host(make()), starlette_host(make())
    async with client_for(here) as client:
        copied = _value(await sign_in(client))
        await client.post(f"{PREFIX}/logout", data={"csrf_token": await page_token(client)})
    assert (await get_with_cookie(here, f"{PREFIX}/tasks", copied)).status_code == 303
    assert (await get_with_cookie(there, f"{PREFIX}/tasks", copied)).status_code == 200


async def test_a_logout_the_storage_cannot_record_still_signs_out_here(
    make: AdminFactory, caplog: pytest.LogCaptureFixture
) -> None:
    app = starlette_host(make(storage="postgresql://postgres@127.0.0.1:1/test"))  # nothing there
    async with client_for(app) as client:
        copied = _value(await sign_in(client))
        with caplog.at_level(logging.WARNING, logger="asyncz_dashboard.storage"):
            out = await client.post(
                f"{PREFIX}/logout", data={"csrf_token": await page_token(client)}
            )
        assert out.status_code == 303
        assert out.headers["location"] == f"{PREFIX}/login?signed_out=1"
    assert (await get_with_cookie(app, f"{PREFIX}/tasks", copied)).status_code == 303
    assert any("Could not record a logout" in r.getMessage() for r in caplog.records)


# A serving process: a dashboard with login over a shared storage, under hypercorn, at PREFIX.
PROCESS = """
import asyncio, signal, sys
from asyncz.schedulers.asyncio import AsyncIOScheduler
from hypercorn.asyncio import serve
from hypercorn.config import Config
from tests.auth.support import add_tasks, make_admin, starlette_host

async def main(port, storage):
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.start()
    add_tasks(scheduler)
    admin = make_admin(scheduler, storage=storage)
    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.accesslog = None
    config.graceful_timeout = 1
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    try:
        await serve(starlette_host(admin), config, shutdown_trigger=stop.wait)
    finally:
        admin.close()

asyncio.run(main(int(sys.argv[1]), sys.argv[2]))
"""


@contextmanager
def serving(storage: str) -> Iterator[str]:
    """A dashboard in its own process over ``storage``; yields its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    root = Path(__file__).resolve().parents[2]
    process = subprocess.Popen([sys.executable, "-c", PROCESS, str(port), storage], cwd=root)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(400):  # a few seconds to start
            try:
                with urllib.request.urlopen(f"{base}{PREFIX}/health", timeout=1):  # noqa: S310
                    break
            except OSError:
                time.sleep(0.05)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


async def test_a_logout_holds_in_another_real_process(sqlite_url: str) -> None:  # noqa: F811
    with serving(sqlite_url) as here_url, serving(sqlite_url) as there_url:
        async with httpx.AsyncClient(base_url=here_url) as here:
            copied = _value(await sign_in(here))
            cookie = {"cookie": f"{COOKIE}={copied}"}
            async with httpx.AsyncClient(base_url=there_url, headers=cookie) as there:
                assert (await there.get(f"{PREFIX}/tasks")).status_code == 200
                token = await page_token(here)
                assert (await here.post(f"{PREFIX}/logout", data={"csrf_token": token})).is_redirect
                loop = asyncio.get_running_loop()
                deadline = loop.time() + 2
                while (await there.get(f"{PREFIX}/tasks")).status_code == 200:
                    assert loop.time() < deadline, "the other process still accepts the cookie"
                    await asyncio.sleep(0.05)
                assert (await there.get(f"{PREFIX}/tasks")).status_code == 303


# Clock skew -----------------------------------------------------------------------------------


@pytest.mark.parametrize("ahead", [1, 60, 240])
async def test_a_cookie_signed_by_a_clock_a_few_minutes_ahead_is_accepted(
    make: AdminFactory, ahead: int
) -> None:
    app = starlette_host(make(config=DashboardConfig(secret_key=SECRET, max_age=60)))
    page = await get_with_cookie(
        app, f"{PREFIX}/tasks", forge_cookie(signed_in_session(), age=-ahead)
    )
    assert page.status_code == 200
    assert "Ada Lovelace" in page.text


# Expiry and bad cookies ---------------------------------------------------------------------


async def test_a_forged_cookie_with_the_right_secret_is_accepted(make: AdminFactory) -> None:
    """The control for the tests below: the forging helper makes cookies the server reads."""
    app = starlette_host(make())
    page = await get_with_cookie(app, f"{PREFIX}/tasks", forge_cookie(signed_in_session()))
    assert page.status_code == 200
    assert "Ada Lovelace" in page.text


@pytest.mark.parametrize(
    ("case", "age"),
    [
        ("expired", 3601),
        ("just-expired", 62),
        ("beyond-the-skew", -400),
        ("future", -3600),
        ("far-future", -10 * 365 * 86400),
    ],
)
async def test_expired_and_future_dated_cookies_are_signed_out(
    make: AdminFactory, case: str, age: float
) -> None:
    app = starlette_host(make(config=DashboardConfig(secret_key=SECRET, max_age=60)))
    cookie = forge_cookie(signed_in_session(), age=age)
    page = await get_with_cookie(app, f"{PREFIX}/tasks", cookie)
    assert page.status_code == 303
    assert page.headers["location"] == login_url(PREFIX, f"{PREFIX}/tasks")
    htmx = await get_with_cookie(app, f"{PREFIX}/tasks/partials/table", cookie, HX)
    assert htmx.status_code == 401
    login = await get_with_cookie(app, f"{PREFIX}/login", cookie)
    assert login.status_code == 200
    assert "Sign in to" in login.text


async def test_max_age_is_honoured_in_real_time(make: AdminFactory) -> None:
    app = starlette_host(make(config=DashboardConfig(secret_key=SECRET, max_age=1)))
    async with client_for(app) as client:
        signed = await sign_in(client)
        _, attrs = _only_cookie(signed)
        assert attrs["max-age"] == "1"
        cookie = _value(signed)
    assert (await get_with_cookie(app, f"{PREFIX}/tasks", cookie)).status_code == 200
    await asyncio.sleep(2.1)  # itsdangerous counts whole seconds: older than max_age now
    assert (await get_with_cookie(app, f"{PREFIX}/tasks", cookie)).status_code == 303


def _tampered(cookie: str) -> list[str]:
    payload, _, rest = cookie.partition(".")
    stamp, _, signature = rest.partition(".")
    # Change the first character: the last one of a base64 signature carries unused padding
    # bits, so changing it may leave the signature's bytes (and its validity) unchanged.
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    other_user = payload.replace("ada", "eve")
    return [
        f"{payload}.{stamp}.{flipped}",
        f"{other_user}.{stamp}.{signature}",
        f"{payload}.{stamp}",
        f"{payload}.AAAAAA.{signature}",
        cookie + "x",
        cookie[1:],
    ]


GARBAGE = [
    "",
    "garbage",
    "...",
    "a.b.c",
    "%00%01",
    "\u00e9t\u00e9",
    "x" * 4000,
    '"quoted"',
    "e30.e30.e30",
    "null.Z2Fy.YmFnZQ",
]


async def test_tampered_foreign_and_garbage_cookies_are_signed_out(
    make: AdminFactory, caplog: pytest.LogCaptureFixture
) -> None:
    app = starlette_host(make())
    async with client_for(app) as client:
        good = _value(await sign_in(client))
    foreign = forge_cookie(signed_in_session(), secret="another-dashboard-secret")
    wrong_shape = [
        forge_cookie([1, 2, 3]),  # type: ignore[arg-type]
        forge_cookie({"user": "ada", "sid": "x"}),
        forge_cookie({"user": {"id": "ada"}, "sid": 7}),
        forge_cookie({"user": {"id": "ada", "extra": "not a dict"}, "sid": "s"}),
    ]
    bad = [*_tampered(good), foreign, *GARBAGE]
    with caplog.at_level(logging.ERROR):
        for cookie in bad:
            for path, headers, status in [
                (f"{PREFIX}/tasks", {}, 303),
                (f"{PREFIX}/tasks/partials/table", HX, 401),
                (f"{PREFIX}/login", {}, 200),
            ]:
                response = await get_with_cookie(app, path, cookie, headers)
                assert response.status_code == status, (cookie, path)
        for cookie in wrong_shape:
            response = await get_with_cookie(app, f"{PREFIX}/tasks", cookie)
            assert response.status_code in (200, 303), cookie
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_bad_cookie_is_replaced_on_login(make: AdminFactory) -> None:
    app = starlette_host(make())
    async with client_for(app) as client:
        # Where the browser keeps it: the server's new cookie replaces this one.
        client.cookies.set(COOKIE, "garbage", domain="testserver.local", path="/")
        signed = await sign_in(client)
        assert signed.status_code == 303
        assert (await client.get(f"{PREFIX}/tasks")).status_code == 200


# The secret key -----------------------------------------------------------------------------


async def test_without_a_secret_key_a_warning_names_the_setting(
    scheduler: AsyncIOScheduler, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(SECRET_ENV, raising=False)
    with caplog.at_level(logging.WARNING, logger="asyncz_dashboard"):
        first = AsynczAdmin(scheduler, config=DashboardConfig())
        second = AsynczAdmin(scheduler, config=DashboardConfig())
    try:
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert any("ASYNCZ_DASHBOARD_SECRET_KEY" in w for w in warnings), warnings
        assert any("will not survive a restart" in w for w in warnings)
        # Each process gets its own random key: one's cookies mean nothing to the other.
        assert first._app.sessions.dump({"a": 1}) != second._app.sessions.dump({"a": 1})
        cookie = first._app.sessions.dump({"a": 1}).split(";")[0].partition("=")[2]
        assert first._app.sessions.load(cookie) == {"a": 1}
        assert second._app.sessions.load(cookie) == {}
    finally:
        first.close()
        second.close()


async def test_the_environment_secret_key_is_used_and_survives_a_restart(
    scheduler: AsyncIOScheduler, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SECRET_ENV, "from-the-environment")
    with caplog.at_level(logging.WARNING, logger="asyncz_dashboard"):
        from .support import make_admin

        before = make_admin(scheduler, config=DashboardConfig())
        after = make_admin(scheduler, config=DashboardConfig())
    try:
        assert not [r for r in caplog.records if "secret" in r.getMessage().lower()]
        async with client_for(starlette_host(before)) as client:
            cookie = _value(await sign_in(client))
        assert session_of(cookie, secret="from-the-environment")["user"]["id"] == "ada"
        restarted = await get_with_cookie(starlette_host(after), f"{PREFIX}/tasks", cookie)
        assert restarted.status_code == 200
    finally:
        before.close()
        after.close()


# F23: the cookie's Path and Domain -----------------------------------------------------------


async def test_cookie_attributes_by_default(make: AdminFactory) -> None:
    app = starlette_host(make())
    async with client_for(app) as client:
        page = await client.get(f"{PREFIX}/login")
        first, attrs = _only_cookie(page)
        assert first.startswith(f"{COOKIE}=")
        assert attrs["path"] == "/"  # covers the login page and every dashboard page
        assert attrs["httponly"] == ""
        assert attrs["samesite"] == "Lax"
        assert attrs["max-age"] == str(14 * 24 * 3600)
        assert "secure" not in attrs and "domain" not in attrs
        _, signed_attrs = _only_cookie(await sign_in(client))
        assert signed_attrs == attrs


async def test_https_only_and_strict_cookies(make: AdminFactory) -> None:
    config = DashboardConfig(secret_key=SECRET, https_only=True, same_site="strict")
    app = starlette_host(make(config=config))
    async with client_for(app, base_url="https://testserver") as client:
        _, attrs = _only_cookie(await client.get(f"{PREFIX}/login"))
        assert attrs["secure"] == "" and attrs["samesite"] == "Strict"
        assert (await sign_in(client)).status_code == 303
        assert (await client.get(f"{PREFIX}/tasks")).status_code == 200


@pytest.mark.parametrize("path", ["/", PREFIX, "/ops"])
async def test_configured_cookie_path_is_used_everywhere_and_no_login_loop(
    make: AdminFactory, path: str
) -> None:
    config = DashboardConfig(secret_key=SECRET, path=path)
    app = starlette_host(make(config=config))
    async with client_for(app) as client:
        pre = await client.get(f"{PREFIX}/login")
        assert _only_cookie(pre)[1]["path"] == path
        signed = await sign_in(client, next=f"{PREFIX}/tasks")
        assert signed.status_code == 303
        assert _only_cookie(signed)[1]["path"] == path
        # The browser sends the cookie to the next page: no loop back to the login page.
        tasks = await client.get(signed.headers["location"])
        assert tasks.status_code == 200
        assert "Ada Lovelace" in tasks.text
        out = await client.post(f"{PREFIX}/logout", data={"csrf_token": csrf_from(tasks.text)})
        first, attrs = _only_cookie(out)
        assert first == f"{COOKIE}="
        assert attrs["path"] == path
        assert attrs["max-age"] == "0"
        assert attrs["expires"] == "Thu, 01 Jan 1970 00:00:00 GMT"
        assert COOKIE not in client.cookies
        assert (await client.get(f"{PREFIX}/tasks")).status_code == 303


async def test_cookie_domain_is_set_and_deleted_alike(make: AdminFactory) -> None:
    config = DashboardConfig(secret_key=SECRET, domain="example.test", path=PREFIX)
    app = starlette_host(make(config=config))
    async with client_for(app, base_url="http://ops.example.test") as client:
        signed = await sign_in(client)
        _, attrs = _only_cookie(signed)
        assert attrs["domain"] == "example.test" and attrs["path"] == PREFIX
        tasks = await client.get(f"{PREFIX}/tasks")
        assert tasks.status_code == 200
        out = await client.post(f"{PREFIX}/logout", data={"csrf_token": csrf_from(tasks.text)})
        _, deleted = _only_cookie(out)
        assert (deleted["domain"], deleted["path"], deleted["max-age"]) == (
            "example.test",
            PREFIX,
            "0",
        )
        assert (await client.get(f"{PREFIX}/tasks")).status_code == 303


async def test_session_cookie_of_a_second_dashboard_does_not_collide(
    make: AdminFactory, tasks: AsyncIOScheduler
) -> None:
    """Two dashboards on one host with their own cookie names keep separate sessions."""
    from starlette.applications import Starlette
    from starlette.routing import Mount

    one = make()
    two = make(config=DashboardConfig(secret_key="other", session_cookie="second_session"))
    host = Starlette(routes=[Mount("/one", one.get_asgi_app()), Mount("/two", two.get_asgi_app())])
    async with client_for(host) as client:
        assert (await sign_in(client, prefix="/one")).status_code == 303
        assert (await client.get("/one/tasks")).status_code == 200
        assert (await client.get("/two/tasks")).status_code == 303
        token = await login_token(client, "/two")
        assert (await sign_in(client, prefix="/two", token=token)).status_code == 303
        assert (await client.get("/one/tasks")).status_code == 200
        assert (await client.get("/two/tasks")).status_code == 200


# The cookie's size (issue 7, point 5) ----------------------------------------------------------

COOKIE_LIMIT = 4096  # bytes browsers keep of one cookie (RFC 6265, 6.1: at least 4096)


async def test_the_session_cookie_stays_under_4_kb_whatever_a_task_is_called(
    make: AdminFactory, tasks: AsyncIOScheduler
) -> None:
    tasks.add_task(noop, "interval", minutes=5, id="long", name="Export " + "x" * 10_000)
    tasks.add_task(noop, "interval", minutes=5, id="emoji", name="\U0001f642" * 10_000)
    gone = [f"gone-{n}-" + "y" * 10_000 for n in range(5)]
    app = starlette_host(make())
    async with client_for(app) as client:
        await sign_in(client)
        token = await page_token(client)
        answers = [
            await client.post(f"{PREFIX}/tasks/{task_id}/pause", data={"csrf_token": token})
            for task_id in ("long", "emoji")
        ]
        for _ in range(3):  # failures pile up before any page shows them
            answers.append(
                await client.post(
                    f"{PREFIX}/tasks/bulk",
                    data={"csrf_token": token, "action": "pause", "task_id": gone},
                )
            )
        sizes = [len(set_cookies(answer)[0].encode()) for answer in answers]
        assert all(answer.status_code == 303 for answer in answers)
        assert max(sizes) < COOKIE_LIMIT, sizes
        shown = flashes((await client.get(f"{PREFIX}/tasks")).text)
    assert tasks.get_task("long").next_run_time is None  # the actions did happen
    # The newest three, each cut short with "…", still say what happened.
    assert len(shown) == 3
    for text in shown:
        assert text.startswith(
            "Paused 0 of 5 selected task(s). Failed: there is no task with id 'gone-0-yyy"
        )
        assert text.endswith("…")
        assert len(text) < 310


async def test_a_long_task_name_is_cut_short_in_its_flash(
    make: AdminFactory, tasks: AsyncIOScheduler
) -> None:
    tasks.add_task(noop, "interval", minutes=5, id="long", name="Export " + "x" * 10_000)
    app = starlette_host(make())
    async with client_for(app) as client:
        await sign_in(client)
        token = await page_token(client)
        paused = await client.post(f"{PREFIX}/tasks/long/pause", data={"csrf_token": token})
        assert len(set_cookies(paused)[0].encode()) < COOKIE_LIMIT
        [shown] = flashes((await client.get(f"{PREFIX}/tasks")).text)
    assert shown.startswith("Paused 'Export xxxx")
    # Cut where the name is shown (task names are bounded at 200 characters) or in the flash.
    assert "x…" in shown
    assert len(shown) <= 300
