"""The help screen: the keys of every screen, what each status means, and the model.

:data:`KEYS` is the one list of the dashboard's keys by screen: the help screen shows it, and
the README's keys table says the same. It opens with ``?`` from anywhere outside a form,
fills the terminal, scrolls (arrows, ``j``/``k``, PgUp/PgDn), and ``?``, ``q`` or Escape
closes it.
"""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static
from trustledger.tui.dashboard.screens.record import EVENT_CHOICES
from trustledger.tui.dashboard.widgets.bars import KeysBar
from trustledger.tui.service.labels import (
    MODEL_PARAGRAPH,
    STATUS_MEANINGS,
    STATUSES_IN_ORDER,
    event_title,
    status_label,
)

#: (where, ((keys, what they do), ...)), in the order the help screen shows them.
KEYS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        "Everywhere (outside a form)",
        (
            ("?", "this help"),
            ("q", "quit"),
            ("!", "every alert; enter goes to what one is about"),
            ("r", "record an event (for the partnership shown or highlighted)"),
            ("x", "export the view: CSV, or the report JSON"),
            ("a", "audit mode: the ledger as of a past day"),
            ("[  ]", "a week back / forward (audit mode)"),
            ("{  }", "a month back / forward (audit mode)"),
            ("l", "back to live"),
            ("T", "next theme (remembered)"),
            ("ctrl+p", "command palette: partnerships and actions by name"),
        ),
    ),
    (
        "Tables",
        (
            ("↑ ↓  j k", "move"),
            ("g  G", "first / last row"),
            ("PgUp PgDn", "a page up / down"),
            ("enter", "open the row (its partnership, its full text)"),
        ),
    ),
    (
        "Portfolio",
        (
            ("enter", "open the partnership"),
            ("/", "filter by text (name, handle, owner, status, reason)"),
            ("f", "cycle the status filter"),
            ("F", "cycle the kind filter"),
            ("s  S", "sort by the next column / reverse (remembered)"),
            ("click a header", "sort by it; again: reverse"),
            ("esc", "clear the filters"),
        ),
    ),
    (
        "Partnership",
        (
            ("1 … 6", "Overview, Commitments, Reviews, Issues, Timeline, Explain"),
            ("enter", "on an alert: go to its row; on a row: its full text"),
            ("/", "search the commitments, issues, timeline and explain tables"),
            ("p", "Review pack of this partnership, as of the day shown"),
            ("x", "on the timeline: void the highlighted event (not for a viewer)"),
            ("e", "on the timeline: amend the highlighted event (not for a viewer)"),
            ("esc", "leave the search, then back to the portfolio"),
        ),
    ),
    (
        "Alerts",
        (
            ("enter", "the partnership, tab and row the alert is about"),
            ("/", "filter by text"),
            ("esc", "back"),
        ),
    ),
    (
        "Record (after r)",
        tuple((key, event_title(event_type)) for event_type, (key, _) in EVENT_CHOICES.items()),
    ),
    (
        "Forms, the audit date picker, export",
        (
            ("tab  shift+tab", "next / previous field"),
            ("enter  ctrl+s", "save"),
            ("esc", "cancel"),
        ),
    ),
)


def _grid(rows: list[tuple[Text | str, str]], first_width: int) -> Table:
    """Two columns; a long entry wraps under itself, not under the key."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(width=first_width, no_wrap=True)
    grid.add_column(ratio=1, overflow="fold")
    for first, second in rows:
        grid.add_row(first, second)
    return grid


def help_text() -> Group:
    """Everything the help screen shows: keys by screen, the statuses, the model."""
    width = max(len(keys) for _, group in KEYS for keys, _ in group) + 2
    parts: list[RenderableType] = []
    for where, group in KEYS:
        parts.append(Text(where, style="bold underline"))
        parts.append(
            _grid([(Text(f"  {keys}", style="bold"), what) for keys, what in group], width)
        )
        parts.append(Text(""))
    parts.append(Text("Statuses", style="bold underline"))
    parts.append(
        _grid(
            [
                (Text(f"  {status_label(status)}", style="bold"), STATUS_MEANINGS[status])
                for status in STATUSES_IN_ORDER
            ],
            13,
        )
    )
    parts.append(Text(""))
    parts.append(Text("The model", style="bold underline"))
    parts.append(Text(MODEL_PARAGRAPH))
    parts.append(Text(""))
    parts.append(
        Text("The whole model, every threshold and every alert: docs/MODEL.md.", style="italic")
    )
    return Group(*parts)


class HelpScreen(ModalScreen[None]):
    """Keys by screen, status meanings and the model; it scrolls."""

    AUTO_FOCUS = "#help-body"
    BINDINGS = [
        Binding("escape", "dismiss", "Close"),
        Binding("question_mark", "dismiss", "Close", show=False),
        Binding("q", "dismiss", "Close", show=False),
        Binding("j", "scroll('down')", "Down", show=False),
        Binding("k", "scroll('up')", "Up", show=False),
        Binding("g", "scroll('top')", "Top", show=False),
        Binding("G", "scroll('bottom')", "Bottom", show=False),
    ]

    DEFAULT_CSS = """
    HelpScreen {
        background: $background;
    }
    HelpScreen #help-title {
        height: 1;
        padding: 0 1;
        background: $boost;
        text-style: bold;
    }
    HelpScreen #help-body {
        height: 1fr;
        padding: 0 1;
    }
    """

    def compose(self) -> ComposeResult:
        yield Static(
            "trustledger — keys, statuses and the model  (↑↓ j k scroll, esc close)",
            id="help-title",
            markup=False,
        )
        with VerticalScroll(id="help-body"):
            yield Static(help_text())
        yield KeysBar()

    def action_scroll(self, where: str) -> None:
        body = self.query_one("#help-body", VerticalScroll)
        {
            "down": body.scroll_down,
            "up": body.scroll_up,
            "top": body.scroll_home,
            "bottom": body.scroll_end,
        }[where]()
