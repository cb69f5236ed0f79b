"""Overview, list and detail load cleanly: no console errors, no CSP violations; screenshots."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from .conftest import Server, Watch
from .helpers import htmx_ready, row, shot

PAGES = [
    ("overview", "/", "Scheduled tasks at a glance"),
    ("tasks", "/tasks", "Tasks"),
    ("detail", "/tasks/once", "One-off migration"),
    ("timeline", "/timeline", "Timeline"),
    ("runtime", "/runtime", "Runtime"),
    ("instances", "/instances", "Instances"),
    ("edit", "/tasks/once/edit", "Edit task"),
    ("create", "/tasks/create", "New task"),
]


def _assert_clean(tab: Any, watch: Watch) -> None:
    violations = tab.evaluate("() => window.__cspViolations")
    assert violations == [], f"CSP violations: {violations}"
    assert watch.errors == [], f"console errors: {watch.errors}"


@pytest.mark.parametrize(("name", "path", "heading"), PAGES, ids=[p[0] for p in PAGES])
def test_page_loads_without_errors(
    server: Server, page: tuple[Any, Watch], name: str, path: str, heading: str
):
    tab, watch = page
    answer = tab.goto(server.url(path))
    assert answer is not None and answer.status == 200
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    htmx_ready(tab)
    expect(tab.locator("h1")).to_contain_text(heading)
    tab.wait_for_timeout(200)  # let deferred scripts and htmx's processing settle
    shot(tab, name)
    _assert_clean(tab, watch)
    failed = [url for _, url, _ in watch.requests if "cdn" in url or "127.0.0.1" not in url]
    assert failed == [], f"requests leave the server: {failed}"


def test_htmx_swaps_and_actions_stay_within_the_csp(server: Server, page: tuple[Any, Watch]):
    tab, watch = page
    tab.goto(server.url("/tasks"))
    htmx_ready(tab)
    tab.locator("#tasks-table th a", has_text="Task").click()
    expect(tab.locator("#tasks-table th[aria-sort=ascending]")).to_contain_text("Task")
    row(tab, "sync-07").locator("button", has_text="Pause").click()
    expect(row(tab, "sync-07").locator(".state")).to_contain_text("paused")
    row(tab, "sync-07").locator("a.more").click()
    shot(tab, "tasks-menu-open")
    tab.locator(".pager a[rel=next]").click()
    tab.wait_for_url("**/tasks?sort=name&page=2")
    _assert_clean(tab, watch)
