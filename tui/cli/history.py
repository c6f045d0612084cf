"""``trustledger history H``: one partnership's events, in order, with who recorded them."""

from __future__ import annotations

import json
from typing import Any

import click
from trustledger.domain.events import Recorded
from trustledger.domain.ledger import export_line
from trustledger.tui.cli.main import EXIT_REJECTED, fail, open_ledger, store_option
from trustledger.tui.cli.tables import print_table
from trustledger.tui.service.labels import describe, event_label


def history_rows(events: list[Recorded]) -> list[dict[str, Any]]:
    rows = []
    for event in events:
        row = export_line(event)
        row["version"] = event.version
        row["position"] = event.position
        rows.append(row)
    return rows


def register(group: click.Group) -> None:
    @group.command()
    @store_option
    @click.argument("handle", metavar="H")
    @click.option(
        "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
    )
    @click.option("--explain", is_flag=True, help="Show which events moved trust and alignment.")
    @click.option("--as-of", "as_of", metavar="DATE", help="Explain the scores as of this date.")
    def history(
        store_url: str | None, handle: str, fmt: str, explain: bool, as_of: str | None
    ) -> None:
        """The events of partnership H, in order, with who recorded them and when."""
        with open_ledger(store_url) as ledger:
            events = ledger.history(handle)
        if not events:
            fail(f"no partnership {handle!r} in this ledger", EXIT_REJECTED)
        if explain:
            from trustledger.tui.cli.report import print_explanation

            print_explanation(events, as_of, fmt)
            return
        if fmt == "json":
            click.echo(json.dumps(history_rows(events), indent=2, ensure_ascii=False))
            return
        print_table(
            f"{handle}: {len(events)} events",
            ["#", "occurred", "type", "details", "actor", "recorded (UTC)"],
            [
                [
                    str(e.version),
                    e.occurred_on.isoformat(),
                    event_label(e.type),
                    describe(e.line),
                    e.line.actor or "",
                    e.recorded_at.strftime("%Y-%m-%d %H:%M"),
                ]
                for e in events
            ],
            wrap={"details"},
        )
