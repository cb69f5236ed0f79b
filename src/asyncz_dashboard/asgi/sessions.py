"""Signed-cookie sessions (itsdangerous), as small and strict as the dashboard needs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from itsdangerous import BadSignature, TimestampSigner

# Seconds a cookie may be dated in the future: the clocks of the machines of one dashboard
# (several workers, a restarted host) differ a little. Further ahead, it reads as forged.
CLOCK_SKEW = 300
VERIFIED_KEEP = 1024  # cookie values whose signature was checked, kept (oldest dropped first)


@dataclass(frozen=True)
class CookieSettings:
    """How the session cookie is set (RFC 6265, 4.1.2).

    Args:
        name: the cookie name.
        path: one deterministic ``Path`` for set and delete alike.
        domain: the ``Domain`` attribute, or None for a host-only cookie.
        max_age: lifetime in seconds; an older signature reads as no session.
        same_site: ``lax``, ``strict`` or ``none`` (``none`` forces ``Secure``).
        https_only: add ``Secure``.
    """

    name: str = "asyncz_dashboard_session"
    path: str = "/"
    domain: str | None = None
    max_age: int = 14 * 24 * 3600
    same_site: Literal["lax", "strict", "none"] = "lax"
    https_only: bool = False


class SessionCodec:
    """Turns a session dict into a signed cookie value and back.

    A tampered, expired, foreign-secret or future-dated cookie (beyond ``CLOCK_SKEW`` seconds,
    as another machine's clock may be ahead) loads as an empty session, never as an error.
    """

    def __init__(self, secret_key: str, settings: CookieSettings):
        self.settings = settings
        self._signer = TimestampSigner(secret_key, salt="asyncz-dashboard.session")
        self._verified: dict[str, tuple[bytes, int]] = {}  # cookie value -> (payload, signed at)

    def load(self, value: str | None) -> dict[str, Any]:
        """Verify and decode a cookie value; anything invalid gives ``{}``."""
        if not value:
            return {}
        try:
            verified = self._verified.get(value)
            if verified is None:
                verified = self._unsign(value)
            raw, signed_at = verified
            age = self._signer.get_timestamp() - signed_at  # whole seconds, checked every time
            if not -CLOCK_SKEW <= age <= self.settings.max_age:
                return {}
            data = json.loads(raw)
        except (BadSignature, ValueError, TypeError, OverflowError, OSError):
            return {}
        return data if isinstance(data, dict) else {}

    def _unsign(self, value: str) -> tuple[bytes, int]:
        """Check the signature of ``value`` (raising ``BadSignature``) and remember the result:
        a browser sends the same cookie with every poll, and only the same bytes hit."""
        # Without max_age: itsdangerous refuses any future timestamp; the age is ours to judge.
        raw, signed_at = self._signer.unsign(value, return_timestamp=True)
        verified = (raw, int(signed_at.timestamp()))
        if len(self._verified) >= VERIFIED_KEEP:
            self._verified.pop(next(iter(self._verified)))
        self._verified[value] = verified
        return verified

    def dump(self, session: dict[str, Any]) -> str:
        """A ``Set-Cookie`` header value carrying ``session`` (deleting it when empty)."""
        s = self.settings
        if not session:
            return self._header("", max_age=0, expires="Thu, 01 Jan 1970 00:00:00 GMT")
        # ';' ends a cookie value in browsers (RFC 6265, 5.2): a task name with one in a flash
        # message would cut the cookie short. Outside strings our JSON has none; inside, escape.
        payload = json.dumps(session, separators=(",", ":")).replace(";", "\\u003b")
        value = self._signer.sign(payload).decode("ascii")
        return self._header(value, max_age=s.max_age)

    def _header(self, value: str, *, max_age: int, expires: str | None = None) -> str:
        s = self.settings
        parts = [f"{s.name}={value}", f"Path={s.path}", f"Max-Age={max_age}", "HttpOnly"]
        if expires:
            parts.append(f"Expires={expires}")
        if s.domain:
            parts.append(f"Domain={s.domain}")
        parts.append(f"SameSite={s.same_site.capitalize()}")
        if s.https_only or s.same_site == "none":
            parts.append("Secure")
        return "; ".join(parts)
