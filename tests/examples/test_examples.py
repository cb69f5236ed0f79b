"""Each example runs as documented: the host starts its scheduler, serves its own route and
the dashboard at ``/dashboard`` with every link under that prefix; run as a script, it takes
its port and stops on Ctrl-C; it needs only the runtime install and the framework its
docstring and the README name."""

from __future__ import annotations

import ast
import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from ..cli.test_cli import Server, free_port, stop, wait_healthy

# (module, the host's own route, text that route answers with)
EXAMPLES = [
    ("starlette_app", "/", "Shop home"),
    ("fastapi_app", "/api/status", '"scheduler_running":true'),
    ("quart_app", "/", "Shop home"),
    ("lilya_app", "/", "Shop home"),
    ("standalone", "/", "Shop home"),
]

URL_ATTRIBUTE = re.compile(r'\b(?:href|src|action|hx-get|hx-post)="([^"]*)"')


def assert_prefixed(html: str) -> None:
    urls = URL_ATTRIBUTE.findall(html)
    assert urls, "no links on the page"
    for url in urls:
        assert url.startswith("#") or url.startswith("/dashboard/"), url
        assert not url.startswith("/dashboard/dashboard"), url


@pytest.mark.parametrize(("name", "host_route", "host_text"), EXAMPLES)
async def test_example_serves_host_route_and_dashboard(
    name: str, host_route: str, host_text: str
) -> None:
    module = importlib.import_module(f"examples.{name}")
    scheduler = module.scheduler
    assert not scheduler.running
    try:
        async with LifespanManager(module.app) as manager:
            assert scheduler.running, "the host's lifespan did not start the scheduler"
            transport = httpx.ASGITransport(app=manager.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
                host = await c.get(host_route)
                assert host.status_code == 200
                assert host_text in host.text

                health = await c.get("/dashboard/health")
                assert (health.status_code, health.json()) == (200, {"status": "running"})

                overview = await c.get("/dashboard/")
                assert overview.status_code == 200
                assert "Sync inventory" in overview.text
                assert_prefixed(overview.text)

                tasks = await c.get("/dashboard/tasks")
                assert tasks.status_code == 200
                assert tasks.headers["content-type"].startswith("text/html")
                assert "Weekly newsletter" in tasks.text
                assert "Sync inventory" in tasks.text
                assert_prefixed(tasks.text)

                detail = await c.get("/dashboard/tasks/inventory")
                assert detail.status_code == 200
                assert "***" in detail.text
                assert "k-123" not in detail.text
        assert not scheduler.running, "the host's lifespan did not stop the scheduler"
    finally:
        module.admin.close()


# -- each example as a reader runs it: its own process, on a port of their choosing ------------

ROOT = Path(__file__).resolve().parents[2]
# What each example needs besides the runtime install (pip install asyncz-dashboard).
NEEDS = {
    "starlette_app": "starlette",
    "fastapi_app": "fastapi",
    "quart_app": "quart",
    "lilya_app": "lilya",
    "standalone": None,
}
RUNTIME_MODULES = {
    "asyncz",
    "asyncz_dashboard",
    "jinja2",
    "multipart",
    "python_multipart",
    "itsdangerous",
    "hypercorn",
    "cron_descriptor",
}


def imported_packages(source: str) -> set[str]:
    """The top-level packages a module's source imports."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize(("name", "package"), NEEDS.items())
def test_example_needs_only_the_runtime_install_and_what_its_docs_name(
    name: str, package: str | None
) -> None:
    source = (ROOT / "examples" / f"{name}.py").read_text()
    extra = imported_packages(source) - RUNTIME_MODULES - set(sys.stdlib_module_names)
    assert extra == ({package} if package else set())
    need = f"``pip install {package}``" if package else "Needs nothing besides"
    assert need in source  # its docstring says so
    readme = (ROOT / "README.md").read_text()
    row = next(line for line in readme.splitlines() if f"`examples/{name}.py`" in line)
    assert (f"`pip install {package}`" if package else "nothing") in row, row


@pytest.mark.parametrize(("name", "host_route", "host_text"), EXAMPLES)
@pytest.mark.parametrize("port_from", ["argument", "environment"])
def test_example_runs_on_the_port_it_is_given_and_stops_on_ctrl_c(
    name: str, host_route: str, host_text: str, port_from: str, tmp_path: Path
) -> None:
    port = free_port()
    argv = [sys.executable, f"examples/{name}.py"]
    env = dict(os.environ)
    if port_from == "argument":
        argv.append(str(port))
    else:
        env["PORT"] = str(port)
    log = tmp_path / "output.log"
    with log.open("wb") as output:
        process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=output, stderr=output)
    server = Server(f"http://127.0.0.1:{port}", process, log, log)
    try:
        wait_healthy(server, "/dashboard")
        host = httpx.get(server.base + host_route)
        assert host.status_code == 200 and host_text in host.text
        tasks = httpx.get(f"{server.base}/dashboard/tasks")
        assert "Sync inventory" in tasks.text
        stop(server)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
