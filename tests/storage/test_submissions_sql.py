"""Shared submission ids in SQL: one claim per key while it lives, its outcome for repeats,
a failure forgotten, expired claims pruned; and the change counters move on every write."""

from __future__ import annotations

import pytest

from asyncz_dashboard.storage.sql import open_sql

from .conftest import make_log, make_run


@pytest.fixture(params=["sqlite_url", "pg_url"])
def url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue(request.param))


def test_one_claim_per_key_its_outcome_for_repeats_and_a_failure_forgotten(url: str) -> None:
    first, other = open_sql(url), open_sql(url)  # two processes' pools
    try:
        assert first.submissions.claim('["s1", "pause", "t1"]', 600)
        assert not other.submissions.claim('["s1", "pause", "t1"]', 600)
        assert other.submissions.claim('["s1", "pause", "t2"]', 600)  # the next task's button
        assert other.submissions.outcome('["s1", "pause", "t1"]') == (True, None)  # acting
        first.submissions.settle('["s1", "pause", "t1"]', '{"text": "Paused"}')
        assert other.submissions.outcome('["s1", "pause", "t1"]') == (True, '{"text": "Paused"}')

        other.submissions.settle('["s1", "pause", "t2"]', None)  # it failed: a retry may act
        assert other.submissions.outcome('["s1", "pause", "t2"]') == (False, None)
        assert first.submissions.claim('["s1", "pause", "t2"]', 600)

        assert first.submissions.claim("expired", -1)
        assert other.submissions.outcome("expired") == (False, None)
        assert other.submissions.claim("expired", 600)  # an expired claim is taken again
        assert first.submissions.claim("old", -1)
        assert first.submissions.prune() == 1
    finally:
        first.close()
        other.close()


def test_every_committed_write_moves_the_change_counters_seen_by_another_pool(url: str) -> None:
    writer, reader = open_sql(url), open_sql(url)
    try:
        before = dict(reader.database.changes())
        assert set(before) == {"runs", "logs", "events", "audit"}
        writer.runs.save(make_run(1))
        writer.logs.add([make_log(1), make_log(2)])
        after = dict(reader.database.changes())
        assert after["runs"] > before["runs"] and after["logs"] > before["logs"]
        assert after["events"] == before["events"] and after["audit"] == before["audit"]
        writer.events.prune()
        assert dict(reader.database.changes())["events"] > before["events"]
    finally:
        writer.close()
        reader.close()
