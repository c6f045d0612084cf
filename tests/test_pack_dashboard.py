"""The dashboard's pack key: on the partnership screen, ``p`` writes the review pack for the
as-of date shown (live or audit) into the working directory and says where."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from trustledger.tui.dashboard.screens.partnership import PartnershipScreen
from trustledger.tui.dashboard.screens.portfolio import PortfolioTable

from tests.samples import TODAY
from tests.test_pack_content import PackPage
from tests.test_tui_support import make_app, screen_text

SIZE = (100, 30)
MADE_AT = datetime(2026, 11, 21, 8, 15, tzinfo=UTC)
#: A guard against a hung worker, not a measurement.
WAIT = 120.0


async def open_partnership(app, pilot, handle: str) -> PartnershipScreen:
    await app.ready()
    await pilot.pause()
    table = app.screen.query_one(PortfolioTable)
    keys = [table.coordinate_to_cell_key((r, 0)).row_key.value for r in range(table.row_count)]
    table.move_cursor(row=keys.index(handle))
    await pilot.press("enter")
    await app.detail_ready()
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, PartnershipScreen)
    screen.pack_clock = lambda: MADE_AT
    return screen


async def press_pack(app, pilot) -> list[str]:
    """Press the pack key, wait for its worker, return the notifications' messages."""
    await pilot.press("p")
    # Only the pack's worker: the live follower never completes.
    for worker in [worker for worker in app.workers if worker.group == "pack"]:
        await asyncio.wait_for(worker.wait(), WAIT)
    await pilot.pause()
    return [n.message for n in app._notifications]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "work"
    directory.mkdir()
    monkeypatch.chdir(directory)
    return directory


async def test_the_pack_key_writes_the_live_pack_and_says_where(sample_store, workdir):
    app = make_app(sample_store)
    async with app.run_test(size=SIZE) as pilot:
        await open_partnership(app, pilot, "vantage-retail")
        messages = await press_pack(app, pilot)
    path = workdir / f"vantage-retail-{TODAY.isoformat()}.html"
    assert path.is_file()
    assert messages == [f"Review pack written to {path}"]
    page = PackPage(path.read_text(encoding="utf-8"))
    assert page.main["data-partnership"] == "vantage-retail"
    assert page.main["data-as-of"] == TODAY.isoformat()
    assert page.figures["status"] == "at_risk"
    assert "2026-11-21 08:15:00 UTC" in page.text  # the screen's clock
    assert "coastline-conflict" in page.issues


async def test_in_audit_mode_the_pack_is_for_the_audit_date(sample_store, workdir):
    app = make_app(sample_store, as_of=date(2026, 6, 30))
    async with app.run_test(size=SIZE) as pilot:
        await open_partnership(app, pilot, "keystone")
        messages = await press_pack(app, pilot)
    path = workdir / "keystone-2026-06-30.html"
    assert messages == [f"Review pack written to {path}"]
    page = PackPage(path.read_text(encoding="utf-8"))
    assert page.main["data-as-of"] == "2026-06-30"
    assert page.figures["status"] != "ended"  # it ended on 2026-07-31
    assert not (workdir / f"keystone-{TODAY.isoformat()}.html").exists()


async def test_a_pack_that_cannot_be_written_is_an_error_notice(sample_store, workdir):
    blocker = workdir / f"northwind-{TODAY.isoformat()}.html"
    blocker.mkdir()  # a directory where the file should go
    app = make_app(sample_store)
    async with app.run_test(size=SIZE) as pilot:
        await open_partnership(app, pilot, "northwind")
        messages = await press_pack(app, pilot)
        severities = [n.severity for n in app._notifications]
    assert len(messages) == 1 and messages[0].startswith("No pack written:")
    assert severities == ["error"]
    assert blocker.is_dir()
    assert json.dumps(messages)  # one plain line, no traceback


async def test_the_keys_panel_lists_the_pack_key(sample_store, workdir):
    app = make_app(sample_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_partnership(app, pilot, "northwind")
        assert "Review pack" not in screen_text(app)  # not in the footer: ? shows it
        await pilot.press("question_mark")
        await pilot.pause()
        assert "Review pack" in screen_text(app)
