"""The page cache: a page rendered once per change, and per request only its own few values.

``views.common.render_cached`` uses it.

A live page's HTML (the task list, its table fragment) depends on what its live version
(``views.live.page_version``) stands for: the task index's and the history writer's change
counters, the scheduler's state and zone, the viewer's id and permissions, the page and its
normalised query. Add the template, the URL prefix and the viewer's name and extra attributes,
and the only parts left that differ from one request to the next are the session's CSRF token
and the page's single-use submission id (``submissions.py``: each render gets its own, so two
tabs never share one). The page is rendered once per key with markers in their place and kept
split at them; a request joins the pieces with its own token and a fresh id. With gzip, each
piece is deflated once and the values go in as stored blocks (``asgi.compression``).

Not cached: a page with a flash message waiting (it is shown once, then gone), a request for
which no live version was computed, and anything a view marks uncacheable (the "Loading tasks"
state, whose count changes without a version change).
"""

from __future__ import annotations

import re
import secrets
import zlib
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, field

from ..asgi.compression import deflate_piece, gzip_member, stored_piece

# Random per process: no task name, argument or log line can hold them by chance or on purpose.
_MARK = secrets.token_hex(12)
CSRF_MARK = f"csrf{_MARK}"
SUBMISSION_MARK = f"sid{_MARK}"
_SPLIT = re.compile(f"({CSRF_MARK}|{SUBMISSION_MARK})".encode())
DEFAULT_PAGES = 64  # pages kept (~100 KB each for a 50-row task list)
GZIP_LEVEL = 6  # once per change, not per request: smaller than the middleware's level 1


@dataclass
class CachedPage:
    """One rendered page split at its per-request values.

    ``pieces`` has one more item than ``slots``; slot ``n`` (``"csrf"`` or ``"submission"``)
    goes between pieces ``n`` and ``n + 1``.
    """

    pieces: tuple[bytes, ...]
    slots: tuple[str, ...]
    status: int = 200
    _deflated: tuple[bytes, ...] | None = field(default=None, repr=False)

    @classmethod
    def split(cls, html: str, status: int = 200) -> CachedPage:
        """Cut rendered ``html`` at the markers."""
        parts = _SPLIT.split(html.encode("utf-8"))
        slots = tuple("csrf" if m == CSRF_MARK.encode() else "submission" for m in parts[1::2])
        return cls(tuple(parts[0::2]), slots, status)

    def body(self, values: dict[str, bytes]) -> bytes:
        """The page with ``values`` (``csrf`` and ``submission``, ASCII) in its slots."""
        out = [self.pieces[0]]
        for slot, piece in zip(self.slots, self.pieces[1:], strict=True):
            out += (values[slot], piece)
        return b"".join(out)

    def gzip(self, values: dict[str, bytes]) -> bytes:
        """``body(values)`` as gzip, joined from pieces deflated once (on first use)."""
        if self._deflated is None:
            self._deflated = tuple(deflate_piece(p, GZIP_LEVEL) if p else b"" for p in self.pieces)
        blocks = [self._deflated[0]]
        crc = zlib.crc32(self.pieces[0])
        size = len(self.pieces[0])
        for index, slot in enumerate(self.slots, 1):
            value, piece = values[slot], self.pieces[index]
            blocks += (stored_piece(value), self._deflated[index])
            crc = zlib.crc32(piece, zlib.crc32(value, crc))
            size += len(value) + len(piece)
        return gzip_member(blocks, crc, size)


class PageCache:
    """A bounded, least-recently-used cache of ``CachedPage`` by key.

    Args:
        size: the most pages kept; the least recently served go first.
    """

    def __init__(self, size: int = DEFAULT_PAGES):
        self.size = size
        self._pages: OrderedDict[Hashable, CachedPage] = OrderedDict()

    def __len__(self) -> int:
        return len(self._pages)

    def get(self, key: Hashable) -> CachedPage | None:
        """The page kept under ``key``, or None."""
        page = self._pages.get(key)
        if page is not None:
            self._pages.move_to_end(key)
        return page

    def put(self, key: Hashable, page: CachedPage) -> None:
        """Keep ``page`` under ``key``, dropping the least recently used beyond ``size``."""
        self._pages[key] = page
        self._pages.move_to_end(key)
        while len(self._pages) > self.size:
            self._pages.popitem(last=False)
