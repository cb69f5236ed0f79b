"""Secrets of every shape a task can hold, log or raise never reach a page, a fragment, a run,
a log entry, an event or an audit entry in clear; and huge task text is stored bounded."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from asyncz.schedulers.asyncio import AsyncIOScheduler

from asyncz_dashboard import AsynczAdmin
from asyncz_dashboard.logs import MAX_MESSAGE

from ..conftest import noop
from ..views.page import detail_fields
from .support import BASE, HX, finished_run, logs_of, main_text, post, runs_of

log = logging.getLogger(__name__)
SECRET = "sw0rdfish"
TEXTS = {
    "empty-user URL": f"redis://:{SECRET}@cache:6379/0",
    "@ in a URL password": f"postgresql://app:p@{SECRET}@db/x",
    "bearer header": f"Authorization: Bearer {SECRET}.abc",
    "basic header": f"Authorization: Basic {SECRET}==",
    "bare bearer token": f"Bearer {SECRET}-abc",
    "pass": f"pass={SECRET}",
    "passphrase": f"passphrase: {SECRET}",
    "jwt": f"jwt={SECRET}",
    "client_key": f"client_key='{SECRET}'",
    "bytes repr": f"b'password={SECRET}'",
}
NAME = f"sync postgresql://u:{SECRET}@h/db"


@dataclass
class Creds:
    user: str
    password: str


class Connection:
    def __repr__(self) -> str:
        return f"Connection(host='db', password='{SECRET}')"


OBJECTS: dict[str, Any] = {
    "set": {f"password={SECRET}"},
    "frozenset": frozenset({f"token={SECRET}"}),
    "dataclass": Creds("ops", SECRET),
    "object repr": Connection(),
    "bytes": f"password={SECRET}".encode(),
    "bytes under a key": {"token": SECRET.encode()},
    "new keys": {"pass": SECRET, "passphrase": SECRET, "jwt": SECRET, "client_key": SECRET},
}


async def task_pages(client: httpx.AsyncClient, task_id: str) -> dict[str, str]:
    """The task list, its htmx fragment and the task's detail page, as served."""
    answers = {
        "list": await client.get(f"{BASE}/tasks"),
        "fragment": await client.get(f"{BASE}/tasks/partials/table", headers=HX),
        "detail": await client.get(f"{BASE}/tasks/{task_id}"),
    }
    for where, response in answers.items():
        assert response.status_code == 200, where
    return {where: response.text for where, response in answers.items()}


@pytest.mark.parametrize("shape", list(TEXTS))
async def test_a_secret_in_a_tasks_name_args_and_kwargs_never_reaches_a_task_page(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient, shape: str
) -> None:
    text = TEXTS[shape]
    scheduler.add_task(
        noop, "interval", minutes=5, id="leaky", name=f"sync {text}",
        args=[text], kwargs={"note": text},
    )  # fmt: skip

    served = await task_pages(client, "leaky")

    for where, html in served.items():
        assert SECRET not in html, where
        assert "***" in main_text(html), where
    fields = detail_fields(served["detail"])
    assert "***" in fields["Name"]
    assert "***" in fields["Args"]
    assert "***" in fields["Kwargs"]


@pytest.mark.parametrize("shape", list(OBJECTS))
async def test_a_secret_inside_an_object_argument_never_reaches_a_task_page(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient, shape: str
) -> None:
    value = OBJECTS[shape]
    scheduler.add_task(
        noop, "interval", minutes=5, id="leaky", name="Objects",
        args=[value], kwargs={"value": value},
    )  # fmt: skip

    served = await task_pages(client, "leaky")

    for where, html in served.items():
        assert SECRET not in html, where
    fields = detail_fields(served["detail"])
    assert "***" in fields["Args"]
    assert "***" in fields["Kwargs"]


async def leaky() -> Creds:
    """Logs every secret shape, then raises them all."""
    for text in TEXTS.values():
        log.warning("connecting with %s", text)
    raise RuntimeError(" | ".join(TEXTS.values()))


async def returns_secrets() -> Any:
    return [Creds("ops", SECRET), {f"jwt={SECRET}"}, {"pass": SECRET}]


async def test_a_secret_a_task_logs_raises_or_returns_never_reaches_history_pages(
    scheduler: AsyncIOScheduler, admin: AsynczAdmin, client: httpx.AsyncClient
) -> None:
    scheduler.add_task(leaky, "interval", minutes=5, id="leaky", name=NAME)
    scheduler.add_task(returns_secrets, "interval", minutes=5, id="giver", name="Giver")
    ran = await post(client, f"{BASE}/tasks/leaky/run")
    assert ran.status_code == 303
    flashed = (await client.get(ran.headers["location"])).text
    assert SECRET not in flashed
    assert "Started 'sync postgresql://u:***@h/db'" in main_text(flashed)
    failed = await finished_run(admin, "leaky", "failed")
    await post(client, f"{BASE}/tasks/giver/run")
    succeeded = await finished_run(admin, "giver", "succeeded")

    urls = {
        "run detail": f"{BASE}/runs/{failed.run_id}",
        "returned value": f"{BASE}/runs/{succeeded.run_id}",
        "runs": f"{BASE}/runs",
        "logs": f"{BASE}/logs",
        "logs fragment": f"{BASE}/logs/partials/table",
        "events": f"{BASE}/events",
        "audit": f"{BASE}/audit",
        "task detail": f"{BASE}/tasks/leaky",
    }
    shown = {}
    for where, url in urls.items():
        response = await client.get(url, headers=HX if "fragment" in where else {})
        assert response.status_code == 200, where
        assert SECRET not in response.text, where
        shown[where] = main_text(response.text)
    for where in ("run detail", "returned value", "logs", "logs fragment", "audit"):
        assert "***" in shown[where], where
    assert "sync postgresql://u:***@h/db" in shown["audit"]
    assert "Creds(user='ops', password='***')" in shown["returned value"]
    assert "connecting with pass=***" in shown["logs"]
    stored = [*runs_of(admin, "leaky"), *logs_of(admin, task_id="leaky")]
    assert stored and all(SECRET not in repr(entry) for entry in stored)


async def huge(*args: Any) -> None:
    """Logs and raises 20 kB of hex after a secret."""
    blob = secrets.token_hex(10_000)
    log.warning("password=%s %s", SECRET, blob)
    raise RuntimeError(f"token={SECRET} {blob}")


async def test_20_kb_a_task_holds_logs_or_raises_is_stored_bounded_and_masked(
    scheduler: AsyncIOScheduler, admin: AsynczAdmin, client: httpx.AsyncClient
) -> None:
    blob = secrets.token_hex(10_000)
    scheduler.add_task(
        huge, "interval", minutes=5, id="huge", name=f"password={SECRET} {blob}", args=[blob],
    )  # fmt: skip
    await post(client, f"{BASE}/tasks/huge/run")
    run = await finished_run(admin, "huge", "failed")

    assert run.exception_message.startswith("token=*** ")
    assert len(run.exception_message) == 2000
    assert len(run.traceback) <= 20_000
    assert len(run.task_name) == 200
    [line] = [e for e in logs_of(admin, task_id="huge") if e.message.startswith("password=")]
    assert line.message.startswith("password=*** ")
    assert len(line.message) == MAX_MESSAGE
    detail = await client.get(f"{BASE}/tasks/huge")
    assert SECRET not in detail.text
    assert len(detail_fields(detail.text)["Name"]) == 200
