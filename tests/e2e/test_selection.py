"""The task list's selection, in Chromium: ticks are by task id, so they survive sorting,
paging and live refreshes; a change of the filter clears them and the counter says so; under
"select all" the rows a refresh or a page brings are ticked; and the counter, the bulk
question and the result message all count what the form sent."""

from __future__ import annotations

import urllib.request
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from playwright.sync_api import expect

from .conftest import Server, Watch
from .helpers import checkbox, htmx_ready, row

BULK = "#bulk-form"


def counter(tab: Any) -> Any:
    return tab.locator("[data-selected-count]")


def sent_ids(tab: Any, click: Callable[[], None]) -> list[str]:
    """Do ``click`` (a bulk button) and return the task ids of the bulk POST it sent."""
    with tab.expect_request(lambda r: r.method == "POST" and "/tasks/bulk" in r.url) as info:
        click()
    fields = parse_qsl(info.value.post_data or "", keep_blank_values=True)
    return [value for name, value in fields if name == "task_id"]


def add_task(server: Server) -> None:
    """Add "Added elsewhere" (id ``added``, cron, store "reports") behind the page's back."""
    request = urllib.request.Request(server.base + "/__e2e__/add", method="POST")  # noqa: S310
    with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310
        assert answer.status == 204


def test_a_filter_change_clears_the_ticks_and_says_so(server: Server, page: tuple[Any, Watch]):
    tab, watch = page
    tab.goto(server.url("/tasks?q=sync&sort=name"))
    htmx_ready(tab)
    checkbox(tab, "sync-01").check()
    checkbox(tab, "sync-02").check()
    expect(counter(tab)).to_have_text("Selected: 2")

    tab.locator("#f-state").select_option("scheduled")  # sync-01 and sync-02 still match

    tab.wait_for_url("**/tasks?q=sync&state=scheduled&sort=name")
    expect(counter(tab)).to_have_text("Selection cleared: the filter changed.")
    expect(counter(tab)).to_have_attribute("role", "status")
    expect(checkbox(tab, "sync-01")).not_to_be_checked()
    expect(checkbox(tab, "sync-02")).not_to_be_checked()
    expect(tab.locator(f"{BULK} input[name=task_id]")).to_have_count(0)  # nothing kept hidden

    checkbox(tab, "sync-03").check()  # a new selection in the new list
    expect(counter(tab)).to_have_text("Selected: 1")
    tab.locator("#task-q").fill("sync-0")  # so does typing a search
    tab.wait_for_url("**/tasks?q=sync-0&state=scheduled&sort=name")
    expect(counter(tab)).to_have_text("Selection cleared: the filter changed.")
    expect(checkbox(tab, "sync-03")).not_to_be_checked()

    watch.dialog_answer = False
    tab.locator(f'{BULK} button[value="pause"]').click()
    expect(counter(tab)).to_have_text("Select at least one task.")
    assert watch.dialogs == [] and watch.posts("/tasks/bulk") == []


def test_ticks_survive_sorting_and_paging_and_the_counter_is_what_is_sent(
    server: Server, page: tuple[Any, Watch]
):
    tab, watch = page
    tab.goto(server.url("/tasks?q=sync&sort=name"))  # Sync orders 01..25 on page 1
    htmx_ready(tab)
    checkbox(tab, "sync-03").check()
    checkbox(tab, "sync-20").check()
    expect(counter(tab)).to_have_text("Selected: 2")

    tab.locator("#sort-name").click()  # descending: 40..16 on page 1, sync-03 on page 2
    tab.wait_for_url("**/tasks?q=sync&sort=name&direction=desc")
    expect(checkbox(tab, "sync-20")).to_be_checked()
    expect(checkbox(tab, "sync-03")).to_have_count(0)
    expect(counter(tab)).to_have_text("Selected: 2 (1 not on this page)")

    tab.locator("#pager-next").click()
    tab.wait_for_url("**/tasks?q=sync&sort=name&direction=desc&page=2")
    expect(checkbox(tab, "sync-03")).to_be_checked()
    expect(checkbox(tab, "sync-04")).not_to_be_checked()
    checkbox(tab, "sync-10").check()
    expect(counter(tab)).to_have_text("Selected: 3 (1 not on this page)")

    ids = sent_ids(tab, lambda: tab.locator(f'{BULK} button[value="pause"]').click())

    assert sorted(ids) == ["sync-03", "sync-10", "sync-20"]
    [question] = watch.dialogs
    assert question.startswith("Pause 3 selected tasks?\n\n"), question
    assert {line for line in question.splitlines() if line.startswith("• ")} == {
        "• Sync orders 03",
        "• Sync orders 10",
        "• Sync orders 20",
    }
    expect(tab.locator("#flashes .flash")).to_contain_text("Paused 3 of 3 selected task(s).")
    expect(counter(tab)).to_have_text("Selected: 0")  # acted on: the selection is done
    tab.goto(server.url("/audit?action=pause"))
    # The newest three entries (the server is shared: earlier tests' pauses come after them).
    newest = tab.locator("main table tbody tr").all_inner_texts()[:3]
    for task_id in ("sync-03", "sync-10", "sync-20"):
        assert len([entry for entry in newest if f"task {task_id}" in entry]) == 1, newest


def test_rows_a_refresh_brings_are_ticked_under_the_pages_select_all(
    start_server: Callable[..., Server], page: tuple[Any, Watch]
):
    server = start_server(refresh_seconds=1)
    tab, watch = page
    tab.goto(server.url("/tasks?trigger=cron&sort=name"))  # 4 cron tasks, one page
    htmx_ready(tab)
    tab.locator("[data-select-all]").check()
    expect(counter(tab)).to_have_text("Selected: 4")

    # The pointer leaves the table: a refresh that adds a row is held while it is over it.
    tab.mouse.move(5, 5)
    add_task(server)  # "Added elsewhere", a cron task: the refresh brings it, first by name

    expect(row(tab, "added")).to_have_count(1)
    expect(checkbox(tab, "added")).to_be_checked()
    expect(counter(tab)).to_have_text("Selected: 5")
    expect(tab.locator("[data-select-all]")).to_be_checked()
    ids = sent_ids(tab, lambda: tab.locator(f'{BULK} button[value="pause"]').click())

    assert sorted(ids) == ["added", "archive", "nightly-report", "vacuum", "weekday-digest"]
    assert watch.dialogs[0].startswith("Pause 5 selected tasks?\n\n• Added elsewhere\n")
    expect(tab.locator("#flashes .flash")).to_contain_text("Paused 5 of 5 selected task(s).")


def test_all_matching_ticks_the_rows_of_every_page_and_of_a_refresh(
    start_server: Callable[..., Server], page: tuple[Any, Watch]
):
    server = start_server(refresh_seconds=1)
    tab, watch = page
    tab.goto(server.url("/tasks?sort=name"))  # 50 tasks, 25 a page
    htmx_ready(tab)
    tab.locator("[data-select-all]").check()
    tab.locator("[data-select-matching]").check()
    expect(counter(tab)).to_have_text("Selected: all 50 matching")

    tab.locator("#pager-next").click()  # page 2: its rows ticked too, the offer still taken
    tab.wait_for_url("**/tasks?sort=name&page=2")
    expect(tab.locator("#tasks-table tbody input[name=task_id]:not(:checked)")).to_have_count(0)
    expect(tab.locator("[data-select-matching]")).to_be_checked()
    expect(counter(tab)).to_have_text("Selected: all 50 matching")
    tab.locator("#pager-prev").click()
    tab.wait_for_url("**/tasks?sort=name")

    add_task(server)  # a 51st task matches: the offer, the counter and the row follow

    expect(row(tab, "added")).to_have_count(1)
    expect(checkbox(tab, "added")).to_be_checked()
    expect(tab.locator(".select-matching")).to_contain_text("Select all 51 matching")
    expect(counter(tab)).to_have_text("Selected: all 51 matching")

    tab.locator(f'{BULK} button[value="pause"]').click()

    assert watch.dialogs[0].startswith("Pause all 51 tasks?\n\n• Added elsewhere\n")
    assert "…and 41 more" in watch.dialogs[0]
    # Two of them (the server's paused tasks) were paused already: left as they were.
    expect(tab.locator("#flashes .flash")).to_contain_text(
        "Paused 49 of 51 matching task(s). 2 were already paused."
    )
    assert len(watch.posts("/tasks/bulk")) == 1


def test_row_actions_keep_the_selection_and_a_removed_task_leaves_it(
    server: Server, page: tuple[Any, Watch]
):
    tab, watch = page
    tab.goto(server.url("/tasks?q=sync&sort=name"))
    htmx_ready(tab)
    for task_id in ("sync-02", "sync-03", "sync-04"):
        checkbox(tab, task_id).check()

    row(tab, "sync-02").locator("button", has_text="Pause").click()
    expect(tab.locator("#flashes .flash")).to_contain_text("Paused 'Sync orders 02'")
    expect(checkbox(tab, "sync-02")).to_be_checked()
    expect(counter(tab)).to_have_text("Selected: 3")

    row(tab, "sync-03").locator("a.more").click()
    row(tab, "sync-03").locator(".menu-items button", has_text="Remove").click()
    expect(tab.locator("#flashes .flash")).to_contain_text("Removed 'Sync orders 03'")
    expect(row(tab, "sync-03")).to_have_count(0)
    expect(counter(tab)).to_have_text("Selected: 2")

    ids = sent_ids(tab, lambda: tab.locator(f'{BULK} button[value="resume"]').click())

    assert sorted(ids) == ["sync-02", "sync-04"]
    assert watch.dialogs[-1].startswith("Resume 2 selected tasks?")
    expect(tab.locator("#flashes .flash")).to_contain_text(
        "Resumed 1 of 2 selected task(s). 1 was not paused, so there was nothing to resume."
    )
