"""The command palette's trustledger commands: open a partnership, record, audit, theme."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider
from trustledger.tui.dashboard.screens.record import EVENT_CHOICES

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
                        f"Open {view.name} ({view.handle})",
                        partial(app.open_partnership, view.handle),
                        f"{view.kind}, {view.status.replace('_', ' ')}",
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
            yield DiscoveryHit(text, command, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, command, help_text in self.commands():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), command, help=help_text)
