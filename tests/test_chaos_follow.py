"""Chaos: the live dashboard outlives its store going away and coming back.

A PostgreSQL server restarts under a running dashboard (a real ``trustledger tui`` process
on a terminal, and the app in-process under Pilot while a real ``trustledger record``
writes); an SQLite store's file is moved away and back. Each time the header says
``reconnecting…`` while the store is unreachable, and once it is back the dashboard
catches up from where it was: everything recorded since shows, nothing is missed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from trustledger.domain.ledger import Ledger, located_lines
from trustledger.domain.store import StoreConfig, parse_store_url
from trustledger.projections.config import DEFAULT_CONFIG
from trustledger.tui.dashboard.screens.portfolio import PortfolioTable
from trustledger.tui.service.clock import FixedClock
from trustledger.tui.service.ledger_service import LedgerService
from trustledger.tui.service.live import LiveUpdate, follow

from tests.chaos_support import (
    TRUSTLEDGER,
    Terminal,
    restarting_server,
    restarting_store,
    wait_until,
)
from tests.test_tui_support import make_app, screen_text

__all__ = ["restarting_server", "restarting_store"]

#: The dashboards here run on a fixed day after every date the lines carry.
CLOCK = FixedClock(datetime(2026, 11, 20, 12, 0, tzinfo=UTC))


def registration(handle: str) -> str:
    return (
        f'{{"type": "partnership_registered", "partnership": "{handle}", '
        f'"name": "{handle.title()} Inc", "occurred_on": "2025-01-01"}}'
    )


def record(store: StoreConfig, *handles: str) -> None:
    lines = located_lines("chaos", [registration(handle) for handle in handles])
    with Ledger(store, create=True, clock=CLOCK.now) as ledger:
        result = ledger.record(lines)
    assert result.ok, result.errors


def newest(store: StoreConfig) -> int:
    with Ledger(store) as ledger:
        return ledger.max_position()


def row_keys(table: PortfolioTable) -> list[str]:
    return [table.coordinate_to_cell_key((r, 0)).row_key.value for r in range(table.row_count)]


def private_env(tmp_path: Path) -> dict[str, str]:
    """A dashboard process's environment: no inherited store, its own user directories."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRUSTLEDGER_")}
    for kind in ("DATA", "CACHE", "CONFIG"):
        env[f"XDG_{kind}_HOME"] = str(tmp_path / f"xdg-{kind.lower()}")
    return env


@pytest.mark.postgres
def test_a_running_dashboard_outlives_a_postgres_restart(
    restarting_server, restarting_store, tmp_path
):
    store = restarting_store
    record(store, "alpha", "bravo", "charlie")
    url = restarting_server.url_for(store.dbname)
    terminal = Terminal(
        [str(TRUSTLEDGER), "--store", url, "tui"], env=private_env(tmp_path), size=(100, 30)
    )
    try:
        terminal.wait_for("● LIVE", "3 events", "Charlie Inc", timeout=60)
        restarting_server.halt()
        screen = terminal.wait_for("reconnecting…", timeout=15)
        assert "● LIVE" not in screen

        restarting_server.resume()
        back = time.monotonic()
        record(store, "delta", "echo")  # recorded after the restart, from another process
        screen = terminal.wait_for("● LIVE", "5 events", "Delta Inc", "Echo Inc", timeout=10)
        assert time.monotonic() - back < 2.0, "the events did not show within 2 s"
        assert "reconnecting…" not in screen
        assert all(f"{name} Inc" in screen for name in ("Alpha", "Bravo", "Charlie"))
    finally:
        code = terminal.close()
    assert code == 0, terminal.text()


@pytest.mark.postgres
async def test_the_dashboard_reconnects_and_misses_nothing_written_meanwhile(
    restarting_server, restarting_store
):
    store = restarting_store
    record(store, "alpha")
    app = make_app(store, clock=CLOCK)
    async with app.run_test(size=(100, 30)) as pilot:
        await app.ready()
        table = app.screen.query_one(PortfolioTable)
        assert row_keys(table) == ["alpha"]
        restarting_server.halt()
        while not app.reconnecting:
            await pilot.pause(0.05)
        await pilot.pause()
        assert "reconnecting…" in screen_text(app)
        assert "LIVE" not in screen_text(app)

        restarting_server.resume()
        back = time.monotonic()
        lines = "\n".join(registration(h) for h in ("bravo", "charlie", "delta")) + "\n"
        done = subprocess.run(
            [str(TRUSTLEDGER), "--store", restarting_server.url_for(store.dbname), "record"],
            input=lines,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        written = time.monotonic()
        while row_keys(table) != ["alpha", "bravo", "charlie", "delta"]:
            assert time.monotonic() - written < 2.0, "the new rows did not show within 2 s"
            await pilot.pause(0.02)
        print(f"rows shown {time.monotonic() - back:.2f} s after the server was back")
        await pilot.pause()
        assert not app.reconnecting
        assert "● LIVE" in screen_text(app)
        assert app.live_picture is not None
        assert app.live_picture.position == newest(store)


def test_the_follow_loop_reports_an_outage_once_and_resumes(tmp_path):
    """An SQLite file moved away and back: one message, then everything recorded since."""
    path = tmp_path / "ledger.sqlite"
    store = parse_store_url(str(path))
    record(store, "alpha")
    updates: list[LiveUpdate] = []
    errors: list[str] = []
    stop = threading.Event()
    service = LedgerService(store, clock=CLOCK)
    worker = threading.Thread(
        target=follow, args=(service, DEFAULT_CONFIG, stop, updates.append, errors.append)
    )
    worker.start()
    try:
        wait_until(lambda: updates, 20, "the first picture")
        aside = tmp_path / "aside.sqlite"
        for suffix in ("", "-wal", "-shm"):
            if Path(f"{path}{suffix}").exists():
                shutil.move(f"{path}{suffix}", f"{aside}{suffix}")
        wait_until(lambda: errors, 10, "the outage to be told")
        time.sleep(0.5)  # several attempts fail meanwhile: still one message
        assert len(errors) == 1, errors
        assert "gone" in errors[0] and str(path) in errors[0]
        for suffix in ("", "-wal", "-shm"):
            if Path(f"{aside}{suffix}").exists():
                shutil.move(f"{aside}{suffix}", f"{path}{suffix}")
        record(store, "bravo", "charlie")
        last = wait_until(
            lambda: updates[-1].picture.position == newest(store) and updates[-1],
            10,
            "the events recorded since",
        )
        handles = [view.handle for view in last.picture.portfolio.partnerships]
        assert handles == ["alpha", "bravo", "charlie"]
        assert len(errors) == 1
    finally:
        stop.set()
        worker.join(30)
    assert not worker.is_alive()


def test_a_replaced_store_is_loaded_afresh(tmp_path):
    """Another file put in the store's place (a restored backup): the live view shows that
    file's history, not the old state with the new file's events folded onto it."""
    path = tmp_path / "ledger.sqlite"
    store = parse_store_url(str(path))
    record(store, "alpha", "bravo")
    other = parse_store_url(str(tmp_path / "other.sqlite"))
    record(other, "zulu")
    updates: list[LiveUpdate] = []
    errors: list[str] = []
    stop = threading.Event()
    worker = threading.Thread(
        target=follow,
        args=(LedgerService(store, clock=CLOCK), DEFAULT_CONFIG, stop, updates.append),
        kwargs={"on_error": errors.append},
    )
    worker.start()
    try:
        wait_until(lambda: updates, 20, "the first picture")
        os.replace(tmp_path / "other.sqlite", path)
        wait_until(lambda: errors, 10, "the replacement to be noticed")
        assert "replaced" in errors[0]
        last = wait_until(
            lambda: (
                [v.handle for v in updates[-1].picture.portfolio.partnerships] == ["zulu"]
                and updates[-1]
            ),
            10,
            "the new file's history",
        )
        assert last.initial is False
        assert last.picture.position == 1
    finally:
        stop.set()
        worker.join(30)
    assert not worker.is_alive()
