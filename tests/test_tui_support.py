"""Shared pieces of the dashboard tests: the sample store, the app, reading the screen.

No tests here. The sample store is built once per session (the sample events recorded with a
pinned clock, so recording times are the same on every run) and copied for each test.
"""

from __future__ import annotations

import io
import sqlite3
from contextlib import closing
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from rich.console import Console
from textual.app import App
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
