"""Live refreshes that would move rows wait while the operator is at the table: the pointer
over it, its row menu open, keyboard focus in it. A status line says so; the rows move 300 ms
after the operator moves away. Refreshes that keep the rows in place, and the operator's own
actions, apply at once."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from axe_playwright_python.base import AXE_SCRIPT
from playwright.sync_api import expect

from .conftest import Server, Watch
from .helpers import htmx_ready, row, state

NINE = "/tasks?q=Sync+orders+0"  # sync-01 .. sync-09 on one page, by next run (sync-05 paused)
ORDER = "() => [...document.querySelectorAll('#tasks-table tbody tr')].map((tr) => tr.id)"
FIRST_ORDER = [f"t-sync-0{n}" for n in (1, 2, 3, 4, 6, 7, 8, 9, 5)]
PAUSED_01 = [f"t-sync-0{n}" for n in (2, 3, 4, 6, 7, 8, 9, 1, 5)]


def _act(tab: Any, server: Server, task_id: str, verb: str) -> None:
    """Act on a task from outside the page (as another tab would), with the page's session."""
    token = json.loads(tab.locator("body").get_attribute("hx-headers"))["X-CSRF-Token"]
    answer = tab.request.post(
        server.url(f"/tasks/{task_id}/{verb}"), form={"csrf_token": token}, max_redirects=0
    )
    assert answer.status == 303, answer.status


def _open(tab: Any, server: Server, path: str) -> Any:
    tab.goto(server.url(path))
    htmx_ready(tab)
    return tab.locator('[data-held-for="tasks-table"]')


def _order(tab: Any) -> list[str]:
    order: list[str] = tab.evaluate(ORDER)
    return order


def _held_reorder(tab: Any, server: Server, status: Any) -> None:
    """Pause sync-01 from outside (it sorts after every scheduled task) and see its refresh
    held: the caller has the pointer, a menu or focus on the table."""
    _act(tab, server, "sync-01", "pause")
    expect(status).to_have_text("Order changed — updates when you move away", timeout=8000)


def _away(tab: Any) -> None:
    tab.mouse.move(5, 5)  # the header bar, outside the table


def test_a_reorder_waits_while_the_pointer_is_over_the_table(
    start_server: Callable[..., Server], page: tuple[Any, Watch]
) -> None:
    server = start_server(refresh_seconds=1)
    tab, watch = page
    status = _open(tab, server, NINE)
    assert _order(tab) == FIRST_ORDER
    tab.locator("#tasks-table table").hover()
    top = row(tab, "sync-01").bounding_box()["y"]

    _act(tab, server, "sync-01", "pause")  # paused: it sorts after every scheduled task

    expect(status).to_have_text("Order changed — updates when you move away", timeout=8000)
    assert row(tab, "sync-01").bounding_box()["y"] == top  # the line below the table moves no row
    expect(status).to_have_attribute("aria-live", "polite")
    tab.wait_for_timeout(1500)  # more polls come and go meanwhile
    assert _order(tab) == FIRST_ORDER
    expect(state(tab, "sync-01")).to_have_text("scheduled")

    _away(tab)
    expect(state(tab, "sync-01")).to_have_text("paused", timeout=1000)
    assert _order(tab) == PAUSED_01
    expect(status).to_have_text("")
    tab.wait_for_timeout(1500)  # the page asks with what it shows: it stays current
    assert _order(tab) == PAUSED_01
    assert not watch.errors, watch.errors


def test_a_new_row_waits_and_is_counted(
    start_server: Callable[..., Server], page: tuple[Any, Watch]
) -> None:
    server = start_server(refresh_seconds=1)
    tab, _ = page
    status = _open(tab, server, "/tasks?sort=name&per_page=100")
    tab.locator("#tasks-table table").hover()

    answer = tab.request.post(server.base + "/__e2e__/add")  # the real scheduler gets a task
    assert answer.status == 204

    expect(status).to_have_text("1 new row — shown when you move away", timeout=8000)
    expect(row(tab, "added")).to_have_count(0)
    _away(tab)
    expect(row(tab, "added")).to_have_count(1, timeout=1000)
    assert _order(tab)[0] == "t-added"  # "Added elsewhere" sorts first by name
    expect(status).to_have_text("")


def test_a_refresh_that_keeps_the_order_applies_while_hovering(
    start_server: Callable[..., Server], page: tuple[Any, Watch]
) -> None:
    server = start_server(refresh_seconds=1)
    tab, _ = page
    status = _open(tab, server, NINE + "&sort=name")
    before = _order(tab)
    tab.locator("#tasks-table table").hover()

    _act(tab, server, "sync-02", "pause")  # by name, its place does not change

    expect(state(tab, "sync-02")).to_have_text("paused", timeout=8000)
    assert _order(tab) == before
    expect(status).to_have_text("")


def test_the_operators_own_actions_apply_while_hovering(
    start_server: Callable[..., Server], page: tuple[Any, Watch]
) -> None:
    server = start_server(refresh_seconds=1)
    tab, watch = page
    status = _open(tab, server, NINE)
    tab.locator("#tasks-table table").hover()
    _held_reorder(tab, server, status)

    row(tab, "sync-02").get_by_role("button", name="Pause").click()  # the pointer stays on it
    expect(state(tab, "sync-02")).to_have_text("paused")
    expect(state(tab, "sync-01")).to_have_text("paused")  # the answer is newer than the held one
    expect(status).to_have_text("")

    tab.locator("#sort-name").click()
    expect(tab.locator("#sort-name").locator("xpath=..")).to_have_attribute(
        "aria-sort", "ascending"
    )
    assert _order(tab) == [f"t-sync-0{n}" for n in range(1, 10)]
    expect(status).to_have_text("")
    assert not watch.errors, watch.errors


def test_an_open_row_menu_stays_open_through_a_held_refresh(
    start_server: Callable[..., Server], page: tuple[Any, Watch]
) -> None:
    server = start_server(refresh_seconds=1)
    tab, watch = page
    status = _open(tab, server, NINE)
    more = row(tab, "sync-03").locator("a.more")
    more.click()
    menu = row(tab, "sync-03").locator(".menu-items")
    expect(menu).to_be_visible()
    _away(tab)  # the menu alone holds the refresh

    _held_reorder(tab, server, status)
    tab.wait_for_timeout(1200)
    expect(menu).to_be_visible()
    expect(more).to_have_attribute("aria-expanded", "true")
    assert _order(tab) == FIRST_ORDER

    tab.keyboard.press("Escape")  # the menu closes, keyboard focus is back on its ⋯
    expect(more).to_have_attribute("aria-expanded", "false")
    expect(more).to_be_focused()
    tab.wait_for_timeout(600)
    expect(status).to_have_text("Order changed — updates when you move away")
    assert _order(tab) == FIRST_ORDER

    tab.locator("#task-q").focus()  # focus leaves the table: the rows move
    expect(state(tab, "sync-01")).to_have_text("paused", timeout=1000)
    assert _order(tab) == PAUSED_01
    expect(status).to_have_text("")
    assert not watch.errors, watch.errors


# (failed, passed) nodes of axe's colour-contrast rule on the status line.
CONTRAST = """() => axe.run(
  {include: [['[data-held-for]']]}, {runOnly: ['color-contrast']}
).then((r) => [r.violations.flatMap((v) => v.nodes).length,
               r.passes.flatMap((v) => v.nodes).length])"""


def test_the_held_status_line_passes_contrast_in_both_themes(
    start_server: Callable[..., Server], page: tuple[Any, Watch]
) -> None:
    server = start_server(refresh_seconds=1)
    tab, _ = page
    status = _open(tab, server, NINE)
    tab.locator("#tasks-table table").hover()
    _held_reorder(tab, server, status)
    expect(status).to_be_visible()
    tab.evaluate(AXE_SCRIPT)
    for scheme in ("light", "dark"):
        tab.emulate_media(color_scheme=scheme)
        assert tab.evaluate(CONTRAST) == [0, 1], scheme
