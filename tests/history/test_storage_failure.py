"""A storage that cannot be reached: the scheduler keeps running its tasks, the task pages keep
working, the history pages say the storage is unavailable, and nothing raises into the
scheduler's event dispatch."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from asyncz.schedulers.asyncio import AsyncIOScheduler

from asyncz_dashboard import AsynczAdmin, DashboardConfig
from asyncz_dashboard.logs import get_task_logger
from asyncz_dashboard.storage.base import StorageUnavailable
from asyncz_dashboard.storage.memory import (
    MemoryAuditStorage,
    MemoryEventStorage,
    MemoryLogStorage,
    MemoryRunStorage,
)

from ..conftest import SECRET
from ..views.page import cell, rows
from .support import BASE, client_for, flashes, main_text, parse, post, until

TICKS: list[int] = []


async def tick() -> str:
    """A task that counts its runs and logs."""
    TICKS.append(1)
    logging.getLogger(__name__).warning("tick %d", len(TICKS))
    return "ok"


def _fail(*args: Any, **kwargs: Any) -> Any:
    raise StorageUnavailable("the database is down")


class DownStorage:
    """Every call fails as an unreachable database does."""

    save = get = query = recent_for_tasks = add = prune = staticmethod(_fail)


class DownBundle:
    """A storage object holding all four kinds, all down (``storage=<object>``)."""

    def __init__(self) -> None:
        self.runs = DownStorage()
        self.logs = DownStorage()
        self.events = DownStorage()
        self.audit = DownStorage()


def down_memory() -> dict[str, Any]:
    """Memory storages (written at once, not through the writer thread) that fail."""

    def failing(cls: type) -> Any:
        return type(
            f"Down{cls.__name__}",
            (cls,),
            {name: staticmethod(_fail) for name in ("save", "get", "query", "add", "prune")}
            | {"recent_for_tasks": staticmethod(_fail)},
        )()

    return {
        "run_history_storage": failing(MemoryRunStorage),
        "log_storage": failing(MemoryLogStorage),
        "event_storage": failing(MemoryEventStorage),
        "audit_storage": failing(MemoryAuditStorage),
    }


STORAGES: dict[str, Callable[[], dict[str, Any]]] = {
    "object": lambda: {"storage": DownBundle()},
    "memory-kinds": down_memory,
    "postgresql-closed-port": lambda: {
        "storage": "postgresql://postgres@127.0.0.1:1/test?connect_timeout=1"
    },
}


@pytest.mark.parametrize("kind", list(STORAGES))
async def test_an_unreachable_storage_never_stops_the_scheduler_or_the_task_pages(
    kind: str,
    scheduler: AsyncIOScheduler,
    config: DashboardConfig,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    TICKS.clear()
    admin = AsynczAdmin(scheduler, config=config, **STORAGES[kind]())
    try:
        scheduler.add_task(tick, "interval", seconds=0.05, id="tick", name="Ticker")
        await until(lambda: len(TICKS) >= 3, what="three runs")
        get_task_logger("tick").info("a task logger record")

        async with client_for(admin) as client:
            for url in (f"{BASE}/tasks", f"{BASE}/tasks/partials/table", f"{BASE}/tasks/tick"):
                response = await client.get(url)
                assert response.status_code == 200, url
                assert "Ticker" in response.text, url
            detail = await client.get(f"{BASE}/tasks/tick")
            assert "The history storage is unavailable right now." in main_text(detail.text)
            # The ticker runs every 0.05 s: a listing may catch it running (▶ 1/1), so look
            # again until it shows the last finished run, which the recorder remembers.
            for _ in range(50):
                listing = await client.get(f"{BASE}/tasks")
                cells = [cell(row, "last") for row in rows(listing.text).values()]
                if cells and "▶" not in cells[0].text:
                    break
                await asyncio.sleep(0.01)
            assert cells and "succeeded" in cells[0].text  # the recorder remembers the last run

            pages = {
                f"{BASE}/": "The history storage is unavailable right now.",
                f"{BASE}/runs": "The history storage is unavailable right now.",
                f"{BASE}/runs?status=failed&page=2": "The history storage is unavailable",
                f"{BASE}/runs/{'0' * 32}": "The history storage is unavailable right now.",
                f"{BASE}/logs": "The log storage is unavailable right now.",
                f"{BASE}/logs?task=tick&level=INFO": "The log storage is unavailable right now.",
                f"{BASE}/logs/partials/table": "The log storage is unavailable right now.",
                f"{BASE}/events": "The event storage is unavailable right now.",
                f"{BASE}/audit": "The audit storage is unavailable right now.",
            }
            for url, message in pages.items():
                response = await client.get(url)
                assert response.status_code == 200, url
                assert message in parse(response.text).text, url

            paused = await post(client, f"{BASE}/tasks/tick/pause")
            assert paused.status_code == 303
            page = await client.get(paused.headers["location"])
            # The action happened; the answer says its record did not.
            (message,) = flashes(page.text)
            assert message.startswith("Paused 'Ticker'. The audit record could not be saved: ")
            assert scheduler.get_task("tick").next_run_time is None
            resumed = await post(client, f"{BASE}/tasks/tick/resume")
            assert resumed.status_code == 303

        before = len(TICKS)
        await until(lambda: len(TICKS) >= before + 3, what="three more runs after the pages")
        assert scheduler.running
        await until(lambda: admin.writer.dropped > 0, what="dropped records to be counted")
    finally:
        admin.close()
    problems = [
        r.getMessage()
        for r in caplog.records
        if "Error notifying listener" in r.getMessage()
        or "subscriber failed" in r.getMessage()
        or r.name == "asyncz_dashboard.logs"
    ]
    assert problems == []
    assert "Logging error" not in capfd.readouterr().err  # the log handler never failed


# -- a database that accepts connections and never answers -------------------------------------


@pytest.fixture
def hung_database() -> Iterator[str]:
    """A PostgreSQL URL whose server accepts connections and never says a word."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])  # kept open, never answered
            except TimeoutError:
                continue
            except OSError:
                return

    acceptor = threading.Thread(target=accept, daemon=True)
    acceptor.start()
    yield f"postgresql://postgres@127.0.0.1:{listener.getsockname()[1]}/test"
    stop.set()
    acceptor.join()
    for connection in [*held, listener]:
        connection.close()


HUNG_GUARD = 30.0  # seconds: a page still loading then is a hang, reported as a failure
HISTORY_PAGES = {
    "/": "The history storage is unavailable right now.",
    "/runs": "The history storage is unavailable right now.",
    "/logs": "The log storage is unavailable right now.",
    "/events": "The event storage is unavailable right now.",
    "/audit": "The audit storage is unavailable right now.",
    "/tasks/tick": "The history storage is unavailable right now.",
}


async def test_a_hung_database_leaves_task_pages_alone_and_history_pages_say_so(
    scheduler: AsyncIOScheduler, hung_database: str
) -> None:
    config = DashboardConfig(secret_key=SECRET, storage_timeout=0.5)
    admin = AsynczAdmin(scheduler, config=config, storage=hung_database)
    scheduler.add_task(tick, "interval", hours=1, id="tick", name="Ticker")
    try:
        async with client_for(admin) as client:

            async def page(path: str) -> Any:
                return await client.get(f"{BASE}{path}")

            async def everything() -> list[Any]:
                # Twelve overviews at once (more than the reader threads and their queue), the
                # history pages, and the task pages, which never wait for the database.
                paths = ["/"] * 12 + list(HISTORY_PAGES) + ["/tasks", "/tasks/partials/table"]
                return list(await asyncio.gather(*(page(p) for p in paths)))

            answers = await asyncio.wait_for(everything(), HUNG_GUARD)
            for response in answers:
                assert response.status_code == 200, response.url
                path = response.url.path.removeprefix(BASE)
                if path.startswith("/tasks") and path != "/tasks/tick":
                    assert "Ticker" in response.text
                    assert "unavailable" not in main_text(response.text)
                else:
                    assert HISTORY_PAGES[path] in main_text(response.text), path

            # An action still acts, and answers within storage_timeout that its audit record
            # could not be saved, instead of waiting for the hung database.
            # (10x storage_timeout: the unbounded write it replaced took about 10 s here.)
            paused = await asyncio.wait_for(post(client, f"{BASE}/tasks/tick/pause"), 5.0)
            assert paused.status_code == 303
            (message,) = flashes((await client.get(paused.headers["location"])).text)
            assert message.startswith("Paused 'Ticker'. The audit record could not be saved: ")
            assert scheduler.get_task("tick").next_run_time is None
    finally:
        admin.close()
