"""A fleet dashboard in one process: ``AsynczAdmin(scheduler, fleet=url)`` publishes its own
scheduler as a worker; the instances page; an unanswered command; no fleet, no page."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import httpx
from asgi_lifespan import LifespanManager
from asyncz.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import create_engine, select

from asyncz_dashboard import AsynczAdmin, DashboardConfig
from asyncz_dashboard.adapters.snapshots import TaskSnapshot
from asyncz_dashboard.fleet.db import COMMANDS, INSTANCES, db_now, publish_tasks
from asyncz_dashboard.storage.sql.engine import sql_url

from ..conftest import SECRET, noop
from ..views.page import flashes, parse, row_action, row_state, rows
from ..views.support import submit
from ..views.test_live import region
from .test_fleet_story import eventually, listed


async def serve(admin: AsynczAdmin) -> AsyncIterator[httpx.AsyncClient]:
    app = admin.get_asgi_app()
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app, root_path="/dashboard")
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


async def test_a_dashboard_with_its_own_scheduler_publishes_it_as_a_worker(
    scheduler: AsyncIOScheduler, sqlite_url: str
) -> None:
    scheduler.add_task(noop, "interval", minutes=5, id="local.job", name="Local job")
    admin = AsynczAdmin(scheduler, fleet=sqlite_url, config=DashboardConfig(secret_key=SECRET))
    try:
        async for client in serve(admin):
            for _ in range(200):
                if "local.job" in await listed(client):
                    break
                await asyncio.sleep(0.05)
            page = await client.get("/dashboard/tasks")
            row = rows(page.text)["local.job"]
            assert row.find("td", class_="worker").text == admin.fleet_worker.name
            response = await submit(client, row_action(page.text, "local.job", "pause"))
            after = await client.get(response.headers["location"])
            assert flashes(after.text) == ["Paused 'Local job'."]
            assert row_state(rows(after.text)["local.job"]) == "paused"
            assert scheduler.get_task("local.job").next_run_time is None

            workers = await client.get("/dashboard/workers")
            assert workers.status_code == 200
            cells = [td.text for td in parse(workers.text).find("tbody").find_all("td")]
            assert cells[:2] == [admin.fleet_worker.name, "live"]
            # The worker's name links to the task list filtered to its tasks.
            name = parse(workers.text).find("td", class_="worker-name").find("a")
            assert name.text == admin.fleet_worker.name
            expected = httpx.URL("/dashboard/tasks", params={"worker": admin.fleet_worker.name})
            assert name.attrs["href"] == str(expected)
            theirs = await client.get(name.attrs["href"])
            assert set(rows(theirs.text)) == {"local.job"}
            chosen = parse(theirs.text).find("select", id="f-worker").find("option", selected="")
            assert chosen.text == admin.fleet_worker.name  # the filter says which worker
            live = parse(workers.text).find(id="workers-live")  # live: heartbeats move on
            poll = {"HX-Request": "true", "X-Dashboard-Version": live.attrs["data-version"]}
            refreshed = await client.get(live.attrs["data-live"], headers=poll)
            assert refreshed.status_code in (200, 204)  # 200 once a heartbeat came in
            if refreshed.status_code == 200:
                assert (
                    parse(refreshed.text).find(id="workers-live").attrs["data-version"]
                    != (live.attrs["data-version"])
                )
            filtered = await client.get(f"/dashboard/tasks?worker={admin.fleet_worker.name}")
            assert set(rows(filtered.text)) == {"local.job"}
            nobody = await client.get("/dashboard/tasks?worker=nobody")
            assert rows(nobody.text) == {}
    finally:
        await asyncio.to_thread(admin.close)


async def test_a_command_nobody_claims_is_not_confirmed_then_fails_worker_gone(
    sqlite_url: str,
) -> None:
    admin = AsynczAdmin(fleet=sqlite_url, config=DashboardConfig(secret_key=SECRET))
    engine = create_engine(sql_url(sqlite_url))
    admin.adapter.database.ensure_schema()
    snapshot = TaskSnapshot.from_json(
        json.dumps(
            {
                **dict.fromkeys(("callable_name", "callable_reference", "trigger_raw"), ""),
                **dict.fromkeys(("next_run_text", "store", "executor"), ""),
                **{"id": "ghost.job", "name": "Ghost job", "trigger_alias": "interval"},
                **{"trigger_text": "every hour", "next_run_time": None, "state": "paused"},
                **{"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
                **{"args_repr": "()", "kwargs_repr": "{}"},
            }
        )
    )
    with engine.begin() as conn:
        now = db_now(conn)
        conn.execute(
            INSTANCES.insert().values(
                id="ghost-id",
                name="ghost",
                host="elsewhere",
                pid=1,
                started_at=now,
                heartbeat_at=now,
                heartbeat_seconds=1.5,
                state="running",
                timezone="UTC",
                versions="{}",
                scheduler_class="x.Scheduler",
                detail="{}",
            )
        )
        publish_tasks(conn, "ghost-id", [("ghost.job", snapshot.to_json())])
    try:
        async for client in serve(admin):
            await eventually(lambda: admin.adapter.index.get("ghost.job"))
            page = await client.get("/dashboard/tasks")
            response = await submit(client, row_action(page.text, "ghost.job", "resume"))
            after = await client.get(response.headers["location"])
            assert flashes(after.text) == ["Sent to ghost, not confirmed yet."]
            pending = "… pending · sent to ghost, not confirmed yet"
            shown = audit_row(await client.get("/dashboard/audit"))
            assert shown == ["anonymous", "resume", "task ghost.job", pending]
            with engine.connect() as conn:
                assert conn.execute(select(COMMANDS.c.requested_by)).scalar_one() == "anonymous"

            def status() -> tuple[str, str] | None:
                with engine.connect() as conn:
                    row = conn.execute(select(COMMANDS.c.status, COMMANDS.c.message)).one()
                return (row[0], row[1]) if row[0] == "failed" else None

            assert await eventually(status, 10) == ("failed", "worker gone")
            # The feed gives the pending audit entry its outcome, with no action of anyone.
            for _ in range(100):
                shown = audit_row(await client.get("/dashboard/audit"))
                if "pending" not in shown[3]:
                    break
                await asyncio.sleep(0.05)
            assert shown == ["anonymous", "resume", "task ghost.job", "✕ failed · worker gone"]
            workers = await client.get("/dashboard/workers")
            cells = [td.text for td in parse(workers.text).find("tbody").find_all("td")]
            assert cells[:2] == ["ghost", "unreachable"]
            row = rows((await client.get("/dashboard/tasks")).text)["ghost.job"]
            assert "unreachable; as of" in row.find("td", class_="worker").text
            detail = await client.get("/dashboard/tasks/ghost.job")
            assert detail.status_code == 200
            assert "ghost unreachable: shown as it was at" in parse(detail.text).text
            assert (await client.get("/dashboard/")).status_code == 200
            assert (await client.get("/dashboard/health")).status_code == 503, "no live worker"
    finally:
        engine.dispose()
        await asyncio.to_thread(admin.close)


def audit_row(response: httpx.Response) -> list[str]:
    """The newest audit entry's user, action, target and outcome cells, as a user reads them."""
    assert response.status_code == 200
    cells = parse(response.text).find("tbody").find_all("tr")[0].find_all("td")
    return [" ".join(td.text.split()) for td in cells[1:5]]


async def test_no_instances_page_without_a_fleet(client: httpx.AsyncClient) -> None:
    response = await client.get("/dashboard/workers")
    assert response.status_code == 404
    assert "Workers" not in (await client.get("/dashboard/tasks")).text


async def test_a_closed_worker_is_stopped_and_its_tasks_leave_the_list(
    scheduler: AsyncIOScheduler, sqlite_url: str
) -> None:
    from asyncz_dashboard.fleet import FleetWorker

    scheduler.add_task(noop, "interval", minutes=5, id="leaving.job")
    worker = FleetWorker(scheduler, sqlite_url, name="leaving", heartbeat_seconds=0.5)
    admin = AsynczAdmin(fleet=sqlite_url, config=DashboardConfig(secret_key=SECRET))
    try:
        await eventually(lambda: admin.adapter.index.get("leaving.job"))
        before = admin.adapter.version()
        assert str(admin.adapter.tz) == "UTC"
        assert await admin.adapter.preview_runs("leaving.job") == ()
        await asyncio.to_thread(worker.close)
        await asyncio.to_thread(worker.close)  # idempotent
        await eventually(lambda: admin.adapter.index.get("leaving.job") is None)
        assert admin.adapter.version() > before, "a live page learns that its tasks changed"
        [instance] = admin.adapter.instances.values()
        assert (instance.name, instance.status, instance.state) == ("leaving", "stopped", "stopped")
        assert scheduler.get_task("leaving.job") is not None, "closing never touches the tasks"
    finally:
        await asyncio.to_thread(admin.close)


async def test_a_fleet_dashboard_on_main_pages_live_refresh_and_what_it_does_not_offer(
    scheduler: AsyncIOScheduler, sqlite_url: str
) -> None:
    scheduler.add_task(noop, "interval", minutes=5, id="local.job", name="Local job")
    admin = AsynczAdmin(scheduler, fleet=sqlite_url, config=DashboardConfig(secret_key=SECRET))
    try:
        async for client in serve(admin):
            for _ in range(200):
                if "local.job" in await listed(client):
                    break
                await asyncio.sleep(0.05)
            page = await client.get("/dashboard/tasks")
            url, shown = region(page.text, "tasks-table")
            assert shown
            same = await client.get(url, headers={"X-Dashboard-Version": shown})
            assert same.status_code == 204, "nothing changed: no body"

            before = admin.adapter.version()
            scheduler.pause_task("local.job")
            await eventually(lambda old=before: admin.adapter.version() != old)
            changed = await client.get(url, headers={"X-Dashboard-Version": shown})
            assert changed.status_code == 200, "a change the feed applied is never hidden"
            assert row_state(rows(changed.text)["local.job"]) == "paused"

            for path, what in (("/timeline", "The timeline"), ("/runtime", "The runtime page")):
                answer = await client.get(f"/dashboard{path}")
                assert answer.status_code == 404
                assert f"{what} is not available for a fleet dashboard" in answer.text
            instances = await client.get("/dashboard/instances")
            assert instances.status_code == 200
            cells = [td.text for td in parse(instances.text).find("tbody").find_all("td")]
            assert cells[:2] == [admin.fleet_worker.name, "live"]

            edit = await client.get("/dashboard/tasks/local.job/edit")
            assert edit.status_code == 200, "edited by a command to its worker"
            create = await client.get("/dashboard/tasks/create")
            assert create.status_code == 404, "no worker allows a callable: creating is off"
            assert scheduler.get_task("local.job").name == "Local job"
    finally:
        await asyncio.to_thread(admin.close)
