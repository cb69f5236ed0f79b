"""Reading the task form pages (edit, create) as a browser would submit them."""

from __future__ import annotations

import httpx

from .page import Node, parse
from .support import flatten


def task_form(html: str) -> Node:
    """The page's task form."""
    return parse(html).find("form", class_="task-form")


def browser_fields(form: Node) -> list[tuple[str, str]]:
    """What a browser submits for ``form``: inputs (checked boxes and radios only), textareas,
    the selected option of each select (the first when none is marked)."""
    fields: list[tuple[str, str]] = []
    for node in form.iter():
        name = node.attrs.get("name")
        if not name:
            continue
        if node.tag == "input":
            kind = node.attrs.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in node.attrs:
                continue
            fields.append((name, node.attrs.get("value", "on" if kind == "checkbox" else "")))
        elif node.tag == "textarea":
            fields.append((name, "".join(c for c in node.children if isinstance(c, str))))
        elif node.tag == "select":
            options = node.find_all("option")
            chosen = [o for o in options if "selected" in o.attrs] or options[:1]
            fields.append((name, chosen[-1].attrs.get("value", "")))
    return fields


def field_error(html: str, key: str) -> str:
    """The message shown at field ``key`` (inside the form), "" when none."""
    found = task_form(html).find_all("p", id=f"err-{key}")
    return found[0].text.lstrip("⚠ ").strip() if found else ""


def field_value(html: str, name: str) -> str:
    """The value the form shows for ``name``."""
    return dict(browser_fields(task_form(html))).get(name, "")


async def send(
    client: httpx.AsyncClient, html: str, changes: dict[str, str], intent: str = "preview"
) -> httpx.Response:
    """Submit the page's task form with ``changes`` typed in, by pressing ``intent``."""
    form = task_form(html)
    fields = [(k, v) for k, v in browser_fields(form) if k not in changes]
    fields += [*changes.items(), ("intent", intent)]
    return await client.post(form.attrs["action"], data=flatten(fields))
