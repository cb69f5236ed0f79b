"""The task list: state in the URL, pagination, sorting, fallbacks and empty states."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import httpx
import pytest
from asyncz.schedulers.asyncio import AsyncIOScheduler

from ..conftest import noop
from .page import Node, cell, detail_fields, parse, row_names, rows

EN_DASH = "\u2013"  # the totals read "51–75 of 80"  # noqa: RUF003


def add_syncs(scheduler: AsyncIOScheduler, count: int = 80, others: int = 10) -> None:
    """``count`` tasks named ``sync NN`` due one minute apart, and ``others`` that don't match."""
    start = datetime.now(timezone.utc) + timedelta(hours=1)
    for n in range(count):
        scheduler.add_task(
            noop, "interval", hours=2, id=f"sync-{n:02d}", name=f"sync {n:02d}",
            next_run_time=start + timedelta(minutes=n),
        )  # fmt: skip
    for n in range(others):
        scheduler.add_task(noop, "interval", hours=3, id=f"other-{n}", name=f"other {n}")


def empty_states(html: str) -> list[str]:
    return [p.text for p in parse(html).find_all("p", class_="empty")]


def totals(html: str) -> str:
    return parse(html).find("span", class_="totals").text


def pager(html: str) -> Node:
    return parse(html).find("nav", class_="pager")


def sorted_header(html: str) -> str:
    [header] = [th for th in parse(html).find_all("th") if "aria-sort" in th.attrs]
    return f"{header.text} {header.attrs['aria-sort']}"


BASE = "http://testserver"


async def test_page_three_of_a_filtered_sorted_list_and_back_from_a_detail(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    add_syncs(scheduler)
    url = "/dashboard/tasks?page=3&per_page=25&sort=next_run_time&q=sync"

    listing = await client.get(url)

    assert listing.status_code == 200
    assert row_names(listing.text) == [f"sync {n:02d}" for n in range(50, 75)]
    assert totals(listing.text) == f"51{EN_DASH}75 of 80 (filtered from 90)"
    assert "Page 3 of 4" in pager(listing.text).text
    assert parse(listing.text).find("input", id="task-q").attrs["value"] == "sync"
    detail_link = cell(rows(listing.text)["sync-60"], "name").find("a")
    assert detail_link.attrs["href"] == "/dashboard/tasks/sync-60"

    # The browser sends the list's URL as the Referer (same-origin policy): the way back keeps it.
    detail = await client.get(detail_link.attrs["href"], headers={"referer": BASE + url})
    assert detail.status_code == 200
    back = next(a for a in parse(detail.text).find_all("a") if a.text == "← Tasks")
    assert back.attrs["href"] == "/dashboard/tasks?q=sync&page=3"

    returned = await client.get(back.attrs["href"])
    assert row_names(returned.text) == row_names(listing.text)
    assert totals(returned.text) == totals(listing.text)


async def test_non_default_sort_direction_and_page_size_survive_the_detail_round_trip(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    add_syncs(scheduler)
    url = "/dashboard/tasks?q=sync&sort=name&direction=desc&per_page=50&page=2"
    listing = await client.get(url)
    assert row_names(listing.text) == [f"sync {n:02d}" for n in range(29, -1, -1)]
    assert sorted_header(listing.text) == "Task descending"

    href = cell(rows(listing.text)["sync-10"], "name").find("a").attrs["href"]
    detail = await client.get(href, headers={"referer": BASE + url})
    back = next(a for a in parse(detail.text).find_all("a") if a.text == "← Tasks")
    assert back.attrs["href"] == (
        "/dashboard/tasks?q=sync&sort=name&direction=desc&page=2&per_page=50"
    )
    returned = await client.get(back.attrs["href"])
    assert row_names(returned.text) == row_names(listing.text)


async def test_a_page_past_the_end_clamps_to_the_last_page_and_keeps_the_totals(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    add_syncs(scheduler)

    response = await client.get("/dashboard/tasks?page=999&q=sync")

    assert response.status_code == 200
    assert row_names(response.text) == [f"sync {n:02d}" for n in range(75, 80)]
    assert totals(response.text) == f"76{EN_DASH}80 of 80 (filtered from 90)"
    assert "Page 4 of 4" in pager(response.text).text


@pytest.mark.parametrize(
    "query",
    [
        "sort=bogus",
        "sort=next_run",
        "state=sleeping",
        "direction=sideways",
        "page=0",
        "page=-1",
        "page=1000000000",
        "page=abc",
        "per_page=1000000",
        "per_page=7",
        "per_page=x",
        "page=2%00",
    ],
)
async def test_bad_list_parameters_fall_back_to_the_defaults(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient, query: str
) -> None:
    scheduler.add_task(noop, "interval", minutes=5, id="t1", name="Only task")

    for path in ("/dashboard/tasks", "/dashboard/tasks/partials/table"):
        response = await client.get(f"{path}?{query}")
        assert response.status_code == 200, path
        assert sorted_header(response.text) == "Next run ascending"
        assert "Page 1 of 1" in pager(response.text).text
        assert pager(response.text).find("strong").text == "25"


@pytest.mark.parametrize("query", ["executor=%00", "trigger=nope", "q=" + "x" * 5000])
async def test_filters_that_match_nothing_answer_with_the_empty_state(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient, query: str
) -> None:
    scheduler.add_task(noop, "interval", minutes=5, id="t1", name="Only task")

    for path in ("/dashboard/tasks", "/dashboard/tasks/partials/table"):
        response = await client.get(f"{path}?{query}")
        assert response.status_code == 200, path
        empty = parse(response.text).find("p", class_="empty")
        assert empty.text == "No tasks match these filters. Show all 1 task."


async def test_no_tasks_yet(client: httpx.AsyncClient) -> None:
    listing = await client.get("/dashboard/tasks")
    assert listing.status_code == 200
    assert parse(listing.text).find("p", class_="empty").text == (
        "No tasks yet. Tasks added to the scheduler with add_task() appear here."
    )
    assert totals(listing.text) == "0 of 0"
    overview = await client.get("/dashboard/")
    assert (
        "No tasks yet. Tasks added to the scheduler with add_task() appear here."
        in empty_states(overview.text)
    )


async def test_no_task_matches_the_filters(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    scheduler.add_task(noop, "interval", minutes=5, id="t1", name="Only task")

    listing = await client.get("/dashboard/tasks?q=nothing-like-this&state=paused")

    empty = parse(listing.text).find("p", class_="empty")
    assert empty.text == "No tasks match these filters. Show all 1 task."
    assert empty.find("a").attrs["href"] == "/dashboard/tasks"
    assert totals(listing.text) == "0 of 1"


async def test_paused_and_unscheduled_tasks_read_as_dashes_and_sort_last(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    scheduler.add_task(noop, "interval", seconds=60, id="a", name="A every minute")
    scheduler.pause_task("a")
    scheduler.add_task(noop, "cron", hour=3, id="b", name="B nightly", next_run_time=None)
    soon = datetime.now(timezone.utc) + timedelta(minutes=10)
    later = soon + timedelta(minutes=5)
    scheduler.add_task(noop, "interval", hours=1, id="c", name="C", next_run_time=soon)
    scheduler.add_task(noop, "interval", hours=1, id="d", name="D", next_run_time=later)

    asc = await client.get("/dashboard/tasks?sort=next_run_time")
    desc = await client.get("/dashboard/tasks?sort=next_run_time&direction=desc")

    assert row_names(asc.text) == ["C", "D", "A every minute", "B nightly"]
    assert row_names(desc.text) == ["D", "C", "A every minute", "B nightly"]
    for task_id in ("a", "b"):
        row = rows(asc.text)[task_id]
        assert cell(row, "next").text == "—"
        assert row.find("span", class_="state").text == "paused"
    assert scheduler.get_task("b").next_run_time is None


async def test_everything_paused_reads_none_scheduled(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    scheduler.add_task(noop, "interval", seconds=60, id="a", name="A every minute")
    scheduler.pause_task("a")
    scheduler.add_task(noop, "cron", hour=3, id="b", name="B nightly", next_run_time=None)
    scheduler.pause_task("b")

    overview = await client.get("/dashboard/")
    unknown_sort = await client.get("/dashboard/tasks?sort=next_run")
    detail = await client.get("/dashboard/tasks/a")

    assert (overview.status_code, unknown_sort.status_code, detail.status_code) == (200,) * 3
    cards = parse(overview.text).find("section", class_="cards")
    assert cards.find_all("div", class_="card")[0].text == "Next run none scheduled"
    all_paused = "No task has a next run time: all 2 are paused or pending. See them."
    assert all_paused in empty_states(overview.text)
    assert sorted_header(unknown_sort.text) == "Next run ascending"
    assert row_names(unknown_sort.text) == ["A every minute", "B nightly"]
    assert detail_fields(detail.text)["Next run time"] == "— paused"
