"""Every page from a phone to a wide screen, light and dark: nothing scrolls sideways, the
header never overlaps itself, the task list turns into cards, axe-core finds nothing serious.
On a phone the header is one bar with a menu, the other tables' cards label their values, the
edit preview says which value is now and which after, the timeline's and the logs' filters fit
and the timeline starts with 50 rows.

One demo server (behind a login, with runs, logs, events and an audit entry) and one tab per
theme serve the whole module; a page is loaded once per theme and resized through the widths.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from axe_playwright_python.base import AXE_SCRIPT
from playwright.sync_api import expect

from .conftest import VIEWPORT, Server, launch, stop
from .helpers import htmx_ready, row, shot
from .visual_server import LONG_ID, LONG_NAME, PASSWORD, PREFIX, USERNAME

WIDTHS = (375, 390, 768, 1400)
PHONE = {"width": 390, "height": 844}
BACKGROUND = {"light": "rgb(246, 247, 249)", "dark": "rgb(15, 20, 25)"}
PAGES = [
    ("overview", "/"),
    ("tasks", "/tasks?sort=state"),  # the paused tasks first: their badges are checked too
    ("task", "/tasks/billing.charge"),
    ("long task", f"/tasks/{LONG_ID}"),
    ("runs", "/runs"),
    ("run", "{run}"),
    ("logs", "/logs"),
    ("events", "/events"),
    ("audit", "/audit"),
    ("timeline", "/timeline"),
    ("runtime", "/runtime"),
    ("instances", "/instances"),
    ("edit", "/tasks/billing.charge/edit"),
    ("login", "/login"),
    ("error", "/tasks/no-such-task"),
    ("scheduler confirmation", "/scheduler/pause"),  # the step that asks with script off
]

# What a user would see go wrong: the page wider than the window (and what sticks out), parts
# of the header on top of one another, the theme's background.
MEASURE = """() => {
  const doc = document.scrollingElement;
  const box = (el) => el.getBoundingClientRect();
  const shown = (el) => el.checkVisibility();
  const name = (el) => (el.className || el.tagName) + ': ' + el.textContent.trim().slice(0, 40);
  const wide = doc.scrollWidth <= doc.clientWidth ? [] : [...document.querySelectorAll('body *')]
    .filter((el) => shown(el) && box(el).right > doc.clientWidth + 1).slice(-5).map(name);
  const parts = [...document.querySelectorAll(
    'header.top > .brand, header.top .main-nav a, header.top .theme-switch, header.top .who, ' +
    'header.top .top-menu > summary'
  )].filter(shown);
  const overlaps = [];
  parts.forEach((a, i) => parts.slice(i + 1).forEach((b) => {
    const p = box(a), q = box(b);
    const apart = p.right - 1 <= q.left || q.right - 1 <= p.left ||
      p.bottom - 1 <= q.top || q.bottom - 1 <= p.top;
    if (!apart) overlaps.push([name(a), name(b)]);
  }));
  return {
    scrollWidth: doc.scrollWidth, clientWidth: doc.clientWidth, wide, overlaps,
    background: getComputedStyle(document.body).backgroundColor,
  };
}"""

# Rows after the eighth of a table repeat the markup and colours of the first ones: axe skips
# them, which halves its time on the long lists. Beyond the phone width only colour contrast
# can change (the same elements, laid out wider).
AXE_RUN = """(rules) => axe.run(
  {exclude: [['table.tasks tbody tr:nth-child(n+9)']]},
  rules ? {resultTypes: ['violations'], runOnly: rules} : {resultTypes: ['violations']}
)"""


@dataclass
class Site:
    """The running demo, a signed-in session's storage state and a failed run's URL."""

    server: Server
    state: Any
    run_path: str

    def url(self, path: str) -> str:
        return self.server.url(path.replace("{run}", self.run_path))


@pytest.fixture(scope="module")
def site(browser: Any) -> Iterator[Site]:
    server = launch("tests.e2e.visual_server")
    try:
        context = browser.new_context(viewport=VIEWPORT)
        context.set_default_timeout(10_000)
        tab = context.new_page()
        tab.goto(server.url("/login"))
        tab.fill("#username", USERNAME)
        tab.fill("#password", PASSWORD)
        tab.click("button[type=submit]")
        tab.wait_for_url(server.url("/"))
        # One action, so the audit trail has an entry.
        tab.goto(server.url("/tasks"))
        htmx_ready(tab)
        with tab.expect_response(re.compile(r"/tasks/act$")):  # run=heartbeat
            row(tab, "heartbeat").locator("button", has_text="Run").click()
        tab.goto(server.url("/runs?status=failed"))
        href = tab.locator("td.name a").first.get_attribute("href") or ""
        run_path = href.removeprefix(PREFIX)
        assert run_path.startswith("/runs/"), href
        state = context.storage_state()
        context.close()
        yield Site(server, state, run_path)
    finally:
        stop(server)


@pytest.fixture(scope="module")
def tabs(browser: Any, site: Site) -> Iterator[Callable[..., Any]]:
    """``tabs(scheme, signed_in=True)``: one tab per system colour scheme and session, reused."""
    made: dict[tuple[str, bool], Any] = {}

    def get(scheme: str, signed_in: bool = True) -> Any:
        if (scheme, signed_in) not in made:
            state = site.state if signed_in else None
            context = browser.new_context(
                viewport=VIEWPORT, color_scheme=scheme, storage_state=state
            )
            context.set_default_timeout(10_000)
            made[scheme, signed_in] = context.new_page()
        return made[scheme, signed_in]

    yield get
    for tab in made.values():
        tab.context.close()


def on_phone(tabs: Callable[..., Any], scheme: str, url: str) -> Any:
    """The signed-in tab of ``scheme`` at the phone's size, showing ``url``."""
    tab = tabs(scheme)
    tab.set_viewport_size(PHONE)
    tab.goto(url)
    return tab


def serious_violations(tab: Any, rules: list[str] | None = None) -> list[tuple[str, str, Any]]:
    """axe-core's serious and critical violations on the page as it is now (``rules``: only
    these axe rules, else all)."""
    if not tab.evaluate("() => window.axe !== undefined"):
        tab.evaluate(AXE_SCRIPT)
    found = tab.evaluate(AXE_RUN, rules)["violations"]
    return [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in found
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize(("name", "path"), PAGES, ids=[p[0] for p in PAGES])
def test_page_fits_every_width_in_both_themes_and_passes_axe(
    site: Site, tabs: Callable[..., Any], name: str, path: str
) -> None:
    for scheme in ("light", "dark"):
        tab = tabs(scheme, signed_in=name != "login")
        tab.set_viewport_size(VIEWPORT)
        tab.goto(site.url(path))
        expect(tab.locator("h1")).to_be_visible()
        for width in WIDTHS:
            tab.set_viewport_size({"width": width, "height": VIEWPORT["height"]})
            m = tab.evaluate(MEASURE)
            where = f"{name} at {width} px, {scheme}"
            assert m["scrollWidth"] <= m["clientWidth"], f"{where} scrolls sideways: {m['wide']}"
            assert m["overlaps"] == [], f"{where}: header parts overlap: {m['overlaps']}"
            assert m["background"] == BACKGROUND[scheme], where
            if width == PHONE["width"]:
                assert serious_violations(tab) == [], where
            elif width == VIEWPORT["width"]:
                assert serious_violations(tab, ["color-contrast"]) == [], where


CARDS = """() => [...document.querySelectorAll('#tasks-table tbody tr')].map((tr) => {
  const card = tr.getBoundingClientRect();
  const part = (el) => {
    if (!el || !el.checkVisibility()) return null;
    const r = el.getBoundingClientRect();
    return {
      inside: r.left >= card.left && r.right <= card.right && r.top >= card.top &&
        r.bottom <= card.bottom && r.right <= document.documentElement.clientWidth,
      clipped: el.scrollWidth > el.clientWidth + 1, text: el.innerText.trim(),
      label: getComputedStyle(el, '::before').content,
    };
  };
  return {
    display: getComputedStyle(tr).display,
    name: part(tr.querySelector('td:nth-child(2) a')),
    state: part(tr.querySelector('td .state')),
    next: part(tr.querySelector('td:nth-child(5)')),
    trigger: part(tr.querySelector('td:nth-child(4)')),
    last: part(tr.querySelector('td:nth-child(6)')),
    actions: [...tr.querySelectorAll('td:last-child > :is(button, a.more)')].map(part),
    shownExtras: [...tr.querySelectorAll('td:is(:nth-child(3), :nth-child(8), :nth-child(9))')]
      .filter((td) => td.checkVisibility()).length,
  };
})"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_task_list_is_one_card_per_task_on_a_phone(
    site: Site, tabs: Callable[..., Any], scheme: str
) -> None:
    tab = on_phone(tabs, scheme, site.url("/tasks"))
    cards = tab.evaluate(CARDS)
    assert len(cards) == 25
    for card in cards:
        assert card["display"] == "grid"
        assert card["shownExtras"] == 0, "callable, executor and store are left to the detail page"
        for part in ("name", "state", "next", "trigger", "last"):
            assert card[part] is not None, f"{part} hidden in {card}"
            assert card[part]["inside"] and not card[part]["clipped"], f"{part} cut: {card}"
        assert card["next"]["label"] == '"Next run "' and card["last"]["label"] == '"Last run "'
        # State in words beside its symbol, never by colour alone.
        # The symbol is the badge's ::before (with empty alternative text for screen readers).
        assert re.fullmatch(r"scheduled|paused|pending", card["state"]["text"]), card
        assert re.fullmatch(r'"\W+" / ""', card["state"]["label"]), card
        assert [a["text"] for a in card["actions"]][:1] == ["Run"], card
        assert 2 <= len(card["actions"]) <= 3
        assert all(a["inside"] and not a["clipped"] for a in card["actions"]), card


ROWS = """([taskId, longId]) => {
  const head = document.querySelector('#tasks-table thead').getBoundingClientRect();
  const trs = [...document.querySelectorAll('#tasks-table tbody tr')];
  const rows = trs.map((tr) => tr.getBoundingClientRect());
  const usual = trs.filter((tr) => !tr.querySelector(`input[value="${longId}"]`))
    .map((tr) => tr.getBoundingClientRect());
  const box = document.querySelector(`#tasks-table input[value="${taskId}"]`).closest('tr');
  const cell = box.querySelector('td:nth-child(6)');
  const c = cell.getBoundingClientRect();
  const inCell = [...cell.querySelectorAll('.running-now, .last-run')].map((el) => {
    const r = el.getBoundingClientRect();
    return r.left >= c.left && r.right <= c.right && r.top >= c.top && r.bottom <= c.bottom;
  });
  return {
    visible: rows.filter((r) => r.top >= head.bottom - 1 && r.bottom <= window.innerHeight).length,
    tallest: Math.max(...usual.map((r) => r.height)),  // a name that wraps makes its row taller
    running: cell.querySelector('.running-now') !== null, inCell,
    overflow: cell.scrollWidth > cell.clientWidth + 1,
  };
}"""


def test_wide_list_shows_fifteen_rows_and_the_running_indicator_fits_its_cell(
    site: Site, tabs: Callable[..., Any]
) -> None:
    tab = tabs("light")
    tab.set_viewport_size(VIEWPORT)
    tab.goto(site.url("/tasks"))
    htmx_ready(tab)
    with tab.expect_response(re.compile(r"/tasks/act$")):
        row(tab, "export.events").locator("button", has_text="Run").click()  # runs for 20 s
    for _ in range(20):
        m = tab.evaluate(ROWS, ["export.events", LONG_ID])
        if m["running"]:
            break
        tab.wait_for_timeout(100)
        tab.reload()
    assert m["running"], "the export did not show as running"
    assert m["visible"] >= 15, f"only {m['visible']} rows fully visible at 1400x900"
    assert m["tallest"] <= 64  # a long name or a time may wrap (the 15 rows above still hold)
    assert len(m["inCell"]) == 2 and all(m["inCell"]) and not m["overflow"], m
    tab.set_viewport_size(PHONE)
    m = tab.evaluate(ROWS, ["export.events", LONG_ID])
    assert m["running"] and all(m["inCell"]) and not m["overflow"], m


# Records whether theme.js set <html data-theme> before the parser reached <body>.
FIRST_PAINT_PROBE = """
window.__themeBeforeBody = null;
new MutationObserver((records, observer) => {
  if (!records.some((r) => r.target === document.documentElement)) return;
  window.__themeBeforeBody = document.body === null;
  observer.disconnect();
}).observe(document, {subtree: true, attributes: true, attributeFilter: ['data-theme']});
"""


def test_the_theme_switch_is_remembered_and_applied_before_paint(browser: Any, site: Site) -> None:
    context = browser.new_context(viewport=PHONE, color_scheme="light", storage_state=site.state)
    context.add_init_script(FIRST_PAINT_PROBE)
    try:
        tab = context.new_page()
        tab.goto(site.url("/tasks"))
        background = "() => getComputedStyle(document.body).backgroundColor"
        switch = tab.locator("[data-theme-switch]")

        def choose(name: str) -> None:
            # On a phone the switch is in the header's menu: open it first.
            if not switch.is_visible():
                tab.locator(".top-menu > summary").click()
            switch.get_by_role("button", name=name).click()

        expect(switch.locator("[data-theme-choice=system]")).to_have_attribute(
            "aria-pressed", "true"
        )
        assert tab.evaluate(background) == BACKGROUND["light"]

        choose("Dark")
        assert tab.evaluate(background) == BACKGROUND["dark"]
        tab.reload()
        assert tab.evaluate("() => window.__themeBeforeBody") is True
        assert tab.evaluate(background) == BACKGROUND["dark"]
        expect(switch.locator("[data-theme-choice=dark]")).to_have_attribute("aria-pressed", "true")

        # An explicit choice wins over the system's; "System" follows it again.
        tab.emulate_media(color_scheme="dark")
        choose("Light")
        tab.reload()
        assert tab.evaluate(background) == BACKGROUND["light"]
        choose("System")
        assert tab.evaluate(background) == BACKGROUND["dark"]
        tab.reload()
        assert tab.evaluate("() => document.documentElement.dataset.theme") is None
        assert tab.evaluate(background) == BACKGROUND["dark"]
    finally:
        context.close()


# Every word of the detail page's values stays on one line, unless it is longer than the line
# (then it may break where it must). A break after a hyphen is a break between words.
SPLIT_WORDS = """() => {
  const split = [];
  const list = document.querySelector('dl.fields');
  const width = list.querySelector('dd').clientWidth;
  const walker = document.createTreeWalker(list, NodeFilter.SHOW_TEXT);
  const rects = (node, start, end) => {
    const range = document.createRange();
    range.setStart(node, start);
    range.setEnd(node, end);
    return [...range.getClientRects()].filter((r) => r.width > 0);
  };
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (const token of node.data.matchAll(/\\S+/g)) {
      const total = rects(node, token.index, token.index + token[0].length)
        .reduce((sum, r) => sum + r.width, 0);
      if (total > width) continue;
      for (const word of token[0].matchAll(/[^-]+/g)) {
        const at = token.index + word.index;
        if (rects(node, at, at + word[0].length).length > 1) split.push(word[0]);
      }
    }
  }
  return split;
}"""
CHART_FILLS = """() => ['.bar-failed rect', '.bar-succeeded rect', '.mark', '.axis']
  .map((sel) => document.querySelector('.run-chart ' + sel))
  .map((el) => el ? getComputedStyle(el).fill + ' ' + getComputedStyle(el).stroke : null)"""


def test_detail_values_wrap_between_words_and_the_run_chart_follows_the_theme(
    site: Site, tabs: Callable[..., Any]
) -> None:
    fills = {}
    for scheme in ("light", "dark"):
        tab = tabs(scheme)
        tab.set_viewport_size(PHONE)
        tab.goto(site.url(f"/tasks/{LONG_ID}"))
        expect(tab.locator("h1")).to_contain_text(LONG_NAME)
        assert tab.evaluate(SPLIT_WORDS) == [], scheme
        tab.goto(site.url("/tasks/billing.charge"))
        failed = tab.locator(".run-failed").first
        fills[scheme] = tab.evaluate(CHART_FILLS)
        assert fills[scheme][0] is not None and fills[scheme][2] is not None, fills
        bad = failed.evaluate("(el) => getComputedStyle(el).color")
        assert fills[scheme][0].startswith(bad), (scheme, fills[scheme], bad)
    assert fills["light"][0] != fills["dark"][0]


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
    tab = on_phone(tabs, scheme, site.url("/runs"))
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
    assert serious_violations(tab) == [], f"the open menu, {scheme}"
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
CARD_LABELS = """(sel) => [...document.querySelector(sel)
  .querySelectorAll('tbody tr:first-child td')]
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
    tab = on_phone(tabs, "dark", site.url(path))
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
    tab = on_phone(tabs, "light", site.url("/tasks/billing.charge/edit"))
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
    tab = on_phone(tabs, scheme, site.url("/timeline"))
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
    tab = on_phone(tabs, "dark", site.url("/logs"))
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
