"""A fleet: schedulers in other processes, joined to the dashboard through a shared database.

``FleetWorker(scheduler, url)`` in each worker process; ``AsynczAdmin(fleet=url)`` in the web
app. Snapshots, heartbeats and commands are rows; PostgreSQL ``LISTEN/NOTIFY`` wakes, polling
guarantees; a command runs at most once; no worker opens a port.
"""

from __future__ import annotations

from .worker import FleetWorker

__all__ = ["FleetWorker"]
