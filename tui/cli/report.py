"""``trustledger report`` and ``check``: the portfolio as of a date, and its alerts for cron.

Both replay the store through the projections (a pure fold) at ``--as-of`` (default:
today) as known at ``--known-at`` (default: everything recorded). ``report`` prints one
row per partnership as a table, JSON (the contract's keys, plus ``status_reason`` and
``model_version``) or CSV; ``check`` prints every alert and exits 1 when there is one.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import Any

import click
from trustledger.domain.text import terminal_safe
from trustledger.projections import REPORT_KEYS, Portfolio
from trustledger.tui.cli.main import EXIT_REJECTED, Failure, service, store_option
from trustledger.tui.cli.options import (
    as_of_option,
    config_option,
    known_at_option,
    resolve_as_of,
    resolve_config,
    resolve_known_at,
)
from trustledger.tui.cli.output import echo_json
from trustledger.tui.service.labels import figure_word, status_label, trusted_share_text


def _fmt(value: float | None, places: int = 2) -> str:
    return "—" if value is None else f"{value:.{places}f}"


def print_report_table(portfolio: Portfolio) -> None:
    """The portfolio's figures and a row per partnership, read as listed
    (:meth:`Portfolio.unshared`): no view is made for them."""
    from trustledger.tui.cli.tables import print_table  # rich: only for a table

    listed = portfolio.unshared()
    picture = f"as of {portfolio.as_of}: {len(listed)} partnerships, " + trusted_share_text(
        portfolio.by_status.get("trusted", 0),
        portfolio.active,
        portfolio.trusted_target_share,
    )
    if portfolio.largest_revenue_share is not None:
        picture += (
            f", largest {figure_word('revenue_share')} {portfolio.largest_revenue_share:.0%} "
            f"({portfolio.largest_revenue_partnership})"
        )
    picture += f", {portfolio.alert_count} alerts"
    # The same words as the dashboard's columns (one table of them: service.labels).
    late_open = f"{figure_word('commitments.overdue')}/{figure_word('commitments.open')}"
    headers = [
        figure_word("partnership"),
        figure_word("status"),
        figure_word("trust"),
        figure_word("trust_uncertainty"),
        figure_word("alignment", short=True),
        late_open,
        figure_word("open_issues"),
        figure_word("next_review_due"),
    ]
    print_table(
        picture,
        headers,
        [
            [
                view.handle,
                status_label(view.status),
                _fmt(view.trust),
                _fmt(view.trust_uncertainty),
                _fmt(view.alignment),
                f"{view.counts.overdue}/{view.counts.open}",
                str(view.open_issue_count),
                view.next_review_due.isoformat() if view.next_review_due else "—",
            ]
            for view in (listed[handle] for handle in sorted(listed))
        ],
        right=set(headers[2:7]),
    )


COUNTS = ("open", "overdue", "kept", "missed")
# The JSON's keys in the same order, with the commitment counts flattened.
CSV_FIELDS = [
    name
    for key in REPORT_KEYS
    for name in ([f"commitments_{c}" for c in COUNTS] if key == "commitments" else [key])
]


def csv_row(row: dict[str, Any]) -> dict[str, Any]:
    flat = {k: v for k, v in row.items() if k in CSV_FIELDS}
    for key, value in row["commitments"].items():
        flat[f"commitments_{key}"] = value
    flat["alerts"] = " | ".join(row["alerts"])
    # A cell is text a person may read in a terminal: stored control characters show as
    # escapes (a CSV report is a view, not a copy: export keeps the exact text).
    return {k: _csv_cell(flat.get(k)) for k in CSV_FIELDS}


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    return terminal_safe(value) if isinstance(value, str) else value


@click.command()
@store_option
@as_of_option
@known_at_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
)
@config_option
def report(
    store_url: str | None,
    as_of: str | None,
    known_at: str | None,
    fmt: str,
    config_path: Path | None,
) -> None:
    """One row per partnership: status, trust, alignment, commitments, alerts."""
    day, known, config = (
        resolve_as_of(as_of),
        resolve_known_at(known_at),
        resolve_config(config_path),
    )
    if fmt == "table":
        print_report_table(service(store_url).listed(day, known, config))
        return
    rows = service(store_url).report(day, known, config)
    if fmt == "json":
        echo_json(rows)
    else:
        writer = csv.DictWriter(sys.stdout, fieldnames=CSV_FIELDS, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow(csv_row(row))


@click.command()
@store_option
@as_of_option
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@config_option
def check(store_url: str | None, as_of: str | None, fmt: str, config_path: Path | None) -> None:
    """Print every alert; exit 1 when there is at least one, else 0."""
    day, config = resolve_as_of(as_of), resolve_config(config_path)
    alerts = service(store_url).alerts(day, config)
    if fmt == "json":
        echo_json(
            [{"partnership": a.partnership, "kind": a.kind, "message": a.message} for a in alerts]
        )
    else:
        for alert in alerts:
            click.echo(terminal_safe(f"{alert.partnership}: {alert.message}"))
    if alerts:
        raise Failure(f"{len(alerts)} alert(s) as of {day}", EXIT_REJECTED)


def commands() -> dict[str, click.Command]:
    return {"report": report, "check": check}
