"""Two fleets in one PostgreSQL database (two schemas): a NOTIFY of one never wakes the other's
listeners, and still wakes its own."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from asyncz_dashboard.fleet.db import COMMANDS_CHANNEL, TASKS_CHANNEL, Waker, notify
from asyncz_dashboard.storage.sql.engine import Database, create_sql_engine

from ..storage.conftest import pg_schema_url


@pytest.fixture
def two_fleets(pg_url: str) -> Iterator[tuple[Database, Database]]:
    """The databases of two fleets: two schemas of the same PostgreSQL database."""
    with pg_schema_url() as other:
        first, second = (Database(create_sql_engine(url)) for url in (pg_url, other))
        try:
            yield first, second
        finally:
            first.dispose()
            second.dispose()


def send(database: Database, channel: str) -> None:
    """One NOTIFY on ``channel`` of ``database``'s fleet, committed."""
    database.write(lambda conn: notify(conn, channel, "worker-id"))


@pytest.mark.parametrize("channel", [TASKS_CHANNEL, COMMANDS_CHANNEL])
def test_a_notify_wakes_its_own_fleet_only(
    two_fleets: tuple[Database, Database], channel: str
) -> None:
    first, second = two_fleets
    listener = Waker(second, (channel,))
    try:
        assert listener.listening.wait(10), "the LISTEN connection is up"
        deadline = time.monotonic() + 10
        while not listener.wait(0.2):  # LISTEN committed: its own fleet's NOTIFY arrives
            assert time.monotonic() < deadline, "the second fleet's own NOTIFY never arrived"
            send(second, channel)
        listener.wait(0.3)  # drain anything still in flight

        for _ in range(3):
            send(first, channel)
        assert not listener.wait(1.5), "the first fleet's NOTIFY woke the second fleet"

        send(second, channel)
        assert listener.wait(5), "its own fleet's NOTIFY still wakes it"
    finally:
        listener.close()
