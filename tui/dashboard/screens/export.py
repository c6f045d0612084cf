"""The export dialog: which format (the table shown as CSV, or the report JSON) and where.

It only chooses; the app builds the contents from the screen and writes them in a worker.
A name that exists already, or a folder that does not, is an error at the field: an export
never overwrites a file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static
from trustledger.tui.dashboard.widgets.bars import KeysBar

FORMATS = {"csv": "CSV: the table shown", "json": "JSON: the report"}


@dataclass(frozen=True)
class ExportChoice:
    path: Path
    fmt: str  # "csv" | "json"


class ExportScreen(ModalScreen[ExportChoice | None]):
    """Choose the format and the file; ``stem`` names the view (``portfolio-2026-11-20``)."""

    AUTO_FOCUS = "#export-path"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "save", "Export", priority=True),
    ]

    DEFAULT_CSS = """
    ExportScreen {
        align: center middle;
    }
    ExportScreen > Vertical {
        width: 72;
        max-width: 100%;
        height: auto;
        border: round $primary;
        background: $surface;
        padding: 0 1;
    }
    ExportScreen Horizontal {
        height: auto;
    }
    ExportScreen .label {
        width: 8;
    }
    ExportScreen #export-path {
        width: 1fr;
    }
    ExportScreen #export-format {
        width: 30;
    }
    ExportScreen #export-error {
        color: $error;
        height: auto;
    }
    ExportScreen #export-buttons {
        align-horizontal: right;
        height: 1;
    }
    ExportScreen #export-buttons Button {
        margin-left: 2;
    }
    """

    def __init__(self, what: str, stem: str, directory: Path) -> None:
        super().__init__()
        self.what = what
        self.stem = stem
        self.directory = directory

    def default_path(self, fmt: str) -> str:
        return str(self.directory / f"trustledger-{self.stem}.{fmt}")

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(f"Export {self.what}", style="bold"))
            with Horizontal():
                yield Label("format", classes="label")
                yield Select(
                    [(words, fmt) for fmt, words in FORMATS.items()],
                    value="csv",
                    allow_blank=False,
                    id="export-format",
                    compact=True,
                )
            with Horizontal():
                yield Label("file", classes="label")
                yield Input(value=self.default_path("csv"), id="export-path", compact=True)
            yield Static("", id="export-error")
            with Horizontal(id="export-buttons"):
                yield Button("Export", variant="primary", id="export-save", compact=True)
                yield Button("Cancel", id="export-cancel", compact=True)
        yield KeysBar()

    @on(Select.Changed, "#export-format")
    def _format_changed(self, event: Select.Changed) -> None:
        path = self.query_one("#export-path", Input)
        fmt = str(event.value)
        for other in FORMATS:
            if path.value == self.default_path(other):
                path.value = self.default_path(fmt)

    def action_save(self) -> None:
        fmt = str(self.query_one("#export-format", Select).value)
        text = self.query_one("#export-path", Input).value.strip()
        error = self.query_one("#export-error", Static)
        path = Path(text).expanduser() if text else None
        if path is None:
            message = "⚠ give a file name"
        elif path.exists():
            message = f"⚠ {path} exists already: choose another name"
        elif not path.parent.is_dir():
            message = f"⚠ there is no folder {path.parent}"
        else:
            self.dismiss(ExportChoice(path, fmt))
            return
        error.update(Text(message))
        self.query_one("#export-path", Input).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted, "#export-path")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    @on(Button.Pressed, "#export-save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#export-cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()
