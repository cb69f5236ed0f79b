"""Brute-force protection for the login form.

After ``max_failures`` failed logins within ``window`` seconds for one username or one client
address, further attempts get 429 with ``Retry-After`` (RFC 6585, 4) for ``base_delay``
seconds, doubling with each lockout up to ``max_delay``.
"""

from __future__ import annotations

import ipaddress
import itertools
import logging
import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field

logger = logging.getLogger("asyncz_dashboard")

DEFAULT_MAX_KEYS = 100_000


@dataclass
class _Record:
    failures: deque[float] = field(default_factory=deque)
    lockouts: int = 0
    locked_until: float = 0.0


def address_key(address: str) -> str:
    """The throttle key of a client address: ``addr:<IPv4>``, or ``addr:<prefix>/64`` for
    IPv6, since one host usually holds a whole /64 (RFC 7421) and could rotate inside it."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return f"addr:{address[:64]}"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return f"addr:{ip.ipv4_mapped}"
        return f"addr:{ipaddress.IPv6Network((ip, 64), strict=False)}"
    return f"addr:{ip}"


class LoginThrottle:
    """Counts failed logins per key (``user:<name>``, ``addr:<ip>``) in process memory.

    Memory is bounded by ``max_keys``: when full, records with no live lockout and no failure
    in the window are dropped first, then the least recently failed ones without a live
    lockout. A live lockout is never dropped, so a flood of distinct keys cannot lift it.

    Args:
        max_failures: failures allowed within ``window`` before a lockout.
        window: the counting window, in seconds (default 15 minutes).
        base_delay: the first lockout, in seconds; each further lockout doubles it.
        max_delay: the longest lockout, in seconds (default 15 minutes).
        clock: a monotonic clock in seconds (tests pass their own).
        max_keys: the most keys tracked at once.
    """

    def __init__(
        self,
        max_failures: int = 5,
        window: float = 900.0,
        base_delay: float = 60.0,
        max_delay: float = 900.0,
        clock: object = None,
        max_keys: int = DEFAULT_MAX_KEYS,
    ):
        self.max_failures = max_failures
        self.window = window
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.max_keys = max(1, max_keys)
        self._clock = clock if callable(clock) else time.monotonic
        # Least recently failed first, so eviction takes the stalest records.
        self._records: OrderedDict[str, _Record] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def tracked_keys(self) -> int:
        """How many keys are tracked now (at most ``max_keys``)."""
        return len(self._records)

    def retry_after(self, keys: list[str]) -> int:
        """Seconds to wait before ``keys`` may try again (0 when not locked)."""
        now = self._clock()
        with self._lock:
            waits = [r.locked_until - now for k in keys if (r := self._records.get(k))]
        wait = max([0.0, *waits])
        return int(wait) + (1 if wait % 1 else 0)

    def failure(self, keys: list[str]) -> None:
        """Record one failed login for every key."""
        now = self._clock()
        with self._lock:
            for key in keys:
                record = self._record(key, now)
                if record is None:
                    continue
                while record.failures and record.failures[0] <= now - self.window:
                    record.failures.popleft()
                record.failures.append(now)
                if len(record.failures) >= self.max_failures:
                    delay = min(self.base_delay * 2**record.lockouts, self.max_delay)
                    record.lockouts += 1
                    record.locked_until = now + delay
                    record.failures.clear()

    def success(self, keys: list[str]) -> None:
        """Forget the failures of ``keys`` after a good login."""
        with self._lock:
            for key in keys:
                self._records.pop(key, None)

    def _record(self, key: str, now: float) -> _Record | None:
        record = self._records.get(key)
        if record is not None:
            self._records.move_to_end(key)
            return record
        if len(self._records) >= self.max_keys and not self._evict(now):
            logger.warning("Login throttle full of live lockouts; not counting %s", key[:80])
            return None
        record = self._records[key] = _Record()
        return record

    def _evict(self, now: float) -> bool:
        """Free about a tenth of the room (amortised: one sweep per many new keys); False when
        every record is a live lockout."""
        expired = [k for k, r in self._records.items() if self._expired(r, now)]
        for key in expired:
            del self._records[key]
        target = self.max_keys - max(1, self.max_keys // 10)
        if len(self._records) > target:
            unlocked = (k for k, r in self._records.items() if r.locked_until <= now)
            excess = list(itertools.islice(unlocked, len(self._records) - target))
            for key in excess:
                del self._records[key]
        return len(self._records) < self.max_keys

    def _expired(self, record: _Record, now: float) -> bool:
        recent = record.failures and record.failures[-1] > now - self.window
        return record.locked_until <= now and not recent
