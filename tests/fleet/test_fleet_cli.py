"""``asyncz-dashboard demo --fleet`` and ``worker`` as an operator runs them: real processes."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx

from ..cli.test_cli import CLI, running
from ..views.page import parse, rows

DEMO_WORKER = "asyncz_dashboard.fleet.demo:worker_"


def demo_workers(pids: list[str]) -> list[str]:
    """Those of ``pids`` that are still demo worker processes (by their command line, so a
    pid reused since by another process does not count). Only pids this test started are
    asked about: other engineers' demos on the same machine are never seen."""
    alive = []
    for pid in pids:
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if DEMO_WORKER.encode() in cmdline:
            alive.append(pid)
    return alive


def children(pid: int) -> list[str]:
    """The pids of the direct children of process ``pid``."""
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return found.stdout.split()


def test_fleet_demo_serves_three_workers_and_stops_them(tmp_path: Path) -> None:
    with running(["demo", "--fleet"], tmp_path) as server:
        workers_started = demo_workers(children(server.process.pid))
        assert len(workers_started) == 3, "the demo's three workers"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            page = httpx.get(f"{server.base}/dashboard/tasks?per_page=100", timeout=5)
            if len(rows(page.text)) == 31:
                break
            time.sleep(0.2)
        shown = rows(page.text)
        assert len(shown) == 31, "every demo task, each held by one worker"
        workers = {row.find("td", class_="worker").text for row in shown.values()}
        assert workers == {"worker-1", "worker-2", "worker-3"}
        instances = httpx.get(f"{server.base}/dashboard/workers", timeout=5)
        body = parse(instances.text).find("tbody")
        status = {
            tr.find_all("td")[0].text: tr.find_all("td")[1].text
            for tr in body.children
            if getattr(tr, "tag", "") == "tr"
        }
        assert status == dict.fromkeys(("worker-1", "worker-2", "worker-3"), "live")
    assert demo_workers(workers_started) == [], "the demo's workers stop with it"


def test_worker_refuses_a_bad_target_with_one_line_and_code_2(tmp_path: Path) -> None:
    done = subprocess.run(
        [CLI, "worker", "nosuch.module:x", "--fleet", f"sqlite:///{tmp_path / 'f.db'}"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "asyncz-dashboard: error: cannot import module 'nosuch.module': No module named 'nosuch'"
    ]


def test_a_demo_killed_hard_leaves_no_worker_behind(tmp_path: Path) -> None:
    with running(["demo", "--fleet"], tmp_path, interrupt=False) as server:
        workers = demo_workers(children(server.process.pid))
        assert len(workers) == 3, "the demo's three workers"
        server.process.kill()  # SIGKILL: the demo cannot stop them itself
        server.process.wait()
        deadline = time.monotonic() + 15
        while demo_workers(workers):
            assert time.monotonic() < deadline, "a worker outlived the demo"
            time.sleep(0.1)
