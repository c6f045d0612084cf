"""Correcting an event from the timeline: the void and amend forms.

:class:`CorrectionScreen` voids the event it is given (asking why) or amends it (asking why,
with the corrected line pre-filled from the event as it stands, as JSON to edit). Saving
checks the line with the same model as ``record`` and records it in a thread worker through
the application service, all or nothing; the ledger's refusals (a commitment that later
events rely on, a corrected line that breaks a rule) are shown in the form. Success closes
it; the live follower then shows the corrected history.
"""

from __future__ import annotations

import json
from typing import Literal

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static, TextArea
from trustledger.domain.errors import error_lines
from trustledger.domain.events import EventLine, Recorded
from trustledger.domain.text import terminal_safe
from trustledger.tui.dashboard.screens.line_form import LineFormScreen
from trustledger.tui.dashboard.widgets.bars import KeysBar
from trustledger.tui.service.corrections import amend_start, amend_values, void_values
from trustledger.tui.service.labels import describe, event_label
from trustledger.tui.service.recording import LineError, LineRejected, RecordResult

#: Where a correction form's line says it came from, in the ledger's errors.
SOURCE = "form"

Kind = Literal["void", "amend"]


class CorrectionScreen(LineFormScreen[bool]):
    """Void or amend one event (see the module docstring); dismissed with True once recorded."""

    AUTO_FOCUS = "#reason"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "save", "Save"),
    ]

    DEFAULT_CSS = """
    CorrectionScreen {
        align: center middle;
    }
    CorrectionScreen > Vertical {
        width: 76;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: round $primary;
        background: $surface;
        padding: 0 1;
    }
    CorrectionScreen #event {
        color: $foreground-muted;
        height: auto;
        max-height: 3;
    }
    CorrectionScreen TextArea {
        height: 8;
    }
    CorrectionScreen #error {
        color: $text-error;
        height: auto;
    }
    CorrectionScreen Horizontal {
        height: auto;
    }
    """

    def __init__(self, kind: Kind, event: Recorded) -> None:
        super().__init__()
        self.kind: Kind = kind
        self.event = event

    def compose(self) -> ComposeResult:
        event = self.event
        verb = "Void" if self.kind == "void" else "Amend"
        with Vertical():
            # Stored text is shown, never obeyed: terminal-safe and plain (no markup).
            title = terminal_safe(
                f"{verb} {event_label(event.type)} #{event.version} of {event.partnership}"
            )
            yield Label(Text.assemble((title, "bold"), f" ({terminal_safe(event.line.id or '')})"))
            yield Static(Text(terminal_safe(describe(event.line), multiline=True)), id="event")
            yield Input(placeholder="why (required)", id="reason")
            if self.kind == "amend":
                yield Label("the corrected line (JSON):")
                text = json.dumps(amend_start(event), indent=1, ensure_ascii=False)
                yield TextArea(text, id="line", language=None, show_line_numbers=False)
            yield Static("", id="error", markup=False)
            with Horizontal():
                yield Button(verb, id="save", variant="warning")
                yield Button("Cancel", id="cancel")
        yield KeysBar()

    def values(self) -> dict[str, object]:
        """The correction line's values from the form (ValueError: the JSON is not valid)."""
        reason = self.query_one("#reason", Input).value
        handle, target = self.event.partnership, self.event.line.id or ""
        if self.kind == "void":
            return void_values(handle, target, reason)
        try:
            corrected = json.loads(self.query_one("#line", TextArea).text)
        except ValueError as exc:
            raise ValueError(f"line: not valid JSON: {exc}") from None
        if not isinstance(corrected, dict):
            raise ValueError("line: expected a JSON object")
        return amend_values(handle, target, reason, corrected)

    def action_save(self) -> None:
        if self.saving:
            return
        try:
            line = self.tl_app.service.check_values(self.values(), SOURCE)
        except ValueError as exc:
            self.show_errors([LineError(SOURCE, 0, None, str(exc))])
            return
        except LineRejected as exc:
            self.show_errors(exc.errors)
            return
        self.start_saving(line)

    def recorded(self, line: EventLine, result: RecordResult) -> None:
        if result.ok:
            verb = "voided" if self.kind == "void" else "amended"
            self.app.notify(
                terminal_safe(f"{verb} {self.event.line.id}"), title="Corrected", markup=False
            )
            self.dismiss(True)
            return
        self.show_errors(result.errors)

    def show_errors(self, errors: list[LineError]) -> None:
        """Each error as ``field: message`` (the form is the line's only source)."""
        lines = [line.removeprefix(f"{SOURCE}: ") for line in error_lines(errors)]
        # Plain text: a message may quote what was typed or stored ("[b]" is no markup).
        text = terminal_safe("\n".join(f"⚠ {line}" for line in lines), multiline=True)
        self.query_one("#error", Static).update(Text(text))

    def action_cancel(self) -> None:
        self.dismiss(False)
