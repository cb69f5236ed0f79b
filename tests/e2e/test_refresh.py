"""The periodic live refresh: one table, filters kept in the URL, selections kept (F01, F02)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import expect

from .conftest import Server, Watch
from .helpers import checkbox, htmx_ready, row


def _wait_for_refreshes(tab: Any, watch: Watch, count: int, timeout: float = 6.0) -> list[str]:
    start = len(watch.refreshes())
    deadline = time.monotonic() + timeout
    while len(watch.refreshes()) < start + count:
        assert time.monotonic() < deadline, f"fewer than {count} refreshes in {timeout} s"
        tab.wait_for_timeout(100)
    return watch.refreshes()[start:]


def test_refresh_keeps_one_table_and_the_filters(
    start_server: Callable[..., Server], page: tuple[Any, Watch]
):
    server = start_server(refresh_seconds=1)
    tab, watch = page
    tab.goto(server.url("/tasks"))
    htmx_ready(tab)
    tab.locator("#task-q").fill("orders 0")
    tab.wait_for_url("**/tasks?q=orders+0")
    expect(tab.locator("#tasks-table tbody tr")).to_have_count(9)  # Sync orders 01..09
    tab.locator("#f-state").select_option("paused")
    tab.wait_for_url("**/tasks?q=orders+0&state=paused")
    expect(tab.locator("#tasks-table tbody tr")).to_have_count(1)

    refreshes = _wait_for_refreshes(tab, watch, 3)
    for url in refreshes:
        assert parse_qs(urlsplit(url).query) == {"q": ["orders 0"], "state": ["paused"]}, url
    tab.wait_for_timeout(300)  # let the last swap land
    assert tab.locator("[id=tasks-table]").count() == 1
    assert tab.locator("#bulk-form").count() == 1
    assert parse_qs(urlsplit(tab.url).query) == {"q": ["orders 0"], "state": ["paused"]}
    expect(tab.locator("#task-q")).to_have_value("orders 0")
    expect(tab.locator("#f-state")).to_have_value("paused")
    expect(tab.locator("#tasks-table tbody tr")).to_have_count(1)
    expect(row(tab, "sync-05")).to_have_count(1)
    expect(tab.locator("#tasks-table .totals")).to_have_text("1\u20131 of 1 (filtered from 50)")

    # A reload of the pushed URL shows the same filtered list.
    tab.reload()
    expect(tab.locator("#task-q")).to_have_value("orders 0")
    expect(tab.locator("#f-state")).to_have_value("paused")
    expect(tab.locator("#tasks-table tbody tr")).to_have_count(1)


def test_refresh_goes_on_while_rows_are_selected_and_keeps_them(
    start_server: Callable[..., Server], page: tuple[Any, Watch]
):
    # It used to wait while a row was ticked, so the table silently stopped refreshing; now
    # it morphs the table in place and the ticks stay.
    server = start_server(refresh_seconds=1)
    tab, watch = page
    tab.goto(server.url("/tasks"))
    htmx_ready(tab)
    _wait_for_refreshes(tab, watch, 1)  # the refresh runs at all

    checkbox(tab, "sync-02").check()
    tab.locator("h1").click()
    _wait_for_refreshes(tab, watch, 2)
    expect(checkbox(tab, "sync-02")).to_be_checked()
    expect(tab.locator("[data-selected-count]")).to_have_text("Selected: 1")
    assert tab.locator("[id=tasks-table]").count() == 1
