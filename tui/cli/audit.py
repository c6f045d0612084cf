"""``trustledger audit verify`` and ``audit log``: is this the history, and who wrote it."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click
from trustledger.domain.codec import line_payload
from trustledger.domain.events import CORRECTION_TYPES, EventAmended, EventVoided, Recorded
from trustledger.domain.moments import parse_moment
from trustledger.domain.text import terminal_safe
from trustledger.tui.cli.main import EXIT_REJECTED, Failure, fail, service, store_option
from trustledger.tui.cli.output import echo_json
from trustledger.tui.cli.tables import print_table
from trustledger.tui.service.corrections import correction_details, replaced_line
from trustledger.tui.service.labels import event_label

if TYPE_CHECKING:
    from trustledger.tui.service.ledger_service import LedgerService

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
    click.echo(terminal_safe(verdict.summary()))
    for link in verdict.heads if show_links else ():
        click.echo(terminal_safe(link.describe()))
    found = {link.position: link for link in verdict.found}
    for position in positions:
        if position not in found:
            raise Failure(f"no event at position {position}", EXIT_REJECTED)
        click.echo(terminal_safe(found[position].describe()))


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
    "--corrections",
    "only_corrections",
    is_flag=True,
    help="Only corrections (voided and amended events), with their reason and what they replaced.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
def log_command(
    store_url: str | None,
    since: str | None,
    actor: str | None,
    handle: str | None,
    only_corrections: bool,
    fmt: str,
) -> None:
    """Who recorded what, and when, in recording order."""
    try:
        since_at = parse_moment(since, end_of_day=False) if since else None
    except ValueError as exc:
        fail(f"--since: {exc}")
    ledger = service(store_url)
    events = ledger.audit_log(since_at, actor, handle)
    if only_corrections:
        events = [e for e in events if e.type in CORRECTION_TYPES]
    histories = corrected_histories(ledger, events)
    originals = {e.line.id or "": e for history in histories.values() for e in history}
    if fmt == "json":
        rows = [log_row(e, originals, histories.get(e.partnership, [])) for e in events]
        echo_json(rows)
        return
    headers = ["recorded (UTC)", "actor", "partnership", "type", "occurred"]
    if originals or only_corrections:
        headers.append("corrects")
    noun = "corrections" if only_corrections else "events"
    print_table(
        f"{len(events)} {noun}",
        headers,
        [
            [
                e.recorded_at.strftime("%Y-%m-%d %H:%M:%S"),
                e.line.actor or "",
                e.partnership,
                event_label(e.type),
                e.occurred_on.isoformat(),
            ]
            + (
                [
                    correction_details(e, originals, histories.get(e.partnership, []))
                    if e.type in CORRECTION_TYPES
                    else ""
                ]
                if len(headers) > 5
                else []
            )
            for e in events
        ],
        wrap={"corrects"},
    )


def corrected_histories(ledger: LedgerService, events: list[Recorded]) -> dict[str, list[Recorded]]:
    """The histories of the partnerships that the corrections among ``events`` belong to."""
    handles = sorted({e.partnership for e in events if e.type in CORRECTION_TYPES})
    return {handle: ledger.history(handle) for handle in handles}


def log_row(
    event: Recorded, originals: dict[str, Recorded], history: list[Recorded]
) -> dict[str, Any]:
    """One event of the log as JSON; a correction also has ``event`` (the id it names),
    ``reason``, ``corrects`` (that event's type and version) and, for an amendment,
    ``was`` and ``now`` (the event's line before and after)."""
    row: dict[str, Any] = {
        "position": event.position,
        "recorded_at": event.recorded_at.isoformat(),
        "actor": event.line.actor,
        "partnership": event.partnership,
        "type": event.type,
        "id": event.line.id,
        "occurred_on": event.occurred_on.isoformat(),
    }
    line = event.line
    if isinstance(line, EventVoided | EventAmended):
        original = originals.get(line.event)
        row["event"] = line.event
        row["reason"] = line.reason
        row["corrects"] = {"type": original.type, "version": original.version} if original else None
        if isinstance(line, EventAmended):
            before = replaced_line(event, history)
            row["was"] = line_payload(before) if before is not None else None
            row["now"] = line_payload(line.line)
    return row


def commands() -> dict[str, click.Command]:
    return {"audit": audit}
