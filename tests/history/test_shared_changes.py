"""The change watcher reads a shared storage's counters only while someone reads the version,
never on the reader's thread, and survives a storage that is down."""

from __future__ import annotations

import threading
import time

from asyncz_dashboard.recording import Writer
from asyncz_dashboard.recording.changes import SharedChanges
from asyncz_dashboard.storage import open_storages


def wait_for(predicate: object, timeout: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(predicate) and predicate():
            return True
        time.sleep(0.01)
    return False


def test_memory_storages_have_nothing_to_watch() -> None:
    writer = Writer(open_storages())
    assert writer.shared.sources == []
    before = threading.active_count()
    assert writer.version == 0
    assert threading.active_count() == before


def test_the_watcher_reads_while_read_stops_when_idle_and_starts_again() -> None:
    value = [0]
    reads = [0]
    moves = [0]

    def source() -> int:
        reads[0] += 1
        if value[0] < 0:
            raise OSError("database down")
        return value[0]

    watcher = SharedChanges([source], lambda: moves.__setitem__(0, moves[0] + 1), 0.02, 0.2)
    try:
        watcher.seen()
        assert wait_for(lambda: moves[0] == 1)  # the first reading counts as a change
        value[0] = -1  # down: no change, no exception
        time.sleep(0.1)
        value[0] = 5
        watcher.seen()
        assert wait_for(lambda: moves[0] == 2)
        assert wait_for(lambda: watcher._thread is None)  # idle: stopped
        stopped_at = reads[0]
        time.sleep(0.1)
        assert reads[0] == stopped_at  # no reading while nobody looks
        value[0] = 6
        watcher.seen()
        assert wait_for(lambda: moves[0] == 3)
    finally:
        watcher.close()
