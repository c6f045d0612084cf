"""``trustledger history H``: one partnership's events, in order, with who recorded them; with
``--explain``, which of them moved its trust and alignment."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from trustledger.domain.errors import quoted
from trustledger.domain.events import Recorded
from trustledger.tui.cli.main import EXIT_REJECTED, fail, service, store_option
from trustledger.tui.cli.options import as_of_option, config_option, resolve_as_of, resolve_config
from trustledger.tui.cli.output import echo_json
from trustledger.tui.cli.tables import print_table
from trustledger.tui.service.corrections import (
    correction_details,
    correction_note,
    corrections_of,
    is_voided,
)
from trustledger.tui.service.labels import describe, event_label


def history_rows(events: list[Recorded]) -> list[dict[str, Any]]:
    """Export lines plus version and position; a corrected event also names its
    corrections (``corrected_by``: id, type and reason of each, oldest first)."""
    from trustledger.tui.service.ledger_service import export_line

    corrections = corrections_of(events)
    rows = []
    for event in events:
        row = export_line(event)
        row["version"] = event.version
        row["position"] = event.position
        made = corrections.get(event.line.id or "")
        if made:
            row["corrected_by"] = [
                {"id": c.line.id, "type": c.type, "reason": getattr(c.line, "reason", None)}
                for c in made
            ]
        rows.append(row)
    return rows


def history_details(
    event: Recorded,
    corrections: dict[str, list[Recorded]],
    originals: dict[str, Recorded],
    events: list[Recorded],
) -> str:
    """An event's details for the table, with what corrected it or what it corrected."""
    if event.type in ("event_voided", "event_amended"):
        return correction_details(event, originals, events)
    made = corrections.get(event.line.id or "")
    text = describe(event.line)
    if made:
        text += " — " + "; ".join(correction_note(c) for c in made)
        if is_voided(made):
            text = "VOID: " + text
    return text


@click.command()
@store_option
@click.argument("handle", metavar="H")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.option("--explain", is_flag=True, help="Show which events moved trust and alignment.")
@as_of_option
@config_option
def history(
    store_url: str | None,
    handle: str,
    fmt: str,
    explain: bool,
    as_of: str | None,
    config_path: Path | None,
) -> None:
    """The events of partnership H, in order, with who recorded them and when."""
    ledger = service(store_url)
    events = ledger.history(handle)
    if not events:
        fail(f"no partnership {quoted(handle)} in this ledger", EXIT_REJECTED)
    if explain:
        day = resolve_as_of(as_of)
        rows = ledger.explanation(events, day, resolve_config(config_path))
        if fmt == "json":
            data = [
                {**row._asdict(), "occurred_on": row.occurred_on and row.occurred_on.isoformat()}
                for row in rows
            ]
            echo_json(data)
            return
        from trustledger.tui.cli.explain_table import print_explain_table

        print_explain_table(rows, day)
        return
    if fmt == "json":
        echo_json(history_rows(events))
        return
    corrections = corrections_of(events)
    originals = {e.line.id or "": e for e in events}
    print_table(
        f"{handle}: {len(events)} events",
        ["#", "id", "occurred", "type", "details", "actor", "recorded (UTC)"],
        [
            [
                str(e.version),
                e.line.id or "",
                e.occurred_on.isoformat(),
                event_label(e.type),
                history_details(e, corrections, originals, events),
                e.line.actor or "",
                e.recorded_at.strftime("%Y-%m-%d %H:%M"),
            ]
            for e in events
        ],
        wrap={"details"},
    )


def commands() -> dict[str, click.Command]:
    return {"history": history}
