"""Benchmark: dashboards over SSH (``trustledger serve``), 1 session and then 20 at once.

On a synthetic SQLite store of 100,000 events (100 partnerships x 1,000 events), a real
``trustledger serve`` process serves the dashboard; the clients are asyncssh's, each on a
PTY of 120x40. For 1 session and then
for 20 concurrent sessions it measures:

- **time to the first full screen** per session: from opening the connection to its output
  having drawn the mode bar (with the event count), a partnership row and the footer;
- **the server's total memory**: RSS and PSS (proportional set size: shared pages split
  between the processes sharing them) of the server and every process under it, read from
  ``/proc/PID/smaps_rollup`` while the sessions are up;
- **live-update latency**: another OS process (``trustledger record``, on the same store,
  not over SSH) records one event; measured from the moment that process exits to the moment
  each session's mode bar shows the new event count. p50/p95 over every session and round,
  measured once the server has finished starting the sessions (it uses under a tenth of a
  core; ``--no-settle``: 3 s after the last first screen, whatever it is still doing).

A first session is opened and closed before the measurements: it builds the store's shared
read model (or starts from it), so every measured session starts warm, as sessions do on a
server whose store any dashboard has opened before.

Usage: python benchmarks/serve_bench.py [--sessions N] [--rounds N] [--store PATH] [--no-settle]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncssh

TRUSTLEDGER = Path(sys.executable).parent / "trustledger"
PARTNERSHIPS = 100
EVENTS = 1000
SIZE = (120, 40)
TODAY = "2026-11-20"
COUNT = re.compile(rb"([\d,]+) events")
RESULT = "RESULT "


def build_store(path: Path) -> None:
    from trustledger.domain.ledger import Ledger
    from trustledger.domain.store import parse_store_url

    from benchmarks.verify_bench import build

    if path.is_file():
        with Ledger(parse_store_url(str(path))) as ledger:
            if ledger.max_position():
                print(f"  reusing {path} ({ledger.max_position():,} events)")
                return
    print(f"  building {path}: {PARTNERSHIPS} x {EVENTS:,} events")
    with Ledger(parse_store_url(str(path)), create=True) as ledger:
        build(ledger, PARTNERSHIPS, EVENTS, 10)


def descendants(pid: int) -> list[int]:
    found = [pid]
    for current in found:
        for task in Path(f"/proc/{current}/task").glob("*"):
            with contextlib.suppress(OSError):
                found.extend(int(p) for p in (task / "children").read_text().split())
    return found


def memory_kib(pid: int) -> tuple[int, int, int]:
    """(RSS, PSS, processes) of ``pid`` and every process under it, in KiB."""
    rss = pss = 0
    pids = descendants(pid)
    for p in pids:
        try:
            text = Path(f"/proc/{p}/smaps_rollup").read_text()
        except OSError:
            continue
        for line in text.splitlines():
            name, _, rest = line.partition(":")
            if name == "Rss":
                rss += int(rest.split()[0])
            elif name == "Pss":
                pss += int(rest.split()[0])
    return rss, pss, len(pids)


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of ``pid`` and every process under it, in seconds."""
    total = 0
    for p in descendants(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


async def settle(pid: int, limit: float = 60.0) -> float:
    """Wait until the server (and everything under it) uses under a tenth of a core over half
    a second, or ``limit`` seconds; how long that took. Sessions that showed their first
    screen may still be finishing their start (the server draws them one after the other):
    live updates are measured once that is done, not while it goes on."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        before = cpu_seconds(pid)
        await asyncio.sleep(0.5)
        if cpu_seconds(pid) - before < 0.05:
            break
    return time.monotonic() - started


class Session:
    """One dashboard over SSH, and when its output first showed each event count.

    The output is searched as bytes (the mode bar's "N events" and the footer's "Quit" are
    each written as one run of text), not fed to a terminal emulator: with 20 sessions an
    emulator in this one process would be the slowest part of the measurement.
    """

    def __init__(self) -> None:
        self.count = 0
        self.seen: dict[int, float] = {}
        self.full = asyncio.Event()
        self.conn: asyncssh.SSHClientConnection | None = None
        self.reader: asyncio.Task[None] | None = None

    async def open(self, port: int, key: asyncssh.SSHKey) -> float:
        started = time.monotonic()
        self.conn = await asyncssh.connect(
            "127.0.0.1", port, username="bench", client_keys=[key], known_hosts=None
        )
        process = await self.conn.create_process(
            term_type="xterm-256color", term_size=SIZE, encoding=None
        )
        self.reader = asyncio.ensure_future(self.read(process))
        await asyncio.wait_for(self.full.wait(), 1800)
        return time.monotonic() - started

    async def read(self, process: asyncssh.SSHClientProcess[bytes]) -> None:
        tail = b""
        row = footer = False
        while data := await process.stdout.read(65536):
            now = time.time()
            text = tail + data
            for found in COUNT.finditer(text):
                count = int(found.group(1).replace(b",", b""))
                if count > self.count:
                    self.count = count
                    self.seen.setdefault(count, now)
            if not self.full.is_set():
                row = row or b"Partner " in text
                footer = footer or b"Quit" in text
                if row and footer and self.count:
                    self.full.set()
            tail = text[-64:]

    async def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            await self.conn.wait_closed()


def record_one(store: Path, env: dict[str, str], n: int) -> tuple[float, float]:
    line = {"type": "revenue_recorded", "partnership": "p00000", "period": "2026-10", "amount": n}
    started = time.time()
    done = subprocess.run(
        [str(TRUSTLEDGER), "--store", str(store), "record", "-"],
        input=json.dumps(line) + "\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    if done.returncode:
        raise SystemExit(f"record failed: {done.stderr}")
    return started, time.time()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def phase(
    sessions: int, port: int, key: asyncssh.SSHKey, server_pid: int, args: Any, env: dict
) -> dict[str, Any]:
    opened = [Session() for _ in range(sessions)]
    firsts = await asyncio.gather(*(s.open(port, key) for s in opened))
    settled = await settle(server_pid) if args.settle else 0.0
    await asyncio.sleep(3.0)  # then a moment more before reading memory
    rss, pss, processes = memory_kib(server_pid)
    latencies: list[float] = []
    for n in range(args.rounds):
        target = max(s.count for s in opened) + 1
        _, exited = await asyncio.to_thread(record_one, args.store, env, n + 1)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not all(target in s.seen for s in opened):
            await asyncio.sleep(0.01)
        for s in opened:
            if target in s.seen:
                latencies.append(max(0.0, s.seen[target] - exited))
            else:
                latencies.append(float("inf"))
        await asyncio.sleep(0.5)
    for s in opened:
        await s.close()
    await asyncio.sleep(2.0)
    return {
        "sessions": sessions,
        "first_screen_s": {"p50": percentile(firsts, 0.5), "max": max(firsts)},
        "rss_mib": rss / 1024,
        "pss_mib": pss / 1024,
        "processes": processes,
        "live_p50_s": percentile(latencies, 0.5),
        "live_p95_s": percentile(latencies, 0.95),
        "samples": len(latencies),
        "settled_s": settled,
    }


async def main_async(args: Any) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="serve-bench-"))
    build_store(args.store)
    # Measure on a copy, so every run starts from the same 100,000 events.
    shutil.copy(args.store, tmp / "ledger.sqlite")
    args.store = tmp / "ledger.sqlite"
    key = asyncssh.generate_private_key("ssh-ed25519")
    keys = tmp / "keys.toml"
    public = key.export_public_key().decode().strip()
    keys.write_text(f'[[user]]\nname = "bench"\nrole = "viewer"\nkeys = ["{public}"]\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRUSTLEDGER_")}
    env.update(TRUSTLEDGER_TODAY=TODAY, XDG_CACHE_HOME=str(tmp / "cache"))
    err = (tmp / "serve.err").open("wb")
    server = subprocess.Popen(
        [
            str(TRUSTLEDGER),
            "serve",
            "--store",
            str(args.store),
            "--listen",
            "127.0.0.1:0",
            "--keys",
            str(keys),
            "--host-key",
            str(tmp / "host_key"),
            "--log",
            str(tmp / "connections.log"),
            "--max-sessions-per-key",
            "64",
        ],
        stdout=subprocess.DEVNULL,
        stderr=err,
        env=env,
    )
    try:
        port = 0
        for _ in range(600):
            text = (tmp / "serve.err").read_text()
            if "listening on 127.0.0.1:" in text:
                port = int(text.split("listening on 127.0.0.1:", 1)[1].split(",", 1)[0])
                break
            time.sleep(0.05)
        if not port:
            raise SystemExit(f"serve did not start: {(tmp / 'serve.err').read_text()}")
        idle = memory_kib(server.pid)
        print(f"  server alone: RSS {idle[0] / 1024:,.0f} MiB, PSS {idle[1] / 1024:,.0f} MiB")
        warm = Session()
        cold = await warm.open(port, key)
        await asyncio.sleep(5.0)  # the read model is moved on once the store is quiet
        await warm.close()
        await asyncio.sleep(2.0)
        print(f"  first session ever (read model built or loaded): {cold:.2f} s")
        results = []
        for count in (1, args.sessions):
            print(f"  {count} session(s)...", flush=True)
            results.append(await phase(count, port, key, server.pid, args, env))
        one, many = results
        for r in results:
            print(
                f"  {r['sessions']:>2} session(s): first full screen p50 "
                f"{r['first_screen_s']['p50']:.2f} s, max {r['first_screen_s']['max']:.2f} s; "
                f"memory RSS {r['rss_mib']:,.0f} MiB, PSS {r['pss_mib']:,.0f} MiB "
                f"({r['processes']} processes); live update p50 {r['live_p50_s'] * 1000:.0f} ms, "
                f"p95 {r['live_p95_s'] * 1000:.0f} ms ({r['samples']} samples); "
                f"server busy {r['settled_s']:.1f} s after the last first screen"
            )
        ratio = many["pss_mib"] / one["pss_mib"]
        print(
            f"  memory {args.sessions} vs 1 session: x{ratio:.1f} (PSS; target <= 3), "
            f"x{many['rss_mib'] / one['rss_mib']:.1f} (RSS)"
        )
        print(
            f"  live p95 {args.sessions} sessions {many['live_p95_s'] * 1000:.0f} ms vs 1 session "
            f"{one['live_p95_s'] * 1000:.0f} ms (target: within +100 ms)"
        )
        print(RESULT + json.dumps({"cold_first_session_s": cold, "phases": results}))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)
        err.close()
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument(
        "--no-settle",
        dest="settle",
        action="store_false",
        help="measure live updates 3 s after the last first screen, even while the server "
        "is still starting sessions (the figures before the dashboards ran in the server)",
    )
    parser.add_argument(
        "--store",
        type=Path,
        default=Path(tempfile.gettempdir()) / "trustledger-serve-bench.sqlite",
        help="the 100,000-event store (built there when missing)",
    )
    args = parser.parse_args()
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
