"""``trustledger rebuild``: rebuild the store's shared read model from its events.

The read model (the folded state of every partnership, kept in the store so that every
viewer starts from it) is rebuilt automatically whenever it cannot be used; this command
does it on purpose, for instance after changing the model configuration everyone uses.
Progress goes to stderr when it is a terminal; the summary line to stdout.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from trustledger.tui.cli.main import service, store_option
from trustledger.tui.cli.options import config_option, resolve_config


@click.command()
@store_option
@config_option
def rebuild(store_url: str | None, config_path: Path | None) -> None:
    """Rebuild the shared read model in the store from every recorded event."""
    config = resolve_config(config_path)
    shown = sys.stderr.isatty()

    def progress(done: int, total: int) -> None:
        if shown and total:
            click.echo(f"\rfolded {done:,} of {total:,} events…", err=True, nl=False)

    events, partnerships = service(store_url).rebuild(config, progress)
    if shown:
        click.echo("\r\033[K", err=True, nl=False)
    click.echo(f"rebuilt the read model: {events} events, {partnerships} partnerships")


def commands() -> dict[str, click.Command]:
    return {"rebuild": rebuild}
