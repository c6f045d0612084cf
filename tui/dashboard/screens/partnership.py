"""One partnership: its scores over time, commitments, reviews, issues, timeline, and why.

The summary, commitments, reviews and issues come from the current picture's
:class:`~trustledger.projections.views.PartnershipView`; the timeline, the trend chart and the
explanation need the partnership's events, read in a thread worker whenever the picture
moves on (a new event, another audit date).

The Overview lists every alert; Enter on one goes to the tab and row it is about (as the
alerts view does). ``/`` searches the commitments, issues, timeline and explain tables; Enter
on one of their rows shows its full text. Everything stored (names, owners, reasons,
summaries, resolutions, actors, descriptions) is shown terminal-safe and never as markup.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import (
    DataTable,
    Input,
    OptionList,
    Static,
    TabbedContent,
    TabPane,
    Tabs,
)
from textual.widgets.option_list import Option
from trustledger.domain.errors import LedgerError
from trustledger.domain.text import terminal_safe
from trustledger.projections.stored_views import with_items
from trustledger.projections.views import (
    Alert,
    PartnershipView,
    ReviewView,
)
from trustledger.tui.dashboard.export import csv_text, report_csv, report_json
from trustledger.tui.dashboard.screens.correct import CorrectionScreen
from trustledger.tui.dashboard.screens.partnership_rows import (
    commitment_rows,
    dimension_rows,
    explanation_rows,
    issue_rows,
    num,
    review_rows,
    signed,
    timeline_rows,
)
from trustledger.tui.dashboard.screens.text import TextScreen
from trustledger.tui.dashboard.widgets.bars import KeysBar, ModeBar
from trustledger.tui.dashboard.widgets.cells import Palette, plain, status_text
from trustledger.tui.dashboard.widgets.tables import (
    Cell,
    LedgerTable,
    cursor_key,
    matching,
    move_to,
    setup_columns,
    sync_rows,
    table_rows,
)
from trustledger.tui.service.corrections import standing_line
from trustledger.tui.service.labels import event_label, figure_word
from trustledger.tui.service.live import Detail, Picture, partnership_detail

if TYPE_CHECKING:
    from trustledger.tui.dashboard.app import TrustLedgerApp

TABS = ("overview", "commitments", "reviews", "issues", "timeline", "explain")
#: The pane id of each tab (the reviews pane is not called "reviews": its table is).
PANES = {tab: "reviews-tab" if tab == "reviews" else tab for tab in TABS}
#: What takes the focus when a tab is shown, so that the arrows move in it at once.
TAB_FOCUS = {
    "overview": "#alert-list",
    "commitments": "#commitment-table",
    "reviews-tab": "#reviews",
    "issues": "#issue-table",
    "timeline": "#timeline-table",
    "explain": "#explain-table",
}
#: The tables ``/`` searches, and the tab each is on.
SEARCHED = {
    "commitment-table": "commitments",
    "issue-table": "issues",
    "timeline-table": "timeline",
    "explain-table": "explain",
}
#: Lines of a row's full text shown under its table; longer texts end with a pointer to Enter.
DETAIL_LINES = 3


def fitted(text: str, width: int, lines: int) -> Text:
    """``text`` in at most ``lines`` lines of ``width`` cells; when it needs more, the last
    line ends with a pointer to the full text (Enter)."""
    more = " … (enter: all)"
    body = Text(terminal_safe(text, multiline=True))
    console = Console(width=max(20, width), file=None, legacy_windows=False)
    wrapped = body.wrap(console, max(20, width))
    if len(wrapped) <= lines:
        return body
    kept = list(wrapped)[:lines]
    last = kept[-1]
    last.truncate(max(1, width - len(more)), overflow="ellipsis")
    last.rstrip()
    kept[-1] = Text.assemble(last, (more, "italic"))
    return Text("\n").join(kept)


class AlertList(OptionList):
    """The partnership's alerts; Enter goes to what one is about."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("g", "first", "First", show=False),
        Binding("G", "last", "Last", show=False),
    ]


class PartnershipScreen(Screen):
    """The partnership screen; Escape goes back to the portfolio."""

    AUTO_FOCUS = None

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("slash", "search", "Search"),
        Binding("p", "pack", "Review pack", show=False),
        Binding("x", "correct('void')", "Void event", show=False),
        Binding("e", "correct('amend')", "Amend event", show=False),
        *[
            # The footer shows one "1-6 Tabs" for the six keys.
            Binding(
                str(n),
                f"tab('{tab}')",
                "Tabs" if n == 1 else tab.title(),
                show=n == 1,
                key_display="1-6" if n == 1 else None,
            )
            for n, tab in enumerate(TABS, 1)
        ],
    ]

    DEFAULT_CSS = """
    PartnershipScreen #title {
        height: auto;
        max-height: 5;
        padding: 0 1;
    }
    PartnershipScreen .tab-head {
        height: auto;
        padding: 0 1;
    }
    PartnershipScreen .row-detail {
        height: auto;
        max-height: 4;
        padding: 0 1;
        color: $foreground-muted;
        border-top: hkey $foreground-muted 30%;
    }
    PartnershipScreen TabbedContent {
        height: 1fr;
    }
    PartnershipScreen TabPane {
        padding: 0;
    }
    PartnershipScreen #figures {
        height: auto;
        padding: 0 1;
    }
    PartnershipScreen #alert-list {
        height: auto;
        max-height: 6;
        border: none;
        padding: 0;
    }
    PartnershipScreen #no-alerts {
        height: 1;
        padding: 0 1;
    }
    PartnershipScreen #chart-key {
        height: 1;
        padding: 0 1;
    }
    PartnershipScreen #explain-total {
        height: auto;
        padding: 0 1;
    }
    PartnershipScreen #reviews {
        height: auto;
        max-height: 6;
    }
    PartnershipScreen #dimensions {
        height: 1fr;
    }
    PartnershipScreen DataTable {
        height: 1fr;
    }
    PartnershipScreen #search {
        height: 1;
        display: none;
    }
    PartnershipScreen #search.-shown {
        display: block;
    }
    """

    def __init__(self, handle: str, *, tab: str | None = None, row: str | None = None) -> None:
        """``tab`` and ``row``: where to land (an alert's subject), once the data is shown."""
        super().__init__()
        self.handle = handle
        #: The clock review packs are stamped with (default: the app's clock).
        self.pack_clock: Callable[[], datetime] | None = None
        self.detail: Detail | None = None
        self.detail_key: tuple[object, ...] | None = None
        self.view: PartnershipView | None = None
        self.reading = False  # the detail (history) of the picture shown is being read
        self.mounted = False
        self.full_text: dict[str, dict[str, str]] = {}
        self.rows: dict[str, list[tuple[str, Sequence[Cell]]]] = {}
        self.query_text = ""
        self.alerts: list[Alert] = []
        self.landing: tuple[str, str | None] | None = (tab, row) if tab else None

    @property
    def tl_app(self) -> TrustLedgerApp:
        return self.app  # type: ignore[return-value]

    @property
    def narrow(self) -> bool:
        return self.app.size.width < 110

    def compose(self) -> ComposeResult:
        yield ModeBar(id="mode")
        yield Static(id="title")
        # The landing tab is the first one shown: set later, the tab strip's own first
        # activation would switch back to the Overview.
        first = PANES.get(self.landing[0], "overview") if self.landing else "overview"
        with TabbedContent(initial=first):
            with TabPane("Overview", id="overview"):
                yield Static(id="figures")
                yield AlertList(id="alert-list")
                yield Static(id="no-alerts")
                yield Static(id="chart-key")
                # The chart's library (and numpy under it) loads when a partnership is first
                # opened, not with the dashboard: the portfolio is on screen sooner.
                from trustledger.tui.dashboard.widgets.trend import TrendChart

                yield TrendChart(id="chart")
            with TabPane("Commitments", id="commitments"):
                yield Static(id="commitment-counts", classes="tab-head")
                yield LedgerTable(id="commitment-table", cursor_type="row")
                yield Static(id="commitment-table-detail", classes="row-detail")
            with TabPane("Reviews", id="reviews-tab"), Vertical():
                yield LedgerTable(id="reviews", cursor_type="row")
                yield DataTable(id="dimensions", cursor_type="none")
            with TabPane("Issues", id="issues"):
                yield LedgerTable(id="issue-table", cursor_type="row")
                yield Static(id="issue-table-detail", classes="row-detail")
            with TabPane("Timeline", id="timeline"):
                yield LedgerTable(id="timeline-table", cursor_type="row")
                yield Static(id="timeline-table-detail", classes="row-detail")
            with TabPane("Explain", id="explain"):
                yield Static(id="explain-total")
                yield LedgerTable(id="explain-table", cursor_type="row")
                yield Static(id="explain-table-detail", classes="row-detail")
        yield Input(
            placeholder="search: words in the commitments, issues, timeline and explain tables",
            id="search",
            compact=True,
        )
        yield KeysBar()

    def on_mount(self) -> None:
        width = self.app.size.width
        setup_columns(
            self.query_one("#commitment-table", DataTable),
            width,
            [
                ("Commitment", "handle", 16),
                ("By", "by", 7),
                ("Due", "due", 10),
                ("Stage", "stage", 21),
                ("W", "weight", 1),
                ("Summary", "summary", None),
            ],
        )
        setup_columns(
            self.query_one("#reviews", DataTable),
            width,
            [
                ("Held on", "on", 10),
                ("Level", "level", 5),
                ("Gap", "gap", 5),
                ("Alignment", "alignment", 9),
                ("Sides", "sides", 5),
                ("Asymmetry", "asym", None),
            ],
        )
        setup_columns(
            self.query_one("#dimensions", DataTable),
            width,
            [
                ("Dimension", "dim", 13),
                ("Ours", "ours", 4),
                ("Theirs", "theirs", 6),
                ("Gap", "gap", 4),
                ("", "flag", None),
            ],
        )
        setup_columns(
            self.query_one("#issue-table", DataTable),
            width,
            [
                ("Issue", "handle", 14),
                ("Sev", "severity", 6),
                ("Raised", "raised", 10),
                ("State", "state", 21),
                ("Summary", "summary", None),
            ],
        )
        setup_columns(
            self.query_one("#timeline-table", DataTable),
            width,
            [
                ("#", "version", 3),
                ("Occurred", "occurred", 10),
                ("Event", "type", 12),
                ("Actor", "actor", 11),
                ("Recorded (UTC)", "recorded", 16),
                ("Details", "details", None),
            ],
        )
        setup_columns(
            self.query_one("#explain-table", DataTable),
            width,
            [
                ("Occurred", "occurred", 10),
                ("Event", "type", 8),
                ("ΔTrust", "dtrust", 6),
                ("ΔAlign", "dalign", 6),
                ("Trust", "trust", 5),
                ("Align", "align", 5),
                ("What", "subject", None),
            ],
        )
        self.mounted = True
        self.show_picture(self.tl_app.picture)
        if self.landing is not None:
            if self.view is None or self.view.detailed:
                self.call_after_refresh(self._land_pending)
            # else once the detail shows (a lean view holds no commitments or reviews)
        else:
            self.focus_tab("overview")

    # -- where the focus goes -----------------------------------------------------------

    def focus_tab(self, pane: str) -> None:
        """Give the focus to what the tab ``pane`` is for (its table, the alert list)."""
        target = self.query_one(TAB_FOCUS[pane], Widget)
        if target.display and target.focusable:
            target.focus()
        else:
            self.query_one(Tabs).focus()

    @on(TabbedContent.TabActivated)
    def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id and not self.query_one("#search", Input).has_focus:
            self.focus_tab(event.pane.id)

    def _land_pending(self) -> None:
        if self.landing is not None:
            self.land(*self.landing)

    def land(self, tab: str, row: str | None) -> None:
        """Show ``tab`` with the cursor on ``row`` (a commitment's or issue's handle, a
        review's position)."""
        self.landing = None
        self.action_tab(tab)
        if row is None:
            return
        table_id = {
            "commitments": "#commitment-table",
            "issues": "#issue-table",
            "reviews": "#reviews",
        }.get(tab)
        if table_id is not None:
            table = self.query_one(table_id, DataTable)
            if row not in table.rows and self.query_text:
                self.set_query("")  # the search hid it
            move_to(table, row)

    # -- the row under each table ----------------------------------------------------------

    def remember(self, table_id: str, texts: dict[str, str]) -> None:
        """The full text of each row, shown under the table when the row is highlighted."""
        self.full_text[table_id] = texts
        self._show_row_detail(table_id)

    def _show_row_detail(self, table_id: str) -> None:
        found = self.query(f"#{table_id}-detail")
        if not found:
            return
        table = self.query_one(f"#{table_id}", DataTable)
        key = cursor_key(table)
        text = self.full_text.get(table_id, {}).get(key or "", "")
        found.first(Static).update(fitted(text, self.app.size.width - 2, DETAIL_LINES))

    @on(DataTable.RowHighlighted)
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        table_id = event.data_table.id or ""
        if table_id == "reviews":
            self.show_dimensions()
        else:
            self._show_row_detail(table_id)

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a row: its full text, in a window of its own."""
        table_id = event.data_table.id or ""
        text = self.full_text.get(table_id, {}).get(event.row_key.value or "")
        if text:
            self.app.push_screen(TextScreen(f"{self.handle}: {table_id.split('-')[0]}", text))

    @on(OptionList.OptionSelected, "#alert-list")
    def _alert_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option_index < len(self.alerts):
            self.tl_app.go_to_alert(self.alerts[event.option_index])

    def on_screen_resume(self) -> None:
        # Back from a modal: the app's keys (hidden while it was open) apply again.
        self.app.refresh_bindings()

    # -- data -----------------------------------------------------------------------------

    @property
    def filling(self) -> bool:
        """Are this partnership's commitments, reviews and issues still being read? (A lean
        view has none until its history is read: keys typed meanwhile wait for them.)"""
        return self.reading and self.view is not None and not self.view.detailed

    def show_picture(self, picture: Picture | None) -> None:
        if not self.mounted:  # on_mount shows what there is
            return
        app = self.tl_app
        self.query_one(ModeBar).show(
            audit=app.audit,
            as_of=app.as_of,
            known_at=app.known_at,
            events=picture.position if picture else None,
            store=app.store_label,
            narrow=self.narrow,
            reconnecting=app.reconnecting,
        )
        if picture is None:
            return
        key = (picture.position, picture.as_of, picture.known_at, picture.audit)
        view = picture.get(self.handle)
        if view is not None and not view.detailed:
            # A lean view (the live portfolio's): its commitments, reviews and issues come
            # with the detail, folded from the partnership's history; until the detail of
            # this picture is read, those of the last one stand.
            held = self.detail
            if held is not None and held.view is not None:
                view = with_items(view, held.view)
        self.view = view
        self.show_summary(picture)
        self.show_commitments()
        self.show_reviews()
        self.show_issues()
        if key != self.detail_key:
            self.detail_key = key
            self.reading = True
            self.load_detail(picture, key)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="detail",
        description="the partnership's detail",
    )
    def load_detail(self, picture: Picture, key: tuple[object, ...]) -> None:
        app = self.tl_app
        view = picture.get(self.handle)
        try:
            detail = partnership_detail(
                app.store,
                self.handle,
                picture.as_of,
                picture.known_at,
                app.config,
                audit=picture.audit,
                lean=None if view is None or view.detailed else (view, picture.position),
            )
        except LedgerError as exc:
            self.app.call_from_thread(self._not_read, str(exc))
            return
        self.app.call_from_thread(self.show_detail, detail, key)

    def _not_read(self, message: str) -> None:
        self.reading = False
        self.app.notify(message, severity="error", markup=False)

    def show_detail(self, detail: Detail, key: tuple[object, ...] | None = None) -> None:
        if not self.is_mounted:
            return
        if key is None or key == self.detail_key:
            self.reading = False
        self.detail = detail
        if detail.view is not None and key == self.detail_key:
            self.view = detail.view
            self.show_commitments()
            self.show_reviews()
            self.show_issues()
            if self.landing is not None:
                self.call_after_refresh(self._land_pending)
        palette = Palette.of(self.app)
        from trustledger.tui.dashboard.widgets.trend import TrendChart

        self.query_one(TrendChart).show(detail.trend, palette("primary"), palette("text-success"))
        self.show_timeline(detail)
        self.show_explanation(detail, palette)
        self.tl_app.detail_loaded(self)

    def show_summary(self, picture: Picture) -> None:
        view = self.view
        title = self.query_one("#title", Static)
        figures = self.query_one("#figures", Static)
        if view is None:
            title.update(
                Text.assemble(
                    (terminal_safe(self.handle), "bold"),
                    "\n",
                    (f"not registered as of {picture.as_of.isoformat()}", "italic"),
                )
            )
            figures.update("")
            self.show_alerts([])
            return
        palette = Palette.of(self.app)
        line1 = Text.assemble(
            plain(view.name, style="bold"),
            f" ({view.handle}) · {view.kind}",
        )
        if view.owner:
            line1.append(" · ")
            line1.append_text(plain(view.owner))
        if not self.narrow:
            line1.append(f" · review every {view.review_every_days} days")
        line2 = Text.assemble(status_text(view.status, palette), "  ")
        line2.append_text(plain(view.reason, style="italic"))
        title.update(Text("\n").join([line1, line2]))
        next_review = view.next_review_due.isoformat() if view.next_review_due else "—"
        share = "—" if view.revenue_share is None else f"{view.revenue_share:.0%}"
        figures.update(
            Text(
                f"reliability: us {view.our_reliability:.2f}, partner "
                f"{view.partner_reliability:.2f} · {figure_word('perception_gap')} "
                f"{num(view.perception_gap)}\n"
                f"{figure_word('next_review_due')} {next_review} · "
                f"{figure_word('revenue_share')} {share} (12 months)"
            )
        )
        self.show_alerts(list(view.alerts))
        self.query_one("#chart-key", Static).update(
            Text.assemble(
                ("trust ", ""),
                ("⠒⠒⠒", palette("primary")),
                ("  alignment ", ""),
                ("▀▀▀", palette("text-success")),
                ("  over time", palette("foreground-muted")),
            )
        )

    def show_alerts(self, alerts: list[Alert]) -> None:
        """Every alert, each reachable: the list scrolls, and Enter goes to its subject."""
        palette = Palette.of(self.app)
        listing = self.query_one("#alert-list", AlertList)
        none = self.query_one("#no-alerts", Static)
        listing.display = bool(alerts)
        none.display = not alerts
        none.update(Text("✔ no alerts", style=palette("text-success")))
        if alerts == self.alerts:
            return
        self.alerts = alerts
        highlighted = listing.highlighted
        listing.clear_options()
        style = f"bold {palette('text-error')}"
        listing.add_options(
            [
                Option(Text.assemble(("⚠ ", style), (terminal_safe(a.message), style)))
                for a in alerts
            ]
        )
        if alerts:
            listing.highlighted = min(highlighted or 0, len(alerts) - 1)
        if self.query_one(TabbedContent).active == "overview" and self.focused is None:
            self.focus_tab("overview")

    def show_commitments(self) -> None:
        palette = Palette.of(self.app)
        rows, texts = commitment_rows(self.view, palette)
        self.remember("commitment-table", texts)
        self.show_rows("commitment-table", rows)
        counts = self.view.counts if self.view else None
        head = self.query_one("#commitment-counts", Static)
        if counts is None:
            head.update("")
            return
        text = Text(f"open {counts.open}")
        if counts.overdue:
            text.append(f" (⚠ {counts.overdue} overdue)", f"bold {palette('error')}")
        else:
            text.append(" (none overdue)")
        text.append(" · ")
        text.append(f"kept {counts.kept}", palette("text-success"))
        text.append(" · ")
        text.append(f"missed {counts.missed}", palette("text-error"))
        head.update(text)

    def show_reviews(self) -> None:
        sync_rows(
            self.query_one("#reviews", DataTable), review_rows(self.view, Palette.of(self.app))
        )
        self.show_dimensions()

    def selected_review(self) -> ReviewView | None:
        if not self.view or not self.view.reviews:
            return None
        table = self.query_one("#reviews", DataTable)
        key = cursor_key(table)
        for review in self.view.reviews:
            if str(review.position) == key:
                return review
        return self.view.reviews[-1]

    def show_dimensions(self) -> None:
        rows = dimension_rows(self.selected_review(), Palette.of(self.app))
        sync_rows(self.query_one("#dimensions", DataTable), rows)

    def show_issues(self) -> None:
        rows, texts = issue_rows(self.view, Palette.of(self.app))
        self.remember("issue-table", texts)
        self.show_rows("issue-table", rows)

    def show_timeline(self, detail: Detail) -> None:
        rows, texts = timeline_rows(detail)
        self.remember("timeline-table", texts)
        self.show_rows("timeline-table", rows)

    def show_explanation(self, detail: Detail, palette: Palette) -> None:
        total = detail.explanation[-1] if detail.explanation else None
        rows, texts = explanation_rows(detail, palette)
        self.remember("explain-table", texts)
        self.show_rows("explain-table", rows)
        box = self.query_one("#explain-total", Static)
        if total is None:
            box.update("")
            return
        movers = sorted(detail.explanation[:-1], key=lambda r: abs(r.delta_trust), reverse=True)
        top = ", ".join(
            f"{event_label(r.type)} {r.occurred_on} {signed(r.delta_trust)}" for r in movers[:2]
        )
        box.update(
            Text.assemble(
                Text("Why: ", style="bold"),
                terminal_safe(total.subject),
                f". Trust starts at 0.50; the rows below add up to {signed(total.delta_trust)}.",
                f" Biggest: {top}." if top else "",
            )
        )

    # -- search ---------------------------------------------------------------------------

    def show_rows(self, table_id: str, rows: list[tuple[str, Sequence[Cell]]]) -> None:
        """Show ``rows`` in a searched table: those matching the search, when there is one."""
        self.rows[table_id] = rows
        texts = self.full_text.get(table_id, {})
        shown = matching(rows, self.query_text, lambda key: texts.get(key, ""))
        sync_rows(self.query_one(f"#{table_id}", DataTable), shown)
        self._show_row_detail(table_id)

    def set_query(self, text: str) -> None:
        """Search for ``text``, putting it in the search box too."""
        search = self.query_one("#search", Input)
        if search.value != text:
            search.value = text
        self._apply_query(text)

    def _apply_query(self, text: str) -> None:
        self.query_text = text.strip()
        for table_id, rows in self.rows.items():
            self.show_rows(table_id, rows)
        search = self.query_one("#search", Input)
        search.set_class(bool(self.query_text) or search.has_focus, "-shown")

    def action_search(self) -> None:
        search = self.query_one("#search", Input)
        search.add_class("-shown")
        active = self.query_one(TabbedContent).active
        if active not in SEARCHED.values():
            self.action_tab("commitments")
        search.focus()

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        # What the box holds now: a burst of keys queues several Changed messages, and
        # writing an older one's value back would throw away the keys typed after it.
        self._apply_query(event.input.value)

    @on(Input.Submitted, "#search")
    def _search_submitted(self) -> None:
        self.focus_tab(self.query_one(TabbedContent).active)

    # -- export (the app's x) -------------------------------------------------------------

    def export_name(self) -> tuple[str, str]:
        tab = self.active_tab()
        return (
            f"{self.handle}: {tab.title()}",
            f"{self.handle}-{tab}-{self.tl_app.as_of}",
        )

    def export_text(self, fmt: str) -> str:
        """The report JSON of this partnership, or the shown tab's table as CSV (its rows
        as the search leaves them; the Overview: the report's CSV row)."""
        view = self.view
        picture = self.tl_app.picture
        version = picture.portfolio.model_version if picture else ""
        if fmt == "json" or self.active_tab() == "overview":
            views = [view] if view is not None else []
            return report_json(views, version) if fmt == "json" else report_csv(views, version)
        table = self.query_one(TAB_FOCUS[PANES[self.active_tab()]], DataTable)
        return csv_text(*table_rows(table))

    def active_tab(self) -> str:
        pane = self.query_one(TabbedContent).active
        return next((tab for tab, id_ in PANES.items() if id_ == pane), "overview")

    # -- actions --------------------------------------------------------------------------

    def action_back(self) -> None:
        search = self.query_one("#search", Input)
        if search.has_focus or self.query_text:
            # Escape leaves the search first (and clears it), then the screen.
            self.set_query("")
            search.remove_class("-shown")
            self.focus_tab(self.query_one(TabbedContent).active)
            return
        self.app.pop_screen()

    def action_pack(self) -> None:
        """Write this partnership's review pack for the shown as-of date, and say where."""
        app = self.tl_app
        if app.service.access.remote:  # the server's disk is not the remote user's
            app.notify("Review packs are written locally: 'trustledger pack'", timeout=4)
            return
        self.write_pack(app.as_of, app.known_at, Path.cwd())

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="pack",
        description="the review pack",
    )
    def write_pack(self, as_of: date, known_at: datetime | None, directory: Path) -> None:
        from trustledger.tui.pack import PackError, pack_filename, write_pack

        app = self.tl_app
        path = directory / pack_filename(self.handle, as_of)
        try:
            events = list(app.service.events(trusted=True))
            write_pack(
                events,
                self.handle,
                path,
                as_of=as_of,
                known_at=known_at,
                made_at=(self.pack_clock or app.service.clock.now)(),
                config=app.config,
            )
        except (LedgerError, PackError, OSError) as exc:
            app.call_from_thread(
                app.notify,
                terminal_safe(f"No pack written: {exc}"),
                severity="error",
                markup=False,
            )
            return
        app.call_from_thread(
            app.notify, terminal_safe(f"Review pack written to {path}"), title="Pack", markup=False
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "correct":
            # Only on the timeline (elsewhere ``x`` is the app's export), and never for a
            # viewer, who has no forms.
            tabs = self.query(TabbedContent)
            on_timeline = bool(tabs) and tabs.first().active == "timeline"
            return on_timeline and self.tl_app.service.access.may_record
        return True

    def action_correct(self, kind: str) -> None:
        """Void or amend the event highlighted on the timeline (tab 5)."""
        key = cursor_key(self.query_one("#timeline-table", DataTable))
        if self.detail is None or key is None:
            self.notify("pick an event on the timeline (5) first", severity="warning")
            return
        events = self.detail.events
        event = next((e for e in events if str(e.position) == key), None)
        standing = standing_line(events, event.line.id or "") if event is not None else None
        if event is None or standing is None:
            self.notify("a correction, or a voided event, is not corrected", severity="warning")
            return
        self.app.push_screen(CorrectionScreen("void" if kind == "void" else "amend", standing))

    def action_tab(self, tab: str) -> None:
        pane = PANES.get(tab, tab)
        self.query_one(TabbedContent).active = pane
        self.focus_tab(pane)  # now: a key typed next goes to the tab's table

    def restyle(self) -> None:
        self.alerts = []
        self.show_picture(self.tl_app.picture)
        if self.detail is not None:
            self.show_detail(self.detail)
