"""Shared pieces of the dashboard tests: the app on a pinned clock, reading the screen.

No tests here. The sample store they run on is the ``sample_store`` fixture (``conftest.py``).
"""

from __future__ import annotations

import contextlib
import io
import os
import pty
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from textual import events
from textual.app import App
from textual.keys import _character_to_key
from textual.pilot import Pilot
from trustledger.domain.ledger import Ledger
from trustledger.domain.store import StoreConfig
from trustledger.tui.dashboard.app import TrustLedgerApp
from trustledger.tui.service.clock import Clock, FixedClock
from trustledger.tui.service.ledger_service import LedgerService

from tests.samples import TODAY

#: The dashboard's clock in the tests: the app's live day is TODAY, and so is the default day
#: of what its forms record, whatever the real date.
CLOCK = FixedClock.on(TODAY)


#: How long a test waits for what should show at once before calling it lost: a guard against
#: hanging, not a measure of speed (``benchmarks/dashboard_bench.py`` measures that).
PATIENCE_SECONDS = 60.0


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


async def pause_until(pilot: Pilot[object], condition: Callable[[], bool], what: str) -> None:
    """Let the app run until ``condition()`` holds; fail naming ``what`` if it never does."""
    deadline = time.monotonic() + PATIENCE_SECONDS
    while not condition():
        assert time.monotonic() < deadline, f"{what} never happened"
        await pilot.pause(0.02)


def wait_until(condition: Callable[[], bool], what: str) -> None:
    """Sleep until ``condition()`` holds (another thread's work); fail if it never does."""
    deadline = time.monotonic() + PATIENCE_SECONDS
    while not condition():
        assert time.monotonic() < deadline, f"{what} never happened"
        time.sleep(0.02)
