"""Property: no request gets a 5xx, and a refused (4xx) request changes nothing.

Every route and method of the route table is drawn (``strategies.requests``), with generated
bodies, headers, cookies and query strings, on a dashboard over a real, running Asyncz
scheduler, with login off and on. About half of the requests carry the real session cookie and
CSRF token (from signing in and opening a page), so they get past the CSRF check and reach the
views. After each 4xx the scheduler's tasks and the stored audit, runs and events are what
they were before it. The property holds whatever new required form fields appear: it never
asserts that a request succeeds.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from asyncz.enums import SchedulerState
from asyncz.schedulers.asyncio import AsyncIOScheduler
from hypothesis import HealthCheck, event, example, given, settings

from asyncz_dashboard import AsynczAdmin, DashboardConfig
from asyncz_dashboard.storage.base import AuditFilter, EventFilter, RunFilter

from ..asgi.conftest import client_for, raw_request, scheduler_state
from ..auth.support import COOKIE as COOKIE_NAME
from ..auth.support import make_admin, sign_in
from ..conftest import SECRET, csrf_from, noop
from .strategies import COOKIE, KNOWN, LENGTH, ROOT, TOKEN, Drawn, requests

EVERYTHING = 10**6  # a query limit above any count this test reaches
# Per login mode; CI runs the default, a longer hunt sets ASYNCZ_FUZZ_EXAMPLES=5000.
EXAMPLES = int(os.environ.get("ASYNCZ_FUZZ_EXAMPLES", "250"))


def add_known_tasks(scheduler: AsyncIOScheduler) -> None:
    """Tasks that never fire on their own during the test (they run only when asked to)."""
    later = datetime.now(timezone.utc) + timedelta(days=3)
    known = scheduler.get_tasks()
    present = {task.id for task in known}
    for task_id in ("t1", "paused", ".", "..", "a/b", "100%"):
        if task_id not in present:
            scheduler.add_task(noop, "interval", hours=5, start_at=later, id=task_id, name=task_id)
    if "once" not in present:
        scheduler.add_task(noop, "date", run_at=later, id="once", name="One-off")
    if "paused" not in present:
        scheduler.pause_task("paused")


@dataclass
class Harness:
    """The dashboard under test, its valid session, and what "nothing changed" compares."""

    admin: AsynczAdmin
    scheduler: AsyncIOScheduler
    login: bool
    token: str = ""
    cookie: str = ""

    async def sign_in(self) -> None:
        """A fresh valid session, as a browser gets it: sign in (login on), open a page.

        It comes from another address than the fuzzed requests, whose failed logins may lock
        out 127.0.0.1."""
        async with client_for(self.app, client=("10.9.9.9", 40_000)) as browser:
            if self.login:
                signed = await sign_in(browser, prefix=ROOT)
                assert signed.status_code == 303, signed.text
            page = await browser.get(f"{ROOT}/tasks")
            assert page.status_code == 200
            self.token = csrf_from(page.text)
            self.cookie = f"{COOKIE_NAME}={browser.cookies[COOKIE_NAME]}"

    @property
    def app(self) -> Any:
        return self.admin.get_asgi_app()

    def fingerprint(self) -> tuple[Any, ...]:
        """The scheduler's state and tasks (id, next run time, trigger) and the stored counts."""
        self.admin.writer.flush()
        storages = self.admin.storages
        return (
            scheduler_state(self.scheduler),
            len(storages.audit.query(AuditFilter(limit=EVERYTHING))),
            len(storages.runs.query(RunFilter(limit=EVERYTHING))),
            len(storages.events.query(EventFilter(limit=EVERYTHING))),
        )

    async def settle(self) -> tuple[Any, ...]:
        """The fingerprint once runs started by an earlier request have finished and been
        recorded (a forced run completes over a few loop iterations and a writer thread)."""
        last: tuple[Any, ...] | None = None
        for _ in range(100):
            await asyncio.sleep(0.002)
            current = self.fingerprint()
            tasks = self.scheduler.get_tasks()
            busy = any(self.admin.adapter.running_instances(task.id) for task in tasks)
            if current == last and not busy:
                return current
            last = current
        raise AssertionError("the scheduler did not settle")

    def fill(self, drawn: Drawn) -> tuple[list[tuple[str, str]], list[bytes]]:
        """The drawn headers and chunks with the real token, cookie and body length."""
        token = self.token.encode()
        chunks = [chunk.replace(TOKEN.encode(), token) for chunk in drawn.chunks]
        size = str(sum(len(chunk) for chunk in chunks))
        filled = [
            (n, v.replace(TOKEN, self.token).replace(COOKIE, self.cookie).replace(LENGTH, size))
            for n, v in drawn.headers
        ]
        return filled, chunks


MODES = {"login-off": (False, None), "login-on": (True, None), "postgresql": (False, "pg_url")}


@pytest.fixture(params=MODES.values(), ids=MODES.keys())
async def harness(
    request: pytest.FixtureRequest, scheduler: AsyncIOScheduler
) -> AsyncIterator[Harness]:
    login, storage_fixture = request.param
    storage = request.getfixturevalue(storage_fixture) if storage_fixture else None
    # With PostgreSQL, the fuzzed requests also come through a trusted proxy (X-Forwarded-*).
    trusted = ("127.0.0.1",) if storage else ()
    config = DashboardConfig(secret_key=SECRET, trusted_forwarded_hosts=trusted)
    creation = {"allowed_callables": {"noop": noop}}  # so the create route is fuzzed too
    if login:
        admin = make_admin(scheduler, config=config, storage=storage, **creation)
    else:
        admin = AsynczAdmin(scheduler, config=config, storage=storage, **creation)
    add_known_tasks(scheduler)
    harness = Harness(admin, scheduler, login=login)
    await harness.sign_in()
    try:
        yield harness
    finally:
        admin.close()


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(drawn=requests())
@example(drawn=KNOWN["long boundary on the login page"])
@example(drawn=KNOWN["page=\u00b2 on the run history"])
@example(drawn=KNOWN["a 5,000-digit page number"])
@example(drawn=KNOWN["Content-Length: \u00b2"])
@example(drawn=KNOWN["header token, malformed body"])
@example(drawn=KNOWN["an unsplittable Referer, signed out"])
@example(drawn=KNOWN["an unsplittable next on the login page"])
@example(drawn=KNOWN["a zero interval"])
@example(drawn=KNOWN["a tiny interval"])
@example(drawn=KNOWN["a cron that never fires"])
@example(drawn=KNOWN["a past date"])
@example(drawn=KNOWN["args of the wrong JSON type"])
@example(drawn=KNOWN["a date at the end of time"])
@example(drawn=KNOWN["a path outside the allowlist"])
@example(drawn=KNOWN["a duplicate id"])
async def test_no_request_gets_a_5xx_and_a_refused_one_changes_nothing(
    harness: Harness, drawn: Drawn
) -> None:
    add_known_tasks(harness.scheduler)
    if harness.scheduler.state == SchedulerState.STATE_PAUSED:
        harness.scheduler.resume()  # a drawn POST paused it: give the next ones a running one
    before = await harness.settle()
    headers, chunks = harness.fill(drawn)
    response = await asyncio.wait_for(
        raw_request(
            harness.app,
            drawn.method,
            drawn.raw_path,
            query=drawn.query,
            headers=headers,
            chunks=chunks or [b""],
            disconnect_after_body=drawn.disconnect,
        ),
        timeout=30,
    )
    status = response.status_code
    event(f"{drawn.route} {drawn.method} -> {status}")
    if drawn.method == "POST" and status < 400:
        event("a POST reached its view")
    assert status < 500, response.text
    if 400 <= status < 500:
        assert await harness.settle() == before, f"{status} changed something"
    elif drawn.route == "logout":
        await harness.sign_in()  # the drawn request may have ended the valid session


async def test_the_fuzzers_valid_session_reaches_the_views(harness: Harness) -> None:
    # The property is only worth something if drawn requests get past the CSRF check.
    before = await harness.settle()
    response = await raw_request(
        harness.app,
        "POST",
        f"{ROOT}/tasks/t1/pause",
        headers=[("cookie", harness.cookie), ("x-csrf-token", harness.token)],
    )
    assert response.status_code == 303
    assert harness.scheduler.get_task("t1").next_run_time is None
    assert await harness.settle() != before


FORM_EXAMPLES = [
    "a zero interval",
    "a tiny interval",
    "a cron that never fires",
    "a past date",
    "args of the wrong JSON type",
    "a date at the end of time",
    "a path outside the allowlist",
    "a duplicate id",
]


@pytest.mark.parametrize("name", FORM_EXAMPLES)
async def test_the_task_form_examples_reach_the_view_and_are_refused(
    harness: Harness, name: str
) -> None:
    # They are worth something only past the CSRF check: the form refuses them (400).
    before = await harness.settle()
    drawn = KNOWN[name]
    headers, chunks = harness.fill(drawn)
    response = await raw_request(
        harness.app, drawn.method, drawn.raw_path, headers=headers, chunks=chunks
    )
    assert response.status_code == 400, response.text[:300]
    assert await harness.settle() == before
