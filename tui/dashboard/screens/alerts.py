"""Every alert of the portfolio in one table; Enter goes to what an alert is about.

An alert is about a partnership and, for some kinds, one commitment, issue or review of it
(its ``subject``). :func:`alert_target` says where that is shown: an overdue commitment on the
Commitments tab at its row, an issue open too long or a partner card on the Issues tab at the
issue's row, an overdue review on the Reviews tab at the last review, a trust drop on the
Explain tab, revenue concentration on the Overview.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Input, Static
from trustledger.domain.text import terminal_safe
from trustledger.projections.views import Alert
from trustledger.tui.dashboard.export import csv_text
from trustledger.tui.dashboard.widgets.bars import KeysBar, ModeBar
from trustledger.tui.dashboard.widgets.cells import Palette, plain
from trustledger.tui.dashboard.widgets.tables import (
    Cell,
    LedgerTable,
    cursor_key,
    matching,
    row_keys,
    setup_columns,
    sync_rows,
)
from trustledger.tui.service.labels import alert_word
from trustledger.tui.service.live import Picture, alert_key

if TYPE_CHECKING:
    from trustledger.tui.dashboard.app import TrustLedgerApp

#: The partnership tab each kind of alert is shown on.
ALERT_TABS = {
    "overdue_commitment": "commitments",
    "issue_open_too_long": "issues",
    "partner_card": "issues",
    "review_overdue": "reviews",
    "trust_drop": "explain",
    "concentration": "overview",
}


def alert_target(alert: Alert) -> tuple[str, str, str | None]:
    """Where ``alert`` is shown: (partnership, tab, row key or None). The row is the alert's
    subject (a commitment's or issue's handle, a review's position), which is also the key
    of its row on that tab."""
    tab = ALERT_TABS.get(alert.kind, "overview")
    subject = alert.subject if tab in ("commitments", "issues", "reviews") else None
    return alert.partnership, tab, subject


def alert_row_key(alert: Alert) -> str:
    kind, partnership, subject = alert_key(alert)
    return f"{partnership}/{kind}/{subject}"


class AlertsTable(LedgerTable):
    """The alerts (its own class so the CSS and tests can find it)."""


class AlertsScreen(Screen):
    """Every alert at the as-of date, partnership by partnership."""

    AUTO_FOCUS = "AlertsTable"
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("slash", "filter", "Filter"),
    ]

    DEFAULT_CSS = """
    AlertsScreen #alerts-head {
        height: 1;
        padding: 0 1;
    }
    AlertsScreen #alerts-filter {
        height: 1;
        display: none;
    }
    AlertsScreen #alerts-filter.-shown {
        display: block;
    }
    AlertsScreen AlertsTable {
        height: 1fr;
    }
    AlertsScreen #alerts-detail {
        height: auto;
        max-height: 3;
        padding: 0 1;
        color: $foreground-muted;
        border-top: hkey $foreground-muted 30%;
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self.alerts: dict[str, Alert] = {}
        self.names: dict[str, str] = {}
        self.query_text = ""
        self.mounted = False

    @property
    def tl_app(self) -> TrustLedgerApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield ModeBar(id="mode")
        yield Static(id="alerts-head")
        yield Input(placeholder="/ filter alerts", id="alerts-filter", compact=True)
        yield AlertsTable(id="alerts", cursor_type="row")
        yield Static(id="alerts-detail")
        yield KeysBar()

    def on_mount(self) -> None:
        setup_columns(
            self.query_one(AlertsTable),
            self.app.size.width,
            [("Partnership", "partnership", 16), ("Alert", "kind", 21), ("What", "message", None)],
        )
        self.mounted = True
        self.show_picture(self.tl_app.picture)

    def on_screen_resume(self) -> None:
        self.app.refresh_bindings()

    def show_picture(self, picture: Picture | None) -> None:
        if not self.mounted:
            return
        app = self.tl_app
        self.query_one(ModeBar).show(
            audit=app.audit,
            as_of=app.as_of,
            known_at=app.known_at,
            events=picture.position if picture else None,
            store=app.store_label,
            narrow=app.size.width < 110,
        )
        if picture is None:
            return
        portfolio = picture.portfolio
        self.names = {view.handle: view.name for view in portfolio.partnerships}
        self.alerts = {alert_row_key(alert): alert for alert in portfolio.alerts}
        palette = Palette.of(self.app)
        count = len(self.alerts)
        about = len({alert.partnership for alert in self.alerts.values()})
        head = Text(
            f"⚠ {count} alert{'s' if count != 1 else ''} in {about} partnership"
            f"{'s' if about != 1 else ''}",
            style=f"bold {palette('text-error')}" if count else palette("text-success"),
        )
        head.append("  ·  enter: go to it  ·  /: filter", style=palette("foreground-muted"))
        self.query_one("#alerts-head", Static).update(head)
        self.refresh_rows()

    def rows(self) -> list[tuple[str, list[Cell]]]:
        return [
            (
                key,
                [
                    plain(self.names.get(alert.partnership, alert.partnership)),
                    alert_word(alert.kind),
                    alert.message,
                ],
            )
            for key, alert in self.alerts.items()
        ]

    def refresh_rows(self) -> None:
        table = self.query_one(AlertsTable)
        shown = matching(self.rows(), self.query_text, lambda key: self.alerts[key].partnership)
        sync_rows(table, shown)
        self._show_detail()

    def _show_detail(self) -> None:
        key = cursor_key(self.query_one(AlertsTable))
        alert = self.alerts.get(key or "")
        text = ""
        if alert is not None:
            name = self.names.get(alert.partnership, alert.partnership)
            text = f"{name} ({alert.partnership}): {alert.message}"
        self.query_one("#alerts-detail", Static).update(Text(terminal_safe(text)))

    @on(DataTable.RowHighlighted, "AlertsTable")
    def _highlighted(self) -> None:
        self._show_detail()

    @on(DataTable.RowSelected, "AlertsTable")
    def _selected(self, event: DataTable.RowSelected) -> None:
        alert = self.alerts.get(event.row_key.value or "")
        if alert is not None:
            self.tl_app.go_to_alert(alert)

    def selected(self) -> Alert | None:
        return self.alerts.get(cursor_key(self.query_one(AlertsTable)) or "")

    def shown(self) -> list[Alert]:
        table = self.query_one(AlertsTable)
        keys = row_keys(table)
        return [self.alerts[key] for key in keys if key in self.alerts]

    def export_name(self) -> tuple[str, str]:
        return f"the alerts ({len(self.shown())} shown)", f"alerts-{self.tl_app.as_of}"

    def export_text(self, fmt: str) -> str:
        """The alerts shown: CSV, or JSON as ``trustledger check --format json`` writes it."""
        rows = [(a.partnership, a.kind, a.message) for a in self.shown()]
        if fmt == "json":
            keys = ("partnership", "kind", "message")
            data = [dict(zip(keys, row, strict=True)) for row in rows]
            return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
        return csv_text(["partnership", "kind", "message"], rows)

    def action_filter(self) -> None:
        box = self.query_one("#alerts-filter", Input)
        box.add_class("-shown")
        box.focus()

    @on(Input.Changed, "#alerts-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.query_text = event.value.strip()
        self.refresh_rows()

    @on(Input.Submitted, "#alerts-filter")
    def _filter_submitted(self) -> None:
        self.query_one(AlertsTable).focus()

    def action_back(self) -> None:
        box = self.query_one("#alerts-filter", Input)
        if box.has_focus or self.query_text:
            box.value = ""
            box.remove_class("-shown")
            self.query_one(AlertsTable).focus()
            return
        self.app.pop_screen()
