"""Editing a task in the browser: the trigger builder, the preview, then apply."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from .conftest import Server, Watch


def test_edit_an_interval_with_the_builder_preview_then_apply(
    server: Server, page: tuple[Any, Watch]
) -> None:
    tab, watch = page
    tab.goto(server.url("/tasks/sync-01"))
    tab.get_by_role("link", name="Edit", exact=True).click()
    expect(tab).to_have_url(server.url("/tasks/sync-01/edit"))

    value = tab.locator("#f-trigger-value")
    expect(value).to_have_value("1h")
    hours = tab.locator('[data-builder="interval"] [data-part="h"]')
    expect(hours).to_be_visible()  # the builder replaces typing the short form by hand
    expect(hours).to_have_value("1")
    expect(tab.locator('[data-builder="cron"]')).to_be_hidden()
    hours.fill("2")
    tab.locator('[data-builder="interval"] [data-part="m"]').fill("30")
    expect(value).to_have_value("2h30m")

    tab.get_by_role("button", name="Preview").click()
    trigger_row = tab.locator("table.diff tr", has=tab.locator("th", has_text="Trigger"))
    expect(trigger_row).to_contain_text("interval: 1h")
    expect(trigger_row).to_contain_text("interval: 2h30m")
    expect(trigger_row).to_contain_text("changed")
    expect(tab.locator("ol.run-times li")).to_have_count(5)
    expect(tab.locator("table.diff tr.changed")).to_have_count(1)
    expect(value).to_have_value("2h30m")  # the form keeps what was typed

    tab.get_by_role("button", name="Apply").click()
    expect(tab).to_have_url(server.url("/tasks/sync-01"))
    expect(tab.locator(".flash")).to_contain_text("Saved 'Sync orders 01': trigger.")
    expect(tab.locator("dl.fields")).to_contain_text("every 2 hours 30 minutes")
    assert tab.evaluate("window.__cspViolations") == []
    assert watch.errors == []


def test_switching_the_trigger_type_shows_its_builder(
    server: Server, page: tuple[Any, Watch]
) -> None:
    tab, watch = page
    tab.goto(server.url("/tasks/sync-02/edit"))
    tab.locator("#f-trigger-type").select_option("cron")
    expect(tab.locator('[data-builder="cron"]')).to_be_visible()
    expect(tab.locator('[data-builder="interval"]')).to_be_hidden()
    tab.locator('[data-builder="cron"] [data-part="1"]').fill("9")
    tab.locator('[data-builder="cron"] [data-part="0"]').fill("0")
    tab.locator('[data-builder="cron"] [data-part="2"]').fill("*")
    expect(tab.locator("#f-trigger-value")).to_have_value("0 9 * * *")
    tab.locator('[data-builder="cron"] [data-part="0"]').fill("99")
    tab.get_by_role("button", name="Apply").click()
    expect(tab.locator("#err-trigger_value")).to_contain_text("59")
    expect(tab.locator("#f-trigger-value")).to_be_focused()  # the field to fix
    expect(tab.locator("#f-trigger-value")).to_have_value("99 9 * * *")
    assert watch.errors == [] or all("400" in e for e in watch.errors)


def test_create_a_task_from_the_list(server: Server, page: tuple[Any, Watch]) -> None:
    tab, watch = page
    tab.goto(server.url("/tasks"))
    tab.get_by_role("link", name="New task").click()
    expect(tab).to_have_url(server.url("/tasks/create"))
    tab.locator("#f-callable").select_option("sync_orders")
    tab.locator("#f-name").fill("Sync the archive")
    tab.locator("#f-args").fill('["archive"]')
    tab.locator("#f-id").fill("sync-archive")
    tab.locator('[data-builder="interval"] [data-part="m"]').fill("")
    tab.locator('[data-builder="interval"] [data-part="h"]').fill("6")
    tab.get_by_role("button", name="Preview").click()
    expect(tab.locator("ol.run-times li")).to_have_count(5)
    tab.get_by_role("button", name="Create").click()
    expect(tab).to_have_url(server.url("/tasks/sync-archive"))
    expect(tab.locator(".flash")).to_contain_text("Created 'Sync the archive' (scheduled).")
    expect(tab.locator("dl.fields")).to_contain_text("every 6 hours")
    assert watch.errors == []
