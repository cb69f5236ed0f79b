"""Small helpers shared by the browser tests."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

SHOTS = Path(os.environ.get("ASYNCZ_E2E_SHOTS", "/tmp/shots"))  # noqa: S108 (screenshots only)


def row(page: Any, task_id: str) -> Any:
    """The task table's row for ``task_id`` (found by its selection checkbox)."""
    checkbox = page.locator(f'input[name="task_id"][value="{task_id}"]')
    return page.locator("#tasks-table tbody tr").filter(has=checkbox)


def checkbox(page: Any, task_id: str) -> Any:
    """The selection checkbox of ``task_id``'s row (not the hidden ``task_id`` field that
    keeps a ticked task of another page in the bulk form)."""
    return page.locator(f'#tasks-table input[type=checkbox][name="task_id"][value="{task_id}"]')


def state(page: Any, task_id: str) -> Any:
    """The state badge of ``task_id``'s row."""
    return row(page, task_id).locator(".state")


def htmx_ready(page: Any) -> None:
    """Wait until htmx and our script have loaded (both are ``defer``)."""
    page.wait_for_function("() => window.htmx !== undefined && document.readyState === 'complete'")


def shot(page: Any, name: str) -> None:
    """Save a screenshot of the viewport to ``SHOTS/name.png``."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))
