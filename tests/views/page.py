"""Read rendered HTML the way a user and a browser do: a small tree, readable text, URLs.

Built on ``html.parser`` (attribute values arrive with entities unescaped), so tests assert on
what a page says and links to, not on template internals.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import quote

VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)
URL_ATTRIBUTES = ("href", "src", "action", "hx-get", "hx-post", "hx-push-url")


@dataclass(eq=False)
class Node:
    """One element: its tag, attributes and children (elements or text)."""

    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)

    def iter(self) -> Iterator[Node]:
        """This element and every element below it, in document order."""
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.iter()

    def find_all(self, tag: str | None = None, **attrs: str) -> list[Node]:
        """Elements with ``tag`` whose attributes equal ``attrs`` (``class_`` is one class)."""
        wanted = {k.rstrip("_").replace("_", "-"): v for k, v in attrs.items()}
        found = []
        for node in self.iter():
            if tag is not None and node.tag != tag:
                continue
            if all(_attr_matches(node, k, v) for k, v in wanted.items()):
                found.append(node)
        return found

    def find(self, tag: str | None = None, **attrs: str) -> Node:
        """The only element that fits (fails the test when there are none or several)."""
        found = self.find_all(tag, **attrs)
        assert len(found) == 1, f"expected one <{tag} {attrs}>, found {len(found)}"
        return found[0]

    @property
    def text(self) -> str:
        """The readable text, whitespace collapsed; ``aria-hidden`` icons are left out."""
        parts: list[str] = []
        self._collect(parts)
        return re.sub(r"\s+", " ", "".join(parts)).strip()

    @property
    def full_text(self) -> str:
        """All the text, ``aria-hidden`` icons included."""
        parts: list[str] = []
        self._collect(parts, hidden=True)
        return re.sub(r"\s+", " ", "".join(parts)).strip()

    def _collect(self, parts: list[str], hidden: bool = False) -> None:
        for child in self.children:
            if isinstance(child, str):
                parts.append(child)
            elif child.tag not in ("script", "style") and (
                hidden or child.attrs.get("aria-hidden") != "true"
            ):
                child._collect(parts, hidden)


def _attr_matches(node: Node, name: str, value: str) -> bool:
    if name == "class":
        return value in node.attrs.get("class", "").split()
    return node.attrs.get(name) == value


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v if v is not None else "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(html: str) -> Node:
    """The document tree of ``html``."""
    builder = _Builder()
    builder.feed(html)
    builder.close()
    return builder.root


def top_elements(html: str) -> list[Node]:
    """The elements at the top level of a fragment (text between them ignored)."""
    return [child for child in parse(html).children if isinstance(child, Node)]


def rendered_urls(html: str) -> list[tuple[str, str, str]]:
    """Every URL a page renders, as (attribute, URL, method) with entities unescaped.

    ``method`` is ``POST`` for ``hx-post`` and the ``action`` of a POST form, else ``GET``.
    In-page anchors (``#main``) are left out: they name no resource.
    """
    urls = []
    for node in parse(html).iter():
        for name in URL_ATTRIBUTES:
            url = node.attrs.get(name)
            if url is None or url.startswith("#"):
                continue
            post = name == "hx-post" or (
                name == "action" and node.attrs.get("method", "get").lower() == "post"
            )
            urls.append((name, url, "POST" if post else "GET"))
    return urls


def flashes(html: str) -> list[str]:
    """The flash messages a page shows, as read."""
    return [p.text for p in parse(html).find_all("p", class_="flash")]


def tables(html: str) -> list[Node]:
    """Every element with ``id="tasks-table"``."""
    return parse(html).find_all(id="tasks-table")


def rows(html: str) -> dict[str, Node]:
    """The task table's rows by task id: a row's DOM id is ``t-<id>`` for a plain id, else
    ``h-<hash>`` with the id in ``data-task-id``; its checkbox, when it has one, agrees."""
    found = {}
    for row in parse(html).find_all("tr"):
        row_id = row.attrs.get("id", "")
        if row_id.startswith("h-"):
            task_id = row.attrs["data-task-id"]
        elif row_id.startswith("t-"):
            task_id = row_id[2:]
        else:
            continue
        boxes = row.find_all("input", name="task_id")
        assert not boxes or boxes[0].attrs["value"] == task_id
        found[task_id] = row
    return found


# A task row's cells carry no classes (tasks/_row.html): they are known by position, the order
# of the table's head. The fleet's worker column comes before the actions, which are last.
TASK_COLUMNS = (
    "check",
    "name",
    "callable",
    "trigger",
    "next",
    "last",
    "state",
    "executor",
    "store",
)


def cell(row: Node, column: str) -> Node:
    """The cell of task ``row`` in ``column`` (one of TASK_COLUMNS, "worker" or "actions")."""
    cells = [child for child in row.children if isinstance(child, Node) and child.tag == "td"]
    if column == "actions":
        return cells[-1]
    if column == "worker":
        [worker] = [c for c in cells if c.attrs.get("class") == "worker"]
        return worker
    return cells[TASK_COLUMNS.index(column)]


def row_state(row: Node) -> str:
    """The state a row reads (scheduled, paused, pending)."""
    return row.find("span", class_="state").text


def row_names(html: str) -> list[str]:
    """The task names in table order."""
    return [cell(row, "name").text for row in rows(html).values()]


def form_data(form: Node) -> list[tuple[str, str]]:
    """The fields a browser submits for ``form`` (its named inputs, checkboxes left out)."""
    return [
        (field.attrs["name"], field.attrs.get("value", ""))
        for field in form.find_all("input")
        if field.attrs.get("name") and field.attrs.get("type", "text") != "checkbox"
    ]


def as_confirmed(form: Node) -> Node:
    """The form as dashboard.js sends it once the operator said OK to its question (its
    ``confirmed`` field, where it has one, marked ``yes``)."""
    for box in form.find_all("input"):
        if box.attrs.get("name") == "confirmed":
            box.attrs["value"] = "yes"
    return form


def action_form(node: Node, verb: str) -> Node:
    """The POST form below ``node`` whose action ends with ``/verb``."""
    forms = [f for f in node.find_all("form") if f.attrs.get("action", "").endswith("/" + verb)]
    assert len(forms) == 1, f"expected one {verb!r} form, found {len(forms)}"
    return forms[0]


def row_action(html: str, task_id: str, verb: str) -> Node:
    """What a browser submits for the ``verb`` button of the row of ``task_id``: the fields of
    the form around the table (``#task-actions``, posting to ``/tasks/act``; the row checkboxes
    belong to another form) and the button's own ``verb=<task id>``, which htmx sends to the
    form's ``hx-post`` too. Remove is the row menu's button (``<template id="row-menu">``, one
    per table), whose value controls.js fills with the row's task id."""
    form = parse(html).find("form", id="task-actions")
    row = rows(html)[task_id]
    row = form.find("tr", id=row.attrs["id"])  # the row is inside the form
    buttons = [b for b in row.find_all("button") if b.attrs.get("name") == verb]
    if not buttons and verb == "remove":
        menu = form.find("template", id="row-menu")
        buttons = [b for b in menu.find_all("button") if b.attrs.get("name") == verb]
    else:
        assert all(b.attrs.get("value") == task_id for b in buttons)
    assert len(buttons) == 1, f"expected one {verb!r} button, found {len(buttons)}"
    fields = [field for field in form.find_all("input") if "form" not in field.attrs]
    fields.append(Node("input", {"type": "hidden", "name": verb, "value": task_id}))
    attrs = {"method": "post", "action": form.attrs["action"]}
    attrs.update({k: v for k, v in form.attrs.items() if k.startswith("hx-")})
    return Node("form", attrs, list(fields))


def row_menu(html: str, task_id: str) -> dict[str, str]:
    """The row menu of ``task_id`` as controls.js builds it from the table's one
    ``<template id="row-menu">``: item text -> link (``remove`` -> the button's value). The
    task id goes in encoded as url_for encodes it: the path segment of the row's ⋯ link,
    ``encodeURIComponent`` in a query."""
    form = parse(html).find("form", id="task-actions")
    more = rows(html)[task_id].find("a", class_="more")
    segment = more.attrs["href"].rsplit("/", 1)[1]
    menu = form.find("template", id="row-menu")
    items: dict[str, str] = {}
    for item in menu.find_all(role="menuitem"):
        if item.tag == "button":
            items[item.text] = item.attrs["value"].replace("__task__", task_id)
            continue
        path, _, query = item.attrs["data-href"].partition("?")
        path = path.replace("__task__", segment)
        query = query.replace("__task__", quote(task_id, safe="-_.!~*'()"))
        items[item.text] = path + ("?" + query if query else "")
    return items


def prefixed_once(url: str, prefix: str) -> bool:
    """True when ``url`` is a path under ``prefix`` that does not repeat the prefix or a tail
    of it (``/admin/jobs/jobs/...``, ``/dashboard/dashboard/...``) right after it.

    The dashboard's own routes (``/tasks``, ``/static``, ...) never begin with a segment of
    the prefixes the tests use, so any such repeat is a doubled prefix.
    """
    if not url.startswith(prefix + "/"):
        return False
    rest = url[len(prefix) :].split("?", 1)[0]
    segments = prefix.strip("/").split("/")
    tails = ["/" + "/".join(segments[i:]) for i in range(len(segments))]
    return not any(rest == tail or rest.startswith(tail + "/") for tail in tails)


def detail_fields(html: str) -> dict[str, str]:
    """The detail page's fields as read: label -> value."""
    fields = parse(html).find("dl", class_="fields")
    labels = fields.find_all("dt")
    values = fields.find_all("dd")
    return {dt.text: dd.text for dt, dd in zip(labels, values, strict=True)}
