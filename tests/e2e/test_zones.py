"""One zone per page, everywhere: with Local picked, the times inside stored text (the audit's
changes, the events' details) and the run chart's tooltips follow it too, and trigger texts,
which stay in the scheduler's zone, say so."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from .conftest import CSP_PROBE, VIEWPORT, Server
from .helpers import htmx_ready
from .test_live_parts import _token

TOKYO = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d GMT\+9$")
UTC = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$")


def test_stored_times_tooltips_and_trigger_zones_follow_the_local_switch(
    server: Server, browser: Any
) -> None:
    context = browser.new_context(viewport=VIEWPORT, timezone_id="Asia/Tokyo")
    context.add_init_script(CSP_PROBE)
    errors: list[str] = []
    try:
        tab = context.new_page()
        tab.on("pageerror", lambda exc: errors.append(str(exc)))
        tab.goto(server.url("/tasks"))
        htmx_ready(tab)
        hint = tab.locator("th.trigger [data-zone-hint]")
        expect(hint).to_be_hidden()  # times and triggers are both in the scheduler's zone
        for verb in ("run", "pause"):  # a run (events with run times), a pause (audit diff)
            answer = tab.request.post(
                server.url(f"/tasks/heartbeat/{verb}"),
                form={"csrf_token": _token(tab)},
                max_redirects=0,
            )
            assert answer.status == 303

        tab.locator("[data-zone-pick]").select_option("local")
        expect(hint).to_be_visible()
        expect(hint).to_have_text("(UTC)")

        tab.goto(server.url("/audit?action=pause"))
        change = tab.locator("td.changes time").first
        expect(change).to_have_text(TOKYO)
        tab.goto(server.url("/events?task=heartbeat"))
        detail = tab.locator("td.detail time").first
        expect(detail).to_have_text(TOKYO)

        tab.goto(server.url("/tasks/heartbeat"))
        htmx_ready(tab)
        expect(tab.locator("dd [data-zone-hint]")).to_have_text("(UTC)")
        expect(tab.locator("[data-scheduler-zone-note]")).to_be_hidden()
        tooltip = tab.locator("svg.run-chart title").first
        expect(tooltip).to_have_text(re.compile(r"scheduled [-\d]{10} [:\d]{8} GMT\+9$"))

        tab.locator("[data-zone-pick]").select_option("scheduler")
        expect(tooltip).to_have_text(re.compile(r"UTC$"))
        expect(tab.locator("[data-scheduler-zone-note]")).to_be_visible()
        expect(tab.locator("dd [data-zone-hint]")).to_be_hidden()
        tab.goto(server.url("/audit?action=pause"))
        expect(tab.locator("td.changes time").first).to_have_text(UTC)
        assert not errors, errors
    finally:
        context.close()
