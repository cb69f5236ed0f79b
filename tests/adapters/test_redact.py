"""Secret masking: the shapes it recognises, the innocent text it leaves alone, and its cost
bounded by what is shown, whatever a task holds."""

from __future__ import annotations

import collections
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

import pytest

from asyncz_dashboard.adapters.redact import (
    MARGIN,
    NAME_LIMIT,
    REPR_LIMIT,
    TEXT_LIMIT,
    Redactor,
    args_repr,
    clip,
    kwargs_repr,
)

redactor = Redactor()


@dataclass
class Creds:
    user: str
    password: str


@dataclass
class Hidden:
    user: str
    token: str = field(repr=False)


Pair = collections.namedtuple("Pair", "user pwd")


class Connection:
    """An object whose own repr prints its secret."""

    def __repr__(self) -> str:
        return "Connection(host='db', password='hunter2')"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # what was already masked
        ("password=hunter2", "password=***"),
        ("login with password=hunter2 please", "login with password=*** please"),
        ("{'password': 'hunter2', 'user': 'ops'}", "{'password': '***', 'user': 'ops'}"),
        ('{"api_key": "hunter2"}', '{"api_key": "***"}'),
        ("DB_PASSWORD = hunter2", "DB_PASSWORD = ***"),
        ("postgresql://app:hunter2@db/prod", "postgresql://app:***@db/prod"),
        # URL credentials: empty user, '@' inside the password, several hosts
        ("redis://:hunter2@cache:6379/0", "redis://:***@cache:6379/0"),
        ("postgresql://app:p@ss@db/x", "postgresql://app:***@db/x"),
        ("dsn='postgresql://app:hunt@er:2@db:5432/x'", "dsn='postgresql://app:***@db:5432/x'"),
        ("postgresql://app:hunter2@h1:5432,h2:5432/db", "postgresql://app:***@h1:5432,h2:5432/db"),
        # authorization headers: the token, not just the scheme
        ("Authorization: Bearer abc.DEF-123_xyz", "Authorization: Bearer ***"),
        ("authorization=Basic dXNlcjpodW50ZXIy", "authorization=Basic ***"),
        ("{'Authorization': 'Bearer abc.def'}", "{'Authorization': '***'}"),
        ("retrying with Bearer abc.DEF-123_xyz", "retrying with Bearer ***"),
        # the new keys; "pass" only as a whole part of a key
        ("pass=hunter2", "pass=***"),
        ("DB_PASS: hunter2", "DB_PASS: ***"),
        ("smtp-pass=hunter2 port=25", "smtp-pass=*** port=25"),
        ("dbPass=hunter2", "dbPass=***"),
        ("passphrase='open sesame'", "passphrase='***'"),
        ("jwt=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig", "jwt=***"),
        ("client_key: hunter2", "client_key: ***"),
        # a bare JWT; quoted values with escapes; a value at the very end of a cut text
        ("token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln here", "token *** here"),
        ("{'password': 'it\\'s'}", "{'password': '***'}"),
        ("password='unterminated", "password='***'"),
        # dataclass, object and bytes reprs are text too
        ("Creds(user='a', password='hunter2')", "Creds(user='a', password='***')"),
        ("b'password=hunter2'", "b'password=***'"),
        # a password with an unencoded / ? or # (RFC 3986 wants it percent-encoded)
        ("postgresql://app:pa/ss@db/prod", "postgresql://app:***@db/prod"),
        ("redis://:a?b#c@cache:6379/0 down", "redis://:***@cache:6379/0 down"),
        ("amqp://u:x/y@mq/vhost?heartbeat=5", "amqp://u:***@mq/vhost?heartbeat=5"),
        # the repr around a bare value keeps its closing bracket
        ("<Client password=hunter2>", "<Client password=***>"),
        ("Config(token=abc, retries=3)", "Config(token=***, retries=3)"),
        ("Config(token=abc)", "Config(token=***)"),
        ("[password=a(b)]", "[password=***]"),
        ("password=ab)cd", "password=***"),
        # "auth" as a whole part of a key
        ("basic_auth=hunter2", "basic_auth=***"),
        ("xAuth: hunter2", "xAuth: ***"),
    ],
)
def test_mask_text_masks_every_secret_shape(text: str, expected: str) -> None:
    assert redactor.mask_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "passenger=bob bypass=1 compass: north",
        "http://example.com:8080/path?x=1",
        "ssh://git@github.com/org/repo.git",
        "mailto:ops@example.com",
        "Basic setup finished in 3 s",
        "the bearer of bad news",
        "imported 42 rows",
        "a1b2c3" * 100,
        "deadline=5s; retries=3",
        "http://example.com:8080/path?mail=ops@example.com",
        "author=ada oauth_provider=github",
    ],
)
def test_mask_text_leaves_innocent_text_alone(text: str) -> None:
    assert redactor.mask_text(text) == text


@pytest.mark.parametrize(
    ("key", "secret"),
    [
        ("password", True),
        ("PASS", True),
        ("pass", True),
        ("db_pass", True),
        ("dbPass", True),
        ("pass_2", True),
        ("passphrase", True),
        ("jwt", True),
        ("refresh_jwt", True),
        ("client_key", True),
        ("Authorization", True),
        (b"password", True),
        ("basic_auth", True),
        ("xAuth", True),
        ("author", False),
        ("oauth_provider", False),
        ("passenger", False),
        ("bypass", False),
        ("compass", False),
        ("user", False),
        (42, False),
    ],
)
def test_which_keys_hold_secrets(key: object, secret: bool) -> None:
    assert redactor.is_secret(key) is secret


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((Creds("a", "hunter2"),), "(Creds(user='a', password='***'),)"),
        ((Hidden("a", "hunter2"),), "(Hidden(user='a'),)"),
        ((Pair("u", "hunter2"),), "(Pair(user='u', pwd='***'),)"),
        ((Connection(),), "(Connection(host='db', password='***'),)"),
        (({"password=hunter2"},), "({'password=***'},)"),
        ((frozenset({b"token=hunter2"}),), "(frozenset({b'token=***'}),)"),
        ((b"password=hunter2",), "(b'password=***',)"),
        (({b"password": b"hunter2"},), "({b'password': '***'},)"),
        (
            ([{"nested": {"jwt": "hunter2"}, "jwt": "hunter2"}],),
            "([{'jwt': '***', 'nested': {...}}],)",
        ),
        (("redis://:hunter2@cache",), "('redis://:***@cache',)"),
        (
            (collections.deque(["token=hunter2"] * 10**6),),
            "([" + "'token=***', " * 10 + "...],)",
        ),
    ],
)
def test_args_repr_masks_secrets_in_every_container_and_object(
    args: tuple[Any, ...], expected: str
) -> None:
    assert args_repr(args, redactor) == expected


def test_kwargs_repr_masks_values_under_the_new_keys_only() -> None:
    shown = kwargs_repr(
        {"pass": "a", "passphrase": "b", "jwt": b"c", "client_key": 1, "passenger": "bob"},
        redactor,
    )

    assert shown == (  # reprlib sorts the keys
        "{'client_key': '***', 'jwt': '***', 'pass': '***', 'passenger': 'bob', "
        "'passphrase': '***'}"
    )


def test_extra_words_are_masked_in_text_too() -> None:
    custom = Redactor(["iban", r"^card_"])

    assert custom.mask_text("paying iban=DE89370400440532013000") == "paying iban=***"
    assert custom.is_secret("card_number")
    assert custom.mask_text("card_number=4111") == "card_number=4111"  # a regex: keys only


def test_a_task_name_is_masked_and_bounded() -> None:
    assert redactor.mask_name("sync postgresql://u:hunter2@h/db") == "sync postgresql://u:***@h/db"
    long = redactor.mask_name("password=hunter2 " + "x" * 10_000)
    assert len(long) == NAME_LIMIT
    assert long.startswith("password=*** xxx")
    assert long.endswith("…")


# -- bounded cost ------------------------------------------------------------------------------
class Spy:
    """A compiled pattern that records the length of every text it is asked to read."""

    def __init__(self, pattern: re.Pattern[str], seen: list[int]):
        self.pattern = pattern
        self.seen = seen

    def sub(self, repl: Any, text: str) -> str:
        self.seen.append(len(text))
        return self.pattern.sub(repl, text)

    def finditer(self, text: str) -> Any:
        self.seen.append(len(text))
        return self.pattern.finditer(text)


def spied() -> tuple[Redactor, list[int]]:
    spy, seen = Redactor(), []
    for name in ("_url", "_pair", "_camel_pair", "_bearer", "_jwt"):
        setattr(spy, name, Spy(getattr(spy, name), seen))
    return spy, seen


@pytest.mark.parametrize("size", [20_000, 1_000_000])
def test_patterns_read_at_most_the_display_limit_plus_a_margin(size: int) -> None:
    spy, seen = spied()
    text = "password=hunter2 " + secrets.token_hex(size // 2)

    masked = spy.mask_text(text, 1000)

    assert len(masked) == 1000
    assert masked.startswith("password=*** ")
    assert seen and max(seen) <= 1000 + MARGIN


@pytest.mark.parametrize("size", [20_000, 1_000_000])
def test_an_argument_of_any_size_is_read_only_as_far_as_it_is_shown(size: int) -> None:
    spy, seen = spied()
    blob = "token=hunter2 " + secrets.token_hex(size // 2)

    shown = kwargs_repr({"blob": blob, "data": blob.encode(), "items": [blob] * 1000}, spy)

    assert len(shown) <= REPR_LIMIT
    assert "hunter2" not in shown
    assert "token=***" in shown
    assert seen and max(seen) <= REPR_LIMIT + MARGIN
    assert len(seen) <= 5 * 20  # five patterns over the keys and the dozen values shown


def test_200_kb_of_hex_is_masked_in_one_bounded_pass() -> None:
    # Before the fix this took minutes: the key pattern backtracked over every word.
    text = secrets.token_hex(100_000)

    assert redactor.mask_text(text) == text[:TEXT_LIMIT]
    assert redactor.mask_text("tokentoken" * 20_000) == ("tokentoken" * 20_000)[:TEXT_LIMIT]


def test_a_deeply_nested_wide_argument_is_walked_only_as_far_as_it_is_shown() -> None:
    spy, seen = spied()
    wide = [[["password=hunter2"] * 50] * 50] * 50

    shown = args_repr((wide,), spy)

    assert len(shown) <= REPR_LIMIT
    assert "hunter2" not in shown
    assert len(seen) <= 5 * 130  # the walk's budget, not 50**3 strings


def test_a_url_password_cut_by_the_window_is_still_masked() -> None:
    # Masking shortens text, which pulls the window's last characters into view: a URL
    # whose '@' lies beyond the window must not show the start of its password.
    text = "password=" + "s" * 300 + " dsn=postgresql://u:" + "hunter2" * 100 + "@h/db"

    masked = redactor.mask_text(text, 100)

    assert masked.startswith("password=*** dsn=postgresql://u:***")
    assert "hunter" not in masked
    assert redactor.mask_text(clip(text, 100), 100) == masked  # a clipped text knows it was cut
