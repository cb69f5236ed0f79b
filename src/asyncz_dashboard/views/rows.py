"""The row cache: each task row's HTML rendered once per change, pages built by joining rows.

The table's head and pager (``templates/tasks/_table_parts.html``) depend only on the list's
query, its page counts, the permissions and the prefix: they are cached the same way (``part``).

A row (``templates/tasks/_row.html``) depends only on its snapshot, the task's last run, its
running count, the viewer's permissions and the URL prefix, so those are its key. Snapshots and
runs are immutable: a changed task is a new object, so the key holds the objects' identities
(and the entry holds the objects, so an identity cannot be reused while its entry lives).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

from markupsafe import Markup

from ..adapters.snapshots import TaskSnapshot
from ..asgi.request import Request
from ..auth.gate import PERMISSIONS_KEY
from ..storage.base import Run
from ..templating import Templates

ROW_TEMPLATE = "tasks/_row.html"
PARTS_TEMPLATE = "tasks/_table_parts.html"
DEFAULT_PARTS = 512  # table heads and pagers kept (one per query and page count)
ROW_ACTIONS = ("run", "pause", "resume", "remove")
DEFAULT_ROWS = 20_000  # rows kept (~1 KB each)

Entry = tuple[TaskSnapshot, Run | None, Markup]


class RowCache:
    """A bounded, least-recently-used cache of rendered task rows.

    Args:
        size: the most rows kept; the least recently shown go first.
    """

    def __init__(self, size: int = DEFAULT_ROWS, parts: int = DEFAULT_PARTS):
        self.size = size
        self._rows: OrderedDict[tuple[Any, ...], Entry] = OrderedDict()
        self.parts_size = parts
        self._parts: OrderedDict[tuple[Any, ...], Markup] = OrderedDict()

    def __len__(self) -> int:
        return len(self._rows)

    def render(
        self,
        request: Request,
        templates: Templates,
        tasks: Sequence[TaskSnapshot],
        last_runs: Mapping[str, Run],
        running: Mapping[str, int],
        zone_name: str,
    ) -> Markup:
        """The ``<tr>`` of every task in ``tasks``, in order, rendered only when not cached.

        ``zone_name`` is the page's zone (the scheduler's), in which rows write their times;
        rows never read the clock (the browser makes times relative)."""
        permissions = request.scope.get(PERMISSIONS_KEY, frozenset())
        shared = (frozenset(permissions), request.prefix, zone_name)
        macros: Any = None
        parts: list[Markup] = []
        for task in tasks:
            last = last_runs.get(task.id)
            count = running.get(task.id, 0)
            key = (id(task), id(last), count, shared)
            entry = self._rows.get(key)
            if entry is not None and entry[0] is task and entry[1] is last:
                self._rows.move_to_end(key)
                parts.append(entry[2])
                continue
            if macros is None:
                macros = templates.macros(request, ROW_TEMPLATE, zone_name=zone_name)
            any_action = any(action in permissions for action in ROW_ACTIONS)
            # The macro's answer is already Markup (autoescape is on): task text is escaped.
            html: Markup = macros.task_row(task, last, count, any_action)
            self._store(key, (task, last, html))
            parts.append(html)
        return Markup().join(parts)

    def part(
        self,
        request: Request,
        templates: Templates,
        macro: str,
        key: tuple[Any, ...],
        *args: Any,
        zone_name: str = "",
    ) -> Markup:
        """Macro ``macro`` of ``tasks/_table_parts.html`` called with ``args``, rendered once per
        ``key`` (which must hold everything the macro reads from ``args``), the permissions and
        the prefix; ``zone_name`` is the scheduler's zone (the trigger heading names it when the
        page shows local times).

        Args:
            macro: ``table_head`` (args: the query, whether any row action is allowed) or
                ``pager`` (args: the query, the page; key: the query's parameters and the page's
                number, count and size).
        """
        permissions = frozenset(request.scope.get(PERMISSIONS_KEY, frozenset()))
        full = (macro, key, permissions, request.prefix, zone_name)
        html = self._parts.get(full)
        if html is None:
            module: Any = templates.macros(request, PARTS_TEMPLATE, zone_name=zone_name)
            html = getattr(module, macro)(*args)
            self._parts[full] = html
            while len(self._parts) > self.parts_size:
                self._parts.popitem(last=False)
        self._parts.move_to_end(full)
        return html

    def _store(self, key: tuple[Any, ...], entry: Entry) -> None:
        self._rows[key] = entry
        self._rows.move_to_end(key)
        while len(self._rows) > self.size:
            self._rows.popitem(last=False)
