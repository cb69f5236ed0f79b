"""Live pages in the browser: refreshes that keep what the operator is doing, 204s that touch
nothing, times that tick on their own in the zone the operator picked, an interval that can
be turned off, and flash messages that stay until dismissed."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import Any

from playwright.sync_api import expect

from .conftest import CSP_PROBE, VIEWPORT, Server, Watch
from .helpers import checkbox, htmx_ready, row, state

# Records every change below the region except the browser's own ticking of <time datetime>.
OBSERVE = """(selector) => {
  window.__mutations = [];
  const region = document.querySelector(selector);
  const inTime = (node) => {
    const elt = node.nodeType === 1 ? node : node.parentElement;
    return !!(elt && elt.closest("time[datetime]"));
  };
  new MutationObserver((records) => {
    records.forEach((r) => {
      if (!inTime(r.target)) window.__mutations.push(r.type + " " + (r.attributeName || ""));
    });
  }).observe(region, {subtree: true, childList: true, attributes: true, characterData: true});
}"""


def _polls(statuses: list[tuple[int, str]], status: int | None = None) -> list[str]:
    return [url for code, url in statuses if "/partials/" in url and status in (None, code)]


def _watch_responses(tab: Any) -> list[tuple[int, str]]:
    seen: list[tuple[int, str]] = []
    tab.on("response", lambda response: seen.append((response.status, response.url)))
    return seen


def _wait_for(
    tab: Any, seen: list[tuple[int, str]], status: int, count: int, timeout: float = 8.0
) -> None:
    start = len(_polls(seen, status))
    deadline = time.monotonic() + timeout
    while len(_polls(seen, status)) < start + count:
        assert time.monotonic() < deadline, f"fewer than {count} polls answered {status}"
        tab.wait_for_timeout(50)  # (Playwright delivers the page's events while it waits)


def _act(tab: Any, server: Server, task_id: str, verb: str) -> None:
    """Act on a task from outside the page (as another tab would), with the page's session."""
    token = json.loads(tab.locator("body").get_attribute("hx-headers"))["X-CSRF-Token"]
    answer = tab.request.post(
        server.url(f"/tasks/{task_id}/{verb}"), form={"csrf_token": token}, max_redirects=0
    )
    assert answer.status == 303, answer.status


def test_an_open_menu_ticked_rows_and_typed_search_survive_three_refreshes(
    start_server: Callable[..., Server], page: tuple[Any, Watch]
) -> None:
    server = start_server(refresh_seconds=1)
    tab, watch = page
    seen = _watch_responses(tab)
    # By name, so a paused row keeps its place: a refresh that moves rows would wait while
    # the menu is open (test_live_hold.py), and this one is morphed in at once.
    tab.goto(server.url("/tasks?sort=name"))
    htmx_ready(tab)
    search = tab.locator("#task-q")
    search.focus()
    search.press_sequentially("Sync ord")  # half-typed: the filter fires 400 ms after a key
    # Ticked once the search is answered: a change of the filter clears the selection.
    tab.wait_for_url("**/tasks?*q=Sync+ord*")
    checkbox(tab, "sync-02").check()
    checkbox(tab, "sync-03").check()
    # The menu is opened last: a click or focus outside an open menu closes it (controls.js).
    more = row(tab, "sync-01").locator("a.more")
    more.click()
    menu = row(tab, "sync-01").locator(".menu-items")
    expect(menu).to_be_visible()
    expect(more).to_have_attribute("aria-expanded", "true")
    typed_at = len(_polls(seen))

    for n, task_id in enumerate(("sync-10", "sync-11", "sync-12")):
        _act(tab, server, task_id, "pause")  # something changes: the next poll gets a 200
        _wait_for(tab, seen, 200, 1)
        expect(state(tab, task_id)).to_have_text("paused")  # in place: sorted by name
        expect(menu).to_be_visible()
        expect(tab.locator(".menu-items")).to_have_count(1)  # not duplicated, not detached
        expect(more).to_have_attribute("aria-expanded", "true")
        expect(checkbox(tab, "sync-02")).to_be_checked()
        expect(checkbox(tab, "sync-03")).to_be_checked()
        expect(checkbox(tab, "sync-04")).not_to_be_checked()
        expect(tab.locator("[data-selected-count]")).to_have_text("Selected: 2")
        assert search.input_value() == "Sync ord", n
        assert tab.evaluate("document.activeElement.textContent") == "Details", n
    assert len(_polls(seen, 200)) >= 3 and len(_polls(seen)) > typed_at
    assert tab.locator("[id=tasks-table]").count() == 1
    assert not watch.errors, watch.errors


def test_an_open_menu_whose_row_goes_in_a_refresh_goes_with_it_and_the_next_opens(
    start_server: Callable[..., Server], page: tuple[Any, Watch]
) -> None:
    server = start_server(refresh_seconds=1)
    tab, watch = page
    seen = _watch_responses(tab)
    tab.goto(server.url("/tasks?sort=name"))
    htmx_ready(tab)
    row(tab, "sync-13").locator("a.more").click()
    expect(row(tab, "sync-13").locator(".menu-items")).to_be_visible()

    _act(tab, server, "sync-13", "remove")  # removed elsewhere: the next poll drops its row
    _wait_for(tab, seen, 200, 1)
    # ... once the operator leaves the open menu (test_live_hold.py): a click outside closes it.
    held = tab.locator('[data-held-for="tasks-table"]')
    expect(held).to_have_text("1 new row, 1 row removed — updates when you move away")
    expect(row(tab, "sync-13").locator(".menu-items")).to_be_visible()
    tab.locator("h1").click()

    expect(row(tab, "sync-13")).to_have_count(0)
    expect(tab.locator(".menu-items")).to_have_count(0)  # no menu left detached or elsewhere
    more = row(tab, "sync-14").locator("a.more")
    expect(more).to_have_attribute("aria-expanded", "false")
    more.click()  # the menus still work, built for their own row
    menu = row(tab, "sync-14").locator(".menu-items")
    expect(menu.locator("button", has_text="Remove")).to_have_attribute("value", "sync-14")
    expect(tab.locator(".menu-items")).to_have_count(1)
    assert not watch.errors, watch.errors


def test_a_refresh_with_nothing_new_gets_204_and_touches_nothing(
    start_server: Callable[..., Server], page: tuple[Any, Watch]
) -> None:
    server = start_server(refresh_seconds=1)
    tab, _ = page
    seen = _watch_responses(tab)
    for path, region in (("/tasks", "#tasks-table"), ("/", "#overview-live")):
        tab.goto(server.url(path))
        htmx_ready(tab)
        tab.evaluate(OBSERVE, region)
        _wait_for(tab, seen, 204, 3)
        assert tab.evaluate("window.__mutations") == [], path
        expect(tab.locator("[data-updated]")).to_have_text(
            re.compile(r"^Updated (just now|1 s ago)$")
        )


def test_the_overview_changes_on_its_own_while_tasks_run(
    start_server: Callable[..., Server], page: tuple[Any, Watch]
) -> None:
    server = start_server(refresh_seconds=1)
    tab, _ = page
    tab.goto(server.url("/"))
    htmx_ready(tab)
    tab.evaluate("window.__sameDocument = true")
    expect(tab.locator("#overview-live")).to_contain_text("No runs recorded yet.")

    _act(tab, server, "heartbeat", "run")
    _act(tab, server, "rates", "pause")

    recent = tab.locator("#overview-live table.runs tbody tr")
    expect(recent.first).to_contain_text("Heartbeat", timeout=8000)
    expect(tab.locator(".cards")).to_contain_text("3 paused")
    assert tab.evaluate("window.__sameDocument") is True  # no reload: the region was morphed
    expect(tab.locator("#flashes")).to_contain_text("Paused 'Refresh exchange rates'.")


def test_relative_times_tick_without_a_request(server: Server, page: tuple[Any, Watch]) -> None:
    tab, watch = page
    tab.goto(server.url("/tasks"))
    htmx_ready(tab)
    _act(tab, server, "sync-07", "pause")  # an audit entry made just now
    tab.goto(server.url("/audit"))
    htmx_ready(tab)
    first = tab.locator("#audit-table time[datetime]").first
    expect(first).to_have_text(re.compile(r"^(now|\d+ s ago) · \d\d:\d\d:\d\d UTC$"))
    before, requests = first.text_content(), len(watch.requests)
    tab.wait_for_timeout(2200)
    after = first.text_content()
    assert after != before and re.fullmatch(r"\d+ s ago · \d\d:\d\d:\d\d UTC", after or "")
    assert after.split(" · ")[1] == (before or "").split(" · ")[1]  # the absolute part stays
    assert len(watch.requests) == requests  # the clock ticked, not the network
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", first.get_attribute("title") or "")


def test_the_zone_switch_is_remembered_across_a_reload(server: Server, browser: Any) -> None:
    context = browser.new_context(viewport=VIEWPORT, timezone_id="Asia/Tokyo")
    context.add_init_script(CSP_PROBE)
    try:
        tab = context.new_page()
        tab.goto(server.url("/tasks?q=nightly"))
        htmx_ready(tab)
        pick = tab.locator("[data-zone-pick]")
        expect(pick).to_have_value("scheduler")
        expect(pick.locator("option").first).to_have_text("Scheduler zone (UTC)")
        expect(pick.locator("option").nth(1)).to_have_text("Local (Asia/Tokyo)")
        when = row(tab, "nightly-report").locator("time[datetime]")
        expect(when).to_have_text(re.compile(r"^in \d+ (h|min)( \d+ min)? · .*\d\d:\d\d:\d\d UTC$"))
        utc = when.text_content() or ""

        pick.select_option("local")
        expect(when).to_have_text(re.compile(r"^in \d+ (h|min)( \d+ min)? · .*12:00:00 GMT\+9$"))
        assert utc.split(" · ")[0] == (when.text_content() or "").split(" · ")[0]

        tab.reload()
        htmx_ready(tab)
        expect(pick).to_have_value("local")
        expect(when).to_have_text(re.compile(r"12:00:00 GMT\+9$"))
        pick.select_option("scheduler")
        expect(when).to_have_text(re.compile(r"UTC$"))
    finally:
        context.close()


def test_interval_off_stops_the_polls_and_is_remembered(
    start_server: Callable[..., Server], page: tuple[Any, Watch]
) -> None:
    server = start_server(refresh_seconds=1)
    tab, _ = page
    seen = _watch_responses(tab)
    tab.goto(server.url("/logs"))
    htmx_ready(tab)
    _wait_for(tab, seen, 204, 1)  # polls run at the server's default interval (1 s)
    picker = tab.locator("[data-interval]")
    expect(picker).to_have_value("1")
    assert [o for o in picker.locator("option").all_text_contents()] == [
        "Refresh: off", "Every 1 s", "Every 2 s", "Every 5 s", "Every 15 s", "Every 60 s"
    ]  # fmt: skip

    picker.select_option("0")
    tab.wait_for_timeout(300)  # a poll already under way may still land
    count = len(_polls(seen))
    tab.wait_for_timeout(2500)
    assert len(_polls(seen)) == count

    tab.reload()
    htmx_ready(tab)
    expect(picker).to_have_value("0")
    count = len(_polls(seen))
    tab.wait_for_timeout(2500)
    assert len(_polls(seen)) == count
    picker.select_option("2")
    _wait_for(tab, seen, 204, 1, timeout=4)


def test_a_flash_message_stays_until_dismissed(
    start_server: Callable[..., Server], page: tuple[Any, Watch]
) -> None:
    server = start_server(refresh_seconds=1)
    tab, _ = page
    seen = _watch_responses(tab)
    tab.goto(server.url("/tasks"))
    htmx_ready(tab)
    row(tab, "sync-02").get_by_role("button", name="Pause").click()
    message = tab.locator("#flashes .flash")
    expect(message).to_have_text(re.compile(r"^✓ Paused 'Sync orders 02'\."))

    polls = len(_polls(seen))
    tab.wait_for_timeout(10_000)
    assert len(_polls(seen)) >= polls + 5  # the table went on refreshing meanwhile
    expect(message).to_have_text(re.compile(r"^✓ Paused 'Sync orders 02'\."))

    row(tab, "sync-03").get_by_role("button", name="Pause").click()  # a newer one replaces it
    expect(message).to_have_text(re.compile(r"^✓ Paused 'Sync orders 03'\."))
    message.get_by_role("button", name="Dismiss this message").click()
    expect(message).to_have_count(0)


SELECT_MESSAGE = """(text) => {
  const cell = [...document.querySelectorAll('#logs-table td.msg pre')]
    .find((pre) => pre.textContent.includes(text));
  const range = document.createRange();
  range.selectNodeContents(cell);
  window.getSelection().removeAllRanges();
  window.getSelection().addRange(range);
  return window.getSelection().toString();
}"""


def test_a_text_selection_and_the_scroll_position_survive_new_log_lines(
    start_server: Callable[..., Server], page: tuple[Any, Watch]
) -> None:
    server = start_server(refresh_seconds=1)
    tab, _ = page
    seen = _watch_responses(tab)
    tab.goto(server.url("/logs"))
    htmx_ready(tab)
    selected = tab.evaluate(SELECT_MESSAGE, "Added task 'Heartbeat'")
    assert selected == "Added task 'Heartbeat' to store 'default'."
    tab.mouse.wheel(0, 600)
    tab.wait_for_function("() => window.scrollY > 0")
    where = "() => getSelection().getRangeAt(0).getBoundingClientRect().top"
    on_screen = tab.evaluate(where)

    _act(tab, server, "heartbeat", "run")  # new lines arrive at the top of the table
    expect(tab.locator("#logs-table")).to_contain_text("executed successfully", timeout=8000)
    _wait_for(tab, seen, 204, 1)  # and the page is current again
    assert tab.evaluate("window.getSelection().toString()") == selected
    # Rows came in above: the browser's scroll anchoring keeps what the operator reads in place.
    assert abs(tab.evaluate(where) - on_screen) <= 1
