"""A task snapshot survives JSON, as the fleet's rows carry it."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asyncz_dashboard.adapters.snapshots import TaskSnapshot

BASE = TaskSnapshot(
    id="reports/nightly é",
    name="Build <nightly> report",
    callable_name="build_report",
    callable_reference="app.jobs:build_report",
    trigger_alias="cron",
    trigger_text="at 03:00",
    trigger_raw="cron[hour='3']",
    next_run_time=datetime(2026, 12, 3, 3, 0, tzinfo=timezone.utc),
    next_run_text="3 Dec 2026 03:00 UTC",
    store="reports",
    executor="threads",
    state="scheduled",
    coalesce=True,
    max_instances=2,
    misfire_grace_time=1.5,
    args_repr="('nightly',)",
    kwargs_repr="{'password': '***'}",
    search_text="reports/nightly é build <nightly> report",
)


def test_round_trip_keeps_every_field() -> None:
    one_off = replace(
        BASE,
        state="paused",
        next_run_time=None,
        one_off_run_at=datetime(2026, 1, 1, tzinfo=timezone.utc),
        misfire_grace_time=None,
        worker="worker-1",
    )
    for snapshot in (BASE, one_off):
        assert TaskSnapshot.from_json(snapshot.to_json()) == snapshot


@given(st.text(), st.text(), st.datetimes(timezones=st.just(timezone.utc)) | st.none())
def test_round_trip_of_any_text_and_time(name: str, args: str, when: datetime | None) -> None:
    snapshot = replace(BASE, name=name, args_repr=args, next_run_time=when)
    assert TaskSnapshot.from_json(snapshot.to_json()) == snapshot


def test_arrays_come_back_as_tuples() -> None:
    from asyncz_dashboard.adapters.snapshots import _tuples

    assert _tuples([1, [2.5, "x"], []]) == (1, (2.5, "x"), ())


def test_unknown_keys_are_ignored_and_bad_text_is_a_value_error() -> None:
    text = BASE.to_json()[:-1] + ',"from_a_newer_worker":1}'
    assert TaskSnapshot.from_json(text) == BASE
    for bad in ("not json", "[1]", '{"id": "x"}'):
        with pytest.raises(ValueError):
            TaskSnapshot.from_json(bad)
