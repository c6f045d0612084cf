"""The command palette's trustledger commands: open a partnership, record, audit, theme.

Partnership names are stored text: each entry is plain, terminal-safe text (Textual would
read a ``str`` as markup), and matches are highlighted on that text.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.fuzzy import Matcher
from trustledger.domain.text import terminal_safe
from trustledger.tui.dashboard.screens.record import EVENT_CHOICES
from trustledger.tui.service.labels import status_label

if TYPE_CHECKING:
    from trustledger.tui.dashboard.app import TrustLedgerApp


class LedgerCommands(Provider):
    """Partnerships by name or handle, and the dashboard's actions."""

    @property
    def tl_app(self) -> TrustLedgerApp:
        return self.app  # type: ignore[return-value]

    def commands(self) -> list[tuple[str, Callable[[], object], str]]:
        app = self.tl_app
        found: list[tuple[str, Callable[[], object], str]] = []
        picture = app.picture
        if picture is not None:
            for view in picture.portfolio.partnerships:
                found.append(
                    (
                        terminal_safe(f"Open {view.name} ({view.handle})"),
                        partial(app.open_partnership, view.handle),
                        f"{view.kind}, {status_label(view.status)}",
                    )
                )
        recordable = EVENT_CHOICES.items() if app.service.access.may_record else ()
        for event_type, (_, words) in recordable:
            found.append(
                (
                    f"Record: {words}",
                    partial(app.action_record, event_type),
                    f"a form for a {event_type} event",
                )
            )
        found.extend(
            [
                ("Alerts", app.action_alerts, "every alert; enter goes to what one is about"),
                ("Help: keys, statuses, the model", app.action_help, "the help screen"),
                ("Export the view", app.action_export, "CSV of the table, or the report JSON"),
                ("Audit: pick a date", app.action_audit, "show the ledger as of a past day"),
                ("Audit: back a week", partial(app.action_step, -7), "as of 7 days earlier"),
                ("Audit: forward a week", partial(app.action_step, 7), "as of 7 days later"),
                ("Audit: back a month", partial(app.action_step_month, -1), "one month earlier"),
                ("Audit: forward a month", partial(app.action_step_month, 1), "one month later"),
                ("Return to live", app.action_live, "leave audit mode"),
                ("Toggle theme (dark / light)", app.action_toggle_theme, "switch the colours"),
                ("Portfolio", app.action_home, "back to the portfolio screen"),
            ]
        )
        return found

    async def discover(self) -> Hits:
        for text, command, help_text in self.commands():
            yield DiscoveryHit(Content(text), command, text=text, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, command, help_text in self.commands():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, highlighted(matcher, text), command, text=text, help=help_text)


def highlighted(matcher: Matcher, text: str) -> Content:
    """``text`` as plain content with the matched characters underlined (the matcher's own
    ``highlight`` would read ``text`` as markup)."""
    content = Content(text)
    _, offsets = matcher.fuzzy_search.match(matcher.query, text)
    for offset in offsets:
        if not text[offset].isspace():
            content = content.stylize("bold underline", offset, offset + 1)
    return content
