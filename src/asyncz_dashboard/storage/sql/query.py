"""Small query helpers shared by the SQL storages: text search, limits, values."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import ColumnElement, Select, Table, func, select

from ..base import MAX_LIMIT


def clamp(value: int, upper: int = MAX_LIMIT) -> int:
    """``value`` within ``0..upper``."""
    return max(0, min(int(value), upper))


def level_number(name: str) -> int:
    """The minimum ``levelno`` for a level name; 0 (everything) for none or an unknown name."""
    number = logging.getLevelName(name.upper()) if name else 0
    return number if isinstance(number, int) else 0


def escape_like(needle: str) -> str:
    """``needle`` as a LIKE pattern matching it anywhere, ``\\`` being the escape character."""
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def contains_folded(column: Any, needle: str, dialect: str) -> ColumnElement[bool]:
    """Case-insensitive substring match of ``needle`` in ``column``.

    PostgreSQL: ILIKE. SQLite: LIKE, which folds ASCII only, so a needle with other letters
    compares through the Unicode-aware ``asyncz_lower`` function the engine registers.
    """
    if dialect == "postgresql":
        return column.ilike(escape_like(needle), escape="\\")  # type: ignore[no-any-return]
    if needle.isascii():
        return column.like(escape_like(needle), escape="\\")  # type: ignore[no-any-return]
    return func.instr(func.asyncz_lower(column), needle.lower()) > 0


def contains_exact(column: Any, needle: str, dialect: str) -> ColumnElement[bool]:
    """Case-sensitive substring match (no pattern characters to escape)."""
    finder = func.strpos if dialect == "postgresql" else func.instr
    return finder(column, needle) > 0


def clean_text(value: str, postgresql: bool) -> str:
    """PostgreSQL text cannot hold NUL characters: they become U+FFFD; anything else is kept."""
    if postgresql and "\x00" in value:
        return value.replace("\x00", "\ufffd")
    return value


def distinct_statement(table: Table, field: str, limit: int) -> Select[Any]:
    """``SELECT DISTINCT field`` of its non-empty values, sorted, at most ``limit`` (capped at
    ``MAX_LIMIT``); each such field has an index that starts with it, so this reads the index."""
    column = table.c[field]
    return select(column).where(column != "").distinct().order_by(column).limit(clamp(limit))
