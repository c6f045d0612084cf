"""Form fields derived from the pydantic event models, as the command line derives its options.

:func:`form_fields` reads a model's fields (type, choices, default, required-ness) and
:class:`FieldRow` builds the widget for each: an ``Input`` for text, numbers and dates (its
hint as the placeholder, so the value has the whole width), a ``Select`` for a ``Literal``
and for a handle picked from a list (an open commitment, an open issue), a ``Checkbox`` for a
``bool`` and a :class:`ScoresGrid` for the review scores. The values go back to the same
model (through ``LINE_ADAPTER``), so a form can never accept what ``record`` would refuse,
nor drift from the event format.
"""

from __future__ import annotations

import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from pydantic.fields import FieldInfo
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Grid, Horizontal, Vertical
from textual.suggester import SuggestFromList
from textual.widget import Widget
from textual.widgets import Checkbox, Input, Label, Select, Static
from trustledger.domain.events import DIMENSIONS, EventLine, base_type
from trustledger.domain.text import terminal_safe

FieldKind = Literal["text", "int", "float", "date", "choice", "bool", "scores"]

#: Fields a form does not ask for: the type is the form's, the id is generated, and the
#: recording time is the ledger's.
SKIPPED = ("type", "id", "recorded_at")
#: The common fields come after the type's own ones.
TRAILING = ("occurred_on", "actor", "note")

HINTS = {
    "partnership": "handle: lowercase letters, digits, - and _",
    "commitment": "handle",
    "issue": "handle",
    "occurred_on": "YYYY-MM-DD, default today",
    "due": "YYYY-MM-DD",
    "period": "YYYY-MM",
    "actor": "default: your login name",
    "weight": "1-5",
    "review_every_days": "1-730",
    "amount": ">= 0",
    "currency": "ISO 4217, e.g. USD",
}


@dataclass(frozen=True)
class FieldSpec:
    """What a form needs to know about one model field."""

    name: str
    kind: FieldKind
    required: bool
    default: Any
    choices: tuple[str, ...] = ()
    description: str = ""

    @property
    def label(self) -> str:
        return self.name.replace("_", " ")

    @property
    def hint(self) -> str:
        hint = HINTS.get(self.name, "")
        if not hint and self.kind == "date":
            hint = "YYYY-MM-DD"
        return hint


def field_kind(info: FieldInfo) -> tuple[FieldKind, tuple[str, ...]]:
    base = base_type(info.annotation)
    origin = typing.get_origin(base)
    if base is bool:
        return "bool", ()
    if origin is Literal:
        return "choice", tuple(str(a) for a in typing.get_args(base))
    if origin is dict:
        return "scores", ()
    if base is int:
        return "int", ()
    if base is float:
        return "float", ()
    if base is date:
        return "date", ()
    return "text", ()


def form_fields(model: type[EventLine]) -> list[FieldSpec]:
    """The fields a form for ``model`` shows, in order: partnership, own fields, common ones."""
    names = [n for n in model.model_fields if n not in SKIPPED]
    ordered = (
        ["partnership"]
        + [n for n in names if n not in TRAILING and n != "partnership"]
        + [n for n in TRAILING if n in names]
    )
    specs = []
    for name in ordered:
        info = model.model_fields[name]
        kind, choices = field_kind(info)
        default = None if info.is_required() else info.get_default(call_default_factory=True)
        specs.append(
            FieldSpec(
                name=name,
                kind=kind,
                required=info.is_required(),
                default=default,
                choices=choices,
                description=info.description or "",
            )
        )
    return specs


class ScoresGrid(Widget):
    """Scores 1-5 per dimension, for our side and the partner's."""

    DEFAULT_CSS = """
    ScoresGrid {
        height: auto;
        width: 1fr;
    }
    ScoresGrid Grid {
        grid-size: 3;
        grid-columns: 16 8 8;
        grid-rows: 1;
        height: auto;
    }
    ScoresGrid Input {
        width: 5;
    }
    ScoresGrid .head {
        text-style: bold;
    }
    """

    def compose(self) -> ComposeResult:
        with Grid():
            yield Label("dimension", classes="head")
            yield Label("ours*", classes="head")
            yield Label("theirs", classes="head")
            for dim in DIMENSIONS:
                yield Label(dim)
                for side in ("scores", "partner_scores"):
                    yield Input(
                        id=f"f-{side}-{dim}",
                        restrict=r"[1-5]?",
                        max_length=1,
                        placeholder="·",
                        compact=True,
                        classes="score",
                    )

    def values(self, side: str) -> dict[str, int]:
        found: dict[str, int] = {}
        for dim in DIMENSIONS:
            text = self.query_one(f"#f-{side}-{dim}", Input).value.strip()
            if text:
                found[dim] = int(text)
        return found

    def cell(self, side: str, dim: str) -> Input | None:
        found = self.query(f"#f-{side}-{dim}")
        return found.first(Input) if found else None


class FieldRow(Vertical):
    """One field: label, widget, and the line its error appears on."""

    DEFAULT_CSS = """
    FieldRow {
        height: auto;
    }
    FieldRow > Horizontal {
        height: auto;
    }
    FieldRow .label {
        width: 18;
    }
    FieldRow .label.-required {
        text-style: bold;
    }
    FieldRow Input {
        width: 1fr;
    }
    FieldRow Select {
        width: 28;
    }
    FieldRow Select.pick {
        width: 1fr;
    }
    FieldRow .field-error {
        color: $error;
        padding-left: 18;
        display: none;
    }
    FieldRow .field-error.-shown {
        display: block;
    }
    """

    def __init__(
        self,
        spec: FieldSpec,
        *,
        value: str | None = None,
        suggestions: Iterable[str] = (),
        options: Sequence[tuple[Text, str]] | None = None,
    ) -> None:
        """``options`` (label, value): the field is picked from this list (a ``Select``)."""
        super().__init__(id=f"row-{spec.name}")
        self.spec = spec
        self.initial = value
        self.suggestions = [terminal_safe(s) for s in suggestions]
        self.options = list(options) if options is not None else None
        self.has_error = False
        self.errored_value: Any = None

    def compose(self) -> ComposeResult:
        spec = self.spec
        mark = "*" if spec.required else ""
        if spec.name == "partner_scores":  # shown in the scores grid, next to ours
            yield Static("", id=f"err-{spec.name}", classes="field-error")
            return
        with Horizontal():
            yield Label(
                f"{spec.label}{mark}",
                classes="label -required" if spec.required else "label",
            )
            yield from self._widget()
        yield Static("", id=f"err-{spec.name}", classes="field-error")

    def _widget(self) -> Iterable[Widget]:
        spec = self.spec
        wid = f"f-{spec.name}"
        if spec.kind == "scores":
            if spec.name == "scores":
                yield ScoresGrid(id="f-scores")
            return
        if spec.kind == "bool":
            yield Checkbox(spec.description or spec.label, bool(spec.default), id=wid, compact=True)
            return
        if self.options is not None:
            values = [value for _, value in self.options]
            yield Select(
                self.options,
                prompt=self.empty_prompt(),
                allow_blank=True,
                value=self.initial if self.initial in values else Select.NULL,
                id=wid,
                compact=True,
                classes="pick",
            )
            return
        if spec.kind == "choice":
            value = self.initial if self.initial in spec.choices else spec.default
            yield Select(
                [(c, c) for c in spec.choices],
                prompt="choose…",
                allow_blank=value is None,
                value=value if value is not None else Select.NULL,
                id=wid,
                compact=True,
            )
            return
        default = self.initial
        if default is None and spec.default is not None and spec.kind in ("int", "float"):
            default = str(spec.default)
        if default is None and spec.default is not None and spec.kind == "text":
            default = str(spec.default)
        yield Input(
            value=default or "",
            placeholder=spec.hint,
            id=wid,
            compact=True,
            type="integer" if spec.kind == "int" else "number" if spec.kind == "float" else "text",
            suggester=SuggestFromList(self.suggestions) if self.suggestions else None,
        )

    def empty_prompt(self) -> str:
        """What a pick list says when nothing is picked (or there is nothing to pick)."""
        what = {"commitment": "commitment", "issue": "issue"}.get(self.spec.name, "value")
        if not self.options:
            opened = "open " if self.spec.required else ""
            return f"no {opened}{what}s to choose from"
        return f"choose the {what}…"

    def set_options(self, options: Sequence[tuple[Text, str]]) -> None:
        """Offer ``options`` (keeping the choice when it is still among them)."""
        widget = self.query_one(f"#f-{self.spec.name}")
        if not isinstance(widget, Select) or self.options == list(options):
            return
        kept = widget.value
        self.options = list(options)
        widget.set_options(self.options)
        widget.prompt = self.empty_prompt()
        if kept in [value for _, value in self.options]:
            widget.value = kept

    def value(self) -> Any:
        """The field's value for the model (None when left empty)."""
        spec = self.spec
        if spec.kind == "scores":
            grid = self.screen.query_one("#f-scores", ScoresGrid)
            return grid.values(spec.name) or None
        widget = self.query_one(f"#f-{spec.name}")
        if isinstance(widget, Checkbox):
            return widget.value
        if isinstance(widget, Select):
            return None if widget.value is Select.NULL else widget.value
        assert isinstance(widget, Input)
        text = widget.value.strip()
        if not text:
            return None
        try:
            if spec.kind == "int":
                return int(text)
            if spec.kind == "float":
                return float(text)
        except ValueError:
            return text  # the model reports it, at this field
        return text

    def focus_target(self, sub: str | None = None) -> Widget | None:
        spec = self.spec
        if spec.kind == "scores":
            grid = self.screen.query_one("#f-scores", ScoresGrid)
            return grid.cell(spec.name, sub or DIMENSIONS[0])
        return self.query_one(f"#f-{spec.name}")

    def edited(self) -> bool:
        """Has the value changed since its error was shown?"""
        try:
            return bool(self.has_error) and self.value() != self.errored_value
        except Exception:
            return True

    def show_error(self, message: str | None, sub: str | None = None) -> None:
        self.has_error = bool(message)
        self.errored_value = self.value() if message else None
        label = self.query_one(f"#err-{self.spec.name}", Static)
        # Plain text: a message may quote what was typed or stored ("[b]" is no markup).
        label.update(Text(terminal_safe(f"⚠ {message}")) if message else "")
        label.set_class(bool(message), "-shown")
        target = self.focus_target(sub)
        if target is not None:
            target.set_class(bool(message), "-invalid")
        if not message and self.spec.kind == "scores":
            for cell in self.screen.query(".score"):
                cell.remove_class("-invalid")
