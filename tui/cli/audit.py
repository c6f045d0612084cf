"""``trustledger audit verify`` and ``audit log``: is this the history, and who wrote it."""

from __future__ import annotations

import json
import sys

import click
from trustledger.domain.moments import parse_moment
from trustledger.tui.cli.main import EXIT_REJECTED, Failure, fail, service, store_option
from trustledger.tui.cli.tables import print_table
from trustledger.tui.service.labels import event_label

audit = click.Group("audit", help="Audit the stored history: verify its chain, list who did what.")


@audit.command("verify")
@store_option
@click.option(
    "--links",
    "show_links",
    is_flag=True,
    help="Also print each partnership's newest event and its link.",
)
@click.option(
    "--position",
    "positions",
    metavar="P",
    type=click.IntRange(min=1),
    multiple=True,
    help="Also print the link of the event at recording position P (as a review pack "
    "names it); repeatable.",
)
def verify_command(store_url: str | None, show_links: bool, positions: tuple[int, ...]) -> None:
    """Check the stored history's hash chain; exit 1 naming the first broken place."""
    show = sys.stderr.isatty()

    def progress(done: int) -> None:
        if show:
            click.echo(f"\rverified {done:,} events…", err=True, nl=False)

    verdict = service(store_url).verify(progress, positions=set(positions))
    if show:
        click.echo("\r\033[K", err=True, nl=False)
    if not verdict.intact:
        raise Failure(verdict.summary(), EXIT_REJECTED)
    click.echo(verdict.summary())
    for link in verdict.heads if show_links else ():
        click.echo(link.describe())
    found = {link.position: link for link in verdict.found}
    for position in positions:
        if position not in found:
            raise Failure(f"no event at position {position}", EXIT_REJECTED)
        click.echo(found[position].describe())


@audit.command("log")
@store_option
@click.option(
    "--since",
    metavar="TIME",
    help="Only events recorded at or after TIME (RFC 3339, or a date meaning its start in UTC).",
)
@click.option("--actor", metavar="NAME", help="Only events recorded by NAME.")
@click.option("--partnership", "handle", metavar="H", help="Only this partnership.")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
def log_command(
    store_url: str | None,
    since: str | None,
    actor: str | None,
    handle: str | None,
    fmt: str,
) -> None:
    """Who recorded what, and when, in recording order."""
    try:
        since_at = parse_moment(since, end_of_day=False) if since else None
    except ValueError as exc:
        fail(f"--since: {exc}")
    events = service(store_url).audit_log(since_at, actor, handle)
    if fmt == "json":
        rows = [
            {
                "position": e.position,
                "recorded_at": e.recorded_at.isoformat(),
                "actor": e.line.actor,
                "partnership": e.partnership,
                "type": e.type,
                "id": e.line.id,
                "occurred_on": e.occurred_on.isoformat(),
            }
            for e in events
        ]
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    print_table(
        f"{len(events)} events",
        ["recorded (UTC)", "actor", "partnership", "type", "occurred"],
        [
            [
                e.recorded_at.strftime("%Y-%m-%d %H:%M:%S"),
                e.line.actor or "",
                e.partnership,
                event_label(e.type),
                e.occurred_on.isoformat(),
            ]
            for e in events
        ],
    )


def commands() -> dict[str, click.Command]:
    return {"audit": audit}
