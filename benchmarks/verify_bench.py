"""Benchmark: ``audit verify`` (the hash-chain walk) over 1,000,000 stored events.

Builds an SQLite store of 10,000 partnerships x 100 events (synthetic, rule-abiding,
each partnership's history recorded whole, 100 partnerships per all-or-nothing
``Ledger.record`` call), or reuses the store given with ``--store`` when it already holds
events. Then times ``domain.audit.verify`` over every stored row and prints its rate next
to two read rates for the same rows, for context:

- ledger raw read: the pages of rows verify consumes (``Ledger.read_raw``), no checks;
- library raw read: eventsourcing's own ``recorder.select_notifications`` pages.

Usage: python benchmarks/verify_bench.py [--partnerships 10000] [--events 100]
                                         [--chunk 100] [--store PATH]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from trustledger.domain.audit import PAGE, iter_rows, verify
from trustledger.domain.ledger import Ledger, located_lines
from trustledger.domain.store import parse_store_url

from benchmarks.synthetic import synthetic_lines


def build(ledger: Ledger, partnerships: int, events: int, chunk: int) -> tuple[int, float]:
    """Record the synthetic histories, ``chunk`` whole partnerships per record call."""
    lines = synthetic_lines(partnerships, events, interleave=False)
    per_call = chunk * events
    recorded = 0
    started = time.perf_counter()
    for n, batch in enumerate(_batches(lines, per_call), 1):
        result = ledger.record(located_lines(f"chunk{n}", batch), actor="bench")
        if not result.ok:
            raise SystemExit(f"synthetic input rejected: {result.errors[:3]}")
        recorded += result.recorded
        if n % 10 == 0 or recorded == partnerships * events:
            rate = recorded / (time.perf_counter() - started)
            print(f"\r  recorded {recorded:,} events ({rate:,.0f}/s)", end="", flush=True)
    print()
    return recorded, time.perf_counter() - started


def _batches(lines: Iterator[str], size: int) -> Iterator[list[str]]:
    while batch := list(islice(lines, size)):
        yield batch


def time_ledger_read(ledger: Ledger) -> tuple[int, float]:
    started = time.perf_counter()
    count = sum(1 for _ in iter_rows(ledger.read_raw))
    return count, time.perf_counter() - started


def time_library_read(ledger: Ledger) -> tuple[int, float]:
    recorder = ledger.app.recorder
    count, start = 0, 0
    started = time.perf_counter()
    while page := recorder.select_notifications(start, PAGE, inclusive_of_start=False):
        count += len(page)
        start = page[-1].id
    return count, time.perf_counter() - started


def run(store_path: Path, args: argparse.Namespace) -> None:
    store = parse_store_url(str(store_path))
    reuse = store_path.is_file()
    with Ledger(store, create=not reuse) as ledger:
        existing = ledger.max_position()
        if existing:
            print(f"reusing {store_path} ({existing:,} events); not rebuilt")
        else:
            total = args.partnerships * args.events
            print(
                f"building {store_path}: {args.partnerships:,} partnerships x "
                f"{args.events} events = {total:,} events, "
                f"{args.chunk} partnerships per record call"
            )
            recorded, seconds = build(ledger, args.partnerships, args.events, args.chunk)
            print(
                f"store built: {recorded:,} events in {seconds:.1f} s "
                f"({recorded / seconds:,.0f} events/s), "
                f"{store_path.stat().st_size / 2**20:,.0f} MiB"
            )

        # Warm the page cache so the walk and the reads compare like with like.
        time_ledger_read(ledger)

        started = time.perf_counter()
        verdict = verify(iter_rows(ledger.read_raw), contiguous_positions=True)
        verify_seconds = time.perf_counter() - started
        read_count, read_seconds = time_ledger_read(ledger)
        lib_count, lib_seconds = time_library_read(ledger)

    print(verdict.summary())
    if not verdict.intact:
        raise SystemExit(1)
    events = verdict.events
    print(
        f"audit verify:               {events / verify_seconds:>10,.0f} events/s "
        f"({verify_seconds:.1f} s for {events:,} events)"
    )
    print(
        f"ledger raw read (no checks): {read_count / read_seconds:>9,.0f} events/s "
        f"({read_seconds:.1f} s)"
    )
    print(
        f"library select_notifications: {lib_count / lib_seconds:>8,.0f} events/s "
        f"({lib_seconds:.1f} s, {PAGE:,} per page)"
    )
    print(f"checking share of verify time: {1 - read_seconds / verify_seconds:>7.0%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partnerships", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=100, help="events per partnership")
    parser.add_argument(
        "--chunk", type=int, default=100, help="whole partnerships per Ledger.record call"
    )
    parser.add_argument(
        "--store", type=Path, help="SQLite file to build (or reuse, when it holds events)"
    )
    args = parser.parse_args()
    if args.store is not None:
        run(args.store.expanduser().absolute(), args)
        return
    with tempfile.TemporaryDirectory() as tmp:
        run(Path(tmp) / "verify-bench.sqlite", args)


if __name__ == "__main__":
    main()
