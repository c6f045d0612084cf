"""Benchmark: replaying 1,000,000 events (10,000 partnerships) into a report.

Builds (or reuses, with ``--store``) an SQLite store of synthetic histories, then measures,
each phase in a fresh process so its peak memory is its own:

- library read + decode: eventsourcing's ``recorder.select_notifications`` pages with the
  library's ``JSONTranscoder`` decoding every stored state — the library's own rate for
  reading these notifications;
- cold report: reading and decoding every event into the pydantic models, folding them
  into the projections and building every report row (what ``report --format json`` does);
- projections alone: the same events, read and decoded beforehand (not timed), folded
  (``fold``) and turned into every report row (``portfolio_at`` + ``report_rows``), each
  step timed on its own -- the part of a cold replay that the projections own;
- read model: a start from the store's shared read model (what the dashboard and ``report``
  for today do): load and check every row, read what is new (nothing), and build every
  report row (with the garbage collector paused, as the dashboard builds its picture); the
  read model is built first when the store has none.

Each phase shows its wall time and its CPU time (the process's own, which other processes
on a shared machine disturb far less).

Usage: python benchmarks/replay_bench.py [--partnerships 10000] [--events 100] [--store PATH]
[--phases library,cold,alone,readmodel]   (e.g. --partnerships 2000 for 200,000 events)
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from trustledger.domain.ledger import Ledger
from trustledger.domain.store import parse_store_url

from benchmarks.verify_bench import build

AS_OF = date(2026, 11, 1)
PHASES = ("library", "cold", "alone", "readmodel")
PAGE = 20000


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def library_read(path: str) -> dict:
    from eventsourcing.persistence import JSONTranscoder

    with Ledger(parse_store_url(path)) as ledger:
        recorder = ledger.app.recorder
        transcoder = JSONTranscoder()
        count, start = 0, 0
        started, cpu = time.perf_counter(), time.process_time()
        while page := recorder.select_notifications(start, PAGE, inclusive_of_start=False):
            for notification in page:
                transcoder.decode(notification.state)
            count += len(page)
            start = page[-1].id
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {"events": count, "seconds": elapsed, "cpu": cpu, "peak_mib": peak_mib()}


def cold_report(path: str) -> dict:
    from trustledger.projections.replay import replay
    from trustledger.projections.report import report_rows
    from trustledger.tui.service.readmodel import gc_paused

    with Ledger(parse_store_url(path)) as ledger, gc_paused():
        started, cpu = time.perf_counter(), time.process_time()
        # As the report does: the store's corrections first, the events read once.
        corrections = ledger.corrections()
        portfolio = replay(
            ledger.iter_events(page=PAGE, trusted=True), AS_OF, corrections=corrections
        )
        rows = report_rows(portfolio)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        count = ledger.max_position()
    return {
        "events": count,
        "rows": len(rows),
        "seconds": elapsed,
        "cpu": cpu,
        "peak_mib": peak_mib(),
    }


def projections_alone(path: str) -> dict:
    from trustledger.projections.portfolio import portfolio_at
    from trustledger.projections.replay import fold
    from trustledger.projections.report import report_rows
    from trustledger.tui.service.readmodel import gc_paused

    with Ledger(parse_store_url(path)) as ledger, gc_paused():
        events = list(ledger.iter_events(page=PAGE, trusted=True))
        started = time.perf_counter(), time.process_time()
        state = fold(events, AS_OF)
        folded = time.perf_counter(), time.process_time()
        rows = report_rows(portfolio_at(state, AS_OF))
        finished = time.perf_counter(), time.process_time()
    return {
        "events": len(events),
        "rows": len(rows),
        "fold_seconds": folded[0] - started[0],
        "fold_cpu": folded[1] - started[1],
        "views_seconds": finished[0] - folded[0],
        "views_cpu": finished[1] - folded[1],
    }


def read_model_start(path: str) -> dict:
    """Today's report rows from the store's read model (built first when there is none)."""
    from trustledger.projections.config import DEFAULT_CONFIG
    from trustledger.projections.portfolio import portfolio_at
    from trustledger.projections.report import report_rows
    from trustledger.tui.service.readmodel import ReadModel, gc_paused

    with Ledger(parse_store_url(path)) as ledger:
        model = ReadModel(ledger, DEFAULT_CONFIG)
        if model.load().state is None:
            started = time.perf_counter()
            model.rebuild()
            return {"built_seconds": time.perf_counter() - started}
        started, cpu = time.perf_counter(), time.process_time()
        state, reason = model.start()
        loaded = time.perf_counter()
        with gc_paused():
            rows = report_rows(portfolio_at(state, AS_OF))
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        size = sum(len(body) for _, body, _ in ledger.read_store().read().rows)
    return {
        "position": state.last_position,
        "rebuilt": reason,
        "rows": len(rows),
        "load_seconds": loaded - started,
        "seconds": elapsed,
        "cpu": cpu,
        "mib": size / 2**20,
        "peak_mib": peak_mib(),
    }


def in_child(func, *args) -> dict:
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(func, args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partnerships", type=int, default=10000)
    parser.add_argument("--events", type=int, default=100)
    parser.add_argument("--store", type=Path, help="reuse (or build) the store at this path")
    parser.add_argument(
        "--phases",
        default=",".join(PHASES),
        help=f"which phases to run, comma-separated (default: {','.join(PHASES)})",
    )
    args = parser.parse_args()
    phases = set(args.phases.split(","))
    if not phases <= set(PHASES):
        parser.error(f"--phases: choose among {', '.join(PHASES)}")
    with tempfile.TemporaryDirectory() as tmp:
        path = args.store or Path(tmp) / "replay.sqlite"
        if not path.is_file():
            with Ledger(parse_store_url(str(path)), create=True) as ledger:
                count, seconds = build(ledger, args.partnerships, args.events, 100)
            print(f"built {count:,} events in {seconds:.0f} s")
        lib_rate = None
        if "library" in phases:
            lib = in_child(library_read, str(path))
            lib_rate = lib["events"] / lib["seconds"]
            print(
                f"library read + decode:  {lib_rate:>9,.0f} events/s  ({lib['seconds']:.1f} s, "
                f"cpu {lib['cpu']:.1f} s, peak {lib['peak_mib']:.0f} MiB)"
            )
        if "cold" in phases:
            cold = in_child(cold_report, str(path))
            cold_rate = cold["events"] / cold["seconds"]
            print(
                f"cold replay to report:  {cold_rate:>9,.0f} events/s  ({cold['seconds']:.1f} s, "
                f"cpu {cold['cpu']:.1f} s, peak {cold['peak_mib']:.0f} MiB; "
                f"{cold['events']:,} events, {cold['rows']:,} partnerships)"
            )
            if lib_rate is not None:
                print(f"ratio:                  {cold_rate / lib_rate:>9.0%}")
        if "alone" in phases:
            alone = in_child(projections_alone, str(path))
            print(
                f"projections alone:      {alone['events'] / alone['fold_seconds']:>9,.0f} "
                f"events/s folded ({alone['fold_seconds']:.2f} s, cpu {alone['fold_cpu']:.2f} s), "
                f"then {alone['views_seconds']:.2f} s (cpu {alone['views_cpu']:.2f} s) for "
                f"{alone['rows']:,} report rows"
            )
        if "readmodel" in phases:
            built = in_child(read_model_start, str(path))
            if "built_seconds" in built:
                print(f"read model built in {built['built_seconds']:.1f} s")
            warm = in_child(read_model_start, str(path))
            print(
                f"read model to report:   {warm['seconds']:>9.2f} s  (cpu {warm['cpu']:.2f} s, "
                f"{warm['load_seconds']:.2f} s loading it; at position {warm['position']:,}, "
                f"{warm['mib']:.0f} MiB of rows; none replayed, peak {warm['peak_mib']:.0f} MiB)"
            )


if __name__ == "__main__":
    main()
