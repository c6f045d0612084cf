"""Audit mode: pick a date (and known-at time), step by weeks and months, return to live."""

from __future__ import annotations

from datetime import UTC, date, datetime

from textual.widgets import DataTable, MaskedInput, Static
from trustledger.tui.dashboard.app import add_months
from trustledger.tui.dashboard.screens.audit import AuditScreen
from trustledger.tui.dashboard.screens.partnership import PartnershipScreen
from trustledger.tui.dashboard.screens.portfolio import PortfolioTable

from tests.samples import RECORDED, TODAY
from tests.test_tui_support import make_app, screen_text

SIZE = (80, 24)


def rows(app) -> set[str]:
    table = app.screen.query_one(PortfolioTable)
    return {table.coordinate_to_cell_key((r, 0)).row_key.value for r in range(table.row_count)}


def status(app, handle: str) -> str:
    return app.screen.query_one(PortfolioTable).get_cell(handle, "status").plain


async def settle(app, pilot) -> None:
    await app.ready()
    await pilot.pause()


async def pick(app, pilot, as_of: str, known_at: str = "") -> None:
    await pilot.press("a")
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, AuditScreen)
    screen.query_one("#as-of", MaskedInput).value = as_of
    screen.query_one("#known-at").value = known_at
    await pilot.press("ctrl+s")
    await settle(app, pilot)


def test_add_months_clamps_the_day():
    assert add_months(date(2026, 3, 31), -1) == date(2026, 2, 28)
    assert add_months(date(2026, 1, 15), -1) == date(2025, 12, 15)
    assert add_months(date(2026, 12, 31), 2) == date(2027, 2, 28)


async def test_audit_at_a_date_then_step_and_return_to_live(sample_store):
    app = make_app(sample_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert len(rows(app)) == 10
        assert status(app, "keystone") == "✖ ended"

        await pick(app, pilot, "2026-06-30")
        assert app.audit and app.as_of == date(2026, 6, 30)
        text = screen_text(app)
        assert "◆ AUDIT as of 2026-06-30" in text
        assert "lumen-institute" not in rows(app)  # registered 2026-10-06
        assert len(rows(app)) == 9
        assert status(app, "keystone") != "✖ ended"  # ended 2026-07-31
        assert app.screen.query_one("#mode").has_class("-audit")

        await pilot.press("left_square_bracket")  # a week back
        await settle(app, pilot)
        assert "AUDIT as of 2026-06-23" in screen_text(app)
        await pilot.press("right_square_bracket", "right_square_bracket")  # two weeks on
        await settle(app, pilot)
        assert "AUDIT as of 2026-07-07" in screen_text(app)
        await pilot.press("left_curly_bracket")  # a month back
        await settle(app, pilot)
        assert "AUDIT as of 2026-06-07" in screen_text(app)
        await pilot.press("right_curly_bracket", "right_curly_bracket")  # two months on
        await settle(app, pilot)
        assert "AUDIT as of 2026-08-07" in screen_text(app)
        assert status(app, "keystone") == "✖ ended"

        await pilot.press("l")  # back to live
        await settle(app, pilot)
        assert not app.audit
        text = screen_text(app)
        assert "● LIVE as of 2026-11-20" in text and "AUDIT" not in text
        assert len(rows(app)) == 10


async def test_stepping_from_live_enters_audit(sample_store):
    app = make_app(sample_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert "l Live" not in screen_text(app)  # only offered in audit mode
        await pilot.press("left_curly_bracket")
        await settle(app, pilot)
        assert app.audit and app.as_of == date(2026, 10, 20)
        text = screen_text(app)
        assert "AUDIT as of 2026-10-20" in text
        assert "l Live" in text


async def test_known_at_shows_what_the_ledger_knew(sample_store):
    app = make_app(sample_store)
    before = RECORDED.replace(minute=0).isoformat()  # half an hour before it was recorded
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pick(app, pilot, TODAY.isoformat(), before)
        assert app.known_at == datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
        assert rows(app) == set()
        assert "known at 2026-11-20 18:00 UTC" in screen_text(app)
        await pick(app, pilot, TODAY.isoformat(), "2026-11-20")  # the end of that day
        assert len(rows(app)) == 10


async def test_audit_picker_refuses_a_bad_date(sample_store):
    app = make_app(sample_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("a")
        await pilot.pause()
        screen = app.screen
        screen.query_one("#as-of", MaskedInput).value = "2026-02-30"
        screen.query_one("#known-at").value = "yesterday"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is screen
        assert "not a real calendar date" in str(screen.query_one("#as-of-error", Static).render())
        assert "yesterday" in str(screen.query_one("#known-at-error", Static).render())
        await pilot.press("escape")
        await pilot.pause()
        assert not app.audit


async def test_partnership_screen_follows_the_audit_date(sample_store):
    app = make_app(sample_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.open_partnership("keystone")
        await app.detail_ready()
        await pilot.pause()
        assert "✖ ended" in screen_text(app)
        screen = app.screen
        assert isinstance(screen, PartnershipScreen)
        live_events = screen.query_one("#timeline-table", DataTable).row_count

        await pilot.press("left_curly_bracket", "left_curly_bracket", "left_curly_bracket")
        await settle(app, pilot)
        await app.detail_ready()
        await pilot.pause()
        assert app.as_of == date(2026, 8, 20)
        await pilot.press("left_curly_bracket")
        await settle(app, pilot)
        await app.detail_ready()
        await pilot.pause()
        text = screen_text(app)
        assert "AUDIT as of 2026-07-20" in text
        assert "ended" not in text.split("\n")[2]  # the status line: not ended yet
        assert screen.query_one("#timeline-table", DataTable).row_count < live_events

        await pilot.press("l")
        await settle(app, pilot)
        await app.detail_ready()
        await pilot.pause()
        assert "✖ ended" in screen_text(app)
        assert screen.query_one("#timeline-table", DataTable).row_count == live_events


async def test_app_can_open_in_audit_mode(sample_store):
    app = make_app(sample_store, as_of=date(2025, 12, 31))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert "◆ AUDIT as of 2025-12-31" in screen_text(app)
        assert "lumen-institute" not in rows(app)
