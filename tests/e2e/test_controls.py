"""Controls that stay out of the way (issue 8, points 4 and 5), in Chromium: the row menu
closes on Escape, on a click outside and on Tab, keyboard focus stays on the sort and pager
controls, "/" jumps to search, a search is one history entry, pausing the scheduler
asks, and bulk actions reach every task matching the filter."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from .conftest import Server, Watch
from .helpers import checkbox, htmx_ready, row, state

FOCUSED_ID = "() => document.activeElement ? document.activeElement.id : ''"


def open_menu(tab: Any, task_id: str) -> Any:
    """Click the row's ⋯ and return the menu it opened (in the row's actions cell)."""
    row(tab, task_id).locator("a.more").click()
    menu = row(tab, task_id).locator(".menu-items")
    expect(menu).to_be_visible()
    return menu


def test_escape_closes_the_menu_and_puts_focus_back_on_it(server: Server, page: tuple[Any, Watch]):
    tab, watch = page
    tab.goto(server.url("/tasks?sort=name"))
    htmx_ready(tab)
    menu = open_menu(tab, "sync-03")
    expect(menu.locator("a", has_text="Details")).to_be_focused()

    tab.keyboard.press("Escape")

    expect(menu).to_have_count(0)
    more = row(tab, "sync-03").locator("a.more")
    expect(more).to_be_focused()
    expect(more).to_have_attribute("aria-expanded", "false")
    assert not watch.errors


def test_a_click_outside_closes_the_menu_and_one_menu_opens_at_a_time(
    server: Server, page: tuple[Any, Watch]
):
    tab, _ = page
    tab.goto(server.url("/tasks?sort=name"))
    htmx_ready(tab)
    first = open_menu(tab, "sync-01")
    second = open_menu(tab, "sync-10")
    expect(first).to_have_count(0)  # opening the second closed the first
    expect(tab.locator(".menu-items")).to_have_count(1)

    tab.locator("h1").click()

    expect(second).to_have_count(0)
    expect(tab.locator("#tasks-table .menu-items")).to_have_count(0)
    expect(tab).to_have_url(server.url("/tasks?sort=name"))  # ⋯ did not follow its link


def test_tabbing_out_of_an_open_menu_closes_it(server: Server, page: tuple[Any, Watch]):
    tab, _ = page
    tab.goto(server.url("/tasks?sort=name"))
    htmx_ready(tab)
    menu = open_menu(tab, "sync-03")
    tab.keyboard.press("ArrowUp")  # from the first item round to the last
    expect(menu.locator("button", has_text="Remove")).to_be_focused()

    tab.keyboard.press("Tab")  # on from ⋯: the next row's checkbox

    expect(menu).to_have_count(0)
    expect(tab.locator('input[name="task_id"][value="sync-04"]')).to_be_focused()


def test_keyboard_sort_and_paging_keep_focus_on_the_control_used(
    server: Server, page: tuple[Any, Watch]
):
    tab, _ = page
    tab.goto(server.url("/tasks"))
    htmx_ready(tab)
    tab.locator("#sort-name").focus()
    tab.keyboard.press("Enter")
    tab.wait_for_url("**/tasks?sort=name")
    expect(tab.locator("#tasks-table th[aria-sort=ascending]")).to_contain_text("Task")
    assert tab.evaluate(FOCUSED_ID) == "sort-name"
    tab.keyboard.press("Enter")  # again, from the same place: descending
    tab.wait_for_url("**/tasks?sort=name&direction=desc")
    assert tab.evaluate(FOCUSED_ID) == "sort-name"

    tab.locator("#pager-next").focus()
    tab.keyboard.press("Enter")  # page 2 of 2: there is no "Next" any more
    expect(tab.locator(".pager")).to_contain_text("Page 2 of 2")
    tab.wait_for_function("() => document.activeElement.id === 'pager-prev'")
    tab.keyboard.press("Enter")
    expect(tab.locator(".pager")).to_contain_text("Page 1 of 2")
    tab.wait_for_function("() => document.activeElement.id === 'pager-next'")

    tab.locator("#per-page-50").focus()
    tab.keyboard.press("Enter")
    expect(tab.locator(".pager")).to_contain_text("Page 1 of 1")
    assert tab.evaluate(FOCUSED_ID) == "per-page-50"  # now the current choice, still focused


def test_slash_jumps_to_search_but_not_while_typing(server: Server, page: tuple[Any, Watch]):
    tab, _ = page
    tab.goto(server.url("/tasks"))
    htmx_ready(tab)
    tab.locator("h1").click()

    tab.keyboard.press("/")

    assert tab.evaluate(FOCUSED_ID) == "task-q"
    tab.keyboard.type("a/b")  # typed into the field, "/" included
    expect(tab.locator("#task-q")).to_have_value("a/b")

    tab.goto(server.url("/runs"))
    tab.locator("#run-task").focus()
    tab.keyboard.type("x/")
    expect(tab.locator("#run-task")).to_have_value("x/")  # another field keeps its "/"
    tab.locator("h1").click()
    tab.keyboard.press("/")
    assert tab.evaluate(FOCUSED_ID) == "run-q"


def test_a_search_is_one_history_entry_and_back_redraws_the_list_in_place(
    server: Server, page: tuple[Any, Watch]
):
    tab, watch = page
    tab.goto(server.url("/tasks"))
    htmx_ready(tab)
    before = tab.evaluate("() => history.length")
    tab.evaluate("() => { window.notReloaded = true; }")
    search = tab.locator("#task-q")
    search.focus()
    for text in ("s", "sy", "syn", "sync"):  # four searches, each one answered
        search.fill(text)
        tab.wait_for_url(f"**/tasks?q={text}")
    assert len([u for u in watch.requests if "partials/table?q=" in u[1]]) == 4
    assert tab.evaluate("() => history.length") == before + 1  # the first keystroke's entry

    # An explicit step (a sort) is one entry, and Back returns to the search as typed. (Its
    # link is clicked once the last search's answer is in: the URL changes before that.)
    expect(tab.locator("#sort-name")).to_have_attribute("href", re.compile(r"q=sync&"))
    tab.locator("#sort-name").click()
    tab.wait_for_url("**/tasks?q=sync&sort=name")
    assert tab.evaluate("() => history.length") == before + 2
    tab.go_back()
    tab.wait_for_url("**/tasks?q=sync")
    expect(tab.locator("#task-q")).to_have_value("sync")
    expect(tab.locator("#tasks-table th[aria-sort=ascending]")).to_contain_text("Next run")
    tab.go_back()
    tab.wait_for_url("**/dashboard/tasks")
    expect(tab.locator("#task-q")).to_have_value("")
    expect(tab.locator("#tasks-table .totals")).to_have_text("1\u201325 of 50")
    assert tab.evaluate("() => window.notReloaded") is True  # drawn in place, no reload


def test_pausing_the_scheduler_asks_and_a_cancel_changes_nothing_a_double_click_acts_once(
    server: Server, page: tuple[Any, Watch]
):
    tab, watch = page
    tab.goto(server.url("/"))
    htmx_ready(tab)
    pause = tab.locator("button", has_text="Pause scheduler")

    watch.dialog_answer = False
    pause.click()
    tab.wait_for_timeout(300)  # time for a request, were one (wrongly) sent
    assert len(watch.dialogs) == 1 and "Pause the whole scheduler?" in watch.dialogs[0]
    assert watch.posts("/scheduler/pause") == []
    expect(tab.locator(".sched")).to_have_text("▶ Scheduler running")
    expect(pause).to_be_enabled()

    watch.dialog_answer = True
    try:
        pause.dblclick()  # asks once, sends once
        expect(tab.locator(".sched")).to_have_text("❚❚ Scheduler paused")
        assert len(watch.posts("/scheduler/pause")) == 1
        assert len(watch.dialogs) == 2
    finally:
        tab.goto(server.url("/"))
        resume = tab.locator("button", has_text="Resume scheduler")
        if resume.count():
            resume.click()
    expect(tab.locator(".sched")).to_have_text("▶ Scheduler running")


def test_select_all_matching_acts_on_every_matching_task_once(
    server: Server, page: tuple[Any, Watch]
):
    tab, watch = page
    tab.goto(server.url("/tasks?q=sync"))  # 40 "sync" tasks: 25 on this page
    htmx_ready(tab)
    offer = tab.locator("[data-select-matching]")
    expect(offer).to_be_hidden()
    tab.locator("[data-select-all]").check()
    expect(tab.locator(".select-matching")).to_contain_text("Select all 40 matching")
    offer.check()
    expect(tab.locator("[data-selected-count]")).to_have_text("Selected: all 40 matching")

    tab.locator('#bulk-form button[value="pause"]').dblclick()

    # One of them (the server's paused "sync" task) was paused already: left as it was.
    expect(tab.locator("#flashes .flash")).to_contain_text(
        "Paused 39 of 40 matching task(s). 1 was already paused."
    )
    tab.wait_for_timeout(400)  # room for a second request, were one (wrongly) sent
    assert len(watch.posts("/tasks/bulk")) == 1
    [question] = watch.dialogs
    assert question.startswith("Pause all 40 tasks matching search “sync”?"), question
    names = [line for line in question.splitlines() if line.startswith("• ")]
    assert len(names) == 10 and names[0] == "• Sync orders 01", question
    assert "…and 30 more" in question
    tab.goto(server.url("/tasks?q=sync&state=scheduled"))
    expect(tab.locator(".empty")).to_contain_text("No tasks match these filters")
    tab.goto(server.url("/tasks?state=scheduled"))
    expect(tab.locator("#tasks-table .totals")).to_contain_text("of 9 (filtered from 50)")


def test_unticking_a_row_withdraws_select_all_and_the_question_names_the_selection(
    server: Server, page: tuple[Any, Watch]
):
    tab, watch = page
    tab.goto(server.url("/tasks?q=sync&sort=name"))
    htmx_ready(tab)
    tab.locator("[data-select-all]").check()
    tab.locator("[data-select-matching]").check()
    checkbox(tab, "sync-01").uncheck()
    expect(tab.locator("[data-select-matching]")).not_to_be_checked()
    tab.locator("[data-select-all]").uncheck()
    expect(tab.locator("[data-select-matching]")).to_be_hidden()
    tab.locator("[data-select-all]").check()
    tab.locator("[data-select-all]").uncheck()  # every box unticked again
    for task_id in ("sync-02", "sync-03"):
        checkbox(tab, task_id).check()

    watch.dialog_answer = False
    tab.locator('#bulk-form button[value="remove"]').click()

    assert watch.dialogs == [
        "Remove 2 selected tasks?\n\n• Sync orders 02\n• Sync orders 03\n\nThis cannot be undone."
    ]
    assert watch.posts("/tasks/bulk") == []
    expect(state(tab, "sync-02")).to_contain_text("scheduled")
