"""The alerts view: every alert in one table; Enter goes to the tab and row it is about.

The header counts the alerts (``⚠ 13 alerts``); before, only three showed on a partnership's
Overview at 80x24 and the rest could not be reached. An overdue commitment leads to the
Commitments tab with that commitment's row highlighted; an issue open too long or a partner
card to the Issues tab at that issue. The Overview's own list of alerts does the same.
"""

from __future__ import annotations

from textual.widgets import DataTable, OptionList, TabbedContent
from trustledger.tui.dashboard.screens.alerts import AlertsScreen, AlertsTable, alert_target
from trustledger.tui.dashboard.screens.partnership import PartnershipScreen
from trustledger.tui.dashboard.widgets.tables import cursor_key, move_to

from tests.test_tui_support import make_app, screen_text

SIZE = (80, 24)


async def open_alerts(app, pilot) -> AlertsScreen:
    await app.ready()
    await pilot.pause()
    await pilot.press("exclamation_mark")
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, AlertsScreen)
    return screen


def alert_row(screen: AlertsScreen, partnership: str, kind: str, words: str) -> str:
    return next(
        key
        for key, alert in screen.alerts.items()
        if alert.partnership == partnership and alert.kind == kind and words in alert.message
    )


async def test_the_alerts_view_lists_every_alert(sample_store):
    app = make_app(sample_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_alerts(app, pilot)
        everything = app.picture.portfolio.alerts
        assert len(everything) == 13
        table = screen.query_one(AlertsTable)
        assert table.row_count == 13
        shown = {(a.partnership, a.kind, a.message) for a in screen.shown()}
        assert shown == {(a.partnership, a.kind, a.message) for a in everything}
        assert "⚠ 13 alerts in 5 partnerships" in screen_text(app)


async def test_enter_on_an_overdue_commitment_lands_on_its_row(sample_store):
    app = make_app(sample_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_alerts(app, pilot)
        table = screen.query_one(AlertsTable)
        move_to(table, alert_row(screen, "vantage-retail", "overdue_commitment", "pos-connector"))
        await pilot.press("enter")
        await app.detail_ready()
        await pilot.pause()
        detail = app.screen
        assert isinstance(detail, PartnershipScreen) and detail.handle == "vantage-retail"
        assert detail.query_one(TabbedContent).active == "commitments"
        commitments = detail.query_one("#commitment-table", DataTable)
        assert cursor_key(commitments) == "pos-connector"
        assert app.focused is commitments
        # Back (escape) returns to the portfolio: the alerts view made way for the jump.
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, (AlertsScreen, PartnershipScreen))


async def test_enter_on_a_partner_card_lands_on_its_issue(sample_store):
    app = make_app(sample_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_alerts(app, pilot)
        table = screen.query_one(AlertsTable)
        move_to(table, alert_row(screen, "vantage-retail", "partner_card", "coastline"))
        await pilot.press("enter")
        await app.detail_ready()
        await pilot.pause()
        detail = app.screen
        assert isinstance(detail, PartnershipScreen)
        assert detail.query_one(TabbedContent).active == "issues"
        assert cursor_key(detail.query_one("#issue-table", DataTable)) == "coastline-conflict"


async def test_the_overview_lists_every_alert_and_enter_goes_to_it(sample_store):
    """Vantage has five alerts: all are listed (none hidden behind "+2 more"), and Enter on
    the issue one goes to the Issues tab at that issue."""
    app = make_app(sample_store)
    async with app.run_test(size=SIZE) as pilot:
        await app.ready()
        app.open_partnership("vantage-retail")
        await app.detail_ready()
        await pilot.pause()
        screen = app.screen
        listing = screen.query_one("#alert-list", OptionList)
        assert listing.option_count == 5
        assert app.focused is listing  # the arrows move through the alerts at once
        text = screen_text(app)
        for alert in screen.view.alerts:
            assert alert.message[:60] in text  # every one on screen at 80x24
        assert "revenue share 3% (12 months)" in text
        index = next(i for i, a in enumerate(screen.alerts) if a.kind == "issue_open_too_long")
        listing.highlighted = index
        await pilot.press("enter")
        await pilot.pause()
        assert screen.query_one(TabbedContent).active == "issues"
        assert cursor_key(screen.query_one("#issue-table", DataTable)) == "coastline-conflict"


def test_each_kind_of_alert_has_a_place():
    """The tab comes from the kind, the row from the alert's subject, never from its words."""
    from trustledger.projections.views import Alert

    assert alert_target(
        Alert("overdue_commitment", "acme", "reworded, no handle here", "commitment", "q1")
    ) == ("acme", "commitments", "q1")
    assert alert_target(Alert("issue_open_too_long", "acme", "…", "issue", "slow")) == (
        "acme",
        "issues",
        "slow",
    )
    assert alert_target(Alert("partner_card", "acme", "…", "issue", "card")) == (
        "acme",
        "issues",
        "card",
    )
    assert alert_target(Alert("review_overdue", "acme", "…", "review", "17")) == (
        "acme",
        "reviews",
        "17",
    )
    assert alert_target(Alert("review_overdue", "acme", "…", "review")) == ("acme", "reviews", None)
    assert alert_target(Alert("trust_drop", "acme", "…")) == ("acme", "explain", None)
    assert alert_target(Alert("concentration", "acme", "revenue concentration: 70%")) == (
        "acme",
        "overview",
        None,
    )


async def test_enter_on_an_overdue_review_lands_on_the_last_review(sample_store):
    app = make_app(sample_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_alerts(app, pilot)
        key = alert_row(screen, "brightpath", "review_overdue", "review overdue")
        subject = screen.alerts[key].subject
        assert subject is not None  # the last review's position
        move_to(screen.query_one(AlertsTable), key)
        await pilot.press("enter")
        await app.detail_ready()
        await pilot.pause()
        detail = app.screen
        assert isinstance(detail, PartnershipScreen) and detail.handle == "brightpath"
        assert detail.query_one(TabbedContent).active == "reviews-tab"
        reviews = detail.query_one("#reviews", DataTable)
        assert cursor_key(reviews) == subject
        assert app.focused is reviews
