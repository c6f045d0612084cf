"""``trustledger report`` and ``check``: the portfolio as of a date, and its alerts for cron.

Both replay the store through the projections (a pure fold) at ``--as-of`` (default:
today) as known at ``--known-at`` (default: everything recorded). ``report`` prints one
row per partnership as a table, JSON (the contract's keys, plus ``status_reason`` and
``model_version``) or CSV; ``check`` prints every alert and exits 1 when there is one.
"""

from __future__ import annotations

import csv
import json
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click
from trustledger.domain.events import Recorded
from trustledger.domain.moments import parse_date, parse_moment
from trustledger.projections.config import ModelConfig, load_config
from trustledger.projections.replay import replay
from trustledger.projections.report import REPORT_KEYS, report_rows
from trustledger.projections.views import Portfolio
from trustledger.tui.cli.main import EXIT_REJECTED, Failure, fail, open_ledger, store_option
from trustledger.tui.cli.tables import print_table
from trustledger.tui.service.labels import status_label
from trustledger.tui.service.warmstart import gc_paused


def as_of_option(func: Any) -> Any:
    return click.option(
        "--as-of",
        "as_of",
        metavar="DATE",
        help="The state at the end of DATE (YYYY-MM-DD; default: today). May be in the future.",
    )(func)


def config_option(func: Any) -> Any:
    return click.option(
        "--config",
        "config_path",
        metavar="FILE",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Model parameters (TOML, [model] table); default: config.toml in the user "
        "config directory when it exists.",
    )(func)


def resolve_as_of(text: str | None) -> date:
    if not text:
        return date.today()
    try:
        return parse_date(text)
    except ValueError as exc:
        fail(f"--as-of: {exc}")


def resolve_known_at(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return parse_moment(text, end_of_day=True)
    except ValueError as exc:
        fail(f"--known-at: {exc}")


def resolve_config(path: Path | None) -> ModelConfig:
    try:
        return load_config(path)
    except (OSError, ValueError) as exc:
        fail(f"--config: {str(exc).splitlines()[0]}")


def portfolio_from_store(
    store_url: str | None, as_of: date, known_at: datetime | None, config: ModelConfig
) -> Portfolio:
    with open_ledger(store_url) as ledger, gc_paused():
        return replay(ledger.iter_events(trusted=True), as_of, known_at, config)


def _fmt(value: float | None, places: int = 2) -> str:
    return "—" if value is None else f"{value:.{places}f}"


def print_report_table(portfolio: Portfolio) -> None:
    trusted = portfolio.by_status.get("trusted", 0)
    share = portfolio.trusted_share
    picture = (
        f"as of {portfolio.as_of}: {len(portfolio.partnerships)} partnerships, "
        f"{trusted} trusted"
        + (
            f" ({share:.0%} vs {portfolio.trusted_target_share:.0%} rule)"
            if share is not None
            else ""
        )
    )
    if portfolio.largest_revenue_share is not None:
        picture += (
            f", largest revenue share {portfolio.largest_revenue_share:.0%} "
            f"({portfolio.largest_revenue_partnership})"
        )
    picture += f", {portfolio.alert_count} alerts"
    print_table(
        picture,
        ["partnership", "status", "trust", "±", "align", "late/open", "issues", "next review"],
        [
            [
                view.handle,
                status_label(view.status),
                _fmt(view.trust),
                _fmt(view.trust_uncertainty),
                _fmt(view.alignment),
                f"{view.counts.overdue}/{view.counts.open}",
                str(len(view.open_issues)),
                view.next_review_due.isoformat() if view.next_review_due else "—",
            ]
            for view in portfolio.partnerships
        ],
        right={"trust", "±", "align", "late/open", "issues"},
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
    return {k: ("" if flat.get(k) is None else flat.get(k)) for k in CSV_FIELDS}


def print_explanation(events: list[Recorded], as_of_text: str | None, fmt: str) -> None:
    """Used by ``history H --explain``: which events moved trust and alignment."""
    from trustledger.projections.explain import explain

    as_of = resolve_as_of(as_of_text)
    rows = explain(events, as_of, resolve_config(None))
    if fmt == "json":
        data = [
            {**row._asdict(), "occurred_on": row.occurred_on and row.occurred_on.isoformat()}
            for row in rows
        ]
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    from trustledger.tui.cli.explain_table import print_explain_table

    print_explain_table(rows, as_of)


def register(group: click.Group) -> None:
    @group.command()
    @store_option
    @as_of_option
    @click.option(
        "--known-at",
        "known_at",
        metavar="TIME",
        help="Count only events recorded at or before TIME (RFC 3339, or a date "
        "meaning the end of that day in UTC).",
    )
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
        portfolio = portfolio_from_store(store_url, day, known, config)
        if fmt == "json":
            click.echo(json.dumps(report_rows(portfolio), indent=2, ensure_ascii=False))
        elif fmt == "csv":
            writer = csv.DictWriter(sys.stdout, fieldnames=CSV_FIELDS, lineterminator="\n")
            writer.writeheader()
            for row in report_rows(portfolio):
                writer.writerow(csv_row(row))
        else:
            print_report_table(portfolio)

    @group.command()
    @store_option
    @as_of_option
    @click.option(
        "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
    )
    @config_option
    def check(store_url: str | None, as_of: str | None, fmt: str, config_path: Path | None) -> None:
        """Print every alert; exit 1 when there is at least one, else 0."""
        day, config = resolve_as_of(as_of), resolve_config(config_path)
        portfolio = portfolio_from_store(store_url, day, None, config)
        alerts = portfolio.alerts
        if fmt == "json":
            click.echo(
                json.dumps(
                    [
                        {"partnership": a.partnership, "kind": a.kind, "message": a.message}
                        for a in alerts
                    ],
                    indent=2,
                    ensure_ascii=False,
                )
            )
        else:
            for alert in alerts:
                click.echo(f"{alert.partnership}: {alert.message}")
        if alerts:
            raise Failure(f"{len(alerts)} alert(s) as of {day}", EXIT_REJECTED)
