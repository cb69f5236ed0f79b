"""Log storage contract: the same behaviour from memory, SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from asyncz_dashboard.storage.base import LogEntry, LogFilter, LogStorage, Retention

from .conftest import NOW, Make, at, make_log


def messages(entries: list[LogEntry]) -> list[str]:
    """The messages, in order."""
    return [e.message for e in entries]


def test_implements_the_protocol(storages: Any) -> None:
    assert isinstance(storages.logs, LogStorage)


def test_add_then_query_returns_every_field_with_ids(storages: Any) -> None:
    entry = LogEntry(
        created=at(1),
        level="ERROR",
        levelno=40,
        logger="app.billing",
        message="charge failed",
        task_id="billing",
        run_id="r1",
        exception="Traceback...\nRuntimeError: no",
    )
    storages.logs.add([entry, make_log(2)])
    newest, oldest = storages.logs.query(LogFilter())
    assert oldest.id > 0 and newest.id > oldest.id
    assert oldest == LogEntry(**{**_fields(entry), "id": oldest.id})
    assert oldest.created.utcoffset() == timedelta(0)
    storages.logs.add([])  # nothing to add is fine


def _fields(entry: LogEntry) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in LogEntry.__dataclass_fields__}


def test_newest_first_and_limit(storages: Any) -> None:
    storages.logs.add([make_log(n) for n in range(1, 6)])
    storages.logs.add([make_log(n) for n in range(6, 11)])
    assert messages(storages.logs.query(LogFilter(limit=3))) == [
        "message 10",
        "message 9",
        "message 8",
    ]
    assert len(storages.logs.query(LogFilter())) == 10
    assert storages.logs.query(LogFilter(limit=0)) == []


def _mixed(storages: Any) -> None:
    storages.logs.add(
        [
            make_log(1, task_id="a", run_id="a1", level="DEBUG", levelno=10),
            make_log(2, task_id="a", run_id="a1", level="INFO", levelno=20, message="Started job"),
            make_log(3, task_id="b", run_id="b1", level="WARNING", levelno=30),
            make_log(4, task_id="a", run_id="a2", level="ERROR", levelno=40, message="Boom"),
            make_log(5, level="CRITICAL", levelno=50, message="scheduler STARTED"),
        ]
    )


def test_filter_by_task_run_and_minimum_level(storages: Any) -> None:
    _mixed(storages)
    q = storages.logs.query
    assert messages(q(LogFilter(task_id="a"))) == ["Boom", "Started job", "message 1"]
    assert messages(q(LogFilter(run_id="a1"))) == ["Started job", "message 1"]
    assert messages(q(LogFilter(level="WARNING"))) == ["scheduler STARTED", "Boom", "message 3"]
    assert messages(q(LogFilter(level="error", task_id="a"))) == ["Boom"]
    assert len(q(LogFilter(level="NOT-A-LEVEL"))) == 5  # unknown level: everything
    assert len(q(LogFilter(level="DEBUG"))) == 5
    assert q(LogFilter(task_id="a", run_id="b1")) == []


def test_text_search_any_case(storages: Any) -> None:
    _mixed(storages)
    q = storages.logs.query
    assert messages(q(LogFilter(q="started"))) == ["scheduler STARTED", "Started job"]
    assert messages(q(LogFilter(q="STARTED", task_id="a"))) == ["Started job"]
    assert q(LogFilter(q="absent")) == []


def test_text_search_treats_wildcards_literally(storages: Any) -> None:
    storages.logs.add(
        [
            make_log(1, message="progress 50% done"),
            make_log(2, message="progress 500 done"),
            make_log(3, message="user_id=7"),
            make_log(4, message="userXid=7"),
        ]
    )
    assert messages(storages.logs.query(LogFilter(q="0%"))) == ["progress 50% done"]
    assert messages(storages.logs.query(LogFilter(q="r_i"))) == ["user_id=7"]


def test_time_range_is_inclusive(storages: Any) -> None:
    storages.logs.add([make_log(n) for n in range(1, 11)])
    q = storages.logs.query
    assert messages(q(LogFilter(since=at(8)))) == ["message 10", "message 9", "message 8"]
    assert messages(q(LogFilter(until=at(2)))) == ["message 2", "message 1"]
    assert messages(q(LogFilter(since=at(4), until=at(5.5)))) == ["message 5", "message 4"]
    assert q(LogFilter(since=at(20))) == []


def test_unicode_html_and_huge_messages_are_stored_verbatim(storages: Any) -> None:
    huge = "x" * 1_000_000 + " ünïcödé"
    storages.logs.add(
        [
            make_log(1, message="<img src=x onerror=alert(1)> & </script>"),
            make_log(2, message="Ärger im Büro — 日本語 🚀", task_id="tâche"),
            make_log(3, message=huge),
        ]
    )
    q = storages.logs.query
    assert messages(q(LogFilter(q="<img"))) == ["<img src=x onerror=alert(1)> & </script>"]
    assert messages(q(LogFilter(q="ärger im büro"))) == ["Ärger im Büro — 日本語 🚀"]
    assert messages(q(LogFilter(q="日本語", task_id="tâche"))) == ["Ärger im Büro — 日本語 🚀"]
    assert messages(q(LogFilter(q="ÜNÏCÖDÉ"))) == [huge]


def test_prune_removes_records_older_than_max_age(make: Make) -> None:
    storages = make(logs=Retention(max_age=3600, max_rows=1000))
    storages.logs.add(
        [
            make_log(1, created=NOW - timedelta(days=3)),
            make_log(2, created=NOW - timedelta(hours=2)),
            make_log(3, created=NOW - timedelta(minutes=1)),
        ]
    )
    assert storages.logs.prune() == 2
    assert messages(storages.logs.query(LogFilter())) == ["message 3"]
    assert storages.logs.prune() == 0


def test_retention_by_count_keeps_the_newest(make: Make) -> None:
    storages = make(logs=Retention(max_age=86400, max_rows=5))
    storages.logs.add([make_log(n) for n in range(1, 5)])
    storages.logs.add([make_log(n) for n in range(5, 9)])
    storages.logs.prune()
    assert messages(storages.logs.query(LogFilter())) == [f"message {n}" for n in range(8, 3, -1)]
