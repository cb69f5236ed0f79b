"""What the login stories share: users, hosts at a non-root mount, clients and shortcuts."""

from __future__ import annotations

import hmac
import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from asyncz.schedulers.asyncio import AsyncIOScheduler
from itsdangerous import TimestampSigner
from starlette.applications import Starlette
from starlette.requests import Request as StarletteRequest
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route

from asyncz_dashboard import AsynczAdmin, DashboardConfig
from asyncz_dashboard.admin import SimpleUsernamePasswordBackend, User

from ..conftest import SECRET, csrf_from, noop

PREFIX = "/ops/dashboard"
HX = {"HX-Request": "true"}
PASSWORD = "correct horse battery staple"
TASK_NAME = "Nightly sync"
TASK_ARG = "secret-arg-xyz"
SESSION_SALT = "asyncz-dashboard.session"
COOKIE = "asyncz_dashboard_session"


def verify(username: str, password: str) -> User | None:
    """The README's shape: a constant-time comparison against the stored secret."""
    if username == "ada" and hmac.compare_digest(password.encode(), PASSWORD.encode()):
        return User(id="ada", name="Ada Lovelace", role="ops")
    if username == "bob" and hmac.compare_digest(password.encode(), PASSWORD.encode()):
        return User(id="bob", name="Bob Builder")
    return None


async def averify(username: str, password: str) -> User | None:
    """The same check as a coroutine function."""
    return verify(username, password)


def add_tasks(scheduler: AsyncIOScheduler) -> None:
    """One running and one paused task whose name and argument must never leak."""
    scheduler.add_task(noop, "interval", minutes=5, id="t1", name=TASK_NAME, args=[TASK_ARG])
    scheduler.add_task(noop, "interval", minutes=7, id="t2", name="Paused report")
    scheduler.pause_task("t2")


def make_admin(scheduler: AsyncIOScheduler, **options: Any) -> AsynczAdmin:
    """A dashboard with login on (``verify``) unless the options say otherwise."""
    options.setdefault("config", DashboardConfig(secret_key=SECRET))
    if "backend" not in options:
        options["backend"] = SimpleUsernamePasswordBackend(verify)
    options.setdefault("enable_login", True)
    return AsynczAdmin(scheduler, **options)


async def _host_page(request: StarletteRequest) -> PlainTextResponse:
    return PlainTextResponse(f"host page {request.url.path}")


def starlette_host(admin: AsynczAdmin, prefix: str = PREFIX) -> Starlette:
    """A host app with its own pages beside the dashboard mounted at ``prefix``."""
    return Starlette(
        routes=[
            Route("/", _host_page),
            Route("/other", _host_page),
            Mount(prefix, app=admin.get_asgi_app()),
        ]
    )


def client_for(
    app: Any, address: str = "127.0.0.1", base_url: str = "http://testserver"
) -> httpx.AsyncClient:
    """A client (no redirects followed) whose requests come from ``address``."""
    transport = httpx.ASGITransport(app=app, client=(address, 50_000))
    return httpx.AsyncClient(transport=transport, base_url=base_url)


async def login_token(client: httpx.AsyncClient, prefix: str = PREFIX) -> str:
    """Open the login page (this sets the pre-login cookie) and read its CSRF token."""
    page = await client.get(f"{prefix}/login")
    assert page.status_code == 200, page.text
    return csrf_from(page.text)


async def sign_in(
    client: httpx.AsyncClient,
    prefix: str = PREFIX,
    username: str = "ada",
    password: str = PASSWORD,
    next: str | None = None,
    token: str | None = None,
) -> httpx.Response:
    """Submit the login form as the browser does."""
    data = {
        "csrf_token": token or await login_token(client, prefix),
        "username": username,
        "password": password,
    }
    if next is not None:
        data["next"] = next
    return await client.post(f"{prefix}/login", data=data)


async def page_token(client: httpx.AsyncClient, page: str = f"{PREFIX}/tasks") -> str:
    """The CSRF token of a signed-in page."""
    response = await client.get(page)
    assert response.status_code == 200, (response.status_code, response.headers)
    return csrf_from(response.text)


def login_url(prefix: str, next_path: str) -> str:
    """The login URL the gate sends to, coming back to ``next_path``."""
    from urllib.parse import quote

    return f"{prefix}/login?next={quote(next_path, safe='')}"


def set_cookies(response: httpx.Response) -> list[str]:
    """Every ``Set-Cookie`` header of a response."""
    return response.headers.get_list("set-cookie")


def cookie_attributes(header: str) -> tuple[str, dict[str, str]]:
    """``("name=value", {"path": "/", "httponly": "", ...})`` from one ``Set-Cookie``."""
    first, *rest = [part.strip() for part in header.split(";")]
    attrs: dict[str, str] = {}
    for part in rest:
        key, _, value = part.partition("=")
        assert key.lower() not in attrs, f"attribute {key} repeated in {header!r}"
        attrs[key.lower()] = value
    return first, attrs


def session_of(cookie_value: str, secret: str = SECRET) -> dict[str, Any]:
    """Decode a session cookie as the server would (the test knows the secret)."""
    raw = TimestampSigner(secret, salt=SESSION_SALT).unsign(cookie_value)
    data: dict[str, Any] = json.loads(raw)
    return data


class _DatedSigner(TimestampSigner):
    def __init__(self, secret: str, timestamp: int):
        super().__init__(secret, salt=SESSION_SALT)
        self.timestamp = timestamp

    def get_timestamp(self) -> int:
        return self.timestamp


def forge_cookie(session: dict[str, Any], *, secret: str = SECRET, age: float = 0.0) -> str:
    """A session cookie signed ``age`` seconds ago (negative: in the future)."""
    signer = _DatedSigner(secret, int(time.time() - age))
    return signer.sign(json.dumps(session, separators=(",", ":"))).decode("ascii")


def signed_in_session(sid: str = "forged-sid", csrf: str = "forged-csrf") -> dict[str, Any]:
    """The session a login creates for ada."""
    return {"sid": sid, "user": {"id": "ada", "name": "Ada Lovelace", "extra": {}}, "csrf": csrf}


async def get_with_cookie(
    app: Any, path: str, cookie: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    """GET ``path`` with exactly this session cookie and no cookie jar."""
    async with client_for(app) as client:
        cookie_header = f"{COOKIE}={cookie}".encode()
        return await client.get(path, headers={"cookie": cookie_header, **(headers or {})})


def buttons(html: str) -> list[str]:
    """The text of every ``<button>`` on a page."""
    return [
        re.sub(r"\s+", " ", b).strip()
        for b in re.findall(r"<button[^>]*>(.*?)</button>", html, re.S)
    ]


def header_user(html: str) -> str | None:
    """The user name shown in the page header."""
    match = re.search(r'<span class="user"[^>]*>([^<]*)</span>', html)
    return match.group(1) if match else None


def hidden_next(html: str) -> str:
    """The login form's hidden ``next`` field."""
    match = re.search(r'name="next" value="([^"]*)"', html)
    assert match, "no next field on the login page"
    import html as html_module

    return html_module.unescape(match.group(1))


@contextmanager
def closing(admin: AsynczAdmin) -> Iterator[AsynczAdmin]:
    """Close the dashboard (detach it from the scheduler) after the test."""
    try:
        yield admin
    finally:
        admin.close()
