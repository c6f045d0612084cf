"""The portfolio screen under live updates: rows move to their place alone, and revenue
shares follow the portfolio's total on the rows on screen (the others when they show)."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.widgets.data_table import RowKey
from trustledger.domain.store import parse_store_url
from trustledger.projections import Follower, PartnershipView
from trustledger.tui.dashboard.screens import portfolio
from trustledger.tui.dashboard.screens.portfolio import PortfolioScreen, PortfolioTable, _sort_key
from trustledger.tui.dashboard.widgets.tables import row_keys, table_rows, visible_rows
from trustledger.tui.service.live import LiveUpdate, Picture, live_picture

from tests.test_projections_streams import BASE_DAY, Stream
from tests.test_tui_support import make_app

SIZE = (150, 24)  # wide: the revenue column shows; about 18 of the rows on screen
COUNT = 60


class Feed:
    """A shared live view the test hands updates to."""

    def __init__(self) -> None:
        self.emit: Callable[[LiveUpdate], None] | None = None

    def subscribe(self, emit: Callable[[LiveUpdate], None], failed: Any) -> Callable[[], None]:
        self.emit = emit
        return lambda: None


def portfolio_stream() -> Stream:
    stream = Stream()
    rng = random.Random(3)
    for n in range(COUNT):
        handle = f"p{n:02d}"
        stream.register(handle, BASE_DAY, name=f"Partner {rng.randrange(10**6):06d} {n}")
        stream.commit(handle, "c1", BASE_DAY)
        stream.revenue(handle, f"{BASE_DAY:%Y-%m}", rng.randint(10, 1000), BASE_DAY)
    return stream


def expected_order(screen: PortfolioScreen, picture: Picture) -> list[str]:
    column = screen._sorted_by()

    def key(view: PartnershipView) -> tuple[Any, Any]:
        return (_sort_key(column, view), _sort_key("name", view))

    views = sorted(picture.portfolio.partnerships, key=key, reverse=screen.sort_reverse)
    return [view.handle for view in views]


def share_text(view: PartnershipView | None) -> str:
    assert view is not None
    return "—" if view.revenue_share is None else f"{view.revenue_share:.0%}"


def shown_shares(table: PortfolioTable) -> dict[str, str]:
    """The revenue cells of the rows on screen."""
    found = {}
    for index in visible_rows(table, margin=0):
        key = table._row_locations.get_key(index)
        assert key is not None
        found[str(key.value)] = table.get_cell(key, "revenue").plain
    return found


async def first_picture(
    app: Any, pilot: Any, feed: Feed, follower: Follower, as_of: Any
) -> tuple[PortfolioScreen, PortfolioTable, Picture]:
    """Hand the running app ``follower``'s first live picture; its portfolio screen, table
    and that picture once shown."""
    await pilot.pause()
    assert feed.emit is not None
    picture = live_picture(follower, as_of)
    feed.emit(LiveUpdate(picture, initial=True))
    await app.ready()
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, PortfolioScreen)
    return screen, screen.query_one(PortfolioTable), picture


async def test_live_rows_move_alone_and_shares_follow_on_screen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stream = portfolio_stream()
    follower = Follower()
    follower.apply(stream.events)
    as_of = BASE_DAY + timedelta(days=1)
    feed = Feed()
    app = make_app(parse_store_url(str(tmp_path / "empty.sqlite")), live=feed)
    async with app.run_test(size=SIZE) as pilot:
        screen, table, picture = await first_picture(app, pilot, feed, follower, as_of)
        assert row_keys(table) == expected_order(screen, picture)
        sorts = 0
        original_sort = portfolio.order_rows

        def counting_sort(*args: Any, **kwargs: Any) -> Any:
            nonlocal sorts
            sorts += 1
            return original_sort(*args, **kwargs)

        monkeypatch.setattr(portfolio, "order_rows", counting_sort)
        rng = random.Random(5)
        for step in range(24):
            handle = f"p{rng.randrange(COUNT):02d}"
            day = BASE_DAY + timedelta(days=1)
            if step % 3 == 0:
                record = stream.revenue(handle, f"{BASE_DAY:%Y-%m}", rng.randint(10, 5000), day)
            elif step % 3 == 1:
                record = stream.raise_issue(handle, f"i{step}", day, severity="high")
            else:
                record = (
                    stream.miss(handle, "c1", day)
                    if step < 12
                    else stream.commit(handle, f"c{step}", day)
                )
            if step == 12:
                screen.set_sort("revenue", False)
                await pilot.pause()
            if step == 18:
                table.action_scroll_bottom()
                await pilot.pause()
            before = picture
            changed = follower.apply([record])
            picture = live_picture(follower, as_of, changed, before.position)
            feed.emit(LiveUpdate(picture, changed=set(changed)))
            await pilot.pause()
            assert row_keys(table) == expected_order(screen, picture), step
            assert table.ordered_rows == [table.rows[RowKey(k)] for k in row_keys(table)]
            shown = shown_shares(table)
            assert shown == {h: share_text(picture.get(h)) for h in shown}, step
        assert sorts == 1  # only the one asked for (by revenue): every live row moved alone

        # Rows that come into view show the shares of the picture on screen.
        table.action_scroll_top()
        await pilot.pause()
        shown = shown_shares(table)
        assert len(shown) > 10
        assert shown == {h: share_text(picture.get(h)) for h in shown}


def made_rows(table: PortfolioTable) -> set[str]:
    rows = table.lazy_rows
    assert rows is not None
    return {str(key.value) for key in rows if rows.made(key)}


def shown_cells(screen: PortfolioScreen, picture: Picture, keys: list[str]) -> list[list[str]]:
    """What each row of ``keys`` should show for ``picture``, as plain text."""
    cells = []
    for key in keys:
        view = picture.get(key)
        assert view is not None
        cells.append([cell.plain for cell in screen.row_cells(view, picture).values()])
    return cells


async def test_only_the_rows_drawn_have_their_cells_made(tmp_path: Path) -> None:
    stream = portfolio_stream()
    follower = Follower()
    follower.apply(stream.events)
    as_of = BASE_DAY + timedelta(days=1)
    feed = Feed()
    app = make_app(parse_store_url(str(tmp_path / "empty.sqlite")), live=feed)
    async with app.run_test(size=SIZE) as pilot:
        screen, table, picture = await first_picture(app, pilot, feed, follower, as_of)
        on_screen = {str(table._row_locations.get_key(i).value) for i in visible_rows(table)}
        assert table.row_count == COUNT
        assert len(made_rows(table)) >= 10 and made_rows(table) <= on_screen

        # A live update of a row off screen changes what it shows when it is read.
        off = row_keys(table)[-1]
        assert off not in made_rows(table)
        before = picture
        changed = follower.apply([stream.raise_issue(off, "late", as_of, severity="high")])
        picture = live_picture(follower, as_of, changed, before.position)
        feed.emit(LiveUpdate(picture, changed=set(changed)))
        await pilot.pause()
        assert row_keys(table) == expected_order(screen, picture)
        _, rows = table_rows(table)  # reads (makes) every row
        assert rows == shown_cells(screen, picture, row_keys(table))
        assert made_rows(table) == set(row_keys(table))

        # A filter drops rows at once and keeps the order; clearing it brings them back,
        # their cells made again only when drawn.
        screen.text_filter = "Partner 1"
        screen.refilter()
        await pilot.pause()
        wanted = [k for k in expected_order(screen, picture) if screen.matches(picture.get(k))]
        assert 0 < len(wanted) < COUNT and row_keys(table) == wanted
        screen.text_filter = ""
        screen.refilter()
        await pilot.pause()
        assert row_keys(table) == expected_order(screen, picture)
        assert len(made_rows(table)) < COUNT
        table.action_scroll_bottom()
        await pilot.pause()
        bottom = [str(table._row_locations.get_key(i).value) for i in visible_rows(table, 0)]
        assert bottom[-1] == row_keys(table)[-1]
        assert set(bottom) <= made_rows(table)
        assert [table_rows(table)[1][row_keys(table).index(k)] for k in bottom] == shown_cells(
            screen, picture, bottom
        )
