"""kill -9 of ``record`` at random points leaves none or all of its lines (SQLite, PostgreSQL).

One store per backend takes round after round: each round starts a real ``record`` of a
new input (5,000 lines, partnerships of its own) and SIGKILLs it — half the rounds after a
random delay anywhere between start-up and the end of an uncut run, half just after its
save began (PostgreSQL: its session holds the events table's lock; SQLite: the write-ahead
log starts to grow), plus a random delay. Whatever the point, the store then holds all the
lines it held before and either none or every line of the killed input — never some. The
same input is then recorded again, uncut: it completes, counting what the killed run had
left as already recorded. At the end the hash chain verifies and SQLite's own integrity
check passes.

The delays come from a seeded random generator: every run kills at the same points. Rounds:
6 per backend under ``make test``, 40 under ``make chaos`` (``TRUSTLEDGER_CHAOS=full``).
"""

from __future__ import annotations

import json
import random
import re
import sqlite3
import subprocess
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import psycopg
import pytest

from benchmarks.synthetic import partnership_lines
from tests.chaos_support import pg_save_in_progress
from tests.cli_helpers import TRUSTLEDGER, cli_env, run_cli
from tests.fuzz_support import KILLED, PROFILE
from tests.store_backends import BACKENDS, EVENTS_TABLE, SQLITE, is_postgres

ROUNDS = 40 if PROFILE == "full" else 6
PARTNERSHIPS, EVENTS_EACH = 100, 50  # 5,000 lines per input
SEED = 20261202


def round_input(directory: Path, round_: int) -> tuple[Path, int]:
    """The input of one round: its own partnerships (and so its own ids)."""
    rng = random.Random(SEED + round_)
    lines = [
        json.dumps(line)
        for n in range(PARTNERSHIPS)
        for line in partnership_lines(round_ * PARTNERSHIPS + n, EVENTS_EACH, rng)
    ]
    path = directory / f"round-{round_}.ndjson"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, len(lines)


def stored_count(store: str) -> int:
    if is_postgres(store):
        with psycopg.connect(store, autocommit=True) as conn:
            row = conn.execute(f"SELECT count(*) FROM {EVENTS_TABLE}").fetchone()
        return int(row[0]) if row else 0
    with closing(sqlite3.connect(store)) as conn:
        return int(conn.execute("SELECT count(*) FROM stored_events").fetchone()[0])


def sqlite_save_began(store: str) -> Callable[[], bool]:
    """A probe: has the write-ahead log grown since the probe was made (a save writing)?"""
    wal = Path(f"{store}-wal")

    def size() -> int:
        # The log comes and goes as connections open and close: read its size once.
        try:
            return wal.stat().st_size
        except FileNotFoundError:
            return 0

    start = size()
    return lambda: size() > start


def kill_record(store: str, source: Path, delay: float, in_save: bool, log: Path) -> bool:
    """Start ``record`` of ``source`` and SIGKILL it; True when it was still running then.

    ``in_save``: wait for its save to begin first (give up waiting when it ends), then
    ``delay``; else kill ``delay`` seconds after the start.
    """
    save_began = (
        (lambda: pg_save_in_progress(store)) if is_postgres(store) else sqlite_save_began(store)
    )
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [str(TRUSTLEDGER), "--store", store, "record", str(source)],
            stdout=out,
            stderr=out,
            env=cli_env(store),
        )
        try:
            if in_save:
                deadline = time.monotonic() + 120
                while proc.poll() is None and not save_began():
                    if time.monotonic() > deadline:
                        break
                    time.sleep(0.001)
            time.sleep(delay)
            running = proc.poll() is None
        finally:
            proc.kill()  # SIGKILL: no cleanup of any kind in the client
            proc.wait()
    return running


@pytest.mark.parametrize("backend", BACKENDS)
def test_kill_9_at_random_points_leaves_none_or_all(
    backend: str, new_store: Callable[..., str], tmp_path: Path
) -> None:
    store = new_store(backend, "killed")
    rng = random.Random(SEED)

    # Round 0, uncut: the store exists, and an uncut run's length bounds the random delays.
    source, lines = round_input(tmp_path, 0)
    started = time.monotonic()
    run = run_cli(store, "record", str(source), timeout=300)
    uncut = time.monotonic() - started
    assert run.code == 0, run.err
    total = lines

    outcomes = {"none": 0, "all": 0}
    caught_running = caught_in_save = 0
    for round_ in range(1, ROUNDS + 1):
        source, lines = round_input(tmp_path, round_)
        in_save = round_ % 2 == 0
        # Round 0 made the store, so later runs are shorter than ``uncut``: a kill anywhere in
        # 0.7 of it lands while record runs on a machine whose speed changes between runs.
        delay = rng.uniform(0, 0.2) if in_save else rng.uniform(0, 0.7 * uncut)
        running = kill_record(store, source, delay, in_save, tmp_path / "killed.log")
        caught_running += running
        caught_in_save += running and in_save

        after = stored_count(store)
        assert after in (total, total + lines), (
            f"round {round_}: a kill after {delay:.3f} s"
            f"{' into the save' if in_save else ''} left {after - total} of {lines} lines"
        )
        left = after - total
        outcomes["none" if left == 0 else "all"] += 1
        KILLED[f"{backend}: {'none' if left == 0 else 'all'} left"] += 1

        # The same input again, uncut, completes: nothing lost, nothing twice.
        again = run_cli(store, "record", str(source), timeout=300)
        assert again.code == 0, again.err
        counts = re.fullmatch(r"recorded (\d+), already recorded (\d+)\n", again.out)
        assert counts, again.out
        assert (int(counts[1]), int(counts[2])) == (lines - left, left)
        total += lines
        assert stored_count(store) == total

    assert caught_running >= ROUNDS // 2, "most kills must land while record runs"
    if backend != SQLITE:
        # PostgreSQL's save of 5,000 lines is long enough to be caught every time.
        assert caught_in_save >= 1, "no kill landed inside a save"

    verify = run_cli(store, "audit", "verify", timeout=300)
    assert verify.code == 0 and verify.out.startswith("intact"), verify.err
    if backend == SQLITE:
        with closing(sqlite3.connect(store)) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
