"""One partnership: its scores over time, commitments, reviews, issues, timeline, and why.

The summary, commitments, reviews and issues come from the current picture's
:class:`~trustledger.projections.views.PartnershipView`; the timeline, the trend chart and the
explanation need the partnership's events, read in a thread worker whenever the picture
moves on (a new event, another audit date).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from rich.markup import escape
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static, TabbedContent, TabPane
from trustledger.domain.errors import LedgerError
from trustledger.domain.events import DIMENSIONS
from trustledger.projections.views import CommitmentView, IssueView, PartnershipView, ReviewView
from trustledger.tui.dashboard.screens.correct import CorrectionScreen
from trustledger.tui.dashboard.widgets.bars import ModeBar
from trustledger.tui.dashboard.widgets.cells import Palette, status_text
from trustledger.tui.dashboard.widgets.tables import Cell, cursor_key, setup_columns, sync_rows
from trustledger.tui.dashboard.widgets.trend import TrendChart
from trustledger.tui.service.corrections import (
    correction_details,
    correction_note,
    corrections_of,
    is_voided,
    standing_line,
)
from trustledger.tui.service.labels import describe, event_label
from trustledger.tui.service.live import Detail, Picture, partnership_detail

if TYPE_CHECKING:
    from trustledger.tui.dashboard.app import TrustLedgerApp

TABS = ("overview", "commitments", "reviews", "issues", "timeline", "explain")


def _num(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _signed(value: float | None) -> str:
    if value is None:
        return ""
    if abs(value) < 0.005:
        return "·"
    return f"{value:+.2f}"


class PartnershipScreen(Screen):
    """The partnership screen; Escape goes back to the portfolio."""

    AUTO_FOCUS = "Tabs"

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("p", "pack", "Review pack", show=False),
        Binding("x", "correct('void')", "Void event", show=False),
        Binding("e", "correct('amend')", "Amend event", show=False),
        *[
            Binding(str(n), f"tab('{tab}')", tab.title(), show=False)
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
        height: 1;
        padding: 0 1;
    }
    PartnershipScreen .row-detail {
        height: auto;
        max-height: 3;
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
    PartnershipScreen #alerts {
        height: auto;
        max-height: 12;
        padding: 0 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
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
    """

    def __init__(self, handle: str) -> None:
        super().__init__()
        self.handle = handle
        #: The clock review packs are stamped with (default: the app's clock).
        self.pack_clock: Callable[[], datetime] | None = None
        self.detail: Detail | None = None
        self.detail_key: tuple[object, ...] | None = None
        self.view: PartnershipView | None = None
        self.mounted = False

    @property
    def tl_app(self) -> TrustLedgerApp:
        return self.app  # type: ignore[return-value]

    @property
    def narrow(self) -> bool:
        return self.app.size.width < 110

    def compose(self) -> ComposeResult:
        yield ModeBar(id="mode")
        yield Static(id="title")
        with TabbedContent(initial="overview"):
            with TabPane("Overview", id="overview"):
                yield Static(id="alerts")
                yield TrendChart(id="chart")
            with TabPane("Commitments", id="commitments"):
                yield Static(id="commitment-counts", classes="tab-head")
                yield DataTable(id="commitment-table", cursor_type="row")
                yield Static(id="commitment-table-detail", classes="row-detail")
            with TabPane("Reviews", id="reviews-tab"), Vertical():
                yield DataTable(id="reviews", cursor_type="row")
                yield DataTable(id="dimensions", cursor_type="none")
            with TabPane("Issues", id="issues"):
                yield DataTable(id="issue-table", cursor_type="row")
                yield Static(id="issue-table-detail", classes="row-detail")
            with TabPane("Timeline", id="timeline"):
                yield DataTable(id="timeline-table", cursor_type="row")
                yield Static(id="timeline-table-detail", classes="row-detail")
            with TabPane("Explain", id="explain"):
                yield Static(id="explain-total")
                yield DataTable(id="explain-table", cursor_type="row")
                yield Static(id="explain-table-detail", classes="row-detail")
        yield Footer()

    def on_mount(self) -> None:
        self.full_text: dict[str, dict[str, str]] = {}
        width = self.app.size.width
        setup_columns(
            self.query_one("#commitment-table", DataTable),
            width,
            [
                ("Commitment", "handle", 16),
                ("By", "by", 7),
                ("Due", "due", 10),
                ("Stage", "stage", 20),
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
        found.first(Static).update(Text(text))

    @on(DataTable.RowHighlighted)
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        table_id = event.data_table.id or ""
        if table_id == "reviews":
            self.show_dimensions()
        else:
            self._show_row_detail(table_id)

    def on_screen_resume(self) -> None:
        # Back from a modal: the app's keys (hidden while it was open) apply again.
        self.app.refresh_bindings()

    # -- data -----------------------------------------------------------------------------

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
        self.view = picture.get(self.handle)
        self.show_summary(picture)
        self.show_commitments()
        self.show_reviews()
        self.show_issues()
        key = (picture.position, picture.as_of, picture.known_at, picture.audit)
        if key != self.detail_key:
            self.detail_key = key
            self.load_detail(picture)

    @work(thread=True, exclusive=True, exit_on_error=False, group="detail")
    def load_detail(self, picture: Picture) -> None:
        app = self.tl_app
        try:
            detail = partnership_detail(
                app.store,
                self.handle,
                picture.as_of,
                picture.known_at,
                app.config,
                audit=picture.audit,
            )
        except LedgerError as exc:
            self.app.call_from_thread(self.app.notify, str(exc), severity="error")
            return
        self.app.call_from_thread(self.show_detail, detail)

    def show_detail(self, detail: Detail) -> None:
        if not self.is_mounted:
            return
        self.detail = detail
        palette = Palette.of(self.app)
        self.query_one(TrendChart).show(detail.trend, palette("primary"), palette("text-success"))
        self.show_timeline(detail)
        self.show_explanation(detail, palette)
        self.tl_app.detail_loaded(self)

    def show_summary(self, picture: Picture) -> None:
        view = self.view
        title = self.query_one("#title", Static)
        alerts = self.query_one("#alerts", Static)
        if view is None:
            title.update(
                f"[b]{escape(self.handle)}[/]\n[$warning]not registered as of "
                f"{picture.as_of.isoformat()}[/]"
            )
            alerts.update("")
            return
        palette = Palette.of(self.app)
        badge = status_text(view.status, palette, long=True)
        owner = f" · {escape(view.owner)}" if view.owner else ""
        cadence = "" if self.narrow else f" · review every {view.review_every_days} days"
        line1 = Text.from_markup(
            f"[b]{escape(view.name)}[/b] ({escape(view.handle)}) · {view.kind}{owner}{cadence}"
        )
        line2 = Text.assemble(badge, "  ", Text(view.reason, style="italic"))
        share = "" if view.revenue_share is None else f" · rev {view.revenue_share:.0%}"
        next_review = f" · review due {view.next_review_due}" if view.next_review_due else ""
        line3 = Text(
            f"reliability: us {view.our_reliability:.2f}, partner "
            f"{view.partner_reliability:.2f} · gap {_num(view.perception_gap)}"
            f"{next_review}{share}"
        )
        title.update(Text("\n").join([line1, line2]))
        if view.alerts:
            room = 3 if self.app.size.height < 32 else 8
            shown = list(view.alerts[:room])
            lines = [f"⚠ {a.message}" for a in shown]
            if len(view.alerts) > room:
                lines[-1] = f"(+{len(view.alerts) - room} more) ⚠ {shown[-1].message}"
            alert_text = Text("\n".join(lines), style=f"bold {palette('text-error')}", no_wrap=True)
            alert_text.overflow = "ellipsis"
        else:
            alert_text = Text("✔ no alerts", style=palette("text-success"))
        key = Text.assemble(
            ("trust ", ""),
            ("⠒⠒⠒", palette("primary")),
            ("  alignment ", ""),
            ("▀▀▀", palette("text-success")),
            ("  over time", palette("foreground-muted")),
        )
        alerts.update(Text("\n").join([line3, alert_text, key]))

    def show_commitments(self) -> None:
        table = self.query_one("#commitment-table", DataTable)
        palette = Palette.of(self.app)
        items = list(self.view.commitments) if self.view else []
        rank = {"overdue": 0, "open": 1, "missed": 2, "kept": 3}
        items.sort(
            key=lambda c: (
                rank[c.stage],
                c.due.toordinal() if c.is_open else -(c.closed_on or c.due).toordinal(),
                c.handle,
            )
        )
        sync_rows(table, [(c.handle, self._commitment_cells(c, palette)) for c in items])
        self.remember(
            "commitment-table",
            {
                c.handle: f"{c.handle} (by {c.by}, weight {c.weight}, made {c.made_on}, due "
                f"{c.due}"
                + (f", renegotiated {c.renegotiations}x" if c.renegotiations else "")
                + ("; a resolved issue took back part of the miss" if c.recovered else "")
                + f"): {c.summary}"
                for c in items
            },
        )
        counts = self.view.counts if self.view else None
        head = self.query_one("#commitment-counts", Static)
        if counts is None:
            head.update("")
            return
        overdue = (
            f" ([b $error]⚠ {counts.overdue} overdue[/])" if counts.overdue else " (none overdue)"
        )
        head.update(
            f"open {counts.open}{overdue} · [$success]kept {counts.kept}[/] · "
            f"[$error]missed {counts.missed}[/]"
        )

    def _commitment_cells(self, c: CommitmentView, palette: Palette) -> list[Cell]:
        if c.stage == "overdue":
            stage = Text(f"⚠ overdue {c.days_overdue}d", style=f"bold {palette('text-error')}")
        elif c.stage == "open":
            stage = Text("○ open")
        elif c.stage == "kept":
            stage = Text(f"✔ kept {c.closed_on}", style=palette("text-success"))
        else:
            mark = " ↺" if c.recovered else ""
            stage = Text(f"✖ missed {c.closed_on}{mark}", style=palette("text-error"))
        return [c.handle, c.by, c.due.isoformat(), stage, str(c.weight), c.summary]

    def show_reviews(self) -> None:
        table = self.query_one("#reviews", DataTable)
        reviews = list(reversed(self.view.reviews)) if self.view else []
        palette = Palette.of(self.app)
        rows = []
        for review in reviews:
            asym = (
                Text(
                    "⚠ " + ", ".join(a.dimension for a in review.asymmetries),
                    style=f"bold {palette('text-warning')}",
                )
                if review.asymmetries
                else "·"
            )
            rows.append(
                (
                    str(review.position),
                    [
                        review.occurred_on.isoformat(),
                        f"{review.level:.2f}",
                        f"{review.gap:.2f}" if review.partner_scores else "—",
                        f"{review.alignment:.2f}",
                        "both" if review.partner_scores else "ours",
                        asym,
                    ],
                )
            )
        sync_rows(table, rows)
        self.show_dimensions()

    def selected_review(self) -> ReviewView | None:
        if not self.view or not self.view.reviews:
            return None
        table = self.query_one("#reviews", DataTable)
        if table.row_count:
            try:
                row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
                for review in self.view.reviews:
                    if str(review.position) == row_key.value:
                        return review
            except Exception:
                pass
        return self.view.reviews[-1]

    def show_dimensions(self) -> None:
        table = self.query_one("#dimensions", DataTable)
        review = self.selected_review()
        palette = Palette.of(self.app)
        rows = []
        if review is not None:
            flagged = {a.dimension for a in review.asymmetries}
            theirs = review.partner_scores or {}
            for dim in DIMENSIONS:
                if dim not in review.scores and dim not in theirs:
                    continue
                gap = review.gaps.get(dim)
                flag: Cell = (
                    Text("⚠ asymmetric", style=f"bold {palette('text-warning')}")
                    if dim in flagged
                    else ""
                )
                rows.append(
                    (
                        dim,
                        [
                            dim,
                            str(review.scores.get(dim, "—")),
                            str(theirs.get(dim, "—")),
                            "—" if gap is None else f"{gap:.2f}",
                            flag,
                        ],
                    )
                )
        sync_rows(table, rows)

    def show_issues(self) -> None:
        table = self.query_one("#issue-table", DataTable)
        palette = Palette.of(self.app)
        items = list(self.view.issues) if self.view else []
        items.sort(key=lambda i: (not i.is_open, -i.raised_on.toordinal(), i.handle))
        sync_rows(table, [(i.handle, self._issue_cells(i, palette)) for i in items])
        texts = {}
        for i in items:
            about = f" about {i.commitment}" if i.commitment else ""
            card = " Partner card played." if i.partner_card else ""
            done = f" Resolved {i.resolved_on}: {i.resolution}" if i.resolution else ""
            texts[i.handle] = f"{i.handle} ({i.severity}{about}): {i.summary}.{card}{done}"
        self.remember("issue-table", texts)

    def _issue_cells(self, issue: IssueView, palette: Palette) -> list[Cell]:
        severity_colour = {"high": "text-error", "medium": "text-warning", "low": "foreground"}
        severity = Text(issue.severity, style=palette(severity_colour[issue.severity]))
        if issue.is_open:
            state = Text(f"● open {issue.days_open}d", style=f"bold {palette('text-warning')}")
        else:
            state = Text(f"✔ resolved {issue.resolved_on}", style=palette("text-success"))
        summary = Text(issue.summary)
        if issue.partner_card:
            summary = Text.assemble(
                Text("⚑ partner card ", style=f"bold {palette('text-error')}"), summary
            )
        return [issue.handle, severity, issue.raised_on.isoformat(), state, summary]

    def show_timeline(self, detail: Detail) -> None:
        """Every event, newest first; a voided one struck through and an amended one shown
        as corrected, each with who corrected it, when and why."""
        table = self.query_one("#timeline-table", DataTable)
        corrections = corrections_of(detail.events)
        originals = {e.line.id or "": e for e in detail.events}
        rows = []
        texts: dict[str, str] = {}
        for event in reversed(detail.events):
            made = corrections.get(event.line.id or "", [])
            voided = is_voided(made)
            standing = standing_line(detail.events, event.line.id or "") if made else event
            if event.type in ("event_voided", "event_amended"):
                details = correction_details(event, originals, detail.events)
            else:
                details = describe((standing or event).line)
            if made:
                details += " — " + "; ".join(correction_note(c) for c in made)
            cells: list[Cell] = [
                str(event.version),
                event.occurred_on.isoformat(),
                event_label(event.type),
                event.line.actor or "",
                event.recorded_at.strftime("%Y-%m-%d %H:%M"),
                details,
            ]
            if voided:
                cells = [Text(str(cell), style="strike") for cell in cells]
            rows.append((str(event.position), cells))
            texts[str(event.position)] = (
                f"{'VOID: ' if voided else ''}#{event.version} {event.type} on "
                f"{event.occurred_on}, recorded {event.recorded_at:%Y-%m-%d %H:%M:%S} UTC by "
                f"{event.line.actor}: {details}"
            )
        sync_rows(table, rows)
        self.remember("timeline-table", texts)

    def show_explanation(self, detail: Detail, palette: Palette) -> None:
        table = self.query_one("#explain-table", DataTable)
        total = detail.explanation[-1] if detail.explanation else None
        rows: list[tuple[str, list[Cell]]] = []
        for row in reversed(detail.explanation[:-1]):
            delta = row.delta_trust
            colour = (
                palette("text-success")
                if delta > 0.005
                else palette("text-error")
                if delta < -0.005
                else ""
            )
            rows.append(
                (
                    str(row.position),
                    [
                        row.occurred_on.isoformat() if row.occurred_on else "",
                        event_label(row.type),
                        Text(_signed(delta), style=colour, justify="right"),
                        Text(_signed(row.delta_alignment), justify="right"),
                        _num(row.trust),
                        _num(row.alignment),
                        row.subject,
                    ],
                )
            )
        sync_rows(table, rows)
        self.remember(
            "explain-table",
            {
                str(r.position): f"{r.subject}: "
                + (
                    f"trust {_signed(r.delta_trust)} → {r.trust:.2f}"
                    if abs(r.delta_trust) >= 0.005
                    else "trust unchanged"
                )
                + (
                    f", alignment {_signed(r.delta_alignment)} → {_num(r.alignment)}"
                    if r.delta_alignment
                    else ""
                )
                + (f" (counts {r.weight:.2f} now)" if r.weight is not None else "")
                for r in detail.explanation[:-1]
            },
        )
        box = self.query_one("#explain-total", Static)
        if total is None:
            box.update("")
            return
        movers = sorted(detail.explanation[:-1], key=lambda r: abs(r.delta_trust), reverse=True)
        top = ", ".join(
            f"{event_label(r.type)} {r.occurred_on} {_signed(r.delta_trust)}" for r in movers[:2]
        )
        box.update(
            Text.assemble(
                Text("Why: ", style="bold"),
                f"{total.subject}. Trust starts at 0.50; the rows below add up to "
                f"{_signed(total.delta_trust)}.",
                f" Biggest: {top}." if top else "",
            )
        )

    # -- actions --------------------------------------------------------------------------

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_pack(self) -> None:
        """Write this partnership's review pack for the shown as-of date, and say where."""
        app = self.tl_app
        self.write_pack(app.as_of, app.known_at, Path.cwd())

    @work(thread=True, exclusive=True, exit_on_error=False, group="pack")
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
            app.call_from_thread(app.notify, f"No pack written: {exc}", severity="error")
            return
        app.call_from_thread(app.notify, f"Review pack written to {path}", title="Pack")

    def action_correct(self, kind: str) -> None:
        """Void or amend the event highlighted on the timeline (tab 5)."""
        tabs = self.query_one(TabbedContent)
        key = cursor_key(self.query_one("#timeline-table", DataTable))
        if tabs.active != "timeline" or self.detail is None or key is None:
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
        target = "reviews-tab" if tab == "reviews" else tab
        self.query_one(TabbedContent).active = target

    def restyle(self) -> None:
        self.show_picture(self.tl_app.picture)
        if self.detail is not None:
            self.show_detail(self.detail)
