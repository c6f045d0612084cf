"""Keeping a DataTable in step with a list of rows, in place, without losing the cursor."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import RowDoesNotExist
from trustledger.tui.dashboard.widgets.cells import SortText

Cell = str | Text


def _order_cell(value: Cell, index: int) -> SortText:
    text = SortText(sort_key=index, end="", no_wrap=True)
    if isinstance(value, Text):
        text.append_text(value)
        text.justify = value.justify
    else:
        text.append(value)
    return text


def _same(a: object, b: object) -> bool:
    if isinstance(a, Text) and isinstance(b, Text):
        return (
            a.plain == b.plain
            and a.spans == b.spans
            and a.style == b.style
            and getattr(a, "sort_key", None) == getattr(b, "sort_key", None)
        )
    return a == b


def cursor_key(table: DataTable) -> str | None:
    if not table.row_count:
        return None
    try:
        row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
    except Exception:
        return None
    return row_key.value


def sync_rows(table: DataTable, rows: Sequence[tuple[str, Sequence[Cell]]]) -> None:
    """Make ``table`` show ``rows`` (key, cells) in that order, changing only what changed.

    The first column's cells carry the row's place, so one ``sort`` puts rows in order; the
    cursor then goes back to the row (by key) it was on.
    """
    keep = cursor_key(table)
    columns = [column.key for column in table.ordered_columns]
    wanted = {key for key, _ in rows}
    for key in [k.value for k in table.rows if k.value not in wanted]:
        table.remove_row(key)  # type: ignore[arg-type]
    order_changed = False
    for index, (key, cells) in enumerate(rows):
        values: list[Cell] = list(cells)
        values[0] = _order_cell(values[0], index)
        if key in table.rows:
            if table.get_row_index(key) != index:
                order_changed = True
            for column, value in zip(columns, values, strict=False):
                if not _same(table.get_cell(key, column), value):
                    table.update_cell(key, column, value)
        else:
            table.add_row(*values, key=key)
            order_changed = True
    if order_changed and columns:
        table.sort(columns[0], key=lambda cell: getattr(cell, "sort_key", 0))
    if keep is not None and keep in table.rows:
        try:
            index = table.get_row_index(keep)
        except RowDoesNotExist:
            return
        if index != table.cursor_row:
            table.move_cursor(row=index, scroll=False)


def setup_columns(
    table: DataTable, width: int, columns: Sequence[tuple[str, str, int | None]]
) -> None:
    """Add ``(label, key, width)`` columns; the one with width None takes what is left.

    ``width`` is the screen's; each column also takes two cells of padding, and one cell is
    kept for the vertical scrollbar, so nothing scrolls sideways.
    """
    fixed = sum(w for _, _, w in columns if w is not None)
    padding = 2 * len(columns)
    rest = max(6, width - fixed - padding - 2)
    for label, key, column_width in columns:
        table.add_column(label, key=key, width=column_width if column_width is not None else rest)
