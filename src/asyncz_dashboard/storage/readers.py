"""A small, bounded pool of threads for storage calls made on behalf of the event loop.

Views never wait for a database on the event loop, and never on the loop's default executor
either (shared with everything else in the host, so a hung database there would delay
unrelated work). Each SQL database has its own ``ReaderPool``: a few daemon threads, a cap on
the calls waiting for them, and a deadline per call. A caller that gives up (deadline passed)
gets ``StorageUnavailable``; its call is skipped if it has not started yet.

The threads are daemons on purpose: a thread stuck on a database that stopped answering must
not keep the interpreter from exiting.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from .base import StorageUnavailable

T = TypeVar("T")

DEFAULT_TIMEOUT = 2.0  # seconds: connect, statement and read deadline of the SQL storages
READER_THREADS = 4
MAX_WAITING = 256  # calls queued behind busy threads; more fail at once ("busy")


@dataclass
class _Call:
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Any]
    deadline: float


def _deliver(future: asyncio.Future[Any], value: Any, error: BaseException | None) -> None:
    if future.done():  # the caller gave up (deadline) or was cancelled
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(value)


class ReaderPool:
    """``await pool.run(fn, *args)``: ``fn(*args)`` in one of ``threads`` daemon threads.

    Args:
        timeout: seconds a caller waits for the result (None: no deadline).
        threads: how many calls run at once.
        max_waiting: how many calls may wait for a free thread.
    """

    def __init__(
        self,
        timeout: float | None = DEFAULT_TIMEOUT,
        threads: int = READER_THREADS,
        max_waiting: int = MAX_WAITING,
        name: str = "asyncz-dashboard-reader",
    ):
        self.timeout = timeout
        self.threads = threads
        self.name = name
        self._queue: queue.Queue[_Call | None] = queue.Queue(maxsize=max_waiting)
        self._workers: list[threading.Thread] = []
        self._lock = threading.Lock()

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """The result of ``fn(*args)``, computed off the event loop.

        Raises:
            StorageUnavailable: raised by ``fn``; or too many calls are waiting; or no
                answer within ``timeout`` seconds.
            Exception: whatever else ``fn`` raises.
        """
        loop = asyncio.get_running_loop()
        deadline = time.monotonic() + self.timeout if self.timeout is not None else float("inf")
        call = _Call(fn, args, loop, loop.create_future(), deadline)
        self._start()
        try:
            self._queue.put_nowait(call)
        except queue.Full:
            raise StorageUnavailable("the storage is busy: too many reads waiting") from None
        try:
            result: T = await asyncio.wait_for(call.future, self.timeout)
        except asyncio.TimeoutError:  # TimeoutError itself from Python 3.11
            raise StorageUnavailable(
                f"the storage did not answer within {self.timeout:g} s"
            ) from None
        return result

    @property
    def waiting(self) -> int:
        """How many calls wait for a free thread (approximately: others may be adding)."""
        return self._queue.qsize()

    def _start(self) -> None:
        if len(self._workers) == self.threads:
            return
        with self._lock:
            while len(self._workers) < self.threads:
                worker = threading.Thread(target=self._work, name=self.name, daemon=True)
                worker.start()
                self._workers.append(worker)

    def _work(self) -> None:
        while (call := self._queue.get()) is not None:
            if call.future.done() or time.monotonic() > call.deadline:
                continue  # nobody waits for it any more: spare the database
            value: Any = None
            error: BaseException | None = None
            try:
                value = call.fn(*call.args)
            except BaseException as exc:
                error = exc
            try:
                call.loop.call_soon_threadsafe(_deliver, call.future, value, error)
            except RuntimeError:  # the loop was closed meanwhile
                pass
            del call, value, error  # drop references while idle

    def close(self) -> None:
        """Stop the threads once the queued calls are done, without waiting for them (a later
        call starts new ones)."""
        with self._lock:
            for _ in self._workers:
                try:
                    self._queue.put_nowait(None)
                except queue.Full:
                    break  # the threads are daemons: they end with the process
            self._workers.clear()


# Storages without a pool of their own (memory, or an object of yours): memory answers at once;
# the deadline only keeps a page from waiting forever on a storage object that hangs.
SHARED_READERS = ReaderPool(timeout=30.0, name="asyncz-dashboard-shared-reader")


def readers_for(fn: Callable[..., Any]) -> ReaderPool:
    """The pool that should run the storage method ``fn``: its storage's own ``readers``
    (the SQL storages have one per database), else a pool shared by the others."""
    pool = getattr(getattr(fn, "__self__", None), "readers", None)
    return pool if isinstance(pool, ReaderPool) else SHARED_READERS
