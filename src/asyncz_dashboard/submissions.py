"""Single-use submission ids: one submission of a rendered action form acts at most once.

Every page or fragment that renders action forms carries one random submission id (see
``new_submission_id``). A POST names its action by ``(id, action, target)``: the first POST
with a key acts and its ``Outcome`` is kept for ``ttl`` seconds; a later POST with the same key
(a double click, a browser or proxy retry) does not act again and is answered with that
outcome. While the first is still acting, the later one waits for it. Keys are per process:
with several worker processes a retry that lands on another worker is not recognised.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from .asgi.exceptions import BadRequest, HTTPError

FIELD = "submission_id"
_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")
STALE_FORM = "This form is out of date; reload the page and try again."

Key = tuple[str, str, str]


def new_submission_id() -> str:
    """A fresh random id (22 URL-safe characters) for one rendered page or fragment."""
    return secrets.token_urlsafe(16)


def submission_id(form: Mapping[str, str]) -> str:
    """The submission id a form carries, or "" when it carries none (a hand-made request, such
    as curl's: it acts, but is not recognised when repeated).

    Raises:
        BadRequest: the id is malformed: nothing is done.
    """
    value = form.get(FIELD, "")
    if value and not _ID.fullmatch(value):
        raise BadRequest(STALE_FORM)
    return value


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the first submission answered: a flash message and where a plain POST went."""

    level: str
    text: str
    location: str
    ok: bool = True


class FirstSubmissionFailed(HTTPError):
    """409: an earlier submission of this form failed before it could answer."""

    status = 409
    title = "Conflict"


@dataclass
class _Entry:
    expires: float
    outcome: Outcome | None = None
    waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[Outcome | None]]] = field(
        default_factory=list
    )


class Submissions:
    """The outcomes of recent submissions, thread-safe and bounded.

    Args:
        ttl: seconds an outcome is remembered (a retry later than that acts again).
        max_entries: outcomes kept at most; the oldest go first.
        clock: a monotonic clock in seconds (tests pass their own).
    """

    def __init__(
        self,
        ttl: float = 600.0,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.ttl = ttl
        self.max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[Key, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    async def once(self, key: Key, act: Callable[[], Awaitable[Outcome]]) -> tuple[Outcome, bool]:
        """Run ``act`` for the first submission of ``key``; ``(outcome, acted)``.

        A repeated ``key`` gets the first outcome and ``acted`` False, waiting while the first
        is still acting.

        Raises:
            FirstSubmissionFailed: the first submission of ``key`` raised (it may or may not
                have acted, so this one does not try again).
        """
        if not key[0]:
            return await act(), True  # no id: nothing to recognise a repeat by
        waiter = self._claim(key)
        if waiter is not None:
            outcome = await waiter
            if outcome is None:
                raise FirstSubmissionFailed(
                    "An earlier submission of this form failed; reload the page and check "
                    "before trying again."
                )
            return outcome, False
        try:
            outcome = await act()
        except BaseException:
            self._settle(key, None)
            raise
        self._settle(key, outcome)
        return outcome, True

    def _claim(self, key: Key) -> asyncio.Future[Outcome | None] | None:
        """None when this caller is the first (an entry is reserved), else a future that
        resolves to the first outcome."""
        loop = asyncio.get_running_loop()
        now = self._clock()
        with self._lock:
            self._evict(now)
            entry = self._entries.get(key)
            if entry is None:
                self._entries[key] = _Entry(expires=now + self.ttl)
                return None
            future: asyncio.Future[Outcome | None] = loop.create_future()
            if entry.outcome is not None:
                future.set_result(entry.outcome)
            else:
                entry.waiters.append((loop, future))
            return future

    def _settle(self, key: Key, outcome: Outcome | None) -> None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return
            waiters, entry.waiters = entry.waiters, []
            if outcome is None:
                del self._entries[key]  # a failure is not remembered: a fresh page may retry
            else:
                entry.outcome = outcome
        for loop, future in waiters:
            loop.call_soon_threadsafe(_resolve, future, outcome)

    def _evict(self, now: float) -> None:
        while self._entries:
            key, entry = next(iter(self._entries.items()))
            if entry.expires > now and len(self._entries) < self.max_entries:
                return
            del self._entries[key]
            for loop, future in entry.waiters:
                loop.call_soon_threadsafe(_resolve, future, None)


def _resolve(future: asyncio.Future[Outcome | None], outcome: Outcome | None) -> None:
    if not future.done():
        future.set_result(outcome)
