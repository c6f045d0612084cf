"""The read model's view rows: a lean start that shows the same as a full one.

A dashboard, a ``serve`` session or ``report`` for today starts from the stored view rows of
today when the read model has them, holding no partnership's history: a partnership's
commitments, reviews and issues are read from its history when it is opened, or when a form
lists them. These tests start dashboards both ways on a real SQLite file and compare what they
show; they check that view rows of another day, of an older position, damaged or holding a
pickle are never used, and that a lean dashboard whose day turns starts again from the full
state and shows the new day's portfolio.
"""

from __future__ import annotations

import pickle
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import pytest
from textual.widgets import DataTable, Select, TabbedContent
from trustledger.domain.ledger import Ledger
from trustledger.domain.readstore import VIEWS_TABLE, row_digest
from trustledger.projections import ModelConfig, replay
from trustledger.projections.stored_views import lean
from trustledger.tui.dashboard.screens.alerts import AlertsScreen, AlertsTable
from trustledger.tui.dashboard.screens.partnership import PartnershipScreen
from trustledger.tui.dashboard.screens.record import RecordScreen
from trustledger.tui.dashboard.widgets.tables import cursor_key, move_to, row_keys
from trustledger.tui.service.ledger_service import LedgerService
from trustledger.tui.service.readmodel import ReadModel

from tests.cli_helpers import run_cli
from tests.samples import TODAY
from tests.test_tui_support import CLOCK, make_app, pause_until

SIZE = (80, 24)
CONFIG = ModelConfig()


def with_views(store) -> None:
    """Rebuild the store's read model with the view rows of the tests' today."""
    LedgerService(store, clock=CLOCK).rebuild(CONFIG)


def lean_start(store, day: date = TODAY):
    with Ledger(store) as ledger:
        return ReadModel(ledger, CONFIG).load_lean(day)


async def test_a_lean_start_shows_what_a_full_start_shows(sample_store):
    full = make_app(sample_store)
    async with full.run_test(size=SIZE) as pilot:
        await full.ready()
        await pilot.pause()
        expected = full.picture
    with_views(sample_store)
    app = make_app(sample_store, warm_start=True)
    async with app.run_test(size=SIZE) as pilot:
        await app.ready()
        await pilot.pause()
        picture = app.picture
        assert not any(view.detailed for view in picture.portfolio.partnerships)  # lean
        assert [lean(view) for view in picture.portfolio.partnerships] == [
            lean(view) for view in expected.portfolio.partnerships
        ]
        assert picture.portfolio.alerts == expected.portfolio.alerts
        assert picture.sparks == expected.sparks
        assert picture.portfolio.by_status == expected.portfolio.by_status


async def test_an_opened_partnership_shows_its_commitments_reviews_and_issues(sample_store):
    with_views(sample_store)
    app = make_app(sample_store, warm_start=True)
    async with app.run_test(size=SIZE) as pilot:
        await app.ready()
        await pilot.pause()
        assert not app.picture.get("vantage-retail").detailed
        app.open_partnership("vantage-retail")
        await app.detail_ready()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, PartnershipScreen) and screen.view.detailed
        events = list(Ledger(sample_store).iter_events(trusted=True))
        full = replay(events, TODAY, config=CONFIG).get("vantage-retail")
        assert [c.handle for c in screen.view.commitments] == [c.handle for c in full.commitments]
        assert screen.view.reviews == full.reviews and screen.view.issues == full.issues
        table = screen.query_one("#commitment-table", DataTable)
        assert set(row_keys(table)) == {c.handle for c in full.commitments}
        assert screen.query_one("#reviews", DataTable).row_count == len(full.reviews)
        assert screen.query_one("#issue-table", DataTable).row_count == len(full.issues)


async def test_an_alert_lands_on_its_commitment_from_a_lean_start(sample_store):
    with_views(sample_store)
    app = make_app(sample_store, warm_start=True)
    async with app.run_test(size=SIZE) as pilot:
        await app.ready()
        await pilot.pause()
        await pilot.press("exclamation_mark")
        await pilot.pause()
        alerts = app.screen
        assert isinstance(alerts, AlertsScreen)
        key = next(
            key
            for key, alert in alerts.alerts.items()
            if alert.partnership == "vantage-retail" and "pos-connector" in alert.message
        )
        move_to(alerts.query_one(AlertsTable), key)
        await pilot.press("enter")
        await app.detail_ready()
        screen = app.screen
        assert isinstance(screen, PartnershipScreen)
        table = screen.query_one("#commitment-table", DataTable)
        await pause_until(pilot, lambda: cursor_key(table) == "pos-connector", "the landing")
        assert screen.query_one(TabbedContent).active == "commitments"


async def test_a_form_lists_the_open_commitments_of_a_lean_view(sample_store):
    with_views(sample_store)
    app = make_app(sample_store, warm_start=True)
    events = list(Ledger(sample_store).iter_events(trusted=True))
    full = replay(events, TODAY, config=CONFIG).get("northwind")
    async with app.run_test(size=SIZE) as pilot:
        await app.ready()
        await pilot.pause()
        assert not app.picture.get("northwind").detailed
        screen = app.open_form("commitment_kept", "northwind")
        await pilot.pause()
        assert isinstance(screen, RecordScreen)
        offered = [value for _, value in screen.rows()["commitment"].options or []]
        assert offered == [c.handle for c in full.open_commitments] and len(offered) == 2
        assert isinstance(screen.query_one("#f-commitment", Select), Select)


@dataclass
class TurningClock:
    """A clock whose day the test moves on."""

    day: date

    def now(self) -> datetime:
        return datetime.combine(self.day, time(12)).astimezone().astimezone(UTC)

    def today(self) -> date:
        return self.day


async def test_a_lean_dashboard_whose_day_turns_shows_the_new_day(sample_store):
    with_views(sample_store)
    clock = TurningClock(TODAY)
    app = make_app(sample_store, clock=clock, warm_start=True)
    events = list(Ledger(sample_store).iter_events(trusted=True))
    async with app.run_test(size=SIZE) as pilot:
        await app.ready()
        await pilot.pause()
        assert app.picture.as_of == TODAY
        clock.day = TODAY + timedelta(days=40)  # every score decays; reviews fall due
        await pause_until(pilot, lambda: app.picture.as_of == clock.day, "the new day")
        expected = replay(events, clock.day, config=CONFIG)
        shown = app.picture.portfolio
        assert [lean(v) for v in shown.partnerships] == [lean(v) for v in expected.partnerships]
        assert shown.alerts == expected.alerts
        # Made from the stored states one at a time, not from the whole history in memory.
        assert not any(view.detailed for view in shown.partnerships)
        # It stores the new day's view rows (when its live view is next idle): the next
        # start is lean again.
        await pause_until(
            pilot,
            lambda: lean_start(sample_store, clock.day).follower is not None,
            "the new day's view rows stored",
        )


def test_view_rows_of_another_day_are_not_used(sample_store):
    with_views(sample_store)
    assert lean_start(sample_store).follower is not None
    found = lean_start(sample_store, TODAY + timedelta(days=1))
    assert found.follower is None and found.reason == "read model with the views of another day"


def test_view_rows_left_behind_by_a_move_without_views_are_not_used(sample_store):
    with_views(sample_store)
    result = run_cli(sample_store.path, "partner", "add", "zenith", "--name", "Zenith")
    assert result.code == 0, result.err
    with Ledger(sample_store) as ledger:
        state, _ = ReadModel(ledger, CONFIG).start()  # moves the state rows on, no views
        assert state.last_position == ledger.max_position()
    found = lean_start(sample_store)
    assert found.follower is None and found.reason == "read model without views"


def damage(store, handle: str, body: bytes, digest: str | None = None) -> None:
    with closing(sqlite3.connect(str(store.path))) as conn, conn:
        conn.execute(
            f"UPDATE {VIEWS_TABLE} SET body=?, digest=? WHERE handle=?",
            (body, digest or row_digest(handle, body), handle),
        )


def test_a_damaged_view_row_is_detected(sample_store):
    with_views(sample_store)
    with closing(sqlite3.connect(str(sample_store.path))) as conn, conn:
        (body,) = conn.execute(
            f"SELECT body FROM {VIEWS_TABLE} WHERE handle='northwind'"
        ).fetchone()
    damage(sample_store, "northwind", bytes(body).replace(b"northwind", b"northwand"), "0" * 32)
    found = lean_start(sample_store)
    assert found.follower is None and found.reason == "read model view 'northwind' is damaged"


@pytest.mark.parametrize(
    "body",
    [pickle.dumps({"handle": "northwind"}), b"[1, 2, 3]", b'{"handle": "northwind"}'],
    ids=["pickle", "short list", "object"],
)
def test_a_view_row_of_another_shape_is_refused_and_never_run(sample_store, body):
    with_views(sample_store)
    damage(sample_store, "northwind", body)
    found = lean_start(sample_store)
    assert found.follower is None
    assert found.reason is not None and "read model view 'northwind' cannot be read" in found.reason


async def test_a_dashboard_refusing_bad_view_rows_starts_from_the_stored_states(sample_store):
    with_views(sample_store)
    damage(sample_store, "northwind", pickle.dumps("not a view"))
    app = make_app(sample_store, warm_start=True)
    events = list(Ledger(sample_store).iter_events(trusted=True))
    async with app.run_test(size=SIZE) as pilot:
        await app.ready()
        await pilot.pause()
        expected = replay(events, TODAY, config=CONFIG).get("northwind")
        assert lean(app.picture.get("northwind")) == lean(expected)  # made afresh, not read
        # ... and it stores sound view rows for the next start (when it is idle).
        await pause_until(
            pilot, lambda: lean_start(sample_store).follower is not None, "views stored"
        )


def test_a_follower_gone_lean_keeps_no_folded_state_through_its_views(sample_store):
    """A view made from a folded state reads its commitments from it: once the follower lets
    the states go, its views are lean, or every partnership touched would stay in memory."""
    from trustledger.projections import Follower, fold

    events = list(Ledger(sample_store).iter_events(trusted=True))
    follower = Follower.from_state(fold(events, config=CONFIG))
    follower.view(TODAY)
    follower.sparklines(TODAY, 8, 30)
    held = follower.stored_views(TODAY)
    assert held and all(view.detailed for view, _ in held.values())
    assert follower.make_lean()
    assert not follower.state.partnerships
    after = follower.stored_views(TODAY)
    assert after is not None and not any(view.detailed for view, _ in after.values())
    assert {h: lean(v) for h, (v, _) in held.items()} == {h: v for h, (v, _) in after.items()}


async def test_the_first_start_of_a_day_makes_its_views_from_the_stored_states(sample_store):
    with_views(sample_store)  # of TODAY
    later = TODAY + timedelta(days=30)
    found = lean_start(sample_store, later)
    assert found.follower is None and found.reason == "read model with the views of another day"
    with Ledger(sample_store) as ledger:
        made = ReadModel(ledger, CONFIG).lean_from_states(later)
    assert made.follower is not None
    events = list(Ledger(sample_store).iter_events(trusted=True))
    expected = replay(events, later, config=CONFIG)
    assert [lean(v) for v in made.follower.view(later).partnerships] == [
        lean(v) for v in expected.partnerships
    ]
    app = make_app(sample_store, clock=TurningClock(later), warm_start=True)
    async with app.run_test(size=SIZE) as pilot:
        await app.ready()
        await pilot.pause()
        assert not any(view.detailed for view in app.picture.portfolio.partnerships)
        assert app.picture.portfolio.alerts == expected.alerts
        # ... and stores that day's view rows for the next start.
        await pause_until(
            pilot, lambda: lean_start(sample_store, later).follower is not None, "views"
        )


def test_a_damaged_state_row_is_refused_by_a_start_from_the_states(sample_store):
    from trustledger.domain.readstore import ROWS_TABLE

    with_views(sample_store)
    with closing(sqlite3.connect(str(sample_store.path))) as conn, conn:
        conn.execute(f"UPDATE {ROWS_TABLE} SET body=? WHERE handle='northwind'", (b"[]",))
    with Ledger(sample_store) as ledger:
        made = ReadModel(ledger, CONFIG).lean_from_states(TODAY + timedelta(days=1))
    assert made.follower is None and made.reason == "read model row 'northwind' is damaged"
