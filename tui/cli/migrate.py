"""``trustledger migrate --to URL``: copy the store into another, keeping everything."""

from __future__ import annotations

import sys

import click
from trustledger.domain.errors import LedgerError
from trustledger.tui.cli.main import EXIT_REJECTED, Failure, fail, service, store_option
from trustledger.tui.service.ledger_service import MigrationRefused, SameStore
from trustledger.tui.service.stores import parse_store_url


@click.command("migrate")
@store_option
@click.option(
    "--to",
    "target_url",
    required=True,
    metavar="URL",
    help="The store to copy into (empty, or an interrupted copy to resume).",
)
def migrate_command(store_url: str | None, target_url: str) -> None:
    """Copy the store into another, keeping order, ids, times and actors."""
    try:
        target = parse_store_url(target_url)
    except LedgerError as exc:
        fail(f"--to: {exc}")
    show = sys.stderr.isatty()

    def progress(done: int) -> None:
        if show:
            click.echo(f"\rcopied {done:,} events…", err=True, nl=False)

    try:
        result = service(store_url).migrate_to(target, progress)
    except SameStore as exc:
        fail(str(exc))
    except MigrationRefused as exc:
        raise Failure(str(exc), EXIT_REJECTED) from None
    if show:
        click.echo("\r\033[K", err=True, nl=False)
    click.echo(f"copied {result.copied}, already there {result.already} into {target.display}")


def commands() -> dict[str, click.Command]:
    return {"migrate": migrate_command}
