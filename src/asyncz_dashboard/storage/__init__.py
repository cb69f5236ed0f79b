"""Where runs, logs, events and audit entries are kept: memory by default, SQL optionally.

``storage=`` (a URL such as ``sqlite:///dashboard.db`` or ``postgresql://...``, or an object)
sets all four kinds at once; ``log_storage=``, ``run_history_storage=``, ``audit_storage=`` and
``event_storage=`` override one kind each (see the brief, "Storage").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .base import AuditStorage, EventStorage, LogStorage, RunStorage, StorageUnavailable
from .memory import MemoryAuditStorage, MemoryEventStorage, MemoryLogStorage, MemoryRunStorage

__all__ = ["StorageUnavailable", "Storages", "open_storages"]

SQL_EXTRA_HINT = "SQL storage needs the 'sql' extra: pip install 'asyncz-dashboard[sql]'"


@dataclass(frozen=True)
class Storages:
    """The four storages in use."""

    runs: RunStorage
    logs: LogStorage
    events: EventStorage
    audit: AuditStorage
    opened: tuple[Any, ...] = ()

    def close(self) -> None:
        """Close what ``open_storages`` opened from URLs (connection pools); objects passed in
        by the caller stay the caller's to close."""
        for bundle in self.opened:
            close = getattr(bundle, "close", None)
            if callable(close):
                close()


def _sql_bundle(url: str) -> Any:
    try:
        from .sql import open_sql
    except ImportError as exc:  # SQLAlchemy missing
        raise ImportError(SQL_EXTRA_HINT) from exc
    return open_sql(url)


def _resolve(spec: Any, kind: str, bundles: dict[str, Any]) -> Any:
    if isinstance(spec, str):
        if spec in ("", "memory", "memory://"):
            return None
        if spec not in bundles:
            bundles[spec] = _sql_bundle(spec)
        return getattr(bundles[spec], kind)
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
) -> Storages:
    """Build the storages from URLs or objects; memory for whatever is not given.

    Raises:
        ImportError: a SQL URL without the ``sql`` extra installed (names the extra).
        ValueError: an unsupported URL scheme.
    """
    bundles: dict[str, Any] = {}
    base = {kind: _resolve(storage, kind, bundles) for kind in ("runs", "logs", "events", "audit")}
    runs = _resolve(run_history_storage, "runs", bundles) or base["runs"]
    logs = _resolve(log_storage, "logs", bundles) or base["logs"]
    events = _resolve(event_storage, "events", bundles) or base["events"]
    audit = _resolve(audit_storage, "audit", bundles) or base["audit"]
    return Storages(
        runs=runs or MemoryRunStorage(),
        logs=logs or MemoryLogStorage(),
        events=events or MemoryEventStorage(),
        audit=audit or MemoryAuditStorage(),
        opened=tuple(bundles.values()),
    )
