"""The page cache (views/pages.py): the task list is rendered once per change, and what a user
reads is always what a fresh render would show: a pause, a new or a removed task, another
user, other permissions, another query or another prefix each give their own page, while every
request still gets its own submission id and its session's CSRF token."""

from __future__ import annotations

import gzip
import re

import httpx
import pytest
from asyncz.schedulers.asyncio import AsyncIOScheduler

from asyncz_dashboard import AsynczAdmin, DashboardConfig
from asyncz_dashboard.views.pages import CSRF_MARK, SUBMISSION_MARK

from ..auth.support import client_for, make_admin, sign_in
from ..conftest import SECRET, csrf_from, noop, submission_from
from .page import cell, parse, rows
from .support import BASE, HX

LIST = f"{BASE}/tasks"


def add_tasks(scheduler: AsyncIOScheduler) -> None:
    scheduler.add_task(noop, "interval", minutes=5, id="report-a", name="Report A")
    scheduler.add_task(noop, "interval", minutes=9, id="cleanup", name="Cleanup")


def names(html: str) -> list[str]:
    """The task names the table shows, in order."""
    return [cell(row, "name").text.strip() for row in rows(html).values()]


def row_state(html: str, task_id: str) -> str:
    return cell(rows(html)[task_id], "state").text.strip()


def without_own_values(html: str) -> str:
    """The page with its CSRF token and submission id blanked (what the cache shares)."""
    html = html.replace(csrf_from(html), "TOKEN")
    return html.replace(submission_from(html), "SUBMISSION")


def pages_kept(admin: AsynczAdmin) -> int:
    return len(admin._app.state.pages)


async def test_a_repeated_request_is_served_from_the_cache_with_its_own_submission_id(
    scheduler: AsyncIOScheduler,
    client: httpx.AsyncClient,
    admin: AsynczAdmin,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    add_tasks(scheduler)
    templates = admin._app.state.templates
    rendered: list[str] = []
    render = templates.render
    monkeypatch.setattr(
        templates,
        "render",
        lambda request, name, **kw: rendered.append(name) or render(request, name, **kw),
    )
    first = await client.get(LIST)
    second = await client.get(LIST)
    assert first.status_code == second.status_code == 200
    assert rendered == ["tasks/list.html"]  # rendered once
    assert pages_kept(admin) == 1
    assert names(second.text) == ["Report A", "Cleanup"]
    # One session, one token; but every render has its own single-use submission id, in
    # both forms that carry one.
    assert csrf_from(first.text) == csrf_from(second.text)
    ids = [
        set(re.findall(r'name="submission_id" value="([^"]+)"', r.text)) for r in (first, second)
    ]
    assert len(ids[0]) == len(ids[1]) == 1 and ids[0] != ids[1]
    assert without_own_values(first.text) == without_own_values(second.text)
    for text in (first.text, second.text):
        assert CSRF_MARK not in text and SUBMISSION_MARK not in text


async def test_the_page_changes_when_a_task_is_paused_added_or_removed(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    add_tasks(scheduler)
    assert row_state((await client.get(LIST)).text, "report-a") == "scheduled"

    scheduler.pause_task("report-a")
    assert row_state((await client.get(LIST)).text, "report-a") == "paused"

    scheduler.add_task(noop, "interval", minutes=1, id="newest", name="Newest")
    page = (await client.get(LIST)).text
    assert "Newest" in names(page)
    assert parse(page).find("h1").text.split() == ["Tasks", "3"]

    scheduler.delete_task("cleanup")
    page = (await client.get(LIST)).text
    assert "Cleanup" not in names(page) and "Newest" in names(page)
    # The table fragment follows as well.
    fragment = (await client.get(f"{BASE}/tasks/partials/table", headers=HX)).text
    assert names(fragment) == names(page)


async def test_another_query_gets_its_own_page(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    add_tasks(scheduler)
    assert names((await client.get(f"{LIST}?q=report")).text) == ["Report A"]
    assert names((await client.get(f"{LIST}?q=clean")).text) == ["Cleanup"]
    assert names((await client.get(f"{LIST}?q=report")).text) == ["Report A"]
    by_name = (await client.get(f"{LIST}?sort=name")).text
    assert names(by_name) == ["Cleanup", "Report A"]


async def test_another_prefix_gets_its_own_links(
    scheduler: AsyncIOScheduler, admin: AsynczAdmin
) -> None:
    add_tasks(scheduler)
    app = admin.get_asgi_app()
    pages = {}
    for prefix in ("/dashboard", "/ops", "/dashboard"):
        transport = httpx.ASGITransport(app=app, root_path=prefix)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            pages[prefix] = (await c.get(f"{prefix}/tasks")).text
        links = [a.attrs["href"] for a in parse(pages[prefix]).find_all("a") if "href" in a.attrs]
        assert links and all(link.startswith(prefix + "/") for link in links if link != "#main")
    assert 'href="/ops/tasks/report-a"' in pages["/ops"]
    assert 'href="/ops/tasks/report-a"' not in pages["/dashboard"]


async def test_each_user_and_permission_set_gets_its_own_page(
    scheduler: AsyncIOScheduler,
) -> None:
    add_tasks(scheduler)
    granted = {"ada": {"view", "pause", "resume"}, "bob": {"view"}}
    admin = make_admin(scheduler, permissions=lambda user: set(granted[user.id]))
    try:
        app = admin.get_asgi_app()
        async with client_for(app) as ada, client_for(app) as bob:
            await sign_in(ada, prefix="")
            await sign_in(bob, prefix="", username="bob")
            for _ in range(2):  # the second round comes from the cache
                ada_page = parse((await ada.get("/tasks")).text)
                bob_page = parse((await bob.get("/tasks")).text)
                assert ada_page.find(class_="user").text == "Ada Lovelace"
                assert bob_page.find(class_="user").text == "Bob Builder"
                assert "Pause" in [b.text for b in ada_page.find_all("button")]
                assert "Pause" not in [b.text for b in bob_page.find_all("button")]
            # Bob has no action: no checkboxes; the rows keep their column order (the first
            # cell empty, hidden with its head by dashboard.css: table.read-only).
            bob_html = (await bob.get("/tasks")).text
            assert "read-only" in parse(bob_html).find("table").attrs["class"].split()
            bob_rows = rows(bob_html)
            assert [cell(r, "check").children for r in bob_rows.values()] == [[], []]
            assert cell(bob_rows["report-a"], "name").text == "Report A"
            assert cell(bob_rows["report-a"], "state").text == "scheduled"
            # The host takes a permission away: Ada's next page shows it at once.
            granted["ada"] = {"view"}
            ada_page = parse((await ada.get("/tasks")).text)
            assert "Pause" not in [b.text for b in ada_page.find_all("button")]
    finally:
        admin.close()


async def test_each_session_gets_its_own_token_and_it_works(
    scheduler: AsyncIOScheduler, admin: AsynczAdmin
) -> None:
    add_tasks(scheduler)
    transport = httpx.ASGITransport(app=admin.get_asgi_app(), root_path=BASE)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as one,
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as two,
    ):
        page_one = (await one.get(LIST)).text
        page_two = (await two.get(LIST)).text
        token_one, token_two = csrf_from(page_one), csrf_from(page_two)
        assert token_one != token_two
        # The token also sits in the page's htmx headers.
        assert f'"X-CSRF-Token": "{token_two}"' in page_two
        fields = {"submission_id": submission_from(page_two), "return_to": "tasks"}
        # The other session's token is refused, the session's own works.
        refused = await two.post(f"{LIST}/report-a/pause", data={**fields, "csrf_token": token_one})
        assert refused.status_code == 403
        assert row_state((await two.get(LIST)).text, "report-a") == "scheduled"
        done = await two.post(f"{LIST}/report-a/pause", data={**fields, "csrf_token": token_two})
        assert done.status_code == 303
        assert row_state((await one.get(LIST)).text, "report-a") == "paused"


async def test_a_flash_message_is_shown_once(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    add_tasks(scheduler)
    page = (await client.get(LIST)).text
    await client.get(LIST)  # cached
    fields = {
        "csrf_token": csrf_from(page),
        "submission_id": submission_from(page),
        "return_to": "tasks",
    }
    assert (await client.post(f"{LIST}/report-a/pause", data=fields)).status_code == 303
    shown = parse((await client.get(LIST)).text).find(id="flashes").text
    assert "Paused 'Report A'." in shown
    after = (await client.get(LIST)).text
    assert "Paused 'Report A'" not in parse(after).find(id="flashes").text
    assert row_state(after, "report-a") == "paused"


async def test_gzip_from_the_cache_is_the_same_page(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    add_tasks(scheduler)
    for _ in range(2):
        zipped = await client.get(LIST, headers={"accept-encoding": "gzip"})
        assert zipped.headers["content-encoding"] == "gzip"
        assert zipped.headers["vary"] == "Accept-Encoding"
        raw = zipped.read()  # httpx decodes it, checking the CRC and the length
        assert names(raw.decode()) == ["Report A", "Cleanup"]
        plain = await client.get(LIST, headers={"accept-encoding": "identity"})
        assert "content-encoding" not in plain.headers
        assert plain.headers["vary"] == "Accept-Encoding"
        assert without_own_values(raw.decode()) == without_own_values(plain.text)
    # HEAD answers with no body and no encoding.
    head = await client.head(LIST, headers={"accept-encoding": "gzip"})
    assert head.status_code == 200 and head.content == b""


async def test_gzip_bytes_decode_with_the_standard_library(
    scheduler: AsyncIOScheduler, admin: AsynczAdmin
) -> None:
    add_tasks(scheduler)
    transport = httpx.ASGITransport(app=admin.get_asgi_app(), root_path=BASE)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        await c.get(LIST)
        async with c.stream("GET", LIST, headers={"accept-encoding": "gzip"}) as response:
            body = b"".join([chunk async for chunk in response.aiter_raw()])
    assert names(gzip.decompress(body).decode()) == ["Report A", "Cleanup"]


async def test_the_loading_state_is_not_cached(scheduler: AsyncIOScheduler) -> None:
    for n in range(3):
        scheduler.add_task(noop, "interval", minutes=5, id=f"t{n}", name=f"Task {n}")
    admin = AsynczAdmin(scheduler, config=DashboardConfig(secret_key=SECRET))
    try:
        index = admin.local_adapter.index
        index.begin_build(0)
        index.loading = 3  # as if a build had just begun
        transport = httpx.ASGITransport(app=admin.get_asgi_app())
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            assert "Loading 3 tasks" in (await c.get("/tasks")).text
            index.loading = 5  # the count changes without a new version
            assert "Loading 5 tasks" in (await c.get("/tasks")).text
            assert pages_kept(admin) == 0
    finally:
        admin.close()


@pytest.mark.parametrize("path", ["/tasks", "/tasks/partials/table"])
async def test_a_signed_out_viewer_never_gets_the_cached_page_or_a_204(
    scheduler: AsyncIOScheduler, path: str
) -> None:
    add_tasks(scheduler)
    admin = make_admin(scheduler)
    try:
        app = admin.get_asgi_app()
        async with client_for(app) as ada, client_for(app) as stranger:
            await sign_in(ada, prefix="")
            page = await ada.get(path, headers=HX)
            version = parse(page.text).find(id="tasks-table").attrs["data-version"]
            poll = {**HX, "HX-Trigger": "tasks-table", "X-Dashboard-Version": version}
            assert (await ada.get(path, headers=poll)).status_code == 204
            refused = await stranger.get(path, headers=poll)
            assert refused.status_code == 401
            assert refused.headers["hx-redirect"].startswith("/login")
            assert "Report A" not in refused.text
            plain = await stranger.get(path)
            assert plain.status_code == 303 and "Report A" not in plain.text
    finally:
        admin.close()


async def test_the_fast_204_still_applies_allowed_hosts_and_security_headers(
    scheduler: AsyncIOScheduler,
) -> None:
    add_tasks(scheduler)
    config = DashboardConfig(secret_key=SECRET, allowed_hosts=("localhost",))
    admin = AsynczAdmin(scheduler, config=config)
    try:
        transport = httpx.ASGITransport(app=admin.get_asgi_app())
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as c:
            page = await c.get("/tasks")
            version = parse(page.text).find(id="tasks-table").attrs["data-version"]
            poll = {**HX, "HX-Trigger": "tasks-table", "X-Dashboard-Version": version}
            url = "/tasks/partials/table"
            current = await c.get(url, headers=poll)
            assert current.status_code == 204
            assert current.headers["x-frame-options"] == "DENY"
            assert current.headers["cache-control"] == "no-store"
            assert "content-security-policy" in current.headers
            other = await c.get(url, headers={**poll, "Host": "evil.test"})
            assert other.status_code == 400 and other.text == "Invalid Host header"
            cached = await c.get("/tasks", headers={"Host": "evil.test"})
            assert cached.status_code == 400 and "Report A" not in cached.text
    finally:
        admin.close()


async def test_the_overview_follows_tasks_and_the_scheduler(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient, admin: AsynczAdmin
) -> None:
    add_tasks(scheduler)
    first = await client.get(f"{BASE}/")
    assert first.status_code == 200 and "The scheduler is paused" not in first.text
    assert without_own_values(first.text) == without_own_values((await client.get(f"{BASE}/")).text)
    assert pages_kept(admin) == 1

    scheduler.pause_task("cleanup")
    scheduler.pause()
    page = (await client.get(f"{BASE}/")).text
    assert "The scheduler is paused" in page
    assert "Resume the scheduler" in page or "Resume" in parse(page).text
    scheduler.resume()
    scheduler.add_task(noop, "interval", minutes=1, id="newest", name="Newest")
    page = (await client.get(f"{BASE}/")).text
    assert "The scheduler is paused" not in page
    assert "Newest" in page
