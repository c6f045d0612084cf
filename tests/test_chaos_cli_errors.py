"""Chaos: inputs and failures that used to reach the catch-all "unexpected error".

Each is one line on stderr with the contract's exit code (2: the store cannot be opened or
read, or a usage error): store paths the system cannot name, a ``~user`` nobody is, a
PostgreSQL server stopped in the middle of a report, stored rows edited by hand, and the
``--lock-timeout`` option with a store whose write lock another process holds.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
import trustledger.tui.__main__  # noqa: F401  (registers the dashboard's command, "tui")
from trustledger.domain.backends import CORRECTION_TOPICS, PostgresBackend
from trustledger.domain.ledger import Ledger, located_lines

from tests.chaos_support import restarting_server, restarting_store
from tests.cli_helpers import Run, export_text, invoke, run_cli
from tests.samples import SAMPLE_EVENTS

__all__ = ["restarting_server", "restarting_store"]

READING = (("report",), ("export",), ("check",), ("history", "northwind"), ("audit", "log"))


def assert_one_line(run: Run, code: int = 2) -> str:
    assert run.code == code, run
    lines = run.err.strip().splitlines()
    assert len(lines) == 1, run.err
    assert "unexpected error" not in run.err and "Traceback" not in run.err, run.err
    return lines[0]


@pytest.mark.parametrize(
    "store",
    [
        "a" * 5000,
        "/tmp/" + "b" * 300 + "/ledger.sqlite",
        "/tmp/" + "c/" * 2500 + "ledger.sqlite",
        "sqlite:///" + "d" * 5000,
    ],
    ids=["5000-chars", "long-name", "deep", "sqlite-url"],
)
@pytest.mark.parametrize("args", [("report",), ("record",), ("export",), ("tui",)])
def test_a_store_path_the_system_cannot_name(store, args, monkeypatch):
    # As from a terminal: without one the dashboard stops before it looks at the store.
    monkeypatch.setattr("trustledger.tui.dashboard.terminal.has_terminal", lambda: True)
    line = assert_one_line(invoke(store, *args))
    assert "too long" in line
    assert len(line) < 240  # the path is quoted cut short


@pytest.mark.parametrize("args", [("report",), ("record",), ("audit", "verify")])
def test_a_store_under_a_user_nobody_is(args):
    line = assert_one_line(invoke("~nosuchuser-trustledger/x.sqlite", *args))
    assert line == (
        "trustledger: cannot expand ~nosuchuser-trustledger in the store path: no such user"
    )


def test_the_store_path_errors_are_the_same_from_the_environment(tmp_path):
    run = run_cli(None, "report", env={"TRUSTLEDGER_STORE": "~nosuchuser-trustledger/x"})
    assert "no such user" in assert_one_line(run)


# -- PostgreSQL going away in the middle of a command ----------------------------------


def registrations(count: int) -> list[str]:
    return [
        json.dumps(
            {
                "type": "partnership_registered",
                "partnership": f"p{n}",
                "name": f"P {n}",
                "occurred_on": "2025-01-01",
            }
        )
        for n in range(count)
    ]


def halt_after_first_page(monkeypatch: pytest.MonkeyPatch, halt: Callable[[], None]) -> None:
    """Stop the server once the command has read its first page (a real stop of the real
    server, timed from inside the command so that it falls in the middle every time)."""
    real_rows = PostgresBackend.rows
    pages = []

    def rows(self: PostgresBackend, after: int, limit: int) -> Any:
        if len(pages) == 1:
            halt()
        found = real_rows(self, after, limit)
        pages.append(len(found))
        return found

    monkeypatch.setattr(PostgresBackend, "rows", rows)


@pytest.mark.postgres
@pytest.mark.parametrize("args", [("report",), ("export",), ("check",), ("audit", "verify")])
def test_postgres_stopped_during_a_command(restarting_server, restarting_store, monkeypatch, args):
    with Ledger(restarting_store, create=True) as ledger:
        assert ledger.record(located_lines("setup", registrations(3))).ok
    halt_after_first_page(monkeypatch, restarting_server.halt)
    url = restarting_server.url_for(restarting_store.dbname)
    try:
        line = assert_one_line(invoke(url, *args))
    finally:
        restarting_server.resume()
    assert line.startswith(f"trustledger: cannot read store {url}: ")


# -- stored rows edited by hand ----------------------------------------------------------


def tamper(path: Path, topic: str, change: Callable[[dict[str, Any]], None]) -> None:
    """Edit the first stored row of ``topic`` in place (valid JSON, wrong values)."""
    with closing(sqlite3.connect(path)) as conn:
        rowid, state = conn.execute(
            "SELECT rowid, state FROM stored_events WHERE topic=? LIMIT 1", (topic,)
        ).fetchone()
        data = json.loads(state)
        change(data)
        conn.execute(
            "UPDATE stored_events SET state=? WHERE rowid=?", (json.dumps(data).encode(), rowid)
        )
        conn.commit()


TAMPERINGS: dict[str, tuple[str, Callable[[dict[str, Any]], None]]] = {
    "weight-as-text": ("commitment_made", lambda d: d.update(weight="3")),
    "weight-null": ("commitment_made", lambda d: d.update(weight=None)),
    "weight-huge": ("commitment_made", lambda d: d.update(weight=10**30)),
    "side-unknown": ("commitment_made", lambda d: d.update(by="nobody")),
    "no-occurred-on": ("commitment_kept", lambda d: d.pop("occurred_on")),
    "amount-as-text": ("revenue_recorded", lambda d: d.update(amount="x")),
    "amount-negative": ("revenue_recorded", lambda d: d.update(amount=-5)),
    "period-null": ("revenue_recorded", lambda d: d.update(period=None)),
    "score-as-text": ("review_held", lambda d: d.update(scores={"vision": "x"})),
    "score-unknown": ("review_held", lambda d: d.update(scores={"luck": 3})),
    "no-scores": ("review_held", lambda d: d.update(scores={})),
    "kind-unknown": ("partnership_registered", lambda d: d.update(kind="friend")),
    "card-as-text": ("issue_raised", lambda d: d.update(partner_card="yes")),
}


@pytest.mark.parametrize("name", list(TAMPERINGS))
def test_reading_a_tampered_store_is_a_store_error(sample_store, name):
    topic, change = TAMPERINGS[name]
    tamper(sample_store.path, topic, change)
    for args in (
        ("report", "--format", "json"),
        ("report", "--as-of", "2026-01-01"),
        ("check",),
        ("export",),
    ):
        line = assert_one_line(invoke(sample_store.path, *args))
        assert line.startswith("trustledger: stored "), line
    verdict = invoke(sample_store.path, "audit", "verify")
    assert verdict.code == 1  # and the audit names the place


def test_an_untouched_store_still_replays_on_the_fast_path(sample_store, monkeypatch):
    """The checks that send a tampered row to full validation let every real row through."""
    import trustledger.domain.codec as codec

    with Ledger(sample_store) as ledger:
        rows = ledger.read_raw(0, 10_000)
    assert len(rows) == SAMPLE_EVENTS
    # Corrections (rare, holding a nested line) always take the validating path.
    rows = [row for row in rows if row.topic not in CORRECTION_TOPICS]
    validated = [codec.line_from_state(codec.decode_state(row.state)) for row in rows]

    def not_here(state: dict[str, Any]) -> Any:
        raise AssertionError(f"a stored row took the validating path: {state}")

    monkeypatch.setattr(codec, "line_from_state", not_here)
    fast = [codec.trusted_line_from_state(codec.decode_state(row.state)) for row in rows]
    assert fast == validated


# -- --lock-timeout --------------------------------------------------------------------


def hold_write_lock(path: Path, release: threading.Event, held: threading.Event) -> None:
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("BEGIN IMMEDIATE")
        held.set()
        release.wait(60)
        conn.execute("ROLLBACK")


@pytest.mark.parametrize("where", ["before", "after"])
def test_lock_timeout_option_limits_the_wait_for_a_held_lock(sample_store, where):
    path = sample_store.path
    before = export_text(path)
    release, held = threading.Event(), threading.Event()
    holder = threading.Thread(target=hold_write_lock, args=(path, release, held))
    holder.start()
    try:
        assert held.wait(10)
        args = ["partner", "add", "zenith", "--name", "Zenith", "--occurred-on", "2026-01-01"]
        args = (
            ["--lock-timeout", "0.5", *args]
            if where == "before"
            else [*args, "--lock-timeout", "0.5"]
        )
        run = run_cli(path, *args, env={"TRUSTLEDGER_LOCK_TIMEOUT": "600"})
    finally:
        release.set()
        holder.join(30)
    line = assert_one_line(run)
    # The option's half second, not the variable's ten minutes.
    assert "locked by another process" in line and "0.5 s" in line, line
    assert export_text(path) == before  # nothing recorded
    retry = run_cli(path, *args)
    assert retry.code == 0, retry


@pytest.mark.parametrize("value", ["abc", "-1", "nan", "inf", ""])
def test_lock_timeout_must_be_seconds(sample_store, value):
    line = assert_one_line(invoke(sample_store.path, "--lock-timeout", value, "report"))
    assert "--lock-timeout" in line and "seconds" in line


@pytest.mark.parametrize(
    "args",
    [("record", "a\x00b"), ("report", "--config", "\x00"), ("pack", "northwind", "-o", "x\x00")],
    ids=["record", "config", "pack"],
)
def test_a_file_name_holding_nul_is_one_usage_line(sample_store, args):
    """No file can be named with NUL (only an in-process caller can pass one): found by the
    command fuzzer, it used to reach the catch-all "unexpected error"."""
    before = export_text(sample_store.path)
    run = invoke(sample_store.path, *args)
    assert (run.code, run.err) == (2, "trustledger: a file name holds a NUL character\n")
    assert export_text(sample_store.path) == before
