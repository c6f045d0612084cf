"""One-event commands (``partner add``, ``commit``, ``kept`` …) built from the event models.

The options of each command are derived from the fields of its pydantic event model, so
the command line can never drift from the event format: a field added to a model shows up
here with its type, choices and required-ness. Values are handed to the same model that
validates an NDJSON line, and the line goes through the same ``record`` path.

Exit codes follow the contract: an event field's value is input, so a value the model
refuses — a choice that is not one (``--by them``), a number that is not one (``--weight
three``), a score that is not ``DIM=N`` — is rejected input (exit 1, ``field: message``),
as the same value in a ``record`` line would be. A malformed command line (an unknown
option, a missing argument or required option) is a usage error (exit 2).
"""

from __future__ import annotations

import typing
from typing import Any, Literal

import click
from pydantic.fields import FieldInfo
from trustledger.domain.errors import quoted
from trustledger.domain.events import (
    DIMENSIONS,
    CommitmentKept,
    CommitmentMade,
    CommitmentMissed,
    CommitmentRenegotiated,
    EventLine,
    IssueRaised,
    IssueResolved,
    PartnershipEnded,
    PartnershipRegistered,
    RevenueRecorded,
    ReviewHeld,
    base_type,
)
from trustledger.tui.cli.main import store_option
from trustledger.tui.cli.record import record_lines, reject
from trustledger.tui.service.recording import (
    LineError,
    LineRejected,
    Located,
    RecordResult,
    check_values,
)

# command name -> (model, positional fields, one-line help)
COMMANDS: dict[str, tuple[type[EventLine], tuple[str, ...], str]] = {
    "commit": (CommitmentMade, ("partnership", "commitment"), "Record a commitment one side made."),
    "kept": (CommitmentKept, ("partnership", "commitment"), "Record that a commitment was kept."),
    "missed": (
        CommitmentMissed,
        ("partnership", "commitment"),
        "Record that a commitment was missed.",
    ),
    "renegotiate": (
        CommitmentRenegotiated,
        ("partnership", "commitment"),
        "Give an open commitment a new due date.",
    ),
    "review": (ReviewHeld, ("partnership",), "Record a review's scores (1-5 per dimension)."),
    "issue": (IssueRaised, ("partnership", "issue"), "Raise an issue."),
    "resolve": (IssueResolved, ("partnership", "issue"), "Resolve an open issue."),
    "revenue": (RevenueRecorded, ("partnership",), "Record a month's revenue."),
    "end": (PartnershipEnded, ("partnership",), "End a partnership."),
}

FIELD_HELP = {
    "occurred_on": "When it happened: YYYY-MM-DD or an RFC 3339 timestamp (default: today).",
    "id": "Idempotency key, unique in the store (default: generated).",
    "actor": "Who records it (default: your login name).",
    "note": "Free text.",
    "name": "The partnership's display name.",
    "kind": "What sort of partnership.",
    "owner": "Who owns the relationship on our side.",
    "review_every_days": "Review cadence in days (1-730, default 90).",
    "by": "Which side made the commitment.",
    "summary": "What it is about.",
    "due": "Due date (YYYY-MM-DD).",
    "weight": "How much it matters, 1-5 (default 1).",
    "reason": "Why.",
    "severity": "How serious (default medium).",
    "partner_card": "One side appealed to 'the partnership' to win the dispute.",
    "resolution": "How it was settled.",
    "period": "The month, YYYY-MM.",
    "amount": "Amount (>= 0).",
    "currency": "ISO 4217 code (default USD).",
    "scores": "Our side's score, DIMENSION=N (repeat); dimensions: " + ", ".join(DIMENSIONS) + ".",
    "partner_scores": "The partner's score, DIMENSION=N (repeat).",
    "commitment": "The commitment's handle.",
    "issue": "The issue's handle.",
}


def option_flag(field: str) -> str:
    return "--" + {"scores": "score", "partner_scores": "partner-score"}.get(
        field, field.replace("_", "-")
    )


def click_param(name: str, info: FieldInfo, positional: bool) -> click.Parameter:
    base = base_type(info.annotation)
    origin = typing.get_origin(base)
    if positional:
        return click.Argument([name], metavar=name.upper())
    flag = option_flag(name)
    required = info.is_required()
    help_text = FIELD_HELP.get(name, "")
    if base is bool:
        return click.Option([flag, name], is_flag=True, default=False, help=help_text)
    if origin is dict:
        return click.Option(
            [flag, name], multiple=True, metavar="DIM=N", required=required, help=help_text
        )
    # Values reach the model as typed (numbers converted when they are numbers), so the model
    # judges them: choices and numbers are not click types.
    metavar = {"occurred_on": "DATE", "due": "DATE", "period": "YYYY-MM"}.get(name)
    if origin is Literal:
        metavar = "[" + "|".join(str(a) for a in typing.get_args(base)) + "]"
    elif base is int:
        metavar = "INTEGER"
    elif base is float:
        metavar = "NUMBER"
    return click.Option([flag, name], type=str, required=required, help=help_text, metavar=metavar)


def typed_value(info: FieldInfo, value: str) -> Any:
    """An option's text as the model's number when it is one (else the text: the model
    then says what is wrong with it, at its field)."""
    base = base_type(info.annotation)
    try:
        if base is int:
            return int(value)
        if base is float:
            return float(value)
    except ValueError:
        return value
    return value


class BadScore(ValueError):
    """A ``--score`` value that is not ``DIMENSION=N``."""


def parse_scores(flag: str, values: tuple[str, ...]) -> dict[str, Any] | None:
    if not values:
        return None
    scores: dict[str, Any] = {}
    for value in values:
        dim, sep, number = value.partition("=")
        if not sep:
            raise BadScore(f"{quoted(value)}: expected DIMENSION=N, e.g. vision=4")
        try:
            scores[dim.strip()] = int(number)
        except ValueError:
            raise BadScore(f"{quoted(value)}: the score must be a whole number 1-5") from None
    return scores


def option_name(field: str, positional: tuple[str, ...]) -> str:
    """How a command names a field of its event: its option (``--weight``, ``--score
    vision`` for ``scores.vision``), or the field itself for an argument."""
    key, _, sub = field.partition(".")
    if key in positional or key in ("type", "recorded_at"):
        return field
    return option_flag(key) + (f" {sub}" if sub else "")


def build_command(
    name: str,
    model: type[EventLine],
    positional: tuple[str, ...],
    help_text: str,
    path: str | None = None,
) -> click.Command:
    """The command ``name`` (``path``: its full name, when in a group) for ``model``."""
    fields = {k: v for k, v in model.model_fields.items() if k not in ("type", "recorded_at")}
    ordered = list(positional) + [k for k in fields if k not in positional]
    params = [click_param(k, fields[k], k in positional) for k in ordered]

    source = f"trustledger {path or name}"

    def named(field: str) -> str:
        return option_name(field, positional)

    def callback(store_url: str | None, **values: Any) -> None:
        data: dict[str, Any] = {"type": model.model_fields["type"].default}
        bad: list[LineError] = []
        for key, value in values.items():
            if isinstance(value, tuple):
                try:
                    value = parse_scores(option_flag(key), value)
                except BadScore as exc:
                    bad.append(LineError(source, 0, key, str(exc)))
                    continue
            elif isinstance(value, str) and key not in positional:
                value = typed_value(fields[key], value)
            if value is None or (value is False and key == "partner_card"):
                continue
            data[key] = value
        if bad:
            reject(RecordResult(errors=bad), named)
        try:
            line = check_values(data, source)
        except LineRejected as exc:
            reject(RecordResult(errors=exc.errors), named)
        record_lines(store_url, [Located(source, 0, line)], quiet_progress=True, name=named)

    command = click.Command(name, callback=callback, params=params, help=help_text)
    return store_option(command)  # type: ignore[return-value]


def commands() -> dict[str, click.Command]:
    """Every one-event command, and the ``partner`` group (``partner add``)."""
    built: dict[str, click.Command] = {
        name: build_command(name, model, positional, help_text)
        for name, (model, positional, help_text) in COMMANDS.items()
    }
    partner = click.Group("partner", help="Partnerships: register them.")
    partner.add_command(
        build_command(
            "add",
            PartnershipRegistered,
            ("partnership",),
            "Register a partnership.",
            path="partner add",
        )
    )
    built["partner"] = partner
    return built
