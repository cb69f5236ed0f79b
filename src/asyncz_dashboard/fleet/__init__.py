"""A fleet: schedulers in other processes, joined to the dashboard through a shared database.

``FleetWorker(scheduler, url)`` in each worker process; ``AsynczAdmin(fleet=url)`` in the web
app. Snapshots, heartbeats and commands are rows; PostgreSQL ``LISTEN/NOTIFY`` wakes, polling
guarantees; a command runs at most once; no worker opens a port.
"""

from __future__ import annotations

from typing import Any

__all__ = ["FleetWorker"]


def __getattr__(name: str) -> Any:
    # Lazily: the fleet needs the ``sql`` extra, the rest of the dashboard does not.
    if name == "FleetWorker":
        from .worker import FleetWorker

        return FleetWorker
    raise AttributeError(name)
