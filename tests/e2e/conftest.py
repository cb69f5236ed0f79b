"""Fixtures for the browser tests: a live dashboard server and a headless Chromium page.

Chromium is Debian's (``/usr/bin/chromium``); the tests are skipped when it or Playwright is
missing. A server process serves every test; it puts its known tasks back before each one, so
tests that pause or remove tasks never affect one another.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote

import pytest

sync_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = os.environ.get("ASYNCZ_E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parents[2]
VIEWPORT = {"width": 1400, "height": 900}

# Collects Content-Security-Policy violations in the page (the driver injects this script;
# the page's own CSP does not apply to it).
CSP_PROBE = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + e.blockedURI);
});
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    """A running dashboard: ``url("/tasks")`` is the full URL of a dashboard path."""

    base: str
    process: subprocess.Popen[bytes]
    log: Any  # the server's stderr, a temporary file

    def url(self, path: str = "/") -> str:
        return self.base + "/dashboard" + path


def _start(refresh_seconds: int) -> Server:
    return launch("tests.e2e.server", str(refresh_seconds))


def launch(module: str, *args: str) -> Server:
    """Start ``python -m module PORT *args`` and wait until its dashboard answers /health.
    Stop it with ``stop(server)``."""
    port = _free_port()
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(
        [sys.executable, "-m", module, str(port), *args],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    server = Server(f"http://127.0.0.1:{port}", process, log)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(server.url("/health"), timeout=1) as answer:  # noqa: S310
                if answer.status == 200:
                    return server
        except OSError:
            time.sleep(0.05)
    log.seek(0)
    tail = log.read()[-2000:].decode(errors="replace")
    stop(server)
    raise RuntimeError(f"the e2e server did not start (exit {process.returncode}):\n{tail}")


def stop(server: Server) -> None:
    """Stop a server that ``launch`` started."""
    server.process.terminate()
    try:
        server.process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()
    server.log.close()


def _reset(server: Server) -> Server:
    # S310: the URL is our own http://127.0.0.1 server.
    request = urllib.request.Request(server.base + "/__e2e__/reset", method="POST")  # noqa: S310
    with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310
        assert answer.status == 204
    return server


@pytest.fixture(scope="package")
def _servers() -> Iterator[dict[int, Server]]:
    """The running servers by refresh interval, started on first use, stopped at the end."""
    servers: dict[int, Server] = {}
    yield servers
    for server in servers.values():
        stop(server)


@pytest.fixture
def start_server(_servers: dict[int, Server]) -> Callable[..., Server]:
    """A dashboard server with the known tasks freshly put back:
    ``start_server(refresh_seconds=1)``. One process per refresh interval serves every test."""

    def start(refresh_seconds: int = 60) -> Server:
        if refresh_seconds not in _servers:
            _servers[refresh_seconds] = _start(refresh_seconds)
        return _reset(_servers[refresh_seconds])

    return start


@pytest.fixture
def server(start_server: Callable[..., Server]) -> Server:
    """A dashboard whose table refreshes only every 60 s (out of the tests' way)."""
    return start_server()


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    """One headless Chromium for the e2e package (closed when it ends, so the sync API's
    loop does not outlive it and disturb the async tests that follow)."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"no Chromium at {CHROMIUM}: install Debian's chromium (scripts/test does)")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class Watch:
    """What the page reported: console errors, page errors, dialogs and requests."""

    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    requests: list[tuple[str, str, str]] = field(default_factory=list)  # method, url, HX-Trigger
    dialog_answer: bool = True

    def posts(self, fragment: str) -> list[str]:
        """URLs of the POST requests whose URL contains ``fragment``."""
        return [url for method, url, _ in self.requests if method == "POST" and fragment in url]

    def refreshes(self) -> list[str]:
        """URLs of the periodic table refreshes (htmx names the table as their trigger)."""
        return [url for _, url, trigger in self.requests if trigger == "tasks-table"]


ROW_VERBS = ("run", "pause", "resume", "remove")


def acted_url(request: Any) -> str:
    """The request's URL; for a POST of the task list's one form (``/tasks/act``, whose body
    names the verb and the task: ``pause=<id>``) the URL of the per-task route it acts as, with
    ``#act`` after it (``…/tasks/sync-03/pause#act``), so a test reads which task it acted on."""
    url: str = request.url
    if request.method != "POST" or not url.split("?")[0].endswith("/tasks/act"):
        return url
    fields = parse_qsl(request.post_data or "", keep_blank_values=True)
    acts = [(name, value) for name, value in fields if name in ROW_VERBS]
    if len(acts) != 1:
        return url
    verb, task_id = acts[0]
    base = url.split("?")[0][: -len("/act")]
    return f"{base}/{quote(task_id, safe='')}/{verb}#act"


@pytest.fixture
def page(browser: Any) -> Iterator[tuple[Any, Watch]]:
    """A fresh 1400x900 page and what it reports. Dialogs are accepted unless
    ``watch.dialog_answer`` is set to False."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(5000)
    context.add_init_script(CSP_PROBE)
    tab = context.new_page()
    watch = Watch()

    def on_dialog(dialog: Any) -> None:
        watch.dialogs.append(dialog.message)
        if watch.dialog_answer:
            dialog.accept()
        else:
            dialog.dismiss()

    tab.on("dialog", on_dialog)
    tab.on(
        "request",
        lambda request: watch.requests.append(
            (request.method, acted_url(request), request.headers.get("hx-trigger", ""))
        ),
    )
    tab.on(
        "console",
        lambda message: watch.errors.append(message.text) if message.type == "error" else None,
    )
    tab.on("pageerror", lambda exc: watch.errors.append(str(exc)))
    yield tab, watch
    context.close()
