"""A held write lock: ``record`` gives up after the one lock timeout, with its own message.

Another process holds the store's write lock (SQLite: an open ``BEGIN IMMEDIATE``;
PostgreSQL: ``LOCK TABLE ... IN EXCLUSIVE MODE``, what every writer takes). ``record``, with
``TRUSTLEDGER_LOCK_TIMEOUT=1``, must give up (it used to wait 60 s per attempt, 50 attempts,
then blame "other writers"), exit 2 with "store is locked by another process", and record
nothing; once the lock is gone the same input records.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest

from tests.cli_helpers import assert_no_traceback, export_text, invoke, ndjson, run_cli
from tests.store_backends import EVENTS_TABLE, is_postgres

REGISTER = {
    "type": "partnership_registered",
    "partnership": "acme",
    "name": "Acme",
    "occurred_on": "2025-01-01",
}
REVENUE = {
    "type": "revenue_recorded",
    "partnership": "acme",
    "period": "2025-02",
    "amount": 10,
    "occurred_on": "2025-03-01",
    "id": "rev-1",
}
SHORT_LIMIT = {"TRUSTLEDGER_LOCK_TIMEOUT": "1"}
# Far above the limit, far below what waiting before the fix took (about 50 minutes).
GENEROUS = 60

HOLD_SQLITE = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.read()
conn.rollback()
"""


@contextmanager
def write_lock_held(store: str) -> Iterator[None]:
    """Another process (SQLite) or session (PostgreSQL) holds the write lock meanwhile."""
    if is_postgres(store):
        with psycopg.connect(store) as conn:
            conn.execute(f"LOCK TABLE {EVENTS_TABLE} IN EXCLUSIVE MODE")
            yield
            conn.rollback()
        return
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_SQLITE, store],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        yield
    finally:
        holder.communicate("", timeout=30)


@pytest.fixture
def registered_store(store_url: str) -> str:
    assert invoke(store_url, "record", stdin=ndjson([REGISTER])).code == 0
    return store_url


def test_a_held_lock_ends_in_one_clear_error_within_the_limit(registered_store: str) -> None:
    before = export_text(registered_store)
    with write_lock_held(registered_store):
        run = run_cli(
            registered_store, "record", stdin=ndjson([REVENUE]), env=SHORT_LIMIT, timeout=GENEROUS
        )
    assert run.code == 2
    assert_no_traceback(run)
    assert run.err.count("\n") == 1, run.err
    assert "store is locked by another process" in run.err
    assert "other writers" not in run.err
    assert export_text(registered_store) == before

    run = run_cli(registered_store, "record", stdin=ndjson([REVENUE]), env=SHORT_LIMIT)
    assert (run.code, run.out) == (0, "recorded 1, already recorded 0\n"), run.err


def test_the_lock_timeout_must_be_a_number(tmp_path: Path) -> None:
    store = tmp_path / "ledger.sqlite"
    run = run_cli(store, "record", stdin=ndjson([REGISTER]), env={"TRUSTLEDGER_LOCK_TIMEOUT": "x"})
    assert run.code == 2
    assert run.err == (
        "trustledger: TRUSTLEDGER_LOCK_TIMEOUT must be a number of seconds >= 0, not 'x'\n"
    )
    assert not store.exists()


@pytest.mark.parametrize("where", ["option", "environment"])
def test_a_lock_timeout_past_what_the_backends_take_still_records(
    store_url: str, tmp_path: Path, where: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL's lock_timeout and SQLite's busy timeout hold at most 2**31-1 ms: a longer
    wait (1e16 s) is their longest, not an error about reaching the store."""
    store = store_url if is_postgres(store_url) else str(tmp_path / "ledger.sqlite")
    line = {
        "type": "partnership_registered",
        "partnership": "acme",
        "name": "Acme",
        "occurred_on": "2025-01-01",
    }
    if where == "option":
        run = run_cli(store, "--lock-timeout", "1e16", "record", stdin=ndjson([line]))
    else:
        monkeypatch.setenv("TRUSTLEDGER_LOCK_TIMEOUT", "1e16")
        run = run_cli(store, "record", stdin=ndjson([line]))
    assert (run.code, run.out, run.err) == (0, "recorded 1, already recorded 0\n", "")
