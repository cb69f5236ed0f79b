"""Where runs, logs, events, audit entries and ended sessions are kept: memory by default, SQL
optionally.

``storage=`` (a URL such as ``sqlite:///dashboard.db`` or ``postgresql://...``, or an object)
sets every kind at once; ``log_storage=``, ``run_history_storage=``, ``audit_storage=`` and
``event_storage=`` override one kind each (see the brief, "Storage"). Ended sessions (logout)
follow ``storage=``: with a SQL URL every process sharing it refuses a signed-out cookie.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .base import (
    AuditStorage,
    EventStorage,
    LogStorage,
    RunStorage,
    SessionStorage,
    StorageUnavailable,
)
from .memory import (
    MemoryAuditStorage,
    MemoryEventStorage,
    MemoryLogStorage,
    MemoryRunStorage,
    MemorySessionStorage,
)
from .readers import DEFAULT_TIMEOUT

__all__ = ["StorageUnavailable", "Storages", "open_storages"]

SQL_EXTRA_HINT = "SQL storage needs the 'sql' extra: pip install 'asyncz-dashboard[sql]'"


@dataclass(frozen=True)
class Storages:
    """The storages in use."""

    runs: RunStorage
    logs: LogStorage
    events: EventStorage
    audit: AuditStorage
    sessions: SessionStorage = field(default_factory=MemorySessionStorage)
    # Submission ids shared by the web processes (a SQL bundle's); None: this process only.
    submissions: Any = None
    opened: tuple[Any, ...] = ()

    def close(self) -> None:
        """Close what ``open_storages`` opened from URLs (connection pools); objects passed in
        by the caller stay the caller's to close."""
        for bundle in self.opened:
            close = getattr(bundle, "close", None)
            if callable(close):
                close()


def _sql_bundle(url: str, timeout: float) -> Any:
    try:
        from .sql import open_sql
    except ImportError as exc:  # SQLAlchemy missing
        raise ImportError(SQL_EXTRA_HINT) from exc
    return open_sql(url, timeout=timeout)


def _resolve(spec: Any, kind: str, bundles: dict[str, Any], timeout: float) -> Any:
    if isinstance(spec, str):
        if spec in ("", "memory", "memory://"):
            return None
        if spec not in bundles:
            bundles[spec] = _sql_bundle(spec, timeout)
        return getattr(bundles[spec], kind)
    if kind in ("sessions", "submissions"):  # only from a bundle that has them
        return getattr(spec, kind, None)
    if spec is not None and hasattr(spec, kind) and not hasattr(spec, "query"):
        return getattr(spec, kind)  # a bundle object holding all kinds
    return spec


def open_storages(
    storage: Any = None,
    *,
    log_storage: Any = None,
    run_history_storage: Any = None,
    audit_storage: Any = None,
    event_storage: Any = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> Storages:
    """Build the storages from URLs or objects; memory for whatever is not given.

    ``timeout`` (seconds) bounds connecting and reading for the SQL storages opened from URLs.

    Raises:
        ImportError: a SQL URL without the ``sql`` extra installed (names the extra).
        ValueError: an unsupported URL scheme.
    """
    bundles: dict[str, Any] = {}
    kinds = ("runs", "logs", "events", "audit", "sessions", "submissions")
    base = {kind: _resolve(storage, kind, bundles, timeout) for kind in kinds}
    runs = _resolve(run_history_storage, "runs", bundles, timeout) or base["runs"]
    logs = _resolve(log_storage, "logs", bundles, timeout) or base["logs"]
    events = _resolve(event_storage, "events", bundles, timeout) or base["events"]
    audit = _resolve(audit_storage, "audit", bundles, timeout) or base["audit"]
    return Storages(
        runs=runs or MemoryRunStorage(),
        logs=logs or MemoryLogStorage(),
        events=events or MemoryEventStorage(),
        audit=audit or MemoryAuditStorage(),
        sessions=base["sessions"] or MemorySessionStorage(),
        submissions=base["submissions"],
        opened=tuple(bundles.values()),
    )
