"""``trustledger migrate --to URL``: copy the store into another, keeping everything."""

from __future__ import annotations

import sys

import click
from trustledger.domain.errors import StoreError
from trustledger.domain.migrate import TargetNotEmpty, migrate
from trustledger.domain.store import parse_store_url
from trustledger.tui.cli.main import EXIT_REJECTED, Failure, fail, open_ledger, store_option


def register(group: click.Group) -> None:
    @group.command("migrate")
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
            target_store = parse_store_url(target_url)
        except StoreError as exc:
            fail(f"--to: {exc}")
        show = sys.stderr.isatty()

        def progress(done: int) -> None:
            if show:
                click.echo(f"\rcopied {done:,} events…", err=True, nl=False)

        with open_ledger(store_url) as source:
            if target_store == source.store:
                fail("--to names the same store as the source")
            with open_ledger(target_url, create=True) as target:
                try:
                    result = migrate(source, target, progress)
                except TargetNotEmpty as exc:
                    raise Failure(str(exc), EXIT_REJECTED) from None
        if show:
            click.echo("\r\033[K", err=True, nl=False)
        click.echo(
            f"copied {result.copied}, already there {result.already} into {target_store.display}"
        )
