"""Benchmark: the dashboard's time to a full first screen, and its live-update latency.

1. Time to the first full screen: the app (``TrustLedgerApp`` with warm start on, as
   ``trustledger`` launches it) runs headless in ``run_test(size=(120, 40))`` until
   ``app.ready()`` and the portfolio table holds a filled row for every registered
   partnership. Each start runs in a fresh Python process, so its peak RSS is its own.
   Stores: the sample data (``sample_events/*.ndjson`` recorded into a temporary SQLite
   store) and a synthetic 1,000 partnerships x 1,000 events SQLite store
   (``verify_bench.build``), started first without a read model (the app builds it) and
   then from the read model in the store.
2. Live-update latency: with the app following a store of the sample data (SQLite, then
   PostgreSQL with LISTEN/NOTIFY; the app's default poll interval), a separate OS process
   runs ``trustledger --store ... record -`` with one ``revenue_recorded`` line that lifts a
   known row's revenue share by one point. Measured from the moment that process exits to
   the moment the row's Revenue cell holds the new value (read every ~5 ms in the app's
   event loop); a value already shown when the process exits counts as 0 ms. Since a
   process outlives its commit, the same is also given from the event's ``recorded_at``
   (stamped by the recording process just before its commit), with a breakdown.

Usage: python benchmarks/dashboard_bench.py [--quick] [--big-store PATH] [--rounds N]

``--quick``: the sample data only and 10 latency rounds. ``--big-store PATH``: reuse that
store when it holds events (else build it there).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_events"
TRUSTLEDGER = Path(sys.executable).parent / "trustledger"
SIZE = (120, 40)
RESULT = "RESULT "
BIG_PARTNERSHIPS = 1000
BIG_EVENTS = 1000
BIG_CHUNK = 10
START_TIMEOUT = 1800.0
SHOW_TIMEOUT = 10.0
#: How often the latency rounds read the table.
CHECK_EVERY = 0.005


def mib(kib: float) -> str:
    return f"{kib / 1024:,.0f} MiB"


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def store_size(url: str) -> tuple[int, int]:
    """(registered partnerships, events) of a store."""
    from trustledger.domain.ledger import Ledger
    from trustledger.domain.store import parse_store_url

    with Ledger(parse_store_url(url)) as ledger:
        return len(ledger.handles()), ledger.max_position()


def record_samples(url: str) -> None:
    from trustledger.domain.ledger import Ledger, located_lines
    from trustledger.domain.store import parse_store_url

    lines = []
    for file in sorted(SAMPLES.glob("*.ndjson")):
        lines.extend(located_lines(file.name, file.read_text(encoding="utf-8").split("\n")))
    with Ledger(parse_store_url(url), create=True) as ledger:
        result = ledger.record(lines)
    if not result.ok:
        raise SystemExit(f"sample data rejected: {result.errors[:3]}")


def error_notes(app: Any) -> list[str]:
    """The error notifications ``app`` will show (a failed follow worker, a store error)."""
    notes: list[str] = []
    notify = app.notify

    def recording(message: str, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("severity") == "error":
            notes.append(f"{kwargs.get('title') or 'error'}: {message}")
        return notify(message, *args, **kwargs)

    app.notify = recording
    return notes


async def wait_ready(app: Any, timeout: float, errors: list[str]) -> None:
    """``app.ready()``, but an error the app reports (see :func:`error_notes`) ends it."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            await app.ready(timeout=0.25)
            return
        except TimeoutError:
            if errors:
                raise SystemExit(f"the dashboard reported {errors[0]}") from None
            if time.monotonic() > deadline:
                raise SystemExit(f"the dashboard was not ready within {timeout:.0f} s") from None


# -- 1. time to the first full screen (one child process per start) -----------------------


async def one_start(url: str, expect: int) -> dict[str, Any]:
    """Start the app once, as ``trustledger`` does, and time it until every row is filled."""
    import trustledger.tui.service.live
    from trustledger.tui.dashboard.app import TrustLedgerApp
    from trustledger.tui.dashboard.screens.portfolio import PortfolioTable
    from trustledger.tui.service.ledger_service import LedgerService
    from trustledger.tui.service.readmodel import ReadModel

    found: dict[str, Any] = {}
    real_start = ReadModel.start

    def start(self: Any, progress: Any = None) -> Any:
        began = time.monotonic()
        state, reason = real_start(self, progress)
        found["load_s"] = time.monotonic() - began
        found["loaded_position"] = 0 if reason else state.last_position
        found["rebuilt"] = reason
        return state, reason

    real_step = trustledger.tui.service.live.LiveFollower.step

    def step(self: Any, initial: bool = False) -> Any:
        update = real_step(self, initial)
        found.setdefault("picture_at", time.monotonic())
        return update

    ReadModel.start = start  # type: ignore[method-assign]
    trustledger.tui.service.live.LiveFollower.step = step  # type: ignore[method-assign]

    cpu_started = cpu_seconds()
    started = time.monotonic()
    app = TrustLedgerApp(LedgerService.for_url(url), warm_start=True)
    errors = error_notes(app)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(app, START_TIMEOUT, errors)
        table = app.screen.query_one(PortfolioTable)
        while table.row_count < expect:
            if time.monotonic() - started > START_TIMEOUT:
                raise SystemExit(f"only {table.row_count} of {expect} rows shown")
            await pilot.pause(0.005)
        ready_at = time.monotonic()
        found["cpu_s"] = cpu_seconds() - cpu_started
        found["rss_ready_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        found["rows"] = table.row_count
        found["empty_rows"] = sum(
            1
            for row in range(table.row_count)
            if not all(
                table.get_cell(table.coordinate_to_cell_key((row, 0)).row_key, column).plain
                for column in ("name", "status", "trust", "alignment")
            )
        )
        await pilot.pause()  # until the screen has painted
        found["painted_s"] = time.monotonic() - started
        quitting = time.monotonic()
    closed_at = time.monotonic()
    found["quit_s"] = closed_at - quitting
    found["ready_s"] = ready_at - started
    found["ready_at"] = ready_at
    found["picture_s"] = found.pop("picture_at") - started
    found["rss_exit_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return found


def run_start(url: str, expect: int, env: dict[str, str]) -> dict[str, Any]:
    """One start in a fresh Python process; its figures, plus process launch -> full screen."""
    command = [sys.executable, __file__, "--child-start", url, "--expect", str(expect)]
    launched = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=7200)
    if done.returncode != 0:
        raise SystemExit(f"start failed ({done.returncode}):\n{done.stderr[-3000:]}")
    line = next(x for x in done.stdout.splitlines() if x.startswith(RESULT))
    result: dict[str, Any] = json.loads(line[len(RESULT) :])
    # CLOCK_MONOTONIC is system-wide: the child's reading compares with ours.
    result["launch_s"] = result["ready_at"] - launched
    return result


def show_start(label: str, r: dict[str, Any], expect: int) -> None:
    rows = f"{r['rows']:,}/{expect:,} rows filled"
    if r["empty_rows"]:
        rows += f" ({r['empty_rows']} without values)"
    print(
        f"    {label:<27}{r['ready_s']:>6.2f} s  (CPU {r['cpu_s']:.2f} s; "
        f"{r['launch_s']:.2f} s from process launch)  peak RSS {mib(r['rss_ready_kib'])}  {rows}"
    )
    parts = [f"first picture at {r['picture_s']:.2f} s", f"painted at {r['painted_s']:.2f} s"]
    if r.get("loaded_position"):
        parts.append(f"read model ({r['loaded_position']:,} events) loaded in {r['load_s']:.2f} s")
    elif r.get("rebuilt"):
        parts.append(f"read model built in {r['load_s']:.2f} s ({r['rebuilt']})")
    parts.append(f"quitting took {r['quit_s']:.2f} s")
    print(f"      {'; '.join(parts)}")


def startups(label: str, url: str, env: dict[str, str], cache: Path) -> None:
    expect, events = store_size(url)
    print(f"  {label}: {expect:,} partnerships, {events:,} events")
    cold = run_start(url, expect, env)
    show_start(
        "first start (builds the read model)" if cold.get("rebuilt") else "start", cold, expect
    )
    warm = run_start(url, expect, env)
    show_start("from the read model", warm, expect)


def big_store(path: Path | None, tmp: Path) -> str:
    from trustledger.domain.ledger import Ledger
    from trustledger.domain.store import parse_store_url

    from benchmarks.verify_bench import build

    target = (path or tmp / "big.sqlite").expanduser().absolute()
    if target.is_file():
        with Ledger(parse_store_url(str(target))) as ledger:
            existing = ledger.max_position()
        if existing:
            print(f"  reusing {target} ({existing:,} events)")
            return str(target)
    total = BIG_PARTNERSHIPS * BIG_EVENTS
    print(f"  building {target}: {BIG_PARTNERSHIPS:,} x {BIG_EVENTS:,} = {total:,} events")
    with Ledger(parse_store_url(str(target)), create=True) as ledger:
        recorded, seconds = build(ledger, BIG_PARTNERSHIPS, BIG_EVENTS, BIG_CHUNK)
    print(f"  built: {recorded:,} events in {seconds:.0f} s")
    return str(target)


# -- 2. live-update latency ------------------------------------------------------------------


def record_one(store_arg: str, line: str) -> tuple[float, float, subprocess.CompletedProcess]:
    """Run ``trustledger record`` in another process: (started, exited, result), both
    wall-clock, ``exited`` read as soon as the process is reaped."""
    started = time.time()
    done = subprocess.run(
        [str(TRUSTLEDGER), "--store", store_arg, "record", "-"],
        input=line + "\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    return started, time.time(), done


def next_revenue(revenue: float, total: float) -> tuple[float, str]:
    """An amount that lifts a share of ``revenue / total`` to one point above the share shown
    now (a whole percent, so far from a rounding edge), and that share as the table shows it."""
    target = (round(revenue / total * 100) + 1) / 100
    amount = round((target * total - revenue) / (1 - target), 2)
    return amount, f"{(revenue + amount) / (total + amount):.0%}"


async def latency_rounds(store_arg: str, rounds: int) -> dict[str, Any]:
    """Per round, in seconds: process exit -> shown (negative: shown before the exit),
    ``recorded_at`` -> shown and its parts, ``recorded_at`` -> process exit, the record
    command's whole run, and the gap between the last two reads of the table."""
    import trustledger.tui.service.live
    from trustledger.domain.ledger import Ledger
    from trustledger.domain.store import parse_store_url
    from trustledger.tui.dashboard.app import TrustLedgerApp
    from trustledger.tui.dashboard.screens.portfolio import PortfolioTable
    from trustledger.tui.service.ledger_service import LedgerService

    # The follow loop's turns (wall-clock start, end, position shown), for the breakdown.
    turns: list[tuple[float, float, int]] = []
    real_step = trustledger.tui.service.live.LiveFollower.step

    def step(self: Any, initial: bool = False) -> Any:
        began = time.time()
        update = real_step(self, initial)
        turns.append((began, time.time(), update.picture.position))
        return update

    names = ("exit", "stamp", "wake", "fold", "ui", "tail", "command", "gap")
    out: dict[str, Any] = {name: [] for name in names}
    out["missed"] = 0
    store = parse_store_url(store_arg)
    app = TrustLedgerApp(LedgerService(store))  # the real clock; the store's own watcher
    errors = error_notes(app)
    trustledger.tui.service.live.LiveFollower.step = step  # type: ignore[method-assign]
    try:
        async with app.run_test(size=SIZE) as pilot:
            await wait_ready(app, 60, errors)
            await pilot.pause()
            table = app.screen.query_one(PortfolioTable)
            reader = Ledger(store)
            handle = ""
            for _ in range(rounds):
                picture = app.live_picture
                assert picture is not None
                current = picture.get(handle) if handle else None
                if current is None or (current.revenue_share or 0.0) > 0.9:
                    shared = [v for v in picture.portfolio.partnerships if v.revenue_share]
                    handle = min(shared, key=lambda v: v.revenue_share or 0.0).handle
                view = picture.get(handle)
                assert view is not None
                total = picture.portfolio.revenue_total_12m
                amount, expected = next_revenue(view.revenue_12m, total)
                if table.get_cell(handle, "revenue").plain == expected:
                    raise SystemExit(f"{handle}: the revenue cell already shows {expected}")
                today = date.today()
                line = {
                    "type": "revenue_recorded",
                    "partnership": handle,
                    "occurred_on": today.isoformat(),
                    "period": today.strftime("%Y-%m"),
                    "amount": amount,
                    "note": "dashboard_bench",
                }
                task = asyncio.ensure_future(
                    asyncio.to_thread(record_one, store_arg, json.dumps(line))
                )
                seen: float | None = None
                checked = time.time()
                gap = 0.0
                while True:
                    if seen is None and table.get_cell(handle, "revenue").plain == expected:
                        seen = time.time()
                        gap = seen - checked
                    checked = time.time()
                    if task.done():
                        started, exited, done = task.result()
                        if done.returncode != 0 or "recorded 1," not in done.stdout:
                            raise SystemExit(f"record failed: {done.stdout}{done.stderr}")
                        if seen is not None or time.time() - exited > SHOW_TIMEOUT:
                            break
                    await pilot.pause(CHECK_EVERY)
                event = reader.read(reader.max_position() - 1, 1)[0]
                assert event.line.note == "dashboard_bench" and event.partnership == handle
                stamp = event.recorded_at.timestamp()
                out["command"].append(exited - started)
                out["tail"].append(exited - stamp)
                if seen is None:
                    out["missed"] += 1
                    continue
                out["exit"].append(seen - exited)
                out["stamp"].append(seen - stamp)
                out["gap"].append(gap)
                turn = next((t for t in turns if t[2] >= event.position), None)
                if turn is not None:
                    out["wake"].append(turn[0] - stamp)
                    out["fold"].append(turn[1] - turn[0])
                    out["ui"].append(seen - turn[1])
                await pilot.pause(0.05)  # let the update settle before the next round
            reader.close()
    finally:
        trustledger.tui.service.live.LiveFollower.step = real_step  # type: ignore[method-assign]
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def spread(values: list[float]) -> str:
    ms = [x * 1000 for x in values]
    return (
        f"p50 {percentile(ms, 0.5):6.1f} ms, p95 {percentile(ms, 0.95):6.1f} ms, "
        f"max {max(ms):6.1f} ms"
    )


def show_latency(label: str, r: dict[str, Any]) -> None:
    rounds = len(r["command"])
    print(f"  {label}, {rounds} rounds")
    exits: list[float] = r["exit"]
    if not exits:
        print(f"    no round showed its value within {SHOW_TIMEOUT:.0f} s")
        return
    print(f"    record process exit -> shown:  {spread([max(0.0, x) for x in exits])}")
    early = [-x for x in exits if x <= 0]
    if early:
        print(
            f"      ({len(early)}/{len(exits)} already shown when the process exited, counted "
            f"as 0 ms; there {percentile(early, 0.5) * 1000:.0f} ms before the exit, p50)"
        )
    print(f"    recorded_at -> shown:          {spread(r['stamp'])}")
    if r["wake"]:
        print(f"      recorded_at -> loop wakes:   {spread(r['wake'])}")
        print(f"      read + fold + picture:       {spread(r['fold'])}")
        print(f"      picture -> cell updated:     {spread(r['ui'])}")
    print(f"    table read every:              {spread(r['gap'])} (around the change)")
    print(
        f"    record process: {spread(r['command'])} in all; it exits "
        f"{percentile(r['tail'], 0.5) * 1000:.0f} ms after recorded_at (p50)"
    )
    if r["missed"]:
        print(f"    {r['missed']}/{rounds} rounds not shown within {SHOW_TIMEOUT:.0f} s")


def postgres_latency(rounds: int) -> None:
    from tests.pg_server import PgServer, PgServerError, find_pg_bindir

    bindir = find_pg_bindir()
    if bindir is None:
        print("  PostgreSQL: skipped (initdb/postgres binaries not found)")
        return
    try:
        with PgServer(bindir) as server:
            url = server.create_database("dashboard_bench")
            record_samples(url)
            result = asyncio.run(latency_rounds(url, rounds))
    except PgServerError as exc:
        print(f"  PostgreSQL: skipped (the server did not start: {str(exc).splitlines()[0]})")
        return
    show_latency(f"PostgreSQL {bindir.parent.name}, LISTEN/NOTIFY", result)


# -- main ------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="sample data only, 10 rounds")
    parser.add_argument("--big-store", type=Path, help="SQLite store to reuse (or build)")
    parser.add_argument("--rounds", type=int, help="latency rounds per store (default 30)")
    parser.add_argument("--child-start", help=argparse.SUPPRESS)
    parser.add_argument("--expect", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_start:
        result = asyncio.run(one_start(args.child_start, args.expect))
        print(RESULT + json.dumps(result), flush=True)
        return
    rounds = args.rounds or (10 if args.quick else 30)

    import textual
    from trustledger.domain.watch import POLL_SECONDS

    with tempfile.TemporaryDirectory(prefix="dashboard-bench-") as tmp_name:
        tmp = Path(tmp_name)
        cache = tmp / "cache"  # the warm-start snapshots, for the child processes only
        env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
        default_poll = POLL_SECONDS
        print(
            f"dashboard benchmark: headless run_test(size={SIZE}), Python "
            f"{sys.version.split()[0]}, Textual {textual.__version__}, {os.cpu_count()} CPUs"
        )
        sample = tmp / "sample.sqlite"
        record_samples(str(sample))

        print("\n1. time to the first full screen (app start -> ready and every row filled)")
        startups("sample data, SQLite", str(sample), env, cache)
        if not args.quick:
            startups("synthetic, SQLite", big_store(args.big_store, tmp), env, cache)

        print(
            f"\n2. live-update latency: a `trustledger record` process adds one revenue line, "
            f"until the row's Revenue cell shows it (app poll interval {default_poll} s)"
        )
        latency_store = tmp / "latency.sqlite"
        record_samples(str(latency_store))
        show_latency("SQLite, polling", asyncio.run(latency_rounds(str(latency_store), rounds)))
        postgres_latency(rounds)


if __name__ == "__main__":
    main()
