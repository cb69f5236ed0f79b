"""Side by side: our dashboard, Asyncz's own dashboard and a bare ASGI floor, over one scheduler.

Run: ``/work/main/.venv/bin/python benchmarks/compare.py`` (``--help`` for options;
``--sizes 1000,10000,100000`` adds the large size). See benchmarks/README.md.

For each size N it builds one real ``AsyncIOScheduler`` with N tasks of mixed triggers (the
scheduler of bench_pages.py, quiet: nothing fires while measuring) and puts both dashboards
over it. In process (``httpx.ASGITransport``, on the scheduler's loop) it alternates ours and
theirs request by request and reports the median and p90 of each page, and the longest
event-loop stall seen while each side was answering. Then it serves ours, theirs and a bare
ASGI app answering a fixed page of our task list's size (the floor) with hypercorn, in a child
process on 127.0.0.1, and loads each in turn with wrk (or a Python load loop when wrk is not
installed) for a fixed time: requests/s and p99 latency.

A benchmark, not a test: it asserts nothing about timings.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import httpx  # noqa: E402
from bench_pages import StallMonitor, build_scheduler, pause_share, reference_app  # noqa: E402

from asyncz_dashboard import AsynczAdmin, DashboardConfig  # noqa: E402

SECRET = "bench-secret-key-not-for-production"  # noqa: S105 (a benchmark key)
REFERENCE_VENV = HERE / ".venv-reference"
PER_PAGE = 50
LIST = f"/tasks?per_page={PER_PAGE}"
FRAGMENT = f"/tasks/partials/table?per_page={PER_PAGE}"
HX = {"HX-Request": "true"}
REFRESH = {**HX, "HX-Trigger": "tasks-table"}


@dataclass
class Line:
    """One measured quantity for ours, theirs and the floor (None: not measured)."""

    label: str
    unit: str
    ours: float | None = None
    theirs: float | None = None
    floor: float | None = None
    note: str = ""
    lower_is_better: bool = True

    def ratio(self) -> str:
        """How many times better ours is than theirs, and ours as a share of the floor."""
        parts = []
        if self.ours and self.theirs:
            better = self.theirs / self.ours if self.lower_is_better else self.ours / self.theirs
            parts.append(f"{better:,.1f}x theirs" if better >= 1 else f"{better:.2g}x theirs")
        if self.ours and self.floor:
            share = self.floor / self.ours if self.lower_is_better else self.ours / self.floor
            parts.append(f"{share:.0%} of floor")
        return ", ".join(parts)


@dataclass
class Samples:
    times: list[float] = field(default_factory=list)

    def median(self) -> float:
        return statistics.median(self.times) * 1000

    def p90(self) -> float:
        ordered = sorted(self.times)
        return ordered[max(0, -(-90 * len(ordered) // 100) - 1)] * 1000


# -- in process --------------------------------------------------------------------------------
Call = Callable[[], Awaitable[Any]]


# One task row of our list (tasks/_row.html): its DOM id is t-<id> or h-<hash>.
ROW = re.compile(r'<tr id="[th]-.*?</tr>', re.S)


def getter(client: httpx.AsyncClient, url: str, headers: dict[str, str] | None = None) -> Call:
    async def call() -> httpx.Response:
        response = await client.get(url, headers=headers or {})
        if response.status_code not in (200, 204):
            raise RuntimeError(f"GET {url} answered {response.status_code}")
        return response

    return call


class OurActions:
    """htmx pause then resume of our tasks in turn, each with the submission id of the last
    answer (a fresh one per fragment, as the browser would send)."""

    def __init__(self, client: httpx.AsyncClient, task_ids: list[str]):
        self.client, self.task_ids, self.n = client, task_ids, 0
        self.csrf = self.submission = ""

    async def prepare(self) -> None:
        page = (await self.client.get(LIST)).text
        self.csrf = _field(page, "csrf_token")
        self.submission = _field(page, "submission_id")

    async def __call__(self) -> None:
        task_id = self.task_ids[self.n % len(self.task_ids)]
        verb = "pause" if self.n // len(self.task_ids) % 2 == 0 else "resume"
        self.n += 1
        data = {
            "csrf_token": self.csrf,
            "submission_id": self.submission,
            "per_page": str(PER_PAGE),
        }
        response = await self.client.post(f"/tasks/{task_id}/{verb}", data=data, headers=HX)
        if response.status_code != 200:
            raise RuntimeError(f"our {verb} answered {response.status_code}")
        self.submission = _field(response.text, "submission_id")


class TheirActions:
    """htmx pause then resume of the reference's tasks in turn."""

    def __init__(self, client: httpx.AsyncClient, task_ids: list[str]):
        self.client, self.task_ids, self.n = client, task_ids, 0

    async def __call__(self) -> None:
        task_id = self.task_ids[self.n % len(self.task_ids)]
        verb = "pause" if self.n // len(self.task_ids) % 2 == 0 else "resume"
        self.n += 1
        response = await self.client.post(f"/tasks/{task_id}/{verb}", headers=HX)
        if response.status_code != 200:
            raise RuntimeError(f"their {verb} answered {response.status_code}")


def _field(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]+)"', html)
    if match is None:
        raise RuntimeError(f"no {name} in the page")
    return match.group(1)


async def alternate(
    ops: dict[str, tuple[Call, Call | None]], rounds: int, budget: float
) -> tuple[dict[str, tuple[Samples, Samples]], dict[str, float]]:
    """Time each op, ours then theirs, ``rounds`` times (theirs stops early past ``budget``
    seconds per op, keeping at least 3 samples); also the longest loop stall of each side."""
    monitor = StallMonitor()
    monitor.start()
    stalls = {"ours": 0.0, "theirs": 0.0}
    results: dict[str, tuple[Samples, Samples]] = {}
    try:
        for label, (ours, theirs) in ops.items():
            mine, yours = Samples(), Samples()
            for call in (ours, theirs):
                if call is not None:
                    await call()  # warm-up, untimed
            for n in range(rounds):
                for side, call, samples in (("ours", ours, mine), ("theirs", theirs, yours)):
                    if call is None or (side == "theirs" and n >= 3 and sum(yours.times) > budget):
                        continue
                    await asyncio.sleep(0.002)
                    monitor.reset()
                    start = time.perf_counter()
                    await call()
                    samples.times.append(time.perf_counter() - start)
                    await asyncio.sleep(0.002)  # the monitor wakes: the stall was this call's
                    stalls[side] = max(stalls[side], monitor.max_late)
            results[label] = (mine, yours)
    finally:
        await monitor.stop()
    return results, stalls


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


async def in_process(size: int, args: argparse.Namespace, lines: list[Line]) -> int:
    """The in-process half for one size; returns our task list's size in bytes."""
    scheduler = build_scheduler(size, firing=0, paused_share=0.0, seed=7)
    scheduler.start()
    pause_share(scheduler, 0.1, seed=7)
    gc.collect()
    base = rss_mb()
    start = time.perf_counter()
    admin = AsynczAdmin(scheduler, config=DashboardConfig(secret_key=SECRET))
    built = time.perf_counter() - start
    ours_app = admin.get_asgi_app()
    start = time.perf_counter()
    theirs_app, why = (None, "--no-theirs") if args.no_theirs else reference_app(scheduler)
    their_built = time.perf_counter() - start if theirs_app else None
    # Our index is built on the loop in slices; until then pages say "Loading N tasks". Pages
    # are measured once it is ready (as theirs, which has no such state, is from the start).
    start = time.perf_counter()
    while admin.adapter.counts().loading is not None:  # noqa: ASYNC110 (a poll of a counter)
        await asyncio.sleep(0.05)
    index_ready = time.perf_counter() - start + built
    ids = sorted(str(t.id) for t in scheduler.get_tasks() if t.next_run_time is not None)
    ours = httpx.AsyncClient(transport=httpx.ASGITransport(app=ours_app), base_url="http://x")
    theirs = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=theirs_app or ours_app), base_url="http://x"
    )
    try:
        fragment = (await ours.get(FRAGMENT, headers=REFRESH)).text
        version = re.search(r'data-version="([^"]+)"', fragment)
        unchanged_note = "X-Dashboard-Version: 204" if version else "no data-version yet: a 200"
        unchanged = {**REFRESH, "X-Dashboard-Version": version.group(1) if version else ""}
        actions = OurActions(ours, ids[: args.rounds + 2])
        await actions.prepare()
        # Our index builds in slices on this loop: measured before it is done, the first page
        # (the overview) would carry the build's slices, which run only while ours await
        # (theirs hold the loop for a second at a time). Pages are measured once it is built.
        while admin.adapter.index.loading is not None or admin.adapter.index.building:  # noqa: ASYNC110
            await asyncio.sleep(0.005)
        t = theirs_app is not None
        ops: dict[str, tuple[Call, Call | None]] = {
            "overview": (getter(ours, "/"), getter(theirs, "/") if t else None),
            "task list (50 rows)": (getter(ours, LIST), getter(theirs, "/tasks/?per_page=50")),
            "search": (getter(ours, f"{LIST}&q=invoices"), getter(theirs, "/tasks/?q=invoices")),
            "sort by name, desc": (
                getter(ours, f"{LIST}&sort=name&direction=desc"),
                getter(theirs, "/tasks/?per_page=50&sort=name&direction=desc"),
            ),
            "refresh fragment (changed)": (
                getter(ours, FRAGMENT, REFRESH),
                getter(theirs, FRAGMENT, HX),
            ),
            "refresh fragment (unchanged)": (getter(ours, FRAGMENT, unchanged), None),
            "htmx pause / resume": (actions, TheirActions(theirs, ids[-(args.rounds + 2) :])),
        }
        if not t:
            ops = {k: (v[0], None) for k, v in ops.items()}
        results, stalls = await alternate(ops, args.rounds, args.budget)
        for label, (mine, yours) in results.items():
            note = unchanged_note if "unchanged" in label else ""
            if "unchanged" in label and t:
                note += "; theirs has none (every refresh is full)"
            for stat in ("median", "p90"):
                lines.append(
                    Line(
                        f"{label}: {stat}",
                        "ms",
                        getattr(mine, stat)(),
                        getattr(yours, stat)() if yours.times else None,
                        note=note if stat == "median" else "",
                    )
                )
        lines.append(Line("longest loop stall", "ms", stalls["ours"] * 1000,
                          stalls["theirs"] * 1000 if t else None))  # fmt: skip
        lines.append(Line("dashboard construction (blocks the loop)", "ms", built * 1000,
                          their_built * 1000 if their_built is not None else None))  # fmt: skip
        lines.append(Line("index ready after construction began", "ms", index_ready * 1000,
                          note="built in slices on the loop; pages measured after"))  # fmt: skip
        identity = await ours.get(LIST, headers={"accept-encoding": "identity"})
        zipped = await ours.get(LIST, headers={"accept-encoding": "gzip"})
        their_page = await theirs.get("/tasks/?per_page=50") if t else None
        rows = max(1, identity.text.count("<tr") - 1)
        lines.append(Line("task list bytes, identity", "KB", len(identity.content) / 1024,
                          len(their_page.content) / 1024 if their_page else None))  # fmt: skip
        lines.append(Line("task list bytes, gzip", "KB", zipped.num_bytes_downloaded / 1024,
                          their_page.num_bytes_downloaded / 1024 if their_page else None,
                          note="theirs sends no gzip" if their_page else ""))  # fmt: skip
        lines.append(Line("bytes per row, identity", "B", len(identity.content) / rows,
                          note="the whole page / its rows"))  # fmt: skip
        row_html = ROW.findall(identity.text)
        lines.append(Line("bytes per row, rows only", "B",
                          sum(len(r.encode()) for r in row_html) / max(1, len(row_html)),
                          note="the task rows' <tr>s alone (issue 9: ~1 KB)"))  # fmt: skip
        lines.append(Line("process RSS growth (both dashboards, warm)", "MB", rss_mb() - base))
        if not t:
            lines.append(Line("theirs", "", note=f"skipped: {why}"))
        return len(identity.content)
    finally:
        await ours.aclose()
        await theirs.aclose()
        admin.close()
        scheduler.shutdown(wait=False)


# -- under hypercorn ---------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def floor_app(size: int) -> Any:
    """A bare ASGI app answering every request with the same ``size``-byte HTML page."""
    body = b"<!doctype html><title>floor</title>" + b"x" * max(0, size - 35)
    headers = [(b"content-type", b"text/html; charset=utf-8"), (b"content-length", b"%d" % size)]

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                if (await receive())["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                    continue
                await send({"type": "lifespan.shutdown.complete"})
                return
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


async def serve_child(size: int, floor_bytes: int, ports: list[int], theirs: bool) -> None:
    """The child process: one scheduler, ours, theirs and the floor, each on its own port."""
    from hypercorn.asyncio import serve
    from hypercorn.config import Config

    scheduler = build_scheduler(size, firing=0, paused_share=0.0, seed=7)
    scheduler.start()
    pause_share(scheduler, 0.1, seed=7)
    apps = [AsynczAdmin(scheduler, config=DashboardConfig(secret_key=SECRET)).get_asgi_app()]
    apps.append(floor_app(floor_bytes))
    if theirs:
        app, _ = reference_app(scheduler)
        if app is not None:
            apps.append(app)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    servers = []
    for app, port in zip(apps, ports, strict=False):
        config = Config()
        config.bind = [f"127.0.0.1:{port}"]
        config.accesslog = None
        config.errorlog = None
        config.graceful_timeout = 1
        servers.append(serve(app, config, shutdown_trigger=stop.wait))
    print("ready", flush=True)
    await asyncio.gather(*servers)


def ready_version(url: str, limit: float = 300.0) -> re.Match[str] | None:
    """The ``data-version`` of the refresh fragment once the index is built (while it says
    "Loading", the version changes when the build ends: a poll with it would get a full 200),
    checked to answer 204."""
    end = time.perf_counter() + limit
    fragment = httpx.get(url, headers=REFRESH).text
    while "data-loading" in fragment and time.perf_counter() < end:
        time.sleep(0.5)
        fragment = httpx.get(url, headers=REFRESH).text
    version = re.search(r'data-version="([^"]+)"', fragment)
    if version is not None:
        check = httpx.get(url, headers={**REFRESH, "X-Dashboard-Version": version.group(1)})
        if check.status_code != 204:
            print(f"the unchanged refresh answered {check.status_code}", file=sys.stderr)
    return version


def wait_idle(url: str, limit: float = 180.0) -> None:
    """Wait until ``url`` answers within 50 ms: a slow server may still be working through
    the requests of the previous load when its client has gone."""
    end = time.perf_counter() + limit
    with httpx.Client(timeout=limit) as client:
        while time.perf_counter() < end:
            start = time.perf_counter()
            client.get(url)
            if time.perf_counter() - start < 0.05:
                return
            time.sleep(0.05)


def wrk(url: str, seconds: float, connections: int, headers: dict[str, str]) -> tuple[float, float]:
    """Requests/s and p99 latency (ms) of ``url`` under wrk, or the Python loop without it."""
    if shutil.which("wrk") is None:
        return asyncio.run(python_load(url, seconds, connections, headers))
    duration = f"-d{max(1, round(seconds))}s"
    command = ["wrk", "-t2", f"-c{connections}", duration, "--latency", "--timeout", "30s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout  # noqa: S603
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
    return rate, float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


async def python_load(
    url: str, seconds: float, connections: int, headers: dict[str, str]
) -> tuple[float, float]:
    latencies: list[float] = []
    end = time.perf_counter() + seconds

    async def worker(client: httpx.AsyncClient) -> None:
        while time.perf_counter() < end:
            start = time.perf_counter()
            await client.get(url, headers=headers)
            latencies.append(time.perf_counter() - start)

    limits = httpx.Limits(max_connections=connections)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        await asyncio.gather(*(worker(client) for _ in range(connections)))
    ordered = sorted(latencies)
    return len(latencies) / seconds, ordered[int(len(ordered) * 0.99) - 1] * 1000


def under_hypercorn(size: int, floor_bytes: int, args: argparse.Namespace, lines: list[Line]):
    ports = [free_port() for _ in range(3)]
    child = subprocess.Popen(  # noqa: S603
        [sys.executable, __file__, "--serve", str(size), str(floor_bytes), *map(str, ports)]
        + (["--no-theirs"] if args.no_theirs else []),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        if child.stdout.readline().strip() != "ready":
            raise RuntimeError("the hypercorn child did not start")
        ours, floor, theirs = (f"http://127.0.0.1:{port}" for port in ports)
        for _ in range(500):  # "ready" comes just before the sockets are bound
            try:
                httpx.get(floor + "/")
                httpx.get(ours + "/health")
                break
            except httpx.TransportError:
                time.sleep(0.02)
        base = {"Accept-Encoding": "identity"}
        version = ready_version(ours + FRAGMENT)
        targets = {
            "task list": (ours + LIST, theirs + "/tasks/?per_page=50", floor + "/"),
            "task list, gzip": (ours + LIST, None, None),
            "refresh (unchanged)": (ours + FRAGMENT, None, floor + "/"),
        }
        extra = {
            "task list, gzip": {"Accept-Encoding": "gzip"},
            "refresh (unchanged)": {
                **REFRESH,
                "X-Dashboard-Version": version.group(1) if version else "",
            },
        }
        if args.no_theirs:
            targets["task list"] = (ours + LIST, None, floor + "/")
        found: dict[str, list[tuple[float, float] | None]] = {}
        for label, urls in targets.items():
            headers = {**base, **extra.get(label, {})}
            found[label] = []
            for i, url in enumerate(urls):
                wait_idle(floor + "/")
                if "X-Dashboard-Version" in headers and i == 0:
                    # Taken again just before its load: what the tab would show by then.
                    version = ready_version(ours + FRAGMENT)
                    headers["X-Dashboard-Version"] = version.group(1) if version else ""
                load = headers if i == 0 else base
                found[label].append(wrk(url, args.seconds, args.connections, load) if url else None)
        for label, (mine, yours, bare) in found.items():
            note = f"{args.connections} connections, {args.seconds:g} s each"
            if "unchanged" in label:
                note += "; 204 when current" if version else "; no versioning yet: full 200"
            lines.append(Line(f"hypercorn {label}: requests/s", "req/s", mine[0] if mine else None,
                              yours[0] if yours else None, bare[0] if bare else None, note,
                              lower_is_better=False))  # fmt: skip
            lines.append(Line(f"hypercorn {label}: p99", "ms", mine[1] if mine else None,
                              yours[1] if yours else None, bare[1] if bare else None))  # fmt: skip
    finally:
        child.terminate()
        try:
            child.wait(timeout=5)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


# -- report ------------------------------------------------------------------------------------
def machine() -> str:
    model = ""
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = os.getloadavg()
    import asyncz

    return (
        f"{platform.system()} {platform.release()}, {os.cpu_count()} cores ({model}), "
        f"Python {platform.python_version()}, asyncz {asyncz.__version__}, "
        f"load average {load[0]:.1f} / {load[1]:.1f} at the end"
        + (" (a busy machine: other processes competed for the CPU)" if load[0] > 1 else "")
    )


def table(size: int, lines: list[Line]) -> str:
    def cell(value: float | None) -> str:
        return "—" if value is None else f"{value:,.1f}" if value < 1000 else f"{value:,.0f}"

    out = [
        f"### {size:,} tasks",
        "",
        "| measure | unit | ours | theirs | floor | ratio | note |",
        "|---|---|---:|---:|---:|---|---|",
    ]
    for line in lines:
        out.append(
            f"| {line.label} | {line.unit} | {cell(line.ours)} | {cell(line.theirs)} | "
            f"{cell(line.floor)} | {line.ratio()} | {line.note} |"
        )
    return "\n".join(out)


def ensure_reference(args: argparse.Namespace) -> None:
    """Re-run under benchmarks/.venv-reference (made on demand) when the reference dashboard
    cannot be imported here; without it, go on with ``--no-theirs``."""
    if args.no_theirs:
        return
    try:
        import asyncz.contrib.dashboard.admin  # noqa: F401
    except ImportError as exc:
        python = REFERENCE_VENV / "bin" / "python"
        if Path(sys.prefix) == REFERENCE_VENV:
            print(f"theirs: skipped, asyncz[dashboard] not importable ({exc})")
            args.no_theirs = True
            return
        try:
            if not python.exists():
                subprocess.run([sys.executable, "-m", "venv", str(REFERENCE_VENV)], check=True)  # noqa: S603
                root = HERE.parent
                packages = ["asyncz[dashboard]", "hypercorn", "httpx", "-e", str(root)]
                subprocess.run([str(python), "-m", "pip", "install", "-q", *packages], check=True)  # noqa: S603
        except (OSError, subprocess.CalledProcessError) as failure:
            print(f"theirs: skipped, could not install asyncz[dashboard] ({failure})")
            args.no_theirs = True
            return
        os.execv(str(python), [str(python), *sys.argv])  # noqa: S606


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000", help="task counts, comma-separated")
    parser.add_argument("--rounds", type=int, default=15, help="timed requests per page")
    parser.add_argument("--budget", type=float, default=8.0, help="s per page for theirs")
    parser.add_argument("--seconds", type=float, default=6.0, help="load time per target")
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--no-theirs", action="store_true", help="leave Asyncz's dashboard out")
    parser.add_argument("--no-http", action="store_true", help="in-process figures only")
    parser.add_argument("--output", help="also write the tables (Markdown) to this file")
    parser.add_argument("--serve", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    if args.serve:
        size, floor_bytes, *ports = map(int, args.serve)
        asyncio.run(serve_child(size, floor_bytes, ports, not args.no_theirs))
        return 0
    ensure_reference(args)
    logging.getLogger("asyncz").setLevel(logging.WARNING)
    started = time.perf_counter()
    tables = []
    for size in (int(s) for s in args.sizes.split(",")):
        lines: list[Line] = []
        print(f"{size:,} tasks: in process ...", file=sys.stderr, flush=True)
        floor_bytes = asyncio.run(in_process(size, args, lines))
        if not args.no_http:
            print(f"{size:,} tasks: under hypercorn ...", file=sys.stderr, flush=True)
            under_hypercorn(size, floor_bytes, args, lines)
        tables.append(table(size, lines))
        print(tables[-1] + "\n", flush=True)
    command = "python benchmarks/compare.py " + " ".join(sys.argv[1:])
    footer = f"Command: `{command.strip()}`, {time.perf_counter() - started:.0f} s.\n\n"
    footer += f"Machine: {machine()}.\n"
    print(footer)
    if args.output:
        Path(args.output).write_text("\n\n".join(tables) + "\n\n" + footer)
    return 0


if __name__ == "__main__":
    sys.exit(main())
