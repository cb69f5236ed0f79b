"""Other processes' writes to a shared storage, seen through its change counters.

A SQL storage shared by several processes (``storage="postgresql://..."`` or one SQLite file)
raises a change counter in the transaction of every write (``Database.changes``). The
``Writer``'s version covers this process's writes only; ``SharedChanges`` watches the counters
in one daemon thread, at most once per ``every`` seconds and only while someone reads the
version (a live page polling), and calls ``on_change`` when they moved. A page's poll never
waits for the database: it reads the version, which the thread has already bumped.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

from ..storage import Storages

WATCH_EVERY = 1.0  # seconds between two reads of the counters
WATCH_IDLE = 30.0  # the thread stops when the version was not read for this long

Source = Callable[[], object]


def change_sources(storages: Storages) -> list[Source]:
    """The distinct ``changes`` readers of ``storages`` (none for memory storages; one for the
    four SQL storages over one database)."""
    sources: list[Source] = []
    for kind in ("runs", "logs", "events", "audit"):
        read = getattr(getattr(storages, kind), "changes", None)
        if callable(read) and read not in sources:  # bound methods of one database compare equal
            sources.append(read)
    return sources


class SharedChanges:
    """Calls ``on_change()`` (from its thread) soon after any ``sources`` value moves.

    Args:
        sources: callables returning a comparable value that moves on every committed write
            (they may raise: a storage that is down is tried again at the next interval).
        on_change: called once per observed move, and once for the first reading (a page
            rendered before it may be older than it).
        every: seconds between readings. idle: seconds without ``seen()`` after which the
            thread stops (the next ``seen()`` starts it again).
    """

    def __init__(
        self,
        sources: Sequence[Source],
        on_change: Callable[[], None],
        every: float = WATCH_EVERY,
        idle: float = WATCH_IDLE,
    ):
        self.sources = list(sources)
        self.on_change = on_change
        self.every = every
        self.idle = idle
        self._last_seen = 0.0
        self._values: list[object] | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()

    def seen(self) -> None:
        """Someone reads the version now: keep watching (cheap: no I/O, on any thread)."""
        if not self.sources:
            return
        self._last_seen = time.monotonic()
        if self._thread is None and not self._stop.is_set():
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._watch, name="asyncz-dashboard-changes", daemon=True
                    )
                    self._thread.start()

    def _watch(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                if time.monotonic() - self._last_seen > self.idle:
                    self._thread = None  # under the lock: seen() starts a new one if needed
                    return
            self.check()
            self._stop.wait(self.every)

    def check(self) -> None:
        """Read the counters once, in this thread; ``on_change()`` if they moved."""
        values: list[object] = []
        for read in self.sources:
            try:
                values.append(read())
            except Exception:
                return  # down or slow: the next reading tells
        if values != self._values:
            self._values = values
            self.on_change()

    def close(self) -> None:
        """Stop the thread (it ends within one reading). Not joined: over a hung database a
        reading may take as long as the database's own timeouts, and shutdown must not."""
        self._stop.set()
