"""Create, edit and forget on a fleet dashboard with sign-in, over PostgreSQL and SQLite, with
real worker processes: an edit and a create are carried out by a worker within its own
allowlist (anything else is refused before any import); the preview needs no worker; invalid
values are a 400 at the field with no command written; a command not confirmed in time is
audited pending, then done; ``requested_by`` is the signed-in user; an unreachable worker can
be forgotten, a live one cannot."""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import create_engine, func, select

from asyncz_dashboard import AsynczAdmin, DashboardConfig
from asyncz_dashboard.admin import SimpleUsernamePasswordBackend
from asyncz_dashboard.fleet.db import COMMANDS
from asyncz_dashboard.storage.sql.engine import sql_url

from ..auth.support import sign_in, verify
from ..conftest import SECRET
from ..views.forms import browser_fields, field_error, send, task_form
from ..views.page import flashes, form_data, parse, row_action, rows
from ..views.support import submit
from .conftest import StartWorker
from .test_fleet_dashboard import audit_row
from .test_fleet_story import eventually, listed, outcome, raw_command

HEARTBEAT = 1.0
RECORD = "tests.fleet.apps:record"
ADA = "Ada Lovelace"


@pytest.fixture
async def signed_in(fleet_url: str) -> AsyncIterator[tuple[AsynczAdmin, httpx.AsyncClient]]:
    """A fleet dashboard with sign-in on, and a client signed in as Ada."""
    admin = AsynczAdmin(
        fleet=fleet_url,
        config=DashboardConfig(secret_key=SECRET),
        enable_login=True,
        backend=SimpleUsernamePasswordBackend(verify),
    )
    app = admin.get_asgi_app()
    try:
        async with LifespanManager(app):
            transport = httpx.ASGITransport(app=app, root_path="/dashboard")
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
                assert (await sign_in(c, "/dashboard")).status_code == 303
                yield admin, c
    finally:
        await asyncio.to_thread(admin.close)


def commands(url: str) -> list[dict[str, Any]]:
    """Every command row, oldest first."""
    engine = create_engine(sql_url(url))
    try:
        with engine.connect() as conn:
            return [
                dict(r) for r in conn.execute(select(COMMANDS).order_by(COMMANDS.c.id)).mappings()
            ]
    finally:
        engine.dispose()


async def test_edit_create_pending_audit_and_forget(
    signed_in: tuple[AsynczAdmin, httpx.AsyncClient],
    fleet_url: str,
    start_worker: StartWorker,
    tmp_path: Path,
) -> None:
    admin, client = signed_in
    start_worker(fleet_url, "worker-a", heartbeat=HEARTBEAT, extra=("--allowed-callable", RECORD))
    worker_b = start_worker(fleet_url, "worker-b", heartbeat=HEARTBEAT)
    expected = {"worker-a.report", "worker-a.sync", "worker-b.report", "worker-b.sync"}
    await eventually(
        lambda: {i.name for i in admin.adapter.instances.values()} >= {"worker-a", "worker-b"}
    )
    for _ in range(300):
        if set(await listed(client)) == expected:
            break
        await asyncio.sleep(0.05)

    # Edit: the form from the mirror, a preview computed here, invalid values refused at once.
    page = await client.get("/dashboard/tasks/worker-a.report/edit")
    assert page.status_code == 200
    form = dict(browser_fields(task_form(page.text)))
    assert (form["trigger_type"], form["trigger_value"]) == ("interval", "1h")
    preview = await send(client, page.text, {"trigger_value": "30m"})
    assert preview.status_code == 200
    assert len(parse(preview.text).find("ol", class_="run-times").find_all("li")) == 5
    for typed, key in (
        ({"trigger_value": "0s"}, "trigger_value"),
        ({"trigger_type": "cron", "trigger_value": "99 * * * *"}, "trigger_value"),
        ({"callable_path": "tests.fleet.trap:boom"}, "callable_path"),
    ):
        refused = await send(client, page.text, typed, "apply")
        assert refused.status_code == 400, typed
        assert field_error(refused.text, key), typed
    assert commands(fleet_url) == [], "nothing invalid reaches a worker"
    applied = await send(client, preview.text, {"trigger_value": "30m"}, "apply")
    assert applied.status_code == 303
    after = await client.get(applied.headers["location"])
    assert flashes(after.text) == ["Saved 'worker-a.report': trigger."]
    snap = admin.adapter.get_task("worker-a.report")
    assert (snap.trigger_text, snap.trigger_form) == ("every 30 minutes", "30m")
    [edit] = commands(fleet_url)
    assert (edit["verb"], edit["status"], edit["requested_by"]) == ("edit", "done", ADA)
    assert audit_row(await client.get("/dashboard/audit")) == [
        ADA, "edit", "task worker-a.report", "✓ ok · Saved 'worker-a.report': trigger"
    ]  # fmt: skip

    # Create, with a callable worker-a allows (worker-b allows none): carried out by worker-a.
    page = await client.get("/dashboard/tasks/create")
    assert page.status_code == 200
    options = task_form(page.text).find("select", name="callable_path").find_all("option")
    assert [o.attrs["value"] for o in options] == ["", RECORD]
    typed = {
        "callable_path": RECORD,
        "args": '["made.here"]',
        "trigger_type": "interval",
        "trigger_value": "2h",
        "id": "made.here",
        "name": "Made here",
    }
    preview = await send(client, page.text, typed)
    assert preview.status_code == 200
    assert len(parse(preview.text).find("ol", class_="run-times").find_all("li")) == 5
    unlisted = await send(client, page.text, {**typed, "callable_path": "tests.fleet.trap:boom"})
    assert unlisted.status_code == 400 and field_error(unlisted.text, "callable_path")
    created = await send(client, preview.text, typed, "apply")
    assert created.status_code == 303
    assert created.headers["location"] == "/dashboard/tasks/made.here"
    after = await client.get(created.headers["location"])
    assert flashes(after.text) == ["Created 'Made here' (scheduled)."]
    assert (
        rows((await client.get("/dashboard/tasks?q=made")).text)["made.here"]
        .find("td", class_="worker")
        .text
        == "worker-a"
    )

    # A forged command naming a callable the worker does not allow: refused, nothing imported.
    by_name = {i.name: i for i in admin.adapter.instances.values()}
    engine = create_engine(sql_url(fleet_url))
    payload = {
        "callable": "tests.fleet.trap:boom",
        "id": "forged",
        "store": "default",
        "trigger": {"kind": "interval", "value": "1h"},
    }
    raw_command(engine, by_name["worker-a"].id, "create", "forged", json.dumps(payload))
    assert await eventually(lambda: outcome(engine, "forged")) == (
        "failed",
        "callable 'tests.fleet.trap:boom' is not in this worker's allowlist",
    )
    assert not (tmp_path / "imported.txt").exists(), "the worker imported nothing"

    # Not confirmed within the wait: audited pending, then done once the worker answers.
    admin.adapter.commands.confirm_seconds = 0.0
    page = await client.get("/dashboard/tasks?per_page=200&sort=name")
    response = await submit(client, row_action(page.text, "worker-a.sync", "pause"))
    after = await client.get(response.headers["location"])
    assert flashes(after.text) == ["Sent to worker-a, not confirmed yet."]
    for _ in range(200):
        shown = audit_row(await client.get("/dashboard/audit"))
        if "pending" not in shown[3]:
            break
        await asyncio.sleep(0.05)
    assert shown == [ADA, "pause", "task worker-a.sync", "✓ ok · done: Paused"]
    admin.adapter.commands.confirm_seconds = 3.0

    # Forget: refused for a live worker; an unreachable one goes, with its tasks; audited.
    worker_b.send_signal(signal.SIGKILL)
    worker_b.wait()
    await eventually(lambda: admin.adapter.instances[by_name["worker-b"].id].status != "live")
    page = await client.get("/dashboard/workers")
    forms = {
        tr.find_all("td")[0].text: next(
            (f for f in tr.find_all("form") if f.attrs["action"].endswith("/forget")), None
        )
        for tr in parse(page.text).find("tbody").find_all("tr")
    }
    assert forms["worker-a"] is None, "a live worker offers no Forget"
    assert "Forget worker “worker-b”?" in forms["worker-b"].attrs["data-confirm"]
    fields = dict(form_data(forms["worker-b"]))
    live = await client.post(
        f"/dashboard/workers/{by_name['worker-a'].id}/forget",
        data=fields,  # the same submission id: it is single-use per worker
    )
    assert live.status_code == 303
    refused = flashes((await client.get(live.headers["location"])).text)
    assert refused == [
        "Could not forget worker-a: worker worker-a is live: only an unreachable or stopped "
        "worker can be forgotten."
    ]
    no_token = await client.post(forms["worker-b"].attrs["action"], data={"submission_id": "x"})
    assert no_token.status_code == 403, "CSRF"
    forgot = await submit(client, forms["worker-b"])
    assert forgot.status_code == 303
    workers = await client.get(forgot.headers["location"])
    assert flashes(workers.text) == [
        "Forgot worker worker-b (unreachable); its tasks left the list."
    ]
    assert "worker-b" not in [
        tr.find_all("td")[0].text for tr in parse(workers.text).find("tbody").find_all("tr")
    ]
    shown = set(await listed(client))
    assert not {"worker-b.report", "worker-b.sync"} & shown
    assert {"worker-a.report", "made.here"} <= shown
    assert audit_row(await client.get("/dashboard/audit")) == [
        ADA, "forget_worker", "worker worker-b",
        "✓ ok · Forgot worker worker-b (unreachable); its tasks left the list",
    ]  # fmt: skip
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(COMMANDS)).scalar_one()
    engine.dispose()
    assert total == 4, "edit, create, the forged create and the pause: nothing else was sent"
