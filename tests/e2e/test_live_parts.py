"""Nothing on a live page goes stale outside its live region: the scheduler banner, the task
list's count and its filter drop-downs follow changes made elsewhere, without a reload and
without disturbing a focused select; pausing the scheduler asks also with script off; a row
action keeps its row under the cursor."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable
from typing import Any

from playwright.sync_api import expect

from .conftest import CSP_PROBE, VIEWPORT, Server, Watch
from .helpers import htmx_ready, row, state


def _token(tab: Any) -> str:
    token: str = json.loads(tab.locator("body").get_attribute("hx-headers"))["X-CSRF-Token"]
    return token


def _scheduler(tab: Any, server: Server, verb: str) -> None:
    """Pause or resume the scheduler from outside the page (another client, same session)."""
    answer = tab.request.post(
        server.url(f"/scheduler/{verb}"), form={"csrf_token": _token(tab)}, max_redirects=0
    )
    assert answer.status == 303, answer.status


def _add_elsewhere(server: Server) -> None:
    """Another program sharing the scheduler adds "Added elsewhere" (cron, store reports)."""
    request = urllib.request.Request(server.base + "/__e2e__/add", method="POST")  # noqa: S310
    with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310
        assert answer.status == 204


BANNER = "#scheduler-banner"


def test_the_paused_banner_comes_and_goes_without_a_reload_on_every_live_page(
    start_server: Callable[..., Server], page: tuple[Any, Watch]
) -> None:
    server = start_server(refresh_seconds=1)
    tab, watch = page
    try:
        for path in ("/", "/tasks", "/tasks/heartbeat", "/runs", "/logs", "/events", "/audit"):
            tab.goto(server.url(path))
            htmx_ready(tab)
            tab.evaluate("window.__sameDocument = true")
            expect(tab.locator(BANNER)).to_have_text("")
            _scheduler(tab, server, "pause")
            expect(tab.locator(BANNER)).to_contain_text("The scheduler is paused", timeout=6000)
            _scheduler(tab, server, "resume")
            expect(tab.locator(BANNER)).to_have_text("", timeout=6000)
            assert tab.evaluate("window.__sameDocument") is True, path  # no reload
    finally:
        _scheduler(tab, server, "resume")
    assert not watch.errors, watch.errors


def test_the_count_and_the_drop_downs_follow_changes_elsewhere_keeping_a_focused_select(
    start_server: Callable[..., Server], page: tuple[Any, Watch]
) -> None:
    server = start_server(refresh_seconds=1)
    tab, watch = page
    tab.goto(server.url("/tasks"))
    htmx_ready(tab)
    heading = tab.locator("#tasks-head h1")
    expect(heading).to_have_text("Tasks 50")
    trigger = tab.locator("#f-trigger")
    trigger.select_option("cron")  # the filter applies at once
    tab.wait_for_url("**/tasks?trigger=cron")
    trigger.focus()
    options = tab.locator("#f-trigger option")
    expect(options).to_have_text(["any", "cron", "date", "interval"])

    # The only date task goes (from another client): "date" leaves the drop-down.
    answer = tab.request.post(
        server.url("/tasks/once/remove"), form={"csrf_token": _token(tab)}, max_redirects=0
    )
    assert answer.status == 303
    expect(heading).to_have_text("Tasks 49", timeout=6000)
    expect(options).to_have_text(["any", "cron", "interval"])
    expect(trigger).to_have_value("cron")
    assert tab.evaluate("document.activeElement.id") == "f-trigger"

    _add_elsewhere(server)  # another program adds a cron task: it matches the filter shown
    expect(heading).to_have_text("Tasks 50", timeout=6000)
    expect(row(tab, "added")).to_have_count(1)
    expect(trigger).to_have_value("cron")
    assert tab.evaluate("document.activeElement.id") == "f-trigger"
    assert not watch.errors, watch.errors


def test_typed_search_survives_a_refresh_of_the_heading(
    start_server: Callable[..., Server], page: tuple[Any, Watch]
) -> None:
    server = start_server(refresh_seconds=1)
    tab, _ = page
    tab.goto(server.url("/tasks"))
    htmx_ready(tab)
    search = tab.locator("#task-q")
    search.focus()
    search.press_sequentially("Sync ord")
    _add_elsewhere(server)
    expect(tab.locator("#tasks-head h1")).to_have_text("Tasks 51", timeout=6000)
    assert search.input_value() == "Sync ord"
    assert tab.evaluate("document.activeElement.id") == "task-q"


def test_with_script_off_pausing_the_scheduler_asks_on_a_page_of_its_own(
    server: Server, browser: Any
) -> None:
    context = browser.new_context(viewport=VIEWPORT, java_script_enabled=False)
    context.add_init_script(CSP_PROBE)
    tab = context.new_page()
    try:
        tab.goto(server.url("/"))
        tab.locator("button", has_text="Pause scheduler").click()
        # Nothing happened yet: a page asks, with the consequences.
        expect(tab).to_have_url(server.url("/scheduler/pause"))
        expect(tab.locator("h1")).to_have_text(
            "Pause the whole scheduler? No task starts until it is resumed; runs under way go on."
        )
        tab.goto(server.url("/"))
        expect(tab.locator(".sched")).to_have_text("▶ Scheduler running")

        # Cancel goes back and changes nothing.
        tab.locator("button", has_text="Pause scheduler").click()
        tab.locator(".confirm-page a", has_text="Cancel").click()
        expect(tab).to_have_url(server.url("/"))
        expect(tab.locator(".sched")).to_have_text("▶ Scheduler running")

        # Confirming pauses; resuming asks the same way.
        tab.locator("button", has_text="Pause scheduler").click()
        tab.locator(".confirm-page button", has_text="Pause scheduler").click()
        expect(tab).to_have_url(server.url("/"))
        expect(tab.locator(".sched")).to_have_text("❚❚ Scheduler paused")
        expect(tab.locator(BANNER)).to_contain_text("The scheduler is paused")
        tab.locator("button", has_text="Resume scheduler").click()
        expect(tab).to_have_url(server.url("/scheduler/resume"))
        expect(tab.locator(".sched")).to_have_count(0)
        tab.locator(".confirm-page button", has_text="Resume scheduler").click()
        expect(tab.locator(".sched")).to_have_text("▶ Scheduler running")
    finally:
        context.close()


def test_pausing_a_task_sorted_by_next_run_keeps_its_row_under_the_cursor(
    server: Server, page: tuple[Any, Watch]
) -> None:
    tab, watch = page
    tab.goto(server.url("/tasks"))  # sorted by next run by default
    htmx_ready(tab)
    rows = tab.locator("#tasks-table tbody tr")
    position = [r.get_attribute("id") for r in rows.all()].index("t-sync-03")
    pause = row(tab, "sync-03").locator("button", has_text="Pause")
    pause.focus()
    tab.keyboard.press("Enter")

    expect(state(tab, "sync-03")).to_contain_text("paused")
    assert [r.get_attribute("id") for r in rows.all()].index("t-sync-03") == position
    expect(tab.locator("#flashes")).to_contain_text(
        "Paused 'Sync orders 03'. It has no next run now, so it sorts last by next run;"
        " the row stays here until the list is next redrawn."
    )
    # Focus stays on the row: Pause became Resume in place.
    assert tab.evaluate("document.activeElement.textContent") == "Resume"
    assert not watch.errors, watch.errors
