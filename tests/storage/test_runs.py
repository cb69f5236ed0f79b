"""Run history contract: the same behaviour from memory, SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from asyncz_dashboard.storage.base import Retention, Run, RunFilter, RunStorage

from .conftest import NOW, Make, at, make_run


def ids(runs: list[Run]) -> list[str]:
    """The run ids, in order."""
    return [r.run_id for r in runs]


def test_implements_the_protocol(storages: Any) -> None:
    assert isinstance(storages.runs, RunStorage)


def test_save_then_get_returns_every_field(storages: Any) -> None:
    run = Run(
        run_id="abc123",
        task_id="billing.invoices",
        task_name="Send invoices",
        callable="app.billing:send_invoices",
        store="default",
        executor="threads",
        scheduler="web-1",
        scheduled_run_time=at(0),
        source="manual",
        status="failed",
        submitted_at=at(1),
        finished_at=at(3.5),
        duration=2.5,
        return_value="None",
        exception_type="ValueError",
        exception_message="bad invoice 42",
        traceback='Traceback (most recent call last):\n  File "x.py", line 1\nValueError',
    )
    storages.runs.save(run)
    assert storages.runs.get("abc123") == run
    assert storages.runs.get("missing") is None


def test_times_come_back_as_aware_utc(storages: Any) -> None:
    storages.runs.save(make_run(1))
    got = storages.runs.get("run-0001")
    assert got.submitted_at == at(1)
    assert got.submitted_at.utcoffset() == timedelta(0)


def test_save_replaces_by_run_id_and_keeps_the_place(storages: Any) -> None:
    storages.runs.save(make_run(1, status="running"))
    storages.runs.save(make_run(2, status="running"))
    storages.runs.save(make_run(1, status="succeeded", duration=0.25, finished_at=at(1.25)))
    assert storages.runs.get("run-0001").status == "succeeded"
    assert storages.runs.get("run-0001").duration == 0.25
    runs = storages.runs.query(RunFilter())
    assert ids(runs) == ["run-0002", "run-0001"]
    assert [r.status for r in runs] == ["running", "succeeded"]


def test_query_is_newest_first_with_limit_and_offset(storages: Any) -> None:
    for n in range(1, 11):
        storages.runs.save(make_run(n))
    assert ids(storages.runs.query(RunFilter(limit=3))) == ["run-0010", "run-0009", "run-0008"]
    page = storages.runs.query(RunFilter(limit=3, offset=3))
    assert ids(page) == ["run-0007", "run-0006", "run-0005"]
    assert ids(storages.runs.query(RunFilter(limit=5, offset=8))) == ["run-0002", "run-0001"]
    assert storages.runs.query(RunFilter(offset=10)) == []


def _mixed(storages: Any) -> None:
    rows = [
        make_run(1, task_id="a", status="succeeded", source="scheduled"),
        make_run(2, task_id="b", status="failed", source="manual", exception_message="Disk full"),
        make_run(3, task_id="a", status="failed", source="manual"),
        make_run(4, task_id="b", status="missed", source="scheduled"),
        make_run(5, task_id="a", status="max_instances", source="scheduled"),
        make_run(6, task_id="c", status="running", source="manual", task_name="Nightly Report"),
    ]
    for run in rows:
        storages.runs.save(run)


def test_filter_by_task_status_and_source(storages: Any) -> None:
    _mixed(storages)
    q = storages.runs.query
    assert ids(q(RunFilter(task_id="a"))) == ["run-0005", "run-0003", "run-0001"]
    assert ids(q(RunFilter(status="failed"))) == ["run-0003", "run-0002"]
    assert ids(q(RunFilter(source="manual"))) == ["run-0006", "run-0003", "run-0002"]
    assert ids(q(RunFilter(task_id="a", status="failed", source="manual"))) == ["run-0003"]
    assert ids(q(RunFilter(task_id="a", source="manual", status="succeeded"))) == []
    assert q(RunFilter(task_id="nope")) == []


def test_text_search_over_name_id_and_error_any_case(storages: Any) -> None:
    _mixed(storages)
    q = storages.runs.query
    assert ids(q(RunFilter(q="nightly report"))) == ["run-0006"]  # name
    assert ids(q(RunFilter(q="DISK"))) == ["run-0002"]  # error message
    assert ids(q(RunFilter(q="C"))) == ["run-0006"]  # task id "c"
    assert ids(q(RunFilter(q="B", status="missed"))) == ["run-0004"]


def test_text_search_treats_wildcards_literally(storages: Any) -> None:
    storages.runs.save(make_run(1, task_name="100% done"))
    storages.runs.save(make_run(2, task_name="1000 done"))
    storages.runs.save(make_run(3, task_name="snake_case"))
    storages.runs.save(make_run(4, task_name="snakeXcase"))
    storages.runs.save(make_run(5, task_name=r"back\slash"))
    assert ids(storages.runs.query(RunFilter(q="0%"))) == ["run-0001"]
    assert ids(storages.runs.query(RunFilter(q="e_c"))) == ["run-0003"]
    assert ids(storages.runs.query(RunFilter(q="k\\s"))) == ["run-0005"]


def test_unicode_html_and_huge_fields_are_stored_verbatim(storages: Any) -> None:
    huge = "Traceback line ünïcödé 🚀\n" * 40_000  # about 1 MB
    run = make_run(
        1,
        task_id="tâche-été",
        task_name="Größe <b>bold</b> & 'quotes'",
        exception_message="<script>alert(1)</script>",
        traceback=huge,
    )
    storages.runs.save(run)
    assert storages.runs.get("run-0001") == run
    assert ids(storages.runs.query(RunFilter(task_id="tâche-été"))) == ["run-0001"]
    assert ids(storages.runs.query(RunFilter(q="GRÖSSE"))) == []  # no ß -> SS folding
    assert ids(storages.runs.query(RunFilter(q="GRÖßE"))) == ["run-0001"]
    assert ids(storages.runs.query(RunFilter(q="<script>"))) == ["run-0001"]


def test_recent_for_tasks_gives_the_last_runs_of_each_task(storages: Any) -> None:
    _mixed(storages)
    recent = storages.runs.recent_for_tasks(["a", "b", "zzz"], 2)
    assert {k: ids(v) for k, v in recent.items()} == {
        "a": ["run-0005", "run-0003"],
        "b": ["run-0004", "run-0002"],
        "zzz": [],
    }
    assert ids(storages.runs.recent_for_tasks(["c"], 5)["c"]) == ["run-0006"]
    assert storages.runs.recent_for_tasks([], 5) == {}


def test_prune_removes_runs_older_than_max_age(make: Make) -> None:
    storages = make(runs=Retention(max_age=3600, max_rows=1000))
    storages.runs.save(make_run(1, submitted_at=NOW - timedelta(days=2)))
    storages.runs.save(make_run(2, submitted_at=NOW - timedelta(hours=2)))
    storages.runs.save(make_run(3, submitted_at=NOW - timedelta(minutes=5)))
    assert storages.runs.prune() == 2
    assert ids(storages.runs.query(RunFilter())) == ["run-0003"]
    assert storages.runs.get("run-0001") is None
    assert storages.runs.prune() == 0


def test_retention_by_count_keeps_the_newest(make: Make) -> None:
    storages = make(runs=Retention(max_age=86400, max_rows=5))
    for n in range(1, 9):
        storages.runs.save(make_run(n))
    storages.runs.prune()
    assert ids(storages.runs.query(RunFilter())) == [f"run-{n:04d}" for n in range(8, 3, -1)]
    assert storages.runs.get("run-0003") is None


def test_the_history_survives_reopening(make: Make, backend: str) -> None:
    if backend == "memory":
        return  # memory is per process by design
    make().runs.save(make_run(1, status="succeeded"))
    assert make().runs.get("run-0001").status == "succeeded"
