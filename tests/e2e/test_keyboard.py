"""Keyboard use: Tab reaches the search box, a row's buttons and its menu; Enter acts."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from .conftest import Server, Watch
from .helpers import checkbox, htmx_ready, row

DESCRIBE_FOCUS = """() => {
  const el = document.activeElement;
  const tr = el && el.closest('#tasks-table tbody tr');
  const task = tr ? window.asynczRowTaskId(tr) : '';
  return {
    tag: el ? el.tagName.toLowerCase() : '',
    id: el ? el.id : '',
    text: el ? el.textContent.trim() : '',
    task: task || '',
    visible: el ? el.matches(':focus-visible') : false,
  };
}"""


def _tab_until(tab: Any, wanted: Any, limit: int = 60) -> dict[str, Any]:
    for _ in range(limit):
        tab.keyboard.press("Tab")
        focus: dict[str, Any] = tab.evaluate(DESCRIBE_FOCUS)
        if wanted(focus):
            return focus
    raise AssertionError(f"Tab never reached the element within {limit} presses")


def test_tab_reaches_search_run_and_menu(server: Server, page: tuple[Any, Watch]):
    tab, _ = page
    tab.goto(server.url("/tasks"))
    htmx_ready(tab)
    focus = _tab_until(tab, lambda f: f["id"] == "task-q")
    assert focus["visible"]
    run = _tab_until(tab, lambda f: f["task"] and f["tag"] == "button" and f["text"] == "Run")
    assert run["visible"]
    menu = _tab_until(tab, lambda f: f["tag"] == "a" and f["text"] == "⋯")
    assert menu["task"] == run["task"]  # the same row's menu, right after its buttons
    tab.keyboard.press("Enter")
    menu_row = row(tab, menu["task"])
    expect(menu_row.locator(".menu-items a", has_text="Details")).to_be_visible()
    assert tab.evaluate(DESCRIBE_FOCUS)["text"] == "Details"  # the menu's first item


def test_enter_on_a_focused_pause_button_pauses_the_task(server: Server, page: tuple[Any, Watch]):
    tab, watch = page
    tab.goto(server.url("/tasks?sort=name"))
    htmx_ready(tab)
    checkbox(tab, "sync-01").focus()  # start at the row, then Tab to its Pause button
    focus = _tab_until(tab, lambda f: f["task"] == "sync-01" and f["text"] == "Pause", limit=4)
    assert focus["visible"]
    tab.keyboard.press("Enter")
    expect(tab.locator("#flashes .flash")).to_contain_text("Paused 'Sync orders 01'")
    expect(row(tab, "sync-01").locator(".state")).to_contain_text("paused")
    assert len(watch.posts("/tasks/sync-01/pause")) == 1
    # Focus stays in the same row (now on its Resume button), not lost to the page's body.
    after = tab.evaluate(DESCRIBE_FOCUS)
    assert (after["task"], after["text"]) == ("sync-01", "Resume"), after
    tab.keyboard.press("Enter")
    expect(row(tab, "sync-01").locator(".state")).to_contain_text("scheduled")


def test_keyboard_remove_from_the_menu_hands_focus_to_the_next_row(
    server: Server, page: tuple[Any, Watch]
):
    tab, watch = page
    tab.goto(server.url("/tasks?sort=name"))
    htmx_ready(tab)
    checkbox(tab, "sync-02").focus()
    _tab_until(tab, lambda f: f["task"] == "sync-02" and f["text"] == "⋯", limit=5)
    tab.keyboard.press("Enter")  # opens the menu
    tab.keyboard.press("End")  # the menu's last item: Remove (arrows move, Tab leaves)
    assert tab.evaluate(DESCRIBE_FOCUS)["text"] == "Remove"
    tab.keyboard.press("Enter")  # the dialog handler accepts the confirmation
    expect(row(tab, "sync-02")).to_have_count(0)
    assert len(watch.dialogs) == 1 and "Sync orders 02" in watch.dialogs[0]
    after = tab.evaluate(DESCRIBE_FOCUS)
    assert (after["task"], after["tag"]) == ("sync-03", "a"), after
