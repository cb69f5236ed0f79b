"""Brute-force protection (issue 3, part 5): after 5 failures for a username or a client
address, 429 with ``Retry-After``, the wait doubling up to 15 minutes; configurable."""

from __future__ import annotations

import httpx
import pytest

from asyncz_dashboard.auth import LoginThrottle
from asyncz_dashboard.auth.throttle import address_key

from .conftest import AdminFactory
from .support import PREFIX, client_for, login_token, sign_in, starlette_host


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def _fail(client: httpx.AsyncClient, token: str, username: str = "ada") -> httpx.Response:
    return await sign_in(client, username=username, password="wrong", token=token)


async def test_five_failures_for_one_username_lock_it_out(make: AdminFactory) -> None:
    clock = FakeClock()
    app = starlette_host(make(login_throttle=LoginThrottle(clock=clock)))
    # Five failures from five addresses: only the username's count reaches the limit.
    for n in range(5):
        async with client_for(app, address=f"192.0.2.{n + 1}") as client:
            refused = await _fail(client, await login_token(client))
            assert refused.status_code == 400
            assert "Invalid username or password." in refused.text
    async with client_for(app, address="192.0.2.99") as client:
        token = await login_token(client)
        locked = await sign_in(client, token=token)  # the right password, too late
        assert locked.status_code == 429
        assert locked.headers["retry-after"] == "60"
        assert "Too many failed attempts. Try again in 60 seconds." in locked.text
        assert 'value="ada"' in locked.text
        assert (await client.get(f"{PREFIX}/tasks")).status_code == 303
        # Another user from the same new address is not affected.
        other = await sign_in(client, username="bob", token=token)
        assert other.status_code == 303


async def test_five_failures_from_one_address_lock_it_out_across_usernames(
    make: AdminFactory,
) -> None:
    clock = FakeClock()
    app = starlette_host(make(login_throttle=LoginThrottle(clock=clock)))
    async with client_for(app, address="198.51.100.7") as client:
        token = await login_token(client)
        for username in ("root", "admin", "guest", "test", "user"):
            assert (await _fail(client, token, username)).status_code == 400
        locked = await sign_in(client, username="bob", token=token)
        assert locked.status_code == 429
        assert locked.headers["retry-after"] == "60"
        assert (await client.get(f"{PREFIX}/tasks")).status_code == 303
    # ada, from elsewhere, signs in: the address was locked, not the user.
    async with client_for(app, address="198.51.100.8") as client:
        assert (await sign_in(client)).status_code == 303


async def test_the_wait_ends_and_then_doubles_up_to_fifteen_minutes(make: AdminFactory) -> None:
    clock = FakeClock()
    app = starlette_host(make(login_throttle=LoginThrottle(clock=clock)))
    async with client_for(app) as client:
        token = await login_token(client)
        waits = []
        for _ in range(6):
            for _ in range(5):
                assert (await _fail(client, token)).status_code == 400
            locked = await _fail(client, token)
            assert locked.status_code == 429
            wait = int(locked.headers["retry-after"])
            waits.append(wait)
            clock.now += wait - 1
            assert (await sign_in(client, token=token)).status_code == 429  # not yet
            clock.now += 1
        assert waits == [60, 120, 240, 480, 900, 900]
        # After the wait, the right password works and clears the record.
        signed = await sign_in(client, token=token)
        assert signed.status_code == 303
    async with client_for(app) as client:
        token = await login_token(client)
        for _ in range(5):
            await _fail(client, token)
        assert (await _fail(client, token)).headers["retry-after"] == "60"


async def test_failures_older_than_the_window_are_forgotten(make: AdminFactory) -> None:
    clock = FakeClock()
    app = starlette_host(make(login_throttle=LoginThrottle(clock=clock)))
    async with client_for(app) as client:
        token = await login_token(client)
        for _ in range(4):
            assert (await _fail(client, token)).status_code == 400
        clock.now += 15 * 60 + 1
        for _ in range(4):
            assert (await _fail(client, token)).status_code == 400
        assert (await sign_in(client, token=token)).status_code == 303


async def test_the_throttle_is_configurable(make: AdminFactory) -> None:
    clock = FakeClock()
    throttle = LoginThrottle(max_failures=3, window=60, base_delay=10, max_delay=30, clock=clock)
    app = starlette_host(make(login_throttle=throttle))
    async with client_for(app) as client:
        token = await login_token(client)
        for _ in range(3):
            assert (await _fail(client, token)).status_code == 400
        locked = await _fail(client, token)
        assert locked.status_code == 429
        assert locked.headers["retry-after"] == "10"
        assert "Try again in 10 seconds." in locked.text
        waits = [10]
        for _ in range(3):
            clock.now += waits[-1]
            for _ in range(3):
                await _fail(client, token)
            waits.append(int((await _fail(client, token)).headers["retry-after"]))
        assert waits == [10, 20, 30, 30]


async def test_a_good_login_resets_the_count(make: AdminFactory) -> None:
    clock = FakeClock()
    app = starlette_host(make(login_throttle=LoginThrottle(clock=clock)))
    async with client_for(app) as client:
        token = await login_token(client)
        for _ in range(4):
            await _fail(client, token)
        assert (await sign_in(client, token=token)).status_code == 303
    async with client_for(app) as client:
        token = await login_token(client)
        for _ in range(4):
            assert (await _fail(client, token)).status_code == 400
        assert (await sign_in(client, token=token)).status_code == 303


async def test_usernames_are_counted_case_insensitively(make: AdminFactory) -> None:
    app = starlette_host(make(login_throttle=LoginThrottle(clock=FakeClock())))
    for n, name in enumerate(("ada", "ADA", "Ada", " ada", "aDa")):
        async with client_for(app, address=f"203.0.113.{n + 1}") as client:
            await _fail(client, await login_token(client), name)
    async with client_for(app, address="203.0.113.50") as client:
        assert (await sign_in(client)).status_code == 429


def test_retry_after_rounds_up_to_whole_seconds() -> None:
    clock = FakeClock()
    throttle = LoginThrottle(max_failures=1, base_delay=1.5, clock=clock)
    throttle.failure(["user:x"])
    assert throttle.retry_after(["user:x"]) == 2
    clock.now += 1.5
    assert throttle.retry_after(["user:x"]) == 0


def test_a_flood_of_distinct_keys_never_lifts_a_live_lockout() -> None:
    """More distinct keys than the throttle holds (default 100,000): memory stays bounded and
    the attacker's lockout survives."""
    clock = FakeClock()
    throttle = LoginThrottle(clock=clock)
    for _ in range(5):
        throttle.failure(["addr:198.51.100.9", "user:ada"])
    assert throttle.retry_after(["addr:198.51.100.9"]) == 60
    for n in range(120_000):
        throttle.failure([f"user:flood{n}"])
    assert throttle.tracked_keys <= 100_000
    assert throttle.retry_after(["addr:198.51.100.9"]) == 60
    assert throttle.retry_after(["user:ada"]) == 60


def test_a_full_throttle_evicts_expired_records_first_then_the_stalest() -> None:
    clock = FakeClock()
    throttle = LoginThrottle(max_failures=2, clock=clock, max_keys=10)
    throttle.failure(["user:old"])  # expires after the window
    clock.now += 901
    throttle.failure(["user:counting"])
    throttle.failure(["user:locked"])
    throttle.failure(["user:locked"])
    for n in range(7):
        throttle.failure([f"user:filler{n}"])
    assert throttle.tracked_keys == 10
    throttle.failure(["user:new"])  # full: the expired record goes first
    assert throttle.tracked_keys <= 10
    throttle.failure(["user:counting"])  # its first failure is still counted: locked now
    assert throttle.retry_after(["user:counting"]) == 60
    for n in range(50):
        throttle.failure([f"user:more{n}"])
    assert throttle.tracked_keys <= 10
    assert throttle.retry_after(["user:locked"]) == 60
    assert throttle.retry_after(["user:counting"]) == 60


def test_a_throttle_full_of_live_lockouts_keeps_them_all() -> None:
    throttle = LoginThrottle(max_failures=1, clock=FakeClock(), max_keys=3)
    for name in ("a", "b", "c", "d"):
        throttle.failure([f"user:{name}"])
    assert [throttle.retry_after([f"user:{n}"]) for n in "abc"] == [60, 60, 60]
    assert throttle.tracked_keys == 3


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("198.51.100.9", "addr:198.51.100.9"),
        ("2001:db8:1:2:aaaa::1", "addr:2001:db8:1:2::/64"),
        ("::ffff:198.51.100.9", "addr:198.51.100.9"),
        ("unknown", "addr:unknown"),
    ],
)
def test_address_keys(address: str, key: str) -> None:
    assert address_key(address) == key
