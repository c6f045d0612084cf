"""The bars of every screen: the mode (LIVE or AUDIT) and the portfolio picture at the top,
the keys at the bottom."""

from __future__ import annotations

from datetime import date, datetime

from rich.markup import escape
from rich.text import Text
from textual.app import ComposeResult
from textual.reactive import reactive
from textual.widgets import Footer, Static
from trustledger.domain.text import terminal_safe
from trustledger.tui.dashboard.widgets.cells import Palette, plain
from trustledger.tui.service.labels import trusted_share_text
from trustledger.tui.service.live import Picture


def known_at_text(known_at: datetime) -> str:
    return known_at.strftime("%Y-%m-%d %H:%M UTC")


class ModeBar(Static):
    """One line: LIVE or a loud AUDIT banner, the as-of date, and what the store holds."""

    DEFAULT_CSS = """
    ModeBar {
        height: 1;
        width: 1fr;
        background: $boost;
        color: $foreground;
        padding: 0 1;
    }
    ModeBar.-audit {
        background: $warning;
        color: $background;
        text-style: bold;
    }
    """

    audit: reactive[bool] = reactive(False)
    _shown = ""

    def show(
        self,
        *,
        audit: bool,
        as_of: date | None,
        known_at: datetime | None,
        events: int | None,
        store: str,
        narrow: bool,
        reconnecting: bool = False,
    ) -> None:
        self.audit = audit
        self.set_class(audit, "-audit")
        day = as_of.isoformat() if as_of else "…"
        if audit:
            parts = [f"◆ AUDIT as of {day}"]
            if known_at is not None:
                parts.append(f"known at {known_at_text(known_at)}")
            parts.append("[ ] week  { } month  l live" if not narrow else "[ ] { } step · l live")
            self._show(escape("  ·  ".join(parts)))
            return
        if reconnecting:
            # Not "LIVE": what is shown is the state when the store was last reached.
            parts = [f"[bold $warning]◌ reconnecting…[/] as of {day}"]
        else:
            parts = [f"[bold $success]● LIVE[/] as of {day}"]
        if events is not None:
            parts.append(f"{events:,} events")
        if not narrow and store:
            parts.append(escape(terminal_safe(store)))
        self._show("  ·  ".join(parts))

    def _show(self, markup: str) -> None:
        # One line whatever it says: no layout pass (a live store changes it many times a
        # second), and nothing at all when it says the same.
        if markup != self._shown:
            self._shown = markup
            self.update(markup, layout=False)


class PortfolioSummary(Static):
    """Two lines: trusted partnerships against the one-in-five rule, the alert count, and
    revenue concentration. Names are stored text: shown plain and terminal-safe."""

    DEFAULT_CSS = """
    PortfolioSummary {
        height: 2;
        width: 1fr;
        padding: 0 1;
    }
    """

    _shown: Text | None = None

    def show(self, picture: Picture | None, palette: Palette) -> None:
        if picture is None:
            self.update(Text("loading the ledger…", style=palette("foreground-muted")))
            return
        p = picture.portfolio
        trusted = p.by_status.get("trusted", 0)
        target = p.trusted_target_share
        first = Text()
        if p.active:
            good = trusted / p.active >= target
            first.append("✔ " if good else "▼ ", palette("text-success" if good else "warning"))
            words = trusted_share_text(trusted, p.active, target)
            first.append(words[:1].upper() + words[1:])
        else:
            first.append("No active partnerships")
        first.append("  ·  ")
        alerts = p.alert_count
        if alerts:
            first.append(
                f"⚠ {alerts} alert{'s' if alerts != 1 else ''} (!)",
                f"bold {palette('text-error')}",
            )
        else:
            first.append("no alerts", palette("text-success"))
        second = Text()
        largest = p.by_handle.get(p.largest_revenue_partnership or "")
        if largest is not None and p.largest_revenue_share is not None:
            who = plain(largest.name, style="bold")
            big = p.largest_revenue_share
            # A warning when the partnership with the largest share carries the alert.
            if any(alert.kind == "concentration" for alert in largest.alerts):
                second.append("▲ Concentration: ", f"bold {palette('text-error')}")
                second.append_text(who)
                second.append(f" holds {big:.0%} of the revenue (12 months)")
            else:
                second.append("Largest revenue share: ")
                second.append_text(who)
                second.append(f" {big:.0%} (12 months)")
        else:
            second.append("No revenue recorded in the last 12 months")
        shown = Text("\n").join([first, second])
        if shown != self._shown:  # two lines whatever they say: no layout pass
            self._shown = shown
            self.update(shown, layout=False)


class KeysBar(Footer):
    """The footer: the current screen's keys, compact so that ``?`` and the keys of the
    screen fit at 80 columns (the command palette, ``ctrl+p``, is in the help instead).

    Textual's footer builds its keys anew (a widget each, styled one by one) whenever the
    screen says its bindings may have changed: after each key that moves the cursor, and
    five times over while a dashboard starts, where the keys shown changed once. Here the
    keys are built again only when what they would show is not what they show."""

    def __init__(self) -> None:
        super().__init__(compact=True, show_command_palette=False)
        self._shown: tuple[object, ...] | None = None

    def _keys(self) -> tuple[object, ...]:
        """What :meth:`compose` shows of the screen's bindings, each as it shows it."""
        get_key_display = self.app.get_key_display
        return tuple(
            (
                binding.key,
                get_key_display(binding),
                binding.description,
                binding.action,
                binding.group,
                enabled,
                tooltip,
            )
            for (_, binding, enabled, tooltip) in self.screen.active_bindings.values()
            if binding.show
        )

    def compose(self) -> ComposeResult:
        self._shown = self._keys() if self._bindings_ready else None
        yield from super().compose()

    async def recompose(self) -> None:
        if self._shown is not None and self.is_attached and self._keys() == self._shown:
            return
        await super().recompose()
