"""The events page (every scheduler event observed) and the audit trail (every dashboard action)."""

from __future__ import annotations

from datetime import datetime, timezone

import httpx
from asyncz.schedulers.asyncio import AsyncIOScheduler

from asyncz_dashboard import AsynczAdmin

from ..conftest import noop
from .support import BASE, finished_run, flashes, main_text, parse, post, table_rows


async def broken() -> None:
    raise RuntimeError("disk full")


def event_rows(html: str) -> list[tuple[str, str, str]]:
    """(event, task, detail) of each row, top to bottom."""
    found = []
    for row in table_rows(html):
        cells = [td.text for td in row.find_all("td")]
        found.append((cells[1], cells[2], cells[4]))
    return found


def audit_rows(html: str) -> list[dict[str, str]]:
    """Each audit row as read, by column heading."""
    heads = parse(html).find_all("thead")
    if not heads:
        return []
    headings = [th.text for th in heads[0].find_all("th")]
    return [
        dict(zip(headings, [td.text for td in row.find_all("td")], strict=True))
        for row in table_rows(html)
    ]


async def test_the_events_page_lists_submissions_executions_and_errors_with_filters(
    scheduler: AsyncIOScheduler, admin: AsynczAdmin, client: httpx.AsyncClient
) -> None:
    start = datetime.now(timezone.utc)
    scheduler.add_task(noop, "interval", minutes=5, id="fine", next_run_time=start)
    scheduler.add_task(broken, "interval", minutes=5, id="broken", next_run_time=start)
    await finished_run(admin, "fine", "succeeded")
    await finished_run(admin, "broken", "failed")

    page = await client.get(f"{BASE}/events")
    assert page.status_code == 200
    seen = event_rows(page.text)
    names = {(name, task) for name, task, _ in seen}
    assert {
        ("task_added", "fine"),
        ("task_submitted", "fine"),
        ("task_executed", "fine"),
        ("task_submitted", "broken"),
        ("task_error", "broken"),
    } <= names

    errors = event_rows((await client.get(f"{BASE}/events?name=task_error")).text)
    assert len(errors) == 1
    assert errors[0][:2] == ("task_error", "broken")
    assert "RuntimeError: disk full" in errors[0][2]

    fine = event_rows((await client.get(f"{BASE}/events?task=fine")).text)
    assert {task for _, task, _ in fine} == {"fine"}
    assert [name for name, _, _ in fine if name != "task_modified"][:3] == [
        "task_executed",
        "task_submitted",
        "task_added",
    ], "newest first"
    submitted = event_rows((await client.get(f"{BASE}/events?name=task_submitted&task=fine")).text)
    assert len(submitted) == 1
    assert "source scheduled" in submitted[0][2]

    links = [a.attrs["href"] for a in parse(page.text).find_all("a")]
    assert f"{BASE}/events?name=task_error" in links
    assert f"{BASE}/events?task=broken" in links
    none = await client.get(f"{BASE}/events?name=no_such_event")
    assert none.status_code == 200
    assert "No events match these filters." in main_text(none.text)


async def test_a_pause_through_the_dashboard_is_audited_with_its_changes(
    scheduler: AsyncIOScheduler, admin: AsynczAdmin, client: httpx.AsyncClient
) -> None:
    scheduler.add_task(noop, "interval", minutes=5, id="report", name="Report")
    empty = await client.get(f"{BASE}/audit")
    assert "No dashboard actions recorded yet." in main_text(empty.text)

    response = await post(client, f"{BASE}/tasks/report/pause")
    assert response.status_code == 303

    page = await client.get(f"{BASE}/audit")
    [entry] = audit_rows(page.text)
    assert entry["User"] == "anonymous"
    assert entry["Action"] == "pause"
    assert entry["Target"] == "task report"
    assert entry["Outcome"] == "✓ ok · Paused 'Report'"
    changes = entry["Changes"].split("; ")
    assert changes[0] == "state: scheduled → paused"
    assert changes[1].startswith("next_run_time: ") and changes[1].endswith(" → —")


async def test_an_action_on_a_task_that_is_gone_is_audited_as_failed(
    scheduler: AsyncIOScheduler, admin: AsynczAdmin, client: httpx.AsyncClient
) -> None:
    scheduler.add_task(noop, "interval", minutes=5, id="report", name="Report")
    await client.get(f"{BASE}/tasks")
    scheduler.delete_task("report")  # removed behind the dashboard's back

    response = await post(client, f"{BASE}/tasks/report/pause")
    assert response.status_code == 303
    page = await client.get(response.headers["location"])
    assert flashes(page.text) == ["Task 'report' no longer exists."]
    await post(client, f"{BASE}/tasks/ghost/resume")

    audit = await client.get(f"{BASE}/audit")
    rows = audit_rows(audit.text)
    assert [(r["Action"], r["Target"], r["Outcome"]) for r in rows] == [
        ("resume", "task ghost", "✕ failed · there is no task with id 'ghost'"),
        ("pause", "task report", "✕ failed · task 'report' no longer exists"),
    ]
    assert [r["Changes"] for r in rows] == ["", ""]
    by_action = audit_rows((await client.get(f"{BASE}/audit?action=pause")).text)
    assert [r["Target"] for r in by_action] == ["task report"]
    by_target = audit_rows((await client.get(f"{BASE}/audit?target=ghost")).text)
    assert [r["Action"] for r in by_target] == ["resume"]
    by_user = audit_rows((await client.get(f"{BASE}/audit?user=someone")).text)
    assert by_user == []
