"""``trustledger void`` and ``trustledger amend``: correct an event recorded by mistake.

Nothing is rewritten: each command records one correction line (``event_voided``,
``event_amended``) through the same path as ``record``, with the same rules and exit codes.
``amend`` starts from the event as it stands and changes what ``--set`` (or ``--line``)
says; the event's type, partnership and id stay.
"""

from __future__ import annotations

import json
from typing import Any

import click
from trustledger.domain.errors import quoted
from trustledger.tui.cli.main import service, store_option
from trustledger.tui.cli.record import record_lines, reject
from trustledger.tui.service.corrections import (
    KEPT_FIELDS,
    amend_start,
    amend_values,
    standing_line,
    void_values,
)
from trustledger.tui.service.recording import (
    LineError,
    LineRejected,
    Located,
    RecordResult,
    check_values,
)

VOID_SOURCE = "trustledger void"
AMEND_SOURCE = "trustledger amend"


def common_options(func: Any) -> Any:
    """The options every line has: when, the idempotency key, who, a note."""
    for flag, name, metavar, text in reversed(
        (
            (
                "--occurred-on",
                "occurred_on",
                "DATE",
                "When the correction was made (default: today).",
            ),
            ("--id", "line_id", "ID", "Idempotency key of the correction (default: generated)."),
            ("--actor", "actor", "NAME", "Who records it (default: your login name)."),
            ("--note", "note", "TEXT", "Free text."),
        )
    ):
        func = click.option(flag, name, metavar=metavar, default=None, help=text)(func)
    return func


def _record(store_url: str | None, values: dict[str, Any], source: str) -> None:
    try:
        line = check_values(values, source)
    except LineRejected as exc:
        reject(RecordResult(errors=exc.errors))
    record_lines(store_url, [Located(source, 0, line)], quiet_progress=True)


@click.command("void")
@store_option
@click.argument("handle", metavar="H")
@click.argument("event_id", metavar="EVENT_ID")
@click.option("--reason", required=True, help="Why the event should not count.")
@common_options
def void(
    store_url: str | None,
    handle: str,
    event_id: str,
    reason: str,
    occurred_on: str | None,
    line_id: str | None,
    actor: str | None,
    note: str | None,
) -> None:
    """Void event EVENT_ID of partnership H: it stays in the history but no longer counts.

    EVENT_ID is the event's id (shown by 'history' and 'export'). Refused for an event that
    later events rely on (void those first, or in the same 'record' input).
    """
    values = void_values(
        handle, event_id, reason, occurred_on=occurred_on, id=line_id, actor=actor, note=note
    )
    _record(store_url, values, VOID_SOURCE)


def _json_or_text(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def apply_set(line: dict[str, Any], assignment: str) -> LineError | None:
    """Apply ``FIELD=VALUE`` (``scores.vision=5`` inside a mapping) to ``line``; the value is
    read as JSON when it is JSON (a number, true), else taken as text."""
    name, sep, value = assignment.partition("=")
    name = name.strip()
    if not sep or not name:
        return LineError(AMEND_SOURCE, 0, "--set", f"{quoted(assignment)}: expected FIELD=VALUE")
    head, _, sub = name.partition(".")
    if head in KEPT_FIELDS:
        return LineError(
            AMEND_SOURCE,
            0,
            f"line.{head}",
            "an amendment keeps the event's type, partnership and id",
        )
    if sub:
        inner = line.get(head)
        inner = dict(inner) if isinstance(inner, dict) else {}
        inner[sub] = _json_or_text(value)
        line[head] = inner
    elif value == "":
        line.pop(head, None)  # FIELD= leaves an optional field out
    else:
        line[head] = _json_or_text(value)
    return None


@click.command("amend")
@store_option
@click.argument("handle", metavar="H")
@click.argument("event_id", metavar="EVENT_ID")
@click.option("--reason", required=True, help="What was wrong.")
@click.option(
    "--set",
    "assignments",
    multiple=True,
    metavar="FIELD=VALUE",
    help="Change a field of the event (repeat): due=2026-03-01, weight=3, scores.vision=5; "
    "FIELD= leaves an optional field out.",
)
@click.option(
    "--line",
    "line_json",
    metavar="JSON",
    help="The corrected event line as a whole (its type and partnership stay the event's).",
)
@common_options
def amend(
    store_url: str | None,
    handle: str,
    event_id: str,
    reason: str,
    assignments: tuple[str, ...],
    line_json: str | None,
    occurred_on: str | None,
    line_id: str | None,
    actor: str | None,
    note: str | None,
) -> None:
    """Amend event EVENT_ID of partnership H: its corrected line counts in its place.

    Starts from the event as it stands (after earlier amendments) and changes the fields
    that --set names, or takes --line as the whole corrected line.
    """
    events = service(store_url).history(handle)
    standing = standing_line(events, event_id)
    if standing is None:
        known = any(e.line.id == event_id for e in events)
        message = (
            f"{quoted(event_id)} is voided or a correction: it cannot be amended"
            if known
            else f"{quoted(event_id)} is not an event of {handle!r}"
        )
        reject(RecordResult(errors=[LineError(AMEND_SOURCE, 0, "event", message)]))
    corrected = amend_start(standing)
    if line_json is not None:
        given = _json_or_text(line_json)
        if not isinstance(given, dict):
            reject(
                RecordResult(
                    errors=[LineError(AMEND_SOURCE, 0, "--line", "expected a JSON object")]
                )
            )
        corrected = {**given, **{k: corrected[k] for k in KEPT_FIELDS if k in corrected}}
    problems = [p for p in (apply_set(corrected, a) for a in assignments) if p is not None]
    if problems:
        reject(RecordResult(errors=problems))
    values = amend_values(
        handle,
        event_id,
        reason,
        corrected,
        occurred_on=occurred_on,
        id=line_id,
        actor=actor,
        note=note,
    )
    _record(store_url, values, AMEND_SOURCE)


def commands() -> dict[str, click.Command]:
    return {"void": void, "amend": amend}
