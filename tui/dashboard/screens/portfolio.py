"""The home screen: one row per partnership, the portfolio picture above, filters and sort.

Rows are keyed by handle and updated in place inside ``app.batch_update()``, and the cursor
is put back on the row it was on: a live update never moves the reader. A row's cells are made
when it is drawn (``LedgerTable.build_rows_with``), from the picture the rows show: a
portfolio of ten thousand partnerships makes the cells of the rows on screen, and orders its
rows by sort keys worked out from the views, not from cells. A live update touches only the
rows of the partnerships it changed, each moved alone to its place (a binary search, not a
sort of every row), and the revenue shares of the rows on screen: the portfolio's total moves
every share, and a row off screen gets its share when it comes into view.

Columns follow the width: from :data:`WIDE_AT` on the table adds kind and revenue share and
longer sparklines; below it, and down to any width, columns are hidden in a fixed order
(:attr:`Column.drop`) until the name keeps :data:`MIN_NAME` cells, and a line under the table
names what is hidden. Headers use the words of ``service.labels`` (the command line's and the
JSON's), and the sorted column's header carries ▼ or ▲.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.events import Resize
from textual.geometry import Region
from textual.screen import Screen
from textual.strip import Strip
from textual.widgets import DataTable, Input, Select, Static
from textual.widgets.data_table import ColumnKey, RowDoesNotExist, RowKey
from trustledger.domain.text import terminal_safe
from trustledger.projections.views import STATUSES, Listed, PartnershipView
from trustledger.tui.dashboard.export import report_csv, report_json
from trustledger.tui.dashboard.widgets.bars import KeysBar, ModeBar, PortfolioSummary
from trustledger.tui.dashboard.widgets.cells import (
    STATUS_RANK,
    Palette,
    cell,
    count_text,
    days_text,
    score_text,
    status_text,
)
from trustledger.tui.dashboard.widgets.tables import (
    LedgerTable,
    RowCells,
    add_row,
    add_rows,
    forget_rows,
    move_row,
    order_rows,
    remove_rows,
    row_keys,
    same_cell,
    set_rows,
    visible_rows,
)
from trustledger.tui.dashboard.widgets.tables import cursor_key as table_cursor_key
from trustledger.tui.service.labels import figure_word, status_label
from trustledger.tui.service.live import Picture

if TYPE_CHECKING:
    from trustledger.tui.dashboard.app import TrustLedgerApp

KINDS = ("customer", "channel", "alliance", "supplier", "other")
#: From this many columns on, the table shows kind and revenue share, longer sparklines and
#: the full words in its headers.
WIDE_AT = 112
#: The name column never gets fewer cells than this; columns are hidden instead.
MIN_NAME = 14
MAX_NAME = 32
#: Past this many rows to move in one update, one sort of the table costs less.
MOVES = 64


@dataclass(frozen=True)
class Column:
    key: str
    figure: str  # its words: service.labels.FIGURES[figure]
    narrow: int | None  # width below WIDE_AT (None: not shown)
    wide: int | None  # width from WIDE_AT on (0: the flexible name column)
    drop: int  # too narrow a screen hides the highest first (0: never hidden)
    right: bool = False


# Every width leaves a cell for the sort mark after the header's word.
COLUMNS: tuple[Column, ...] = (
    Column("name", "partnership", 0, 0, 0),
    Column("kind", "kind", None, 8, 8),
    Column("status", "status", 10, 10, 1),
    Column("trust", "trust", 9, 13, 2),
    Column("alignment", "alignment", 9, 13, 5),
    Column("overdue", "commitments.overdue", 8, 8, 3, right=True),
    Column("issues", "open_issues", 7, 7, 4, right=True),
    Column("review", "next_review_due", 8, 12, 6),
    Column("revenue", "revenue_share", None, 8, 7, right=True),
)
SORT_ORDER = (
    "name",
    "status",
    "trust",
    "alignment",
    "overdue",
    "issues",
    "review",
    "kind",
    "revenue",
)


def _sort_key(column: str, view: Listed) -> Any:
    if column == "name":
        return view.name.lower()
    if column == "kind":
        return (view.kind, view.name.lower())
    if column == "status":
        return (STATUS_RANK.get(view.status, 99), view.name.lower())
    if column == "trust":
        return -view.trust
    if column == "alignment":
        return 1.0 if view.alignment is None else -view.alignment
    if column == "overdue":
        return -view.counts.overdue
    if column == "issues":
        return -view.open_issue_count
    if column == "review":
        return view.next_review_due.toordinal() if view.next_review_due else 10**9
    if column == "revenue":
        # The revenue, not the share: the order is the same, and it stays put when the
        # portfolio's total moves every share (rows off screen keep their shares until seen).
        return -view.revenue_12m
    return view.handle


def clip(text: str, width: int) -> str:
    """``text`` cut to ``width`` cells with an ellipsis."""
    return text if len(text) <= width else text[: max(1, width - 1)] + "…"


def fit_columns(width: int) -> tuple[bool, tuple[str, ...], int]:
    """The layout for a screen ``width`` cells wide: wide or not, the columns shown (in
    order) and the name column's width.

    Each column takes two cells of padding and the table one for its scrollbar; columns are
    hidden (highest :attr:`Column.drop` first) until the name keeps :data:`MIN_NAME` cells.
    """
    wide = width >= WIDE_AT
    shown = [c for c in COLUMNS if (c.wide if wide else c.narrow) is not None]

    def room(columns: list[Column]) -> int:
        fixed = sum((c.wide if wide else c.narrow) or 0 for c in columns)
        return width - fixed - 2 * len(columns) - 1

    while room(shown) < MIN_NAME and any(c.drop for c in shown):
        shown.remove(max(shown, key=lambda c: c.drop))
    name_width = max(MIN_NAME, min(MAX_NAME, room(shown)))
    return wide, tuple(c.key for c in shown), name_width


class PortfolioTable(LedgerTable):
    """The partnerships table (its own class so the CSS and tests can find it)."""

    _drew_picture = False

    def render_lines(self, crop: Region) -> list[Strip]:
        lines = super().render_lines(crop)
        screen = self.screen
        if not self._drew_picture and isinstance(screen, PortfolioScreen) and screen.showing_rows:
            # The first rows are drawn (the frame is written once this returns): the app
            # tells the follow worker, which then opens the ledger and makes the rest of
            # the views, work that would otherwise compete with drawing these.
            self._drew_picture = True
            self.app.call_later(screen.tl_app.picture_drawn)
        return lines

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        screen = self.screen
        if isinstance(screen, PortfolioScreen) and round(old_value) != round(new_value):
            screen.fresh_shares()


class PortfolioScreen(Screen):
    """The portfolio: every partnership at the as-of date."""

    AUTO_FOCUS = "PortfolioTable"

    BINDINGS = [
        Binding("slash", "filter", "Filter"),
        Binding("f", "cycle_status", "Status"),
        Binding("F", "cycle_kind", "Kind", show=False),
        Binding("s", "sort", "Sort"),
        Binding("S", "sort_reverse", "Reverse sort", show=False),
        Binding("escape", "clear_filter", "Clear filter", show=False),
        Binding("x", "app.export", "Export", show=False),
    ]

    DEFAULT_CSS = """
    PortfolioScreen #filters {
        height: 1;
        padding: 0 1;
    }
    PortfolioScreen #filter-text {
        width: 1fr;
        margin-right: 1;
    }
    PortfolioScreen #filter-status {
        width: 20;
    }
    PortfolioScreen #filter-kind {
        width: 16;
    }
    PortfolioScreen PortfolioTable {
        height: 1fr;
    }
    PortfolioScreen #hidden-columns {
        height: auto;
        padding: 0 1;
        color: $foreground-muted;
        display: none;
    }
    PortfolioScreen #hidden-columns.-shown {
        display: block;
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self.picture: Picture | None = None
        self.sort_column = "status"
        self.sort_reverse = False
        self.wide: bool | None = None
        self.shown: tuple[str, ...] = ()
        self.name_width = MIN_NAME
        # Each row's cells, by handle: ``None`` for a row whose cells are not made yet (they
        # are made when it is drawn, from ``_rows_picture``). ``_keys``: each row's place in
        # the order shown (the sorted column's key, then the name's).
        self._cells: dict[str, dict[str, Text] | None] = {}
        self._keys: dict[str, tuple[Any, Any]] = {}
        self._rows_picture: Picture | None = None
        # The live picture the rows show (position, as-of date), and its revenue total:
        # a live update that names its changes since it touches only those rows.
        self._shown: tuple[int | None, object] | None = None
        self._shown_total = 0.0
        self.status_filter: str | None = None
        self.kind_filter: str | None = None
        self.text_filter = ""
        self.mounted = False

    @property
    def tl_app(self) -> TrustLedgerApp:
        return self.app  # type: ignore[return-value]

    @property
    def showing_rows(self) -> bool:
        """Whether the table holds the rows of a picture (drawn when it is next drawn)."""
        return self._rows_picture is not None

    def compose(self) -> ComposeResult:
        yield ModeBar(id="mode")
        yield PortfolioSummary(id="summary")
        with Horizontal(id="filters"):
            yield Input(
                placeholder="/ filter: name, handle, owner…", id="filter-text", compact=True
            )
            yield Select(
                [(status_label(s), s) for s in STATUSES],
                prompt="f: any status",
                id="filter-status",
                compact=True,
            )
            yield Select(
                [(k, k) for k in KINDS], prompt="F: any kind", id="filter-kind", compact=True
            )
        yield PortfolioTable(id="partnerships", cursor_type="row", zebra_stripes=False)
        yield Static(id="hidden-columns")
        yield KeysBar()

    def on_mount(self) -> None:
        prefs = self.tl_app.prefs
        if prefs.sort in SORT_ORDER:
            self.sort_column = prefs.sort
            self.sort_reverse = prefs.reverse
        table = self.query_one(PortfolioTable)
        table.build_rows_with(self._make_row, self._blank_row)
        self._layout(self.app.size.width, refresh=False)  # shown once, below
        table.focus()
        if self.tl_app.picture is None:
            table.loading = True
        self.mounted = True
        self.refresh_view()

    def on_screen_resume(self) -> None:
        # Back from a modal: the app's keys (hidden while it was open) apply again.
        self.app.refresh_bindings()

    # -- layout ---------------------------------------------------------------------------

    def on_resize(self, event: Resize) -> None:
        self._layout(event.size.width)
        self.call_after_refresh(self.fresh_shares)  # more rows may show

    def _layout(self, width: int, *, refresh: bool = True) -> None:
        wide, shown, name_width = fit_columns(width)
        if wide == self.wide and shown == self.shown and name_width == self.name_width:
            return
        self.wide = wide
        self.shown = shown
        self.name_width = name_width
        table = self.query_one(PortfolioTable)
        key = self.cursor_key()
        # A change of layout (a resize) is the one time rows are rebuilt.
        table.clear(columns=True)
        self._cells.clear()
        self._keys.clear()
        self._shown = None
        for column in self.columns():
            table.add_column(self._header(column), key=column.key, width=self._width(column))
        available = [c for c in COLUMNS if (c.wide if wide else c.narrow) is not None]
        hidden = [figure_word(c.figure) for c in available if c.key not in shown]
        note = self.query_one("#hidden-columns", Static)
        note.update(
            Text(f"⋯ not shown at this width: {', '.join(hidden)} (widen the terminal)")
            if hidden
            else ""
        )
        note.set_class(bool(hidden), "-shown")
        if refresh:
            self.refresh_view(restore=key)

    def columns(self) -> list[Column]:
        return [c for c in COLUMNS if c.key in self.shown]

    def _width(self, column: Column) -> int:
        if column.key == "name":
            return self.name_width
        return (column.wide if self.wide else column.narrow) or 0

    def _header(self, column: Column) -> Text:
        word = figure_word(column.figure, short=not self.wide)
        label = word[:1].upper() + word[1:]
        if column.key == self.sort_column:
            label += "▲" if self.sort_reverse else "▼"
        return Text(label, justify="right" if column.right else "left")

    # -- data -----------------------------------------------------------------------------

    def show_picture(self, picture: Picture | None) -> None:
        self.picture = picture
        if self.mounted:  # before that, on_mount shows what there is
            self.refresh_view()

    def refresh_view(self, restore: str | None = None) -> None:
        app = self.tl_app
        picture = app.picture
        table = self.query_one(PortfolioTable)
        self.query_one(ModeBar).show(
            audit=app.audit,
            as_of=app.as_of,
            known_at=app.known_at,
            events=picture.position if picture else None,
            store=app.store_label,
            narrow=not self.wide,
            reconnecting=app.reconnecting,
        )
        self.query_one(PortfolioSummary).show(picture, Palette.of(self.app))
        table.loading = picture is None or app.replaying
        if picture is None:
            return
        self.update_rows(picture, restore)

    def matches(self, view: Listed) -> bool:
        if self.status_filter and view.status != self.status_filter:
            return False
        if self.kind_filter and view.kind != self.kind_filter:
            return False
        if self.text_filter:
            needle = self.text_filter.lower()
            hay = " ".join(
                [
                    view.handle,
                    view.name,
                    view.kind,
                    view.owner or "",
                    status_label(view.status),
                    view.reason,
                ]
            ).lower()
            if not all(word in hay for word in needle.split()):
                return False
        return True

    def row_cells(self, view: PartnershipView, picture: Picture) -> dict[str, Text]:
        palette = Palette.of(self.app)
        wide = bool(self.wide)
        points = 8 if wide else 4
        series = picture.sparks.get(view.handle, [])
        trusts = [p.trust for p in series]
        aligns = [p.alignment for p in series]
        review, late = days_text(view.next_review_due, picture.as_of)
        if wide and view.next_review_due:
            review = view.next_review_due.isoformat()
        share = view.revenue_share
        cells: dict[str, Text] = {
            "name": cell(clip(terminal_safe(view.name), self.name_width), _sort_key("name", view)),
            "kind": cell(view.kind, _sort_key("kind", view)),
            "status": cell(status_text(view.status, palette), _sort_key("status", view)),
            "trust": cell(
                score_text(view.trust, trusts, palette, points, muted=view.status == "unproven"),
                _sort_key("trust", view),
            ),
            "alignment": cell(
                score_text(view.alignment, aligns, palette, points), _sort_key("alignment", view)
            ),
            "overdue": cell(
                count_text(view.counts.overdue, palette, "text-error"),
                _sort_key("overdue", view),
                justify="right",
            ),
            "issues": cell(
                count_text(len(view.open_issues), palette, "text-warning"),
                _sort_key("issues", view),
                justify="right",
            ),
            "review": cell(
                review,
                _sort_key("review", view),
                style=f"bold {palette('text-warning')}" if late else "",
            ),
            "revenue": cell(
                "—" if share is None else f"{share:.0%}",
                _sort_key("revenue", view),
                justify="right",
            ),
        }
        return {c.key: cells[c.key] for c in self.columns()}

    def update_rows(self, picture: Picture, restore: str | None = None) -> None:
        table = self.query_one(PortfolioTable)
        keep = restore or self.cursor_key()
        shown, self._shown = self._shown, None
        if (
            restore is None
            and picture.changed is not None
            and shown is not None
            and shown == (picture.since, picture.as_of)
        ):
            # A live update: only the rows of the partnerships it changed (and the revenue
            # column, when the portfolio's revenue moved) are looked at.
            self._update_changed(table, picture, shown_total=self._shown_total)
            self._restore_cursor(table, keep)
            self._shown = (picture.position, picture.as_of)
            self._shown_total = picture.portfolio.revenue_total_12m
            return
        # Filtered and ordered by what the views hold before revenue shares are worked out
        # (a row's share is worked out when it is drawn).
        unshared = picture.portfolio.unshared()
        wanted = {h: v for h in sorted(unshared) if self.matches(v := unshared[h])}
        self._shown = None if picture.audit else (picture.position, picture.as_of)
        self._shown_total = picture.portfolio.revenue_total_12m
        self._rows_picture = picture
        with self.app.batch_update():
            gone = [h for h in self._cells if h not in wanted]
            remove_rows(table, gone)
            for handle in gone:
                del self._cells[handle]
                self._keys.pop(handle, None)
            # Every row shows the new picture: the cells of the rows drawn are made again
            # (a cell that shows the same is drawn from the shared cache of rendered cells).
            self._cells = dict.fromkeys(self._cells)
            new = [handle for handle in wanted if handle not in self._cells]
            add_rows(table, new)
            self._cells.update(dict.fromkeys(new))
            forget_rows(table)
            self._sort(table)
            self._restore_cursor(table, keep)

    def _make_row(self, row_key: RowKey) -> RowCells | None:
        """The cells of the row ``row_key`` (a handle), from the picture the rows show."""
        picture = self._rows_picture
        handle = str(row_key.value)
        view = picture.get(handle) if picture is not None else None
        if picture is None or view is None:
            return None
        cells = self.row_cells(view, picture)
        self._cells[handle] = cells
        return {ColumnKey(key): value for key, value in cells.items()}

    def _blank_row(self) -> RowCells:
        return {ColumnKey(column.key): Text("") for column in self.columns()}

    def _order_key(self, view: Listed, column: str | None = None) -> tuple[Any, Any]:
        """Where ``view``'s row goes: by the sorted ``column`` (worked out when not given),
        then by name."""
        return (_sort_key(column or self._sorted_by(), view), _sort_key("name", view))

    def _row_changes(
        self, table: DataTable, view: PartnershipView, picture: Picture
    ) -> tuple[dict[str, Text], bool]:
        """The cells of the row of ``view`` that differ from those shown (a row not shown
        yet is added here, its cells made when drawn), and whether its place in the order
        changed (a new row, or a new key in the sorted column or the name)."""
        handle = view.handle
        key = self._order_key(view)
        moved = self._keys.get(handle) != key
        self._keys[handle] = key
        if handle not in self._cells:
            add_row(table, handle, None)
            self._cells[handle] = None
            return {}, True
        old = self._cells[handle]
        if old is None:  # not drawn yet: made from this picture when it is
            return {}, moved
        cells = self.row_cells(view, picture)
        self._cells[handle] = cells
        changed = {key: value for key, value in cells.items() if not same_cell(old.get(key), value)}
        return changed, moved

    def _update_changed(self, table: DataTable, picture: Picture, shown_total: float) -> None:
        """The rows of the partnerships ``picture.changed`` names, in place; a row whose
        place changed moves there alone. When the portfolio's revenue moved, the revenue
        shares of the rows on screen follow (the others when they come into view:
        :meth:`fresh_shares`)."""
        changed = picture.changed or frozenset()
        changes: dict[str, dict[str, Text]] = {}
        moved: list[str] = []
        removed = False
        self._rows_picture = picture
        with self.app.batch_update():
            for handle in sorted(changed):
                view = picture.get(handle)
                if view is None or not self.matches(view):
                    if handle in self._cells:
                        table.remove_row(handle)
                        del self._cells[handle]
                        self._keys.pop(handle, None)
                        removed = True
                    continue
                cells, row_moved = self._row_changes(table, view, picture)
                if cells:
                    changes[handle] = cells
                if row_moved:
                    moved.append(handle)
            set_rows(table, changes)
            if len(moved) > MOVES:
                self._sort(table)
            else:
                for handle in moved:
                    self._place(table, handle)
            if moved or removed or picture.portfolio.revenue_total_12m != shown_total:
                self._fresh_shares(table, picture)

    def _sorted_by(self) -> str:
        column = self.sort_column
        return column if column in {c.key for c in self.columns()} else "name"

    def _place(self, table: DataTable, handle: str) -> None:
        """Move the row of ``handle`` to its place in the order shown (the others are in
        order): a binary search over the rows, as :meth:`_sort` would order them."""
        locations: Any = table._row_locations
        old = table.get_row_index(handle)
        keys = self._keys

        def key_at(index: int) -> tuple[Any, ...]:
            return keys[locations.get_key(index).value]

        target = key_at(old)
        reverse = self.sort_reverse
        low, high = 0, table.row_count - 1  # places among the other rows
        while low < high:
            middle = (low + high) // 2
            other = key_at(middle if middle < old else middle + 1)
            if (other >= target) if reverse else (other <= target):
                low = middle + 1
            else:
                high = middle
        move_row(table, handle, low)

    def fresh_shares(self) -> None:
        """Bring the revenue shares of the rows on screen up to the current picture."""
        picture = self.tl_app.picture
        if picture is not None and self.mounted and self._shown is not None:
            with self.app.batch_update():
                self._fresh_shares(self.query_one(PortfolioTable), picture)

    def _fresh_shares(self, table: DataTable, picture: Picture) -> None:
        if "revenue" not in self.shown:
            return
        locations: Any = table._row_locations
        changes: dict[str, dict[str, Text]] = {}
        for index in visible_rows(table):
            row_key = locations.get_key(index)
            handle = row_key.value if row_key is not None else None
            cells = self._cells.get(handle) if handle is not None else None
            view = picture.get(handle) if handle is not None else None
            if cells is None or view is None or handle is None:
                continue
            share = view.revenue_share
            text = "—" if share is None else f"{share:.0%}"
            if cells["revenue"].plain != text:
                value = cell(text, _sort_key("revenue", view), justify="right")
                cells["revenue"] = value
                changes[handle] = {"revenue": value}
        set_rows(table, changes)

    def _sort(self, table: DataTable) -> None:
        # Each column's sort key puts the most telling rows first; ties go by name, then
        # the order the rows were added in.
        picture = self._rows_picture
        if picture is None:
            return
        keys = self._keys
        views = picture.portfolio.unshared()
        column = self._sorted_by()
        for handle in self._cells:
            view = views.get(handle)
            if view is not None:
                keys[handle] = self._order_key(view, column)
        order = sorted(self._cells, key=keys.__getitem__, reverse=self.sort_reverse)
        order_rows(table, order)

    def _restore_cursor(self, table: DataTable, key: str | None) -> None:
        if key is None or key not in table.rows:
            return
        try:
            index = table.get_row_index(key)
        except RowDoesNotExist:
            return
        if index != table.cursor_row:
            table.move_cursor(row=index, scroll=False)

    def cursor_key(self) -> str | None:
        return table_cursor_key(self.query_one(PortfolioTable))

    def restyle(self) -> None:
        """Re-render every cell (after a theme change)."""
        self._shown = None
        self.refresh_view()

    # -- actions --------------------------------------------------------------------------

    @on(DataTable.RowSelected, "PortfolioTable")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value:
            self.tl_app.open_partnership(event.row_key.value)

    def action_open(self) -> None:
        key = self.cursor_key()
        if key:
            self.tl_app.open_partnership(key)

    def action_filter(self) -> None:
        self.query_one("#filter-text", Input).focus()

    # -- export (the app's x) -------------------------------------------------------------

    def shown_views(self) -> list[PartnershipView]:
        """The partnerships the table shows, in its order (filters and sort applied)."""
        picture = self.tl_app.picture
        if picture is None:
            return []
        table = self.query_one(PortfolioTable)
        keys = row_keys(table)
        return [view for key in keys if key and (view := picture.get(key)) is not None]

    def export_name(self) -> tuple[str, str]:
        count = len(self.shown_views())
        return f"the portfolio ({count} partnerships shown)", f"portfolio-{self.tl_app.as_of}"

    def export_text(self, fmt: str) -> str:
        picture = self.tl_app.picture
        version = picture.portfolio.model_version if picture else ""
        views = self.shown_views()
        return report_json(views, version) if fmt == "json" else report_csv(views, version)

    def action_clear_filter(self) -> None:
        text = self.query_one("#filter-text", Input)
        status = self.query_one("#filter-status", Select)
        kind = self.query_one("#filter-kind", Select)
        if text.value:
            text.value = ""
        status.clear()
        kind.clear()
        self.query_one(PortfolioTable).focus()

    def action_sort(self) -> None:
        keys = [k for k in SORT_ORDER if k in self.shown]
        index = keys.index(self.sort_column) if self.sort_column in keys else -1
        self.set_sort(keys[(index + 1) % len(keys)], False)

    def action_sort_reverse(self) -> None:
        self.set_sort(self.sort_column, not self.sort_reverse)

    def set_sort(self, column: str, reverse: bool) -> None:
        self.sort_column = column
        self.sort_reverse = reverse
        self.tl_app.prefs.update(sort=column, reverse=reverse)
        table = self.query_one(PortfolioTable)
        for col in self.columns():
            table.columns[col.key].label = self._header(col)  # type: ignore[index]
        table.refresh()
        word = figure_word(next(c.figure for c in COLUMNS if c.key == column))
        self.notify(f"sorted by {word}{' (reversed)' if reverse else ''}", timeout=1.5)
        keep = self.cursor_key()
        self._sort(table)
        self._restore_cursor(table, keep)

    @on(DataTable.HeaderSelected, "PortfolioTable")
    def _header_clicked(self, event: DataTable.HeaderSelected) -> None:
        """A click on a header sorts by it; a second click reverses."""
        column = str(event.column_key.value)
        if column == self.sort_column:
            self.set_sort(column, not self.sort_reverse)
        else:
            self.set_sort(column, False)

    def action_cycle_status(self) -> None:
        select = self.query_one("#filter-status", Select)
        order: list[str | None] = [None, *STATUSES]
        index = order.index(self.status_filter) if self.status_filter in order else 0
        value = order[(index + 1) % len(order)]
        if value is None:
            select.clear()
        else:
            select.value = value

    def action_cycle_kind(self) -> None:
        select = self.query_one("#filter-kind", Select)
        order: list[str | None] = [None, *KINDS]
        index = order.index(self.kind_filter) if self.kind_filter in order else 0
        value = order[(index + 1) % len(order)]
        if value is None:
            select.clear()
        else:
            select.value = value

    @on(Input.Changed, "#filter-text")
    def _text_changed(self, event: Input.Changed) -> None:
        self.text_filter = event.value.strip()
        self.refilter()

    @on(Input.Submitted, "#filter-text")
    def _text_submitted(self) -> None:
        self.query_one(PortfolioTable).focus()

    @on(Select.Changed, "#filter-status")
    def _status_changed(self, event: Select.Changed) -> None:
        self.status_filter = None if event.value is Select.NULL else str(event.value)
        self.refilter()

    @on(Select.Changed, "#filter-kind")
    def _kind_changed(self, event: Select.Changed) -> None:
        self.kind_filter = None if event.value is Select.NULL else str(event.value)
        self.refilter()

    def refilter(self) -> None:
        self._shown = None  # another filter: every row is looked at again
        picture = self.tl_app.picture
        if picture is not None and self.mounted:
            self.update_rows(picture)
