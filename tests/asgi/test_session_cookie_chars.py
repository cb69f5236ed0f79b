"""Regression: a flash message naming a task with ``;`` must not cut the session cookie short.

Browsers end a cookie value at the first ``;`` (RFC 6265, 5.2). Before the fix, pausing a
task named ``Sync; orders`` put that name, raw, into the signed cookie: the browser kept a
truncated value, the signature failed, the session (and its CSRF token) was lost and the
next form POST was refused with 403. (To move into tests/asgi/test_sessions.py.)
"""

from __future__ import annotations

import httpx
from asyncz.schedulers.asyncio import AsyncIOScheduler

from ..conftest import csrf_from, noop

ROOT = "/dashboard"


async def test_a_task_name_with_a_semicolon_keeps_the_session(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    scheduler.add_task(noop, "interval", minutes=5, id="t1", name='Sync; "orders"')
    token = csrf_from((await client.get(f"{ROOT}/tasks")).text)
    paused = await client.post(f"{ROOT}/tasks/t1/pause", data={"csrf_token": token})
    assert paused.status_code == 303
    set_cookie = paused.headers["set-cookie"]
    name_and_value = set_cookie.split(";", 1)[0]  # what a browser keeps
    assert name_and_value.count("=") >= 1 and ";" not in name_and_value
    client.cookies.clear()
    browser = {"cookie": name_and_value}
    listing = await client.get(f"{ROOT}/tasks", headers=browser)
    assert "Paused 'Sync; \"orders\"'." in listing.text.replace("&#39;", "'").replace("&#34;", '"')
    resumed = await client.post(
        f"{ROOT}/tasks/t1/resume", data={"csrf_token": token}, headers=browser
    )
    assert resumed.status_code == 303
    assert scheduler.get_task("t1").next_run_time is not None
