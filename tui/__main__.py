"""The ``trustledger`` console script: the command line, plus the commands that start the
other front ends (the dashboard). Front ends never import each other; this module is the one
place that knows them all."""

from __future__ import annotations

from pathlib import Path

import click
from trustledger.tui.cli.main import main, service, store_option
from trustledger.tui.cli.options import config_option


@main.command("tui")
@store_option
@click.option("--as-of", "as_of", metavar="DATE", help="Open in audit mode at this date.")
@config_option
def tui_command(
    store_url: str | None, as_of: str | None = None, config_path: Path | None = None
) -> None:
    """Open the live dashboard."""
    from trustledger.tui.dashboard.launch import launch

    launch(service(store_url), as_of=as_of, config_path=config_path)


if __name__ == "__main__":
    main()
