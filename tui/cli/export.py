"""``trustledger export`` and ``schema``: what the ledger holds, and the format of a line."""

from __future__ import annotations

import json
import sys

import click
from trustledger.tui.cli.main import service, store_option
from trustledger.tui.cli.output import json_text


@click.command()
@store_option
@click.option("--partnership", "handle", metavar="H", help="Only this partnership's events.")
def export(store_url: str | None, handle: str | None) -> None:
    """Write every recorded event as NDJSON, in recording order."""
    out = sys.stdout
    for line in service(store_url).export(handle):
        out.write(json_text(line) + "\n")


@click.command()
def schema() -> None:
    """Print the JSON Schema of an event line."""
    from trustledger.domain.events import line_schema

    click.echo(json.dumps(line_schema(), indent=2))


def commands() -> dict[str, click.Command]:
    return {"export": export, "schema": schema}
