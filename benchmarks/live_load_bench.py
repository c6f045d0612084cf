"""Benchmark: the live dashboard under a steady write load, in a real terminal.

A dashboard (``trustledger --store URL``, the real console script) runs on a pseudo-terminal
(120x40, ``TERM=xterm-256color``); once its first screen shows the store's newest position,
a separate writer process records ``--rate`` events a second for ``--seconds`` seconds,
one ``record`` each (mixed types on random partnerships: commitments made and later kept or
missed, reviews, revenue, issues raised and resolved), and notes the time each commit
returned and the position it got. Meanwhile this process reads everything the dashboard
writes to the terminal and notes when each event count ("N events" in the mode bar) first
appears. For each event: its latency is the time from its commit to the first screen
showing a count at or past its position; every event must reach the screen (the last count
shown equals the last position). Also measured: the dashboard's CPU (``/proc``) over the
load, per screen update; its resident memory once the first 100 events are on screen and
at the end; its first screen; and the time from pressing ``q`` to the process's exit.

Stores: an SQLite file (copied first, so the original is kept) or a PostgreSQL URL;
``--pg-from PATH`` starts a throwaway PostgreSQL server (``tests/pg_server.py``) and migrates
the SQLite file at PATH into it first. Build the big stores once with
``benchmarks/verify_bench.py``'s ``build`` (e.g. 1,000 x 100 and 10,000 x 100 events).

``--starts N`` puts no load on the store: it times N first screens of new dashboards, each
beside a bare Textual app of the same shape that shows the same count
(``benchmarks/bare_textual.py``): the floor that Python, Textual and the terminal set on
the machine, before any of the ledger's work.

Usage: python benchmarks/live_load_bench.py STORE [--rate 20] [--seconds 60] [--pg-from PATH]
[--starts N]
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import random
import re
import signal
import sqlite3
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from contextlib import closing
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TRUSTLEDGER = Path(sys.executable).parent / "trustledger"
COLUMNS, ROWS = 120, 40
COUNT = re.compile(rb"([0-9][0-9,]*) events")
ANSI = re.compile(rb"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>]")
START_TIMEOUT = 600.0


# -- the writer (a separate process) -----------------------------------------------------------


def writer(url: str, rate: float, seconds: float, out: str) -> None:
    """Record ``rate`` events a second for ``seconds`` seconds; write what was committed when."""
    from trustledger.domain.ledger import Ledger, Located
    from trustledger.domain.store import parse_store_url

    handles = open_partnerships(url)
    rng = random.Random(7)
    ledger = Ledger(parse_store_url(url), create=True)
    open_commitments: list[tuple[str, str]] = []
    open_issues: list[tuple[str, str]] = []
    log: list[tuple[int, float]] = []
    started = time.monotonic()
    n = 0
    while (elapsed := time.monotonic() - started) < seconds:
        due = started + n / rate
        if due > time.monotonic():
            time.sleep(due - time.monotonic())
        n += 1
        handle = rng.choice(handles)
        roll = rng.random()
        line: dict[str, Any]
        if roll < 0.3 or not open_commitments:
            commitment = f"load-{os.getpid()}-{n}"
            line = {
                "type": "commitment_made",
                "partnership": handle,
                "commitment": commitment,
                "by": rng.choice(["us", "partner"]),
                "summary": "load",
                "due": "2027-06-30",
                "weight": rng.randint(1, 5),
            }
            open_commitments.append((handle, commitment))
        elif roll < 0.55:
            handle, commitment = open_commitments.pop(rng.randrange(len(open_commitments)))
            kind = "commitment_kept" if rng.random() < 0.8 else "commitment_missed"
            line = {"type": kind, "partnership": handle, "commitment": commitment}
        elif roll < 0.7:
            line = {
                "type": "review_held",
                "partnership": handle,
                "scores": {"vision": rng.randint(1, 5), "values": rng.randint(1, 5)},
                "partner_scores": {"vision": rng.randint(1, 5)},
            }
        elif roll < 0.85:
            line = {
                "type": "revenue_recorded",
                "partnership": handle,
                "period": "2026-11",
                "amount": rng.randint(100, 5000),
            }
        elif roll < 0.93 or not open_issues:
            issue = f"load-{os.getpid()}-{n}"
            line = {
                "type": "issue_raised",
                "partnership": handle,
                "issue": issue,
                "summary": "load",
            }
            open_issues.append((handle, issue))
        else:
            handle, issue = open_issues.pop(rng.randrange(len(open_issues)))
            line = {
                "type": "issue_resolved",
                "partnership": handle,
                "issue": issue,
                "resolution": "done",
            }
        result = ledger.record([Located("load", n, json.dumps(line))], actor="load")
        if not result.ok:
            raise SystemExit(f"the writer's line was refused: {result.errors[0]}")
        log.append((ledger.max_position(), time.time()))
    ledger.close()
    Path(out).write_text(json.dumps({"log": log, "elapsed": elapsed}))


def open_partnerships(url: str) -> list[str]:
    """Partnerships not ended (only revenue may follow an end), from the read model."""
    from trustledger.projections import ModelConfig
    from trustledger.tui.service.ledger_service import LedgerService

    service = LedgerService.for_url(url)
    portfolio = service.portfolio(service.clock.today(), None, ModelConfig())
    return [view.handle for view in portfolio.partnerships if view.status != "ended"]


# -- the dashboard on a pseudo-terminal ------------------------------------------------------


class Screen:
    """A dashboard process on a pty, and the event counts it has shown, with their times."""

    def __init__(self, url: str, env: dict[str, str], command: list[str] | None = None) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
        self.started = time.time()
        self.proc = subprocess.Popen(
            command or [str(TRUSTLEDGER), "--store", url],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            start_new_session=True,
            close_fds=True,
        )
        os.close(slave)
        self.master = master
        self.shown: list[tuple[float, int]] = []
        self.bytes = 0
        self._tail = b""
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                return
            if not chunk:
                return
            now = time.time()
            self.bytes += len(chunk)
            text = ANSI.sub(b"", self._tail + chunk)
            self._tail = chunk[-64:]
            for match in COUNT.finditer(text):
                value = int(match.group(1).replace(b",", b""))
                if not self.shown or value > self.shown[-1][1]:
                    self.shown.append((now, value))

    def newest(self) -> int:
        return self.shown[-1][1] if self.shown else -1

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def memory(self) -> tuple[float, float]:
        """(resident now, peak resident) in MiB."""
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        values = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        return int(values["VmRSS"].split()[0]) / 1024, int(values["VmHWM"].split()[0]) / 1024

    def quit(self) -> float:
        began = time.time()
        os.write(self.master, b"q")
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            return float("inf")
        return time.time() - began


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def prepare(url: str) -> tuple[int, dict[str, str]]:
    """The store's newest position (its read model rebuilt) and the dashboard's environment."""
    from trustledger.domain.ledger import Ledger
    from trustledger.domain.store import parse_store_url

    with Ledger(parse_store_url(url)) as ledger:
        position = ledger.max_position()
        partnerships = len(ledger.handles())
    print(f"store: {partnerships:,} partnerships, {position:,} events")
    # The first screen is measured with the store's read model present (as a team's store
    # has it once any dashboard or `rebuild` ran); making it is timed on its own.
    started = time.perf_counter()
    subprocess.run([str(TRUSTLEDGER), "--store", url, "rebuild"], check=True, capture_output=True)
    took = time.perf_counter() - started
    print(f"read model: rebuilt in {took:.1f} s before the dashboard starts")
    env = dict(os.environ, TERM="xterm-256color", COLUMNS=str(COLUMNS), LINES=str(ROWS))
    env.pop("TEXTUAL", None)
    # An installed dashboard starts from Python's byte-code caches (written by its first run);
    # with PYTHONDONTWRITEBYTECODE set every start would compile its modules afresh. Write
    # them first, so the first screen is that of any start after the first.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run(
        [sys.executable, "-c", "import trustledger.tui.dashboard.app"], check=True, env=env
    )
    subprocess.run([sys.executable, "-c", "import textual.app"], check=True, env=env)
    return position, env


def first_screen(
    url: str, env: dict[str, str], position: int, command: list[str] | None = None
) -> tuple[Screen, float]:
    """A new process on a pty (the dashboard unless ``command``), once it shows ``position``
    events, and the seconds from its start to that."""
    screen = Screen(url, env, command)
    while screen.newest() < position:
        if time.time() - screen.started > START_TIMEOUT or screen.proc.poll() is not None:
            raise SystemExit(
                f"the dashboard did not show {position:,} events (exit {screen.proc.poll()})"
            )
        time.sleep(0.005)
    return screen, screen.shown[-1][0] - screen.started


def starts(url: str, count: int) -> None:
    """The first screen of ``count`` new dashboards, each beside a bare Textual app's (the
    floor: ``bare_textual.py``), alternating, on an idle store."""
    position, env = prepare(url)
    bare = [sys.executable, str(Path(__file__).with_name("bare_textual.py")), str(position)]
    times: dict[str, list[float]] = {"dashboard": [], "bare Textual app": []}
    for n in range(count):
        order = [("dashboard", None), ("bare Textual app", bare)]
        for name, command in order if n % 2 == 0 else order[::-1]:
            screen, took = first_screen(url, env, position, command)
            time.sleep(0.3)
            screen.quit()
            times[name].append(took)
    for name, values in times.items():
        shown = ", ".join(f"{value:.2f}" for value in values)
        print(
            f"first screen, {name}: median {percentile(values, 0.5):.2f} s, "
            f"best {min(values):.2f} s ({shown})"
        )


def run(url: str, rate: float, seconds: float) -> None:
    position, env = prepare(url)
    screen, first = first_screen(url, env, position)
    time.sleep(1.0)  # let the first screen settle
    rss_start, _ = screen.memory()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "writer.json"
        cpu_before, wall_before = screen.cpu_seconds(), time.time()
        counts_before = len(screen.shown)
        child = subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--child-writer",
                url,
                "--rate",
                str(rate),
                "--seconds",
                str(seconds),
                "--out",
                str(out),
            ]
        )
        rss_100: float | None = None
        while child.poll() is None:
            if rss_100 is None and screen.newest() - position >= 100:
                rss_100 = screen.memory()[0]
            time.sleep(0.05)
        if child.returncode != 0:
            raise SystemExit("the writer failed")
        written = json.loads(out.read_text())
    log: list[tuple[int, float]] = [tuple(item) for item in written["log"]]  # type: ignore[misc]
    last = log[-1][0]
    deadline = time.time() + 10
    while screen.newest() < last and time.time() < deadline:
        time.sleep(0.01)
    cpu = screen.cpu_seconds() - cpu_before
    wall = time.time() - wall_before
    rss_end, peak = screen.memory()
    updates = len(screen.shown) - counts_before
    latencies: list[float] = []
    missed = 0
    shown = screen.shown
    j = 0
    for pos, committed in log:
        while j < len(shown) and shown[j][1] < pos:
            j += 1
        if j == len(shown):
            missed += 1
            continue
        latencies.append(max(0.0, shown[j][0] - committed))
    quit_s = screen.quit()
    print(
        f"first screen (process start to the newest count shown, read model present): {first:.2f} s"
    )
    print(
        f"writer: {len(log):,} events in {written['elapsed']:.1f} s "
        f"({len(log) / written['elapsed']:.1f}/s); screen updates seen: {updates:,}"
    )
    reached = "yes" if missed == 0 and screen.newest() >= last else "NO"
    print(
        f"every change reached the screen: {reached}"
        f" (last position {last:,}, last shown {screen.newest():,}, {missed} never shown)"
    )
    if latencies:
        print(
            f"latency commit -> screen: p50 {percentile(latencies, 0.5) * 1000:.0f} ms, "
            f"p95 {percentile(latencies, 0.95) * 1000:.0f} ms, "
            f"max {max(latencies) * 1000:.0f} ms"
        )
    print(
        f"dashboard CPU during the load: {cpu / wall:.0%} of a core "
        f"({cpu:.1f} s in {wall:.1f} s; {cpu / max(updates, 1) * 1000:.1f} ms per update)"
    )
    print(
        f"memory: {rss_start:.0f} MiB before the load, "
        f"{rss_100 if rss_100 is not None else float('nan'):.0f} MiB after 100 events shown, "
        f"{rss_end:.0f} MiB after {len(log):,} ({updates:,} screen updates); peak {peak:.0f} MiB"
    )
    print(f"quit: {quit_s:.2f} s from 'q' to the process's exit")


def postgres_copy(source: Path, work: Path) -> tuple[Any, str]:
    from tests.pg_server import PgServer

    server = PgServer().start()
    url = server.create_database("live_load")
    print(f"migrating {source} into a throwaway PostgreSQL server…", flush=True)
    done = subprocess.run(
        [str(TRUSTLEDGER), "--store", str(source), "migrate", "--to", url],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        server.stop()
        raise SystemExit(f"migrate failed: {done.stderr}")
    return server, url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store", nargs="?", help="an SQLite file (copied) or a PostgreSQL URL")
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--pg-from", type=Path, help="migrate this SQLite store into PostgreSQL")
    parser.add_argument(
        "--starts",
        type=int,
        metavar="N",
        help="no load: time N first screens beside a bare Textual app's (the floor)",
    )
    parser.add_argument("--child-writer", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_writer:
        writer(args.child_writer, args.rate, args.seconds, args.out)
        return

    def go(url: str) -> None:
        if args.starts:
            starts(url, args.starts)
        else:
            run(url, args.rate, args.seconds)

    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as tmp:
        if args.pg_from:
            server, url = postgres_copy(args.pg_from, Path(tmp))
            try:
                go(url)
            finally:
                server.stop()
            return
        if not args.store:
            parser.error("name a store, or --pg-from PATH")
        if "://" in args.store and not args.store.startswith("sqlite"):
            go(args.store)
            return
        copy = Path(tmp) / "live.sqlite"
        with closing(sqlite3.connect(args.store)) as src, closing(sqlite3.connect(copy)) as dst:
            src.backup(dst)  # what the WAL holds included
        go(str(copy))


if __name__ == "__main__":
    main()
