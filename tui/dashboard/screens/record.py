"""Forms that record one event each, and the chooser that opens them.

A :class:`RecordScreen` is built from the event's pydantic model (see
:mod:`..widgets.fields`). Saving validates the values with ``LINE_ADAPTER`` (the model that
validates an NDJSON line) and shows each error at its field; then the line is recorded in a
thread worker through the application service, all or nothing, like ``trustledger record``.
The ledger's rule errors come back as ``LineError``s and are shown at their ``field`` too,
with the handles that would do when a handle was wrong; an error goes as soon as its field is
edited. A commitment or issue that must already exist is picked from a list (the
partnership's open ones, :func:`form_choices`). Success closes the form with a notification
that says what was recorded for whom; the live follower then shows the event.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from dataclasses import field as default
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option
from trustledger.domain.events import DIMENSIONS, EVENT_TYPES, LINE_ADAPTER, EventLine
from trustledger.domain.text import terminal_safe
from trustledger.tui.dashboard.screens.line_form import LineFormScreen
from trustledger.tui.dashboard.widgets.bars import KeysBar
from trustledger.tui.dashboard.widgets.fields import FieldRow, FieldSpec, form_fields
from trustledger.tui.service.labels import event_title
from trustledger.tui.service.recording import LineError, RecordResult

if TYPE_CHECKING:
    from trustledger.projections import PartnershipView
    from trustledger.tui.service.live import Picture

#: event type -> (key in the chooser, title); the titles are service.labels' words.
EVENT_CHOICES: dict[str, tuple[str, str]] = {
    event_type: (key, event_title(event_type))
    for event_type, key in (
        ("partnership_registered", "p"),
        ("commitment_made", "c"),
        ("commitment_renegotiated", "g"),
        ("commitment_kept", "k"),
        ("commitment_missed", "m"),
        ("review_held", "v"),
        ("issue_raised", "i"),
        ("issue_resolved", "s"),
        ("revenue_recorded", "r"),
        ("partnership_ended", "e"),
    )
}
#: The fields picked from a list (the handle of something that exists), by event type.
PICKED = {
    "commitment_renegotiated": "commitment",
    "commitment_kept": "commitment",
    "commitment_missed": "commitment",
    "issue_resolved": "issue",
    "issue_raised": "commitment",
}


@dataclass(frozen=True)
class FormChoices:
    """What a form offers: partnership handles (as suggestions) and pick lists by field."""

    partnerships: list[str] = default(default_factory=list)
    options: dict[str, list[tuple[Text, str]]] = default(default_factory=dict)


def form_choices(
    picture: Picture | None,
    event_type: str,
    handle: str | None,
    view: PartnershipView | None = None,
) -> FormChoices:
    """The partnerships an event of ``event_type`` may be for, and the open commitments or
    issues of ``handle`` it may be about (every commitment, for an issue raised), from its
    ``view`` (by default the picture's)."""
    if picture is None or event_type == "partnership_registered":
        return FormChoices()
    views = picture.portfolio.partnerships
    partnerships = [
        v.handle for v in views if v.status != "ended" or event_type == "revenue_recorded"
    ]
    picked = PICKED.get(event_type)
    if picked is None:
        return FormChoices(partnerships)
    if view is None or view.handle != handle:
        view = picture.get(handle) if handle else None
    options: list[tuple[Text, str]] = []
    if view is not None and picked == "commitment":
        every = event_type == "issue_raised"
        for c in view.commitments if every else view.open_commitments:
            when: str
            if every and not c.is_open:
                when = c.stage
            elif c.stage == "overdue":
                when = f"{c.days_overdue}d late"
            else:
                when = f"due {c.due}"
            options.append((_option(c.handle, c.summary, f"{c.by}, {when}"), c.handle))
    elif view is not None:
        for i in view.open_issues:
            about = f"{i.severity}, {i.days_open}d open"
            options.append((_option(i.handle, i.summary, about), i.handle))
    return FormChoices(partnerships, {picked: options})


#: A pick list's line: the handle, the summary cut to fit, and a few words: one line in the
#: form's list, and in its field once chosen (44 cells of text at 80 columns).
OPTION_WIDTH = 44


def _option(handle: str, summary: str, about: str) -> Text:
    """``handle · summary… (about)`` in :data:`OPTION_WIDTH` cells; the summary is cut
    first, then left out."""
    head = terminal_safe(handle)
    tail = f" ({about})"
    room = OPTION_WIDTH - len(head) - len(tail) - 3
    text = terminal_safe(summary)
    if len(text) > room:
        text = text[: room - 1].rstrip() + "…" if room >= 6 else ""
    label = Text(head, style="bold", end="", no_wrap=True, overflow="ellipsis")
    if text:
        label.append(f" · {text}")
    label.append(tail)
    return label


def confirmation(line: EventLine, name: str | None) -> str:
    """What a saved form says: ``Commitment kept: q4-pipeline — Northwind (northwind)``."""
    title = event_title(line.type)
    subject = next(
        (
            str(value)
            for key in ("commitment", "issue", "period")
            if (value := getattr(line, key, None))
        ),
        "",
    )
    who = f"{name} ({line.partnership})" if name else line.partnership
    head = f"{title[:1].upper()}{title[1:]}"
    return terminal_safe(f"{head}: {subject} — {who}" if subject else f"{head} — {who}")


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
    """Pick which kind of event to record (one key each), for the partnership it names."""

    AUTO_FOCUS = "OptionList"
    BINDINGS = [Binding("escape", "dismiss_none", "Cancel")]

    DEFAULT_CSS = """
    ChooseEventScreen {
        align: center middle;
    }
    ChooseEventScreen > Vertical {
        width: 52;
        height: auto;
        border: round $primary;
        background: $surface;
        padding: 0 1;
    }
    ChooseEventScreen #choose-for {
        color: $foreground-muted;
    }
    ChooseEventScreen OptionList {
        height: auto;
        max-height: 14;
    }
    """

    def __init__(self, partnership: str | None = None, name: str | None = None) -> None:
        super().__init__()
        self.partnership = partnership
        self.partnership_name = name

    def compose(self) -> ComposeResult:
        with Vertical():
            title = Text("Record an event", style="bold")
            if self.partnership:
                who = self.partnership_name or self.partnership
                title.append(f" for {terminal_safe(who)}")
            yield Label(title)
            if self.partnership:
                yield Static(
                    Text(f"({self.partnership}: the highlighted row; the form can change it)"),
                    id="choose-for",
                )
            yield OptionList(
                *[
                    Option(Text.assemble((key, "bold"), f"  {words}"), id=event_type)
                    for event_type, (key, words) in EVENT_CHOICES.items()
                ]
            )
        yield KeysBar()

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


class RecordScreen(LineFormScreen[RecordResult | None]):
    SOURCE = FORM_SOURCE
    STATUS = "#form-error"

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
        choices: Callable[[str, str | None], FormChoices] | None = None,
    ) -> None:
        """``values`` fill fields (the partnership); ``choices`` gives, for a partnership
        handle, what the form offers (it is asked again when the partnership changes)."""
        super().__init__()
        self.event_type = event_type
        self.model: type[EventLine] = EVENT_TYPES[event_type]
        self.specs: list[FieldSpec] = form_fields(self.model)
        self.values = values or {}
        self.choices = choices or (lambda _type, _handle: FormChoices())
        self.offered = self.choices(event_type, self.values.get("partnership"))
        # The cursor starts on the first field still to fill, set as the screen's auto focus
        # (not moved there after mounting: a key typed meanwhile would land elsewhere).
        self.AUTO_FOCUS = self.first_to_fill()  # type: ignore[misc]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(
                Text(f"Record: {EVENT_CHOICES[self.event_type][1]}", style="bold"), id="title"
            )
            yield Static(Text(self.model.__doc__ or ""), id="about")
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
                        suggestions=self.offered.partnerships if spec.name == "partnership" else (),
                        options=self.offered.options.get(spec.name),
                    )
            yield Static("", id="form-error")
            with Horizontal(id="buttons"):
                yield Button("Save", variant="primary", id="save", compact=True)
                yield Button("Cancel", id="cancel", compact=True)
        yield KeysBar()

    def first_to_fill(self) -> str:
        """Where the cursor starts: the first field still empty that is typed or picked."""
        for spec in self.specs:
            if spec.name == "scores":
                return f"#f-scores-{DIMENSIONS[0]}"
            if spec.kind in ("bool", "scores") or spec.name in self.values:
                continue
            if spec.kind == "choice" and not spec.required:
                continue  # a choice with a default
            if spec.kind == "choice" and spec.default is not None:
                continue
            return f"#f-{spec.name}"
        return "#form Input, #form Select"

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
        # Plain text: a message may quote what was typed or stored ("[b]" is no markup).
        box.update(Text(terminal_safe("\n".join(f"⚠ {m}" for m in general), multiline=True)))
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
        self.start_saving(line)

    def recorded(self, line: EventLine, result: RecordResult) -> None:
        self.query_one("#form-error", Static).update("")
        if result.ok:
            self.app.notify(
                confirmation(line, self.tl_app._name_of(line.partnership)),
                title="Recorded",
                markup=False,
            )
            self.dismiss(result)
            return
        self.show_rule_errors(result.errors)

    def show_rule_errors(self, errors: list[LineError]) -> None:
        """The ledger's verdict at each field it names (``scores.vision``: that score); at a
        handle, with the handles that would do."""
        shown: list[tuple[str | None, str | None, str]] = []
        for error in errors:
            name, _, sub = (error.field or "").partition(".")
            message = terminal_safe(error.message) + self.valid_handles(name)
            shown.append((name or None, sub if sub in DIMENSIONS else None, message))
        self.show_errors(shown)

    def valid_handles(self, name: str) -> str:
        """``; open: a, b`` — what a handle field could hold (nearest first), or nothing."""
        handle = self.rows()["partnership"].value() if "partnership" in self.rows() else None
        offered = self.choices(self.event_type, handle)
        if name == "partnership":
            known, what = offered.partnerships, "registered"
        elif name in offered.options:
            known, what = [value for _, value in offered.options[name]], "open"
        else:
            return ""
        if not known:
            return f" (none {what})"
        typed = str(self.rows()[name].value() or "") if name in self.rows() else ""
        near = difflib.get_close_matches(typed, known, n=3, cutoff=0.5)
        listed = near + [k for k in known if k not in near]
        more = f" … {len(listed) - 8} more" if len(listed) > 8 else ""
        return f"; {what}: {', '.join(listed[:8])}{more}"

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Changed)
    @on(Select.Changed)
    @on(Checkbox.Changed)
    def _edited(self, event: Input.Changed | Select.Changed | Checkbox.Changed) -> None:
        """An edited field loses its error (it is checked again on save)."""
        if isinstance(event, Select.Changed):
            event.stop()
        node = event.control.parent
        while node is not None and not isinstance(node, FieldRow):
            node = node.parent
        if node is None:
            return
        rows = [node]
        if node.spec.kind == "scores":  # the grid holds both sides' scores
            rows = [row for row in self.rows().values() if row.spec.kind == "scores"]
        for row in rows:
            if row.edited():
                row.show_error(None)
        if node.spec.name == "partnership" and isinstance(event, Input.Changed):
            self._partnership_changed(event.value.strip())

    def _partnership_changed(self, handle: str) -> None:
        """Offer the partnership's own commitments or issues."""
        self.offered = self.choices(self.event_type, handle)
        rows = self.rows()
        for name, options in self.offered.options.items():
            if name in rows:
                rows[name].set_options(options)
