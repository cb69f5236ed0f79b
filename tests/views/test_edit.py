"""Editing a task: the form, its preview (changes nothing), apply (changes what the preview
showed), and every invalid value refused at its field with nothing changed."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from asyncz.schedulers.asyncio import AsyncIOScheduler

from asyncz_dashboard import AsynczAdmin, DashboardConfig

from ..conftest import noop
from .forms import field_error, field_value, send, task_form
from .page import flashes, parse, row_menu
from .support import stopped

EDIT = "/dashboard/tasks/report/edit"


async def report(day: str, region: str = "eu", password: str = "") -> None:
    """A task with a signature the dashboard checks arguments against."""


def add_report(scheduler: AsyncIOScheduler) -> None:
    scheduler.add_task(
        report,
        "interval",
        minutes=5,
        id="report",
        name="Report",
        args=("mon",),
        kwargs={"password": "hunter2"},
        mistrigger_grace_time=30,
    )


def task_state(scheduler: AsyncIOScheduler, task_id: str = "report") -> tuple[Any, ...]:
    """Everything an edit could change, to compare before and after."""
    task = scheduler.get_task(task_id)
    return (
        task.name,
        task.fn_reference,
        tuple(task.args),
        dict(task.kwargs),
        task.executor,
        task.coalesce,
        task.max_instances,
        task.mistrigger_grace_time,
        str(task.trigger),
        task.next_run_time,
    )


async def test_the_form_shows_the_task_as_it_is(scheduler, client) -> None:
    add_report(scheduler)
    page = await client.get(EDIT)
    assert page.status_code == 200
    assert field_value(page.text, "name") == "Report"
    assert field_value(page.text, "trigger_type") == "interval"
    assert field_value(page.text, "trigger_value") == "5m"
    assert field_value(page.text, "args") == '["mon"]'
    assert field_value(page.text, "kwargs") == '{"password": "***"}', "secrets stay masked"
    assert "hunter2" not in page.text
    assert field_value(page.text, "misfire_grace_time") == "30"
    assert field_value(page.text, "executor") == "default"


async def test_preview_shows_every_field_and_the_next_runs_and_changes_nothing(
    scheduler, client
) -> None:
    add_report(scheduler)
    before = task_state(scheduler)
    page = await client.get(EDIT)
    preview = await send(client, page.text, {"trigger_value": "1h30m", "max_instances": "3"})
    assert preview.status_code == 200
    table = parse(preview.text).find("table", class_="diff")
    diff = {
        row.find("th").text: [td.text for td in row.find_all("td")]
        for row in table.find_all("tr")[1:]
    }
    assert list(diff) == [
        "Name", "Callable", "Args", "Kwargs", "Executor", "Coalesce", "Max instances",
        "Misfire grace time", "Trigger",
    ]  # fmt: skip
    assert diff["Trigger"] == ["interval: 5m", "interval: 1h30m", "changed"]
    assert diff["Max instances"] == ["1", "3", "changed"]
    assert diff["Name"] == ["Report", "Report", ""]
    runs = parse(preview.text).find("ol", class_="run-times").find_all("li")
    assert len(runs) == 5
    assert task_state(scheduler) == before, "a preview changes nothing"
    assert field_value(preview.text, "trigger_value") == "1h30m", "the form keeps what was typed"


async def test_apply_changes_what_the_preview_showed_and_audits_the_diff(scheduler, client) -> None:
    add_report(scheduler)
    page = await client.get(EDIT)
    preview = await send(client, page.text, {"trigger_value": "1h30m", "name": "Daily report"})
    shown = parse(preview.text).find("ol", class_="run-times").find_all("li")[0].text
    applied = await send(
        client, preview.text, {"trigger_value": "1h30m", "name": "Daily report"}, "apply"
    )
    assert applied.status_code == 303
    assert applied.headers["location"] == "/dashboard/tasks/report"
    task = scheduler.get_task("report")
    assert task.name == "Daily report"
    assert task.trigger.interval == timedelta(hours=1, minutes=30)
    expected = datetime.now(timezone.utc) + timedelta(hours=1, minutes=30)
    assert abs((task.next_run_time - expected).total_seconds()) < 5
    assert shown.startswith(task.next_run_time.strftime("%Y-%m-%d %H:%M"))
    assert task.kwargs == {"password": "hunter2"}, "the masked secret is kept"
    detail = await client.get(applied.headers["location"])
    assert flashes(detail.text) == ["Saved 'Daily report': name, trigger."]
    assert "every 1 hour 30 minutes" in detail.text
    audit = (await client.get("/dashboard/audit")).text
    assert "edit" in audit and "task report" in audit and "anonymous" in audit
    assert "interval: 5m" in audit and "interval: 1h30m" in audit
    assert "hunter2" not in audit


async def test_a_paused_task_stays_paused(scheduler, client) -> None:
    add_report(scheduler)
    scheduler.pause_task("report")
    page = await client.get(EDIT)
    preview = await send(client, page.text, {"trigger_type": "cron", "trigger_value": "0 9 * * *"})
    assert "the task stays paused" in preview.text
    applied = await send(
        client, page.text, {"trigger_type": "cron", "trigger_value": "0 9 * * *"}, "apply"
    )
    assert applied.status_code == 303
    task = scheduler.get_task("report")
    assert task.next_run_time is None
    assert "hour='9'" in str(task.trigger)


async def test_the_reference_field_names_are_accepted(scheduler, client) -> None:
    add_report(scheduler)
    page = await client.get(EDIT)
    token = task_form(page.text).find("input", name="csrf_token").attrs["value"]
    reference = {
        "csrf_token": token,
        "callable_path": scheduler.get_task("report").fn_reference,
        "mistrigger_grace_time": "90",
        "coalesce": "false",
        "intent": "apply",
    }
    answer = await client.post(EDIT, data=reference)
    assert answer.status_code == 303, answer.text
    task = scheduler.get_task("report")
    assert (task.mistrigger_grace_time, task.coalesce) == (90, False)
    answer = await client.post(
        EDIT, data={"csrf_token": token, "clear_mistrigger_grace_time": "on", "intent": "apply"}
    )
    assert answer.status_code == 303
    assert scheduler.get_task("report").mistrigger_grace_time is None


async def test_a_partial_post_changes_only_what_it_sends(scheduler, client) -> None:
    add_report(scheduler)
    page = await client.get(EDIT)
    token = task_form(page.text).find("input", name="csrf_token").attrs["value"]
    answer = await client.post(
        EDIT, data={"csrf_token": token, "max_instances": "4", "intent": "apply"}
    )
    assert answer.status_code == 303
    task = scheduler.get_task("report")
    assert task.max_instances == 4
    assert (task.name, task.coalesce, task.mistrigger_grace_time) == ("Report", True, 30)


INVALID = [
    ("trigger_value", {"trigger_value": "0s"}, "at least 1 second"),
    ("trigger_value", {"trigger_value": "0"}, "at least 1 second"),
    ("trigger_value", {"trigger_value": "-5s"}, "Write an interval"),
    ("trigger_value", {"trigger_value": "1e-9"}, "Write an interval"),
    ("trigger_value", {"trigger_value": "0.5s"}, "Write an interval"),
    ("trigger_value", {"trigger_value": "99999999d"}, "Write an interval"),
    ("trigger_value", {"trigger_value": "4000d"}, "at most 3660 days"),
    ("trigger_value", {"trigger_type": "cron", "trigger_value": "61 * * * *"}, "maximum"),
    ("trigger_value", {"trigger_type": "cron", "trigger_value": "* * *"}, "5 fields"),
    ("trigger_value", {"trigger_type": "cron", "trigger_value": "0 0 30 2 *"}, "never fires"),
    ("trigger_value", {"trigger_type": "cron", "trigger_value": "a b c d e"}, "a"),
    ("trigger_value", {"trigger_type": "date", "trigger_value": "next tuesday"}, "ISO 8601"),
    ("trigger_value", {"trigger_type": "date", "trigger_value": "2000-01-01T00:00"}, "passed"),
    (
        "trigger_value",
        {"trigger_type": "date", "trigger_value": "9999-12-31T23:59:59-05:00"},
        "between the years",
    ),
    ("trigger_value", {"trigger_type": "date", "trigger_value": "0001-01-01T00:00+14:00"}, "1900"),
    ("trigger_type", {"trigger_type": "weekly"}, "Choose interval, cron or date"),
    ("trigger_value", {"trigger_value": "x" * 201}, "At most 200 characters"),
    ("executor", {"executor": "nowhere"}, "executors"),
    ("args", {"args": "[1,"}, "valid JSON"),
    ("args", {"args": '{"day": "mon"}'}, "JSON array"),
    ("args", {"args": '"mon"'}, "JSON array"),
    ("args", {"args": "[" * 30 + "]" * 30}, "nested too deeply"),
    ("args", {"args": "[" + "1," * 12000 + "1]"}, "At most 20000"),
    ("args", {"args": '["mon", "eu", "x", "too many"]'}, "in both args and kwargs"),
    ("kwargs", {"kwargs": "[1]"}, "JSON object"),
    ("kwargs", {"kwargs": "nope"}, "valid JSON"),
    ("kwargs", {"kwargs": '{"colour": "red"}'}, "colour"),
    ("max_instances", {"max_instances": "0"}, "from 1 to 1000"),
    ("max_instances", {"max_instances": "-1"}, "from 1 to 1000"),
    ("max_instances", {"max_instances": "1001"}, "from 1 to 1000"),
    ("max_instances", {"max_instances": "two"}, "from 1 to 1000"),
    ("max_instances", {"max_instances": "9" * 50}, "At most 12"),
    ("misfire_grace_time", {"misfire_grace_time": "0"}, "above 0"),
    ("misfire_grace_time", {"misfire_grace_time": "-3"}, "above 0"),
    ("misfire_grace_time", {"misfire_grace_time": "nan"}, "above 0"),
    ("misfire_grace_time", {"misfire_grace_time": "inf"}, "above 0"),
    ("misfire_grace_time", {"misfire_grace_time": "soon"}, "above 0"),
    ("name", {"name": ""}, "needs a name"),
    ("name", {"name": "x" * 201}, "At most 200 characters"),
    ("name", {"name": "a\x00b"}, "control characters"),
    ("callable_path", {"callable_path": "os:system"}, "cannot be changed here"),
    ("coalesce", {"coalesce": "maybe"}, "yes or no"),
]


@pytest.mark.parametrize(("field", "typed", "message"), INVALID)
async def test_an_invalid_value_is_a_400_at_its_field_and_changes_nothing(
    scheduler: AsyncIOScheduler,
    client: httpx.AsyncClient,
    field: str,
    typed: dict[str, str],
    message: str,
) -> None:
    add_report(scheduler)
    before = task_state(scheduler)
    page = await client.get(EDIT)
    for intent in ("preview", "apply"):
        answer = await send(client, page.text, typed, intent)
        assert answer.status_code == 400, answer.text[:500]
        assert answer.headers["content-type"] == "text/html; charset=utf-8"
        assert message in field_error(answer.text, field), field_error(answer.text, field)
        shown = next(iter(typed.values()))
        if (
            field not in ("args", "kwargs", "name", "callable_path", "coalesce")
            and len(shown) <= 12
            and "\x00" not in shown
        ):
            assert field_value(answer.text, next(iter(typed))) in (
                shown,
                shown.strip(),
            ), "the form shows what was typed"
        assert "Nothing was changed" in answer.text
        assert task_state(scheduler) == before
    assert scheduler.running and int(scheduler.state) == 1
    assert (await client.get("/dashboard/health")).status_code == 200


async def test_an_unknown_intent_is_refused(scheduler, client) -> None:
    add_report(scheduler)
    before = task_state(scheduler)
    page = await client.get(EDIT)
    answer = await send(client, page.text, {"trigger_value": "1h"}, "destroy")
    assert answer.status_code == 400
    assert task_state(scheduler) == before


async def test_an_unknown_task_is_a_404(client) -> None:
    assert (await client.get("/dashboard/tasks/nope/edit")).status_code == 404


async def test_edit_links_on_the_detail_page_and_in_the_row_menu(scheduler, client) -> None:
    add_report(scheduler)
    detail = parse((await client.get("/dashboard/tasks/report")).text)
    assert [a.attrs["href"] for a in detail.find_all("a") if a.text == "Edit"] == [EDIT]
    assert row_menu((await client.get("/dashboard/tasks")).text, "report")["Edit"] == EDIT


@pytest.fixture
def read_only_client(scheduler: AsyncIOScheduler, config: Any) -> Any:
    return AsynczAdmin(scheduler, config=config, read_only=True)


async def test_read_only_mode_shows_no_edit_link_and_refuses_the_form(
    scheduler, read_only_client
) -> None:
    from asgi_lifespan import LifespanManager

    add_report(scheduler)
    before = task_state(scheduler)
    app = read_only_client.get_asgi_app()
    try:
        async with LifespanManager(app):
            transport = httpx.ASGITransport(app=app, root_path="/dashboard")
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                detail = await client.get("/dashboard/tasks/report")
                assert "/edit" not in detail.text
                listing = await client.get("/dashboard/tasks")
                assert "/edit" not in listing.text
                assert (await client.get(EDIT)).status_code == 403
                token = parse(listing.text).find_all("input", name="csrf_token")[0]
                answer = await client.post(
                    EDIT,
                    data={"csrf_token": token.attrs["value"], "name": "X", "intent": "apply"},
                )
                assert answer.status_code == 403
    finally:
        read_only_client.close()
    assert task_state(scheduler) == before


async def test_without_the_csrf_token_nothing_changes(scheduler, client) -> None:
    add_report(scheduler)
    before = task_state(scheduler)
    await client.get(EDIT)
    answer = await client.post(EDIT, data={"name": "X", "intent": "apply"})
    assert answer.status_code == 403
    assert task_state(scheduler) == before


async def test_a_repeated_apply_acts_once(scheduler, client) -> None:
    scheduler.add_task(noop, "interval", minutes=5, id="report", name="Report")
    page = await client.get(EDIT)
    first = await send(client, page.text, {"max_instances": "2"}, "apply")
    scheduler.update_task("report", max_instances=7)  # someone else changes it meanwhile
    again = await send(client, page.text, {"max_instances": "2"}, "apply")
    assert first.status_code == again.status_code == 303
    assert scheduler.get_task("report").max_instances == 7, "the retry did not act again"


async def test_on_a_stopped_scheduler_the_form_says_so_and_nothing_changes(
    scheduler, client
) -> None:
    add_report(scheduler)
    page = await client.get(EDIT)
    scheduler.shutdown(wait=False)
    await stopped(scheduler)
    for answer in (
        await client.get(EDIT),
        await send(client, page.text, {"max_instances": "5"}, "apply"),
    ):
        assert answer.status_code == 409
        assert "The scheduler is not running. Tasks can be edited once it runs." in answer.text


async def test_a_signed_in_user_without_edit_sees_no_link_and_is_refused(
    scheduler: AsyncIOScheduler,
) -> None:
    from ..auth.support import PREFIX, client_for, make_admin, page_token, sign_in, starlette_host

    add_report(scheduler)
    before = task_state(scheduler)
    admin = make_admin(
        scheduler,
        permissions=lambda user: {"view", "run"} if user.id == "bob" else {"view", "edit"},
        allowed_callables={"noop": noop},
    )
    try:
        for username, may_edit in (("bob", False), ("ada", True)):
            async with client_for(starlette_host(admin)) as browser:
                assert (await sign_in(browser, username=username)).status_code == 303
                detail = (await browser.get(f"{PREFIX}/tasks/report")).text
                listing = (await browser.get(f"{PREFIX}/tasks")).text
                assert (f"{PREFIX}/tasks/report/edit" in detail) is may_edit
                assert ("Edit" in row_menu(listing, "report")) is may_edit
                assert "New task" not in listing, "neither may create"
                token = await page_token(browser)
                create = await browser.post(
                    f"{PREFIX}/tasks/create", data={"csrf_token": token, "callable_path": "noop"}
                )
                assert create.status_code == 403
                if not may_edit:
                    edit = await browser.post(
                        f"{PREFIX}/tasks/report/edit",
                        data={"csrf_token": token, "name": "X", "intent": "apply"},
                    )
                    assert edit.status_code == 403
                    assert (await browser.get(f"{PREFIX}/tasks/report/edit")).status_code == 403
    finally:
        admin.close()
    assert task_state(scheduler) == before
    assert scheduler.get_tasks() and len(scheduler.get_tasks()) == 1


async def test_task_text_is_escaped_on_the_form_and_the_preview(scheduler, client) -> None:
    scheduler.add_task(noop, "interval", minutes=5, id="x", name="<script>alert(1)</script>")
    page = await client.get("/dashboard/tasks/x/edit")
    assert "<script>alert(1)</script>" not in page.text
    preview = await send(client, page.text, {"name": "<img src=x onerror=alert(1)>"})
    assert preview.status_code == 200
    assert "<img src=x" not in preview.text
    assert "&lt;img src=x onerror=alert(1)&gt;" in preview.text


async def test_with_arguments_hidden_the_form_has_no_argument_fields(
    scheduler: AsyncIOScheduler,
) -> None:
    from asgi_lifespan import LifespanManager

    add_report(scheduler)
    admin = AsynczAdmin(scheduler, config=DashboardConfig(secret_key="k" * 32), show_args=False)
    app = admin.get_asgi_app()
    try:
        async with LifespanManager(app):
            transport = httpx.ASGITransport(app=app, root_path="/dashboard")
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                page = await client.get(EDIT)
                assert 'name="args"' not in page.text and '"mon"' not in page.text
                answer = await send(client, page.text, {"args": '["tue"]'}, "apply")
                assert answer.status_code == 400
                assert "hidden" in field_error(answer.text, "args")
                preview = await send(client, page.text, {"max_instances": "2"})
                assert "Kwargs" not in parse(preview.text).find("table", class_="diff").text
    finally:
        admin.close()
    assert tuple(scheduler.get_task("report").args) == ("mon",)
