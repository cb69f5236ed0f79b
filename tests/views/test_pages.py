"""The task page's next runs and logs, the timeline, the runtime and instances pages."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from asgi_lifespan import LifespanManager
from asyncz.schedulers.asyncio import AsyncIOScheduler
from asyncz.triggers import CronTrigger, IntervalTrigger

from asyncz_dashboard import AsynczAdmin, DashboardConfig
from asyncz_dashboard.logs import get_task_logger

from ..conftest import SECRET, noop
from .page import Node, parse, row_menu

PARIS = ZoneInfo("Europe/Paris")
BASE = "/dashboard"
HOSTILE = "<img src=x onerror=alert(1)>"


@pytest.fixture
async def paris() -> AsyncIterator[AsyncIOScheduler]:
    """A started scheduler in Europe/Paris."""
    scheduler = AsyncIOScheduler(timezone="Europe/Paris")
    scheduler.start()
    yield scheduler
    if scheduler.running:
        scheduler.shutdown(wait=False)
    await asyncio.sleep(0)


@pytest.fixture
async def served(paris: AsyncIOScheduler) -> AsyncIterator[tuple[AsynczAdmin, httpx.AsyncClient]]:
    admin = AsynczAdmin(paris, config=DashboardConfig(secret_key=SECRET))
    app = admin.get_asgi_app()
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app, root_path=BASE)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield admin, c
    admin.close()


def times(node: Node) -> list[Node]:
    return node.find_all("time")


async def page(client: httpx.AsyncClient, url: str) -> Node:
    response = await client.get(url)
    assert response.status_code == 200, response.text[:500]
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "<img" not in response.text
    return parse(response.text)


# -- task detail ---------------------------------------------------------------------------
async def test_task_page_lists_the_next_ten_runs_across_the_march_change(
    paris: AsyncIOScheduler, served: Any
) -> None:
    _, client = served
    paris.add_task(
        noop,
        CronTrigger(minute="30", start_at=datetime(2027, 3, 28, tzinfo=PARIS)),
        id="hourly",
        name=HOSTILE,
    )
    tree = await page(client, f"{BASE}/tasks/hourly")
    section = tree.find("section", class_="task-upcoming")
    shown = [t.text for t in times(section)]
    assert shown[:4] == [
        "2027-03-28 00:30:00 CET",
        "2027-03-28 01:30:00 CET",
        "2027-03-28 03:30:00 CEST",
        "2027-03-28 04:30:00 CEST",
    ]
    assert len(shown) == 10
    assert [t.attrs["datetime"] for t in times(section)][:3] == [
        "2027-03-27T23:30:00Z",  # sent in UTC; the page's zone is in the text
        "2027-03-28T00:30:00Z",
        "2027-03-28T01:30:00Z",
    ]
    assert "CET then CEST" in section.text
    assert paris.get_task("hourly").next_run_time == datetime(2027, 3, 28, 0, 30, tzinfo=PARIS)


async def test_task_page_interval_runs_across_the_october_change_are_asyncz_s_own(
    paris: AsyncIOScheduler, served: Any
) -> None:
    _, client = served
    start = datetime(2027, 10, 31, 1, 0, tzinfo=PARIS)
    task = paris.add_task(noop, IntervalTrigger(minutes=30, start_at=start), id="half")
    expected = task.get_run_times(PARIS, start + timedelta(minutes=30 * 9, hours=1))[:10]
    tree = await page(client, f"{BASE}/tasks/half")
    section = tree.find("section", class_="task-upcoming")
    shown = [datetime.fromisoformat(t.attrs["datetime"]) for t in times(section)]
    # In UTC: PEP 495 makes an interzone comparison of an ambiguous local time unequal.
    utc = timezone.utc
    assert [t.astimezone(utc) for t in shown] == [t.astimezone(utc) for t in expected]
    assert [t.text[-4:].strip() for t in times(section)][3:5] == ["CEST", "CET"]


async def test_a_paused_task_says_it_runs_only_if_resumed(
    paris: AsyncIOScheduler, served: Any
) -> None:
    _, client = served
    paris.add_task(noop, "interval", minutes=5, id="p").pause()
    section = (await page(client, f"{BASE}/tasks/p")).find("section", class_="task-upcoming")
    assert "Paused: nothing runs until it is resumed. If resumed now, it would run at:" in (
        section.text
    )
    assert len(times(section)) == 10
    assert paris.get_task("p").next_run_time is None


async def test_task_page_shows_its_recent_logs_escaped_and_links_to_the_rest(
    paris: AsyncIOScheduler, served: Any
) -> None:
    admin, client = served
    paris.add_task(noop, "interval", minutes=5, id="logger", name="Logger")
    log = get_task_logger("logger")
    for i in range(25):
        log.info("step %d %s", i, HOSTILE)
    get_task_logger("other").info("not mine")
    admin.writer.flush()
    tree = await page(client, f"{BASE}/tasks/logger")
    section = tree.find("section", class_="task-logs")
    messages = [pre.text for pre in section.find_all("pre")]
    assert len(messages) == 20
    assert messages[0] == f"step 24 {HOSTILE}"
    assert "not mine" not in section.text
    links = {a.text: a.attrs["href"] for a in section.find_all("a") if "→" in a.text}
    assert links == {"All log records of this task →": f"{BASE}/logs?task=logger"}
    nav = {a.text: a.attrs["href"] for a in tree.find("p", class_="task-links").find_all("a")}
    assert nav["Runs"] == f"{BASE}/runs?task=logger"
    assert nav["Logs"] == f"{BASE}/logs?task=logger"
    edit = next(a for a in tree.find_all("a", class_="button") if a.text == "Edit")
    assert edit.attrs["href"] == f"{BASE}/tasks/logger/edit"


async def test_a_task_without_logs_says_so(paris: AsyncIOScheduler, served: Any) -> None:
    _, client = served
    paris.add_task(noop, "interval", minutes=5, id="quiet")
    section = (await page(client, f"{BASE}/tasks/quiet")).find("section", class_="task-logs")
    assert section.text == "Recent log records No log records match these filters."


# -- timeline ------------------------------------------------------------------------------
def timeline_rows(tree: Node) -> list[tuple[str, str]]:
    return [
        (row.find("time").attrs["datetime"], row.find("a").text)
        for table in tree.find_all("table", class_="timeline")
        for row in table.find_all("tr")[1:]
    ]


async def test_timeline_merges_every_task_s_runs_in_order_grouped_by_hour(
    paris: AsyncIOScheduler, served: Any
) -> None:
    _, client = served
    now = datetime.now(timezone.utc)
    paris.add_task(
        noop, "interval", minutes=20, start_at=now + timedelta(minutes=1), id="a", name=HOSTILE
    )
    paris.add_task(
        noop, "interval", minutes=45, start_at=now + timedelta(minutes=2), id="b", name="B"
    )
    paris.add_task(noop, "date", run_at=now + timedelta(minutes=90), id="c", name="C")
    paris.add_task(noop, "interval", minutes=1, id="d", name="Paused").pause()
    tree = await page(client, f"{BASE}/timeline?window=1h")
    rows = timeline_rows(tree)
    assert [name for _, name in rows] == [HOSTILE, "B", HOSTILE, HOSTILE, "B"]
    stamps = [datetime.fromisoformat(stamp) for stamp, _ in rows]
    assert stamps == sorted(stamps) and stamps[-1] < now + timedelta(hours=1, seconds=5)
    assert all(stamp.utcoffset() == timedelta(0) for stamp in stamps)  # sent in UTC
    headings = [h.text for h in tree.find_all("h2")]
    heading = r"\w{3} \d{2} \w{3} \d{4}, \d{2}:00 CES?T (\d+) runs?"  # "… 2 runs", "… 1 run"
    counts = [re.fullmatch(heading, h) for h in headings]
    assert all(counts), headings
    assert sum(int(c[1]) for c in counts if c) == len(rows)
    hrefs = {a.attrs["href"] for a in tree.find("div", id="timeline-data").find_all("a")}
    assert hrefs == {f"{BASE}/tasks/a", f"{BASE}/tasks/b"}
    day = timeline_rows(await page(client, f"{BASE}/timeline"))
    assert ("C" in [name for _, name in day]) and "Paused" not in [n for _, n in day]


async def test_timeline_filters_like_the_task_list(paris: AsyncIOScheduler, served: Any) -> None:
    _, client = served
    paris.add_task(noop, "interval", minutes=30, id="x", name="Export")
    paris.add_task(noop, "cron", minute="*/30", id="y", name="Cleanup")
    names = {n for _, n in timeline_rows(await page(client, f"{BASE}/timeline?q=export"))}
    assert names == {"Export"}
    names = {n for _, n in timeline_rows(await page(client, f"{BASE}/timeline?trigger=cron"))}
    assert names == {"Cleanup"}
    tree = await page(client, f"{BASE}/timeline?state=paused")
    assert timeline_rows(tree) == []
    assert "No runs are due in this window for these filters." in tree.text


@pytest.mark.parametrize(
    "query",
    [
        "window=2d",
        "window=",
        "per_page=7",
        "page=-1",
        "page=99999999999",
        "page=²",
        "state=x",
        "q=%00",
        "executor=" + "e" * 5000,
    ],
)
async def test_timeline_falls_back_on_odd_parameters(served: Any, query: str) -> None:
    _, client = served
    response = await client.get(f"{BASE}/timeline?{query}")
    assert response.status_code == 200


async def test_timeline_at_10000_tasks_is_bounded_paged_and_fast() -> None:
    scheduler = AsyncIOScheduler(timezone="Europe/Paris")
    now = datetime.now(timezone.utc)
    for i in range(10_000):
        scheduler.add_task(
            noop,
            "interval",
            minutes=10,
            id=f"t{i}",
            name=f"task {i}",
            start_at=now + timedelta(minutes=5, seconds=i % 600),
        )
    scheduler.start(paused=True)
    admin = AsynczAdmin(scheduler, config=DashboardConfig(secret_key=SECRET))
    try:
        app = admin.get_asgi_app()
        transport = httpx.ASGITransport(app=app, root_path=BASE)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            await client.get(f"{BASE}/timeline")  # warm: the index's sorted order
            default = parse((await client.get(f"{BASE}/timeline")).text)
            rows = f"{BASE}/timeline?per_page=500"
            started = time.perf_counter()
            first = parse((await client.get(rows)).text)
            elapsed = time.perf_counter() - started
            second = parse((await client.get(f"{rows}&page=2")).text)
            for number in range(3, 10):  # each page asks the triggers for its own rows only
                assert (await client.get(f"{rows}&page={number}")).status_code == 200
            last = parse((await client.get(f"{rows}&page=10")).text)
            beyond = await client.get(f"{rows}&page=11")
        # By default a page holds 50 rows, with a link to more rows and one to the next page.
        assert len(timeline_rows(default)) == 50
        more = [a for a in default.find_all("a") if a.text == "Show 100 rows"]
        assert [a.attrs["href"] for a in more] == [f"{BASE}/timeline?per_page=100"]
        assert default.find("a", rel="next").attrs["href"] == f"{BASE}/timeline?page=2"
        rows1, rows2 = timeline_rows(first), timeline_rows(second)
        assert len(rows1) == len(rows2) == 500
        stamps = [datetime.fromisoformat(s) for s, _ in rows1 + rows2]
        assert stamps == sorted(stamps)
        assert first.find("a", rel="next").attrs["href"] == f"{BASE}/timeline?per_page=500&page=2"
        assert "More runs follow: narrow the window or filter to see them." in last.text
        assert timeline_rows(parse(beyond.text)) == timeline_rows(last)
        # Rendering 500 rows is most of it; the merge itself is measured in benchmarks/.
        assert elapsed < 2.0
    finally:
        admin.close()
        scheduler.shutdown(wait=False)
        await asyncio.sleep(0)


# -- runtime and instances -----------------------------------------------------------------
async def test_runtime_page_describes_the_scheduler(paris: AsyncIOScheduler, served: Any) -> None:
    _, client = served
    paris.add_task(noop, "interval", minutes=5, id="r1")
    paris.add_task(noop, "interval", minutes=5, id="r2")
    tree = await page(client, f"{BASE}/runtime")
    fields = dict(
        zip(
            [d.text for d in tree.find_all("dt")],
            [d.text for d in tree.find_all("dd")],
            strict=True,
        )
    )
    assert fields["Scheduler"] == "asyncz.schedulers.asyncio.AsyncIOScheduler"
    assert fields["Identity"] == paris.identity
    assert fields["State"] == "running"
    assert fields["Timezone"] == "Europe/Paris"
    assert fields["Asyncz"] == "0.17.2" or fields["Asyncz"][0].isdigit()
    assert fields["Dashboard"][0].isdigit()
    assert fields["max instances"] == "1" and fields["coalesce"] == "True"
    assert fields["Uptime"].endswith(("second", "seconds"))
    tables = tree.find_all("table", class_="components")
    stores = [[td.text for td in tr.find_all("td")] for tr in tables[0].find_all("tr")[1:]]
    executors = [[td.text for td in tr.find_all("td")] for tr in tables[1].find_all("tr")[1:]]
    assert stores == [["default", "asyncz.stores.memory.MemoryStore", "2"]]
    assert executors == [["default", "asyncz.executors.asyncio.AsyncIOExecutor", "2"]]


async def test_instances_page_lists_this_process_with_its_heartbeat(
    paris: AsyncIOScheduler, served: Any
) -> None:
    _, client = served
    tree = await page(client, f"{BASE}/instances")
    rows = tree.find("table", class_="instances").find_all("tr")[1:]
    assert len(rows) == 1
    cells = [td.text for td in rows[0].find_all("td")]
    assert cells[0] == paris.identity and cells[1] == "this process" and cells[2] == "running"
    heartbeat = datetime.fromisoformat(rows[0].find_all("time")[0].attrs["datetime"])
    assert abs((heartbeat - datetime.now(timezone.utc)).total_seconds()) < 5
    paris.shutdown(wait=False)
    for _ in range(50):
        if not paris.running:
            break
        await asyncio.sleep(0.01)
    stopped = (await page(client, f"{BASE}/instances")).find("table", class_="instances")
    assert "stopped (not running)" in stopped.text


async def test_the_new_pages_are_in_the_navigation(served: Any) -> None:
    _, client = served
    tree = await page(client, f"{BASE}/timeline")
    nav = {a.text: a.attrs for a in tree.find("nav", aria_label="Main").find_all("a")}
    assert nav["Timeline"]["href"] == f"{BASE}/timeline"
    assert nav["Timeline"]["aria-current"] == "page"
    assert nav["Runtime"]["href"] == f"{BASE}/runtime"
    assert nav["Instances"]["href"] == f"{BASE}/instances"


class Flaky(IntervalTrigger):  # type: ignore[misc]
    """An interval trigger that starts failing when told to (a broken custom trigger)."""

    def get_next_trigger_time(self, *args: Any, **kwargs: Any) -> Any:
        if getattr(self, "_broken", False):
            raise RuntimeError("trigger bug")
        return super().get_next_trigger_time(*args, **kwargs)


async def test_a_failing_trigger_does_not_break_the_task_page_or_the_timeline(
    paris: AsyncIOScheduler, served: Any
) -> None:
    _, client = served
    trigger = Flaky(minutes=5)
    paris.add_task(noop, trigger, id="flaky", name="Flaky")
    object.__setattr__(trigger, "_broken", True)
    detail = await page(client, f"{BASE}/tasks/flaky")
    assert "No upcoming runs" in detail.find("section", class_="task-upcoming").text
    rows = timeline_rows(await page(client, f"{BASE}/timeline"))
    assert [name for _, name in rows] == ["Flaky"]  # its next run time, then nothing


async def test_a_stopped_scheduler_s_task_page_still_lists_its_next_runs() -> None:
    scheduler = AsyncIOScheduler(timezone="Europe/Paris")
    scheduler.add_task(noop, "interval", minutes=5, id="pending", name="Pending")
    admin = AsynczAdmin(scheduler, config=DashboardConfig(secret_key=SECRET))
    try:
        transport = httpx.ASGITransport(app=admin.get_asgi_app(), root_path=BASE)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            tree = await page(client, f"{BASE}/tasks/pending")
        assert len(times(tree.find("section", class_="task-upcoming"))) == 10
    finally:
        admin.close()


async def test_each_row_s_menu_links_to_the_task_s_runs_and_logs(
    paris: AsyncIOScheduler, served: Any
) -> None:
    _, client = served
    paris.add_task(noop, "interval", minutes=5, id="a/b c", name="Odd id")
    listing = await client.get(f"{BASE}/tasks")
    hrefs = row_menu(listing.text, "a/b c")  # as controls.js fills the one menu template in
    assert hrefs["Details"] == f"{BASE}/tasks/a%2Fb%20c"
    assert hrefs["Runs"] == f"{BASE}/runs?task=a%2Fb%20c"
    assert hrefs["Logs"] == f"{BASE}/logs?task=a%2Fb%20c"


def test_the_hour_repeated_in_october_reads_as_two_hours() -> None:
    from asyncz_dashboard.views.timeline import group_by_hour

    utc = timezone.utc
    runs: Any = tuple(
        (datetime(2026, 10, 24, 23, 50, tzinfo=utc) + timedelta(minutes=30 * i), f"t{i}")
        for i in range(6)
    )
    groups = group_by_hour(runs, PARIS)
    assert [(g.label, [t for _, t in g.runs]) for g in groups] == [
        ("Sun 25 Oct 2026, 01:00 CEST", ["t0"]),  # 01:50
        ("Sun 25 Oct 2026, 02:00 CEST", ["t1", "t2"]),  # 02:20, 02:50
        ("Sun 25 Oct 2026, 02:00 CET", ["t3", "t4"]),  # 02:20, 02:50 again, an hour later
        ("Sun 25 Oct 2026, 03:00 CET", ["t5"]),
    ]
