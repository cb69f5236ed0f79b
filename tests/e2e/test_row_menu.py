"""The row menu in Chromium: one ``<template>`` per table, opened under a row's ⋯ by mouse or
keyboard, its links going to that row's task whatever its id ("/", "%", spaces, other scripts,
".."), and its Remove asking about that task and removing it."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from playwright.sync_api import expect

from ..cli.test_cli import Server, running
from .conftest import Watch
from .helpers import htmx_ready

JOBS = """
from asyncz.schedulers.asyncio import AsyncIOScheduler


async def noop():
    pass


scheduler = AsyncIOScheduler(timezone="UTC")
for n, task_id in enumerate(["a/b c", "50% off", "ünï 任务", "..", "plain-1"]):
    scheduler.add_task(noop, "interval", hours=5 + n, id=task_id, name="Odd " + str(n))
"""

ODD = {"a/b c": "Odd 0", "50% off": "Odd 1", "ünï 任务": "Odd 2", "..": "Odd 3", "plain-1": "Odd 4"}


@pytest.fixture
def odd_server(tmp_path: Path) -> Iterator[Server]:
    (tmp_path / "odd_jobs.py").write_text(textwrap.dedent(JOBS))
    with running(["serve", "odd_jobs:scheduler"], tmp_path) as server:
        yield server


def task_row(tab: Any, name: str) -> Any:
    return tab.locator("#tasks-table tbody tr").filter(
        has=tab.locator("td:nth-child(2) a", has_text=name)
    )


def open_list(tab: Any, server: Server) -> None:
    tab.goto(server.base + "/dashboard/tasks?sort=name")
    htmx_ready(tab)


def test_the_mouse_opens_the_menu_and_its_links_reach_the_rows_task(
    odd_server: Server, page: tuple[Any, Watch]
) -> None:
    tab, watch = page
    for task_id, name in ODD.items():
        open_list(tab, odd_server)
        row = task_row(tab, name)
        more = row.locator("a.more")
        expect(more).to_have_attribute("aria-haspopup", "menu")
        expect(more).to_have_attribute("aria-expanded", "false")
        more.click()
        menu = row.locator(".menu-items")
        expect(menu).to_be_visible()
        expect(menu).to_have_attribute("role", "menu")
        expect(more).to_have_attribute("aria-expanded", "true")
        expect(menu.get_by_role("menuitem")).to_have_text(
            ["Details", "Edit", "Runs", "Logs", "Remove"]
        )
        expect(menu.locator("button", has_text="Remove")).to_have_attribute("value", task_id)
        hrefs = {
            item: menu.get_by_role("menuitem", name=item).get_attribute("href")
            for item in ("Details", "Edit", "Runs", "Logs")
        }
        assert hrefs["Details"] == more.get_attribute("href")
        for item in ("Runs", "Logs"):
            assert dict(parse_qsl(urlsplit(hrefs[item]).query)) == {"task": task_id}, hrefs

        menu.get_by_role("menuitem", name="Details").click()
        expect(tab.locator("dl.fields dd").first).to_have_text(task_id)
        expect(tab.get_by_role("heading", level=1)).to_contain_text(name)
        tab.goto(odd_server.base + hrefs["Edit"])
        expect(tab.locator("#f-name")).to_have_value(name)
        tab.goto(odd_server.base + hrefs["Runs"])
        expect(tab.get_by_label("Task id")).to_have_value(task_id)
    assert watch.errors == [], watch.errors


def test_the_keyboard_opens_moves_in_and_closes_the_menu(
    odd_server: Server, page: tuple[Any, Watch]
) -> None:
    tab, _ = page
    open_list(tab, odd_server)
    row = task_row(tab, "Odd 1")
    more = row.locator("a.more")
    menu = row.locator(".menu-items")
    more.focus()
    tab.keyboard.press("Enter")
    expect(menu.get_by_role("menuitem", name="Details")).to_be_focused()
    tab.keyboard.press("ArrowDown")
    expect(menu.get_by_role("menuitem", name="Edit")).to_be_focused()
    tab.keyboard.press("End")
    expect(menu.get_by_role("menuitem", name="Remove")).to_be_focused()
    tab.keyboard.press("ArrowDown")  # round to the first
    expect(menu.get_by_role("menuitem", name="Details")).to_be_focused()
    tab.keyboard.press("Escape")
    expect(menu).to_have_count(0)
    expect(more).to_be_focused()

    tab.keyboard.press(" ")  # Space opens it too (⋯ is a button now, not a link)
    expect(menu.get_by_role("menuitem", name="Details")).to_be_focused()
    tab.keyboard.press("ArrowDown")
    tab.keyboard.press("Enter")
    tab.wait_for_url("**/dashboard/tasks/50%25%20off/edit")
    expect(tab.locator("#f-name")).to_have_value("Odd 1")


def test_remove_from_the_menu_asks_about_that_task_and_removes_it(
    odd_server: Server, page: tuple[Any, Watch]
) -> None:
    tab, watch = page
    open_list(tab, odd_server)
    row = task_row(tab, "Odd 2")
    row.locator("a.more").click()
    watch.dialog_answer = False
    row.locator(".menu-items").get_by_role("menuitem", name="Remove").click()
    tab.wait_for_timeout(300)
    assert watch.dialogs == ["Remove task “Odd 2”? This cannot be undone."]
    assert watch.posts("/remove") == []
    expect(row).to_have_count(1)

    watch.dialog_answer = True
    row.locator(".menu-items").get_by_role("menuitem", name="Remove").click()
    expect(tab.locator("#flashes .flash")).to_contain_text("Removed 'Odd 2'.")
    expect(task_row(tab, "Odd 2")).to_have_count(0)
    expect(tab.locator(".menu-items")).to_have_count(0)
    assert watch.posts("/remove") == [  # the one form, acting as /tasks/{id}/remove
        odd_server.base + "/dashboard/tasks/%C3%BCn%C3%AF%20%E4%BB%BB%E5%8A%A1/remove#act"
    ]
    for name in ("Odd 0", "Odd 1", "Odd 3", "Odd 4"):
        expect(task_row(tab, name)).to_have_count(1)
