"""The dashboard behind a real nginx, configured exactly as the README says (issue 7, point 6):
pages load with the right prefix, a task id with ``/`` survives, a signed-in POST from the
dashboard's own page works, a cross-site Origin is 403, a wrong Host is 400, and rotating
``X-Forwarded-For`` does not escape the login throttle."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from asyncz.schedulers.asyncio import AsyncIOScheduler
from starlette.applications import Starlette
from starlette.routing import Mount

from asyncz_dashboard import AsynczAdmin, DashboardConfig
from asyncz_dashboard.admin import SimpleUsernamePasswordBackend

from ..auth.support import PASSWORD, verify
from ..conftest import SECRET, csrf_from, noop
from .nginx import README_UPSTREAM, hypercorn, nginx, readme_location

TASK_ID = "reports/daily"
PUBLIC_HOST = "ops.example.com"
# The test client connects from its own loopback address: it must not look like the proxy.
CLIENT_ADDRESS = "127.0.0.5"


@dataclass
class Site:
    """The public URL (nginx), the prefix the browser sees, and the client to use."""

    base: str
    prefix: str
    client: httpx.AsyncClient

    @property
    def origin(self) -> str:
        return f"http://{PUBLIC_HOST}:{self.base.rsplit(':', 1)[1]}"


def dashboard(scheduler: AsyncIOScheduler) -> AsynczAdmin:
    scheduler.add_task(noop, "interval", minutes=5, id=TASK_ID, name="Daily report")
    config = DashboardConfig(
        secret_key=SECRET,
        trusted_forwarded_hosts=("127.0.0.1",),
        allowed_hosts=(PUBLIC_HOST,),
    )
    return AsynczAdmin(
        scheduler, config=config, enable_login=True, backend=SimpleUsernamePasswordBackend(verify)
    )


@pytest.fixture(params=["keep-path", "strip-prefix"])
async def site(
    request: pytest.FixtureRequest, scheduler: AsyncIOScheduler, tmp_path: Path
) -> AsyncIterator[Site]:
    admin = dashboard(scheduler)
    if request.param == "keep-path":
        prefix, block = "/dashboard", readme_location("location /dashboard/")
        app = Starlette(routes=[Mount("/dashboard", app=admin.get_asgi_app())])
    else:
        prefix, block = "/ops", readme_location("location /ops/")
        app = admin.get_asgi_app()
    try:
        async with hypercorn(app) as upstream:
            with nginx(
                tmp_path / "nginx", block.replace(README_UPSTREAM, f"http://{upstream}")
            ) as base:
                transport = httpx.AsyncHTTPTransport(local_address=CLIENT_ADDRESS)
                headers = {"host": f"{PUBLIC_HOST}:{base.rsplit(':', 1)[1]}"}
                async with httpx.AsyncClient(
                    transport=transport, base_url=base, headers=headers, timeout=10
                ) as client:
                    yield Site(base, prefix, client)
    finally:
        admin.close()


async def sign_in(site: Site) -> None:
    page = await site.client.get(f"{site.prefix}/login")
    assert page.status_code == 200
    assert f'action="{site.prefix}/login"' in page.text
    signed = await site.client.post(
        f"{site.prefix}/login",
        data={"csrf_token": csrf_from(page.text), "username": "ada", "password": PASSWORD},
        headers={"origin": site.origin, "sec-fetch-site": "same-origin"},
    )
    assert signed.status_code == 303, signed.text
    assert signed.headers["location"] == f"{site.prefix}/"


async def test_pages_links_and_a_task_id_with_a_slash_through_nginx(site: Site) -> None:
    anonymous = await site.client.get(f"{site.prefix}/tasks")
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith(f"{site.prefix}/login?next=")
    await sign_in(site)
    tasks = await site.client.get(f"{site.prefix}/tasks")
    assert tasks.status_code == 200
    assert f'href="{site.prefix}/tasks/reports%2Fdaily"' in tasks.text
    css = re.search(r'<link rel="stylesheet" href="([^"]+)"', tasks.text)
    assert css and css.group(1).startswith(f"{site.prefix}/static/css/dashboard.css")
    assert (await site.client.get(css.group(1))).status_code == 200
    detail = await site.client.get(f"{site.prefix}/tasks/reports%2Fdaily")
    assert detail.status_code == 200, detail.text
    assert "Daily report" in detail.text and TASK_ID in detail.text
    assert f'action="{site.prefix}/tasks/reports%2Fdaily/pause"' in detail.text
    filtered = await site.client.get(f"{site.prefix}/tasks?q=daily")
    assert filtered.status_code == 200 and "Daily report" in filtered.text


async def test_own_origin_posts_act_and_cross_site_or_wrong_host_do_not(
    site: Site, scheduler: AsyncIOScheduler
) -> None:
    await sign_in(site)
    page = await site.client.get(f"{site.prefix}/tasks/reports%2Fdaily")
    token = csrf_from(page.text)
    pause = f"{site.prefix}/tasks/reports%2Fdaily/pause"
    cross = await site.client.post(
        pause,
        data={"csrf_token": token},
        headers={"origin": "https://evil.test", "sec-fetch-site": "cross-site"},
    )
    assert cross.status_code == 403
    assert scheduler.get_task(TASK_ID).next_run_time is not None
    wrong_host = await site.client.post(
        pause,
        data={"csrf_token": token},
        headers={"host": "rebind.evil.test", "origin": site.origin},
    )
    assert (wrong_host.status_code, wrong_host.text) == (400, "Invalid Host header")
    assert (
        await site.client.get(f"{site.prefix}/", headers={"host": "evil.test"})
    ).status_code == 400
    assert scheduler.get_task(TASK_ID).next_run_time is not None
    done = await site.client.post(
        pause,
        data={"csrf_token": token},
        headers={"origin": site.origin, "sec-fetch-site": "same-origin"},
    )
    assert done.status_code == 303, done.text
    assert done.headers["location"].startswith(f"{site.prefix}/tasks")
    assert scheduler.get_task(TASK_ID).next_run_time is None


async def test_rotating_forwarded_for_does_not_escape_the_throttle(site: Site) -> None:
    codes = []
    for n in range(6):
        page = await site.client.get(f"{site.prefix}/login")
        response = await site.client.post(
            f"{site.prefix}/login",
            data={"csrf_token": csrf_from(page.text), "username": f"user{n}", "password": "no"},
            headers={"origin": site.origin, "x-forwarded-for": f"203.0.113.{n}"},
        )
        codes.append(response.status_code)
    assert codes == [400, 400, 400, 400, 400, 429]
