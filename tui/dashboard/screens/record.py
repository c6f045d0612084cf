"""Forms that record one event each, and the chooser that opens them.

A :class:`RecordScreen` is built from the event's pydantic model (see
:mod:`..widgets.fields`). Saving validates the values with ``LINE_ADAPTER`` (the model that
validates an NDJSON line) and shows each error at its field; then the line is recorded in a
thread worker through the application service, all or nothing, like ``trustledger record``.
The ledger's rule errors come back as ``LineError``s and are shown at their ``field`` too.
Success closes the form with a notification; the live follower then shows the event.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Button, Footer, Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option
from trustledger.domain.events import DIMENSIONS, EVENT_TYPES, LINE_ADAPTER, EventLine
from trustledger.tui.dashboard.widgets.fields import FieldRow, FieldSpec, form_fields
from trustledger.tui.service.labels import event_label
from trustledger.tui.service.recording import LineError, RecordResult

if TYPE_CHECKING:
    from trustledger.tui.dashboard.app import TrustLedgerApp

#: event type -> (key in the chooser, title)
EVENT_CHOICES: dict[str, tuple[str, str]] = {
    "partnership_registered": ("p", "register a partnership"),
    "commitment_made": ("c", "commitment made"),
    "commitment_renegotiated": ("g", "commitment renegotiated"),
    "commitment_kept": ("k", "commitment kept"),
    "commitment_missed": ("m", "commitment missed"),
    "review_held": ("v", "review held"),
    "issue_raised": ("i", "issue raised"),
    "issue_resolved": ("s", "issue resolved"),
    "revenue_recorded": ("r", "revenue recorded"),
    "partnership_ended": ("e", "partnership ended"),
}

#: Where a form's line says it came from, in the ledger's errors.
FORM_SOURCE = "form"
_HANDLE_FIELDS = ("partnership", "commitment", "issue")
CHECKBOX_TEXT = {"partner_card": "one side appealed to 'the partnership' to win the dispute"}


def friendly(error: Mapping[str, Any], field: str) -> str:
    """A pydantic error as a short message for a person."""
    kind = error.get("type", "")
    message = str(error.get("msg", "invalid"))
    if kind == "missing" and field == "scores":
        return "give at least one score of our side"
    if kind == "missing":
        return "required"
    if kind == "string_pattern_mismatch" and field in _HANDLE_FIELDS:
        return "a handle: lowercase letters, digits, - and _ (up to 64)"
    if kind == "string_pattern_mismatch" and field == "currency":
        return "three capital letters (ISO 4217), e.g. USD"
    if kind == "string_too_short":
        return "required"
    if kind == "too_short" and field == "scores":
        return "give at least one score of our side"
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    return message


class ChooseEventScreen(ModalScreen[str | None]):
    """Pick which kind of event to record (one key each)."""

    AUTO_FOCUS = "OptionList"
    BINDINGS = [Binding("escape", "dismiss_none", "Cancel")]

    DEFAULT_CSS = """
    ChooseEventScreen {
        align: center middle;
    }
    ChooseEventScreen > Vertical {
        width: 46;
        height: auto;
        border: round $primary;
        background: $surface;
        padding: 0 1;
    }
    ChooseEventScreen OptionList {
        height: auto;
        max-height: 14;
    }
    """

    def __init__(self, partnership: str | None = None) -> None:
        super().__init__()
        self.partnership = partnership

    def compose(self) -> ComposeResult:
        with Vertical():
            title = "Record an event"
            if self.partnership:
                title += f" for {self.partnership}"
            yield Label(f"[b]{title}[/]")
            yield OptionList(
                *[
                    Option(f"[b]{key}[/]  {words}", id=event_type)
                    for event_type, (key, words) in EVENT_CHOICES.items()
                ]
            )
        yield Footer()

    def on_key(self, event: Any) -> None:
        for event_type, (key, _) in EVENT_CHOICES.items():
            if event.character == key:
                event.stop()
                self.dismiss(event_type)
                return

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


class RecordScreen(ModalScreen[RecordResult | None]):
    """The form for one event type."""

    AUTO_FOCUS = "#form Input, #form Select"
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]

    DEFAULT_CSS = """
    RecordScreen {
        align: center middle;
    }
    RecordScreen > #dialog {
        width: 78;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: round $primary;
        background: $surface;
        padding: 0 1;
    }
    RecordScreen #form {
        height: auto;
        max-height: 18;
    }
    RecordScreen #about {
        color: $foreground-muted;
    }
    RecordScreen #form-error {
        color: $error;
        display: none;
    }
    RecordScreen #form-error.-shown {
        display: block;
    }
    RecordScreen #buttons {
        height: 1;
        align-horizontal: right;
    }
    RecordScreen #buttons Button {
        margin-left: 2;
    }
    """

    def __init__(
        self,
        event_type: str,
        *,
        values: dict[str, str] | None = None,
        suggestions: dict[str, list[str]] | None = None,
    ) -> None:
        super().__init__()
        self.event_type = event_type
        self.model: type[EventLine] = EVENT_TYPES[event_type]
        self.specs: list[FieldSpec] = form_fields(self.model)
        self.values = values or {}
        self.suggestions = suggestions or {}
        self.saving = False

    @property
    def tl_app(self) -> TrustLedgerApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(f"[b]Record: {EVENT_CHOICES[self.event_type][1]}[/]", id="title")
            yield Static(self.model.__doc__ or "", id="about")
            with VerticalScroll(id="form"):
                for spec in self.specs:
                    if spec.kind == "bool":
                        spec = FieldSpec(
                            spec.name,
                            spec.kind,
                            spec.required,
                            spec.default,
                            spec.choices,
                            CHECKBOX_TEXT.get(spec.name, spec.description),
                        )
                    yield FieldRow(
                        spec,
                        value=self.values.get(spec.name),
                        suggestions=self.suggestions.get(spec.name, ()),
                    )
            yield Static("", id="form-error")
            with Horizontal(id="buttons"):
                yield Button("Save", variant="primary", id="save", compact=True)
                yield Button("Cancel", id="cancel", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        # Put the cursor on the first field that is still empty.
        for row in self.query(FieldRow):
            target = row.focus_target()
            if isinstance(target, Input) and not target.value:
                target.focus()
                return

    # -- the data -------------------------------------------------------------------------

    def rows(self) -> dict[str, FieldRow]:
        return {row.spec.name: row for row in self.query(FieldRow)}

    def collect(self) -> dict[str, Any]:
        data: dict[str, Any] = {"type": self.event_type}
        for name, row in self.rows().items():
            value = row.value()
            if value is None or (value is False and row.spec.default is False):
                continue
            data[name] = value
        return data

    def clear_errors(self) -> None:
        for row in self.rows().values():
            row.show_error(None)
        self.query_one("#form-error", Static).set_class(False, "-shown")

    def show_errors(self, errors: list[tuple[str | None, str | None, str]]) -> None:
        """Show ``(field, sub-field, message)`` at their fields; focus the first one."""
        rows = self.rows()
        general: list[str] = []
        first = None
        for field, sub, message in errors:
            row = rows.get(field or "")
            if row is None:
                general.append(f"{field}: {message}" if field else message)
                continue
            text = f"{sub}: {message}" if sub else message
            row.show_error(text, sub)
            if first is None:
                first = row.focus_target(sub)
        box = self.query_one("#form-error", Static)
        box.update("\n".join(f"⚠ {m}" for m in general))
        box.set_class(bool(general), "-shown")
        if first is not None:
            first.focus()
            first.scroll_visible()

    def validate(self) -> EventLine | None:
        self.clear_errors()
        try:
            return LINE_ADAPTER.validate_python(self.collect())
        except ValidationError as exc:
            found: list[tuple[str | None, str | None, str]] = []
            for error in exc.errors():
                loc = [str(p) for p in error["loc"] if p != "[key]"]
                if loc and loc[0] == self.event_type:
                    loc = loc[1:]
                field = loc[0] if loc else None
                sub = loc[1] if len(loc) > 1 and loc[1] in DIMENSIONS else None
                found.append((field, sub, friendly(error, field or "")))
            self.show_errors(found)
            return None

    # -- actions --------------------------------------------------------------------------

    def action_save(self) -> None:
        if self.saving:
            return
        line = self.validate()
        if line is None:
            return
        self.saving = True
        self.query_one("#save", Button).disabled = True
        self.query_one("#form-error", Static).update("saving…")
        self.record(line)

    @work(thread=True, exclusive=True, exit_on_error=False, group="record")
    def record(self, line: EventLine) -> None:
        try:
            result = self.tl_app.recorder.record(line, FORM_SOURCE)
        except Exception as exc:  # the store failed in a way the ledger did not name
            message = f"{type(exc).__name__}: {exc}"
            result = RecordResult(errors=[LineError(FORM_SOURCE, 0, None, message)])
        self.app.call_from_thread(self.recorded, line, result)

    def recorded(self, line: EventLine, result: RecordResult) -> None:
        self.saving = False
        self.query_one("#save", Button).disabled = False
        self.query_one("#form-error", Static).update("")
        if result.ok:
            self.app.notify(
                f"recorded {event_label(line.type)} for {line.partnership}", title="Recorded"
            )
            self.dismiss(result)
            return
        self.show_rule_errors(result.errors)

    def show_rule_errors(self, errors: list[LineError]) -> None:
        """The ledger's verdict at each field it names (``scores.vision``: that score)."""
        shown: list[tuple[str | None, str | None, str]] = []
        for error in errors:
            field, _, sub = (error.field or "").partition(".")
            shown.append((field or None, sub if sub in DIMENSIONS else None, error.message))
        self.show_errors(shown)

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    @on(Input.Changed, "#f-partnership")
    def _partnership_changed(self, event: Input.Changed) -> None:
        """Offer the partnership's own commitments and issues as suggestions."""
        handle = event.value.strip()
        found = self.tl_app.suggestions_for(self.event_type, handle)
        for name, values in found.items():
            if name == "partnership":
                continue
            target = self.query(f"#f-{name}")
            if target:
                widget = target.first()
                if isinstance(widget, Input):
                    widget.suggester = SuggestFromList(values) if values else None

    @on(Select.Changed)
    def _select_changed(self, event: Select.Changed) -> None:
        event.stop()
