"""Benchmark: ``trustledger pack --all`` at 1,000 partnerships.

Builds an SQLite store of 1,000 partnerships x 100 events (synthetic, rule-abiding:
``benchmarks/synthetic.py``, 100 partnerships per all-or-nothing ``Ledger.record`` call), or
reuses the store given with ``--store`` when it already holds events. Then:

1. ``trustledger pack --all --as-of 2026-11-01 -o DIR`` in a fresh process (stderr not a
   terminal, so no progress bar): the whole command, from process start to the index page
   written, with its peak memory, the number of files and their size; ``--jobs`` is the
   command's own default (one worker process per CPU) unless given.
2. The same work in this process, in one process, phase by phase: reading the store, the
   replay (``pack_context``), gathering every pack, rendering the HTML (charts included),
   and the index page.
3. PDF: ``pack H --format pdf`` for a few partnerships, each in-process, after one warm-up
   (WeasyPrint's first document also loads its fonts).

Other work on the machine slows every figure: the load average is printed first, and CPU
seconds beside the wall-clock ones.

Usage: python benchmarks/pack_bench.py [--partnerships 1000] [--events 100] [--pdf 3]
                                       [--jobs N] [--store PATH]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from trustledger.domain.ledger import Ledger
from trustledger.domain.store import parse_store_url
from trustledger.tui.pack import (
    gather_pack,
    pack_context,
    pack_filename,
    portfolio_index,
    render_index,
    render_pack,
    render_pdf,
)
from trustledger.tui.service.warmstart import gc_paused

from benchmarks.synthetic import END
from benchmarks.verify_bench import build

TRUSTLEDGER = Path(sys.executable).parent / "trustledger"
AS_OF: date = END
MADE_AT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def ensure_store(store_path: Path, args: argparse.Namespace) -> int:
    store = parse_store_url(str(store_path))
    reuse = store_path.is_file()
    with Ledger(store, create=not reuse) as ledger:
        existing = ledger.max_position()
        if existing:
            print(f"reusing {store_path} ({existing:,} events); not rebuilt")
            return existing
        total = args.partnerships * args.events
        print(
            f"building {store_path}: {args.partnerships:,} partnerships x {args.events} "
            f"events = {total:,} events"
        )
        recorded, seconds = build(ledger, args.partnerships, args.events, 100)
        print(f"store built: {recorded:,} events in {seconds:.1f} s")
        return recorded


def time_command(store_path: Path, out: Path, jobs: int | None) -> None:
    """The whole command in a fresh process, as a person or cron would run it."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    run = subprocess.run(
        [
            str(TRUSTLEDGER),
            "--store",
            str(store_path),
            "pack",
            "--all",
            "--as-of",
            AS_OF.isoformat(),
            "-o",
            str(out),
            *(["--jobs", str(jobs)] if jobs else []),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if run.returncode != 0:
        raise SystemExit(f"pack --all failed: {run.stderr.strip()}")
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak = usage.ru_maxrss / 1024
    cpu = (usage.ru_utime - before.ru_utime) + (usage.ru_stime - before.ru_stime)
    files = list(out.iterdir())
    size = sum(f.stat().st_size for f in files)
    packs = len(files) - 1
    print(
        f"pack --all (fresh process):   {seconds:6.1f} s for {packs:,} packs + index "
        f"({packs / seconds:,.0f} packs/s; {cpu:.1f} s of CPU in all processes), "
        f"peak {peak:,.0f} MiB, {size / 2**20:,.1f} MiB written "
        f"({size / len(files) / 1024:,.0f} KiB per file)"
    )


def time_phases(store_path: Path) -> list[str]:
    """The same work in this process, phase by phase; returns the handles."""
    cpu_started = time.process_time()
    started = time.perf_counter()
    with Ledger(parse_store_url(str(store_path))) as ledger, gc_paused():
        events = list(ledger.iter_events(trusted=True))
    read = time.perf_counter()
    context = pack_context(events, AS_OF, made_at=MADE_AT)
    replayed = time.perf_counter()
    handles = context.portfolio.handles
    packs = [gather_pack(context, handle) for handle in handles]
    gathered = time.perf_counter()
    pages = [render_pack(pack) for pack in packs]
    rendered = time.perf_counter()
    hrefs = {h: pack_filename(h, AS_OF) for h in handles}
    render_index(portfolio_index(context, hrefs))
    indexed = time.perf_counter()
    n = len(handles)
    print(f"  read {len(events):,} events:      {read - started:6.2f} s")
    print(f"  replay (pack_context):     {replayed - read:6.2f} s")
    print(
        f"  gather {n:,} packs:         {gathered - replayed:6.2f} s "
        f"({(gathered - replayed) / n * 1000:.1f} ms each)"
    )
    print(
        f"  render {n:,} packs (HTML):  {rendered - gathered:6.2f} s "
        f"({(rendered - gathered) / n * 1000:.1f} ms each, charts included)"
    )
    print(f"  index page:                {indexed - rendered:6.2f} s")
    print(f"  average pack: {sum(map(len, pages)) / n / 1024:,.0f} KiB of HTML")
    print(
        f"  in all: {indexed - started:.1f} s, {time.process_time() - cpu_started:.1f} s of CPU "
        "(one process)"
    )
    return handles


def time_pdf(store_path: Path, handles: list[str], count: int) -> None:
    if count <= 0:
        return
    with Ledger(parse_store_url(str(store_path))) as ledger:
        events = list(ledger.iter_events(trusted=True))
    context = pack_context(events, AS_OF, made_at=MADE_AT)
    chosen = handles[:count]
    render_pdf(render_pack(gather_pack(context, chosen[0])))  # warm-up: fonts
    started = time.perf_counter()
    sizes = [len(render_pdf(render_pack(gather_pack(context, h)))) for h in chosen]
    seconds = time.perf_counter() - started
    print(
        f"PDF (WeasyPrint), warm:       {seconds / len(chosen):6.2f} s per pack "
        f"({sum(sizes) / len(sizes) / 1024:,.0f} KiB each, {len(chosen)} packs)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partnerships", type=int, default=1000)
    parser.add_argument("--events", type=int, default=100, help="events per partnership")
    parser.add_argument("--pdf", type=int, default=3, help="partnerships to time as PDF")
    parser.add_argument("--jobs", type=int, help="pack --all --jobs N (default: its own)")
    parser.add_argument(
        "--store", type=Path, help="SQLite file to build (or reuse, when it holds events)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store_path = args.store.expanduser().absolute() if args.store else Path(tmp) / "pack.sqlite"
        ensure_store(store_path, args)
        print(f"machine: {os.cpu_count()} cores; as of {AS_OF}")
        print(f"load average before: {os.getloadavg()[0]:.1f}")
        time_command(store_path, Path(tmp) / "packs", args.jobs)
        print("in-process phases:")
        handles = time_phases(store_path)
        time_pdf(store_path, handles, args.pdf)


if __name__ == "__main__":
    main()
