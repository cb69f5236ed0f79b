"""Crawl a mounted dashboard: every URL its pages render must carry the prefix exactly once."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote

import httpx

from ..views.page import prefixed_once, rendered_urls

TASK_ID = "legacy/sync 1"
HX = {"HX-Request": "true"}


@dataclass
class Crawl:
    """What a crawl saw: every (page, attribute, URL, method) and each GET's status."""

    seen: list[tuple[str, str, str, str]] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)


async def crawl(client: httpx.AsyncClient, prefix: str, task_id: str = TASK_ID) -> Crawl:
    """Fetch the overview, the list, the htmx table fragment and a task's detail under
    ``prefix``; check every URL they render and GET each GET-able one.

    Fails the test when a page or a followed URL answers with an error, or a URL lacks or
    repeats the prefix (POST targets are only checked for the prefix).
    """
    pages = {
        "overview": (prefix + "/", {}),
        "list": (prefix + "/tasks", {}),
        "table": (prefix + "/tasks/partials/table", HX),
        "detail": (f"{prefix}/tasks/{quote(task_id, safe='')}", {}),
    }
    result = Crawl()
    for page, (url, headers) in pages.items():
        response = await client.get(url, headers=headers)
        assert response.status_code == 200, f"{page} {url}: {response.status_code}"
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        urls = rendered_urls(response.text)
        if "hx-push-url" in response.headers:
            urls.append(("HX-Push-Url", response.headers["hx-push-url"], "GET"))
        assert urls, f"{page} renders no URL"
        for attribute, target, method in urls:
            result.seen.append((page, attribute, target, method))
            assert prefixed_once(target, prefix), f"{page}: {attribute}={target!r}"
    for target in sorted({t for _, _, t, method in result.seen if method == "GET"}):
        headers = HX if "/partials/" in target else {}
        response = await client.get(target, headers=headers)
        result.statuses[target] = response.status_code
        assert response.status_code < 400, f"GET {target}: {response.status_code}"
    return result


def assert_covers_every_kind(result: Crawl, prefix: str, task_id: str = TASK_ID) -> None:
    """The crawl met assets, htmx endpoints, POST actions and the task's own URLs."""
    attributes = {attribute for _, attribute, _, _ in result.seen}
    assert {"href", "src", "action", "hx-get", "hx-post", "hx-push-url"} <= attributes
    targets = {target.split("?", 1)[0] for _, _, target, _ in result.seen}
    quoted = quote(task_id, safe="")
    assert f"{prefix}/tasks/{quoted}" in targets
    assert f"{prefix}/tasks/{quoted}/pause" in targets
    assert f"{prefix}/static/css/dashboard.css" in targets
    assert f"{prefix}/tasks/partials/table" in targets
    assert f"{prefix}/tasks/bulk" in targets
