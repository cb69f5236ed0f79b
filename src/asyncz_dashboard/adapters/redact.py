"""Secret masking and bounded reprs for task arguments (and later, log text).

A value under a key that looks like a secret is replaced by ``***`` wherever it is nested in
dicts, lists and tuples; credentials in URLs and ``key=value`` text are masked too. Reprs are
bounded with ``reprlib`` so a huge or hostile argument cannot blow up a page.
"""

from __future__ import annotations

import re
import reprlib
from collections.abc import Iterable
from typing import Any

DEFAULT_SECRET_KEYS = (
    "password",
    "passwd",
    "pwd",
    "secret",
    "token",
    "api_key",
    "apikey",
    "api-key",
    "authorization",
    "auth",
    "credential",
    "private_key",
    "access_key",
    "session",
    "cookie",
)
MASK = "***"
REPR_LIMIT = 200


class _Masked:
    def __repr__(self) -> str:
        return repr(MASK)


_MASKED = _Masked()


class Redactor:
    """Decides which keys hold secrets and masks them.

    Args:
        extra: more key fragments (case-insensitive substrings) or regular expressions
            that mark a key as secret, added to ``DEFAULT_SECRET_KEYS``.
    """

    def __init__(self, extra: Iterable[str] = ()):
        fragments = [re.escape(k) for k in DEFAULT_SECRET_KEYS] + list(extra)
        self.key_pattern = re.compile("|".join(f"(?:{f})" for f in fragments), re.IGNORECASE)
        names = "|".join(re.escape(k) for k in DEFAULT_SECRET_KEYS)
        # The key may close a quote before its separator: dict reprs and JSON
        # ({'password': 'x'}, {"password": "x"}) are masked like password=x.
        self._text_pattern = re.compile(
            rf"(?i)\b([\w-]*(?:{names})[\w-]*)([\"']?\s*[=:]\s*)(\"[^\"]*\"|'[^']*'|[^\s,;&'\"]+)"
        )
        self._url_pattern = re.compile(r"(?i)([a-z][a-z0-9+.-]*://[^:/@\s]+):[^@/\s]+@")

    def is_secret(self, key: object) -> bool:
        """True when ``key`` (a dict key or kwarg name) looks like it holds a secret."""
        return isinstance(key, str) and bool(self.key_pattern.search(key))

    def mask_text(self, text: str) -> str:
        """Mask ``password=...`` and ``'password': ...`` pairs and URL credentials in free
        text."""
        text = self._url_pattern.sub(r"\1:***@", text)
        return self._text_pattern.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)

    def redact(self, value: Any, depth: int = 0) -> Any:
        """A copy of ``value`` with secret-keyed entries masked (containers up to depth 4)."""
        if depth > 4:
            return value
        if isinstance(value, dict):
            return {
                k: _MASKED if self.is_secret(k) else self.redact(v, depth + 1)
                for k, v in list(value.items())[:50]
            }
        if isinstance(value, (list, tuple)):
            items = [self.redact(v, depth + 1) for v in list(value)[:50]]
            return tuple(items) if isinstance(value, tuple) else items
        if isinstance(value, str):
            return self.mask_text(value)
        return value


_repr = reprlib.Repr()
_repr.maxstring = 120
_repr.maxother = 120
_repr.maxlevel = 3
_repr.maxdict = _repr.maxlist = _repr.maxtuple = _repr.maxset = 10


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
    return bounded_repr(tuple(redactor.redact(list(args))))


def kwargs_repr(kwargs: dict[str, Any], redactor: Redactor) -> str:
    """Keyword arguments as a bounded, redacted repr, e.g. ``{'password': '***'}``."""
    if not kwargs:
        return "{}"
    return bounded_repr(redactor.redact(dict(kwargs)))
