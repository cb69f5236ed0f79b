"""What history adds to the task pages: the last-run column, the running-now indicator, and
each task's chart of its last runs."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta, timezone

import httpx
from asyncz.schedulers.asyncio import AsyncIOScheduler

from asyncz_dashboard import AsynczAdmin

from ..conftest import noop
from ..views.page import cell
from .support import BASE, Gate, Node, detail_fields, finished_run, parse, post, runs_of, until

OUTCOMES: list[str] = []
CROSS = "\N{MULTIPLICATION SIGN}"  # drawn over failed bars


async def flaky() -> None:
    """Succeeds or fails, as the test says."""
    if OUTCOMES.pop(0) == "fail":
        raise RuntimeError("flaky failure")
    await asyncio.sleep(0.01)


GATE = Gate()


async def slow() -> None:
    """Runs until the test opens the gate."""
    await GATE.wait()


def task_row(html: str, task_id: str) -> Node:
    """The task list row of ``task_id``."""
    for row in parse(html).find_all("tr"):
        if row.find_all("input", name="task_id", value=task_id):
            return row
    raise AssertionError(f"no row for {task_id}")


async def test_the_last_run_column_shows_the_outcome_in_glyph_and_words(
    scheduler: AsyncIOScheduler, admin: AsynczAdmin, client: httpx.AsyncClient
) -> None:
    scheduler.add_task(noop, "interval", minutes=5, id="good", name="Good")
    scheduler.add_task(flaky, "interval", minutes=5, id="bad", name="Bad")
    scheduler.add_task(noop, "interval", minutes=5, id="idle", name="Idle")
    OUTCOMES[:] = ["fail"]
    scheduler.run_task("good", remove_finished=False)
    scheduler.run_task("bad", remove_finished=False)
    good = await finished_run(admin, "good", "succeeded")
    bad = await finished_run(admin, "bad", "failed")

    for url in (f"{BASE}/tasks", f"{BASE}/tasks/partials/table"):
        page = await client.get(url)
        assert page.status_code == 200
        ok_cell = cell(task_row(page.text, "good"), "last")
        assert ok_cell.full_text.startswith("✓succeeded")  # the glyph, then the hidden word
        assert ok_cell.text.startswith("succeeded")  # what a screen reader says
        assert ok_cell.find("a").attrs["href"] == f"{BASE}/runs/{good.run_id}"
        bad_cell = cell(task_row(page.text, "bad"), "last")
        assert bad_cell.full_text.startswith("✕ failed")
        # Visible without hovering (not a screen-reader word only), beside the glyph.
        assert bad_cell.find("span", class_="run-word").text == "failed"
        assert bad_cell.find_all("span", class_="sr") == []
        assert "RuntimeError: flaky failure" in bad_cell.find("a").attrs["title"]
        assert bad_cell.find("a").attrs["href"] == f"{BASE}/runs/{bad.run_id}"
        assert cell(task_row(page.text, "idle"), "last").text == "—"


async def test_a_missed_run_says_missed_in_the_last_run_column(
    scheduler: AsyncIOScheduler, admin: AsynczAdmin, client: httpx.AsyncClient
) -> None:
    scheduler.add_task(
        noop, "interval", minutes=5, id="late", name="Late",
        next_run_time=datetime.now(timezone.utc) - timedelta(seconds=30), mistrigger_grace_time=1,
    )  # fmt: skip
    missed = await finished_run(admin, "late", "missed")
    page = await client.get(f"{BASE}/tasks")
    last_cell = cell(task_row(page.text, "late"), "last")
    # Like "✕ failed": the word beside its glyph, not for screen readers only.
    assert last_cell.full_text.startswith("⊖ missed")
    assert last_cell.find("span", class_="run-word").text == "missed"
    assert last_cell.find_all("span", class_="sr") == []
    assert last_cell.find("a").attrs["href"] == f"{BASE}/runs/{missed.run_id}"


async def test_a_running_task_shows_running_now_against_its_max_instances(
    scheduler: AsyncIOScheduler, admin: AsynczAdmin, client: httpx.AsyncClient
) -> None:
    scheduler.add_task(slow, "interval", minutes=5, id="slow", name="Slow", max_instances=1)
    GATE.close()
    response = await post(client, f"{BASE}/tasks/slow/run")
    assert response.status_code == 303
    [running] = await until(lambda: runs_of(admin, "slow", "running"), what="the run to start")

    page = await client.get(f"{BASE}/tasks")
    last_cell = cell(task_row(page.text, "slow"), "last")
    indicator = last_cell.find("span", class_="running-now")
    assert indicator.text == "▶ 1/1"
    assert indicator.attrs["title"] == "1 of at most 1 instance(s) running now"
    assert "running" in last_cell.text
    detail = await client.get(f"{BASE}/tasks/slow")
    assert "▶ 1/1 running now" in parse(detail.text).find("section", class_="task-runs").text

    run_page = await client.get(f"{BASE}/runs/{running.run_id}")
    assert parse(run_page.text).find("h1").text.endswith("running")
    assert detail_fields(run_page.text)["Duration"] == "—"

    GATE.open()
    await finished_run(admin, "slow", "succeeded")
    await until(lambda: admin.adapter.running_instances("slow") == 0, what="the instance to end")
    after = await client.get(f"{BASE}/tasks")
    last_cell = cell(task_row(after.text, "slow"), "last")
    assert not last_cell.find_all("span", class_="running-now")
    assert last_cell.text.startswith("succeeded")


async def test_the_task_detail_draws_one_bar_per_run_with_crosses_on_failures(
    scheduler: AsyncIOScheduler, admin: AsynczAdmin, client: httpx.AsyncClient
) -> None:
    scheduler.add_task(flaky, "interval", minutes=5, id="flaky", name="Flaky", max_instances=10)
    empty = await client.get(f"{BASE}/tasks/flaky")
    assert (
        "This task has not run yet." in parse(empty.text).find("section", class_="task-runs").text
    )
    assert parse(empty.text).find_all("svg", class_="run-chart") == []

    OUTCOMES[:] = ["ok", "fail", "ok", "fail", "ok"]
    for count in range(1, 6):
        scheduler.run_task("flaky", remove_finished=False)
        await until(lambda n=count: len(runs_of(admin, "flaky")) == n, what=f"run {count}")
        await until(lambda: not runs_of(admin, "flaky", "running"), what="the run to finish")

    page = await client.get(f"{BASE}/tasks/flaky")
    assert page.status_code == 200
    html = page.text
    assert html.count('<g class="bar') == 5
    assert html.count('<g class="bar bar-failed"') == 2
    assert html.count('<g class="bar bar-succeeded"') == 3
    chart = parse(html).find("svg", class_="run-chart")
    assert chart.attrs["aria-label"] == "Last 5 runs: 2 failed"
    bars = chart.find_all("g", class_="bar")
    # Oldest on the left: ok, fail, ok, fail, ok; failures carry the cross glyph.
    assert [CROSS in bar.full_text for bar in bars] == [False, True, False, True, False]
    assert all(bar.find("title").text.startswith(("succeeded in", "failed in")) for bar in bars)
    xs = [float(bar.find("rect").attrs["x"]) for bar in bars]
    assert xs == sorted(xs)
    heights = [float(bar.find("rect").attrs["height"]) for bar in bars]
    assert all(h >= 3 for h in heights)
    assert re.search(r"Bars: duration of each of the last 5 runs", html)


async def test_the_chart_keeps_only_the_last_30_runs(
    scheduler: AsyncIOScheduler, admin: AsynczAdmin, client: httpx.AsyncClient
) -> None:
    scheduler.add_task(noop, "interval", minutes=5, id="busy", max_instances=100)
    for _ in range(35):
        scheduler.run_task("busy", remove_finished=False)
        await asyncio.sleep(0.001)
    await finished_run(admin, "busy", "succeeded", count=35)
    page = await client.get(f"{BASE}/tasks/busy")
    assert page.text.count('<g class="bar') == 30
    chart = parse(page.text).find("svg", class_="run-chart")
    assert chart.attrs["aria-label"] == "Last 30 runs: 0 failed"
