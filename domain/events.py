"""The event types of the ledger: one pydantic model per event line of the contract.

Each model here is the single definition of its event type. It validates a wire line
(NDJSON), a CLI option set and a dashboard form, and it is what is stored: the ledger
writes the model's JSON into the event store and reads it back through the same model.

Rules for what comes in, not for what is stored: no control characters in text (tab and
newline aside, in free text) and at most ``MAX_AMOUNT`` per revenue line. Stored lines are
read back under :data:`STORED` validation context, where these two rules are not applied,
so that history recorded before them stays readable and verifiable.

Two types correct an earlier event instead of describing what happened:
``event_voided`` and ``event_amended`` (:data:`CORRECTION_TYPES`); :data:`EVENT_TYPES` are
the other ten, and :data:`LINE_TYPES` all twelve.

Schema versions: every model has a ``class_version``. When a type's shape changes, bump
it and add a static ``upcast_vN_vN1(data: dict) -> None`` that rewrites a stored dict of
version N in place; the codec applies them on read (see ``trustledger.domain.codec``).
"""

from __future__ import annotations

import re
import types
import typing
from datetime import date, datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    TypeAdapter,
    ValidationInfo,
)
from pydantic_core import PydanticCustomError
from trustledger.domain.moments import parse_day

# What reading needs lives where no pydantic is loaded; named here too, as before.
from trustledger.domain.recorded import AMENDED, MAX_AMOUNT, VOIDED
from trustledger.domain.recorded import DIMENSIONS as DIMENSIONS
from trustledger.domain.recorded import RECORDED_SLOTS as RECORDED_SLOTS
from trustledger.domain.recorded import Recorded as Recorded
from trustledger.domain.text import has_control

HANDLE_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"


# Validation context for lines read back from the store (see the module docstring).
STORED: dict[str, Any] = {"stored": True}

_PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def parse_period(value: Any) -> str:
    """Read a revenue period ``YYYY-MM``."""
    if not isinstance(value, str) or not _PERIOD.match(value.strip()):
        raise ValueError("expected a month as YYYY-MM")
    return value.strip()


def _checking_input(info: ValidationInfo) -> bool:
    context = info.context
    return not (isinstance(context, dict) and context.get("stored"))


def _free_text(value: str, info: ValidationInfo) -> str:
    if has_control(value) and _checking_input(info):
        raise PydanticCustomError("control_character", "control character not allowed")
    return value


def _identifier(value: str, info: ValidationInfo) -> str:
    if has_control(value, allow_tab_newline=False) and _checking_input(info):
        raise PydanticCustomError("control_character", "control character not allowed")
    return value


def _bounded_amount(value: float, info: ValidationInfo) -> float:
    if value > MAX_AMOUNT and _checking_input(info):
        raise PydanticCustomError(
            "amount_too_large", "must be at most 1e15 (1,000,000,000,000,000) per line"
        )
    return value


_NO_CONTROLS = r"^[^\u0000-\u0008\u000b-\u001f\u007f-\u009f]*$"

Day = Annotated[
    date,
    BeforeValidator(parse_day),
    PlainSerializer(lambda d: d.isoformat(), return_type=str),
]
Handle = Annotated[str, StringConstraints(pattern=HANDLE_PATTERN)]
# Whitespace is stripped by pydantic-core itself (no Python call per field: replaying a
# large store validates millions of these).
Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=2000),
    AfterValidator(_free_text),
    Field(json_schema_extra={"pattern": _NO_CONTROLS}),
]
Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(_free_text),
    Field(json_schema_extra={"pattern": _NO_CONTROLS}),
]
Score = Annotated[int, Field(strict=True, ge=1, le=5)]
Dimension = Literal[
    "vision", "values", "resources", "risk", "rewards", "communication", "roles", "expectations"
]
Scores = Annotated[dict[Dimension, Score], Field(min_length=1)]
Period = Annotated[str, BeforeValidator(parse_period)]
EventId = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=128),
    AfterValidator(_identifier),
    Field(json_schema_extra={"pattern": r"^[^\u0000-\u001f\u007f-\u009f]*$"}),
]
Amount = Annotated[
    float,
    Field(strict=True, ge=0, allow_inf_nan=False, json_schema_extra={"maximum": MAX_AMOUNT}),
    AfterValidator(_bounded_amount),
]
Kind = Literal["customer", "channel", "alliance", "supplier", "other"]
Side = Literal["us", "partner"]
Severity = Literal["low", "medium", "high"]


class EventLine(BaseModel):
    """Fields shared by every event line."""

    # Validators are built on first use: a command that records one event builds its type's
    # only (about a tenth of a second less to start a process).
    model_config = ConfigDict(
        extra="forbid", frozen=True, str_strip_whitespace=False, defer_build=True
    )

    class_version: ClassVar[int] = 1

    type: str
    partnership: Handle
    occurred_on: Day | None = None
    id: EventId | None = None
    actor: Name | None = None
    note: Text | None = None
    recorded_at: datetime | None = Field(
        default=None, description="Ignored on input: the ledger stamps its own recording time."
    )

    @classmethod
    def own_fields(cls) -> list[str]:
        """The fields this type adds to the common ones, in declaration order."""
        return [name for name in cls.model_fields if name not in EventLine.model_fields]


class PartnershipRegistered(EventLine):
    """A partnership enters the ledger; its handle is then taken."""

    type: Literal["partnership_registered"] = "partnership_registered"
    name: Name
    kind: Kind = "customer"
    owner: Name | None = None
    review_every_days: Annotated[int, Field(strict=True, ge=1, le=730)] = 90


class CommitmentMade(EventLine):
    """One side promises something by a due date."""

    type: Literal["commitment_made"] = "commitment_made"
    commitment: Handle
    by: Side
    summary: Text
    due: Day
    weight: Annotated[int, Field(strict=True, ge=1, le=5)] = 1


class CommitmentRenegotiated(EventLine):
    """An open commitment gets a new due date, agreed by both sides."""

    type: Literal["commitment_renegotiated"] = "commitment_renegotiated"
    commitment: Handle
    due: Day
    reason: Text | None = None


class CommitmentKept(EventLine):
    """An open commitment was delivered."""

    type: Literal["commitment_kept"] = "commitment_kept"
    commitment: Handle


class CommitmentMissed(EventLine):
    """An open commitment was not delivered."""

    type: Literal["commitment_missed"] = "commitment_missed"
    commitment: Handle


class ReviewHeld(EventLine):
    """A periodic review scored by our side and, optionally, the partner's."""

    type: Literal["review_held"] = "review_held"
    scores: Scores
    partner_scores: Scores | None = None


class IssueRaised(EventLine):
    """A dispute or problem is raised, possibly about one commitment."""

    type: Literal["issue_raised"] = "issue_raised"
    issue: Handle
    summary: Text
    severity: Severity = "medium"
    commitment: Handle | None = None
    partner_card: Annotated[bool, Field(strict=True)] = False


class IssueResolved(EventLine):
    """An open issue is settled."""

    type: Literal["issue_resolved"] = "issue_resolved"
    issue: Handle
    resolution: Text


class RevenueRecorded(EventLine):
    """Revenue earned through the partnership in one month."""

    type: Literal["revenue_recorded"] = "revenue_recorded"
    period: Period
    amount: Amount
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] = "USD"


class PartnershipEnded(EventLine):
    """The partnership is over; only revenue may be recorded after this."""

    type: Literal["partnership_ended"] = "partnership_ended"
    reason: Text | None = None


#: The types of what happens in a partnership: each has a form and a one-event command.
EVENT_TYPES: dict[str, type[EventLine]] = {
    cls.model_fields["type"].default: cls
    for cls in (
        PartnershipRegistered,
        CommitmentMade,
        CommitmentRenegotiated,
        CommitmentKept,
        CommitmentMissed,
        ReviewHeld,
        IssueRaised,
        IssueResolved,
        RevenueRecorded,
        PartnershipEnded,
    )
}

#: An event line of one of :data:`EVENT_TYPES` (what a correction may correct).
CorrectableLine = Annotated[
    PartnershipRegistered
    | CommitmentMade
    | CommitmentRenegotiated
    | CommitmentKept
    | CommitmentMissed
    | ReviewHeld
    | IssueRaised
    | IssueResolved
    | RevenueRecorded
    | PartnershipEnded,
    Field(discriminator="type"),
]


class EventVoided(EventLine):
    """An earlier event of the partnership was recorded by mistake: from this line's
    recording on, it no longer counts (it stays in the history, marked void)."""

    type: Literal["event_voided"] = "event_voided"
    event: EventId
    reason: Text


class EventAmended(EventLine):
    """An earlier event of the partnership was recorded wrongly: from this line's recording
    on, ``line`` counts in its place (same type and partnership; fields it leaves out --
    ``occurred_on``, ``id``, ``actor`` -- are the original's)."""

    type: Literal["event_amended"] = "event_amended"
    event: EventId
    reason: Text
    line: CorrectableLine


#: Lines that correct an earlier event (see docs/MODEL.md, "Corrections").
CORRECTION_TYPES: dict[str, type[EventLine]] = {
    VOIDED: EventVoided,
    AMENDED: EventAmended,
}

#: Every type a line may have.
LINE_TYPES: dict[str, type[EventLine]] = {**EVENT_TYPES, **CORRECTION_TYPES}

AnyLine = Annotated[
    PartnershipRegistered
    | CommitmentMade
    | CommitmentRenegotiated
    | CommitmentKept
    | CommitmentMissed
    | ReviewHeld
    | IssueRaised
    | IssueResolved
    | RevenueRecorded
    | PartnershipEnded
    | EventVoided
    | EventAmended,
    Field(discriminator="type"),
]
LINE_ADAPTER: TypeAdapter[EventLine] = TypeAdapter(AnyLine, config=ConfigDict(defer_build=True))


def base_type(annotation: Any) -> Any:
    """A field's type without ``Annotated`` and ``Optional`` wrappers: what the command line
    and the dashboard's forms derive their inputs from."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
        else:
            return annotation


def line_schema() -> dict[str, Any]:
    """The JSON Schema of one event line."""
    schema = LINE_ADAPTER.json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "trustledger event line"
    return schema
