"""The dashboard's tables: vi keys, and keeping rows in step with the data in place.

A live update changes a row or two; :func:`set_row` redraws just those rows
(``DataTable.update_cell`` counts as a change of the whole table and redraws every visible
line, which on a busy store is most of the dashboard's CPU). A row whose place changed is
moved alone (:func:`move_row`), and a redraw of the whole table carries the order of its
rows over, which ``DataTable`` would otherwise make again by walking every row.

Every cell is shown as plain text: a ``str`` goes through ``terminal_safe`` and becomes a
``Text`` (a DataTable would otherwise read a ``str`` as Rich markup, so ``[b]`` in a stored
summary would turn bold, and ``[/]`` would fail to render).

A rendered cell is kept by what it shows (:class:`LedgerTable`), not by the table's count of
changes: a live update that changes one cell of a row renders that cell again, not the whole
table, and the dashboards a server runs for many clients render a cell they all show once.

A table of many rows can build its rows' cells when they are first read (:class:`LazyRows`,
:meth:`LedgerTable.build_rows_with`): a row is added without cells (:func:`add_row` with
``None``), and only the rows drawn, or read, have theirs made. A portfolio of ten thousand
partnerships makes the cells of the forty or so on screen; rows are ordered by keys the
screen holds (:func:`order_rows`), not by reading every row's cells.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import zip_longest
from typing import Any

from rich.style import Style
from rich.text import Text
from textual._two_way_dict import TwoWayDict
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Size
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, DuplicateKey, Row, RowDoesNotExist, RowKey
from trustledger.domain.text import terminal_safe
from trustledger.tui.dashboard.widgets.cells import SortText

Cell = str | Text

#: Rendered cells, kept by what they show; shared by every table in the process. Enough for
#: the cells on several screens at once (a 120x40 portfolio shows about 400), and no more: a
#: live view renders new cells all day, and the cache is the bound on them.
_RENDERED: LRUCache[tuple[Any, ...], Any] = LRUCache(2_000)


RowCells = dict[ColumnKey, Any]


class LazyRows(dict[RowKey, RowCells]):
    """A table's rows by key, each row's cells made by ``build`` when first read and kept
    until :meth:`forget` (a row held as ``None`` has not been made yet).

    DataTable reads its rows through ``[]`` and ``get`` (drawing, ``get_row``, ``get_cell``);
    both make a row that is not made yet. ``build`` returns ``None`` for a row it cannot make
    now; it is then read as blank cells and made again at its next reading.
    """

    def __init__(self, build: Callable[[RowKey], RowCells | None], blank: Callable[[], RowCells]):
        super().__init__()
        self._build = build
        self._blank = blank

    def __getitem__(self, key: RowKey) -> RowCells:
        row: RowCells | None = super().__getitem__(key)
        if row is None:
            row = self._build(key)
            if row is None:
                return self._blank()
            super().__setitem__(key, row)
        return row

    def get(self, key: RowKey, default: Any = None) -> Any:
        return self[key] if key in self else default  # noqa: SIM401 (made when read)

    def values(self) -> list[RowCells]:  # type: ignore[override]
        return [self[key] for key in self]

    def items(self) -> list[tuple[RowKey, RowCells]]:  # type: ignore[override]
        return [(key, self[key]) for key in self]

    def made(self, key: RowKey) -> bool:
        """Whether the row ``key``'s cells are made (and held)."""
        return super().get(key) is not None

    def add(self, keys: Iterable[RowKey]) -> None:
        """Hold the rows ``keys`` with their cells not made yet."""
        unmade: dict[RowKey, Any] = dict.fromkeys(keys)
        dict.update(self, unmade)

    def forget(self, key: RowKey | None = None) -> None:
        """Let the cells of row ``key`` go (every row's, for ``None``): made again when read."""
        if key is None:
            self.add(list(self))
        elif key in self:
            self.add((key,))


class LedgerTable(DataTable):
    """A DataTable with ``j``/``k``/``g``/``G`` beside the arrows, Home and End, and Enter
    shown in the footer."""

    BINDINGS = [
        Binding("enter", "select_cursor", "Open"),
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("g", "scroll_top", "Top", show=False),
        Binding("G", "scroll_bottom", "Bottom", show=False),
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Body cells are kept in the shared cache by what they show (``_render_cell``):
        # DataTable's own cache of them (ten thousand, keyed by the table's count of
        # changes) would fill with every cell a live view ever drew, and hold a second copy.
        self._cell_render_cache = LRUCache(500)
        # The rendered rows and lines are keyed by that count too: each live update leaves
        # the last screen's behind. A few screens' worth is what drawing uses.
        self._row_render_cache = LRUCache(200)
        self._line_cache = LRUCache(200)

    def build_rows_with(
        self, build: Callable[[RowKey], RowCells | None], blank: Callable[[], RowCells]
    ) -> None:
        """Make each row's cells when first read, with ``build`` (see :class:`LazyRows`);
        call before any row is added."""
        self._data = LazyRows(build, blank)

    @property
    def lazy_rows(self) -> LazyRows | None:
        """The rows, when their cells are made as they are read."""
        return self._data if isinstance(self._data, LazyRows) else None

    def _render_cell(
        self,
        row_index: int,
        column_index: int,
        base_style: Style,
        width: int,
        cursor: bool = False,
        hover: bool = False,
    ) -> Any:
        # DataTable keeps a rendered cell until any cell of the table changes; here a body
        # cell is kept for as long as its text, place, width and styles are the same.
        if row_index < 0 or column_index < 0:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        row_key = self._row_locations.get_key(row_index)
        column_key = self._column_locations.get_key(column_index)
        if row_key is None or column_key is None:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        value = self._data.get(row_key, {}).get(column_key)
        row = self.rows.get(row_key)
        if not isinstance(value, Text) or row is None or row.auto_height:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        styles = self._get_styles_to_render_cell(
            False,
            False,
            row_index < self.fixed_rows or column_index < self.fixed_columns,
            hover,
            cursor,
            self.show_cursor,
            self._show_hover_cursor,
            self.cursor_foreground_priority == "css",
            self.cursor_background_priority == "css",
        )
        key = (
            value.plain,
            tuple(value.spans),
            value.style,
            value.justify,
            value.overflow,
            value.no_wrap,
            value.end,
            row_index,
            column_index,
            base_style,
            styles,
            width,
            row.height,
            self.cell_padding,
            self.app.console.encoding,
        )
        found = _RENDERED.get(key)
        if found is None:
            found = super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
            _RENDERED[key] = found
        return found

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        # Every column of the dashboard's tables has its width set (``setup_columns``) and
        # every row is one line high, yet DataTable measures each cell of each new row to
        # find the columns' content widths, which only columns without a width use: for a
        # portfolio of ten thousand rows, most of its first screen. Nothing needs measuring
        # then; only the virtual size is worked out, as DataTable does after measuring.
        if any(column.auto_width for column in self.columns.values()):
            super()._update_dimensions(new_rows)
            return
        rows = self.rows
        for row_key in new_rows:
            row = rows.get(row_key)
            if row is not None and (row.auto_height or row.label is not None):
                super()._update_dimensions(new_rows)
                return
        width = sum(column.get_render_width(self) for column in self.columns.values())
        header_height = self.header_height if self.show_header else 0
        self.virtual_size = Size(
            width + self._row_label_column_width, self._total_row_height + header_height
        )


def set_row(table: DataTable, key: str, cells: Mapping[str, Cell]) -> None:
    """Put ``cells`` (column key: value) in the row ``key`` and redraw that row only.

    ``DataTable`` keys its render caches on a count of updates that ``update_cell``
    raises, so every cached line of the table goes with one changed cell. Here only what
    was cached for this row (its cells, its lines, its renderables) is dropped and only
    its region refreshed; the count moves on only where rows move (sorting), as before.
    This leans on the caches of Textual 8's ``DataTable``; the live tests redraw through
    it and check the screen.
    """
    index = table._row_locations.get(RowKey(key))
    if index is None:
        return
    # The table's own key object: the caches hold it, so identity finds its entries fast
    # (the cell cache holds up to 10,000 of them).
    row_key: Any = table._row_locations.get_key(index)
    data = table._data[row_key]
    for column, value in cells.items():
        data[ColumnKey(column)] = value
    caches: tuple[Any, ...] = (table._row_render_cache, table._cell_render_cache)
    for cache in caches:
        for cached in [k for k in cache.keys() if k[0] is row_key]:  # noqa: SIM118
            cache.discard(cached)
    table._row_renderable_cache.discard((table._update_count, index))
    region = table._get_row_region(index)
    lines = range(region.y, region.bottom)
    line_cache: Any = table._line_cache
    for cached in [k for k in line_cache.keys() if k[0] in lines]:  # noqa: SIM118
        line_cache.discard(cached)
    table._refresh_region(region)


#: Past this many changed rows, one redraw of the whole table costs less than row by row.
FEW_ROWS = 8


def set_rows(table: DataTable, changes: Mapping[str, Mapping[str, Cell]]) -> None:
    """Put each row's changed ``cells`` (row key: column key: value) in place: a few rows
    redrawn alone (:func:`set_row`), many with one redraw of what the table shows."""
    if len(changes) <= FEW_ROWS:
        for key, cells in changes.items():
            set_row(table, key, cells)
        return
    data = table._data
    for key, cells in changes.items():
        row = data.get(RowKey(key))
        if row is None:
            continue
        for column, value in cells.items():
            row[ColumnKey(column)] = value
    _redraw(table)


def _redraw(table: DataTable, edit: Callable[[list[Any]], None] | None = None) -> None:
    """Draw the table's visible lines again (what ``update_cell`` and ``sort`` do: a new
    update count, which every cached line is keyed on), carrying over the order of its rows
    (``edit``: how the rows moved), which ``DataTable`` would make again by walking every
    row."""
    count = table._update_count
    rows = table.row_count
    ordered = table._ordered_row_cache.get((rows, count))
    offsets = table._offset_cache.get(count)
    table._update_count = count + 1
    # The lists are changed in place: their old keys are never asked for again.
    if ordered is not None:
        if edit is not None:
            edit(ordered)
        table._ordered_row_cache[(rows, count + 1)] = ordered
    # One line per row (the only layout these tables use): a line's offset is its row's.
    if offsets is not None and len(offsets) == rows:
        if edit is not None:
            edit(offsets)
        table._offset_cache[count + 1] = offsets
    table.refresh()


def move_row(table: DataTable, key: str, index: int) -> None:
    """Put the row ``key`` at ``index``, the rows between moving by one: what a ``sort``
    does for one row whose place changed, without sorting every row."""
    locations: Any = table._row_locations
    old = locations.get(RowKey(key))
    if old is None or old == index:
        return
    forward, reverse = locations._forward, locations._reverse
    row_key = reverse[old]
    if index < old:
        shifted = [reverse[i] for i in range(index, old)]
        places = range(index + 1, old + 1)
    else:
        shifted = [reverse[i] for i in range(old + 1, index + 1)]
        places = range(old, index)
    reverse.update(zip(places, shifted, strict=True))
    forward.update(zip(shifted, places, strict=True))
    reverse[index] = row_key
    forward[row_key] = index

    def edit(rows: list[Any]) -> None:
        rows.insert(index, rows.pop(old))

    _redraw(table, edit)


def add_row(table: DataTable, key: str, cells: Sequence[Cell] | None) -> None:
    """Add a row one line high at the end, carrying over the order of the others; ``None``
    for ``cells`` adds it without them, to be made when read (a table with
    :class:`LazyRows`).

    What ``DataTable.add_row`` does, but for two things done once per table rather than per
    row: it works out the columns' order, and assigns the cursor to itself (a reactive whose
    validation and watchers ran ten thousand times for a first screen of as many rows).
    The first row goes through ``DataTable.add_row``, which sets the cursor up."""
    count = table._update_count
    rows = table.row_count
    if rows == 0:
        table.add_row(*(cells or ()), key=key)
        if cells is None:
            _lazy(table).forget(RowKey(key))
        return
    row_key = RowKey(key)
    if row_key in table._row_locations:
        raise DuplicateKey(f"The row key {row_key!r} already exists.")
    columns = _column_keys(table)
    if cells is not None and len(cells) > len(columns):
        raise ValueError("More values provided than there are columns.")
    ordered = table._ordered_row_cache.get((rows, count))
    offsets = table._offset_cache.get(count)
    table._row_locations[row_key] = rows
    if cells is None:
        _lazy(table).add((row_key,))
    else:
        table._data[row_key] = dict(zip_longest(columns, cells))
    table.rows[row_key] = Row(row_key, 1, None, False)
    table._new_rows.add(row_key)
    table._require_update_dimensions = True
    table._update_count += 1
    table.check_idle()
    count = table._update_count
    if ordered is not None:
        ordered.append(table.rows[row_key])
        table._ordered_row_cache[(rows + 1, count)] = ordered
    if offsets is not None and len(offsets) == rows:
        offsets.append((row_key, 0))
        table._offset_cache[count] = offsets


def add_rows(table: DataTable, keys: Sequence[str]) -> None:
    """Add rows one line high without their cells (made when read: a table with
    :class:`LazyRows`) at the end, in the order of ``keys``: :func:`add_row` for many rows,
    its bookkeeping done once."""
    if not keys:
        return
    if table.row_count == 0:
        add_row(table, keys[0], None)
        keys = keys[1:]
    lazy = _lazy(table)
    new = [RowKey(key) for key in keys]
    if len(set(keys)) != len(keys) or any(row_key in table.rows for row_key in new):
        raise DuplicateKey("a row key given already exists")
    count = table._update_count
    start = table.row_count
    ordered = table._ordered_row_cache.get((start, count))
    offsets = table._offset_cache.get(count)
    locations: Any = table._row_locations
    places = range(start, start + len(new))
    locations._forward.update(zip(new, places, strict=True))
    locations._reverse.update(zip(places, new, strict=True))
    lazy.add(new)
    made = [Row(row_key, 1, None, False) for row_key in new]
    table.rows.update(zip(new, made, strict=True))
    measure = any(column.auto_width for column in table.columns.values())
    if measure:
        table._new_rows.update(new)
        table._require_update_dimensions = True
    table._update_count += 1
    table.check_idle()
    count = table._update_count
    rows = table.row_count
    if ordered is not None:
        ordered.extend(made)
        table._ordered_row_cache[(rows, count)] = ordered
    if offsets is not None and len(offsets) == start:
        offsets.extend((row_key, 0) for row_key in new)
        table._offset_cache[count] = offsets
    if not measure:
        # Every column has its width: the table's size is known now (nothing to measure),
        # so the first frame is laid out with it instead of once more when idle.
        table._update_dimensions(new)


def _lazy(table: DataTable) -> LazyRows:
    rows = table._data
    if not isinstance(rows, LazyRows):
        raise TypeError("rows without cells need a table that makes them (build_rows_with)")
    return rows


def order_rows(table: DataTable, keys: Iterable[str]) -> None:
    """Show the rows in the order of ``keys`` (every row's key once): what ``sort`` does,
    from an order the caller worked out, without reading any row's cells."""
    own = {row_key.value: row_key for row_key in table.rows}
    table._row_locations = TwoWayDict({own[key]: index for index, key in enumerate(keys)})
    table._update_count += 1
    table.refresh()


def remove_rows(table: DataTable, keys: Iterable[str]) -> None:
    """Remove the rows ``keys`` at once (``remove_row`` renumbers every row for each one)."""
    gone = {RowKey(key) for key in keys} & table.rows.keys()
    if not gone:
        return
    locations: Any = table._row_locations
    kept = [row_key for _, row_key in sorted(locations._reverse.items()) if row_key not in gone]
    for row_key in gone:
        del table.rows[row_key]
        dict.pop(table._data, row_key, None)
    table._updated_cells = {cell for cell in table._updated_cells if cell.row_key not in gone}
    table._row_locations = TwoWayDict({row_key: index for index, row_key in enumerate(kept)})
    table.cursor_coordinate = table.cursor_coordinate
    table.hover_coordinate = table.hover_coordinate
    table._require_update_dimensions = True
    table._update_count += 1
    table.refresh(layout=True)


def forget_rows(table: DataTable) -> None:
    """Let every row's cells go, to be made again when drawn (after what every row shows
    changed: a new picture, a theme); the table is drawn again."""
    _lazy(table).forget()
    _redraw(table)


def _column_keys(table: DataTable) -> list[ColumnKey]:
    """The keys of ``table``'s columns in order (kept until a column is added)."""
    kept: tuple[int, list[ColumnKey]] | None = getattr(table, "_ledger_columns", None)
    if kept is None or kept[0] != len(table.columns):
        kept = (len(table.columns), [column.key for column in table.ordered_columns])
        table._ledger_columns = kept  # type: ignore[attr-defined]
    return kept[1]


def visible_rows(table: DataTable, margin: int = 2) -> range:
    """The indexes of the rows on screen (and ``margin`` more either way), for tables of
    rows one line high."""
    top = max(0, round(table.scroll_y) - margin)
    return range(top, min(table.row_count, top + table.size.height + 2 * margin))


def as_text(value: Cell) -> Text:
    """A cell as plain, terminal-safe text (a ``Text`` is already made by the caller) that
    ends in ``…`` where its column cuts it, so a cut never passes for the whole value."""
    if isinstance(value, Text):
        if value.overflow is None:
            value.overflow = "ellipsis"
        value.no_wrap = True
        return value
    return Text(terminal_safe(value), end="", no_wrap=True, overflow="ellipsis")


def _order_cell(value: Cell, index: int) -> SortText:
    text = SortText(sort_key=index, end="", no_wrap=True, overflow="ellipsis")
    value = as_text(value)
    text.append_text(value)
    text.justify = value.justify
    return text


def same_cell(a: object, b: object) -> bool:
    """Whether two cells show the same (text, styles and sort key alike)."""
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


def row_keys(table: DataTable) -> list[str]:
    """The keys of the rows, in the order shown."""
    return [str(row.key.value) for row in table.ordered_rows]


def move_to(table: DataTable, key: str) -> bool:
    """Put the cursor on the row ``key`` (scrolling to it); False when there is none."""
    try:
        index = table.get_row_index(key)
    except RowDoesNotExist:
        return False
    table.move_cursor(row=index, scroll=True)
    return True


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
    changes: dict[str, dict[str, Text]] = {}
    for index, (key, cells) in enumerate(rows):
        values: list[Text] = [as_text(value) for value in cells]
        values[0] = _order_cell(values[0], index)
        if key in table.rows:
            if table.get_row_index(key) != index:
                order_changed = True
            changed = {
                str(column.value): value
                for column, value in zip(columns, values, strict=False)
                if not same_cell(table.get_cell(key, column), value)
            }
            if changed:
                changes[key] = changed
        else:
            table.add_row(*values, key=key)
            order_changed = True
    set_rows(table, changes)
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


def table_rows(table: DataTable) -> tuple[list[str], list[list[str]]]:
    """What a table shows, as plain text: its headers and its rows in their order."""
    headers = [column.label.plain for column in table.ordered_columns]
    rows = [[_plain(cell) for cell in table.get_row_at(index)] for index in range(table.row_count)]
    return headers, rows


def _plain(value: object) -> str:
    return value.plain if isinstance(value, Text) else str(value)


def matching(
    rows: Sequence[tuple[str, Sequence[Cell]]], query: str, extra: Callable[[str], str]
) -> list[tuple[str, Sequence[Cell]]]:
    """The rows whose text (their cells, and ``extra(key)``: the row's full text) holds every
    word of ``query``, case-insensitively."""
    words = query.lower().split()
    if not words:
        return list(rows)
    found = []
    for key, cells in rows:
        hay = " ".join([*(_plain(c) for c in cells), extra(key)]).lower()
        if all(word in hay for word in words):
            found.append((key, cells))
    return found
