"""``asyncz-dashboard serve | demo`` as an operator runs it: a real process, a real port,
usage errors on one line with exit code 2, and a clean exit on Ctrl-C."""

from __future__ import annotations

import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

CLI = str(Path(sys.executable).with_name("asyncz-dashboard"))
NO_KEY_WARNING = "No secret_key configured"

JOBS_MODULE = """
import asyncio
import logging

from asyncz.schedulers.asyncio import AsyncIOScheduler


async def ping():
    pass


async def slow():
    logging.getLogger("cli_test_jobs").warning("The slow task started")
    await asyncio.sleep(60)


def make_scheduler():
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_task(ping, "interval", minutes=7, id="ping", name="Ping the upstream")
    scheduler.add_task(slow, "interval", hours=7, id="slow", name="Slow task")
    return scheduler


scheduler = make_scheduler()
"""


PORTS = range(9400, 9500)  # this suite's own ports on 127.0.0.1


def free_port() -> int:
    """A port of ``PORTS`` that nothing listens on now (a random start, so runs spread out)."""
    start = random.randrange(len(PORTS))
    for offset in range(len(PORTS)):
        port = PORTS[(start + offset) % len(PORTS)]
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {PORTS}")


def env_without_key(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "ASYNCZ_DASHBOARD_SECRET_KEY"}
    env.update(extra)
    return env


@dataclass
class Server:
    base: str
    process: subprocess.Popen[bytes]
    stderr_file: Path
    stdout_file: Path

    @property
    def stderr(self) -> str:
        return self.stderr_file.read_text(errors="replace")

    @property
    def stdout(self) -> str:
        return self.stdout_file.read_text(errors="replace")


@contextmanager
def running(
    args: list[str],
    cwd: Path,
    prefix: str = "/dashboard",
    env: dict[str, str] | None = None,
    interrupt: bool = True,
) -> Iterator[Server]:
    """Start the CLI on a free port, wait for its health check, and stop it with SIGINT
    (checking it exits cleanly; ``interrupt=False``: the test ends it itself)."""
    port = free_port()
    out, err = cwd / f"out-{port}.log", cwd / f"err-{port}.log"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(
            [CLI, *args, "--port", str(port)],
            cwd=cwd,
            stdout=stdout,
            stderr=stderr,
            env=env if env is not None else env_without_key(),
        )
    server = Server(f"http://127.0.0.1:{port}", process, err, out)
    try:
        wait_healthy(server, prefix)
        yield server
        if interrupt:
            stop(server)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def stop(server: Server) -> None:
    """Ctrl-C: the process ends with code 0 and prints no traceback."""
    server.process.send_signal(signal.SIGINT)
    assert server.process.wait(timeout=10) == 0, server.stderr
    for text in (server.stdout, server.stderr):
        assert "Traceback" not in text, text
        assert "CancelledError" not in text, text


def act(
    server: Server, task_id: str, action: str, prefix: str = "/dashboard", **headers: str
) -> int:
    """POST ``action`` (run, pause, ...) for ``task_id`` as a browser would; the status."""
    page = httpx.get(f"{server.base}{prefix}/tasks/{task_id}")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, page.text
    answer = httpx.post(
        f"{server.base}{prefix}/tasks/{task_id}/{action}",
        data={"csrf_token": token.group(1)},
        cookies=dict(page.cookies),
        headers=headers,
        follow_redirects=False,
    )
    return answer.status_code


def wait_healthy(server: Server, prefix: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert server.process.poll() is None, f"the server exited early:\n{server.stderr}"
        try:
            if httpx.get(f"{server.base}{prefix}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"{prefix}/health never answered 200:\n{server.stderr}")


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("nosuch.module:x", "cannot import module 'nosuch.module'"),
        ("json:nothing", "module 'json' has no attribute 'nothing'"),
        ("badformat", "expected 'module:attribute', got 'badformat'"),
        ("json:dumps", "the factory 'json:dumps' failed"),
        ("json:decoder", "'json:decoder' is not an Asyncz scheduler"),
    ],
)
def test_serve_refuses_a_bad_target_with_one_line_and_code_2(
    target: str, reason: str, tmp_path: Path
) -> None:
    done = subprocess.run(
        [CLI, "serve", target], cwd=tmp_path, capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("asyncz-dashboard: error: " + reason), lines[0]
    assert done.stdout == ""


def test_serve_without_target_is_a_usage_error(tmp_path: Path) -> None:
    done = subprocess.run([CLI, "serve"], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 2
    assert "the following arguments are required: MODULE:ATTRIBUTE" in done.stderr


@pytest.mark.parametrize("attribute", ["make_scheduler", "scheduler"])
def test_serve_a_factory_or_a_scheduler(attribute: str, jobs_dir: Path) -> None:
    with running(["serve", f"cli_test_jobs:{attribute}"], jobs_dir) as server:
        tasks = httpx.get(f"{server.base}/dashboard/tasks")
        assert tasks.status_code == 200
        assert "Ping the upstream" in tasks.text
        assert "every 7 minutes" in tasks.text
        root = httpx.get(f"{server.base}/", follow_redirects=False)
        assert root.status_code in (302, 303, 307, 308)
        assert root.headers["location"] == "/dashboard/"
        assert httpx.get(f"{server.base}/elsewhere").status_code == 404
    assert NO_KEY_WARNING in server.stderr


def test_demo_serves_under_a_custom_prefix(tmp_path: Path) -> None:
    with running(["demo", "--prefix", "/ops"], tmp_path, prefix="/ops") as server:
        overview = httpx.get(f"{server.base}/ops/")
        assert overview.status_code == 200
        assert 'href="/ops/tasks"' in overview.text
        tasks = httpx.get(f"{server.base}/ops/tasks", params={"per_page": 100})
        assert tasks.status_code == 200
        rows = re.findall(r'name="task_id" value="', tasks.text)
        assert 25 <= len(rows) <= 40
        assert "Charge pending cards" in tasks.text
        assert "sk_live_demo_123" not in httpx.get(f"{server.base}/ops/tasks/billing.charge").text
        assert httpx.get(f"{server.base}/dashboard/").status_code == 404
        root = httpx.get(f"{server.base}/", follow_redirects=False)
        assert root.headers["location"] == "/ops/"


def test_secret_key_from_the_option(jobs_dir: Path) -> None:
    args = ["serve", "cli_test_jobs:scheduler", "--secret-key", "from-the-command-line"]
    with running(args, jobs_dir) as server:
        assert httpx.get(f"{server.base}/dashboard/").status_code == 200
    assert NO_KEY_WARNING not in server.stderr


def test_secret_key_from_the_environment(jobs_dir: Path) -> None:
    env = env_without_key(ASYNCZ_DASHBOARD_SECRET_KEY="from-the-environment")
    with running(["serve", "cli_test_jobs:scheduler"], jobs_dir, env=env) as server:
        assert httpx.get(f"{server.base}/dashboard/").status_code == 200
    assert NO_KEY_WARNING not in server.stderr


def test_sessions_survive_a_restart_with_the_same_key(jobs_dir: Path) -> None:
    """The key really signs the cookie: a second process with the same key accepts it."""
    args = ["serve", "cli_test_jobs:scheduler", "--secret-key", "same-key-both-times"]
    with running(args, jobs_dir) as first:
        page = httpx.get(f"{first.base}/dashboard/tasks")
        cookies = dict(page.cookies)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token and cookies
    with running(args, jobs_dir) as second:
        pause = httpx.post(
            f"{second.base}/dashboard/tasks/ping/pause",
            data={"csrf_token": token.group(1)},
            cookies=cookies,
            follow_redirects=False,
        )
        assert pause.status_code == 303


def test_a_coroutine_function_target_is_a_one_line_usage_error(tmp_path: Path) -> None:
    (tmp_path / "corojobs.py").write_text("async def evil():\n    return None\n")
    result = subprocess.run(
        [CLI, "serve", "corojobs:evil"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "coroutine function" in lines[0]


def test_storage_option_keeps_history_across_a_restart(jobs_dir: Path) -> None:
    """``--storage sqlite:///...``: a run made in one process is on /runs in the next."""
    database = jobs_dir / "history.db"
    args = ["serve", "cli_test_jobs:scheduler", "--storage", f"sqlite:///{database}"]
    with running(args, jobs_dir) as first:
        assert act(first, "ping", "run") == 303
        deadline = time.monotonic() + 10
        while "succeeded" not in httpx.get(f"{first.base}/dashboard/runs").text:
            assert time.monotonic() < deadline, "the manual run never showed up"
            time.sleep(0.1)
    assert database.exists()
    with running(args, jobs_dir) as second:
        runs = httpx.get(f"{second.base}/dashboard/runs?source=manual")
        assert runs.status_code == 200
        assert "Ping the upstream" in runs.text
        assert "succeeded" in runs.text


def usage_error(jobs_dir: Path, *options: str) -> str:
    """The one error line of ``serve cli_test_jobs:scheduler *options``, which must exit 2."""
    result = subprocess.run(
        [CLI, "serve", "cli_test_jobs:scheduler", *options],
        cwd=jobs_dir,
        capture_output=True,
        text=True,
        timeout=30,
        env=env_without_key(),
    )
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if "error" in line.lower()]
    assert len(errors) == 1, result.stderr
    return errors[0]


def test_an_unknown_storage_url_is_a_one_line_usage_error(jobs_dir: Path) -> None:
    assert "mysql" in usage_error(jobs_dir, "--storage", "mysql://nobody@nowhere/x")


def test_only_loopback_and_named_hosts_are_answered(jobs_dir: Path) -> None:
    """DNS rebinding: a page on a name resolving to 127.0.0.1 gets 400 everywhere, including
    the CLI's own / redirect and 404s; --allowed-host names more hosts."""
    args = ["serve", "cli_test_jobs:scheduler", "--allowed-host", "ops.example.com"]
    with running(args, jobs_dir) as server:
        for path in ("/dashboard/tasks", "/", "/elsewhere"):
            refused = httpx.get(f"{server.base}{path}", headers={"host": "rebind.attacker.test"})
            assert (refused.status_code, refused.text) == (400, "Invalid Host header")
            assert refused.headers["x-frame-options"] == "DENY"
        for host in ("localhost:1234", "127.0.0.1", "[::1]:8000", "OPS.example.com"):
            tasks = httpx.get(f"{server.base}/dashboard/tasks", headers={"host": host})
            assert tasks.status_code == 200 and "Ping the upstream" in tasks.text


def test_listening_everywhere_still_answers_only_named_hosts_and_says_so(
    jobs_dir: Path,
) -> None:
    with running(["serve", "cli_test_jobs:scheduler", "--host", "0.0.0.0"], jobs_dir) as server:
        other = httpx.get(f"{server.base}/dashboard/", headers={"host": "192.0.2.1:8000"})
        assert other.status_code == 400
        assert httpx.get(f"{server.base}/dashboard/").status_code == 200
    assert "only requests for localhost, 127.0.0.1, [::1] are answered" in server.stderr
    assert "--allowed-host NAME" in server.stderr


def test_a_malformed_allowed_host_is_a_one_line_usage_error(jobs_dir: Path) -> None:
    error = usage_error(jobs_dir, "--allowed-host", "https://ops.example.com")
    assert "'https://ops.example.com'" in error
