"""The wheel carries everything the dashboard needs at run time: templates, static assets
(htmx vendored, nothing from a CDN), the type marker and the console script."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

REQUIRED = [
    "asyncz_dashboard/__init__.py",
    "asyncz_dashboard/py.typed",
    "asyncz_dashboard/templates/base.html",
    "asyncz_dashboard/templates/tasks/_table.html",
    "asyncz_dashboard/static/css/dashboard.css",
    "asyncz_dashboard/static/js/dashboard.js",
    "asyncz_dashboard/static/js/controls.js",
    "asyncz_dashboard/static/favicon.svg",
]

# Imports the package from the unpacked wheel only, and serves a page and an asset from it.
SMOKE = """
import asyncio, sys
sys.path.insert(0, sys.argv[1])
import httpx
from asyncz.schedulers.asyncio import AsyncIOScheduler
import asyncz_dashboard
from asyncz_dashboard import AsynczAdmin, DashboardConfig

assert asyncz_dashboard.__file__.startswith(sys.argv[1]), asyncz_dashboard.__file__

async def main():
    scheduler = AsyncIOScheduler()
    scheduler.add_task(print, "interval", minutes=1, id="t", name="Wheel task")
    admin = AsynczAdmin(scheduler, config=DashboardConfig(secret_key="k"))
    transport = httpx.ASGITransport(app=admin.get_asgi_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://x") as client:
        page = await client.get("/tasks")
        css = await client.get("/static/css/dashboard.css")
    admin.close()
    assert page.status_code == 200 and "Wheel task" in page.text, page.status_code
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    print("ok")

asyncio.run(main())
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from this checkout (``--no-isolation``: works offline with the dev
    extra, which includes hatchling)."""
    outdir = tmp_path_factory.mktemp("dist")
    command = [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(outdir)]
    done = subprocess.run([*command, str(ROOT)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    (path,) = outdir.glob("asyncz_dashboard-*.whl")
    return path


def test_wheel_holds_templates_static_assets_and_type_marker(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [name for name in REQUIRED if name not in names]
    assert not missing
    htmx = [n for n in names if n.startswith("asyncz_dashboard/static/vendor/htmx-")]
    assert any(n.endswith(".min.js") for n in htmx), htmx
    assert not [n for n in names if n.startswith(("tests/", "examples/", "benchmarks/"))]


def test_wheel_declares_the_console_script(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        (entry_points,) = [
            n for n in archive.namelist() if n.endswith(".dist-info/entry_points.txt")
        ]
        text = archive.read(entry_points).decode()
    assert "[console_scripts]" in text
    assert "asyncz-dashboard = asyncz_dashboard.cli:main" in text


def test_unpacked_wheel_serves_pages_and_assets(wheel: Path, tmp_path: Path) -> None:
    zipfile.ZipFile(wheel).extractall(tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(SMOKE), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
