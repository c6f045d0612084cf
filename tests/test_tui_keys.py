"""Keys typed in one burst mean what the same keys typed slowly mean.

A paste, a slow SSH link or tmux ``send-keys '/' 'brightpath' Enter`` deliver keys all at
once: every one is queued before the first is handled. Before, ``/`` moved the focus to the
filter a few messages later, and the rest ran as shortcuts: ``/brightpath⏎`` opened a form
(``r``, then ``p``), ``/vantage⏎`` switched to audit mode (``a``), ``/helix⏎`` opened the
highlighted row. Each case runs both ways — as one burst, and key by key — and must end the
same.
"""

from __future__ import annotations

import pytest
from textual import events
from textual.widgets import Input, TabbedContent
from trustledger.projections import ModelConfig
from trustledger.tui.dashboard.screens.partnership import PartnershipScreen
from trustledger.tui.dashboard.screens.portfolio import PortfolioScreen, PortfolioTable
from trustledger.tui.dashboard.screens.record import RecordScreen
from trustledger.tui.dashboard.widgets.tables import row_keys
from trustledger.tui.service.ledger_service import LedgerService

from tests.test_tui_support import CLOCK, burst, make_app

SIZE = (80, 24)
SPEEDS = ["burst", "slow"]
NAMES = ("enter", "tab", "escape")


async def type_keys(app, pilot, speed: str, *keys: str) -> None:
    """``keys`` (words stand for their characters) as one burst, or one key at a time."""
    if speed == "burst":
        await burst(app, *keys)
    else:
        for key in keys:
            await pilot.press(*([key] if len(key) == 1 or key in NAMES else list(key)))
    await pilot.pause()


@pytest.mark.parametrize("speed", SPEEDS)
@pytest.mark.parametrize(
    ("word", "rows"),
    [("brightpath", ["brightpath"]), ("vantage", ["vantage-retail"]), ("helix", ["helix-cloud"])],
)
async def test_a_filter_typed_in_one_burst_is_a_filter(sample_store, speed, word, rows):
    app = make_app(sample_store)
    async with app.run_test(size=SIZE) as pilot:
        await app.ready()
        await pilot.pause()
        await type_keys(app, pilot, speed, "/", word, "enter")
        screen = app.screen
        assert isinstance(screen, PortfolioScreen)  # no form, no partnership opened
        assert not app.audit  # "a" did not switch to audit mode
        assert screen.query_one("#filter-text", Input).value == word
        assert row_keys(screen.query_one(PortfolioTable)) == rows
        assert app.focused is screen.query_one(PortfolioTable)  # enter: back to the table


@pytest.mark.parametrize("speed", SPEEDS)
async def test_a_form_value_typed_in_one_burst_stays_in_the_form(sample_store, speed):
    """r, c open the commitment form; the value that follows holds r, a and q: it is typed
    into the field, it neither records, audits nor quits."""
    app = make_app(sample_store)
    async with app.run_test(size=SIZE) as pilot:
        await app.ready()
        await pilot.pause()
        await type_keys(app, pilot, speed, "r", "c", "quarterly-area-review")
        screen = app.screen
        assert isinstance(screen, RecordScreen) and screen.event_type == "commitment_made"
        assert screen.query_one("#f-commitment", Input).value == "quarterly-area-review"
        assert app.is_running and not app.audit
        await type_keys(app, pilot, speed, "tab", "tab", "a quarterly review, as agreed")
        assert screen.query_one("#f-summary", Input).value == "a quarterly review, as agreed"


async def test_a_pasted_value_goes_into_the_field_it_follows(sample_store):
    app = make_app(sample_store)
    async with app.run_test(size=SIZE) as pilot:
        await app.ready()
        await pilot.pause()
        app.post_message(events.Key("slash", "/"))
        app.post_message(events.Paste("north"))
        app.post_message(events.Key("enter", "\r"))
        await app.keys_settled()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, PortfolioScreen)
        assert screen.query_one("#filter-text", Input).value == "north"
        assert row_keys(screen.query_one(PortfolioTable)) == ["northwind"]


@pytest.mark.parametrize("speed", SPEEDS)
async def test_keys_after_opening_a_partnership_go_to_it(sample_store, speed):
    """Enter opens the highlighted partnership; the 2 that follows picks its Commitments
    tab, and j moves down that tab's table."""
    app = make_app(sample_store)
    async with app.run_test(size=SIZE) as pilot:
        await app.ready()
        await pilot.pause()
        await type_keys(app, pilot, speed, "enter", "2", "j")
        screen = app.screen
        assert isinstance(screen, PartnershipScreen) and screen.handle == "northwind"
        assert screen.query_one(TabbedContent).active == "commitments"
        table = screen.query_one("#commitment-table")
        assert app.focused is table and table.cursor_row == 1


async def test_keys_wait_for_the_rows_of_a_partnership_still_being_read(sample_store, monkeypatch):
    """The partnership's history is read slowly (a busy machine, a big store): the j typed
    in the same burst as the Enter that opened it still lands on the second commitment,
    not on a table without rows."""
    import time

    import trustledger.tui.dashboard.screens.partnership as module

    real = module.partnership_detail

    def slow(*args, **kwargs):
        time.sleep(0.4)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, "partnership_detail", slow)
    # Started as `trustledger` starts on a store with a read model: lean views, each
    # partnership's items read from its history when it is opened.
    LedgerService(sample_store, clock=CLOCK).rebuild(ModelConfig())
    app = make_app(sample_store, warm_start=True)
    async with app.run_test(size=SIZE) as pilot:
        await app.ready()
        await pilot.pause()
        assert not app.picture.get("northwind").detailed
        await burst(app, "enter", "2", "j")
        await app.keys_settled()
        await app.detail_ready()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, PartnershipScreen) and not screen.filling
        table = screen.query_one("#commitment-table")
        assert table.row_count > 1
        assert app.focused is table and table.cursor_row == 1


def slow_first_picture(monkeypatch, seconds: float) -> None:
    """Every live picture takes ``seconds`` longer to make (a busy machine, a big store)."""
    import time

    import trustledger.tui.service.live as live

    real = live.live_picture

    def slow(*args, **kwargs):
        time.sleep(seconds)
        return real(*args, **kwargs)

    monkeypatch.setattr(live, "live_picture", slow)


async def test_keys_typed_before_the_first_screen_wait_for_it(sample_store, monkeypatch):
    """The home screen is shown with the store's first picture; ``/north⏎`` typed before
    it (a paste, a script that does not wait) filters it: the keys are not lost, nor run
    as shortcuts on the empty screen in front of it."""
    import trustledger.tui.dashboard.app as app_module

    # The picture comes well after the keys, and nothing shows the screen before it (on a
    # busy machine the loading screen's wait could end before the keys are typed).
    monkeypatch.setattr(app_module, "FIRST_PICTURE_WAIT", 30.0)
    slow_first_picture(monkeypatch, 2.0)
    app = make_app(sample_store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.starting and not isinstance(app.screen, PortfolioScreen)
        await burst(app, "/", "north", "enter")
        await app.ready()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, PortfolioScreen)
        assert screen.query_one("#filter-text", Input).value == "north"
        assert row_keys(screen.query_one(PortfolioTable)) == ["northwind"]
        assert app.focused is screen.query_one(PortfolioTable)


async def test_the_first_picture_is_laid_out_once(sample_store, monkeypatch):
    """The home screen is mounted with the first picture: its rows are put in order once
    (at a million events that is ten thousand rows), not once more by a redraw."""
    sorts: list[int] = []
    real = PortfolioScreen._sort

    def counted(self, table):
        sorts.append(table.row_count)
        return real(self, table)

    monkeypatch.setattr(PortfolioScreen, "_sort", counted)
    app = make_app(sample_store)
    async with app.run_test(size=SIZE) as pilot:
        await app.ready()
        await pilot.pause()
        assert sorts == [10]
        assert row_keys(app.screen.query_one(PortfolioTable))[:1] == ["northwind"]


async def test_a_store_slow_to_answer_shows_the_home_screen_loading(sample_store, monkeypatch):
    """Without a picture after FIRST_PICTURE_WAIT, the home screen shows, loading; the
    rows come when the picture does."""
    from trustledger.tui.dashboard.app import FIRST_PICTURE_WAIT

    slow_first_picture(monkeypatch, FIRST_PICTURE_WAIT + 1.0)
    app = make_app(sample_store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(FIRST_PICTURE_WAIT + 0.3)
        screen = app.screen
        assert isinstance(screen, PortfolioScreen) and app.picture is None
        table = screen.query_one(PortfolioTable)
        assert table.loading and table.row_count == 0
        await app.ready()
        await pilot.pause()
        assert not table.loading and table.row_count == 10


@pytest.mark.parametrize("speed", SPEEDS)
async def test_a_search_typed_in_one_burst_is_a_search(sample_store, tmp_path, monkeypatch, speed):
    """On a partnership, ``/pipeline⏎`` searches: the p's write no review pack, the e's and
    the i's record nothing; the search box holds the word and the table shows its rows."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    app = make_app(sample_store)
    async with app.run_test(size=SIZE) as pilot:
        await app.ready()
        await pilot.pause()
        app.open_partnership("vantage-retail")
        await app.detail_ready()
        await pilot.pause()
        await type_keys(app, pilot, speed, "2", "/", "pipeline", "enter")
        screen = app.screen
        assert isinstance(screen, PartnershipScreen) and screen.handle == "vantage-retail"
        assert screen.query_one("#search", Input).value == "pipeline"
        table = screen.query_one("#commitment-table")
        assert row_keys(table) == ["h1-pipeline", "q4-pipeline"]
        assert app.focused is table
        assert not any(work.iterdir())  # no pack written


async def test_a_late_change_message_does_not_cut_the_search_short(sample_store):
    """Keys typed faster than the box's Changed messages are handled: the message of the
    first key arrives when the box holds the whole word, and the word stays."""
    app = make_app(sample_store)
    async with app.run_test(size=SIZE) as pilot:
        await app.ready()
        app.open_partnership("vantage-retail")
        await app.detail_ready()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, PartnershipScreen)
        search = screen.query_one("#search", Input)
        with search.prevent(Input.Changed):
            search.value = "pipeline"  # typed; its messages still on their way
        search.post_message(Input.Changed(search, "p"))  # the first key's, late
        await pilot.pause()
        assert search.value == "pipeline"
        assert row_keys(screen.query_one("#commitment-table")) == ["h1-pipeline", "q4-pipeline"]


async def test_a_value_pasted_right_after_opening_a_form_goes_into_it(sample_store):
    """r, c and a paste holding r, a and q, all queued before the first is handled: the
    paste lands in the form's first field; nothing records, audits or quits."""
    app = make_app(sample_store)
    async with app.run_test(size=SIZE) as pilot:
        await app.ready()
        await pilot.pause()
        app.post_message(events.Key("r", "r"))
        app.post_message(events.Key("c", "c"))
        app.post_message(events.Paste("quarterly-area-review"))
        await app.keys_settled()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, RecordScreen) and screen.event_type == "commitment_made"
        assert screen.query_one("#f-commitment", Input).value == "quarterly-area-review"
        assert app.is_running and not app.audit
