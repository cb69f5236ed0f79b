"""Papercuts a fresh user met, checked in the browser as that user sees them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from ..cli.test_cli import Server as CliServer
from ..cli.test_cli import running
from .conftest import VIEWPORT, Server
from .helpers import htmx_ready
from .test_layout_themes import PHONE, Site, site

__all__ = ["site"]  # the shared demo server, used here by name

# Each part of every visible time (the server's "2026-12-02" span and "14:05:03 UTC" after it;
# with script the spans "in 4 min ·", "14:05:03 UTC") and where it wraps: the parts' texts and
# how many lines each takes.
TIME_PARTS = """() => [...document.querySelectorAll('#tasks-table time[datetime]')]
  .filter((t) => t.checkVisibility())
  .map((t) => [...t.childNodes].filter((part) => part.textContent.trim()).map((part) => {
    const range = document.createRange();
    if (part.nodeType === Node.TEXT_NODE) {
      const lead = part.data.length - part.data.trimStart().length;
      range.setStart(part, lead);
      range.setEnd(part, part.data.trimEnd().length);
    } else {
      range.selectNodeContents(part);
    }
    const lines = new Set([...range.getClientRects()].filter((r) => r.width > 0)
      .map((r) => Math.round(r.top)));
    return [range.toString(), lines.size];
  }))"""


@pytest.fixture
def context_for(browser: Any, site: Site) -> Iterator[Any]:
    """``context_for(**options)``: a signed-in browser context on the demo (closed after)."""
    made: list[Any] = []

    def make(**options: Any) -> Any:
        context = browser.new_context(storage_state=site.state, **options)
        context.set_default_timeout(10_000)
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()


@pytest.mark.parametrize("script", [False, True], ids=["no-js", "js"])
def test_times_in_the_task_list_wrap_only_between_their_parts_at_768_px(
    site: Site, context_for: Any, script: bool
) -> None:
    tab = context_for(viewport={"width": 768, "height": 900}, java_script_enabled=script).new_page()
    tab.goto(site.url("/tasks"))
    if script:
        htmx_ready(tab)
        expect(tab.locator("#tasks-table time[datetime] > span").first).to_contain_text("·")
    times = tab.evaluate(TIME_PARTS)
    assert len(times) >= 10
    for parts in times:
        assert len(parts) == 2, parts  # the day (or "in 4 min ·") and the clock with its zone
        assert all(lines == 1 for _, lines in parts), parts
        first, second = parts[0][0], parts[1][0]
        if script:  # the separator ends the first part: it never starts a line
            assert first.endswith(" ·") and not second.startswith("·"), parts
        else:
            assert len(first) == 10 and first[4] == "-", parts  # 2026-12-02


FIELD_COLOURS = """() => [...document.querySelectorAll('textarea, #f-name')].map((el) => {
  const style = getComputedStyle(el);
  return [el.id, style.backgroundColor, style.color, style.borderTopColor];
})"""


@pytest.mark.parametrize("how", ["system", "switch"])
def test_in_the_dark_theme_a_textarea_looks_like_the_inputs(
    site: Site, context_for: Any, how: str
) -> None:
    tab = context_for(color_scheme="dark" if how == "system" else "light").new_page()
    tab.goto(site.url("/tasks/billing.charge/edit"))
    if how == "switch":
        tab.locator("[data-theme-choice=dark]").click()
        expect(tab.locator("html")).to_have_attribute("data-theme", "dark")
    body = tab.evaluate("getComputedStyle(document.body).backgroundColor")
    assert body == "rgb(15, 20, 25)"  # the dark page
    fields = tab.evaluate(FIELD_COLOURS)
    name = next(colours for colours in fields if colours[0] == "f-name")
    areas = [colours for colours in fields if colours[0] != "f-name"]
    assert [a[0] for a in areas] == ["f-args", "f-kwargs"]
    for area in areas:
        assert area[1:] == name[1:], (area, name)  # background, text and border as the input's


def test_timeline_headings_follow_the_zone_switch(server: Server, browser: Any) -> None:
    context = browser.new_context(viewport=VIEWPORT, timezone_id="Asia/Tokyo")
    try:
        tab = context.new_page()
        tab.goto(server.url("/timeline"))
        htmx_ready(tab)
        heading = tab.locator("section.timeline-hour h2 time").first
        expect(heading).to_have_text(re.compile(r"^\w{3} \d\d \w{3} \d{4}, \d\d:00 UTC$"))
        moment = datetime.fromisoformat(heading.get_attribute("datetime") or "")
        tab.locator("[data-zone-pick]").select_option("local")
        tokyo = moment.astimezone(ZoneInfo("Asia/Tokyo"))
        expected = tokyo.strftime("%a %d %b %Y, %H:00 ") + "GMT+9"
        expect(heading).to_have_text(expected)
        # Its run times moved with it: the first run of the hour reads the same hour.
        first_run = tab.locator("section.timeline-hour").first.locator("td.when time").first
        expect(first_run).to_contain_text(tokyo.strftime("%H:"))
        tab.locator("[data-zone-pick]").select_option("scheduler")
        expect(heading).to_have_text(moment.strftime("%a %d %b %Y, %H:00 UTC"))
    finally:
        context.close()


@pytest.mark.parametrize("script", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("verb", ["pause", "resume", "remove"])
def test_a_bulk_action_with_nothing_ticked_says_select_at_least_one_task(
    server: Server, browser: Any, verb: str, script: bool
) -> None:
    context = browser.new_context(viewport=VIEWPORT, java_script_enabled=script)
    posts: list[str] = []
    try:
        tab = context.new_page()
        tab.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
        tab.goto(server.url("/tasks?q=sync&sort=name"))
        if script:
            htmx_ready(tab)
        tab.locator(f'#bulk-form button[value="{verb}"]').click()
        if script:  # nothing is sent
            expect(tab.locator("[data-selected-count]")).to_have_text("Select at least one task.")
            tab.wait_for_timeout(300)
            assert posts == []
        else:  # the server answers with the list as it was and the reason
            expect(tab.locator("#flashes .flash")).to_contain_text("Select at least one task.")
            expect(tab.locator("#task-q")).to_have_value("sync")
        # Nothing changed: sync-05 alone is paused, every row is there.
        expect(tab.locator("#tasks-table .state", has_text="paused")).to_have_count(1)
        expect(tab.locator("#tasks-table tbody tr")).to_have_count(25)
    finally:
        context.close()


@pytest.mark.parametrize("viewport", [VIEWPORT, PHONE], ids=["1400x900", "390x844"])
def test_the_last_row_s_menu_opens_upward_inside_the_window(
    server: Server, browser: Any, viewport: dict[str, int]
) -> None:
    context = browser.new_context(viewport=viewport)
    try:
        tab = context.new_page()
        tab.goto(server.url("/tasks?sort=name"))
        htmx_ready(tab)
        last = tab.locator("#tasks-table tbody tr").last
        tab.evaluate("window.scrollTo(0, document.scrollingElement.scrollHeight)")  # the end
        row_box = last.bounding_box()
        assert row_box is not None and row_box["y"] + row_box["height"] > viewport["height"] - 150
        last.locator("a.more").click()
        menu = last.locator("[role=menu]")
        expect(menu).to_be_visible()
        box = menu.bounding_box()
        assert box is not None
        assert box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"], box
        expect(menu.locator("[role=menuitem]").last).to_be_in_viewport(ratio=1)
        # A row with room below still opens its menu downward, under its ⋯.
        tab.keyboard.press("Escape")
        first = tab.locator("#tasks-table tbody tr").first
        first.evaluate("(row) => row.scrollIntoView({block: 'start'})")
        first.locator("a.more").click()
        below = first.locator("[role=menu]").bounding_box()
        more = first.locator("a.more").bounding_box()
        assert below is not None and more is not None
        assert below["y"] >= more["y"] + more["height"] - 4
    finally:
        context.close()


def test_with_local_times_the_log_filter_reads_from_and_to_in_the_browser_s_zone(
    server: Server, browser: Any
) -> None:
    context = browser.new_context(viewport=VIEWPORT, timezone_id="Asia/Tokyo")
    try:
        tab = context.new_page()
        tab.goto(server.url("/logs"))
        htmx_ready(tab)
        hint = tab.locator("#log-time-hint")
        expect(hint).to_contain_text("a date and time in UTC,")  # the scheduler's zone
        tab.locator("[data-zone-pick]").select_option("local")
        expect(hint).to_contain_text("a date and time in Asia/Tokyo,")
        tab.fill("#log-since", "2020-01-01 09:00")
        tab.get_by_role("button", name="Filter").click()
        tab.wait_for_url(re.compile(r"since=2020-01-01\+09%3A00.*tz=Asia%2FTokyo"))
        expect(tab.locator("#log-since")).to_have_value("2020-01-01 09:00")
        expect(hint).to_contain_text("a date and time in Asia/Tokyo,")
        # Back to the scheduler's zone: the same text now means UTC, and says so.
        tab.locator("[data-zone-pick]").select_option("scheduler")
        expect(hint).to_contain_text("a date and time in UTC,")
        tab.get_by_role("button", name="Filter").click()
        tab.wait_for_url(lambda url: "since=2020-01-01+09%3A00" in url and "tz=" not in url)
    finally:
        context.close()


TOKYO_JOBS = """
from asyncz.schedulers.asyncio import AsyncIOScheduler


async def noop():
    pass


scheduler = AsyncIOScheduler(timezone="Asia/Tokyo")
scheduler.add_task(noop, "interval", hours=2, id="every-two-hours", name="Every two hours")
scheduler.add_task(noop, "cron", hour=9, minute=30, id="morning", name="Morning report")
"""
ZONE_WORDS = re.compile(r"\b(?:JST|GMT[+-]\d+|UTC|CES?T)\b")


@pytest.fixture(scope="module")
def tokyo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CliServer]:
    folder = tmp_path_factory.mktemp("tokyo")
    (folder / "tokyo_jobs.py").write_text(TOKYO_JOBS)
    with running(["serve", "tokyo_jobs:scheduler"], folder) as server:
        yield server


@pytest.mark.parametrize(
    ("browser_zone", "choice", "name"),
    [
        ("Asia/Tokyo", "scheduler", "JST"),
        ("Asia/Tokyo", "local", "JST"),  # Local is the scheduler's zone: the same name
        ("Europe/Paris", "scheduler", "JST"),
        ("Europe/Paris", "local", "CET"),
    ],
)
def test_a_zone_has_one_name_on_every_page(
    tokyo_server: CliServer, browser: Any, browser_zone: str, choice: str, name: str
) -> None:
    context = browser.new_context(viewport=VIEWPORT, timezone_id=browser_zone)
    try:
        tab = context.new_page()
        for path in ("/tasks", "/timeline", "/tasks/morning", "/"):
            tab.goto(tokyo_server.base + "/dashboard" + path)
            htmx_ready(tab)
            tab.locator("[data-zone-pick]").select_option(choice)
            expect(tab.locator("time[datetime]").first).to_contain_text(name)
            # Every zone named on the page, times, headings and notes alike, is that one.
            named = set(ZONE_WORDS.findall(tab.locator("main").inner_text()))
            assert named == {name}, (path, named)
    finally:
        context.close()
