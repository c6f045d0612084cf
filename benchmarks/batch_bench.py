"""Benchmark: the live view's work per batch of new events, at 1,000 and 10,000 partnerships.

For each store (an SQLite file, copied first so the original is kept; or, without one, a
store built in a temporary directory with ``verify_bench.build``'s synthetic histories)
this folds every stored event into a ``Follower`` and shows the first live picture, then
records ``--batches`` new events one by one (mixed types on random partnerships not ended:
commitments made, kept and missed, reviews, revenue, issues raised (some of high severity)
and resolved, dated today) and reads them back. Then it feeds them to the follower one
event per batch, as the live loop does under a steady write load, and times for each batch
what the live loop does with it: ``Follower.apply``, ``live_picture`` (``Follower.view``
and ``Follower.sparklines``) and ``new_alerts`` against the picture before. It prints the
mean and p95 per batch at each size and the ratio between the two sizes (the per-batch
work should follow what the batch touched, not the number of partnerships), and how many
batches moved the revenue total or some partnership's status.

With ``--ui`` the same batches also go to the real portfolio screen (the dashboard app under
Textual's ``run_test``, 120x40, fed the pictures directly instead of following a store) and
the CPU time (of this process) from handing it a picture to the screen having drawn it is
reported per batch.

Usage: python benchmarks/batch_bench.py [SMALL_STORE BIG_STORE] [--batches 300] [--ui]
       [--events 100] [--seed 7]

Given one store, it measures that one alone. Without stores it builds 1,000 x ``--events``
and 10,000 x ``--events`` events (the big one takes about a minute to build at 100 events
per partnership), the shape of the stores ``verify_bench.py`` builds.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from trustledger.domain.events import Recorded
from trustledger.domain.ledger import Ledger, Located
from trustledger.domain.paging import pages
from trustledger.domain.store import parse_store_url
from trustledger.projections import Follower, ModelConfig
from trustledger.tui.service.live import LiveUpdate, Picture, live_picture, new_alerts
from trustledger.tui.service.readmodel import gc_paused

from benchmarks.verify_bench import build


def event_lines(handles: list[str], count: int, seed: int) -> Iterator[dict[str, Any]]:
    """``count`` new events on random partnerships, the live load's mix."""
    rng = random.Random(seed)
    open_commitments: list[tuple[str, str]] = []
    open_issues: list[tuple[str, str]] = []
    for n in range(1, count + 1):
        handle = rng.choice(handles)
        roll = rng.random()
        if roll < 0.25 or not open_commitments:
            commitment = f"batch-{n}"
            open_commitments.append((handle, commitment))
            yield {
                "type": "commitment_made",
                "partnership": handle,
                "commitment": commitment,
                "by": rng.choice(["us", "partner"]),
                "summary": "batch",
                "due": "2027-06-30",
                "weight": rng.randint(1, 5),
            }
        elif roll < 0.45:
            handle, commitment = open_commitments.pop(rng.randrange(len(open_commitments)))
            kind = "commitment_kept" if rng.random() < 0.6 else "commitment_missed"
            yield {"type": kind, "partnership": handle, "commitment": commitment}
        elif roll < 0.6:
            yield {
                "type": "review_held",
                "partnership": handle,
                "scores": {"vision": rng.randint(1, 5), "values": rng.randint(1, 5)},
                "partner_scores": {"vision": rng.randint(1, 5)},
            }
        elif roll < 0.8:
            yield {
                "type": "revenue_recorded",
                "partnership": handle,
                "period": "2026-12",
                "amount": rng.randint(100, 5000),
            }
        elif roll < 0.92 or not open_issues:
            issue = f"batch-{n}"
            open_issues.append((handle, issue))
            yield {
                "type": "issue_raised",
                "partnership": handle,
                "issue": issue,
                "summary": "batch",
                "severity": rng.choice(["medium", "high"]),
            }
        else:
            handle, issue = open_issues.pop(rng.randrange(len(open_issues)))
            yield {
                "type": "issue_resolved",
                "partnership": handle,
                "issue": issue,
                "resolution": "done",
            }


@dataclass
class Result:
    partnerships: int
    events: int
    fold_s: float
    first_s: float
    per_batch: list[float]
    revenue_moves: int
    status_moves: int
    ui_per_batch: list[float] | None = None


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def prepare(store: Path, batches: int, seed: int) -> tuple[Ledger, list[Recorded], list[Recorded]]:
    """The store's events, and ``batches`` new ones recorded into it (the copy)."""
    ledger = Ledger(parse_store_url(str(store)))
    old: list[Recorded] = []
    for page in pages(lambda after, n: ledger.read(after, n, trusted=True), 0, 20_000):
        old.extend(page)
    position = ledger.max_position()
    follower = Follower()
    follower.apply(old, ledger.history)
    today = date.today()
    handles = [v.handle for v in follower.view(today).partnerships if v.status != "ended"]
    for n, line in enumerate(event_lines(handles, batches, seed), 1):
        result = ledger.record([Located("batch", n, json.dumps(line))], actor="bench")
        if not result.ok:
            raise SystemExit(f"a new event was refused: {result.errors[0]}")
    new = ledger.read(position, batches + 1, trusted=True)
    return ledger, old, new


def measure(store: Path, batches: int, seed: int, ui: bool) -> Result:
    ledger, old, new = prepare(store, batches, seed)
    config = ModelConfig()
    today = date.today()
    with gc_paused():
        started = time.perf_counter()
        follower = Follower(config)
        follower.apply(old, ledger.history)
        fold_s = time.perf_counter() - started
        started = time.perf_counter()
        picture = live_picture(follower, today)
        first_s = time.perf_counter() - started
    gc.freeze()  # as the live view does with what it loaded
    per_batch: list[float] = []
    revenue_moves = status_moves = 0
    for event in new:
        before = picture
        started = time.perf_counter()
        with gc_paused():
            changed = follower.apply([event], ledger.history)
            picture = live_picture(follower, today, changed, before.position)
        new_alerts(before.portfolio, picture.portfolio, picture.changed)
        per_batch.append(time.perf_counter() - started)
        if picture.portfolio.revenue_total_12m != before.portfolio.revenue_total_12m:
            revenue_moves += 1
        if picture.portfolio.by_status != before.portfolio.by_status:
            status_moves += 1
    pictures: list[Picture] = []
    if ui:
        # The same pictures again, kept for the screen (not while the batches are timed:
        # hundreds of pictures held at once are not what the live view holds).
        follower = Follower(config)
        follower.apply(old, ledger.history)
        pictures.append(live_picture(follower, today))
        for event in new:
            changed = follower.apply([event], ledger.history)
            pictures.append(live_picture(follower, today, changed, pictures[-1].position))
    ledger.close()
    result = Result(
        len(follower.state.partnerships),
        len(old),
        fold_s,
        first_s,
        per_batch,
        revenue_moves,
        status_moves,
    )
    if ui:
        result.ui_per_batch = asyncio.run(drive_screen(pictures))
    return result


class Feed:
    """A shared live view the bench drives by hand (``LiveFeed``)."""

    def __init__(self) -> None:
        self.emit: Callable[[LiveUpdate], None] | None = None

    def subscribe(self, emit: Callable[[LiveUpdate], None], failed: object) -> Callable[[], None]:
        self.emit = emit
        return lambda: None


async def drive_screen(pictures: list[Picture]) -> list[float]:
    """Hand each picture to the real dashboard app (its portfolio screen) as a live update;
    the CPU time until the screen has taken it and drawn."""
    from trustledger.tui.dashboard.app import TrustLedgerApp
    from trustledger.tui.service.ledger_service import LedgerService

    with tempfile.TemporaryDirectory() as tmp:
        service = LedgerService.for_url(str(Path(tmp) / "empty.sqlite"))
        feed = Feed()
        app = TrustLedgerApp(service, live=feed, config=ModelConfig())
        times: list[float] = []
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            assert feed.emit is not None
            feed.emit(LiveUpdate(pictures[0], initial=True))
            await app.ready(timeout=600)
            await pilot.pause()
            for picture in pictures[1:]:
                started = time.process_time()
                feed.emit(LiveUpdate(picture, changed=set(picture.changed or ())))
                await pilot.pause()
                times.append(time.process_time() - started)
        return times


def report(results: list[Result]) -> None:
    for r in results:
        mean = statistics.fmean(r.per_batch) * 1000
        p95 = percentile(r.per_batch, 0.95) * 1000
        print(
            f"{r.partnerships:>6,} partnerships ({r.events:,} events; fold {r.fold_s:.1f} s, "
            f"first picture {r.first_s * 1000:.0f} ms): per batch mean {mean:.2f} ms, "
            f"p95 {p95:.2f} ms over {len(r.per_batch)} batches "
            f"({r.revenue_moves} moved the revenue total, {r.status_moves} a status count)"
        )
        if r.ui_per_batch:
            ui_mean = statistics.fmean(r.ui_per_batch) * 1000
            ui_p95 = percentile(r.ui_per_batch, 0.95) * 1000
            print(f"  portfolio screen CPU per batch: mean {ui_mean:.2f} ms, p95 {ui_p95:.2f} ms")
    if len(results) == 2:
        small, big = results
        ratio = statistics.fmean(big.per_batch) / statistics.fmean(small.per_batch)
        p95 = percentile(big.per_batch, 0.95) / percentile(small.per_batch, 0.95)
        sizes = f"{big.partnerships:,} / {small.partnerships:,}"
        print(f"ratio {sizes}: mean {ratio:.2f}x, p95 {p95:.2f}x")
        if small.ui_per_batch and big.ui_per_batch:
            ui = statistics.fmean(big.ui_per_batch) / statistics.fmean(small.ui_per_batch)
            print(f"portfolio screen ratio: mean {ui:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stores", nargs="*", type=Path, help="SQLite stores, small then big")
    parser.add_argument("--batches", type=int, default=300)
    parser.add_argument("--events", type=int, default=100, help="per partnership, when built")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--ui", action="store_true", help="also time the portfolio screen")
    args = parser.parse_args()
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        stores: list[Path] = []
        if args.stores:
            for n, given in enumerate(args.stores):
                stores.append(work / f"store{n}.sqlite")
                shutil.copyfile(given, stores[-1])
        else:
            for size in (1_000, 10_000):
                stores.append(work / f"store{size}.sqlite")
                print(f"building {size:,} x {args.events} events ...")
                with Ledger(parse_store_url(str(stores[-1])), create=True) as ledger:
                    build(ledger, size, args.events, 100)
        for store in stores:
            results.append(measure(store, args.batches, args.seed, args.ui))
            report(results[-1:])
    print()
    report(results)


if __name__ == "__main__":
    main()
