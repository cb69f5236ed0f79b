"""Fleet fixtures: the storage tests' PostgreSQL schema per test and SQLite file, and worker
processes started with the CLI (``asyncz-dashboard worker``) on 127.0.0.1."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.storage.conftest import pg_url, postgres_ready, sqlite_url

__all__ = ["pg_url", "postgres_ready", "sqlite_url"]

ROOT = Path(__file__).resolve().parents[2]
StartWorker = Callable[..., subprocess.Popen[bytes]]


@pytest.fixture(params=["postgresql", "sqlite"])
def fleet_url(request: pytest.FixtureRequest) -> str:
    """The fleet database: a fresh PostgreSQL schema, or a SQLite file."""
    fixture = "pg_url" if request.param == "postgresql" else "sqlite_url"
    return str(request.getfixturevalue(fixture))


@pytest.fixture
def start_worker(tmp_path: Path) -> Iterator[StartWorker]:
    """Start ``asyncz-dashboard worker tests.fleet.apps:<factory> --fleet URL`` processes;
    all are killed at the end."""
    started: list[subprocess.Popen[bytes]] = []
    env = dict(os.environ, PYTHONPATH=f"{ROOT / 'src'}{os.pathsep}{ROOT}")

    def start(
        url: str,
        name: str,
        factory: str = "scheduler",
        heartbeat: float = 0.5,
        extra: tuple[str, ...] = (),
    ) -> subprocess.Popen[bytes]:
        out = (tmp_path / f"{name}.log").open("wb")
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "asyncz_dashboard.cli",
                "worker",
                f"tests.fleet.apps:{factory}",
                "--fleet",
                url,
                "--name",
                name,
                "--heartbeat",
                str(heartbeat),
                *extra,
            ],
            cwd=tmp_path,
            env=dict(env, FLEET_TEST_DIR=str(tmp_path), FLEET_TEST_NAME=name),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        out.close()  # the worker has its own copy
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 15
    for process in started:
        try:
            process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
