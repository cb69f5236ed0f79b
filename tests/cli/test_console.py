"""What a newcomer sees in the terminal: the demo's URL last and nothing after it (its tasks'
log lines go to the Logs page), ``--verbose`` for everything, a clean Ctrl-C even while a
task runs, and ``--help`` that reads as plain text."""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from .test_cli import CLI, Server, act, running, stop


def eventually(check: Callable[[], bool], what: str, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.1)


def logs_show(server: Server, text: str, **params: str) -> bool:
    return text in httpx.get(f"{server.base}/dashboard/logs", params=params).text


def test_the_demo_prints_its_url_last_and_leaves_task_logs_to_the_logs_page(
    tmp_path: Path,
) -> None:
    with running(["demo"], tmp_path) as server:
        printed = server.stdout.splitlines()
        assert len(printed) <= 3, printed
        assert printed[-1].strip() == f"{server.base}/dashboard/"
        assert "Ctrl-C" in server.stdout
        # A task that logs, the one that always fails and the slow one (still running at
        # Ctrl-C): the Logs page has their lines, the console has nothing new.
        for task_id in ("orders.sync.eu-west", "billing.charge", "export.events"):
            assert act(server, task_id, "run") == 303
        eventually(lambda: logs_show(server, "Synced"), "the sync task's line on /logs")
        eventually(lambda: logs_show(server, "Export of events started"), "the export's line")
        eventually(
            lambda: logs_show(server, "payment provider rejected", level="ERROR"),
            "the failed run on /logs at ERROR",
        )
        assert logs_show(server, "Running task")  # Asyncz's own INFO lines
        assert server.stdout.splitlines() == printed
        assert server.stderr == ""  # no random-key warning, no tracebacks
    assert server.stderr == ""  # Ctrl-C during the export: not a word, exit code 0


def test_the_demo_verbose_prints_task_logs_and_still_stops_cleanly(tmp_path: Path) -> None:
    with running(["demo", "--verbose"], tmp_path) as server:
        assert server.stdout.splitlines()[-1].strip() == f"{server.base}/dashboard/"
        assert act(server, "orders.sync.eu-west", "run") == 303
        assert act(server, "export.events", "run") == 303
        eventually(lambda: "Synced" in server.stderr, "the sync task's line on the console")
        eventually(lambda: "Export of events started" in server.stderr, "the export's line")
        assert "Running task" in server.stderr
    # ``running`` sent Ctrl-C while the export ran: no CancelledError even in verbose mode.


def test_serve_stops_cleanly_while_a_task_runs_and_shows_its_warnings(jobs_dir: Path) -> None:
    with running(["serve", "cli_test_jobs:scheduler"], jobs_dir) as server:
        assert server.stdout.splitlines()[-1].strip() == f"{server.base}/dashboard/"
        assert act(server, "slow", "run") == 303
        eventually(lambda: "The slow task started" in server.stderr, "the task's warning")
        assert " INFO " not in server.stderr  # INFO only with --verbose


# An option line of argparse's help: "  -v, --verbose   help" or "  --port PORT   help".
OPTION = re.compile(r"^  (?:-\w, )?(--[\w-]+)(?: [A-Z][A-Z:_]*)?(?:\s{2,}(\S.*))?$")


@pytest.mark.parametrize("command", [[], ["demo"], ["serve"]])
def test_help_is_plain_text_with_help_for_every_option_and_examples(
    command: list[str],
) -> None:
    done = subprocess.run(
        [CLI, *command, "--help"], capture_output=True, text=True, timeout=30, check=True
    )
    text = done.stdout
    for markup in ("``", ":class:", ":func:", "%(", "**"):
        assert markup not in text, text
    assert "\nexamples:\n  asyncz-dashboard " in text
    assert all(len(line) <= 100 for line in text.splitlines()), text
    lines = text.splitlines()
    options: dict[str, str] = {}
    for number, line in enumerate(lines):
        match = OPTION.match(line)
        if match:
            after = lines[number + 1] if number + 1 < len(lines) else ""
            continued = after.strip() if after.startswith(" " * 10) else ""
            options[match.group(1)] = match.group(2) or continued
    assert all(options.values()), {k: v for k, v in options.items() if not v}
    if not command:
        assert {"demo", "serve"} <= set(re.findall(r"^    (\w+)\s{2,}\S", text, re.M))
        return
    expected = {
        "--host",
        "--port",
        "--prefix",
        "--secret-key",
        "--verbose",
        "--allowed-host",
        "--trusted-proxy",
        "--allowed-origin",
        "--storage",
        "--storage-timeout",
    }
    assert expected <= set(options), sorted(options)
    assert "(default: 127.0.0.1)" in options["--host"]
    assert "(default: 8000)" in options["--port"]


def test_port_0_serves_on_a_free_port_named_in_the_url_line(tmp_path: Path) -> None:
    out = tmp_path / "out.log"
    with out.open("wb") as stdout:
        process = subprocess.Popen(
            [CLI, "demo", "--port", "0"], cwd=tmp_path, stdout=stdout, stderr=subprocess.STDOUT
        )
    server = Server("", process, out, out)
    try:
        url = re.compile(r"^  (http://127\.0\.0\.1:(\d+))/dashboard/$", re.M)
        eventually(lambda: url.search(server.stdout) is not None, "the URL line")
        found = url.search(server.stdout)
        assert found and found.group(2) != "0"
        server.base = found.group(1)
        health = httpx.get(f"{server.base}/dashboard/health")
        assert (health.status_code, health.json()) == (200, {"status": "running"})
        stop(server)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
