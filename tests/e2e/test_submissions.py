"""In the browser: a double click acts once, and a refused htmx request says why."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from .conftest import Server, Watch
from .helpers import htmx_ready, row, state


def audit_rows(tab: Any, server: Server, target: str, action: str) -> int:
    """How many audit entries the Audit page lists for ``action`` on ``target``."""
    tab.goto(server.url("/audit"))
    cells = tab.locator("main table tbody tr").filter(has_text=target)
    return int(cells.filter(has=tab.locator("td", has_text=action)).count())


def test_a_double_click_on_run_runs_once(server: Server, page: tuple[Any, Watch]) -> None:
    tab, watch = page
    before = audit_rows(tab, server, "task sync-05", "run")
    tab.goto(server.url("/tasks?sort=name"))
    htmx_ready(tab)
    row(tab, "sync-05").locator("button", has_text="Run").dblclick()
    expect(tab.locator("#flashes .flash")).to_contain_text("Started")
    tab.wait_for_timeout(400)  # room for a second request, were one (wrongly) sent
    assert len(watch.posts("/tasks/sync-05/run")) == 1
    assert audit_rows(tab, server, "task sync-05", "run") == before + 1


def test_a_retried_post_with_the_same_submission_acts_once(
    server: Server, page: tuple[Any, Watch]
) -> None:
    tab, _ = page
    before = audit_rows(tab, server, "task sync-06", "pause")
    tab.goto(server.url("/tasks?sort=name"))
    htmx_ready(tab)
    # What a browser or proxy retry sends: the same form twice, as plain (non-htmx) POSTs.
    statuses = tab.evaluate(
        """async () => {
          const button = [...document.querySelectorAll("#tasks-table button")]
            .find(b => b.name === "pause" && b.value === "sync-06");
          const body = new URLSearchParams(new FormData(button.form, button));
          const send = () => fetch(button.form.action, {
            method: "POST", body, redirect: "manual"});
          const answers = [await send(), await send()];
          return answers.map(a => a.type === "opaqueredirect" ? 303 : a.status);
        }"""
    )
    assert statuses == [303, 303]
    assert audit_rows(tab, server, "task sync-06", "pause") == before + 1
    tab.goto(server.url("/tasks?sort=name"))
    expect(state(tab, "sync-06")).to_contain_text("paused")


def test_a_refused_htmx_action_shows_its_reason_and_changes_nothing(
    server: Server, page: tuple[Any, Watch]
) -> None:
    tab, _ = page
    tab.goto(server.url("/tasks?sort=name"))
    htmx_ready(tab)
    alert = tab.locator("[data-request-error]")
    expect(alert).to_be_hidden()
    # The session this page was rendered for is gone (replaced in another tab, or expired):
    # its CSRF token no longer matches, so the server refuses the action with 403.
    tab.context.clear_cookies()
    row(tab, "sync-07").locator("button", has_text="Pause").click()
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("Reload")
    expect(state(tab, "sync-07")).to_contain_text("scheduled")
    tab.reload()
    expect(state(tab, "sync-07")).to_contain_text("scheduled")
