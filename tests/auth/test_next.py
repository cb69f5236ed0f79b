"""F32: ``next`` is honoured only as a path inside the dashboard, on the login page's
``?next=`` and on the form POST alike; every other value goes to the overview."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from .conftest import AdminFactory
from .support import PREFIX, client_for, hidden_next, login_token, sign_in, starlette_host

HOME = f"{PREFIX}/"

OFF_SITE = [
    "https://evil.test/",
    "http://evil.test",
    "https://evil.test/ops/dashboard/tasks",
    "//evil.test",
    "//evil.test/ops/dashboard/tasks",
    "///evil.test",
    "////evil.test",
    "/\\evil.test",
    "\\\\evil.test",
    "\\/evil.test",
    "/\\/evil.test",
    "%2F%2Fevil.test",
    "/%2F%2Fevil.test",
    "%2f%2fevil.test",
    "%252F%252Fevil.test",
    "/%5Cevil.test",
    "%5C%5Cevil.test",
    "/%5C/evil.test",
    "\t//evil.test",
    "/\t/evil.test",
    "/\n/evil.test",
    "/\r\n/evil.test",
    "%09//evil.test",
    "/%09/evil.test",
    "/%0a/evil.test",
    "/%0d%0aSet-Cookie:x=1",
    " //evil.test",
    " /ops/dashboard/tasks",
    "/ops/dashboard/tasks ",
    "/ops/dashboard/tasks\n",
    "/ops/dashboard/ta sks",
    "/ops/dashboard/\x00tasks",
    "https:evil.test",
    "https:/evil.test",
    "http:\\\\evil.test",
    "javascript:alert(1)",
    "JavaScript:alert(document.domain)",
    "javascript%3Aalert(1)",
    "data:text/html,<script>alert(1)</script>",
    "http://testserver@evil.test/ops/dashboard/tasks",
    "http://evil.test\\@testserver/ops/dashboard/tasks",
    "https://testserver.evil.test/ops/dashboard/tasks",
    "http://evil.test#@testserver/ops/dashboard/",
    # Paths of the host app, outside the dashboard prefix.
    "/",
    "/other",
    "/ops",
    "/ops/",
    "/ops/dashboardx/tasks",
    "/ops/dashboard-evil",
    "/ops/dashboard/..",
    "/ops/dashboard/../other",
    "/ops/dashboard/../../evil.test",
    "/ops/dashboard/tasks/../../other",
    "/ops/dashboard/%2e%2e/other",
    "/ops/dashboard/%2E%2E%2Fother",
    "/ops/dashboard/..%2fother",
    "/ops/dashboard/%252e%252e/other",
    "/ops/dashboard/..\\other",
    "/ops/dashboard/./../other",
    "tasks",
    "ops/dashboard/tasks",
    "./tasks",
    "../ops/dashboard/tasks",
    "?next=//evil.test",
    "",
    "/ops/dashboard/" + "a" * 3000,
]

HONOURED = [
    ("/ops/dashboard/tasks?page=2", "/ops/dashboard/tasks?page=2"),
    ("/ops/dashboard/tasks", "/ops/dashboard/tasks"),
    ("/ops/dashboard/", "/ops/dashboard/"),
    ("/ops/dashboard", "/ops/dashboard"),
    ("/ops/dashboard/tasks/t1", "/ops/dashboard/tasks/t1"),
    ("/ops/dashboard/tasks/a%2Fb", "/ops/dashboard/tasks/a%2Fb"),
    ("/ops/dashboard/tasks?state=paused&q=report", "/ops/dashboard/tasks?state=paused&q=report"),
    # Our own origin, written as an absolute URL: reduced to its path.
    ("http://testserver/ops/dashboard/tasks", "/ops/dashboard/tasks"),
]


def _safe(location: str) -> None:
    """Whatever the input, a Location we send stays a path inside the dashboard."""
    parts = urlsplit(location)
    assert not parts.scheme and not parts.netloc, location
    assert location.startswith(PREFIX + "/") or location == PREFIX, location
    assert not location.startswith("//") and "\\" not in location, location
    assert not any(ord(ch) < 33 for ch in location), location


@pytest.mark.parametrize("target", OFF_SITE)
async def test_foreign_next_goes_to_the_overview(make: AdminFactory, target: str) -> None:
    app = starlette_host(make())
    async with client_for(app) as client:
        # The login page only ever carries a safe next in its form...
        page = await client.get(f"{PREFIX}/login", params={"next": target})
        assert page.status_code == 200
        assert hidden_next(page.text) == HOME
        # ...and a crafted POST with the raw value is judged again.
        response = await sign_in(client, next=target)
        assert response.status_code == 303
        assert response.headers["location"] == HOME
        # Signed in, the login page redirects at once: to the overview, never off-site.
        again = await client.get(f"{PREFIX}/login", params={"next": target})
        assert again.status_code == 303
        assert again.headers["location"] == HOME


@pytest.mark.parametrize("https", [False, True], ids=["http", "https"])
async def test_same_host_other_scheme_stays_on_this_host(make: AdminFactory, https: bool) -> None:
    app = starlette_host(make())
    async with client_for(app) as client:
        scheme = "https" if https else "http"
        response = await sign_in(client, next=f"{scheme}://testserver/ops/dashboard/tasks")
        assert response.status_code == 303
        _safe(response.headers["location"])
        assert response.headers["location"] in ("/ops/dashboard/tasks", HOME)


@pytest.mark.parametrize(("target", "expected"), HONOURED)
async def test_dashboard_paths_are_honoured(make: AdminFactory, target: str, expected: str) -> None:
    app = starlette_host(make())
    async with client_for(app) as client:
        page = await client.get(f"{PREFIX}/login", params={"next": target})
        assert hidden_next(page.text) == expected
        response = await sign_in(client, next=hidden_next(page.text))
        assert response.status_code == 303
        assert response.headers["location"] == expected
    async with client_for(app) as client:
        raw = await sign_in(client, next=target)  # a crafted POST with the raw value
        assert raw.headers["location"] == expected


@pytest.mark.parametrize("target", [t for t in OFF_SITE] + [h for h, _ in HONOURED])
async def test_every_location_is_a_dashboard_path(make: AdminFactory, target: str) -> None:
    app = starlette_host(make())
    async with client_for(app) as client:
        token = await login_token(client)
        response = await sign_in(client, next=target, token=token)
        _safe(response.headers["location"])


async def test_next_at_the_root_mount_refuses_scheme_relative_paths(
    make: AdminFactory,
) -> None:
    """Mounted at the host's root there is no prefix to check: ``//`` tricks still fail."""
    app = make().get_asgi_app()
    for target in ("//evil.test", "/\\evil.test", "/%2F/evil.test", "/..//evil.test", "/%5C/x"):
        async with client_for(app) as client:
            response = await sign_in(client, prefix="", next=target)
            assert response.status_code == 303
            location = response.headers["location"]
            assert not urlsplit(location).netloc and not location.startswith("//"), target
            assert "\\" not in location
    async with client_for(app) as client:
        ok = await sign_in(client, prefix="", next="/tasks?page=2")
        assert ok.headers["location"] == "/tasks?page=2"
