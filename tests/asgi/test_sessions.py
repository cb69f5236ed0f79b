"""Sessions: cookie attributes, and any invalid cookie reads as no session (never a 500)."""

from __future__ import annotations

import asyncio
import base64
import time
from typing import Any

import httpx
import pytest
from asyncz.schedulers.asyncio import AsyncIOScheduler
from itsdangerous import TimestampSigner

from asyncz_dashboard.asgi.sessions import CookieSettings, SessionCodec

from ..conftest import SECRET, csrf_from, noop
from .conftest import ROOT, client_for, raw_request, scheduler_state

COOKIE = "asyncz_dashboard_session"
SALT = "asyncz-dashboard.session"


def attributes(set_cookie: str) -> dict[str, str]:
    """``"n=v; Path=/; HttpOnly"`` -> ``{"path": "/", "httponly": ""}`` (names lower case)."""
    parts = [p.strip() for p in set_cookie.split(";")[1:]]
    return {k.lower(): v for k, _, v in (p.partition("=") for p in parts)}


async def session_cookie(make_admin: Any, **settings: Any) -> str:
    admin = make_admin(**settings)
    async with client_for(admin.get_asgi_app()) as client:
        response = await client.get(f"{ROOT}/tasks")
    cookies = response.headers.get_list("set-cookie")
    assert len(cookies) == 1
    return cookies[0]


async def test_default_cookie_is_httponly_lax_path_root_and_host_only(make_admin: Any) -> None:
    header = await session_cookie(make_admin)
    assert header.startswith(f"{COOKIE}=")
    attrs = attributes(header)
    assert attrs["path"] == "/"
    assert "httponly" in attrs
    assert attrs["samesite"] == "Lax"
    assert "secure" not in attrs
    assert "domain" not in attrs
    assert attrs["max-age"] == str(14 * 24 * 3600)


async def test_https_only_adds_secure(make_admin: Any) -> None:
    assert "secure" in attributes(await session_cookie(make_admin, https_only=True))


async def test_same_site_strict(make_admin: Any) -> None:
    assert attributes(await session_cookie(make_admin, same_site="strict"))["samesite"] == "Strict"


async def test_same_site_none_forces_secure(make_admin: Any) -> None:
    attrs = attributes(await session_cookie(make_admin, same_site="none"))
    assert attrs["samesite"] == "None"
    assert "secure" in attrs


async def test_domain_path_name_and_max_age_are_configurable(make_admin: Any) -> None:
    header = await session_cookie(
        make_admin, domain="example.test", path="/ops", session_cookie="ops_sid", max_age=600
    )
    assert header.startswith("ops_sid=")
    attrs = attributes(header)
    assert attrs["domain"] == "example.test"
    assert attrs["path"] == "/ops"
    assert attrs["max-age"] == "600"


async def test_path_does_not_follow_the_mount_point(make_admin: Any) -> None:
    # One deterministic Path, whatever URL set it (F23): not /dashboard, not /dashboard/tasks.
    admin = make_admin()
    for root in ("/dashboard", "/a/dashboard"):
        async with client_for(admin.get_asgi_app(), root_path=root) as client:
            response = await client.get(f"{root}/tasks/some-task")
        assert attributes(response.headers["set-cookie"])["path"] == "/"


async def test_cookie_is_set_once_and_not_resent_when_unchanged(client: httpx.AsyncClient) -> None:
    first = await client.get(f"{ROOT}/tasks")
    assert "set-cookie" in first.headers
    second = await client.get(f"{ROOT}/tasks")
    assert "set-cookie" not in second.headers
    assert csrf_from(first.text) == csrf_from(second.text)


def use_cookie(client: httpx.AsyncClient, value: str) -> None:
    """Make ``value`` the only session cookie the client sends (replacing the server's)."""
    client.cookies.clear()
    client.cookies.set(COOKIE, value)


def signed(session: dict[str, Any], *, secret: str = SECRET, age: float = 0.0) -> str:
    """A cookie value made by the dashboard's own codec, optionally ``age`` seconds old."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time() - age))
        header = SessionCodec(secret, CookieSettings()).dump(session)
    return header.split(";", 1)[0].split("=", 1)[1]


def signed_raw(payload: bytes) -> str:
    """Any payload, correctly signed with the dashboard's key and salt."""
    return TimestampSigner(SECRET, salt=SALT).sign(payload).decode("ascii")


async def test_a_correctly_signed_cookie_is_a_session(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    # The positive control for the cases below: our own forged-but-valid cookie works.
    scheduler.add_task(noop, "interval", minutes=5, id="t1", name="T1")
    use_cookie(client, signed({"csrf": "known-token"}, age=60))
    response = await client.post(f"{ROOT}/tasks/t1/pause", data={"csrf_token": "known-token"})
    assert response.status_code == 303
    assert scheduler.get_task("t1").next_run_time is None


def tampered(value: str) -> str:
    payload, _, rest = value.partition(".")
    return payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1] + "." + rest


INVALID = {
    "tampered": lambda: tampered(signed({"csrf": "known-token"})),
    "bad-signature": lambda: signed({"csrf": "known-token"})[:-3] + "xyz",
    "other-secret": lambda: signed({"csrf": "known-token"}, secret="someone-else's-key"),
    "expired": lambda: signed({"csrf": "known-token"}, age=15 * 24 * 3600),
    "future-dated": lambda: signed({"csrf": "known-token"}, age=-3600),
    "unsigned-json": lambda: '{"csrf":"known-token"}',
    "garbage": lambda: "garbage",
    "dots": lambda: "a.b.c.d",
    "empty": lambda: "",
    "quoted": lambda: '"known-token"',
    "huge": lambda: "x" * 8000,
    "signed-not-json": lambda: signed_raw(b"not json at all"),
    "signed-list": lambda: signed_raw(b"[1, 2, 3]"),
    "signed-b64-list": lambda: signed_raw(base64.urlsafe_b64encode(b"[1, 2, 3]")),
    "signed-string": lambda: signed_raw(b'"csrf"'),
    "signed-b64-string": lambda: signed_raw(base64.urlsafe_b64encode(b'"csrf"')),
    "signed-b64-garbage": lambda: signed_raw(base64.urlsafe_b64encode(b"\xff\xfe{")),
}


@pytest.mark.parametrize("make_value", INVALID.values(), ids=INVALID.keys())
async def test_invalid_cookie_is_no_session(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient, make_value: Any
) -> None:
    scheduler.add_task(noop, "interval", minutes=5, id="t1", name="T1")
    before = scheduler_state(scheduler)
    use_cookie(client, make_value())
    page = await client.get(f"{ROOT}/tasks")
    assert page.status_code == 200
    assert csrf_from(page.text) != "known-token"
    assert "set-cookie" in page.headers  # a fresh session replaces it
    use_cookie(client, make_value())
    refused = await client.post(f"{ROOT}/tasks/t1/pause", data={"csrf_token": "known-token"})
    assert refused.status_code == 403
    assert scheduler_state(scheduler) == before


async def test_tampering_with_a_real_session_cookie_ends_the_session(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    scheduler.add_task(noop, "interval", minutes=5, id="t1", name="T1")
    page = await client.get(f"{ROOT}/tasks")
    old_token = csrf_from(page.text)
    real = client.cookies[COOKIE]
    use_cookie(client, tampered(real))
    again = await client.get(f"{ROOT}/tasks")
    assert again.status_code == 200
    assert csrf_from(again.text) != old_token
    use_cookie(client, tampered(real))
    refused = await client.post(f"{ROOT}/tasks/t1/pause", data={"csrf_token": old_token})
    assert refused.status_code == 403
    assert scheduler.get_task("t1").next_run_time is not None
    use_cookie(client, real)  # the untouched cookie still works: the test can fail
    accepted = await client.post(f"{ROOT}/tasks/t1/pause", data={"csrf_token": old_token})
    assert accepted.status_code == 303
    assert scheduler.get_task("t1").next_run_time is None


@pytest.mark.parametrize(
    "cookie",
    [
        f"{COOKIE}=\xe9\xe8.\xff",
        f"{COOKIE}",
        f"=; ;;{COOKIE}==",
        f'{COOKIE}="unterminated',
        f"{COOKIE}=a; {COOKIE}=b",
    ],
)
async def test_malformed_cookie_headers_never_500(admin: Any, cookie: str) -> None:
    # Bytes httpx refuses to send; a server passes them on as latin-1.
    response = await raw_request(
        admin.get_asgi_app(), "GET", f"{ROOT}/tasks", headers=[("cookie", cookie)]
    )
    assert response.status_code == 200
    assert 'name="csrf_token"' in response.text


async def test_an_expired_cookie_after_time_passes(
    scheduler: AsyncIOScheduler, make_admin: Any
) -> None:
    scheduler.add_task(noop, "interval", minutes=5, id="t1", name="T1")
    admin = make_admin(max_age=1)
    async with client_for(admin.get_asgi_app()) as client:
        token = csrf_from((await client.get(f"{ROOT}/tasks")).text)
        await asyncio.sleep(2.1)  # itsdangerous timestamps have one-second resolution
        refused = await client.post(f"{ROOT}/tasks/t1/pause", data={"csrf_token": token})
    assert refused.status_code == 403
    assert scheduler.get_task("t1").next_run_time is not None


def test_codec_round_trip_and_delete() -> None:
    codec = SessionCodec(SECRET, CookieSettings())
    header = codec.dump({"csrf": "abc", "flash": [{"level": "info", "text": "é <b>"}]})
    value = header.split(";", 1)[0].split("=", 1)[1]
    assert codec.load(value) == {"csrf": "abc", "flash": [{"level": "info", "text": "é <b>"}]}
    deleted = codec.dump({})
    assert deleted.startswith("asyncz_dashboard_session=;")
    assert "Max-Age=0" in deleted
    assert "Expires=Thu, 01 Jan 1970 00:00:00 GMT" in deleted
    assert "Path=/" in deleted


def test_codec_rejects_a_cookie_for_another_salt() -> None:
    value = TimestampSigner(SECRET, salt="another-purpose").sign('{"csrf":"x"}').decode()
    assert SessionCodec(SECRET, CookieSettings()).load(value) == {}


def test_a_remembered_signature_still_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    codec = SessionCodec(SECRET, CookieSettings(max_age=60))
    value = codec.dump({"csrf": "abc"}).split(";", 1)[0].split("=", 1)[1]
    assert codec.load(value) == {"csrf": "abc"}
    assert codec.load(value) == {"csrf": "abc"}  # its signature is not checked again
    now = codec._signer.get_timestamp()
    monkeypatch.setattr(codec._signer, "get_timestamp", lambda: now + 61)
    assert codec.load(value) == {}
    # A changed byte is another value: checked, and refused. (Not the last character: its low
    # bits are base64 padding, so "A" and "B" there can decode to the same signature.)
    monkeypatch.undo()
    at = len(value) - 5  # inside the signature, every bit of it significant
    tampered = value[:at] + ("A" if value[at] != "A" else "B") + value[at + 1 :]
    assert codec.load(tampered) == {}
