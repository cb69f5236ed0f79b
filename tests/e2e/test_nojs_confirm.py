"""With JavaScript off, Remove (row menu and task page) and bulk actions ask on a
confirmation page first: Cancel goes back with nothing changed, the page's button acts once,
and the list's state is kept throughout."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from .conftest import VIEWPORT, Server, Watch
from .helpers import checkbox, htmx_ready, row, state


@pytest.fixture
def tab(browser: Any) -> Iterator[tuple[Any, list[str]]]:
    """A page with script off, and the path of every POST it sends."""
    context = browser.new_context(viewport=VIEWPORT, java_script_enabled=False)
    posts: list[str] = []
    page = context.new_page()
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    try:
        yield page, posts
    finally:
        context.close()


def confirm_button(page: Any) -> Any:
    return page.locator(".confirm-page form button")


def test_without_script_the_row_menu_is_the_task_page_and_its_actions_work(
    server: Server, tab: tuple[Any, list[str]]
) -> None:
    page, posts = tab
    page.goto(server.url("/tasks?q=sync&sort=name"))
    # A row's own button posts through the table's one form.
    row(page, "sync-04").locator("button", has_text="Pause").click()
    page.wait_for_url("**/dashboard/tasks?q=sync&sort=name")
    expect(page.locator("#flashes .flash")).to_contain_text("Paused 'Sync orders 04'.")
    expect(state(page, "sync-04")).to_contain_text("paused")

    more = row(page, "sync-05").locator("a.more")
    expect(more).to_have_accessible_name("More actions for Sync orders 05")
    more.click()  # a link to the task's page, where every action of the menu is
    page.wait_for_url("**/dashboard/tasks/sync-05")
    expect(page.locator("h1")).to_contain_text("Sync orders 05")
    expect(page.locator(".detail-actions a", has_text="Edit")).to_have_attribute(
        "href", "/dashboard/tasks/sync-05/edit"
    )
    expect(page.locator(".task-links a", has_text="Runs")).to_have_attribute(
        "href", "/dashboard/runs?task=sync-05"
    )
    expect(page.locator(".task-links a", has_text="Logs")).to_have_attribute(
        "href", "/dashboard/logs?task=sync-05"
    )

    page.locator(".detail-actions button", has_text="Remove").click()
    page.wait_for_url("**/tasks/sync-05/remove?*")
    expect(page.locator("h1")).to_have_text("Remove task “Sync orders 05”? This cannot be undone.")
    page.locator(".confirm-page a", has_text="Cancel").click()
    page.wait_for_url("**/dashboard/tasks/sync-05?*")
    expect(page.locator("#flashes .flash")).to_have_count(0)

    page.locator(".detail-actions button", has_text="Remove").click()
    page.wait_for_url("**/tasks/sync-05/remove?*")
    before = len(posts)
    confirm_button(page).click()
    page.wait_for_url("**/dashboard/tasks?q=sync&sort=name")  # back to the list it came from
    expect(page.locator("#flashes .flash")).to_contain_text("Removed 'Sync orders 05'.")
    expect(row(page, "sync-05")).to_have_count(0)
    assert len(posts) == before + 1

    page.go_back()  # the confirmation page again: there is nothing left to confirm
    expect(page.locator("main")).to_contain_text("There is no task with id 'sync-05'.")
    expect(confirm_button(page)).to_have_count(0)
    page.goto(server.url("/audit?action=remove"))
    expect(page.locator("main table tbody tr", has_text="task sync-05")).to_have_count(1)


def test_task_page_remove_asks_cancel_goes_back_confirm_goes_to_the_list(
    server: Server, tab: tuple[Any, list[str]]
) -> None:
    page, _ = tab
    page.goto(server.url("/tasks/sync-06?q=sync"))
    page.locator(".detail-actions button", has_text="Remove").click()
    page.wait_for_url("**/tasks/sync-06/remove?*")
    page.locator(".confirm-page a", has_text="Cancel").click()
    page.wait_for_url("**/dashboard/tasks/sync-06?q=sync")
    expect(page.locator("h1")).to_contain_text("Sync orders 06")

    page.locator(".detail-actions button", has_text="Remove").click()
    confirm_button(page).click()
    page.wait_for_url("**/dashboard/tasks?q=sync")
    expect(page.locator("#flashes .flash")).to_contain_text("Removed 'Sync orders 06'.")
    expect(row(page, "sync-06")).to_have_count(0)


def test_bulk_pause_asks_naming_the_tasks_cancel_changes_nothing_confirm_pauses_them(
    server: Server, tab: tuple[Any, list[str]]
) -> None:
    page, _ = tab
    page.goto(server.url("/tasks?sort=name&q=sync"))
    checkbox(page, "sync-01").check()
    checkbox(page, "sync-02").check()
    page.locator('#bulk-form button[value="pause"]').click()

    expect(page.locator("h1")).to_have_text("Pause 2 selected tasks?")
    expect(page.locator(".confirm-names li")).to_have_text(["Sync orders 01", "Sync orders 02"])
    page.locator(".confirm-page a", has_text="Cancel").click()
    page.wait_for_url("**/dashboard/tasks?q=sync&sort=name")
    for task_id in ("sync-01", "sync-02"):
        expect(state(page, task_id)).to_contain_text("scheduled")

    checkbox(page, "sync-01").check()
    checkbox(page, "sync-02").check()
    page.locator('#bulk-form button[value="pause"]').click()
    confirm_button(page).click()
    page.wait_for_url("**/dashboard/tasks?q=sync&sort=name")
    expect(page.locator("#flashes .flash")).to_contain_text("Paused 2 of 2 selected task(s).")
    for task_id in ("sync-01", "sync-02"):
        expect(state(page, task_id)).to_contain_text("paused")
    expect(state(page, "sync-03")).to_contain_text("scheduled")


def test_with_script_a_one_off_run_and_a_remove_ask_once_and_post_once(
    server: Server, page: tuple[Any, Watch]
) -> None:
    browser_tab, watch = page
    browser_tab.goto(server.url("/tasks?sort=name"))
    htmx_ready(browser_tab)
    row(browser_tab, "once").locator("button", has_text="Run").click()
    expect(browser_tab.locator("#flashes .flash")).to_contain_text("Started 'One-off migration'")
    target = row(browser_tab, "sync-07")
    target.locator("a.more").click()
    target.locator(".menu-items button", has_text="Remove").click()
    expect(browser_tab.locator("#flashes .flash")).to_contain_text("Removed 'Sync orders 07'")

    assert len(watch.dialogs) == 2, watch.dialogs
    assert len(watch.posts("/tasks/once/run")) == 1
    assert len(watch.posts("/tasks/sync-07/remove")) == 1
    # No round trip through the confirmation page: its URLs were never requested with GET.
    assert [
        u
        for m, u, _ in watch.requests
        if m == "GET" and u.split("?")[0].endswith(("/run", "/remove"))
    ] == []
    assert browser_tab.locator(".confirm-page").count() == 0


def test_without_script_a_one_off_run_asks_on_a_page_first(
    server: Server, tab: tuple[Any, list[str]]
) -> None:
    page, _ = tab
    page.goto(server.url("/tasks?sort=name"))
    row(page, "once").locator("button", has_text="Run").click()
    page.wait_for_url("**/tasks/once/run?*")
    expect(page.locator("h1")).to_contain_text("Run “One-off migration” now? It is a one-off task")
    confirm_button(page).click()
    page.wait_for_url("**/dashboard/tasks?sort=name")
    expect(page.locator("#flashes .flash")).to_contain_text("Started 'One-off migration'")
    expect(state(page, "once")).to_contain_text("paused")


def test_without_script_its_controls_are_hidden_and_all_matching_asks_on_a_page(
    server: Server, tab: tuple[Any, list[str]]
) -> None:
    page, posts = tab
    page.goto(server.url("/tasks?q=sync&sort=name"))
    assert page.evaluate("document.documentElement.className") == "no-js"
    # The page's select-all box (it could not tick the rows) and the counter (it could not
    # count) are hidden; so are the live refresh and theme controls; the offer shows at once.
    for hidden in (
        "[data-select-all]",
        "[data-selected-count]",
        "[data-live-status]",
        "[data-theme-switch]",
    ):
        expect(page.locator(hidden)).to_be_hidden()
    offer = page.locator("[data-select-matching]")
    expect(offer).to_be_visible()
    expect(page.locator(".select-matching")).to_have_text("Select all 40 matching")

    offer.check()
    page.locator('#bulk-form button[value="pause"]').click()

    expect(page.locator("h1")).to_have_text("Pause all 40 tasks matching search “sync”?")
    expect(page.locator(".confirm-names li")).to_have_count(11)  # 10 names and "…and 30 more"
    expect(page.locator(".confirm-names li").last).to_have_text("…and 30 more")
    before = len(posts)
    confirm_button(page).click()
    page.wait_for_url("**/dashboard/tasks?q=sync&sort=name")
    expect(page.locator("#flashes .flash")).to_contain_text(
        "Paused 39 of 40 matching task(s). 1 was already paused."
    )
    assert len(posts) == before + 1
    expect(state(page, "sync-25")).to_contain_text("paused")


def test_with_script_its_controls_show_and_the_offer_waits_for_select_all(
    server: Server, page: tuple[Any, Watch]
) -> None:
    browser_tab, watch = page
    browser_tab.goto(server.url("/tasks?q=sync"))
    htmx_ready(browser_tab)
    assert browser_tab.evaluate("document.documentElement.className") == "js"
    expect(browser_tab.locator("[data-select-all]")).to_be_visible()
    expect(browser_tab.locator("[data-selected-count]")).to_have_text("Selected: 0")
    expect(browser_tab.locator("[data-select-matching]")).to_be_hidden()
    browser_tab.locator("[data-select-all]").check()
    expect(browser_tab.locator("[data-select-matching]")).to_be_visible()
    assert not watch.errors
