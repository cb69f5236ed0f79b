"""The htmx table fragment: one ``#tasks-table`` after any number of swaps, filters kept."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
from asyncz.schedulers.asyncio import AsyncIOScheduler

from ..conftest import noop
from .page import cell, parse, prefixed_once, rendered_urls, row_action, rows, top_elements
from .support import HX, submit

REFRESH = {**HX, "HX-Trigger": "tasks-table"}


def add_tasks(scheduler: AsyncIOScheduler) -> None:
    names = ("Report A", "Report B", "Cleanup", "legacy/sync 1")
    for n, name in enumerate(names):
        task_id = name.lower().replace(" ", "-") if "/" not in name else name
        scheduler.add_task(noop, "interval", minutes=5 + n, id=task_id, name=name)
    scheduler.pause_task("report-a")
    scheduler.pause_task("report-b")
    scheduler.pause_task("cleanup")


def assert_prefixed_once(html: str, prefix: str = "/dashboard") -> None:
    for attribute, url, _ in rendered_urls(html):
        assert prefixed_once(url, prefix), f"{attribute}={url!r} lacks or repeats {prefix}"


async def test_three_refreshes_each_return_exactly_one_table_as_the_outer_element(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    add_tasks(scheduler)
    page = await client.get("/dashboard/tasks")
    assert page.text.count('id="tasks-table"') == 1
    table = parse(page.text).find(id="tasks-table")
    assert len(table.attrs["data-version"]) == 16  # a live region: polled by dashboard.js
    refresh_url = table.attrs["data-live"]
    assert refresh_url == "/dashboard/tasks/partials/table"

    for _ in range(3):
        response = await client.get(refresh_url, headers=REFRESH)
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        assert response.text.count('id="tasks-table"') == 1
        assert [e.attrs.get("id") for e in top_elements(response.text)] == ["tasks-table"]
        assert "<html" not in response.text and "<body" not in response.text
        assert "hx-push-url" not in response.headers, "the periodic refresh pushes no history"
        assert_prefixed_once(response.text)
        refresh_url = top_elements(response.text)[0].attrs["data-live"]
        assert refresh_url == "/dashboard/tasks/partials/table"
    assert_prefixed_once(page.text)


LIST_PATHS = ("/dashboard/tasks", "/dashboard/tasks/partials/table")


async def test_filters_survive_an_htmx_action_and_the_next_refresh(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    add_tasks(scheduler)
    page = await client.get("/dashboard/tasks?state=paused&q=report")
    assert set(rows(page.text)) == {"report-a", "report-b"}

    action = await submit(client, row_action(page.text, "report-a", "resume"), htmx=True)
    refresh_url = top_elements(action.text)[0].attrs["data-live"]
    refresh = await client.get(refresh_url, headers=REFRESH)

    # The action's answer keeps the resumed row in place (under the operator's cursor) and
    # says why it will go; the next refresh draws the filter as it is.
    assert set(rows(action.text)) == {"report-a", "report-b"}
    assert "no longer matches the State filter" in action.text
    assert set(rows(refresh.text)) == {"report-b"}
    for response in (action, refresh):
        assert response.status_code == 200
        # The heading comes out of band, with its own links (Clear, the filter form): cut it.
        head = response.text.index('<div id="tasks-head"')
        region = response.text[:head] + response.text[response.text.index("</form>", head) :]
        list_urls = [
            url
            for _, url, method in rendered_urls(region)
            if method == "GET" and urlsplit(url).path in LIST_PATHS
        ]
        assert list_urls, "the fragment links to the list"
        for url in list_urls:
            query = parse_qs(urlsplit(url).query)
            assert (query["q"], query["state"]) == (["report"], ["paused"]), url
        for form in parse(region).find_all("form", method="post"):
            inputs = [i for i in form.find_all("input") if "name" in i.attrs]  # not select-all
            fields = dict((i.attrs["name"], i.attrs.get("value")) for i in inputs)
            assert (fields["q"], fields["state"]) == ("report", "paused")
    assert parse_qs(urlsplit(action.headers["hx-push-url"]).query) == {
        "q": ["report"],
        "state": ["paused"],
    }


async def test_rows_link_without_the_list_state_and_the_detail_page_takes_it_from_the_referer(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    add_tasks(scheduler)
    page = await client.get("/dashboard/tasks?state=paused&q=report")
    links = {url for _, url, _ in rendered_urls(page.text) if "/dashboard/tasks/report-a" in url}
    assert all("?" not in url for url in links), "a row depends on its task, not the query"
    assert "/dashboard/tasks/report-a" in links

    referer = "http://testserver/dashboard/tasks?state=paused&q=report"
    detail = await client.get("/dashboard/tasks/report-a", headers={"referer": referer})
    back = parse(detail.text).find("p", class_="crumbs").find("a").attrs["href"]
    assert parse_qs(urlsplit(back).query) == {"q": ["report"], "state": ["paused"]}

    elsewhere = "http://testserver/dashboard/runs?q=report"
    detail = await client.get("/dashboard/tasks/report-a", headers={"referer": elsewhere})
    back = parse(detail.text).find("p", class_="crumbs").find("a").attrs["href"]
    assert back == "/dashboard/tasks"


async def test_a_sort_link_in_the_fragment_pushes_the_full_page_url(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    add_tasks(scheduler)
    page = await client.get("/dashboard/tasks?q=report")
    link = next(a for a in parse(page.text).find_all("a") if a.text == "Task")

    response = await client.get(link.attrs["hx-get"], headers=HX)

    assert link.attrs["hx-push-url"] == "/dashboard/tasks?q=report&sort=name"
    assert response.headers["hx-push-url"] == "/dashboard/tasks?q=report&sort=name"
    assert [cell(r, "name").text for r in rows(response.text).values()] == [
        "Report A",
        "Report B",
    ]


async def test_the_fragment_answers_without_htmx_headers_too(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    add_tasks(scheduler)
    response = await client.get("/dashboard/tasks/partials/table?q=cleanup")
    assert response.status_code == 200
    assert set(rows(response.text)) == {"cleanup"}
