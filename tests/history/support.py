"""What the history stories share: real tasks, waiting for runs, and reading pages as a user.

Pages are read with ``html.parser`` (entities unescaped in text and attributes), so tests
assert on what a page says; escaping itself is checked on the raw HTML.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
from asgi_lifespan import LifespanManager

from asyncz_dashboard import AsynczAdmin
from asyncz_dashboard.storage.base import LogEntry, LogFilter, Run, RunFilter

from ..views.page import Node, parse
from ..views.support import post

BASE = "/dashboard"
HX = {"HX-Request": "true"}
XSS = "<img src=x onerror=alert(document.domain)>"
XSS_ESCAPED = "&lt;img src=x onerror=alert(document.domain)&gt;"
__all__ = ["post"]  # the views' form poster, shared by the history stories


# -- waiting for the scheduler ----------------------------------------------------------------
async def until(predicate: Callable[[], Any], timeout: float = 5.0, what: str = "") -> Any:
    """Poll ``predicate`` until it returns something truthy (the value), or fail."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        await asyncio.sleep(0.02)


class Gate:
    """Holds a task until the test opens it, so "still running" never depends on timing."""

    def __init__(self) -> None:
        self._event: asyncio.Event | None = None

    def close(self) -> None:
        """Make the next runs wait (call on the test's loop)."""
        self._event = asyncio.Event()

    def open(self) -> None:
        """Let waiting runs finish."""
        if self._event is not None:
            self._event.set()

    async def wait(self) -> None:
        """Wait until opened (at most 10 s, so a failing test never hangs)."""
        if self._event is not None:
            await asyncio.wait_for(self._event.wait(), 10)


def runs_of(admin: AsynczAdmin, task_id: str, status: str = "") -> list[Run]:
    """The stored runs of one task, newest first (read from the storage, as the pages do)."""
    return admin.storages.runs.query(RunFilter(task_id=task_id, status=status, limit=500))


def logs_of(admin: AsynczAdmin, **filters: Any) -> list[LogEntry]:
    """Stored log records matching ``filters``, newest first."""
    return admin.storages.logs.query(LogFilter(limit=500, **filters))


async def finished_run(admin: AsynczAdmin, task_id: str, status: str, count: int = 1) -> Run:
    """Wait for ``count`` runs of ``task_id`` with ``status``; the newest of them."""
    found = await until(
        lambda: (runs := runs_of(admin, task_id, status)) and len(runs) >= count and runs,
        what=f"{count} {status} run(s) of {task_id}",
    )
    run: Run = found[0]
    return run


@asynccontextmanager
async def client_for(admin: AsynczAdmin) -> AsyncIterator[httpx.AsyncClient]:
    """A client for ``admin``'s app mounted at ``/dashboard`` (as the ``client`` fixture)."""
    app = admin.get_asgi_app()
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app, root_path=BASE)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


# -- reading pages -----------------------------------------------------------------------------
def main_text(html: str) -> str:
    """The readable text of the page's main content."""
    root = parse(html)
    mains = root.find_all("main")
    return (mains[0] if mains else root).text


def detail_fields(html: str) -> dict[str, str]:
    """The run detail's fields as read: label -> value."""
    fields = parse(html).find("dl", class_="fields")
    return {
        dt.text: dd.text
        for dt, dd in zip(fields.find_all("dt"), fields.find_all("dd"), strict=True)
    }


def table_rows(html: str, css: str = "tasks") -> list[Node]:
    """The body rows of the first table with class ``css``."""
    tables = parse(html).find_all("table", class_=css)
    if not tables:
        return []
    return [r for r in tables[0].find_all("tr") if not r.find_all("th")]


def flashes(html: str) -> list[str]:
    """Flash and alert messages as read."""
    return [p.text for p in parse(html).find_all("p", class_="flash")]


def link_ids(html: str, route: str) -> list[str]:
    """The last path segment of every link to ``BASE + route + '/...'``, in page order."""
    prefix = f"{BASE}{route}/"
    return [
        n.attrs["href"][len(prefix) :].split("?")[0]
        for n in parse(html).find_all("a")
        if n.attrs.get("href", "").startswith(prefix)
    ]


def assert_escaped(html: str, where: str) -> None:
    """The hostile exception text is shown, only escaped."""
    assert XSS not in html, f"raw HTML from a task on {where}"
    assert "<img" not in html, f"an <img> element on {where}"
    assert "&lt;img" in html, f"the escaped text is missing on {where}"
