"""The list state lives in the URL: Back and the detail page's back link return to it (F16)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import expect

from .conftest import Server, Watch
from .helpers import htmx_ready

STATE = {"q": ["sync"], "sort": ["name"], "direction": ["desc"], "page": ["2"]}


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def _assert_page_two_by_name_desc(tab: Any) -> None:
    assert _query(tab.url) == STATE, tab.url
    names = tab.locator("#tasks-table tbody td:nth-child(2) a")
    expect(names).to_have_count(15)  # 40 "sync" tasks: 25 on page 1, 15 on page 2
    expect(names.first).to_have_text("Sync orders 15")
    expect(names.last).to_have_text("Sync orders 01")
    expect(tab.locator("#task-q")).to_have_value("sync")
    expect(tab.locator("#tasks-table th[aria-sort=descending]")).to_contain_text("Task")
    expect(tab.locator(".pager")).to_contain_text("Page 2 of 2")
    expect(tab.locator("#tasks-table .totals")).to_have_text("26\u201340 of 40 (filtered from 50)")


def _go_to_page_two(server: Server, tab: Any) -> None:
    tab.goto(server.url("/tasks"))
    htmx_ready(tab)
    tab.locator("#task-q").fill("sync")
    tab.wait_for_url("**/tasks?q=sync")
    expect(tab.locator("#tasks-table .totals")).to_contain_text("of 40")
    tab.locator("#tasks-table th a", has_text="Task").click()  # by name, ascending
    tab.wait_for_url("**/tasks?q=sync&sort=name")
    expect(tab.locator("#tasks-table th[aria-sort=ascending]")).to_contain_text("Task")
    tab.locator("#tasks-table th a", has_text="Task").click()  # descending
    tab.wait_for_url("**/tasks?q=sync&sort=name&direction=desc")
    expect(tab.locator("#tasks-table tbody td:nth-child(2) a").first).to_have_text("Sync orders 40")
    tab.locator(".pager a[rel=next]").click()
    tab.wait_for_url("**/tasks?q=sync&sort=name&direction=desc&page=2")
    _assert_page_two_by_name_desc(tab)


def test_back_from_a_task_returns_to_the_same_page_sort_and_search(
    server: Server, page: tuple[Any, Watch]
):
    tab, watch = page
    _go_to_page_two(server, tab)
    tab.locator("#tasks-table td:nth-child(2) a", has_text="Sync orders 10").click()
    tab.wait_for_url("**/dashboard/tasks/sync-10")  # rows link without the list's query
    expect(tab.locator("h1")).to_contain_text("Sync orders 10")

    tab.go_back()
    htmx_ready(tab)
    _assert_page_two_by_name_desc(tab)

    # Back once more: the previous pushed state (page 1 of the same sort and search).
    tab.go_back()
    htmx_ready(tab)
    assert _query(tab.url) == {"q": ["sync"], "sort": ["name"], "direction": ["desc"]}
    expect(tab.locator("#tasks-table tbody td:nth-child(2) a").first).to_have_text("Sync orders 40")
    expect(tab.locator("#task-q")).to_have_value("sync")
    assert not watch.errors


def test_detail_back_link_keeps_the_list_state(server: Server, page: tuple[Any, Watch]):
    tab, _ = page
    _go_to_page_two(server, tab)
    tab.locator("#tasks-table td:nth-child(2) a", has_text="Sync orders 12").click()
    tab.wait_for_url("**/dashboard/tasks/sync-12")  # the page takes the state from its Referer
    tab.locator(".crumbs a").click()
    tab.wait_for_url("**/dashboard/tasks?**")
    _assert_page_two_by_name_desc(tab)

    # An action on the detail page comes back to the detail page, still carrying the state.
    tab.locator("#tasks-table td:nth-child(2) a", has_text="Sync orders 12").click()
    tab.locator(".detail-actions button", has_text="Pause").click()
    tab.wait_for_url("**/dashboard/tasks/sync-12?**")
    expect(tab.locator(".flash")).to_contain_text("Paused 'Sync orders 12'")
    tab.locator(".crumbs a").click()
    _assert_page_two_by_name_desc(tab)


def test_back_after_typing_a_search_returns_to_the_unsearched_list_in_one_step(
    server: Server, page: tuple[Any, Watch]
):
    tab, watch = page
    tab.goto(server.url("/tasks?sort=name&page=2"))
    htmx_ready(tab)
    tab.evaluate("() => { window.notReloaded = true; }")
    search = tab.locator("#task-q")
    search.focus()
    for typed in ("a", "ab", "abc"):  # one key at a time, each answered before the next
        tab.keyboard.type(typed[-1])
        tab.wait_for_url(f"**/tasks?q={typed}&sort=name")
    expect(tab.locator(".empty")).to_contain_text("No tasks match these filters")

    tab.go_back()  # one step: the list before the search, its sort and page too

    tab.wait_for_url("**/tasks?sort=name&page=2")
    expect(tab.locator("#task-q")).to_have_value("")
    expect(tab.locator(".pager")).to_contain_text("Page 2 of 2")
    expect(tab.locator("#tasks-table th[aria-sort=ascending]")).to_contain_text("Task")
    expect(tab.locator("#tasks-table .totals")).to_have_text("26\u201350 of 50")

    tab.go_forward()  # and Forward: the search as typed
    tab.wait_for_url("**/tasks?q=abc&sort=name")
    expect(tab.locator("#task-q")).to_have_value("abc")
    expect(tab.locator(".empty")).to_contain_text("No tasks match these filters")
    assert tab.evaluate("() => window.notReloaded") is True  # drawn in place, no reload
    assert [u for m, u, _ in watch.requests if m == "GET" and "/tasks?" in u] == [
        server.url("/tasks?sort=name&page=2")  # the one page load: the rest were fragments
    ]
    assert not watch.errors
