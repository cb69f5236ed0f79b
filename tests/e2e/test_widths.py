"""Tables from 700 to 1400 px, light and dark: a task's name, a run's task and an audit entry's
changes wrap only between words (never "Heartbe at"), nothing scrolls sideways; on a phone the
timeline's executor and an event's store say what they are, an hour of the timeline says
"50 runs"; with the Local zone on, a task's next runs say they are in the browser's zone.

The demo server and the signed-in tabs of test_layout_themes serve this module too.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from .conftest import VIEWPORT
from .helpers import htmx_ready
from .test_layout_themes import PHONE, Site, on_phone, site, tabs
from .test_live_parts import _token

__all__ = ["site", "tabs"]  # the shared fixtures, used here by name

WIDTHS = (700, 768, 900, 1024, 1100, 1280, 1400)
PAGES = [("tasks", "/tasks"), ("runs", "/runs"), ("audit", "/audit?action=pause")]

# Every word of the visible name and changes cells whose letters lie on more than one line (a
# line may end after a space or a hyphen: "(eu-" then "west)" is not a broken word). Also the
# page's sideways overflow and how many cells were looked at.
BROKEN_WORDS = """() => {
  const cells = [...document.querySelectorAll(
    'table.tasks td:is(.name, .changes), .task-list td:nth-child(2)')]
    .filter((cell) => cell.checkVisibility());
  const broken = [];
  for (const cell of cells) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const m of node.data.matchAll(/[^\\s-]+-?/g)) {
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const lines = new Set([...range.getClientRects()].filter((r) => r.width > 0)
          .map((r) => Math.round(r.top)));
        if (lines.size > 1) broken.push(cell.textContent.trim().slice(0, 40) + ': ' + m[0]);
      }
    }
  }
  const doc = document.scrollingElement;
  return {broken, cells: cells.length, sideways: doc.scrollWidth - doc.clientWidth};
}"""


@pytest.mark.parametrize(("name", "path"), PAGES, ids=[p[0] for p in PAGES])
def test_names_and_changes_wrap_only_between_words_from_700_to_1400_px(
    site: Site, tabs: Callable[..., Any], name: str, path: str
) -> None:
    for scheme in ("light", "dark"):
        tab = tabs(scheme)
        tab.set_viewport_size(VIEWPORT)
        if name == "audit":  # an entry with changes: pausing a task, then resuming it
            tab.goto(site.url("/tasks"))
            for verb in ("pause", "resume"):
                answer = tab.request.post(
                    site.url(f"/tasks/billing.charge/{verb}"),
                    form={"csrf_token": _token(tab)},
                    max_redirects=0,
                )
                assert answer.status == 303
        tab.goto(site.url(path))
        expect(
            tab.locator("table.tasks td:is(.name, .changes), .task-list td:nth-child(2)").first
        ).to_be_visible()
        for width in WIDTHS:
            tab.set_viewport_size({"width": width, "height": VIEWPORT["height"]})
            m = tab.evaluate(BROKEN_WORDS)
            where = f"{name} at {width} px, {scheme}"
            assert m["cells"] > 0, where
            assert m["broken"] == [], f"{where}: words broken mid-word: {m['broken'][:5]}"
            assert m["sideways"] <= 0, f"{where} scrolls sideways by {m['sideways']} px"


COLUMN = """([head, selector]) => {
  const table = [...document.querySelectorAll('table.tasks')]
    .find((t) => [...t.querySelectorAll('thead th')].some((th) => th.textContent.trim() === head));
  if (!table) return null;
  const th = [...table.querySelectorAll('thead th')].find((th) => th.textContent.trim() === head);
  const cell = table.querySelector(selector);
  return {
    headShown: th.checkVisibility() && th.closest('thead').getBoundingClientRect().width > 1,
    text: cell.innerText.trim(),
    label: getComputedStyle(cell, '::before').content,
  };
}"""


@pytest.mark.parametrize(
    ("path", "head", "selector"),
    [("/timeline", "Executor", "td.executor"), ("/events", "Store", "td.store")],
    ids=["timeline executor", "event store"],
)
def test_an_executor_or_a_store_says_which_it_is(
    site: Site, tabs: Callable[..., Any], path: str, head: str, selector: str
) -> None:
    tab = tabs("light")
    tab.set_viewport_size(VIEWPORT)
    tab.goto(site.url(path))
    wide = tab.evaluate(COLUMN, [head, selector])
    assert wide["headShown"] and wide["text"] == "default", "a visible column head names it"
    tab.set_viewport_size(PHONE)
    phone = tab.evaluate(COLUMN, [head, selector])
    assert not phone["headShown"]  # the heads are for screen readers only on a phone ...
    assert (phone["label"], phone["text"]) == (f'"{head} "', "default")  # ... the card says


def test_a_timeline_hour_says_how_many_runs_it_holds(site: Site, tabs: Callable[..., Any]) -> None:
    tab = on_phone(tabs, "light", site.url("/timeline"))
    headings = tab.locator(".timeline-hour h2")
    expect(headings.first).to_be_visible()
    for text in headings.all_inner_texts():
        count = re.search(r"(\d+) (runs?)$", text)
        assert count, f"the hour's count is not labelled: {text!r}"
        assert (count[1] == "1") == (count[2] == "run"), text


def test_the_next_runs_note_names_the_zone_they_are_shown_in(site: Site, browser: Any) -> None:
    context = browser.new_context(
        viewport=VIEWPORT, timezone_id="Asia/Tokyo", storage_state=site.state
    )
    try:
        tab = context.new_page()
        tab.goto(site.url("/tasks/billing.charge"))
        htmx_ready(tab)
        scheduler_note = tab.locator("[data-scheduler-zone-note]")
        local_note = tab.locator(".task-upcoming [data-zone-hint]")
        expect(scheduler_note).to_have_text("In the scheduler's timezone, UTC.")
        expect(local_note).to_be_hidden()

        tab.locator("[data-zone-pick]").select_option("local")
        expect(tab.locator(".upcoming-runs time").first).to_have_text(re.compile(r"GMT\+9$"))
        expect(scheduler_note).to_be_hidden()
        expect(local_note).to_have_text("In your browser's timezone, Asia/Tokyo.")

        tab.reload()  # the choice is remembered, and the note follows it from the first paint
        htmx_ready(tab)
        expect(local_note).to_have_text("In your browser's timezone, Asia/Tokyo.")
        expect(scheduler_note).to_be_hidden()

        tab.locator("[data-zone-pick]").select_option("scheduler")
        expect(local_note).to_be_hidden()
        expect(scheduler_note).to_be_visible()
    finally:
        context.close()
