"""Operating a fleet, with two worker processes over PostgreSQL and over SQLite: a run under way
in a worker shows as running on the task list and the overview, and stops showing when it ends
or its worker dies; one worker's scheduler, or every live worker's, is paused and resumed by
command; the overview lists the workers, and the nav offers only what a fleet can show."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import httpx

from asyncz_dashboard import AsynczAdmin

from ..views.page import Node, cell, flashes, parse, row_action, rows
from ..views.support import submit
from .conftest import StartWorker
from .test_fleet_story import HEARTBEAT, fleet, listed

__all__ = ["fleet"]  # the fixture, shared with the story

Fleet = tuple[AsynczAdmin, httpx.AsyncClient]


def running_cell(html: str, task_id: str) -> str:
    """The running indicator of a task's row on the task list ("" when none shows)."""
    found = cell(rows(html)[task_id], "last").find_all("span", class_="running-now")
    return found[0].text if found else ""


async def overview(client: httpx.AsyncClient) -> Node:
    """The overview page as parsed."""
    response = await client.get("/dashboard/")
    assert response.status_code == 200
    return parse(response.text)


def cards(page: Node) -> dict[str, str]:
    """The overview's count cards: label -> number as read."""
    found = {}
    for card in page.find_all("a", class_="card"):
        number = card.find("span", class_="num").text
        found[card.text[len(number) :].strip()] = number.replace("▶", "").strip()
    return found


def worker_table(page: Node) -> dict[str, dict[str, str]]:
    """The workers table on a page: worker name -> column name -> cell text."""
    table = page.find("table", class_="instances")
    head = [th.text for th in table.find("thead").find_all("th")]
    found = {}
    for tr in table.find("tbody").find_all("tr"):
        cells = dict(zip(head, [td.text.strip() for td in tr.find_all("td")], strict=False))
        found[cells["Worker"]] = cells
    return found


def scheduler_form(page: Node, row_of: str | None = None) -> Node:
    """The one pause/resume form of the overview's head, or of a worker's row."""
    if row_of is None:
        scope = page.find("div", class_="scheduler-state")
    else:
        [scope] = [
            tr
            for tr in page.find("table", class_="instances").find("tbody").find_all("tr")
            if tr.find("td", class_="worker-name").text == row_of
        ]
    [form] = scope.find_all("form")
    return form


async def command(client: httpx.AsyncClient, form: Node) -> list[str]:
    """Submit a pause/resume form once its question is answered OK (dashboard.js then marks
    its ``confirmed`` field, where it has one); the flash messages of the page it leads to."""
    for field in form.find_all("input"):
        if field.attrs.get("name") == "confirmed":
            field.attrs["value"] = "yes"
    response = await submit(client, form)
    assert response.status_code == 303
    return flashes((await client.get(response.headers["location"])).text)


async def test_running_counts_follow_the_runs_of_every_worker(
    fleet: Fleet, fleet_url: str, start_worker: StartWorker, tmp_path: Path
) -> None:
    _, client = fleet
    holder = start_worker(fleet_url, "worker-a", factory="holding", heartbeat=HEARTBEAT)
    start_worker(fleet_url, "worker-b", heartbeat=HEARTBEAT)
    expected = {"worker-a.hold", "worker-b.report", "worker-b.sync"}
    await until_listed(client, expected)
    page = await client.get("/dashboard/tasks?per_page=200&sort=name")
    assert running_cell(page.text, "worker-a.hold") == ""
    assert cards(await overview(client))["running now"] == "0"

    # A run under way inside worker-a shows on its row and the overview within about a second.
    response = await submit(client, row_action(page.text, "worker-a.hold", "run"))
    assert response.status_code == 303
    started = time.monotonic()

    async def shown_running() -> str:
        await asyncio.sleep(0.05)
        return running_cell(await listed_page(client), "worker-a.hold")

    while await shown_running() != "▶ 1/1":
        assert time.monotonic() - started < 5, "the run never showed as running"
    home = await overview(client)
    assert cards(home)["running now"] == "1"
    assert worker_table(home)["worker-a"]["Running now"] == "▶ 1"
    assert worker_table(home)["worker-b"]["Running now"] == "0"

    # It ends: the indicator goes.
    (tmp_path / "release").touch()
    while await shown_running():
        assert time.monotonic() - started < 15, "the ended run still shows as running"
    assert cards(await overview(client))["running now"] == "0"

    # Again, then worker-a dies mid-run: once unreachable, nothing shows as running there.
    page = await client.get("/dashboard/tasks?per_page=200&sort=name")
    await submit(client, row_action(page.text, "worker-a.hold", "run"))
    deadline = time.monotonic() + 5
    while await shown_running() != "▶ 1/1":
        assert time.monotonic() < deadline, "the second run never showed as running"
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    deadline = time.monotonic() + 3 * HEARTBEAT + 5
    while await shown_running():
        assert time.monotonic() < deadline, "a dead worker's run shows as running forever"
    home = await overview(client)
    assert cards(home)["running now"] == "0"
    assert worker_table(home)["worker-a"]["Status"] == "unreachable"
    assert worker_table(home)["worker-b"]["Status"] == "live"


async def until_listed(client: httpx.AsyncClient, expected: set[str]) -> None:
    """Wait (up to 15 s) until the task list shows exactly ``expected``."""
    deadline = time.monotonic() + 15
    while set(await listed(client)) != expected:
        assert time.monotonic() < deadline, "the workers' tasks never showed"
        await asyncio.sleep(0.05)


async def listed_page(client: httpx.AsyncClient) -> str:
    """The task list's HTML (every task, by name)."""
    response = await client.get("/dashboard/tasks?per_page=200&sort=name")
    assert response.status_code == 200
    return response.text


async def test_pausing_one_worker_or_every_live_worker(
    fleet: Fleet, fleet_url: str, start_worker: StartWorker
) -> None:
    admin, client = fleet
    start_worker(fleet_url, "worker-a", heartbeat=HEARTBEAT)
    start_worker(fleet_url, "worker-b", heartbeat=HEARTBEAT)
    await until_listed(client, {f"worker-{w}.{k}" for w in "ab" for k in ("report", "sync")})
    home = await overview(client)
    assert [a.text for a in home.find("nav", class_="main-nav").find_all("a")] == [
        *("Overview", "Tasks", "Runs", "Logs", "Events", "Audit", "Workers")
    ], "no Timeline, Runtime or Instances on a fleet: they would only say 'not available'"
    shown = worker_table(home)
    assert {n: (w["Status"], w["Scheduler"], w["Tasks"]) for n, w in shown.items()} == {
        "worker-a": ("live", "running", "2"),
        "worker-b": ("live", "running", "2"),
    }

    # One worker, from the Workers page: asked first, carried out by the worker, shown paused.
    workers = parse((await client.get("/dashboard/workers")).text)
    form = scheduler_form(workers, row_of="worker-b")
    assert form.attrs["data-confirm"].startswith("Pause the scheduler of worker-b? No task of")
    assert await command(client, form) == ["Paused the scheduler of worker-b."]
    workers = parse((await client.get("/dashboard/workers")).text)
    assert worker_table(workers)["worker-b"]["Scheduler"].startswith("paused")
    assert worker_table(workers)["worker-a"]["Scheduler"].startswith("running")
    assert scheduler_form(workers, row_of="worker-b").find("button").text == "Resume"

    # The overview's control acts on every live worker still running: here worker-a only.
    home = await overview(client)
    form = scheduler_form(home)
    assert form.find("button").text == "Pause all workers"
    assert form.attrs["data-confirm"].startswith(
        "Pause the scheduler of 1 of 2 live workers (worker-a)?"
    )
    assert await command(client, form) == ["Paused the scheduler of 1 worker(s): worker-a."]
    home = await overview(client)
    assert "Scheduler paused" in home.find("div", class_="scheduler-state").text
    assert "The scheduler is paused" in home.find("p", class_="banner").text
    form = scheduler_form(home)
    assert form.find("button").text == "Resume all workers"
    assert await command(client, form) == [
        "Resumed the scheduler of 2 worker(s): worker-a, worker-b."
    ]
    shown = worker_table(await overview(client))
    assert [shown[w]["Scheduler"] for w in ("worker-a", "worker-b")] == ["running", "running"]

    audit = parse((await client.get("/dashboard/audit")).text).text
    assert "worker worker-b" in audit, "a worker's pause is audited with its name"

    # A repeated submission acts once; a worker that is not there is a 404.
    workers = parse((await client.get("/dashboard/workers")).text)
    form = scheduler_form(workers, row_of="worker-a")
    assert await command(client, form) == ["Paused the scheduler of worker-a."]
    again = await command(client, form)
    assert again == ["Paused the scheduler of worker-a."], "the first outcome, not acted again"
    missing = await client.post(
        "/dashboard/workers/nobody/pause", data={"csrf_token": form_token(form)}
    )
    assert missing.status_code == 404
    assert admin.adapter.instances, "unchanged"


def form_token(form: Node) -> str:
    """The CSRF token a rendered form carries."""
    [field] = [i for i in form.find_all("input") if i.attrs.get("name") == "csrf_token"]
    return field.attrs["value"]
