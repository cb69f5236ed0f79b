"""Secret masking and bounded reprs for task data: arguments, names, log and exception text.

A value under a key that looks like a secret is replaced by ``***`` wherever it is nested in
dicts, lists, tuples, sets, dataclasses and named tuples; in text (strings, bytes, other
objects' reprs) ``key=value`` pairs, URL credentials and bearer tokens are masked too.

Everything here costs what is shown, not what a task holds: text is cut to its display limit
(plus ``MARGIN``) *before* any pattern reads it, containers are walked only as far as
``reprlib`` shows them, and every pattern runs in linear time (no unbounded quantifier can
backtrack over another: the key words are a plain alternation, what follows them is bounded or
possessive).
"""

from __future__ import annotations

import dataclasses
import re
import reprlib
from collections import deque
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from itertools import islice
from typing import Any
from uuid import UUID

DEFAULT_SECRET_KEYS = (
    "password",
    "passwd",
    "passphrase",
    "pwd",
    "secret",
    "token",
    "jwt",
    "api_key",
    "apikey",
    "api-key",
    "authorization",
    "credential",
    "private_key",
    "client_key",
    "access_key",
    "session",
    "cookie",
)
# These mark a secret only as a whole part of a key (pass, db_pass, PASS_2, dbPass; auth,
# basic_auth, xAuth), so that passenger, bypass, compass, author or oauth stay readable. The
# lookarounds follow the literal so that ``re`` can still scan quickly for its first character.
_WHOLE_WORDS = ("pass", "auth")
_WHOLE_WORD = "|".join(rf"{w}(?<![a-z]{w})(?![a-z])" for w in _WHOLE_WORDS)  # lower-cased text
_CAMEL_CASE = "|".join(  # case-sensitive
    rf"{w.title()}(?<=[a-z]{w.title()})(?![a-z])" for w in _WHOLE_WORDS
)
MASK = "***"
REPR_LIMIT = 200
NAME_LIMIT = 200
TEXT_LIMIT = 20_000
# How far past its display limit a text is still read, so that a secret cut by the limit is
# still recognised (its key or URL scheme is inside the window).
MARGIN = 256
_WIDTH = 11  # items walked per container: reprlib shows 10, the 11th makes it print "..."
_DEPTH = 3  # reprlib's maxlevel: deeper containers print as "[...]"
_BUDGET = 120  # values walked per redaction: more cannot show in REPR_LIMIT characters
_SCALARS = (int, float, complex, type(None), datetime, date, time, timedelta, Decimal, UUID)
_B64 = r"[A-Za-z0-9._~+/-]++=*+"  # an RFC 6750 token68
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


class _Masked:
    def __repr__(self) -> str:
        return repr(MASK)


class _Text:
    """A value shown by a precomputed (masked, bounded) repr."""

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return self.text


_MASKED = _Masked()
_HIDDEN = _Text("...")
_FOLDED: dict[type, str] = {
    dict: "{...}",
    list: "[...]",
    tuple: "(...)",
    set: "{...}",
    frozenset: "frozenset(...)",
}


class Redactor:
    """Decides which keys hold secrets and masks them.

    Args:
        extra: more key fragments (case-insensitive substrings) or regular expressions
            that mark a key as secret, added to ``DEFAULT_SECRET_KEYS``. Plain word fragments
            (letters, digits, ``_``, ``-``) are also looked for as ``key=value`` in text.
    """

    def __init__(self, extra: Iterable[str] = ()):
        extra = list(extra)
        fragments = [re.escape(k) for k in DEFAULT_SECRET_KEYS] + extra
        fragments += [_WHOLE_WORD, f"(?-i:{_CAMEL_CASE})"]
        self.key_pattern = re.compile("|".join(f"(?:{f})" for f in fragments), re.IGNORECASE)
        words = [k.lower() for k in DEFAULT_SECRET_KEYS]
        words += [k.lower() for k in extra if re.fullmatch(r"[\w-]+", k)]
        names = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
        # Matched case-sensitively on a lower-cased copy: a case-insensitive alternation
        # gets no literal-prefix scan from ``re`` and is ten times slower.
        self._pair = _pair_pattern(f"(?:{names}|{_WHOLE_WORD})")
        self._camel_pair = _pair_pattern(f"(?:{_CAMEL_CASE})")  # searched in the original text
        self._url = re.compile(
            r"://(?P<auth>[^\s/?#'\"<>]{1,1024}+)(?P<rest>[/?#][^\s'\"<>]{0,1024}+)?"
        )
        self._bearer = re.compile(rf"Bearer(?<!\wBearer)[ \t]{{1,8}}+{_B64}")
        self._jwt = re.compile(r"eyJ(?<!\weyJ)[\w-]{4,}+\.[\w-]{4,}+\.[\w-]*+")

    def is_secret(self, key: object) -> bool:
        """True when ``key`` (a dict key, kwarg or field name; str or bytes) looks like it
        holds a secret."""
        if isinstance(key, (bytes, bytearray)):
            key = bytes(key[:MARGIN]).decode("latin-1")
        return isinstance(key, str) and bool(self.key_pattern.search(key[:MARGIN]))

    def mask_text(self, text: str, limit: int = TEXT_LIMIT) -> str:
        """``text`` cut to ``limit`` characters with ``key=value`` / ``'key': value`` pairs,
        URL credentials (``scheme://user:***@host``), bearer tokens and JWTs masked.

        Only the first ``limit + MARGIN`` characters are read, so the cost is bounded by
        ``limit`` whatever the length of ``text``.
        """
        cut = len(text) > limit + MARGIN
        window = text[: limit + MARGIN] if cut else text
        window = self._url.sub(lambda m: _mask_authority(m, cut), window)
        lowered = window.lower()
        if len(lowered) != len(window):  # a few characters lower-case to two (İ)
            lowered = window.translate(_ASCII_LOWER)
        window = _mask_pairs(self._pair, lowered, window)
        window = _mask_pairs(self._camel_pair, window, window)
        window = self._bearer.sub(f"Bearer {MASK}", window)
        window = self._jwt.sub(MASK, window)
        return window[:limit]

    def mask_name(self, name: str, limit: int = NAME_LIMIT) -> str:
        """A task name for display: masked, at most ``limit`` characters (``…`` when cut)."""
        masked = self.mask_text(name, limit)
        return masked[: limit - 1] + "…" if len(name) > limit else masked

    def redact(self, value: Any) -> Any:
        """A copy of ``value``, as far as ``bounded_repr`` shows it, with secrets masked:
        secret-keyed entries become ``'***'``, text is masked and cut, other objects are
        replaced by their masked repr."""
        return self._walk(value, 0, [_BUDGET])

    def _walk(self, value: Any, depth: int, budget: list[int]) -> Any:
        if isinstance(value, _SCALARS):
            return value
        budget[0] -= 1
        if budget[0] < 0:
            return _HIDDEN
        if isinstance(value, str):
            return self.mask_text(value, REPR_LIMIT)
        if isinstance(value, (bytes, bytearray)):
            text = bytes(value[: REPR_LIMIT + MARGIN + 1]).decode("latin-1")
            return self.mask_text(text, REPR_LIMIT).encode("latin-1")
        if depth >= _DEPTH:  # as reprlib shows a container it does not descend into
            return _Text(_FOLDED.get(type(value), "..."))
        if (dataclasses.is_dataclass(value) and not isinstance(value, type)) or (
            isinstance(value, tuple) and hasattr(value, "_fields")
        ):
            return self._fields(value, depth, budget)
        if isinstance(value, (dict, list, tuple, set, frozenset, deque)):
            return self._container(value, depth, budget)  # a deque's own repr is unbounded
        return _Text(self.mask_text(_safe_repr(value), REPR_LIMIT))

    def _container(self, value: Any, depth: int, budget: list[int]) -> Any:
        """A dict, list, tuple or set cut to what reprlib shows, its items redacted (other
        sequences become lists)."""
        if isinstance(value, dict):
            return {
                self._key(k, depth, budget): (
                    _MASKED if self.is_secret(k) else self._walk(v, depth + 1, budget)
                )
                for k, v in islice(value.items(), _WIDTH)
            }
        items = [self._walk(v, depth + 1, budget) for v in islice(value, _WIDTH)]
        kind = type(value)
        if kind is tuple:
            return tuple(items)
        if kind in (set, frozenset):
            try:
                return kind(items)
            except TypeError:  # an item's redacted copy is unhashable: show it as a list
                return items
        return items

    def _key(self, key: Any, depth: int, budget: list[int]) -> Any:
        """A dict key for display: always hashable (text masked, odd keys by their repr)."""
        if isinstance(key, (_SCALARS, str, bytes)):
            return self._walk(key, depth + 1, budget)
        return _Text(self.mask_text(_safe_repr(key), REPR_LIMIT))

    def _fields(self, value: Any, depth: int, budget: list[int]) -> _Text:
        """A dataclass or named tuple as ``Name(field=repr, ...)``, secret fields masked."""
        if dataclasses.is_dataclass(value):
            names = [f.name for f in dataclasses.fields(value) if f.repr]
        else:
            names = list(value._fields)
        parts = []
        for name in names[:_WIDTH]:
            shown = (
                _MASKED
                if self.is_secret(name)
                else self._walk(getattr(value, name, None), depth + 1, budget)
            )
            parts.append(f"{name}={bounded_repr(shown)}")
        more = ", ..." if len(names) > _WIDTH else ""
        return _Text(f"{type(value).__qualname__}({', '.join(parts)}{more})"[: REPR_LIMIT * 2])


def clip(text: str, limit: int) -> str:
    """``text`` cut to what ``Redactor.mask_text(text, limit)`` reads, plus one character so
    that it still knows the text was cut (a cheap first step for huge text)."""
    return text[: limit + MARGIN + 1]


def _pair_pattern(key: str) -> re.Pattern[str]:
    """``key=value`` for a lower-case ``key`` pattern.

    After the key word come at most 64 more word characters (db_password_2); the separator may
    close a quote first ({'password': 'x'}, JSON) and carry an auth scheme (Authorization:
    Bearer x); the value is a quoted string (escapes included, to its closing quote or the end
    of the window when cut) or a bare word. Possessive quantifiers: nothing backtracks.
    """
    return re.compile(
        rf"{key}[\w-]{{0,64}}+"
        r"(?P<sep>[\"']?[ \t]{0,8}[=:][ \t]{0,8}"
        r"(?:(?i:bearer|basic|digest|token|negotiate)[ \t]{1,8}+)?)"
        r"(?P<value>\"(?:[^\"\\]|\\.)*+\"?|'(?:[^'\\]|\\.)*+'?|[^\s,;&'\"]++)"
    )


def _mask_pairs(pattern: re.Pattern[str], searched: str, text: str) -> str:
    """``text`` with the value of each ``pattern`` match in ``searched`` (``text`` itself or a
    same-length lower-cased copy) replaced by ``***``, keeping its quotes."""
    parts: list[str] = []
    last = 0
    for match in pattern.finditer(searched):
        start, end = match.span("value")
        quote = text[start] if text[start] in "'\"" else ""
        if not quote:
            end -= _closers(text[start:end])
        parts += (text[last:start], quote, MASK, quote)
        last = end
    if not parts:
        return text
    parts.append(text[last:])
    return "".join(parts)


_PORT = re.compile(r"\d{1,5}+(?:[/?#]|$)")


_OPENERS = {")": "(", "]": "[", "}": "{", ">": "<"}


def _closers(value: str) -> int:
    """How many brackets end a bare ``value`` without having opened in it: the end of the repr
    around it (``<Client password=x>``, ``Config(token=x)``), which stays shown (at most 8:
    nesting deeper than that is not a repr's end)."""
    excess = {c: value.count(c) - value.count(o) for c, o in _OPENERS.items()}
    count = 0
    while count < min(len(value), 8) and excess.get(closer := value[-1 - count], 0) > 0:
        excess[closer] -= 1
        count += 1
    return count


def _mask_authority(match: re.Match[str], cut: bool) -> str:
    """``://user:password@host`` -> ``://user:***@host``: the password runs to the *last*
    ``@`` of the authority (``p@ss`` included); an empty user (``redis://:pw@host``) is kept
    empty. A ``user:pass`` cut off by the window's end before its ``@`` is masked too, and so
    is a password holding an unencoded ``/``, ``?`` or ``#`` (``app:pa/ss@db``: RFC 3986 wants
    it percent-encoded, people do not), unless what follows the colon reads as a port."""
    auth, rest = match.group("auth"), match.group("rest") or ""
    userinfo, at, host = auth.rpartition("@")
    if not at:
        user, colon, password = auth.partition(":")
        head, at_in_rest, tail = rest.rpartition("@")
        if colon and at_in_rest and "@" not in user and not _PORT.match(password + head):
            return f"://{user}:{MASK}@{tail}"
        reaches_end = match.end() == len(match.string)
        if not (cut and reaches_end and colon and not rest):
            return match.group(0)
        userinfo, host = auth, ""
    user, colon, _password = userinfo.partition(":")
    if not colon:
        return match.group(0)
    return f"://{user}:{MASK}{at}{host}{rest}"


def _safe_repr(value: Any) -> str:
    try:
        return repr(value)
    except Exception:
        return f"<{type(value).__name__} object: repr() failed>"


_repr = reprlib.Repr()
_repr.maxstring = 120
_repr.maxother = 120
_repr.maxlevel = _DEPTH
_repr.maxdict = _repr.maxlist = _repr.maxtuple = _repr.maxset = _repr.maxfrozenset = _WIDTH - 1


def bounded_repr(value: Any, limit: int = REPR_LIMIT) -> str:
    """``repr(value)`` cut to ``limit`` characters; never raises, never needs JSON."""
    try:
        text = _repr.repr(value)
    except Exception:
        text = f"<{type(value).__name__} object: repr() failed>"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def args_repr(args: tuple[Any, ...], redactor: Redactor) -> str:
    """Positional arguments as a bounded, redacted repr, e.g. ``(1, 'x')``."""
    if not args:
        return "()"  # most tasks: skip the redaction walk and reprlib (index builds)
    return bounded_repr(redactor.redact(tuple(args)))


def kwargs_repr(kwargs: dict[str, Any], redactor: Redactor) -> str:
    """Keyword arguments as a bounded, redacted repr, e.g. ``{'password': '***'}``."""
    if not kwargs:
        return "{}"
    return bounded_repr(redactor.redact(dict(kwargs)))
