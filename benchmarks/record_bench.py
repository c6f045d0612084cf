"""Benchmark: one all-or-nothing ``record`` of many lines, on SQLite and on PostgreSQL.

The input is 100 lines for each of ``--partnerships`` partnerships (100,000 lines by
default; ``--partnerships 2000`` gives the 200,000 lines that used to hang on PostgreSQL).
For each backend it prints the ledger's rate (parse + validate + rules + hash chain + save,
all or nothing in one transaction) next to two library rates for the same events:

- library batched save: eventsourcing's own ``Application.save`` with its own ``Aggregate``
  and JSON transcoder, one aggregate per partnership, each line's fields as the event's
  data, 100 events per save — the library's documented way of storing these events (one
  save of all of them is not measured on PostgreSQL: from about 25,000 events it never
  returns, psycopg issue 685);
- library raw insert: the library's recorder inserting the very same stored rows the ledger
  wrote, 100 per transaction — the storage floor, with no domain work at all.

PostgreSQL: ``--postgres auto`` (the default) starts a throwaway server like the test suite
does (skipped when PostgreSQL is not installed); ``--postgres URL`` uses a server where the
URL's user may create and drop databases; ``--postgres none`` skips it.

``--append-to PATH|URL`` also appends 10,000 lines (commitments made, reviews, revenue, issues
on random partnerships) to a copy of a big store in one ``record``: what an append costs once
the store holds a long history (the ledger decides from each partnership's saved decision
state). Beside it, two library saves, 100 events per save, each into another copy (into the
same table, with the same indexes):

- **the same events**: one library aggregate per partnership of the lines, under the
  partnership's handle and at its newest stored version (read with the library's recorder
  before the clock starts, as the input's decoding is), so that its events take the keys
  the ledger's events take: the same places in the same indexes. This is the Done-when
  reference of issue 15.
- **as new aggregates**: the lines as the events of new aggregates with random ids, as in the
  other sections. Their keys sort apart from the store's handles, so the library's writes
  land together at one end of the key index instead of among the existing partnerships'
  keys: a cheaper save than the same events (the reference of runs before 2026-12-04).

An SQLite file is copied with SQLite's backup; a PostgreSQL store (a URL whose user may
create databases) with ``CREATE DATABASE ... TEMPLATE``. Three rounds on fresh copies, the
three taking turns; each keeps its best (``--append-rounds``).

Usage: python benchmarks/record_bench.py [--partnerships 1000] [--events 100] [--postgres auto]
[--append-to PATH|URL [--append-only] [--append-rounds 3]]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg
from eventsourcing.application import Application
from eventsourcing.domain import (
    Aggregate,
    BaseAggregate,
    CanCreateTimestamp,
    CanMutateAggregate,
    MetaDomainEvent,
    event,
)
from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteDatastore
from psycopg import sql
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


@dataclass(frozen=True)
class _HandleEvent(CanMutateAggregate[str], CanCreateTimestamp, metaclass=MetaDomainEvent):
    """The library's frozen-dataclass event under a text id (its ``DomainEvent`` wants a
    UUID)."""

    originator_id: str
    originator_version: int
    timestamp: datetime


class AppendedPartnership(BaseAggregate[str]):
    """The library's own aggregate style under a partnership's handle: one event per line,
    the line's fields as data."""

    class Event(_HandleEvent):
        pass

    @event("Recorded")
    def add(self, line: dict) -> None:
        pass

    @classmethod
    def at(cls, handle: str, version: int) -> AppendedPartnership:
        """The aggregate at ``version``, as the library rebuilds one (from a snapshot or its
        events) before it triggers new events: only its id, version and time matter here."""
        aggregate = cls.__new__(cls)
        aggregate.__base_init__(handle, version, datetime.now(UTC))
        return aggregate


class SameTableApplication(Application):
    """The library's application under the ledger's name: on PostgreSQL its events go into
    the ledger's table (``trustledger_events``), like SQLite's shared ``stored_events``."""

    name = "trustledger"


def _saved_in_batches(
    app: Application, data: list[dict], apply: Callable[[dict], Any], batch: int
) -> float:
    """Seconds taken to apply each line to an aggregate (``apply`` triggers its event and
    returns the aggregate) and to save the aggregates changed every ``batch`` lines."""
    started = time.perf_counter()
    pending: dict[Any, Any] = {}
    for i, line in enumerate(data, 1):
        aggregate = apply(line)
        pending[aggregate.id] = aggregate
        if i % batch == 0:
            app.save(*pending.values())
            pending.clear()
    app.save(*pending.values())
    return time.perf_counter() - started


def library_save(
    lines: list[str], env: dict[str, str], batch: int = 100, app_class: type = Application
) -> float:
    """Rate of the library's Application.save, 100 events per save, for the same lines."""
    app = app_class(env=env)
    data = [json.loads(text) for text in lines]
    aggregates: dict[str, BenchPartnership] = {}

    def apply(line: dict) -> BenchPartnership:
        handle = line["partnership"]
        if handle in aggregates:
            aggregates[handle].add(line=line)
        else:
            aggregates[handle] = BenchPartnership(line=line)
        return aggregates[handle]

    elapsed = _saved_in_batches(app, data, apply, batch)
    app.close()
    return len(data) / elapsed


def library_save_same(
    lines: list[str], env: dict[str, str], batch: int = 100
) -> tuple[float, float]:
    """Seconds the library's Application.save takes, 100 events per save, to append the lines
    to their partnerships, and the seconds its opening the store and decoding the input
    take. Each partnership's aggregate is at its newest stored version, so that the
    library's events have the keys the ledger's have; reading those versions (the library's
    recorder, one query per partnership) is in neither time."""
    started = time.perf_counter()
    app = SameTableApplication(env=env)
    data = [json.loads(text) for text in lines]
    opening = time.perf_counter() - started
    aggregates: dict[str, AppendedPartnership] = {}
    for line in data:
        handle = line["partnership"]
        if handle not in aggregates:
            newest = app.recorder.select_events(handle, desc=True, limit=1)
            aggregates[handle] = AppendedPartnership.at(handle, newest[0].originator_version)

    def apply(line: dict) -> AppendedPartnership:
        aggregate = aggregates[line["partnership"]]
        aggregate.add(line=line)
        return aggregate

    elapsed = _saved_in_batches(app, data, apply, batch)
    app.close()
    return elapsed, opening


def raw_insert(recorder: Any, rows: list[StoredEvent], batch: int = 100) -> float:
    recorder.create_table()
    started = time.perf_counter()
    for i in range(0, len(rows), batch):
        recorder.insert_events(rows[i : i + batch])
    return len(rows) / (time.perf_counter() - started)


def sqlite_raw_insert(rows: list[StoredEvent], path: Path) -> float:
    datastore = SQLiteDatastore(str(path), lock_timeout=60, originator_id_type="text")
    try:
        return raw_insert(SQLiteApplicationRecorder(datastore), rows)
    finally:
        datastore.close()


def postgres_raw_insert(rows: list[StoredEvent], url: str) -> float:
    store = parse_store_url(url)
    datastore = PostgresDatastore(
        store.dbname, store.host, store.port, store.user, store.password,
        originator_id_type="text",
    )  # fmt: skip
    try:
        return raw_insert(PostgresApplicationRecorder(datastore), rows)
    finally:
        datastore.close()


def measure(
    label: str,
    lines: list[str],
    new_store: Callable[[str], str],
    library_env: Callable[[str], dict[str, str]],
    floor: Callable[[list[StoredEvent], str], float],
) -> None:
    """Every figure for one backend; ``new_store(name)`` gives a fresh, empty store URL."""
    store = parse_store_url(new_store("ours"))
    located = located_lines("bench.ndjson", lines)
    ledger = Ledger(store, create=True)
    started = time.perf_counter()
    result = ledger.record(located)
    elapsed = time.perf_counter() - started
    assert result.ok, result.errors[:3]
    ours = result.recorded / elapsed
    rows = [StoredEvent(r.partnership, r.version, r.topic, r.state) for r in _all_rows(ledger)]
    ledger.close()
    theirs = library_save(lines, library_env(new_store("library")))
    lowest = floor(rows, new_store("raw"))
    # Recording the same input again: every line is found by id, nothing is written.
    ledger = Ledger(store, create=True)
    started = time.perf_counter()
    again = ledger.record(located)
    again_elapsed = time.perf_counter() - started
    ledger.close()
    print(f"\n{label}")
    print(f"  trustledger record:            {ours:>9,.0f} events/s ({elapsed:.1f} s)")
    print(f"  library batched save (100/tx): {theirs:>9,.0f} events/s")
    print(f"  ratio to library save:         {ours / theirs:>9.0%}")
    print(f"  library raw insert (100/tx):   {lowest:>9,.0f} events/s (storage floor)")
    print(
        f"  re-record (all already there): {len(lines) / again_elapsed:>9,.0f} lines/s "
        f"(recorded {again.recorded}, already {again.already})"
    )


def sqlite_section(lines: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        measure(
            "SQLite (a file on local disk)",
            lines,
            lambda name: str(Path(tmp) / f"{name}.sqlite"),
            lambda url: {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": url},
            lambda rows, url: sqlite_raw_insert(rows, Path(url)),
        )


@contextlib.contextmanager
def postgres_server(choice: str) -> Iterator[tuple[str, str] | None]:
    """(maintenance URL, description) of the server to use, or None to skip."""
    if choice == "none":
        yield None
        return
    if choice != "auto":
        yield choice, "the given server"
        return
    from tests.pg_server import PgServer, PgServerError, find_pg_bindir

    bindir = find_pg_bindir()
    if bindir is None:
        print("\nPostgreSQL: skipped (initdb/postgres binaries not found)")
        yield None
        return
    try:
        server = PgServer(bindir).start()
    except PgServerError as exc:
        print(f"\nPostgreSQL: skipped (the server did not start: {str(exc).splitlines()[0]})")
        yield None
        return
    try:
        yield server.url, f"PostgreSQL {bindir.parent.name}, a throwaway local server"
    finally:
        server.stop()


def postgres_section(lines: list[str], choice: str) -> None:
    with postgres_server(choice) as found:
        if found is None:
            return
        url, description = found
        made: list[str] = []

        def new_database(name: str) -> str:
            dbname = f"record_bench_{name}"
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(dbname)))
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
            made.append(dbname)
            return urlunsplit(urlsplit(url)._replace(path=f"/{dbname}"))

        def library_env(db_url: str) -> dict[str, str]:
            store = parse_store_url(db_url)
            return {
                "PERSISTENCE_MODULE": "eventsourcing.postgres",
                "POSTGRES_DBNAME": store.dbname,
                "POSTGRES_HOST": store.host,
                "POSTGRES_PORT": str(store.port),
                "POSTGRES_USER": store.user,
                "POSTGRES_PASSWORD": store.password,
            }

        try:
            measure(description, lines, new_database, library_env, postgres_raw_insert)
        finally:
            with psycopg.connect(url, autocommit=True) as conn:
                for dbname in made:
                    conn.execute(
                        sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                            sql.Identifier(dbname)
                        )
                    )


def append_lines(url: str, count: int, seed: int = 11) -> list[str]:
    """``count`` lines that append to the store's partnerships not ended: commitments made,
    reviews, revenue and issues, on random partnerships (accepted by the ledger's rules)."""
    import random

    from trustledger.projections import ModelConfig
    from trustledger.tui.service.ledger_service import LedgerService

    service = LedgerService.for_url(url)
    portfolio = service.portfolio(service.clock.today(), None, ModelConfig())
    handles = [view.handle for view in portfolio.partnerships if view.status != "ended"]
    rng = random.Random(seed)
    lines = []
    for n in range(count):
        handle = rng.choice(handles)
        roll = rng.random()
        if roll < 0.4:
            line = {
                "type": "commitment_made",
                "partnership": handle,
                "commitment": f"app-{n}",
                "by": "us",
                "summary": "appended",
                "due": "2027-06-30",
                "weight": 2,
            }
        elif roll < 0.6:
            line = {"type": "review_held", "partnership": handle, "scores": {"vision": 4}}
        elif roll < 0.85:
            line = {
                "type": "revenue_recorded",
                "partnership": handle,
                "period": "2026-11",
                "amount": 1000,
            }
        else:
            line = {
                "type": "issue_raised",
                "partnership": handle,
                "issue": f"app-{n}",
                "summary": "appended",
            }
        line["occurred_on"] = "2026-11-15"
        lines.append(json.dumps(line))
    return lines


@dataclass
class AppendRound:
    """One round of the append comparison: ours and the library's two saves, on fresh
    copies."""

    events: int  # in the store before the append
    label: str
    ours: float  # seconds
    ours_cpu: float
    same: float  # the library's save of the same events, from its first save to its last
    same_all: float  # with opening its store and decoding its input, as ours
    new: float  # the library's save of the lines as new aggregates
    new_all: float
    check: float | None  # SQLite's quick_check, timed again after the append
    problem: str | None


def append_section(source: str, count: int, rounds: int = 3) -> None:
    """Append ``count`` lines to a copy of a big store (an SQLite file, or a PostgreSQL
    database copied with CREATE DATABASE ... TEMPLATE), in one record, beside the library's
    batched saves (of the same events, and of the lines as new aggregates), each into
    another copy of it. ``rounds`` rounds, each on fresh copies, and each side keeps its
    best, as ``replay_bench.py`` does: on a shared machine a neighbour's burst then hits
    them alike."""
    lines: list[str] = []
    done: list[AppendRound] = []
    for n in range(1, rounds + 1):
        with _store_copies(source) as (ours_url, same_env, new_env, label):
            if not lines:
                lines = append_lines(ours_url, count)
            done.append(_append_round(ours_url, same_env, new_env, label, lines, n == 1))
        r = done[-1]
        print(
            f"  round {n}: ours {r.ours:.2f} s (CPU {r.ours_cpu:.1f} s, the check's thread "
            f"included); library, same events {r.same:.2f} s ({r.same_all:.2f} s with opening "
            f"and decoding): {r.same / r.ours:.0%}, "
            f"{r.same_all / r.ours:.0%}; as new aggregates {r.new:.2f} s "
            f"({r.new_all:.2f} s): {r.new / r.ours:.0%}, {r.new_all / r.ours:.0%}"
        )
    r = done[0]
    ours = min(r.ours for r in done)
    same, same_all = min(r.same for r in done), min(r.same_all for r in done)
    new, new_all = min(r.new for r in done), min(r.new_all for r in done)
    print(f"appending {count:,} lines to a copy of a store of {r.events:,} events, {r.label}")
    print(f"  (best of {rounds} rounds each, the three taking turns on fresh copies)")
    print(f"  trustledger record:            {count / ours:>9,.0f} events/s ({ours:.2f} s)")
    print(
        f"  library batched save (100/tx) of the same events (the partnerships' handles, "
        f"their next versions): {count / same:,.0f} events/s ({same:.2f} s; from its first "
        "save to its last: opening its store and decoding its input are left out, where ours "
        "includes opening the store and parsing the lines)"
    )
    print(f"  ratio to the library's save of the same events: {same / ours:>5.0%}")
    print(
        f"  like for like (the library's store opened and its input decoded in its time too, "
        f"{same_all:.2f} s): {same_all / ours:.0%}"
    )
    print(
        f"  library batched save (100/tx) of the lines as new aggregates (random ids, their "
        f"keys apart from the store's): {count / new:,.0f} events/s ({new:.2f} s, "
        f"{new_all:.2f} s with opening and decoding): {new / ours:.0%}, {new_all / ours:.0%}"
    )
    if r.check is not None:
        print(
            f"  of which SQLite's quick_check before the first write, beside the deciding "
            f"(timed again after): {min(r.check or 0 for r in done):.1f} s ({r.problem or 'ok'})"
        )


def _append_round(
    ours_url: str,
    same_env: dict[str, str],
    new_env: dict[str, str],
    label: str,
    lines: list[str],
    first_round: bool,
) -> AppendRound:
    with Ledger(parse_store_url(ours_url)) as ledger:
        events = ledger.max_position()
    with Ledger(parse_store_url(ours_url), create=True) as ledger:
        # A store written before decision states were saved (or in an older layout) has
        # none: the first append to each partnership decides from its history (and saves
        # its state). Measured apart, with one revenue line per partnership.
        first = [
            json.dumps({"type": "revenue_recorded", "partnership": handle,
                        "period": "2026-10", "amount": 10, "occurred_on": "2026-11-14"})
            for handle in ledger.handles()
        ]  # fmt: skip
        started = time.perf_counter()
        warm = ledger.record(located_lines("first.ndjson", first))
        first_elapsed = time.perf_counter() - started
        assert warm.ok, warm.errors[:3]
    if first_round:
        print(
            f"first append to each of {len(first):,} partnerships: "
            f"{len(first) / first_elapsed:,.0f} events/s ({first_elapsed:.1f} s; from the "
            "histories where the store has no decision states of this layout)"
        )
    # The library's copies get the same first append, as the library's own events, so that
    # every copy holds the same number of events and keys before the append.
    for env in (same_env, new_env):
        library_save_same(first, env)
    # The append itself opens the store afresh, as each `trustledger record` process
    # does, so that what a record checks before its first write is part of its time.
    # Closing (SQLite's checkpoint into the file) is left out, as for the library.
    sqlite = label == "SQLite"
    check_elapsed: float | None = None
    problem: str | None = None
    started, cpu = time.perf_counter(), time.process_time()
    with Ledger(parse_store_url(ours_url)) as ledger:
        result = ledger.record(located_lines("append.ndjson", lines))
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        if sqlite:
            started = time.perf_counter()
            problem = ledger.backend.integrity_problem(quick=True)
            check_elapsed = time.perf_counter() - started
    assert result.ok, result.errors[:3]
    assert result.recorded == len(lines)
    same, opening = library_save_same(lines, same_env)
    started = time.perf_counter()
    new = len(lines) / library_save(lines, new_env, app_class=SameTableApplication)
    new_all = time.perf_counter() - started
    return AppendRound(
        events, label, elapsed, cpu, same, same + opening, new, new_all, check_elapsed,
        problem,
    )  # fmt: skip


@contextlib.contextmanager
def _store_copies(source: str) -> Iterator[tuple[str, dict[str, str], dict[str, str], str]]:
    """Three copies of ``source``: the URL of ours, the library's settings for the two
    others (its save of the same events, and of the lines as new aggregates)."""
    if "://" in source and not source.startswith("sqlite"):
        with _postgres_copies(source) as found:
            yield found
        return
    import sqlite3
    from contextlib import closing

    path = Path(source)
    with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
        paths = [Path(tmp) / f"{name}.sqlite" for name in ("ours", "same", "new")]
        for target in paths:
            with closing(sqlite3.connect(path)) as src, closing(sqlite3.connect(target)) as dst:
                src.backup(dst)
        same, new = (
            {
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": str(p),
                "ORIGINATOR_ID_TYPE": "text",  # the partnerships' handles
            }
            for p in paths[1:]
        )
        yield str(paths[0]), same, new, "SQLite"


@contextlib.contextmanager
def _postgres_copies(source: str) -> Iterator[tuple[str, dict[str, str], dict[str, str], str]]:
    store = parse_store_url(source)
    admin = urlunsplit(urlsplit(source)._replace(path="/postgres"))
    made = [f"{store.dbname}_{name}" for name in ("ours", "same", "new")]
    with psycopg.connect(admin, autocommit=True) as conn:
        for dbname in made:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(dbname)))
            conn.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(dbname), sql.Identifier(store.dbname)
                )
            )
    try:
        envs = []
        for dbname in made[1:]:
            theirs = parse_store_url(urlunsplit(urlsplit(source)._replace(path=f"/{dbname}")))
            envs.append({
                "PERSISTENCE_MODULE": "eventsourcing.postgres",
                "POSTGRES_DBNAME": theirs.dbname,
                "POSTGRES_HOST": theirs.host,
                "POSTGRES_PORT": str(theirs.port),
                "POSTGRES_USER": theirs.user,
                "POSTGRES_PASSWORD": theirs.password,
                "ORIGINATOR_ID_TYPE": "text",
            })  # fmt: skip
        ours = urlunsplit(urlsplit(source)._replace(path=f"/{made[0]}"))
        yield ours, envs[0], envs[1], "PostgreSQL"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            for dbname in made:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                        sql.Identifier(dbname)
                    )
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partnerships", type=int, default=1000)
    parser.add_argument("--events", type=int, default=100, help="events per partnership")
    parser.add_argument(
        "--postgres",
        default="auto",
        metavar="auto|URL|none",
        help="PostgreSQL server: start a throwaway one (auto), use URL, or skip (none)",
    )
    parser.add_argument(
        "--append-to",
        metavar="PATH|URL",
        help="also append 10,000 lines to a copy of this (big) SQLite file or PostgreSQL store",
    )
    parser.add_argument("--append-only", action="store_true", help="only the append figures")
    parser.add_argument(
        "--append-rounds", type=int, default=3, help="rounds of the append comparison (3)"
    )
    args = parser.parse_args()
    if args.append_to:
        append_section(args.append_to, 10000, args.append_rounds)
        if args.append_only:
            return
    lines = list(synthetic_lines(args.partnerships, args.events))
    print(f"lines: {len(lines):,} across {args.partnerships:,} partnerships, one record each")
    sqlite_section(lines)
    postgres_section(lines, args.postgres)


def _all_rows(ledger: Ledger) -> list:
    rows, after = [], 0
    while batch := ledger.read_raw(after, 20000):
        rows.extend(batch)
        after = batch[-1].position
    return rows


if __name__ == "__main__":
    main()
