"""The dashboard's table: a row changed in place is redrawn alone, and shows its new cells."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult
from trustledger.tui.dashboard.widgets.tables import (
    LedgerTable,
    add_row,
    move_row,
    row_keys,
    set_row,
)

from tests.test_tui_support import screen_text

ROWS = [("alpha", "0.11"), ("bravo", "0.22"), ("charlie", "0.33"), ("delta", "0.44")]


class OneTable(App[None]):
    def compose(self) -> ComposeResult:
        yield LedgerTable()

    def on_mount(self) -> None:
        table = self.query_one(LedgerTable)
        table.add_column("Name", key="name", width=10)
        table.add_column("Trust", key="trust", width=6)
        for name, trust in ROWS:
            table.add_row(Text(name), Text(trust), key=name)


def lines(table: LedgerTable) -> list[str]:
    return [table.render_line(y).text for y in range(len(ROWS) + 1)]


async def test_set_row_redraws_that_row_and_keeps_the_others_cached() -> None:
    app = OneTable()
    async with app.run_test(size=(40, 8)) as pilot:
        table = app.query_one(LedgerTable)
        await pilot.pause()
        before = lines(table)
        assert "0.22" in before[2]
        updates = table._update_count

        set_row(table, "bravo", {"trust": Text("0.99")})
        await pilot.pause()

        after = lines(table)
        assert "0.99" in after[2] and "0.22" not in after[2]
        assert [after[i] for i in (0, 1, 3, 4)] == [before[i] for i in (0, 1, 3, 4)]
        assert table._update_count == updates  # nothing else was thrown away
        assert table.get_cell("bravo", "trust").plain == "0.99"
        shown = screen_text(app)
        assert "0.99" in shown and "0.22" not in shown and "0.33" in shown


async def test_set_row_on_the_cursor_row_keeps_the_cursor_and_shows_the_change() -> None:
    app = OneTable()
    async with app.run_test(size=(40, 8)) as pilot:
        table = app.query_one(LedgerTable)
        table.move_cursor(row=2)
        await pilot.pause()
        set_row(table, "charlie", {"name": Text("charlie*"), "trust": Text("0.01")})
        await pilot.pause()
        assert table.cursor_row == 2
        assert "charlie*" in lines(table)[3] and "0.01" in screen_text(app)


async def test_move_row_and_add_row_keep_the_order_and_what_is_drawn() -> None:
    app = OneTable()
    async with app.run_test(size=(40, 10)) as pilot:
        table = app.query_one(LedgerTable)
        await pilot.pause()
        lines(table)  # the table's order is cached, as after any frame
        move_row(table, "delta", 0)
        add_row(table, "echo", [Text("echo"), Text("0.55")])
        move_row(table, "echo", 2)
        move_row(table, "alpha", 4)
        await pilot.pause()
        order = ["delta", "echo", "bravo", "charlie", "alpha"]
        assert row_keys(table) == order
        assert [table.get_row_index(key) for key in order] == [0, 1, 2, 3, 4]
        assert [row.key.value for row in table.ordered_rows] == order
        shown = [table.render_line(y).text for y in range(1, 6)]
        assert [line.split()[0] for line in shown] == order
        table.sort(
            "name", key=lambda text: text.plain
        )  # a sort afterwards starts from the same rows
        assert row_keys(table) == sorted(order)
