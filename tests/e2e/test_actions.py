"""Bulk and row actions: confirmations state what they do, and a cancel sends nothing."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from .conftest import Server, Watch
from .helpers import checkbox, htmx_ready, row, state


def test_bulk_pause_confirms_the_count_and_cancel_sends_nothing(
    server: Server, page: tuple[Any, Watch]
):
    tab, watch = page
    # Sorted by name, so the paused rows stay on page 1 (by next run they would go last).
    tab.goto(server.url("/tasks?sort=name"))
    htmx_ready(tab)
    checkbox(tab, "sync-01").check()
    checkbox(tab, "sync-02").check()
    expect(tab.locator("[data-selected-count]")).to_have_text("Selected: 2")
    bulk_pause = tab.locator('#bulk-form button[value="pause"]')

    watch.dialog_answer = False
    bulk_pause.click()
    tab.wait_for_timeout(400)  # time for a request, were one (wrongly) sent
    assert len(watch.dialogs) == 1
    assert "2" in watch.dialogs[0] and "Pause" in watch.dialogs[0], watch.dialogs[0]
    assert watch.posts("/tasks/bulk") == []
    for task_id in ("sync-01", "sync-02"):
        expect(state(tab, task_id)).to_contain_text("scheduled")
        expect(checkbox(tab, task_id)).to_be_checked()

    watch.dialog_answer = True
    bulk_pause.click()
    expect(tab.locator("#flashes .flash")).to_contain_text("Paused 2 of 2")
    assert len(watch.posts("/tasks/bulk")) == 1
    assert len(watch.dialogs) == 2 and "2" in watch.dialogs[1]
    for task_id in ("sync-01", "sync-02"):
        expect(state(tab, task_id)).to_contain_text("paused")
        expect(row(tab, task_id).locator("button", has_text="Resume")).to_be_visible()
    expect(state(tab, "sync-03")).to_contain_text("scheduled")  # only the selected ones
    assert tab.locator("#tasks-table").count() == 1
    assert tab.url.endswith("/dashboard/tasks?sort=name")  # the list state is kept

    # The result survives a reload: the scheduler really paused them.
    tab.reload()
    for task_id in ("sync-01", "sync-02"):
        expect(state(tab, task_id)).to_contain_text("paused")


def test_bulk_without_selection_sends_nothing(server: Server, page: tuple[Any, Watch]):
    tab, watch = page
    tab.goto(server.url("/tasks"))
    htmx_ready(tab)
    tab.locator('#bulk-form button[value="remove"]').click()
    expect(tab.locator("[data-selected-count]")).to_have_text("Select at least one task.")
    tab.wait_for_timeout(300)
    assert watch.posts("/tasks/bulk") == []
    assert watch.dialogs == []
    assert tab.locator("#tasks-table tbody tr").count() == 25


def test_row_remove_names_the_task_and_cancel_keeps_it(server: Server, page: tuple[Any, Watch]):
    tab, watch = page
    tab.goto(server.url("/tasks"))
    htmx_ready(tab)
    target = row(tab, "sync-03")
    target.locator("a.more").click()
    remove = target.locator(".menu-items button", has_text="Remove")

    watch.dialog_answer = False
    remove.click()
    tab.wait_for_timeout(400)
    assert len(watch.dialogs) == 1 and "Sync orders 03" in watch.dialogs[0], watch.dialogs
    assert watch.posts("/remove") == []
    expect(target).to_have_count(1)

    watch.dialog_answer = True
    remove.click()
    expect(tab.locator("#flashes .flash")).to_contain_text("Removed 'Sync orders 03'")
    expect(row(tab, "sync-03")).to_have_count(0)
    assert watch.posts("/tasks/sync-03/remove") and len(watch.posts("/remove")) == 1
    tab.goto(server.url("/tasks/sync-03"))
    expect(tab.locator("h1")).not_to_contain_text("Sync orders 03")


def test_detail_remove_confirms_and_cancel_keeps_the_task(server: Server, page: tuple[Any, Watch]):
    tab, watch = page
    tab.goto(server.url("/tasks/sync-04?q=sync"))
    htmx_ready(tab)
    remove = tab.locator(".detail-actions button", has_text="Remove")
    watch.dialog_answer = False
    remove.click()
    tab.wait_for_timeout(400)
    assert len(watch.dialogs) == 1 and "Sync orders 04" in watch.dialogs[0]
    assert watch.posts("/remove") == []
    assert tab.url.endswith("/tasks/sync-04?q=sync")

    watch.dialog_answer = True
    remove.click()
    tab.wait_for_url("**/dashboard/tasks?q=sync")
    expect(tab.locator(".flash")).to_contain_text("Removed 'Sync orders 04'")
    expect(row(tab, "sync-04")).to_have_count(0)


def test_with_javascript_off_a_rows_pause_is_a_plain_post_and_back_to_the_list(
    server: Server, browser: Any
) -> None:
    context = browser.new_context(
        viewport={"width": 1400, "height": 900}, java_script_enabled=False
    )
    try:
        tab = context.new_page()
        tab.goto(server.url("/tasks?sort=name&q=Sync"))
        row(tab, "sync-07").locator("button", has_text="Pause").click()
        tab.wait_for_url("**/tasks?q=Sync&sort=name")  # the list again, its state kept
        expect(tab.locator("#flashes .flash")).to_contain_text("Paused")
        expect(state(tab, "sync-07")).to_contain_text("paused")
        row(tab, "sync-07").locator("button", has_text="Resume").click()
        expect(state(tab, "sync-07")).to_contain_text("scheduled")
    finally:
        context.close()
