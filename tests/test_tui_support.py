"""Shared pieces of the dashboard tests: the sample store, the app, reading the screen.

No tests here. The sample store is built once per session (the sample events recorded with a
pinned clock, so recording times are the same on every run) and copied for each test.
"""

from __future__ import annotations

import contextlib
import io
import os
import pty
import sqlite3
import subprocess
import sys
import threading
from contextlib import closing
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from rich.console import Console
from textual import events
from textual.app import App
from textual.keys import _character_to_key
from trustledger.domain.ledger import Ledger, located_lines
from trustledger.domain.store import StoreConfig, parse_store_url
from trustledger.tui.dashboard.app import TrustLedgerApp
from trustledger.tui.service.clock import Clock, FixedClock
from trustledger.tui.service.ledger_service import LedgerService

SAMPLES = Path(__file__).resolve().parent.parent / "sample_events"
#: The app's as-of date in the tests: the last day of the sample data.
TODAY = date(2026, 11, 20)
#: When the sample store was "recorded" (pinned, so timelines are stable).
RECORDED = datetime(2026, 11, 20, 18, 30, tzinfo=UTC)


def record_samples(path: Path) -> StoreConfig:
    store = parse_store_url(str(path))
    lines = []
    for file in sorted(SAMPLES.glob("*.ndjson")):
        lines.extend(located_lines(file.name, file.read_text(encoding="utf-8").split("\n")))
    with Ledger(store, create=True, clock=lambda: RECORDED) as ledger:
        result = ledger.record(lines)
    assert result.ok, result.errors
    return store


def copy_store(source: Path, target: Path) -> StoreConfig:
    """A consistent copy of an SQLite store (WAL included)."""
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
    return parse_store_url(str(target))


@pytest.fixture(scope="session")
def sample_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sample") / "sample.sqlite"
    record_samples(path)
    return path


@pytest.fixture
def sample_store(sample_template: Path, tmp_path: Path) -> StoreConfig:
    return copy_store(sample_template, tmp_path / "sample.sqlite")


#: The dashboard's clock in the tests: the app's live day is TODAY, and so is the default day
#: of what its forms record, whatever the real date.
CLOCK = FixedClock.on(TODAY)


def make_app(store: StoreConfig, clock: Clock = CLOCK, **kwargs: object) -> TrustLedgerApp:
    return TrustLedgerApp(LedgerService(store, clock=clock), **kwargs)  # type: ignore[arg-type]


def screen_text(app: App) -> str:
    """What the terminal shows, as plain text."""
    console = Console(
        width=app.size.width,
        height=app.size.height,
        file=io.StringIO(),
        force_terminal=True,
        color_system=None,
        record=True,
        legacy_windows=False,
        safe_box=False,
    )
    console.print(app.screen._compositor.render_update(full=True))
    return console.export_text()


def events_in(store: StoreConfig) -> int:
    with Ledger(store) as ledger:
        return ledger.max_position()


def history(store: StoreConfig, handle: str) -> list[str]:
    """The event types of one partnership, oldest first."""
    with Ledger(store) as ledger:
        return [event.type for event in ledger.history(handle)]


def last_event(store: StoreConfig, handle: str) -> dict[str, object]:
    with Ledger(store) as ledger:
        event = ledger.history(handle)[-1]
    return event.line.model_dump(mode="json", exclude_none=True)


def key_event(key: str) -> events.Key:
    """The event a terminal sends for ``key`` (a character, or a name such as ``enter``)."""
    if len(key) == 1:
        return events.Key(_character_to_key(key) if not key.isalnum() else key, key)
    return events.Key(key, {"enter": "\r", "tab": "\t", "escape": "\x1b"}.get(key))


async def burst(app: App, *keys: str) -> None:
    """Send ``keys`` as one burst — as a paste, a slow SSH link or tmux ``send-keys`` deliver
    them: every event is queued before the first is handled — and wait until all are handled.
    A word stands for its characters (``"brightpath"``); names (``enter``) are single keys."""
    sequence: list[str] = []
    for key in keys:
        sequence.extend([key] if key in ("enter", "tab", "escape") or len(key) == 1 else key)
    for key in sequence:
        app.post_message(key_event(key))
    await app.keys_settled()  # type: ignore[attr-defined]


TRUSTLEDGER = Path(sys.executable).parent / "trustledger"


def run_on_terminal(
    args: list[str], timeout: float = 60, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``trustledger ARGS`` with stdin and stdout on a new pseudo-terminal (stderr
    captured apart), as from an interactive shell; what it drew is thrown away."""
    master, slave = pty.openpty()
    try:
        process = subprocess.Popen(
            [str(TRUSTLEDGER), *args],
            stdin=slave,
            stdout=slave,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **(env or {})},
        )
        os.close(slave)
        slave = -1
        drain = threading.Thread(target=_drain, args=(master,), daemon=True)
        drain.start()
        _, err = process.communicate(timeout=timeout)
    finally:
        if slave >= 0:
            os.close(slave)
        os.close(master)
    return subprocess.CompletedProcess(process.args, process.returncode, "", err)


def _drain(fd: int) -> None:
    with contextlib.suppress(OSError):
        while os.read(fd, 4096):
            pass
