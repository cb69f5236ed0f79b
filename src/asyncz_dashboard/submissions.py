"""Single-use submission ids: one submission of a rendered action form acts at most once.

Every page or fragment that renders action forms carries one random submission id (see
``new_submission_id``). A POST names its action by ``(id, action, target)``: the first POST
with a key acts and its ``Outcome`` is kept for ``ttl`` seconds; a later POST with the same key
(a double click, a browser or proxy retry) does not act again and is answered with that
outcome. While the first is still acting, the later one waits for it.

Keys are shared by the web processes when a SQL storage is (``shared=``, the storage bundle's
``SqlSubmissionStorage``): the first process to claim a key in the database acts, and a repeat
that lands on another process waits there for the first one's outcome (polled every
``POLL`` seconds, at most ``wait`` seconds, then 409). When the database cannot be reached, a
submission is recognised in its own process only (and actions that write the audit fail
anyway). A POST without a submission id (a hand-made request, such as curl's) acts every
time: nothing names its repeats.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from .asgi.exceptions import BadRequest, HTTPError
from .storage.readers import readers_for

FIELD = "submission_id"
_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")
STALE_FORM = "This form is out of date; reload the page and try again."

Key = tuple[str, str, str]
POLL = 0.1  # seconds between two looks at another process's claim
logger = logging.getLogger("asyncz_dashboard.storage")


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
        max_entries: outcomes kept at most (in this process); the oldest go first.
        clock: a monotonic clock in seconds (tests pass their own).
        shared: claims and outcomes shared with the other processes (``claim``, ``outcome``,
            ``settle``, as ``SqlSubmissionStorage``), or None for this process only.
        wait: seconds a repeat waits for another process's first submission to answer.
    """

    def __init__(
        self,
        ttl: float = 600.0,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
        shared: Any = None,
        wait: float = 30.0,
    ):
        self.shared = shared
        self.wait = wait
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
        if self.shared is not None and not await self._claim_shared(key):
            outcome = await self._shared_outcome(key)  # another process acts, or acted
            self._settle(key, outcome)
            if outcome is None:
                raise FirstSubmissionFailed(
                    "An earlier submission of this form failed or is still under way; reload "
                    "the page and check before trying again."
                )
            return outcome, False
        try:
            outcome = await act()
        except BaseException:
            self._settle(key, None)
            await self._settle_shared(key, None)
            raise
        await self._settle_shared(key, outcome)
        self._settle(key, outcome)
        return outcome, True

    # -- across processes (a shared SQL storage) ---------------------------------------------
    @staticmethod
    def _text(key: Key) -> str:
        return json.dumps(key)

    @staticmethod
    async def _shared(fn: Callable[..., Any], *args: Any) -> Any:
        # In the storage's reader pool, with its deadline: a hung database never holds a POST.
        return await readers_for(fn).run(fn, *args)

    async def _claim_shared(self, key: Key) -> bool:
        """True when this process acts: it claimed ``key``, or the database is unreachable."""
        try:
            return bool(await self._shared(self.shared.claim, self._text(key), self.ttl))
        except Exception as exc:
            logger.warning("Submission ids are per process while the storage is down: %s", exc)
            return True

    async def _shared_outcome(self, key: Key) -> Outcome | None:
        """The outcome of another process's first submission of ``key``, waiting while it
        acts; None when it failed, vanished or did not answer within ``wait`` seconds."""
        deadline = self._clock() + self.wait
        while self._clock() < deadline:
            try:
                claimed, text = await self._shared(self.shared.outcome, self._text(key))
            except Exception:
                claimed, text = True, None  # try again until the deadline
            if not claimed:
                return None
            if text is not None:
                try:
                    return Outcome(**json.loads(text))
                except (TypeError, ValueError):
                    return None
            await asyncio.sleep(POLL)
        return None

    async def _settle_shared(self, key: Key, outcome: Outcome | None) -> None:
        if self.shared is None:
            return
        text = json.dumps(asdict(outcome)) if outcome is not None else None
        try:
            await self._shared(self.shared.settle, self._text(key), text)
        except Exception as exc:
            logger.warning("Could not share a submission's outcome: %s", exc)

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
