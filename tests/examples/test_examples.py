"""Each example runs as documented: the host starts its scheduler, serves its own route and
the dashboard at ``/dashboard`` with every link under that prefix."""

from __future__ import annotations

import importlib
import re

import httpx
import pytest
from asgi_lifespan import LifespanManager

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
