"""The ``trustledger`` console script: the command line, plus the commands that start the
other front ends (the dashboard). Front ends never import each other; this module is the one
place that knows them all."""

from __future__ import annotations

import click
from trustledger.tui.cli.main import chosen_store, main, store_option


@main.command("tui")
@store_option
@click.option("--as-of", "as_of", metavar="DATE", help="Open in audit mode at this date.")
def tui_command(store_url: str | None, as_of: str | None = None) -> None:
    """Open the live dashboard."""
    from trustledger.tui.dashboard.launch import launch

    launch(chosen_store(store_url), as_of=as_of)


if __name__ == "__main__":
    main()
