"""Shortcuts the view stories share: CSRF-carrying posts and htmx headers."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from asyncz.schedulers.asyncio import AsyncIOScheduler

from ..conftest import csrf_from, submission_from
from .page import Node, form_data

HX = {"HX-Request": "true"}
BASE = "/dashboard"


async def token(client: httpx.AsyncClient, page: str = "/dashboard/tasks") -> str:
    """The session's CSRF token, read from a rendered page (this also sets the cookie)."""
    response = await client.get(page)
    assert response.status_code == 200
    return csrf_from(response.text)


async def post(
    client: httpx.AsyncClient,
    url: str,
    data: dict[str, Any] | list[tuple[str, str]] | None = None,
    *,
    htmx: bool = False,
    csrf: str | None = None,
    submission: str | None = None,
) -> httpx.Response:
    """POST a form the way the page's own form (or htmx) would, with the CSRF token and a
    submission id (read from a freshly loaded task list unless given)."""
    if csrf is None or submission is None:
        page = (await client.get(f"{BASE}/tasks")).text
        csrf = csrf or csrf_from(page)
        submission = submission or submission_from(page)
    fields = list(data.items()) if isinstance(data, dict) else list(data or [])
    fields += [("csrf_token", csrf), ("submission_id", submission)]
    headers = dict(HX) if htmx else {}
    return await client.post(url, data=flatten(fields), headers=headers)


def flatten(fields: list[tuple[str, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for key, value in fields:
        if key in merged:
            previous = merged[key]
            merged[key] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            merged[key] = value
    return merged


async def submit(
    client: httpx.AsyncClient,
    form: Node,
    *,
    htmx: bool = False,
    extra: list[tuple[str, str]] | None = None,
) -> httpx.Response:
    """Submit a rendered form as the browser would: plain to ``action``, htmx to ``hx-post``."""
    url = form.attrs["hx-post"] if htmx else form.attrs["action"]
    fields = form_data(form) + list(extra or [])
    headers = dict(HX) if htmx else {}
    return await client.post(url, data=flatten(fields), headers=headers)


async def stopped(scheduler: AsyncIOScheduler) -> None:
    """Wait for ``shutdown()``, which ``AsyncIOScheduler`` carries out on its loop."""
    for _ in range(100):
        if not scheduler.running:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the scheduler did not stop")
