"""A real nginx in front of the dashboard: the README's own location blocks, run for real.

``readme_location(start)`` reads a ```` ```nginx ```` block from README.md, so the tests run
exactly what the README tells operators to write. scripts/test installs nginx; without it
these tests fail (they never skip).
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypercorn.asyncio import serve
from hypercorn.config import Config

README = Path(__file__).resolve().parents[2] / "README.md"
README_UPSTREAM = "http://127.0.0.1:8000"


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def readme_location(start: str) -> str:
    """The README's ```nginx block that begins with ``start`` (e.g. ``location /ops/``)."""
    blocks = re.findall(r"```nginx\n(.*?)```", README.read_text(), re.S)
    found = [b for b in blocks if b.lstrip().startswith(start)]
    assert len(found) == 1, f"README.md needs exactly one nginx block starting {start!r}"
    assert README_UPSTREAM in found[0], f"the README's block should proxy to {README_UPSTREAM}"
    return found[0]


def nginx_binary() -> str:
    """The nginx executable; a clear failure when it is missing."""
    binary = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else ""
    )
    if not binary:
        pytest.fail("nginx is not installed: run scripts/test, or apt-get install -y nginx")
    return binary


def _config(directory: Path, port: int, location: str) -> str:
    temp = " ".join(
        f"{kind}_temp_path {directory / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    # As root, workers would run as "nobody" and could not reach tmp_path's temp folders.
    user = "user root;" if os.geteuid() == 0 else ""
    return f"""
{user}
worker_processes 1;
pid {directory / "nginx.pid"};
events {{ worker_connections 64; }}
http {{
    access_log off;
    {temp}
    server {{
        listen 127.0.0.1:{port};
{location}
    }}
}}
"""


@contextmanager
def nginx(directory: Path, location: str) -> Iterator[str]:
    """Run nginx (``daemon off``, its own prefix in ``directory``) with one ``location``
    block; yields its base URL and stops it afterwards."""
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    conf = directory / "nginx.conf"
    conf.write_text(_config(directory, port, location))
    error_log = directory / "error.log"
    command = [nginx_binary(), "-p", str(directory), "-c", str(conf), "-e", str(error_log)]
    output = directory / "output.log"
    with output.open("wb") as sink:
        process = subprocess.Popen(
            [*command, "-g", "daemon off;"], stdout=sink, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 10
        while True:
            if process.poll() is not None:
                pytest.fail(f"nginx exited: {_read(output)}\n{_read(error_log)}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert time.monotonic() < deadline, f"nginx never listened\n{_read(error_log)}"
                time.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def _read(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


@asynccontextmanager
async def hypercorn(app: Any) -> AsyncIterator[str]:
    """Serve ``app`` with hypercorn on a free 127.0.0.1 port in this event loop; yields the
    ``127.0.0.1:port`` address."""
    port = free_port()
    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.accesslog = None
    config.graceful_timeout = 1
    stop = asyncio.Event()
    server = asyncio.create_task(serve(app, config, shutdown_trigger=stop.wait))
    try:
        for _ in range(250):
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.close()
                await writer.wait_closed()
                break
            except OSError:
                await asyncio.sleep(0.02)
        else:
            raise AssertionError("hypercorn did not start")
        yield f"127.0.0.1:{port}"
    finally:
        stop.set()
        await asyncio.wait_for(server, timeout=5)
