"""F14 on the login and logout forms: no token, a wrong token, a foreign ``Origin`` or
``Sec-Fetch-Site: cross-site`` is 403 and signs nobody in (or out)."""

from __future__ import annotations

import pytest

from ..conftest import csrf_from
from .conftest import AdminFactory
from .support import PASSWORD, PREFIX, client_for, login_token, page_token, sign_in, starlette_host

# (name, headers, token): every way a login or logout form can arrive forged.
FORGED = [
    ("no-token", {}, None),
    ("empty-token", {}, ""),
    ("wrong-token", {}, "x" * 43),
    ("foreign-origin", {"Origin": "https://evil.test"}, "valid"),
    ("null-origin", {"Origin": "null"}, "valid"),
    ("foreign-origin-no-token", {"Origin": "https://evil.test"}, None),
    ("look-alike-origin", {"Origin": "http://testserver.evil.test"}, "valid"),
    ("cross-site", {"Sec-Fetch-Site": "cross-site"}, "valid"),
    ("same-site", {"Sec-Fetch-Site": "same-site"}, "valid"),
    ("cross-site-no-token", {"Sec-Fetch-Site": "cross-site"}, None),
]


def _form(token: str | None, valid: str, **fields: str) -> dict[str, str]:
    if token is not None:
        fields["csrf_token"] = valid if token == "valid" else token
    return fields


@pytest.mark.parametrize(("case", "headers", "token"), FORGED, ids=[f[0] for f in FORGED])
async def test_forged_login_is_refused(
    make: AdminFactory, case: str, headers: dict[str, str], token: str | None
) -> None:
    app = starlette_host(make())
    async with client_for(app) as client:
        valid = await login_token(client)
        response = await client.post(
            f"{PREFIX}/login",
            headers=headers,
            data=_form(token, valid, username="ada", password=PASSWORD),
        )
        assert response.status_code == 403
        assert "location" not in response.headers
        assert (await client.get(f"{PREFIX}/")).status_code == 303
        # The same client with a clean request still signs in: nothing was locked or broken.
        assert (await sign_in(client, token=valid)).status_code == 303


async def test_login_without_any_session_is_refused(make: AdminFactory) -> None:
    app = starlette_host(make())
    async with client_for(app) as client:
        response = await client.post(
            f"{PREFIX}/login",
            data={"csrf_token": "made-up", "username": "ada", "password": PASSWORD},
        )
        assert response.status_code == 403
        assert "security token" in response.text
        assert (await client.get(f"{PREFIX}/")).status_code == 303


async def test_same_origin_browser_login_is_accepted(make: AdminFactory) -> None:
    app = starlette_host(make())
    async with client_for(app) as client:
        token = await login_token(client)
        response = await client.post(
            f"{PREFIX}/login",
            headers={"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"},
            data={"csrf_token": token, "username": "ada", "password": PASSWORD},
        )
        assert response.status_code == 303


@pytest.mark.parametrize(("case", "headers", "token"), FORGED, ids=[f[0] for f in FORGED])
async def test_forged_logout_is_refused(
    make: AdminFactory, case: str, headers: dict[str, str], token: str | None
) -> None:
    app = starlette_host(make())
    async with client_for(app) as client:
        assert (await sign_in(client)).status_code == 303
        valid = await page_token(client)
        response = await client.post(f"{PREFIX}/logout", headers=headers, data=_form(token, valid))
        assert response.status_code == 403
        assert "set-cookie" not in response.headers
        # Still signed in, with the same session.
        assert (await client.get(f"{PREFIX}/tasks")).status_code == 200
        assert csrf_from((await client.get(f"{PREFIX}/tasks")).text) == valid


async def test_logout_by_get_is_not_a_thing(make: AdminFactory) -> None:
    app = starlette_host(make())
    async with client_for(app) as client:
        assert (await sign_in(client)).status_code == 303
        response = await client.get(f"{PREFIX}/logout")
        assert response.status_code == 405
        assert response.headers["allow"] == "POST"
        assert (await client.get(f"{PREFIX}/tasks")).status_code == 200


def test_session_cookie_is_httponly_and_samesite(make: AdminFactory) -> None:
    """Checked on a real response in test_sessions; here: the defaults a browser relies on."""
    admin = make()
    assert admin.config.same_site == "lax"
    assert admin.config.https_only is False
