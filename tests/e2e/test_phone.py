"""The phone layout's gaps (issue 8): the header is one bar with a menu, the cards of the other
tables label their values, the edit preview says which value is now and which after, the
timeline's and the logs' filters fit at 390 px, and the timeline starts with 50 rows.

It reuses test_layout_themes' demo server (behind a login, with runs and logs) and its tabs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from .conftest import VIEWPORT
from .helpers import shot
from .test_layout_themes import PHONE, Site, site, tabs  # noqa: F401 (fixtures)

# The header's height and what of it a user sees: the menu's summary, the nav links, the
# page's controls and the theme switch.
HEADER = """() => {
  const shown = (sel) => [...document.querySelectorAll(sel)].filter((el) => el.checkVisibility());
  const doc = document.scrollingElement;
  return {
    height: document.querySelector('header.top').getBoundingClientRect().height,
    summary: shown('.top-menu > summary .top-menu-page').map((el) => el.innerText.trim()),
    links: shown('.main-nav a').length,
    controls: shown('#zone-pick, #live-interval, [data-theme-choice]').length,
    sideways: doc.scrollWidth > doc.clientWidth,
  };
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_phone_header_is_one_bar_with_a_menu_that_keyboard_and_escape_work(
    site: Site, tabs: Callable[..., Any], scheme: str
) -> None:
    tab = tabs(scheme)
    tab.set_viewport_size(PHONE)
    tab.goto(site.url("/runs"))
    for width in (375, 390):
        tab.set_viewport_size({"width": width, "height": PHONE["height"]})
        m = tab.evaluate(HEADER)
        assert m["height"] <= 48, f"the header takes {m['height']} px at {width} px"
        assert m["summary"] == ["Runs"] and m["links"] == 0 and not m["sideways"], m
    summary = tab.locator(".top-menu > summary")
    expect(summary).to_have_accessible_name("Menu, this page: Runs")

    # The keyboard opens it; the links, the zone, refresh and theme controls are reachable.
    summary.focus()
    tab.keyboard.press("Enter")
    m = tab.evaluate(HEADER)
    assert m["links"] == 9 and m["controls"] == 5 and not m["sideways"], m
    shot(tab, f"phone-menu-open-{scheme}")
    tab.keyboard.press("Tab")
    expect(tab.locator(":focus")).to_have_text("Overview")
    expect(tab.get_by_role("link", name="Runs", exact=True)).to_have_attribute(
        "aria-current", "page"
    )
    # The panel lies over the page below the bar, nothing of it outside the window.
    panel = tab.evaluate(
        """() => { const r = document.querySelector('.top-menu .main-nav').getBoundingClientRect();
        return [r.left, r.right, r.top]; }"""
    )
    assert panel[0] >= 0 and panel[1] <= PHONE["width"] and panel[2] >= 44, panel

    # Escape closes it and gives the focus back to its summary; an outside click closes it.
    tab.keyboard.press("Escape")
    assert tab.evaluate(HEADER)["links"] == 0
    expect(summary).to_be_focused()
    summary.click()
    assert tab.evaluate(HEADER)["links"] == 9
    tab.mouse.click(200, PHONE["height"] - 20)  # below the panel, on the page
    assert tab.evaluate(HEADER)["links"] == 0

    # Wider, the whole navigation and the controls are on the bar and the summary is gone.
    for width in (768, VIEWPORT["width"]):
        tab.set_viewport_size({"width": width, "height": VIEWPORT["height"]})
        m = tab.evaluate(HEADER)
        assert m["summary"] == [] and m["links"] == 9 and m["controls"] == 5, (width, m)
        assert not m["sideways"], width


def test_the_phone_menu_opens_without_javascript(browser: Any, site: Site) -> None:
    context = browser.new_context(
        viewport=PHONE, java_script_enabled=False, storage_state=site.state
    )
    try:
        tab = context.new_page()
        tab.goto(site.url("/logs"))
        assert tab.evaluate(HEADER)["summary"] == ["Logs"]
        tab.locator(".top-menu > summary").click()
        expect(tab.locator(".main-nav a", has_text="Timeline")).to_be_visible()
        tab.locator(".main-nav a", has_text="Timeline").click()
        expect(tab.locator("h1")).to_have_text("Timeline")
        assert tab.evaluate(HEADER)["summary"] == ["Timeline"]
        tab.set_viewport_size(VIEWPORT)
        assert tab.evaluate(HEADER)["links"] == 9
    finally:
        context.close()


# Each value of the first row of a table, with the label shown before it on the phone.
CARD_LABELS = """(sel) => [...document.querySelector(sel).querySelectorAll('tbody tr:first-child td')]
  .filter((td) => td.checkVisibility() && td.innerText.trim())
  .map((td) => [getComputedStyle(td, '::before').content, td.innerText.trim()])"""


@pytest.mark.parametrize(
    ("path", "table", "labels"),
    [
        ("/runs", "table.runs", ['"Source "', '"Scheduled "', '"Started "', '"Duration "']),
        ("/tasks/billing.charge", "table.runs", ['"Source "', '"Scheduled "', '"Duration "']),
        ("/instances", "table.instances", ['"Heartbeat "', '"Last event "', '"Uptime "']),
    ],
)
def test_phone_cards_label_their_times_and_durations(
    site: Site, tabs: Callable[..., Any], path: str, table: str, labels: list[str]
) -> None:
    tab = tabs("dark")
    tab.set_viewport_size(PHONE)
    tab.goto(site.url(path))
    cells = tab.evaluate(CARD_LABELS, table)
    shown = [label for label, _ in cells]
    for label in labels:
        assert label in shown, (label, cells)
    # Every time in a card has its label (a status badge, a name or an error speaks for itself).
    timed = [label for label, text in cells if re.search(r"\d\d:\d\d:\d\d", text)]
    assert timed and "none" not in timed, cells


def test_the_edit_preview_labels_now_and_after_on_a_phone(
    site: Site, tabs: Callable[..., Any]
) -> None:
    tab = tabs("light")
    tab.set_viewport_size(PHONE)
    tab.goto(site.url("/tasks/billing.charge/edit"))
    tab.fill("#f-name", "Charge the pending cards")
    tab.get_by_role("button", name="Preview").click()
    expect(tab.locator("#diff-title")).to_be_visible()
    changed = tab.locator("table.diff tr.changed")
    expect(changed).to_have_count(1)
    values = changed.evaluate(
        """(tr) => [...tr.querySelectorAll('td[data-label]')].map((td) =>
        [getComputedStyle(td, '::before').content, td.innerText.trim(),
         td.getBoundingClientRect().right <= document.documentElement.clientWidth])"""
    )
    assert [v[0] for v in values] == ['"Now "', '"After "'], values
    assert values[1][1].endswith("Charge the pending cards") and all(v[2] for v in values)
    shot(tab, "phone-edit-preview-light")


# Whether a field shows its whole value or placeholder: the text's width in the field's font
# against the room inside it (a select keeps ~24 px for its arrow).
FITS = """(el) => {
  const style = getComputedStyle(el);
  const text = el.tagName === 'SELECT' ? el.selectedOptions[0].text : (el.value || el.placeholder);
  const ctx = document.createElement('canvas').getContext('2d');
  ctx.font = style.font;
  const room = el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) -
    (el.tagName === 'SELECT' ? 24 : 0);
  return {text, need: ctx.measureText(text).width, room};
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_timeline_starts_with_50_rows_and_its_filters_fit_a_phone(
    site: Site, tabs: Callable[..., Any], scheme: str
) -> None:
    tab = tabs(scheme)
    tab.set_viewport_size(PHONE)
    tab.goto(site.url("/timeline"))
    expect(tab.locator("table.timeline tbody tr")).to_have_count(50)
    for select in ("#t-window", "#t-executor", "#t-trigger", "#t-state", "#t-per-page"):
        m = tab.locator(select).evaluate(FITS)
        assert m["need"] <= m["room"], (select, m)
    expect(tab.locator("#t-per-page")).to_have_value("50")
    shot(tab, f"phone-timeline-{scheme}")
    tab.get_by_role("link", name="Show 100 rows").click()
    expect(tab.locator("table.timeline tbody tr")).to_have_count(100)
    expect(tab.locator("#t-per-page")).to_have_value("100")


def test_the_logs_time_fields_say_their_format_and_fit_a_phone(
    site: Site, tabs: Callable[..., Any]
) -> None:
    tab = tabs("dark")
    tab.set_viewport_size(PHONE)
    tab.goto(site.url("/logs"))
    for field, label in (("#log-since", "From"), ("#log-until", "To")):
        box = tab.locator(field)
        expect(box).to_have_accessible_name(label)
        expect(box).to_have_accessible_description(
            "From and To: a date and time in UTC, such as 2026-11-29 09:00, "
            "or with an offset (2026-11-29 09:00+01:00)."
        )
        m = box.evaluate(FITS)
        assert m["text"] == "YYYY-MM-DD HH:MM" and m["need"] <= m["room"], m
        # Its label sits on the same line, to its left.
        lab = tab.locator(f"label[for={field[1:]}]").bounding_box()
        own = box.bounding_box()
        assert lab and own and lab["x"] < own["x"] and abs(lab["y"] - own["y"]) < own["height"]
    expect(tab.locator("#log-time-hint")).to_be_visible()
    shot(tab, "phone-logs-dark")
    # The format shown is one the filter takes.
    tab.fill("#log-since", "2020-01-01 00:00")
    tab.get_by_role("button", name="Filter").click()
    expect(tab.locator("#log-since")).to_have_value("2020-01-01 00:00")
    expect(tab.locator(".flash-info")).to_have_count(0)
    assert tab.locator("table.logs tbody tr").count() > 0
