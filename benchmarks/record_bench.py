"""Benchmark: recording 100,000 lines across 1,000 partnerships into a fresh SQLite store.

Prints the ledger's rate (parse + validate + rules + hash chain + save, all or nothing in
one transaction) next to two library rates for the same events in the same run:

- library batched save: eventsourcing's own ``Application.save`` with its own ``Aggregate``
  and JSON transcoder, one aggregate per partnership, each line's fields as the event's
  data, 100 events per save — the library's documented way of storing these events;
- library raw insert: eventsourcing's SQLite recorder inserting the very same stored rows
  the ledger wrote, 100 per transaction — the storage floor, with no domain work at all.

Usage: python benchmarks/record_bench.py [--partnerships 1000] [--events 100]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import json

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteDatastore
from trustledger.domain.ledger import Ledger, located_lines
from trustledger.domain.store import parse_store_url

from benchmarks.synthetic import synthetic_lines


class BenchPartnership(Aggregate):
    """The library's own aggregate style: one event per line, the line's fields as data."""

    @event("Registered")
    def __init__(self, line: dict) -> None:
        self.events = 1

    @event("Recorded")
    def add(self, line: dict) -> None:
        self.events += 1


def library_save(lines: list[str], path: Path, batch: int = 100) -> float:
    """Rate of the library's Application.save, 100 events per save, for the same lines."""
    app = Application(
        env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(path)}
    )
    data = [json.loads(text) for text in lines]
    aggregates: dict[str, BenchPartnership] = {}
    started = time.perf_counter()
    pending: dict[str, BenchPartnership] = {}
    for i, line in enumerate(data, 1):
        handle = line["partnership"]
        if handle in aggregates:
            aggregates[handle].add(line=line)
        else:
            aggregates[handle] = BenchPartnership(line=line)
        pending[handle] = aggregates[handle]
        if i % batch == 0:
            app.save(*pending.values())
            pending.clear()
    app.save(*pending.values())
    elapsed = time.perf_counter() - started
    app.close()
    return len(data) / elapsed


def library_raw_insert(rows: list[StoredEvent], path: Path, batch: int = 100) -> float:
    datastore = SQLiteDatastore(str(path), lock_timeout=60, originator_id_type="text")
    recorder = SQLiteApplicationRecorder(datastore)
    recorder.create_table()
    started = time.perf_counter()
    for i in range(0, len(rows), batch):
        recorder.insert_events(rows[i : i + batch])
    elapsed = time.perf_counter() - started
    datastore.close()
    return len(rows) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partnerships", type=int, default=1000)
    parser.add_argument("--events", type=int, default=100, help="events per partnership")
    args = parser.parse_args()
    lines = list(synthetic_lines(args.partnerships, args.events))
    with tempfile.TemporaryDirectory() as tmp:
        store = parse_store_url(str(Path(tmp) / "ledger.sqlite"))
        ledger = Ledger(store, create=True)
        located = located_lines("bench.ndjson", lines)
        started = time.perf_counter()
        result = ledger.record(located)
        elapsed = time.perf_counter() - started
        assert result.ok, result.errors[:3]
        ours = result.recorded / elapsed
        rows = [StoredEvent(r.partnership, r.version, r.topic, r.state) for r in _all_rows(ledger)]
        ledger.close()
        theirs = library_save(lines, Path(tmp) / "library.sqlite")
        floor = library_raw_insert(rows, Path(tmp) / "raw.sqlite")
        # Recording the same input again: every line is found by id, nothing is written.
        ledger = Ledger(store, create=True)
        started = time.perf_counter()
        again = ledger.record(located)
        again_elapsed = time.perf_counter() - started
        ledger.close()
    print(f"lines: {len(lines):,} across {args.partnerships:,} partnerships")
    print(f"trustledger record:            {ours:>9,.0f} events/s ({elapsed:.1f} s)")
    print(f"library batched save (100/tx): {theirs:>9,.0f} events/s")
    print(f"ratio to library save:         {ours / theirs:>9.0%}")
    print(f"library raw insert (100/tx):   {floor:>9,.0f} events/s (storage floor)")
    print(
        f"re-record (all already there): {len(lines) / again_elapsed:>9,.0f} lines/s "
        f"(recorded {again.recorded}, already {again.already})"
    )


def _all_rows(ledger: Ledger) -> list:
    rows, after = [], 0
    while batch := ledger.read_raw(after, 20000):
        rows.extend(batch)
        after = batch[-1].position
    return rows


if __name__ == "__main__":
    main()
