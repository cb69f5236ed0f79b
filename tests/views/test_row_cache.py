"""The row cache: a row is rendered once per change, and a change always shows.

The rows come from ``views/rows.py``; these stories read the served pages only, so they hold
whether a row came from the cache or was rendered for the request.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta, timezone

import httpx
from asyncz.schedulers.asyncio import AsyncIOScheduler

from asyncz_dashboard import AsynczAdmin, DashboardConfig
from asyncz_dashboard.admin import SimpleUsernamePasswordBackend, User
from asyncz_dashboard.views.rows import RowCache

from ..auth.support import PREFIX, client_for, sign_in, starlette_host, verify
from ..conftest import SECRET, noop
from .page import cell, parse, row_state, rows
from .support import HX

HOSTILE = '<img src=x onerror=alert(1)> & "quoted"'
# One task row (its <tr> alone, before compression) with a 32-character id (a uuid's hex, as
# Asyncz makes them) and a 35-character name, as benchmarks/compare.py measures it: issue 9's
# ~1 KB (what a row still carries: the raw trigger on hover, the callable's reference, the id
# six times, the name three times with the accessible names).
ROW_BYTES = 1_024


def row_buttons(html: str, task_id: str) -> list[str]:
    """The row's buttons, then those of its ⋯ menu (the table's one menu template)."""
    menu = parse(html).find_all("template", id="row-menu")
    in_menu = [b.text for m in menu for b in m.find_all("button")]
    return [button.text for button in rows(html)[task_id].find_all("button")] + in_menu


async def test_a_paused_tasks_row_changes_on_the_next_list_and_refresh(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    scheduler.add_task(noop, "interval", minutes=5, id="sync", name="Sync")
    first = (await client.get("/dashboard/tasks")).text
    again = (await client.get("/dashboard/tasks")).text
    assert row_state(rows(first)["sync"]) == row_state(rows(again)["sync"]) == "scheduled"

    scheduler.pause_task("sync")

    listing = (await client.get("/dashboard/tasks")).text
    fragment = (await client.get("/dashboard/tasks/partials/table", headers=HX)).text
    for html in (listing, fragment):
        assert row_state(rows(html)["sync"]) == "paused"
        assert row_buttons(html, "sync") == ["Run", "Resume", "Remove"]
    scheduler.resume_task("sync")
    resumed = (await client.get("/dashboard/tasks")).text
    assert row_buttons(resumed, "sync") == ["Run", "Pause", "Remove"]


async def test_a_permission_change_shows_other_buttons_on_the_same_rows(
    scheduler: AsyncIOScheduler,
) -> None:
    scheduler.add_task(noop, "interval", minutes=5, id="sync", name="Sync")
    granted = {"view", "run", "pause", "resume", "remove"}

    def permissions(user: User) -> set[str]:
        return set(granted)

    admin = AsynczAdmin(
        scheduler,
        config=DashboardConfig(secret_key=SECRET),
        backend=SimpleUsernamePasswordBackend(verify),
        enable_login=True,
        permissions=permissions,
    )
    try:
        async with client_for(starlette_host(admin)) as client:
            assert (await sign_in(client)).status_code == 303
            everything = (await client.get(f"{PREFIX}/tasks")).text
            granted.difference_update({"pause", "remove"})
            fewer = (await client.get(f"{PREFIX}/tasks")).text
            granted.add("pause")
            back = (await client.get(f"{PREFIX}/tasks/partials/table", headers=HX)).text
    finally:
        admin.close()
    assert row_buttons(everything, "sync") == ["Run", "Pause", "Remove"]
    assert row_buttons(fewer, "sync") == ["Run"]
    assert row_buttons(back, "sync") == ["Run", "Pause"]


async def test_cached_rows_escape_task_names(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    scheduler.add_task(noop, "interval", minutes=5, id="x1", name=HOSTILE)

    served = [(await client.get("/dashboard/tasks")).text for _ in range(3)]
    served.append((await client.get("/dashboard/tasks/partials/table", headers=HX)).text)

    for html in served:
        assert HOSTILE not in html
        assert "&lt;img src=x onerror=alert(1)&gt; &amp; &#34;quoted&#34;" in html
        tree = parse(html)
        assert tree.find_all("img") == []
        assert cell(rows(html)["x1"], "name").text == HOSTILE


async def test_the_same_rows_under_another_prefix_carry_that_prefix(
    scheduler: AsyncIOScheduler, admin: AsynczAdmin
) -> None:
    scheduler.add_task(noop, "interval", minutes=5, id="sync", name="Sync")
    app = admin.get_asgi_app()
    for prefix in ("/dashboard", "/ops", "/dashboard"):
        transport = httpx.ASGITransport(app=app, root_path=prefix)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            html = (await c.get(f"{prefix}/tasks")).text
        link = cell(rows(html)["sync"], "name").find("a")
        assert link.attrs["href"] == f"{prefix}/tasks/sync"
        # The table's head and pager are cached too, by prefix among the rest.
        tree = parse(html)
        assert tree.find("a", id="sort-name").attrs["href"].startswith(f"{prefix}/tasks?")
        assert tree.find("a", id="per-page-50").attrs["href"].startswith(f"{prefix}/tasks?")


def test_the_cache_keeps_at_most_its_size() -> None:
    cache = RowCache(size=3)
    for n in range(10):
        cache._store((n,), (None, None, "x"))  # type: ignore[arg-type]
    assert len(cache) == 3
    assert list(cache._rows) == [(7,), (8,), (9,)]


async def test_a_row_weighs_at_most_its_bound_at_50_rows(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    start = datetime(2099, 1, 1, tzinfo=timezone.utc)
    for n in range(60):
        kind = n % 3
        task_id, name = uuid.UUID(int=n).hex, f"Reconcile payments (ap-south #{n:04d})"
        if kind == 0:
            scheduler.add_task(noop, "interval", minutes=5 + n, id=task_id, name=name)
        elif kind == 1:
            scheduler.add_task(noop, "cron", hour=n % 24, minute=5, id=task_id, name=name)
        else:
            run_at = start + timedelta(minutes=n)
            scheduler.add_task(noop, "date", run_at=run_at, id=task_id, name=name)
    scheduler.pause_task(uuid.UUID(int=3).hex)

    html = (await client.get("/dashboard/tasks", params={"per_page": 50})).text

    found = rows(html)
    assert len(found) == 50
    row_html = re.findall(r'<tr id="t-.*?</tr>', html, re.S)
    assert len(row_html) == 50  # plain ids: the DOM id carries them, no data-task-id
    per_row = sum(len(row.encode()) for row in row_html) / 50
    print(f"{per_row:.0f} bytes per row")
    assert per_row <= ROW_BYTES, f"{per_row:.0f} bytes per row"
    # The row menu's markup is on the page once, not once per row.
    assert html.count('role="menu"') == 1 and html.count("More actions for") == 50
