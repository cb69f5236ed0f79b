"""Brute-force protection for the login form.

After ``max_failures`` failed logins within ``window`` seconds for one username or one client
address, further attempts get 429 with ``Retry-After`` (RFC 6585, 4) for ``base_delay``
seconds, doubling with each lockout up to ``max_delay``.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field


@dataclass
class _Record:
    failures: deque[float] = field(default_factory=deque)
    lockouts: int = 0
    locked_until: float = 0.0


class LoginThrottle:
    """Counts failed logins per key (``user:<name>``, ``addr:<ip>``) in process memory.

    Args:
        max_failures: failures allowed within ``window`` before a lockout.
        window: the counting window, in seconds (default 15 minutes).
        base_delay: the first lockout, in seconds; each further lockout doubles it.
        max_delay: the longest lockout, in seconds (default 15 minutes).
        clock: a monotonic clock in seconds (tests pass their own).
    """

    def __init__(
        self,
        max_failures: int = 5,
        window: float = 900.0,
        base_delay: float = 60.0,
        max_delay: float = 900.0,
        clock: object = None,
    ):
        self.max_failures = max_failures
        self.window = window
        self.base_delay = base_delay
        self.max_delay = max_delay
        self._clock = clock if callable(clock) else time.monotonic
        self._records: dict[str, _Record] = {}
        self._lock = threading.Lock()

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
            if len(self._records) > 100_000:
                self._records.clear()  # bounded memory under a flood of distinct keys
            for key in keys:
                record = self._records.setdefault(key, _Record())
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
