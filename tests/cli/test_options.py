"""The CLI's options for a reverse proxy and a SQL storage take effect: ``--trusted-proxy``
(``trusted_forwarded_hosts``), ``--allowed-origin`` (``allowed_origins``) and
``--storage-timeout`` (``storage_timeout``); a malformed value is a one-line usage error."""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
import pytest

from ..history.test_storage_failure import hung_database
from ..proxy.nginx import README_UPSTREAM, nginx, readme_location
from .test_cli import act, running, usage_error

__all__ = ["hung_database"]  # the fixture, used by name below

SERVE = ["serve", "cli_test_jobs:scheduler"]


@pytest.mark.parametrize(("proxy", "trusted"), [("10.0.0.0/8", False), ("127.0.0.1", True)])
def test_forwarded_headers_are_honoured_only_from_a_trusted_proxy(
    jobs_dir: Path, proxy: str, trusted: bool
) -> None:
    args = [*SERVE, "--trusted-proxy", proxy, "--trusted-proxy", "192.0.2.7"]
    with running(args, jobs_dir) as server:
        forwarded = {"x-forwarded-prefix": "/ops"}
        prefix = "/ops/dashboard" if trusted else "/dashboard"
        tasks = httpx.get(f"{server.base}/dashboard/tasks", headers=forwarded)
        assert tasks.status_code == 200
        assert f'href="{prefix}/tasks/ping"' in tasks.text
        assert ('href="/dashboard/tasks/ping"' in tasks.text) is not trusted
        root = httpx.get(f"{server.base}/", headers=forwarded, follow_redirects=False)
        assert root.headers["location"] == f"{prefix}/"
        # A trusted proxy's X-Forwarded-Host is the public name, checked against the allowed
        # hosts; anyone else's is ignored.
        other = httpx.get(
            f"{server.base}/dashboard/", headers={"x-forwarded-host": "rebind.attacker.test"}
        )
        assert other.status_code == (400 if trusted else 200)


@pytest.mark.parametrize("allowed", [False, True])
def test_a_post_from_another_origin_acts_only_when_that_origin_is_allowed(
    jobs_dir: Path, allowed: bool
) -> None:
    args = [*SERVE, "--allowed-origin", "https://ops.example.com"] if allowed else SERVE
    with running(args, jobs_dir) as server:
        assert act(server, "ping", "pause", origin="https://evil.example.com") == 403
        status = act(server, "ping", "pause", origin="https://ops.example.com")
        assert status == (303 if allowed else 403)
        paused = httpx.get(f"{server.base}/dashboard/tasks", params={"state": "paused"})
        assert ("Ping the upstream" in paused.text) is allowed


@pytest.mark.parametrize("seconds", [0.3, 3.0])
def test_storage_timeout_bounds_how_long_a_page_waits_for_a_hung_database(
    jobs_dir: Path, hung_database: str, seconds: float
) -> None:
    args = [*SERVE, "--storage", hung_database, "--storage-timeout", str(seconds)]
    with running(args, jobs_dir) as server:
        started = time.monotonic()
        runs = httpx.get(f"{server.base}/dashboard/runs", timeout=30)
        waited = time.monotonic() - started
        assert runs.status_code == 200
        assert "The history storage is unavailable right now." in runs.text
        assert seconds * 0.8 <= waited < seconds + 1.5, waited


@pytest.mark.parametrize(
    ("option", "value", "reason"),
    [
        ("--trusted-proxy", "proxy.internal", "expected an IP address or CIDR range"),
        ("--allowed-origin", "ops.example.com", "is not an origin like https://host[:port]"),
        ("--storage-timeout", "0", "expected a positive number of seconds, got '0'"),
        ("--storage-timeout", "soon", "expected a positive number of seconds, got 'soon'"),
    ],
)
def test_a_malformed_value_is_a_one_line_usage_error(
    jobs_dir: Path, option: str, value: str, reason: str
) -> None:
    assert reason in usage_error(jobs_dir, option, value)


@pytest.mark.parametrize(
    ("block", "prefix_option", "public"),
    [("location /dashboard/", "/dashboard", "/dashboard"), ("location /ops/", "/", "/ops")],
)
def test_behind_the_readmes_nginx_blocks_with_trusted_proxy(
    jobs_dir: Path, block: str, prefix_option: str, public: str
) -> None:
    """The README's CLI line behind a real nginx running the README's own location blocks."""
    args = [*SERVE, "--prefix", prefix_option, "--trusted-proxy", "127.0.0.1"]
    args += ["--allowed-host", "ops.example.com"]
    local = "" if prefix_option == "/" else prefix_option
    with running(args, jobs_dir, prefix=local) as server:
        location = readme_location(block).replace(README_UPSTREAM, server.base)
        with nginx(jobs_dir / "nginx", location) as proxy:
            host = {"host": "ops.example.com"}
            tasks = httpx.get(f"{proxy}{public}/tasks", headers=host)
            assert tasks.status_code == 200, tasks.text
            assert f'href="{public}/tasks/ping"' in tasks.text
            token = re.search(r'name="csrf_token" value="([^"]+)"', tasks.text)
            assert token
            paused = httpx.post(
                f"{proxy}{public}/tasks/ping/pause",
                data={"csrf_token": token.group(1)},
                cookies=dict(tasks.cookies),
                headers={**host, "origin": "http://ops.example.com"},
                follow_redirects=False,
            )
            assert paused.status_code == 303
            assert paused.headers["location"].startswith(f"{public}/")
            other = httpx.get(f"{proxy}{public}/tasks", headers={"host": "rebind.test"})
            assert other.status_code == 400
