"""Lifespan (ASGI lifespan spec 2.0): startup/shutdown are acknowledged; a failed startup says
why, and the standalone server exits promptly with a non-zero code (F28)."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from asyncz_dashboard.asgi.application import Application
from asyncz_dashboard.asgi.responses import Response
from asyncz_dashboard.asgi.routing import Router
from asyncz_dashboard.asgi.sessions import CookieSettings, SessionCodec

from .conftest import AdminFactory

CLI = Path(sys.executable).parent / "asyncz-dashboard"


async def drive(app: Any, *events: str, timeout: float = 5.0) -> list[dict[str, Any]]:
    """Send lifespan ``events`` one by one, waiting for each answer; return what was sent."""
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": {}}
    running = asyncio.ensure_future(app(scope, inbox.get, outbox.put))
    answers: list[dict[str, Any]] = []
    for event in events:
        await inbox.put({"type": event})
        answer = await asyncio.wait_for(outbox.get(), timeout)
        answers.append(answer)
        if answer["type"].endswith(".failed"):
            break
    await asyncio.wait_for(running, timeout)  # the app returns after shutdown or a failure
    return answers


async def test_startup_and_shutdown_are_acknowledged_and_run_the_hooks(
    make_admin: AdminFactory,
) -> None:
    calls: list[str] = []

    async def opened() -> None:
        calls.append("startup-async")

    admin = make_admin(on_startup=(lambda: calls.append("startup-sync"), opened))
    app = admin.get_asgi_app()
    answers = await drive(app, "lifespan.startup", "lifespan.shutdown")
    assert [a["type"] for a in answers] == [
        "lifespan.startup.complete",
        "lifespan.shutdown.complete",
    ]
    assert calls == ["startup-sync", "startup-async"]


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (RuntimeError("job store unreachable"), "RuntimeError: job store unreachable"),
        (RuntimeError(), "RuntimeError"),
        (ValueError(""), "ValueError"),
    ],
)
async def test_failed_startup_sends_startup_failed_with_a_message(
    make_admin: AdminFactory, caplog: pytest.LogCaptureFixture, error: Exception, expected: str
) -> None:
    def failing() -> None:
        raise error

    admin = make_admin(on_startup=(failing,))
    answers = await drive(admin.get_asgi_app(), "lifespan.startup")
    assert answers == [{"type": "lifespan.startup.failed", "message": expected}]
    assert "Dashboard startup failed" in caplog.text


async def test_an_async_failing_hook_is_reported_too(make_admin: AdminFactory) -> None:
    async def failing() -> None:
        await asyncio.sleep(0)
        raise ConnectionError("redis://jobs:6379 refused the connection")

    admin = make_admin(on_startup=(failing,))
    (answer,) = await drive(admin.get_asgi_app(), "lifespan.startup")
    assert answer["type"] == "lifespan.startup.failed"
    assert "redis://jobs:6379 refused the connection" in answer["message"]


async def test_a_failing_shutdown_hook_sends_shutdown_failed_with_a_message() -> None:
    def failing() -> None:
        raise RuntimeError("could not flush the log store")

    app = Application(
        Router([]),
        sessions=SessionCodec("k", CookieSettings()),
        render_error=lambda request, exc: Response(exc.detail, status=exc.status),
        body_limit=1024,
        on_shutdown=(failing,),
    )
    answers = await drive(app, "lifespan.startup", "lifespan.shutdown")
    assert answers[0] == {"type": "lifespan.startup.complete"}
    assert answers[1]["type"] == "lifespan.shutdown.failed"
    assert "could not flush the log store" in answers[1]["message"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_serve_exits_non_zero_with_the_reason_when_the_scheduler_cannot_start(
    tmp_path: Path,
) -> None:
    (tmp_path / "brokenjobs.py").write_text(
        textwrap.dedent(
            """
            from asyncz.schedulers.asyncio import AsyncIOScheduler


            class BrokenScheduler(AsyncIOScheduler):
                def start(self, *args, **kwargs):
                    raise RuntimeError("job store unreachable: connection refused")


            scheduler = BrokenScheduler()
            """
        )
    )
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(tmp_path), env.get("PYTHONPATH")]))
    env["ASYNCZ_DASHBOARD_SECRET_KEY"] = "test-secret"
    started = time.monotonic()
    result = subprocess.run(
        [str(CLI), "serve", "brokenjobs:scheduler", "--port", str(free_port())],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    elapsed = time.monotonic() - started
    assert result.returncode != 0
    assert elapsed < 15
    assert "job store unreachable: connection refused" in result.stderr
    assert "asyncz-dashboard: error:" in result.stderr


def test_serve_exits_with_a_usage_error_for_an_unknown_module(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(CLI), "serve", "no_such_module_here:scheduler", "--port", str(free_port())],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "no_such_module_here" in result.stderr
