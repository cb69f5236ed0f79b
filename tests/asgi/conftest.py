"""Fixtures and helpers for the ASGI toolkit tests: raw ASGI calls, a CSRF token, state."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_to_bytes

import httpx
import pytest
from asyncz.schedulers.asyncio import AsyncIOScheduler

from asyncz_dashboard import AsynczAdmin, DashboardConfig

from ..conftest import SECRET, csrf_from

ROOT = "/dashboard"


@dataclass
class RawResponse:
    """What an ASGI app sent back for one request."""

    status_code: int
    header_list: list[tuple[str, str]]
    body: bytes
    headers: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.headers = {name: value for name, value in self.header_list}

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def all(self, name: str) -> list[str]:
        """Every value sent for header ``name`` (lower case)."""
        return [value for key, value in self.header_list if key == name]


async def raw_request(
    app: Any,
    method: str,
    raw_path: str,
    *,
    root_path: str = ROOT,
    query: str = "",
    headers: Iterable[tuple[str, str]] = (),
    chunks: Iterable[bytes] = (b"",),
    disconnect_after_body: bool = False,
) -> RawResponse:
    """Call ``app`` with the exact raw path a server such as hypercorn passes on.

    ``path`` is the percent-decoded ``raw_path`` (no dot-segment normalisation, which httpx
    would apply on the client side), and includes ``root_path`` as Starlette and hypercorn's
    dispatcher pass it. ``chunks`` are sent as separate ``http.request`` messages; with
    ``disconnect_after_body`` an ``http.disconnect`` replaces the final chunk's end.
    """
    parts = list(chunks)
    messages: list[dict[str, Any]] = [
        {"type": "http.request", "body": chunk, "more_body": i < len(parts) - 1}
        for i, chunk in enumerate(parts)
    ]
    if disconnect_after_body:
        messages[-1]["more_body"] = True
        messages.append({"type": "http.disconnect"})
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": unquote_to_bytes(raw_path).decode("utf-8", "replace"),
        "raw_path": raw_path.encode("latin-1"),
        "root_path": root_path,
        "query_string": query.encode("latin-1"),
        "headers": [(b"host", b"testserver")]
        + [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop(0)
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    start = sent[0]
    assert start["type"] == "http.response.start"
    header_list = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in start["headers"]]
    body = b"".join(m.get("body", b"") for m in sent[1:])
    return RawResponse(start["status"], header_list, body)


TaskState = tuple[str, Any, Any]


def scheduler_state(scheduler: AsyncIOScheduler) -> tuple[Any, list[TaskState]]:
    """Everything an action could change: the scheduler state, and every task's id,
    next run time (None when paused) and trigger."""
    tasks = sorted(
        (task.id, task.next_run_time, repr(task.trigger)) for task in scheduler.get_tasks()
    )
    return scheduler.state, tasks


@pytest.fixture
async def token(client: httpx.AsyncClient) -> str:
    """A valid CSRF token for ``client``'s session (a page is opened first, as a browser does)."""
    page = await client.get(f"{ROOT}/tasks")
    assert page.status_code == 200
    return csrf_from(page.text)


AdminFactory = Callable[..., AsynczAdmin]


@pytest.fixture
def make_admin(scheduler: AsyncIOScheduler) -> Iterator[AdminFactory]:
    """Build admins over the running scheduler with custom settings; all closed afterwards."""
    made: list[AsynczAdmin] = []

    def factory(**settings: Any) -> AsynczAdmin:
        options = {k: settings.pop(k) for k in list(settings) if k in ("on_startup", "root_path")}
        admin = AsynczAdmin(
            scheduler, config=DashboardConfig(secret_key=SECRET, **settings), **options
        )
        made.append(admin)
        return admin

    yield factory
    for admin in made:
        admin.close()


def client_for(app: Any, root_path: str = ROOT, **options: Any) -> httpx.AsyncClient:
    """An httpx client over ``app`` mounted at ``root_path`` (the caller closes it)."""
    transport = httpx.ASGITransport(app=app, root_path=root_path, **options)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


@pytest.fixture
async def other_client(admin: AsynczAdmin) -> AsyncIterator[httpx.AsyncClient]:
    """A second browser on the same dashboard, with a session of its own."""
    async with client_for(admin.get_asgi_app()) as c:
        yield c
