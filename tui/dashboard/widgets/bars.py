"""The bars at the top of every screen: the mode (LIVE or AUDIT) and the portfolio picture."""

from __future__ import annotations

from datetime import date, datetime

from rich.markup import escape
from textual.reactive import reactive
from textual.widgets import Static
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
            self.update(escape("  ·  ".join(parts)))
            return
        if reconnecting:
            # Not "LIVE": what is shown is the state when the store was last reached.
            parts = [f"[bold $warning]◌ reconnecting…[/] as of {day}"]
        else:
            parts = [f"[bold $success]● LIVE[/] as of {day}"]
        if events is not None:
            parts.append(f"{events:,} events")
        if not narrow and store:
            parts.append(escape(store))
        self.update("  ·  ".join(parts))


class PortfolioSummary(Static):
    """Two lines: trusted partnerships against the one-in-five rule, revenue concentration,
    alerts and statuses."""

    DEFAULT_CSS = """
    PortfolioSummary {
        height: 2;
        width: 1fr;
        padding: 0 1;
    }
    """

    def show(self, picture: Picture | None, names: dict[str, str]) -> None:
        if picture is None:
            self.update("[$foreground-muted]loading the ledger…[/]")
            return
        p = picture.portfolio
        trusted = p.by_status.get("trusted", 0)
        target = p.trusted_target_share
        if p.active:
            share = trusted / p.active
            mark = "[$success]✔[/]" if share >= target else "[$warning]▼[/]"
            first = (
                f"{mark} Trusted [b]{trusted}[/] of {p.active} active ({share:.0%}), "
                f"rule of thumb 1 in {round(1 / target) if target else 0} ({target:.0%})"
            )
        else:
            first = "No active partnerships"
        alerts = p.alert_count
        alert_text = (
            f"[b $error]⚠ {alerts} alert{'s' if alerts != 1 else ''}[/]"
            if alerts
            else "[$success]no alerts[/]"
        )
        if p.largest_revenue_partnership and p.largest_revenue_share is not None:
            who = escape(names.get(p.largest_revenue_partnership, p.largest_revenue_partnership))
            big = p.largest_revenue_share
            flagged = any(alert.kind == "concentration" for alert in p.alerts)
            if flagged:
                second = (
                    f"[b $error]▲ Concentration:[/] [b]{who}[/] holds {big:.0%} of the revenue "
                    "(12 months)"
                )
            else:
                second = f"Largest revenue share: [b]{who}[/] {big:.0%} (12 months)"
        else:
            second = "No revenue recorded in the last 12 months"
        self.update(f"{first}  ·  {alert_text}\n{second}")
