"""Everything that came from a task is escaped, bounded and redacted on every page."""

from __future__ import annotations

from datetime import datetime

import httpx
import pytest
from asyncz.schedulers.asyncio import AsyncIOScheduler

from ..conftest import noop
from .page import Node, cell, detail_fields, parse, rows
from .support import HX

HOSTILE_NAME = "<img src=x onerror=alert(1)>"
HOSTILE_ARG = "<script>alert(1)</script>"
HOSTILE_KWARG = "</td><b>x"


async def pages(client: httpx.AsyncClient, task_id: str) -> dict[str, str]:
    """The list, the htmx table fragment, the detail page and the overview, as served."""
    quoted = task_id.replace("/", "%2F")
    answers = {
        "list": await client.get("/dashboard/tasks"),
        "fragment": await client.get("/dashboard/tasks/partials/table", headers=HX),
        "detail": await client.get(f"/dashboard/tasks/{quoted}"),
        "overview": await client.get("/dashboard/"),
    }
    for name, response in answers.items():
        assert response.status_code == 200, name
        assert response.headers["content-type"] == "text/html; charset=utf-8"
    return {name: response.text for name, response in answers.items()}


def assert_no_injected_markup(tree: Node) -> None:
    """No element a task's text could have smuggled in: scripts only load our own files."""
    assert tree.find_all("img") == []
    assert tree.find_all("b") == []
    for script in tree.find_all("script"):
        assert script.attrs.get("src", "").startswith("/dashboard/static/")
        assert script.children == []
    for node in tree.iter():
        assert not any(name.startswith("on") for name in node.attrs), node.attrs


async def test_html_in_names_args_and_kwargs_is_escaped_on_pages_and_fragments(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    scheduler.add_task(
        noop, "interval", minutes=5, id="x1", name=HOSTILE_NAME,
        args=[HOSTILE_ARG], kwargs={"q": HOSTILE_KWARG},
    )  # fmt: skip

    served = await pages(client, "x1")

    for name, html in served.items():
        assert HOSTILE_NAME not in html, name
        assert HOSTILE_ARG not in html, name
        assert HOSTILE_KWARG not in html, name
        assert_no_injected_markup(parse(html))
    for name in ("list", "fragment"):
        assert cell(rows(served[name])["x1"], "name").text == HOSTILE_NAME
    assert "&lt;img src=x onerror=alert(1)&gt;" in served["list"]
    fields = detail_fields(served["detail"])
    assert fields["Name"] == HOSTILE_NAME
    assert fields["Args"] == "('<script>alert(1)</script>',)"
    assert fields["Kwargs"] == "{'q': '</td><b>x'}"
    assert "(&#39;&lt;script&gt;alert(1)&lt;/script&gt;&#39;,)" in served["detail"]


async def test_strange_arguments_render_as_a_bounded_repr(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    scheduler.add_task(
        noop, "interval", minutes=5, id="z", name="Odd arguments",
        args=[object(), b"\xff\x00"],
        kwargs={"when": datetime(2030, 1, 1), "sched": scheduler},
    )  # fmt: skip

    served = await pages(client, "z")

    fields = detail_fields(served["detail"])
    assert fields["Args"].startswith("(<object object at 0x")
    assert fields["Args"].endswith(", b'\\xff\\x00')")
    assert "'when': datetime.datetime(2030, 1, 1, 0, 0)" in fields["Kwargs"]
    assert "'sched': <asyncz.schedulers.asyncio.AsyncIOScheduler object at 0x" in fields["Kwargs"]
    assert len(fields["Kwargs"]) <= 200
    assert_no_injected_markup(parse(served["detail"]))


async def test_long_arguments_are_cut_at_200_characters(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    scheduler.add_task(
        noop, "interval", minutes=5, id="long", name="Long", args=["y" * 100] * 10,
        kwargs={"blob": "z" * 5000},
    )  # fmt: skip

    fields = detail_fields((await client.get("/dashboard/tasks/long")).text)

    assert len(fields["Args"]) == 200
    assert fields["Args"].endswith("…")
    assert len(fields["Kwargs"]) <= 200
    assert "z" * 200 not in fields["Kwargs"]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"password": "hunter2"},
        {"db": {"api_key": "hunter2"}},
        {"dsn": "postgresql://admin:hunter2@db/prod"},
        {"note": "login with password=hunter2 please"},
    ],
)
async def test_secrets_in_arguments_never_reach_a_page(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient, kwargs: dict[str, object]
) -> None:
    scheduler.add_task(noop, "interval", minutes=5, id="secretive", name="Secretive", kwargs=kwargs)

    served = await pages(client, "secretive")

    for name, html in served.items():
        assert "hunter2" not in html, name
    assert "***" in detail_fields(served["detail"])["Kwargs"]


async def test_a_password_kwarg_reads_as_stars(
    scheduler: AsyncIOScheduler, client: httpx.AsyncClient
) -> None:
    scheduler.add_task(
        noop, "interval", minutes=5, id="login", name="Login",
        args=["user"], kwargs={"password": "hunter2", "user": "ops"},
    )  # fmt: skip

    fields = detail_fields((await client.get("/dashboard/tasks/login")).text)

    assert fields["Kwargs"] == "{'password': '***', 'user': 'ops'}"
