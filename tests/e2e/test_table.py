"""How the table reads at 1400x900: dense, calm, at most three actions per row."""

from __future__ import annotations

from typing import Any

from .conftest import Server, Watch
from .helpers import htmx_ready

MEASURE = """() => {
  const head = document.querySelector('#tasks-table table thead').getBoundingClientRect();
  const rows = [...document.querySelectorAll('#tasks-table table tbody tr')];
  const shown = (el) => el.checkVisibility({visibilityProperty: true});
  return {
    headBottom: head.bottom,
    viewport: window.innerHeight,
    scrollY: window.scrollY,
    tableRight: document.querySelector('#tasks-table table').getBoundingClientRect().right,
    rows: rows.map((tr) => {
      const box = tr.getBoundingClientRect();
      const controls = [...tr.querySelectorAll('td:last-child :is(button, a, summary)')]
        .filter((el) => !el.closest('.menu-items') && shown(el));
      const hidden = [...tr.querySelectorAll('.menu-items a, .menu-items button')].filter(shown);
      const clipped = [...tr.querySelectorAll('td:nth-child(5), td:has(.state)')]
        .filter((td) => td.scrollWidth > td.clientWidth + 1).map((td) => td.textContent.trim());
      const right = Math.max(...[...tr.querySelectorAll('td:last-child > :is(button, a.more)')]
        .map((el) => el.getBoundingClientRect().right));
      return {
        top: box.top, bottom: box.bottom, height: box.height,
        controls: controls.map((el) => el.textContent.trim() || el.getAttribute('aria-label')),
        menuShown: hidden.length, clipped, actionsRight: right,
      };
    }),
  };
}"""


def test_fifteen_compact_rows_with_three_actions_each(server: Server, page: tuple[Any, Watch]):
    tab, _ = page
    tab.goto(server.url("/tasks"))
    htmx_ready(tab)
    m = tab.evaluate(MEASURE)
    assert m["scrollY"] == 0
    rows = m["rows"]
    assert len(rows) == 25  # one full page of the 50 tasks
    visible = [r for r in rows if r["top"] >= m["headBottom"] - 1 and r["bottom"] <= m["viewport"]]
    assert len(visible) >= 15, f"only {len(visible)} rows fully visible at 1400x900"
    for r in rows:
        assert r["height"] <= 40, f"row {r['height']} px tall"
        assert len(r["controls"]) <= 3, f"row shows {r['controls']}"
        assert r["menuShown"] == 0, "the actions menu is open on load"
        assert not r["clipped"], f"next run / state cut off: {r['clipped']}"
        assert r["actionsRight"] <= m["tableRight"], "the actions run past the table"
    assert rows[0]["controls"][:2] == ["Run", "Pause"]

    # Page 2 holds the paused tasks (no next run), cron and one-off triggers: nothing cut off.
    tab.goto(server.url("/tasks?page=2"))
    htmx_ready(tab)
    rows = tab.evaluate(MEASURE)["rows"]
    assert len(rows) == 25
    for r in rows:
        assert r["height"] <= 40.5 and len(r["controls"]) <= 3
        assert not r["clipped"], f"next run / state cut off: {r['clipped']}"
    assert any(r["controls"][:2] == ["Run", "Resume"] for r in rows)  # a paused task


def test_actions_menu_opens_with_details_and_remove(server: Server, page: tuple[Any, Watch]):
    tab, _ = page
    tab.goto(server.url("/tasks"))
    htmx_ready(tab)
    first = tab.locator("#tasks-table tbody tr").first
    assert not first.locator(".menu-items").is_visible()
    first.locator("a.more").click()
    assert first.locator(".menu-items a", has_text="Details").is_visible()
    assert first.locator(".menu-items button", has_text="Remove").is_visible()
