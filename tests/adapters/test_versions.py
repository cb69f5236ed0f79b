"""The change counters live pages read: bumped by every real change, never by a no-op."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timezone

from asyncz_dashboard.adapters.index import TaskIndex
from asyncz_dashboard.history import Writer
from asyncz_dashboard.storage import open_storages
from asyncz_dashboard.storage.base import LogEntry, LogFilter

from .test_index import make


def log_entry() -> LogEntry:
    return LogEntry(
        created=datetime.now(timezone.utc),
        level="INFO",
        levelno=logging.INFO,
        logger="x",
        message="one line",
    )


def test_the_index_version_counts_real_changes_only() -> None:
    index = TaskIndex()
    first, second = make("a", "scheduled", 5, "Sync orders", 1), make("b", "paused", 9, "B", 2)
    seen = [index.version]

    def changed() -> bool:
        seen.append(index.version)
        return seen[-1] != seen[-2]

    index.replace_all([first, second])
    assert changed()
    index.replace_all([first, second])  # a background re-read that found nothing new
    assert not changed()
    index.upsert(first)  # the same snapshot again (an event that changed nothing shown)
    assert not changed()
    index.upsert(replace(first, name="Renamed"))
    assert changed()
    index.discard("nope")
    assert not changed()
    index.discard("b")
    assert changed()
    index.replace_all([])
    assert changed()


def test_the_writer_version_moves_after_each_record_lands() -> None:
    writer = Writer(open_storages())  # memory storages: written at once
    before = writer.version
    entry = log_entry()
    writer.put("logs", entry)
    assert writer.version != before
    assert [e.message for e in writer.storages.logs.query(LogFilter())] == ["one line"]
    before = writer.version
    writer.prune()
    assert writer.version != before


def test_each_kind_has_its_own_writer_counter() -> None:
    writer = Writer(open_storages())
    entry = log_entry()
    runs, logs = writer.version_of(("runs",)), writer.version_of(("logs",))
    writer.put("logs", entry)
    assert writer.version_of(("runs",)) == runs  # a page of runs stays current
    assert writer.version_of(("logs",)) != logs
    before = writer.version_of(("runs", "logs", "events", "audit"))
    writer.prune()  # retention may remove any kind
    after = writer.version_of(("runs", "logs", "events", "audit"))
    assert all(a != b for a, b in zip(after, before, strict=True))
