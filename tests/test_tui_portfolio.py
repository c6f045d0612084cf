"""The portfolio screen: rows, header, filters, sort, navigation, palette (Pilot at 80x24)."""

from __future__ import annotations

from textual.widgets import DataTable, Input, Select, TabbedContent
from trustledger.tui.dashboard.screens.partnership import PartnershipScreen
from trustledger.tui.dashboard.screens.portfolio import PortfolioScreen, PortfolioTable

from tests.test_tui_support import make_app, screen_text

SIZE = (80, 24)


def table_of(app) -> PortfolioTable:
    return app.screen.query_one(PortfolioTable)


def keys(table: DataTable) -> list[str]:
    return [table.coordinate_to_cell_key((row, 0)).row_key.value for row in range(table.row_count)]


def cell(table: DataTable, handle: str, column: str) -> str:
    return table.get_cell(handle, column).plain


async def test_portfolio_shows_every_partnership(sample_store):
    app = make_app(sample_store)
    async with app.run_test(size=SIZE) as pilot:
        await app.ready()
        await pilot.pause()
        table = table_of(app)
        assert table.row_count == 10
        # Sorted by status by default: the trusted one first, the ended one last.
        assert keys(table)[0] == "northwind"
        assert keys(table)[-1] == "keystone"
        assert cell(table, "northwind", "status") == "✔ trusted"
        assert cell(table, "lumen-institute", "status") == "? unproven"  # the CLI's word
        assert cell(table, "vantage-retail", "status") == "▲ at risk"
        assert cell(table, "northwind", "trust").startswith("0.96 ")
        assert cell(table, "vantage-retail", "overdue") == "3"
        assert cell(table, "brightpath", "review") == "late 1d"
        text = screen_text(app)
        assert "● LIVE as of 2026-11-20" in text
        assert "1 of 9 active trusted (11%)" in text
        assert "Atlas Freight Corp holds 67% of the revenue" in text
        assert "13 alerts" in text


async def test_wide_layout_adds_columns(sample_store):
    app = make_app(sample_store)
    async with app.run_test(size=(150, 40)) as pilot:
        await app.ready()
        await pilot.pause()
        table = table_of(app)
        assert [c.key.value for c in table.ordered_columns] == [
            "name",
            "kind",
            "status",
            "trust",
            "alignment",
            "overdue",
            "issues",
            "review",
            "revenue",
        ]
        assert cell(table, "lumen-institute", "status") == "? unproven"
        assert cell(table, "atlas-freight", "revenue") == "67%"
        assert cell(table, "northwind", "review") == "2026-12-01"


async def test_filter_by_text_status_and_kind(sample_store):
    app = make_app(sample_store)
    async with app.run_test(size=SIZE) as pilot:
        await app.ready()
        await pilot.pause()
        table = table_of(app)
        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*"north")
        await pilot.pause()
        assert keys(table) == ["northwind"]
        await pilot.press("enter")  # back to the table, filter kept
        assert app.focused is table
        await pilot.press("escape")  # clears every filter
        await pilot.pause()
        assert table.row_count == 10

        screen = app.screen
        assert isinstance(screen, PortfolioScreen)
        screen.query_one("#filter-status", Select).value = "regular"
        await pilot.pause()
        assert sorted(keys(table)) == [
            "atlas-freight",
            "brightpath",
            "meridian-health",
            "papercraft",
        ]
        screen.query_one("#filter-kind", Select).value = "customer"
        await pilot.pause()
        assert sorted(keys(table)) == ["atlas-freight", "brightpath", "meridian-health"]
        await pilot.press("escape")
        await pilot.pause()

        # The keys cycle the filters too: f = status (trusted first), F = kind.
        await pilot.press("f")
        await pilot.pause()
        assert keys(table) == ["northwind"]
        await pilot.press("f")
        await pilot.pause()
        assert sorted(keys(table)) == ["helix-cloud", "orbital-analytics"]
        await pilot.press("escape", "F", "F")
        await pilot.pause()
        assert sorted(keys(table)) == ["keystone", "northwind", "vantage-retail"]  # channel


async def test_sort_cycles_columns_and_keeps_the_cursor_row(sample_store):
    app = make_app(sample_store)
    async with app.run_test(size=SIZE) as pilot:
        await app.ready()
        await pilot.pause()
        table = table_of(app)
        await pilot.press("down", "down")
        before = keys(table)[table.cursor_row]
        await pilot.press("s")  # status -> trust
        await pilot.pause()
        order = keys(table)
        assert order[0] == "northwind" and order[-1] == "vantage-retail"
        assert keys(table)[table.cursor_row] == before
        assert "Trust▼" in screen_text(app)
        await pilot.press("S")  # reversed
        await pilot.pause()
        assert keys(table)[0] == "vantage-retail"
        assert keys(table)[table.cursor_row] == before
        await pilot.press("s")  # alignment, unreversed
        await pilot.pause()
        assert keys(table)[0] == "northwind"
        assert keys(table)[-1] == "lumen-institute"  # no review: no alignment, last
        await pilot.press("s")  # overdue: the most overdue first
        await pilot.pause()
        assert keys(table)[0] == "vantage-retail"
        await pilot.press("s", "s")  # issues, then next review: the soonest first
        await pilot.pause()
        assert keys(table)[0] == "brightpath"
        await pilot.press("s")  # name
        await pilot.pause()
        assert keys(table)[:2] == ["atlas-freight", "brightpath"]


async def test_navigation_to_a_partnership_tabs_and_back(sample_store):
    app = make_app(sample_store)
    async with app.run_test(size=SIZE) as pilot:
        await app.ready()
        await pilot.pause()
        table = table_of(app)
        index = keys(table).index("vantage-retail")
        table.move_cursor(row=index)
        await pilot.press("enter")
        await app.detail_ready()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, PartnershipScreen)
        assert screen.handle == "vantage-retail"
        text = screen_text(app)
        assert "Vantage Retail Group (vantage-retail)" in text
        assert "▲ at risk" in text
        assert "partner card played" in text
        tabs = screen.query_one(TabbedContent)
        assert tabs.active == "overview"

        await pilot.press("2")
        await pilot.pause()
        assert tabs.active == "commitments"
        commitments = screen.query_one("#commitment-table", DataTable)
        assert commitments.row_count == 10
        assert "⚠ 3 overdue" in screen_text(app)
        first = commitments.coordinate_to_cell_key((0, 0)).row_key.value
        assert commitments.get_cell(first, "stage").plain.startswith("⚠ overdue")

        await pilot.press("3")
        await pilot.pause()
        assert tabs.active == "reviews-tab"
        text = screen_text(app)
        assert "⚠ asymmetric" in text  # we score 4s, they score 1s and 2s

        await pilot.press("4")
        await pilot.pause()
        assert "⚑ partner card" in screen_text(app)

        await pilot.press("5")
        await pilot.pause()
        timeline = screen.query_one("#timeline-table", DataTable)
        assert timeline.row_count > 20
        assert "2026-11-20 18:30" in screen_text(app)  # recorded time (pinned clock)

        await pilot.press("6")
        await pilot.pause()
        text = screen_text(app)
        assert "Why:" in text and "Trust starts at 0.50" in text

        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, PortfolioScreen)
        assert keys(table_of(app))[table_of(app).cursor_row] == "vantage-retail"


async def test_command_palette_opens_a_partnership(sample_store):
    app = make_app(sample_store)
    async with app.run_test(size=SIZE) as pilot:
        await app.ready()
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"open helix")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await app.detail_ready()
        await pilot.pause()
        assert isinstance(app.screen, PartnershipScreen)
        assert app.screen.handle == "helix-cloud"


async def test_theme_toggle_keeps_rows(sample_store):
    app = make_app(sample_store)
    async with app.run_test(size=SIZE) as pilot:
        await app.ready()
        await pilot.pause()
        theme = app.theme
        await pilot.press("T")
        await pilot.pause()
        assert app.theme != theme
        assert table_of(app).row_count == 10
        assert cell(table_of(app), "northwind", "status") == "✔ trusted"
