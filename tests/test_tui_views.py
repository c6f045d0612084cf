"""The dashboard as people use it every day: help, the footer, tabs, search, export, what
is remembered, sorting by a click, vi keys, narrow terminals, and stored text shown safely."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

from textual.containers import VerticalScroll
from textual.widgets import DataTable, Input, TabbedContent
from textual.widgets._footer import FooterKey
from trustledger.tui.dashboard.app import TrustLedgerApp
from trustledger.tui.dashboard.prefs import Prefs
from trustledger.tui.dashboard.screens.export import ExportScreen
from trustledger.tui.dashboard.screens.help import KEYS, HelpScreen
from trustledger.tui.dashboard.screens.partnership import PartnershipScreen
from trustledger.tui.dashboard.screens.portfolio import PortfolioScreen, PortfolioTable
from trustledger.tui.dashboard.screens.text import TextScreen
from trustledger.tui.dashboard.widgets.bars import KeysBar
from trustledger.tui.dashboard.widgets.tables import cursor_key, move_to, row_keys
from trustledger.tui.service.access import Access
from trustledger.tui.service.clock import FixedClock
from trustledger.tui.service.ledger_service import LedgerService

from tests.hardening_support import registered, store_directly
from tests.test_tui_support import CLOCK, make_app, pause_until, screen_text

SIZE = (80, 24)


async def loaded(app, pilot) -> None:
    await app.ready()
    await pilot.pause()


async def open_partnership(app, pilot, handle: str) -> PartnershipScreen:
    app.open_partnership(handle)
    await app.detail_ready()
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, PartnershipScreen)
    return screen


async def exported(app, pilot) -> None:
    """Wait for the export worker (an empty list would wait for every worker)."""
    await pilot.pause()
    running = [w for w in app.workers if w.group == "export"]
    if running:
        await app.workers.wait_for_complete(running)
    await pilot.pause()


def footer(app) -> str:
    return screen_text(app).splitlines()[-1]


async def test_help_lists_the_keys_by_screen_and_scrolls(sample_store):
    app = make_app(sample_store)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        assert "? Help" in footer(app)
        await pilot.press("question_mark")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, HelpScreen)
        text = screen_text(app)
        assert "Everywhere (outside a form)" in text  # the app's keys first, not DataTable's
        body = screen.query_one("#help-body", VerticalScroll)
        assert body.max_scroll_y > 0  # more than a screen: it scrolls
        await pilot.press("G")
        await pilot.pause()
        assert body.scroll_y == body.max_scroll_y
        bottom = screen_text(app)
        assert "The model" in bottom and "Beta reputation" in bottom
        for where, _ in KEYS:
            assert where  # every group has a title
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, PortfolioScreen)


async def test_the_footer_shows_the_keys_people_need(sample_store):
    app = make_app(sample_store)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        keys = footer(app)
        for shown in ("? Help", "⏎ Open", "/ Filter", "f Status", "! Alerts", "q Quit"):
            assert shown in keys, keys
        await open_partnership(app, pilot, "northwind")
        keys = footer(app)
        for shown in ("1-6 Tabs", "? Help", "/ Search", "esc Back"):
            assert shown in keys, keys


async def test_the_footer_is_built_again_only_when_its_keys_change(sample_store, monkeypatch):
    """Textual's footer makes its keys anew (a widget each, styled one by one) whenever the
    screen says its bindings may have changed: seven times while the dashboard started and
    eight while a partnership opened, where the keys shown changed once or twice. Each
    screen's footer is now built when its keys change, and only then."""
    builds: list[str] = []
    real_compose = KeysBar.compose

    def compose(self):
        builds.append(type(self.screen).__name__)
        return real_compose(self)

    monkeypatch.setattr(KeysBar, "compose", compose)
    app = make_app(sample_store)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        await pilot.pause(0.2)
        assert builds.count("PortfolioScreen") <= 2, builds
        built = list(app.screen.query(FooterKey))
        assert "? Help" in footer(app) and "l Live" not in footer(app)
        builds.clear()
        await open_partnership(app, pilot, "northwind")
        await pilot.pause(0.2)
        assert "esc Back" in footer(app)
        assert builds.count("PartnershipScreen") <= 2, builds
        await pilot.press("escape")
        await pause_until(pilot, lambda: isinstance(app.screen, PortfolioScreen), "home")
        kept = list(app.screen.query(FooterKey))
        assert len(kept) == len(built) and all(a is b for a, b in zip(kept, built, strict=True))
        await pilot.press("left_curly_bracket")  # a month back: audit mode offers "l Live"
        await pause_until(pilot, lambda: "l Live" in footer(app), "the Live key shown")
        assert app.audit and not any(key in built for key in app.screen.query(FooterKey))


async def test_a_tab_key_gives_its_table_the_focus(sample_store):
    """After 1-6 the arrows move in the tab shown (before, the focus stayed on the tab
    strip and down did nothing)."""
    app = make_app(sample_store)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        screen = await open_partnership(app, pilot, "vantage-retail")
        for key, table_id in (("2", "#commitment-table"), ("5", "#timeline-table")):
            await pilot.press(key)
            await pilot.pause()
            table = screen.query_one(table_id, DataTable)
            assert app.focused is table
            start = table.cursor_row
            await pilot.press("down")
            assert table.cursor_row == start + 1


async def test_search_inside_the_partnership_tables(sample_store):
    app = make_app(sample_store)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        screen = await open_partnership(app, pilot, "vantage-retail")
        commitments = screen.query_one("#commitment-table", DataTable)
        timeline = screen.query_one("#timeline-table", DataTable)
        all_commitments, all_events = commitments.row_count, timeline.row_count
        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        assert screen.query_one(TabbedContent).active == "commitments"
        await pilot.press(*"pipeline", "enter")
        await pilot.pause()
        assert sorted(row_keys(commitments)) == ["h1-pipeline", "q4-pipeline"]
        assert app.focused is commitments
        assert 0 < timeline.row_count < all_events  # the timeline is searched too
        await pilot.press("escape")  # leaves the search, all rows back
        await pilot.pause()
        assert commitments.row_count == all_commitments and timeline.row_count == all_events
        assert isinstance(app.screen, PartnershipScreen)


async def test_a_long_row_text_shows_in_full_on_enter(sample_store):
    app = make_app(sample_store)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        screen = await open_partnership(app, pilot, "vantage-retail")
        await pilot.press("5")
        await pilot.pause()
        table = screen.query_one("#timeline-table", DataTable)
        key = cursor_key(table)
        full = screen.full_text["timeline-table"][key]
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, TextScreen)
        assert app.screen.text == full
        assert full.split(": ", 1)[1][:40] in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen


async def test_export_writes_the_view_and_never_overwrites(sample_store, tmp_path):
    app = make_app(sample_store)
    app.export_directory = tmp_path
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        await pilot.press("slash", *"an", "enter")  # a filtered view
        await pilot.pause()
        shown = row_keys(app.screen.query_one(PortfolioTable))
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, ExportScreen)
        await pilot.press("ctrl+s")
        await exported(app, pilot)
        path = tmp_path / f"trustledger-portfolio-{app.as_of}.csv"
        rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
        assert [row["partnership"] for row in rows] == shown  # the rows shown, in their order
        assert "commitments_overdue" in rows[0] and "status_reason" in rows[0]

        await pilot.press("x")  # the same name again: refused at the field
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ExportScreen)
        assert "exists already" in screen_text(app)
        app.screen.query_one("#export-format").value = "json"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await exported(app, pilot)
        data = json.loads((tmp_path / f"trustledger-portfolio-{app.as_of}.json").read_text())
        assert sorted(row["partnership"] for row in data) == sorted(shown)
        assert data[0]["model_version"]


async def test_a_remote_session_exports_nothing_onto_the_servers_disk(sample_store, tmp_path):
    service = LedgerService(sample_store, clock=CLOCK).for_access(Access("victor", "viewer"))
    app = TrustLedgerApp(service)
    app.export_directory = tmp_path / "exports"
    app.export_directory.mkdir()
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        await pilot.press("x")
        await pilot.pause()
        assert not isinstance(app.screen, ExportScreen)
        notes = [note.message for note in app._notifications]
        assert any("Exports are written locally" in note for note in notes), notes
    assert list(app.export_directory.iterdir()) == []


async def test_theme_and_sort_are_remembered(sample_store, tmp_path):
    path = tmp_path / "dashboard.json"
    app = make_app(sample_store, prefs=Prefs.load(path))
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        theme = app.theme
        await pilot.press("T", "s", "S")  # next theme; sort by trust, reversed
        await pilot.pause()
        chosen = app.theme
        assert chosen != theme
    again = make_app(sample_store, prefs=Prefs.load(path))
    async with again.run_test(size=SIZE) as pilot:
        await loaded(again, pilot)
        assert again.theme == chosen
        screen = again.screen
        assert (screen.sort_column, screen.sort_reverse) == ("trust", True)
        assert row_keys(screen.query_one(PortfolioTable))[0] == "vantage-retail"
        assert "Trust▲" in screen_text(again)


async def test_a_click_on_a_header_sorts_and_a_second_reverses(sample_store):
    app = make_app(sample_store)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        table = app.screen.query_one(PortfolioTable)
        x = 0
        for column in table.ordered_columns:
            if column.key.value == "overdue":
                break
            x += column.get_render_width(table)
        await pilot.click(PortfolioTable, offset=(x + 2, 0))
        await pilot.pause()
        assert app.screen.sort_column == "overdue"
        assert row_keys(table)[0] == "vantage-retail"  # the most overdue first
        assert "Overdue▼" in screen_text(app)  # the sort mark fits its column
        await pilot.click(PortfolioTable, offset=(x + 2, 0))
        await pilot.pause()
        assert app.screen.sort_reverse and "Overdue▲" in screen_text(app)


async def test_vi_keys_move_in_tables(sample_store):
    app = make_app(sample_store)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        table = app.screen.query_one(PortfolioTable)
        await pilot.press("j", "j")
        assert table.cursor_row == 2
        await pilot.press("k")
        assert table.cursor_row == 1
        await pilot.press("G")
        assert table.cursor_row == table.row_count - 1
        await pilot.press("g")
        assert table.cursor_row == 0
        await pilot.press("F")  # the kind filter moved off k
        await pilot.pause()
        assert app.screen.kind_filter == "customer"


async def test_a_narrow_terminal_says_which_columns_it_hides(sample_store):
    app = make_app(sample_store)
    async with app.run_test(size=(60, 20)) as pilot:
        await loaded(app, pilot)
        screen = app.screen
        shown = [c.key.value for c in screen.query_one(PortfolioTable).ordered_columns]
        assert shown[:3] == ["name", "status", "trust"]
        hidden = {"alignment", "review"} - set(shown)
        assert hidden
        text = screen_text(app)
        assert "not shown at this width:" in text
        note = text.split("not shown at this width:")[1]
        assert ("alignment" in note) == ("alignment" in hidden)
        assert ("next review" in note) == ("review" in hidden)
        width = sum(
            c.get_render_width(screen.query_one(PortfolioTable))
            for c in screen.query_one(PortfolioTable).ordered_columns
        )
        assert width <= 60  # nothing beyond the right edge


EVIL = "\x1b]0;pwned\x07\x1b[2J"


async def test_stored_escapes_and_markup_show_as_text(tmp_path):
    """A store written before the input rules may hold escape sequences and text that looks
    like markup: the dashboard shows both as visible text (and does not fail on "[/]")."""
    store = tmp_path / "legacy.sqlite"
    store_directly(
        store,
        [
            registered("evil", name=f"Evil{EVIL} [bold]Co[/]", owner="[red]x", kind="channel"),
            {
                "type": "issue_raised",
                "partnership": "evil",
                "issue": "i",
                "summary": f"look{EVIL}here [/] \u202e",
                "actor": "mal\x1b[8m",
            },
        ],
    )
    from trustledger.domain.store import parse_store_url

    app = make_app(parse_store_url(str(store)), clock=FixedClock.on(date(2025, 6, 1)))
    async with app.run_test(size=(120, 30)) as pilot:
        await loaded(app, pilot)
        text = screen_text(app)
        assert "Evil\\x1b]0;pwn" in text  # visible, and cut with its column
        await pilot.press("ctrl+p")
        await pilot.press(*"evil")
        await pilot.pause(0.3)
        assert "Open Evil\\x1b]0;pwned" in screen_text(app)  # the palette too
        await pilot.press("escape")
        await pilot.pause()
        screen = await open_partnership(app, pilot, "evil")
        text = screen_text(app)
        assert "Evil\\x1b]0;pwned\\x07\\x1b[2J [bold]Co[/] (evil)" in text
        assert "[red]x" in text
        await pilot.press("4")
        await pilot.pause()
        text = screen_text(app)
        assert "look\\x1b]0;pwned" in text and "[/]" in text and "\\u202e" in text
        await pilot.press("5")
        await pilot.pause()
        assert "mal\\x1b[8m" in screen_text(app)
        timeline = screen.query_one("#timeline-table", DataTable)
        cells = [c.plain for r in range(timeline.row_count) for c in timeline.get_row_at(r)]
        assert cells and not any("\x1b" in cell for cell in cells)


async def test_sparklines_in_the_table_share_one_scale(sample_store):
    """Keystone at a steady 0.61 drew ██▁▁▁▁▁▁ when each row had its own scale; on the fixed
    0-1 scale it draws a flat line, below Northwind's at 0.95."""
    app = make_app(sample_store)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        table = app.screen.query_one(PortfolioTable)
        keystone = table.get_cell("keystone", "trust").plain.split()[1]
        northwind = table.get_cell("northwind", "trust").plain.split()[1]
        assert len(set(keystone)) == 1 and len(set(northwind)) == 1  # steady: flat
        assert max(keystone) < min(northwind)  # 0.61 draws lower than 0.95


async def test_stored_escapes_stay_inert_in_alerts_pick_lists_and_details(tmp_path):
    """The same stored text in the alerts view, a form's pick list, a renegotiation's reason
    and a resolution: shown as text everywhere, never obeyed, never read as markup."""
    store = tmp_path / "legacy.sqlite"
    store_directly(
        store,
        [
            registered("evil", name=f"Evil{EVIL} [bold]Co[/]", kind="channel"),
            {
                "type": "commitment_made",
                "partnership": "evil",
                "commitment": "late",
                "by": "partner",
                "summary": f"deliver{EVIL}[bold]now[/]",
                "due": "2025-02-01",
            },
            {
                "type": "commitment_renegotiated",
                "partnership": "evil",
                "commitment": "late",
                "due": "2025-03-01",
                "reason": f"slip{EVIL}[i]x[/i]",
                "occurred_on": "2025-01-10",
            },
            {
                "type": "issue_raised",
                "partnership": "evil",
                "issue": "old",
                "summary": "an issue",
                "occurred_on": "2025-01-11",
            },
            {
                "type": "issue_resolved",
                "partnership": "evil",
                "issue": "old",
                "resolution": f"settled{EVIL}[/]",
                "occurred_on": "2025-01-12",
            },
        ],
    )
    from trustledger.domain.store import parse_store_url

    app = make_app(parse_store_url(str(store)), clock=FixedClock.on(date(2025, 6, 1)))
    async with app.run_test(size=(120, 30)) as pilot:
        await loaded(app, pilot)
        await pilot.press("exclamation_mark")  # the alerts view: the overdue commitment
        await pilot.pause()
        text = screen_text(app)
        assert "Evil\\x1b]0;pwned\\x07\\x1b[2J [bold]Co[/] (evil)" in text
        await pilot.press("enter")
        await app.detail_ready()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, PartnershipScreen)
        assert cursor_key(screen.query_one("#commitment-table", DataTable)) == "late"
        assert "deliver\\x1b]0;pwned\\x07\\x1b[2J[bold]now[/]" in screen_text(app)
        await pilot.press("5")  # the timeline: the reason and the resolution
        await pilot.pause()
        timeline = screen.query_one("#timeline-table", DataTable)
        for word, shown in (
            ("slip", "slip\\x1b]0;pwned\\x07\\x1b[2J[i]x[/i]"),
            ("settled", "settled\\x1b]0;pwned\\x07\\x1b[2J[/]"),
        ):
            key = next(k for k, t in screen.full_text["timeline-table"].items() if word in t)
            move_to(timeline, key)
            await pilot.pause()
            assert shown in screen_text(app)  # the row's full text, under the table
        cells = [c.plain for r in range(timeline.row_count) for c in timeline.get_row_at(r)]
        assert not any("\x1b" in cell for cell in cells)
        await pilot.press("r", "k")  # the kept form; its commitment list
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        text = screen_text(app)
        assert "late · deliver\\x1b]0;" in text, text  # cut to fit, escaped
        assert "\x1b" not in text
