"""A window with one long text in full (a timeline entry, a commitment, an issue), scrollable."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static
from trustledger.domain.text import terminal_safe
from trustledger.tui.dashboard.widgets.bars import KeysBar


class TextScreen(ModalScreen[None]):
    """``text`` (stored text: shown terminal-safe, never as markup) under ``title``."""

    AUTO_FOCUS = "#text-body"
    BINDINGS = [
        Binding("escape", "dismiss", "Close"),
        Binding("enter", "dismiss", "Close", show=False),
        Binding("q", "dismiss", "Close", show=False),
        Binding("j", "scroll('down')", "Down", show=False),
        Binding("k", "scroll('up')", "Up", show=False),
    ]

    DEFAULT_CSS = """
    TextScreen {
        align: center middle;
    }
    TextScreen > Vertical {
        width: 76;
        max-width: 100%;
        height: auto;
        max-height: 90%;
        border: round $primary;
        background: $surface;
        padding: 0 1;
    }
    TextScreen #text-body {
        height: auto;
        max-height: 18;
    }
    """

    def __init__(self, title: str, text: str) -> None:
        super().__init__()
        self.title_text = title
        self.text = text

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(terminal_safe(self.title_text), style="bold"))
            with VerticalScroll(id="text-body"):
                yield Static(Text(terminal_safe(self.text, multiline=True)))
        yield KeysBar()

    def action_scroll(self, direction: str) -> None:
        body = self.query_one("#text-body", VerticalScroll)
        if direction == "down":
            body.scroll_down()
        else:
            body.scroll_up()
