"""The audit date picker: an as-of date and, optionally, a known-at time."""

from __future__ import annotations

from datetime import date, datetime

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, MaskedInput, Static
from trustledger.domain.moments import parse_date, parse_moment
from trustledger.domain.text import terminal_safe
from trustledger.tui.dashboard.widgets.bars import KeysBar

AuditChoice = tuple[date, datetime | None]


class AuditScreen(ModalScreen[AuditChoice | None]):
    """Pick the day to audit (the state at its end) and what the ledger knew at a time."""

    AUTO_FOCUS = "#as-of"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "apply", "Audit", priority=True),
    ]

    DEFAULT_CSS = """
    AuditScreen {
        align: center middle;
    }
    AuditScreen > Vertical {
        width: 66;
        max-width: 100%;
        height: auto;
        border: round $warning;
        background: $surface;
        padding: 0 1;
    }
    AuditScreen Horizontal {
        height: auto;
    }
    AuditScreen .label {
        width: 12;
    }
    AuditScreen MaskedInput {
        width: 14;
    }
    AuditScreen #known-at {
        width: 1fr;
    }
    AuditScreen .help {
        color: $foreground-muted;
    }
    AuditScreen .field-error {
        color: $error;
        display: none;
    }
    AuditScreen .field-error.-shown {
        display: block;
    }
    AuditScreen #buttons {
        align-horizontal: right;
        height: 1;
    }
    AuditScreen #buttons Button {
        margin-left: 2;
    }
    """

    def __init__(self, as_of: date, known_at: datetime | None = None) -> None:
        super().__init__()
        self.as_of = as_of
        self.known_at = known_at

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("[b]Audit mode[/]: the ledger as it stood at the end of a day")
            with Horizontal():
                yield Label("as of*", classes="label")
                yield MaskedInput(
                    template="9999-99-99",
                    value=self.as_of.isoformat(),
                    id="as-of",
                    compact=True,
                )
                yield Label(" YYYY-MM-DD", classes="help")
            yield Static("", id="as-of-error", classes="field-error")
            with Horizontal():
                yield Label("known at", classes="label")
                yield Input(
                    value=self.known_at.isoformat() if self.known_at else "",
                    placeholder="optional: date or 2026-06-30T17:00:00Z",
                    id="known-at",
                    compact=True,
                )
            yield Static("", id="known-at-error", classes="field-error")
            yield Static(
                "Known at: count only what had been recorded by then (a date means the end "
                "of that day, UTC).",
                classes="help",
            )
            with Horizontal(id="buttons"):
                yield Button("Audit", variant="warning", id="apply", compact=True)
                yield Button("Cancel", id="cancel", compact=True)
        yield KeysBar()

    def _error(self, name: str, message: str | None) -> None:
        box = self.query_one(f"#{name}-error", Static)
        box.update(Text(terminal_safe(f"⚠ {message}")) if message else "")
        box.set_class(bool(message), "-shown")
        self.query_one(f"#{name}").set_class(bool(message), "-invalid")

    def action_apply(self) -> None:
        as_of_text = self.query_one("#as-of", MaskedInput).value.strip()
        known_text = self.query_one("#known-at", Input).value.strip()
        as_of = known_at = None
        try:
            as_of = parse_date(as_of_text)
            self._error("as-of", None)
        except ValueError as exc:
            self._error("as-of", str(exc) if as_of_text else "a date is required")
        try:
            known_at = parse_moment(known_text, end_of_day=True) if known_text else None
            self._error("known-at", None)
        except ValueError as exc:
            self._error("known-at", str(exc))
            return
        if as_of is None:
            self.query_one("#as-of").focus()
            return
        self.dismiss((as_of, known_at))

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_apply()

    @on(Button.Pressed, "#apply")
    def _apply_pressed(self) -> None:
        self.action_apply()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()
