"""The fuzz test also runs on PostgreSQL storage: the storage suite's per-test schema."""

from __future__ import annotations

from ..storage.conftest import pg_url, postgres_ready

__all__ = ["pg_url", "postgres_ready"]
